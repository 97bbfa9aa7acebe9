"""Which evaluation tabs were open, so a restart (after a crash or a kill) reopens them.

Kept as ``window-state.json`` in the data folder and rewritten atomically whenever a tab opens or
closes. It holds only ids: the drafts themselves are in the store, written on every change.
"""

from __future__ import annotations

import json
from pathlib import Path

from fieldapp.atomicfile import write_bytes

STATE_FILE = "window-state.json"


def open_evaluations(folder: Path) -> list[int]:
    """The evaluation ids that were open last time (empty if unknown or unreadable)."""
    try:
        data = json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
        return [int(i) for i in data.get("open_evaluations", [])]
    except (OSError, ValueError, TypeError, AttributeError):
        return []


def save_open_evaluations(folder: Path, ids: list[int]) -> None:
    write_bytes(folder / STATE_FILE, json.dumps({"open_evaluations": ids}).encode("utf-8"))
