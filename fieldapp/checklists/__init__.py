"""Checklist library: the file format, its schema, the bundled 八有八无 and 1+X files, composition."""

from fieldapp.checklists.loader import BUNDLED_DIR, Library, LoadedChecklist, load_file
from fieldapp.checklists.schema import Applies, Checklist, Item, Verdict

__all__ = [
    "BUNDLED_DIR",
    "Applies",
    "Checklist",
    "Item",
    "Library",
    "LoadedChecklist",
    "Verdict",
    "load_file",
]
