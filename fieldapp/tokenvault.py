"""The county server's token in the operating system's credential store.

The token lets anyone sync as its owner, so it stays out of ``settings.json`` wherever the
operating system offers a credential store: Windows Credential Manager, the macOS Keychain, the
Secret Service on a Linux desktop (``keyring`` picks the one there is). Where there is none (a
Linux machine without a desktop session, a test run), the settings file keeps it, readable by
its owner only (the data folder is 0700).

Entries are named after the data folder, so a training copy of the store keeps its own token.
``keyring`` is imported only when a token is stored or read (a sync, saving the settings): it
costs about 0.1 s, which the window's start does not pay.
"""

from __future__ import annotations

import logging
from pathlib import Path

SERVICE = "fieldapp"

log = logging.getLogger(__name__)


def _entry(folder: Path) -> str:
    return f"县局服务器令牌 {folder.resolve()}"


def store(folder: Path, token: str) -> bool:
    """Keep ``token`` in the credential store; False where there is none (or it refused)."""
    try:
        import keyring

        if keyring.get_keyring().priority <= 0:  # keyring's "fail" backend: no store here
            return False
        keyring.set_password(SERVICE, _entry(folder), token)
    except Exception as exc:  # any backend error means: keep the token in the file instead
        log.warning("系统凭据管理器不可用，令牌保存在设置文件中：%s", type(exc).__name__)
        return False
    return True


def fetch(folder: Path) -> str:
    """The token kept for ``folder``; "" if there is none or the store cannot be read."""
    try:
        import keyring

        return keyring.get_password(SERVICE, _entry(folder)) or ""
    except Exception as exc:
        log.warning("读不到系统凭据管理器中的令牌：%s", type(exc).__name__)
        return ""
