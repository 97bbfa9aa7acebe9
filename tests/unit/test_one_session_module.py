"""Only ``fieldapp/ui/operations.py`` opens sessions or connections on the store: every other UI
module hands it a job, so the threads a read or write runs on are decided in one place."""

from __future__ import annotations

import re
from pathlib import Path

UI = Path(__file__).resolve().parents[2] / "fieldapp" / "ui"
OPENS = re.compile(r"\bstore\.(session|read|raw_read)\(|\.engine\b|sessionmaker|sqlite3\.connect")


def test_only_the_operations_module_opens_the_store() -> None:
    found = [
        f"{path.name}:{number}: {line.strip()}"
        for path in sorted(UI.glob("*.py"))
        if path.name != "operations.py"
        for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1)
        if OPENS.search(line) and not line.lstrip().startswith(("#", '"', "through"))
    ]
    assert found == []
    assert OPENS.search((UI / "operations.py").read_text("utf-8"))
