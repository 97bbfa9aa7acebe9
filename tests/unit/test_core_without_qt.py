"""The core never imports Qt: every module outside fieldapp.ui imports with PySide6 blocked."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import fieldapp

PROBE = r"""
import importlib, sys

class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("PySide6", "shiboken6") or name.startswith("fieldapp.ui"):
            raise ImportError(f"core imported {name}")
        return None

sys.meta_path.insert(0, Blocker())
for module in sys.argv[1:]:
    importlib.import_module(module)
print("ok", len(sys.argv) - 1)
"""


def core_modules() -> list[str]:
    root = Path(fieldapp.__file__).parent
    names = []
    for info in pkgutil.walk_packages([str(root)], prefix="fieldapp."):
        if info.name.startswith(("fieldapp.ui", "fieldapp.storage.migrations")):
            continue
        if info.name == "fieldapp.__main__":
            continue
        names.append(info.name)
    return names


def test_core_imports_with_pyside6_blocked() -> None:
    modules = core_modules()
    assert "fieldapp.store" in modules and "fieldapp.cli" in modules
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *modules], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"ok {len(modules)}"


def test_the_blocker_really_blocks() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, "PySide6.QtCore"], capture_output=True, text=True, check=False
    )
    assert result.returncode != 0 and "core imported PySide6" in result.stderr


def test_cli_works_with_pyside6_blocked(tmp_path: Path) -> None:
    from fieldapp.store import Store

    Store.open(tmp_path, create=True).close()  # a read-only command never creates the store
    script = PROBE.replace("sys.argv[1:]", "[]").replace('print("ok", len(sys.argv) - 1)', "")
    script += "from fieldapp.cli import main\n"
    script += "sys.exit(main(['--data-dir', sys.argv[1], 'checklists', 'list']))\n"
    result = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "八有八无" in result.stdout
