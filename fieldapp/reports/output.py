"""Write a document to a temporary name beside its target, then rename it into place."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

from fieldapp.errors import InvalidInput


@contextlib.contextmanager
def atomic_output(target: Path) -> Iterator[Path]:
    """Yield a temporary path in ``target``'s folder; on success it replaces ``target``.

    On any error the temporary file is removed and ``target`` is left as it was. A folder that
    does not exist or cannot be written to is reported before any work is done.
    """
    target = Path(target)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise InvalidInput(f"{target}：文件夹 {folder} 不存在，请先建立或换一个位置")
    if target.is_dir():
        raise InvalidInput(f"{target}：这是一个文件夹，请给出文件名")
    tmp_name = str(folder / f".{target.name}.{secrets.token_hex(6)}.part")
    try:
        # Not mkstemp: its 0600 would make a printed sheet unreadable to the rest of the office;
        # 0666 here is narrowed by the user's umask like any file a program saves.
        fd = os.open(tmp_name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as exc:
        raise InvalidInput(
            f"{target}：不能在 {folder} 写文件（{exc.strerror}），请换一个位置"
        ) from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
