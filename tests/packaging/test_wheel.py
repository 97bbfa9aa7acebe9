"""The wheel, not the checkout: build it, ``pip install`` it into a new venv and print from it.

A wheel that leaves ``fieldapp/resources`` behind installs without complaint and then cannot print
(找不到打印用的中文字体). These tests build the wheel from a copy of the project (the checkout
gets no ``build/`` folder), check it lists every file under ``fieldapp/resources``, install it with
its dependencies into a fresh venv (no ``--system-site-packages``, nothing from this venv) and run
the installed ``fieldapp`` console script: a demo store, then a printed sheet whose PDF embeds the
bundled font. About 20 seconds here, most of it the dependency install, hence ``slow``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from fieldapp import __version__

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
RESOURCES = ROOT / "fieldapp" / "resources"
TIMEOUT = 900  # a cold pip cache downloads PySide6


def _copy_project(target: Path) -> Path:
    """What the build reads: pyproject.toml, the README and licence it names, the package."""
    target.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, target / name)
    shutil.copytree(
        ROOT / "fieldapp",
        target / "fieldapp",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    return target


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    source = _copy_project(work / "src")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "-w",
            str(work),
            str(source),
        ],
        check=True,
        timeout=TIMEOUT,
    )
    (built,) = work.glob("fieldapp-*.whl")
    assert built.name.startswith(f"fieldapp-{__version__}-")
    return built


def _clean_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTHON", "FIELDAPP_", "VIRTUAL_ENV"))
    }
    env["QT_QPA_PLATFORM"] = "offscreen"
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new venv with the wheel and its dependencies, as ``pip install fieldapp-….whl`` gives."""
    venv = tmp_path_factory.mktemp("venv") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=TIMEOUT)
    python = venv / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", str(wheel)],
        check=True,
        timeout=TIMEOUT,
        env=_clean_env(),
    )
    return venv


def test_wheel_carries_every_resource(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    expected = {
        file.relative_to(ROOT).as_posix()
        for file in RESOURCES.rglob("*")
        if file.is_file() and "__pycache__" not in file.parts
    }
    assert "fieldapp/resources/fonts/wqy-microhei.ttc" in expected
    assert expected <= names, sorted(expected - names)


def test_installed_wheel_prints_a_sheet_with_the_embedded_font(
    installed: Path, tmp_path: Path
) -> None:
    env = _clean_env()
    where = subprocess.run(
        [str(installed / "bin" / "python"), "-c", "import fieldapp; print(fieldapp.__file__)"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
        env=env,
    )
    assert Path(where.stdout.strip()).is_relative_to(installed)  # not this checkout

    fieldapp = str(installed / "bin" / "fieldapp")
    data = tmp_path / "数据"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [fieldapp, "--data-dir", str(data), *args],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=env,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done

    run("demo", "--units", "50", "--evaluations", "1")
    pdf = tmp_path / "评价表.pdf"
    run("report", "sheet", "--evaluation", "1", "-o", str(pdf))
    assert pdf.read_bytes().startswith(b"%PDF")

    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True)
    rows = [line.split() for line in fonts.stdout.splitlines()[2:]]
    ours = [row for row in rows if "WenQuanYiMicroHei" in row[0]]
    assert ours, fonts.stdout
    # pdffonts columns end: emb sub uni object-id generation
    assert all(row[-5] == "yes" for row in ours), fonts.stdout
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True)
    assert "放心消费" in text.stdout  # the Chinese comes back out of the PDF
