"""The built program, not the source: build the PyInstaller bundle and run it.

Slow (about a minute to build here), so it builds once per run into a temporary folder (never the
checkout) and every test below runs the built executables: ``--version``, the build's hidden
``selftest`` (fieldapp/frozen_check.py: store, migrations, every bundled checklist, a PDF with the
bundled font), the window starting offscreen, and a backup round trip.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from fieldapp import __version__, settings
from fieldapp.checklists import BUNDLED_DIR
from fieldapp.settings import Settings
from fieldapp.storage import db

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
BUILD_TIMEOUT = 900


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("PyInstaller", reason="pip install -e '.[test]' installs pyinstaller")
    out = tmp_path_factory.mktemp("pyinstaller")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--log-level",
            "WARN",
            "--workpath",
            str(out / "work"),
            "--distpath",
            str(out / "dist"),
            str(ROOT / "build_installer.spec"),
        ],
        cwd=out,
        check=True,
        timeout=BUILD_TIMEOUT,
    )
    folder = out / "dist" / "fieldapp"
    assert (folder / "fieldapp").is_file() and (folder / "fieldapp-cli").is_file()
    return folder


def _run(
    exe: Path, *args: str, data: Path | None = None, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTHON", "FIELDAPP_", "VIRTUAL_ENV"))
    }
    env["QT_QPA_PLATFORM"] = "offscreen"
    if data is not None:
        env["FIELDAPP_DATA_DIR"] = str(data)
    env.update(extra_env or {})
    return subprocess.run(
        [str(exe), *args], capture_output=True, text=True, env=env, timeout=300, check=False
    )


def test_bundle_is_lean_and_complete(bundle: Path) -> None:
    internal = bundle / "_internal"
    for needed in (
        "fieldapp/resources/fonts/wqy-microhei.ttc",
        "fieldapp/resources/fonts/wqy-microhei.LICENSE.txt",
        "fieldapp/resources/icons/fieldapp.png",
        "fieldapp/checklists/FORMAT.md",
        "fieldapp/storage/migrations/env.py",
    ):
        assert (internal / needed).is_file(), needed
    bundled = sorted(p.name for p in (internal / "fieldapp/checklists/bundled").iterdir())
    assert bundled == sorted(p.name for p in BUNDLED_DIR.glob("*.toml"))
    versions = internal / "fieldapp/storage/migrations/versions"
    assert sorted(p.name for p in versions.glob("*.py")) == sorted(
        p.name for p in (ROOT / "fieldapp/storage/migrations/versions").glob("*.py")
    )
    qt = {p.name.split(".")[0] for p in (internal / "PySide6").glob("Qt*.so")}
    assert qt == {"QtCore", "QtGui", "QtWidgets", "QtPrintSupport"}  # the print dialog
    names = {p.name for p in internal.rglob("*")}
    assert not {"tkinter", "_tkinter", "pytest", "fastapi", "uvicorn"} & {
        n.split(".")[0] for n in names
    }


def test_version(bundle: Path) -> None:
    for exe in ("fieldapp-cli", "fieldapp"):
        done = _run(bundle / exe, "--version")
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == f"fieldapp {__version__}"


def test_selftest_opens_store_loads_checklists_prints_pdf(bundle: Path, tmp_path: Path) -> None:
    data = tmp_path / "数据"
    done = _run(bundle / "fieldapp-cli", "selftest", "--out", str(tmp_path), data=data)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["frozen"] is True
    assert report["data_dir"] == str(data)
    assert report["schema"] == db.head_revision()  # every migration file was found and run
    assert len(report["checklists"]) == len(list(BUNDLED_DIR.glob("*.toml")))
    assert report["checklist_problems"] == []
    pdf = Path(report["pdf"])
    assert pdf.is_file() and pdf.read_bytes().startswith(b"%PDF")
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True)
    assert "WenQuanYiMicroHei" in fonts.stdout  # the bundled font, embedded
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True)
    assert "放心消费单位" in text.stdout and "空白表" in text.stdout  # Chinese comes back
    assert (data / "logs" / "fieldapp.log").is_file()


def test_window_starts_offscreen(bundle: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    settings.save(data, Settings(inspector_name="王芳"))
    done = _run(bundle / "fieldapp", data=data, extra_env={"FIELDAPP_SMOKE_EXIT": "1"})
    assert done.returncode == 0, done.stderr
    log = (data / "logs" / "fieldapp.log").read_text(encoding="utf-8")
    assert "window started" in log and "smoke run: window shown" in log
    assert "Traceback" not in log


def test_backup_round_trip_in_the_built_program(bundle: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    cli = bundle / "fieldapp-cli"
    assert _run(cli, "selftest", "--out", str(tmp_path), data=data).returncode == 0
    archive = tmp_path / "备份.zip"
    done = _run(cli, "backup", "create", "-o", str(archive), data=data)
    assert done.returncode == 0, done.stderr
    done = _run(cli, "backup", "restore", str(archive), data=data)
    assert done.returncode == 0, done.stderr
    assert "校验无误" in done.stdout
    assert [p.name for p in tmp_path.iterdir() if ".before-restore-" in p.name]


def test_worker_processes_ingest_photos_and_print_a_batch(bundle: Path, tmp_path: Path) -> None:
    """Photo ingest and a batch of sheets run in spawned worker processes, which in the built
    program are the program itself started again (multiprocessing.freeze_support in the entry
    point): a demo's evaluations attach their photos through them, and a batch prints through
    them and is joined with pypdf."""
    data = tmp_path / "data"
    cli = bundle / "fieldapp-cli"
    done = _run(cli, "demo", "--units", "40", "--evaluations", "3", data=data)
    assert done.returncode == 0, done.stdout + done.stderr
    out = tmp_path / "评价表.pdf"
    done = _run(cli, "report", "sheet", "--since", "2000-01-01", "-o", str(out), data=data)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "已打印 3 份评价表" in done.stdout
    info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True, check=True)
    assert "放心消费单位评价表（3 份）" in info.stdout  # the joined document's title
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True)
    numbers = re.findall(r"第\s*(\d+)\s*页\s*共\s*(\d+)\s*页", text.stdout)
    assert [n for n, _ in numbers].count("1") == 3  # each sheet numbered on its own
    images = subprocess.run(["pdfimages", "-list", str(out)], capture_output=True, text=True)
    assert images.stdout.count("jpeg") >= 3  # the demo's photos, as the workers stored them
    log = (data / "logs" / "fieldapp.log").read_text(encoding="utf-8")
    assert "worker process died" not in log and "Traceback" not in log
