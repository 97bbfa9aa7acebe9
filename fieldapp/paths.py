"""Where fieldapp keeps its data and finds its bundled resources.

The data folder comes from, in order: an explicit ``--data-dir``, the ``FIELDAPP_DATA_DIR``
environment variable, then the platform's user data folder (platformdirs). Only that last one, the
app's own default, is created unasked at first use; a folder someone named (:func:`named_data_dir`)
must already hold a store, except for commands that set up new data (see ``Store.open``).
Resources are found through :func:`resource_path`, which works in the source tree, an installed
wheel and a PyInstaller build.
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "fieldapp"
DATA_DIR_ENV = "FIELDAPP_DATA_DIR"

DATABASE_FILE = "fieldapp.sqlite3"
CHECKLISTS_SUBDIR = "checklists"


def resolve_data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The data folder that would be used, without creating it (for messages)."""
    if explicit:
        path = Path(explicit)
    elif os.environ.get(DATA_DIR_ENV):
        path = Path(os.environ[DATA_DIR_ENV])
    else:
        import platformdirs  # with tempfile: only when no folder was named

        path = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    return path.expanduser().resolve()


def named_data_dir(explicit: str | os.PathLike[str] | None = None) -> str | None:
    """How the data folder was named: ``"--data-dir"``, the environment variable's name, or None
    for the platform's default folder (the one fieldapp may create unasked)."""
    if explicit:
        return "--data-dir"
    if os.environ.get(DATA_DIR_ENV):
        return DATA_DIR_ENV
    return None


def data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """Return the data folder, creating it if needed."""
    path = resolve_data_dir(explicit)
    path.mkdir(parents=True, exist_ok=True)
    return path


def database_path(folder: Path) -> Path:
    return folder / DATABASE_FILE


def county_checklists_dir(folder: Path) -> Path:
    """The folder where a county drops its own checklist files (``*.toml``)."""
    return folder / CHECKLISTS_SUBDIR


def server_checklists_dir(folder: Path) -> Path:
    """Checklists the county server sent at sync (``*.json``), kept apart from the county's own."""
    return folder / CHECKLISTS_SUBDIR / "server"


RESOURCES_DIR = Path(__file__).resolve().parent / "resources"


def resource_path(*parts: str) -> Path:
    """Path of a file under ``fieldapp/resources/``.

    The folder is package data: it sits beside this module in the source tree, in an installed
    wheel and in the frozen build (PyInstaller places it under ``sys._MEIPASS/fieldapp``).
    """
    return RESOURCES_DIR.joinpath(*parts)
