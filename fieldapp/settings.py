"""Every user setting, declared once with its type, default and meaning.

Stored as ``settings.json`` in the data folder; written atomically (temporary file, then rename).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

SETTINGS_FILE = "settings.json"


class Settings(BaseModel):
    inspector_name: str = Field("", description="检查人员姓名，记录在每次变更和评价上")
    badge_number: str = Field("", description="执法证号")
    station: str = Field("", description="所属所（分局）")
    language: Literal["zh_CN", "en"] = Field("zh_CN", description="界面语言")


def load(folder: Path) -> Settings:
    path = folder / SETTINGS_FILE
    if not path.exists():
        return Settings()
    try:
        return Settings.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, ValidationError):
        # A damaged settings file must not stop the app; the defaults apply until saved again.
        return Settings()


def save(folder: Path, settings: Settings) -> None:
    data = settings.model_dump_json(indent=2)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".settings-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, folder / SETTINGS_FILE)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
