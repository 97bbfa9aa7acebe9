"""Every user setting, declared once with its type, default and meaning.

Stored as ``settings.json`` in the data folder; written atomically (temporary file, then rename).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from fieldapp.atomicfile import write_bytes
from fieldapp.domain.events import Role

SETTINGS_FILE = "settings.json"


class Settings(BaseModel):
    inspector_name: str = Field("", description="检查人员姓名，记录在每次变更和评价上")
    badge_number: str = Field("", description="执法证号")
    station: str = Field("", description="所属所（分局）")
    role: Role = Field(
        Role.INSPECTOR,
        description="本机账号的角色（检查人员、所负责人或县局）；同步时以县局服务器上的账号为准",
    )
    language: Literal["zh_CN", "en"] = Field("zh_CN", description="界面语言")
    photo_long_side: int = Field(
        2048, ge=640, le=8192, description="照片存档的长边像素（缩小更省空间，放大更清楚）"
    )
    # County server (sync).
    server_url: str = Field("", description="县局服务器地址，如 https://fxxf.example.gov.cn:8443")
    server_token: str = Field(
        "", description="县局服务器发给本人的令牌（由县局管理员用 users add 生成）"
    )
    ca_bundle: str = Field(
        "", description="县局自建证书的 CA 文件路径（.pem）；留空则使用系统信任的证书"
    )
    # Automatic backup.
    backup_folder: str = Field("", description="自动备份的文件夹（如 U 盘）；留空则不自动备份")
    backup_keep: int = Field(7, ge=1, le=365, description="自动备份保留最近几份")
    backup_interval_hours: int = Field(24, ge=1, le=24 * 30, description="自动备份间隔（小时）")


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
    write_bytes(folder / SETTINGS_FILE, settings.model_dump_json(indent=2).encode("utf-8"))
