"""Every user setting, declared once with its type, default, bounds and meaning.

Stored as ``settings.json`` in the data folder; written atomically (temporary file, then rename).

A frozen dataclass checked in ``__post_init__`` rather than a pydantic model: the window reads
the settings before it shows, and importing pydantic costs as much CPU as importing Qt (about
0.1 s); a score of fields of text, whole numbers and a few choices need no more than the checks
below. The wire formats and the server, which pydantic serves well, keep it.
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

from fieldapp.atomicfile import write_bytes
from fieldapp.domain.events import Role

SETTINGS_FILE = "settings.json"
Language = Literal["zh_CN", "en"]
LANGUAGES: tuple[str, ...] = get_args(Language)


def _text(description: str) -> Any:
    return field(default="", metadata={"description": description})


def _number(default: int, low: int, high: int, description: str) -> Any:
    return field(default=default, metadata={"description": description, "range": (low, high)})


def _choice(default: int, choices: tuple[int, ...], description: str) -> Any:
    return field(default=default, metadata={"description": description, "choices": choices})


_BADGE_SEPARATORS = re.compile(r"[；;，,\n]+")
_NAME_BADGE = re.compile(r"^\s*(\S+?)\s*[\s:：]\s*(\S+)\s*$")


def parse_badges(text: str) -> dict[str, str]:
    """``colleague_badges`` as {姓名: 执法证号}: "李四 33110002；王五：33110003"; ValueError names
    the entry that is not a name and a number."""
    found: dict[str, str] = {}
    for entry in _BADGE_SEPARATORS.split(text):
        if not entry.strip():
            continue
        matched = _NAME_BADGE.match(entry)
        if matched is None:
            raise ValueError(
                f"设置 colleague_badges：「{entry.strip()}」应为“姓名 执法证号”，"
                "多人之间用分号隔开，如“李四 33110002；王五 33110003”"
            )
        found[matched.group(1)] = matched.group(2)
    return found


@dataclass(frozen=True)
class Settings:
    inspector_name: str = _text("检查人员姓名，记录在每次变更和评价上")
    badge_number: str = _text("执法证号")
    station: str = _text("所属所（分局）")
    office_name: str = _text(
        "本所全称，印在评价表和整改通知书的出具单位处，如 缙云县市场监督管理局五云市场监督管理所；"
        "留空则用县名加所名"
    )
    office_phone: str = _text("本所联系电话，印在整改通知书上")
    office_address: str = _text("本所地址，印在整改通知书上")
    colleague_badges: str = _text(
        "一同检查的同事的执法证号，如“李四 33110002；王五 33110003”；两人签名时印在评价表上"
    )
    role: Role = field(
        default=Role.INSPECTOR,
        metadata={
            "description": "本机账号的角色（检查人员、所负责人或县局）；同步时以县局服务器上的账号为准"
        },
    )
    language: Language = field(default="zh_CN", metadata={"description": "界面语言"})
    photo_long_side: int = _number(
        2048, 640, 8192, "照片存档的长边像素（缩小更省空间，放大更清楚）"
    )
    # County server (sync).
    server_url: str = _text("县局服务器地址，如 https://fxxf.example.gov.cn:8443")
    server_token: str = _text(
        "县局服务器发给本人的令牌（由县局管理员用 users add 生成）；"
        "有系统凭据管理器时保存在那里，本文件中留空"
    )
    token_in_keyring: int = _choice(
        0, (0, 1), "令牌是否保存在系统凭据管理器中（1 是，0 否）；由 fieldapp 自动设置"
    )
    ca_bundle: str = _text("县局自建证书的 CA 文件路径（.pem）；留空则使用系统信任的证书")
    # Automatic backup.
    backup_folder: str = _text("自动备份的文件夹（如 U 盘）；留空则不自动备份")
    backup_keep: int = _number(7, 1, 365, "自动备份保留最近几份")
    backup_interval_hours: int = _number(24, 1, 24 * 30, "自动备份间隔（小时）")
    # Printing.
    photos_per_page: int = _choice(9, (6, 9), "评价表照片附页每页几张照片（6 或 9）")

    def __post_init__(self) -> None:
        """Refuse a value of the wrong kind or out of bounds, naming the setting (ValueError)."""
        for spec in dataclasses.fields(self):
            value = getattr(self, spec.name)
            if spec.name == "role":
                if not isinstance(value, Role):
                    object.__setattr__(self, "role", _role(value))
            elif spec.name == "language":
                if value not in LANGUAGES:
                    raise ValueError(
                        f"设置 language：应为 {'、'.join(LANGUAGES)} 之一，不是 {value!r}"
                    )
            elif "choices" in spec.metadata:
                choices = spec.metadata["choices"]
                if isinstance(value, bool) or value not in choices:
                    shown = "、".join(str(c) for c in choices)
                    raise ValueError(f"设置 {spec.name}：应为 {shown} 之一，不是 {value!r}")
            elif "range" in spec.metadata:
                low, high = spec.metadata["range"]
                if isinstance(value, bool) or not isinstance(value, int):
                    raise ValueError(f"设置 {spec.name}：应为整数，不是 {value!r}")
                if not low <= value <= high:
                    raise ValueError(f"设置 {spec.name}：应在 {low} 到 {high} 之间，不是 {value}")
            elif not isinstance(value, str):
                raise ValueError(f"设置 {spec.name}：应为文字，不是 {value!r}")
        parse_badges(self.colleague_badges)

    @property
    def has_token(self) -> bool:
        """A token is set, in this file or in the credential store."""
        return bool(self.server_token or self.token_in_keyring)

    def replace(self, **changes: Any) -> Settings:
        """A copy with ``changes`` applied (and checked)."""
        unknown = sorted(set(changes) - {spec.name for spec in dataclasses.fields(self)})
        if unknown:
            raise ValueError(f"没有这些设置：{'、'.join(unknown)}")
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["role"] = self.role.value
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Settings:
        """Settings from a parsed ``settings.json``; keys this version does not know are
        ignored (a newer fieldapp may have written them), missing ones take their defaults."""
        known = {spec.name for spec in dataclasses.fields(cls)}
        return cls(**{name: value for name, value in data.items() if name in known})


def _role(value: object) -> Role:
    if isinstance(value, str) and value in {role.value for role in Role}:
        return Role(value)
    choices = "、".join(role.value for role in Role)
    raise ValueError(f"设置 role：应为 {choices} 之一，不是 {value!r}")


def load(folder: Path) -> Settings:
    path = folder / SETTINGS_FILE
    if not path.exists():
        return Settings()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError("settings.json is not an object")
        return Settings.from_dict(data)
    except (ValueError, TypeError):
        # A damaged settings file must not stop the app; the defaults apply until saved again.
        return Settings()


def save(folder: Path, settings: Settings) -> None:
    """Write ``settings``; a token given in them goes to the operating system's credential
    store where there is one (:mod:`fieldapp.tokenvault`), and into the file only where not."""
    if settings.server_token:
        from fieldapp import tokenvault

        if tokenvault.store(folder, settings.server_token):
            settings = settings.replace(server_token="", token_in_keyring=1)
        else:
            settings = settings.replace(token_in_keyring=0)
    text = json.dumps(settings.to_dict(), ensure_ascii=False, indent=2)
    write_bytes(folder / SETTINGS_FILE, text.encode("utf-8"))


def server_token(folder: Path, settings: Settings) -> str:
    """The token to sync with: from the settings file, or from the credential store."""
    if settings.server_token:
        return settings.server_token
    if not settings.token_in_keyring:
        return ""
    from fieldapp import tokenvault

    return tokenvault.fetch(folder)
