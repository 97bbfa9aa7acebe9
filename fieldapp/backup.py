"""Backup and restore of a whole data folder as one zip archive with a manifest of hashes.

An archive holds the database (a consistent snapshot taken with SQLite's backup API, so the app
may keep writing while it runs), every photo and signature file, ``settings.json``, the county
checklists folder and ``manifest.json``: for each file its path, size and SHA-256, plus the app
version and database schema revision. Restore believes nothing it has not checked:

1. every file is extracted into a staging folder *beside* the data folder (same disk, so the
   final step is a rename) and its size and hash are compared with the manifest; the database
   must pass ``PRAGMA integrity_check`` and carry a schema this version of fieldapp knows;
2. only then the folders are swapped with two renames: the current data folder becomes
   ``<data>.before-restore-<YYYYMMDD-HHMMSS>`` (kept, never deleted by fieldapp) and the staging
   folder becomes the data folder. A damaged, truncated or tampered archive is refused before
   anything in the data folder changes.

Automatic backups (:func:`create_auto`) go to a folder the user chooses, named
``fieldapp-backup-<YYYYMMDD-HHMMSS>.zip``; only the newest ``keep`` of them are kept.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import shutil
import sqlite3
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import Any

from fieldapp import __version__, logs, paths
from fieldapp.errors import FieldappError, InvalidInput, Problem
from fieldapp.reports.output import atomic_output
from fieldapp.settings import SETTINGS_FILE
from fieldapp.storage import sqlitefile

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
FORMAT = 1
FOLDERS = ("photos", "signatures", paths.CHECKLISTS_SUBDIR)
"""Sub-folders of the data folder that go into a backup, besides the database and settings."""
CARRIED_OVER = ("logs",)
"""Kept from the current data folder across a restore (the log tells what happened before)."""
AUTO_PREFIX = "fieldapp-backup-"
AUTO_PATTERN = re.compile(r"^fieldapp-backup-(\d{8}-\d{6})\.zip$")
STAMP = "%Y%m%d-%H%M%S"
BEFORE_RESTORE = ".before-restore-"
_CHUNK = 1 << 20
_STORED_SUFFIXES = {".jpg", ".jpeg", ".png", ".heic", ".zip"}  # already compressed


@dataclass(frozen=True)
class BackupInfo:
    """What :func:`create` wrote."""

    path: Path
    files: int
    size: int
    schema: str | None
    created_at: str


@dataclass(frozen=True)
class RestoreResult:
    """Where the data went: the restored folder and the copy of what was there before."""

    data_folder: Path
    previous: Path | None
    files: int
    schema: str | None
    created_at: str


# --- create -------------------------------------------------------------------------------------


def schema_revision(database: Path) -> str | None:
    """The Alembic revision recorded in a database file (None if it has none, or is none)."""
    try:
        return sqlitefile.stored_revision(database)
    except sqlite3.DatabaseError:
        return None


def _settings_without_secrets(folder: Path, tmp: Path) -> Path | None:
    """The data folder's settings as a backup carries them: without the server token, which
    stays on this laptop (a backup travels on a USB stick; whoever restores it on another
    laptop asks the county for a token of their own). None if there are no settings."""
    if not (folder / SETTINGS_FILE).is_file():
        return None
    from fieldapp import settings

    settings.save(tmp, settings.load(folder).replace(server_token=""))
    return tmp / SETTINGS_FILE


def _data_files(folder: Path) -> Iterator[tuple[str, Path]]:
    """(name in the archive, file) for every photo, signature and checklist file a backup
    carries (the database and the settings are added on their own)."""
    for sub in FOLDERS:
        base = folder / sub
        if not base.is_dir():
            continue
        for file in sorted(base.rglob("*")):
            # Temporary files of a write in progress (``*.tmp``, dot files) are not data yet.
            if file.is_file() and not file.name.startswith(".") and file.suffix != ".tmp":
                yield file.relative_to(folder).as_posix(), file


def _add(archive: zipfile.ZipFile, name: str, source: Path) -> dict[str, Any]:
    digest = hashlib.sha256()
    size = 0
    method = (
        zipfile.ZIP_STORED if source.suffix.lower() in _STORED_SUFFIXES else zipfile.ZIP_DEFLATED
    )
    info = zipfile.ZipInfo.from_file(source, name)
    info.compress_type = method
    with source.open("rb") as src, archive.open(info, "w", force_zip64=True) as dst:
        for chunk in iter(lambda: src.read(_CHUNK), b""):
            digest.update(chunk)
            size += len(chunk)
            dst.write(chunk)
    return {"path": name, "size": size, "sha256": digest.hexdigest()}


def create(folder: Path, target: Path, *, now: datetime | None = None) -> BackupInfo:
    """Write a backup of the data folder ``folder`` to ``target`` (replaced atomically)."""
    folder = Path(folder)
    database = paths.database_path(folder)
    if not database.is_file():
        raise InvalidInput(f"{folder}：没有数据库文件 {database.name}，没有可备份的数据")
    created_at = (now or datetime.now()).isoformat(timespec="seconds")
    with tempfile.TemporaryDirectory(prefix="fieldapp-backup-") as tmp:
        snapshot = Path(tmp) / paths.DATABASE_FILE
        sqlitefile.snapshot(database, snapshot)
        schema = schema_revision(snapshot)
        entries: list[dict[str, Any]] = []
        with atomic_output(Path(target)) as part:
            with zipfile.ZipFile(part, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
                entries.append(_add(archive, paths.DATABASE_FILE, snapshot))
                safe_settings = _settings_without_secrets(folder, Path(tmp))
                if safe_settings is not None:
                    entries.append(_add(archive, SETTINGS_FILE, safe_settings))
                for name, file in _data_files(folder):
                    try:
                        entries.append(_add(archive, name, file))
                    except FileNotFoundError:  # removed while the backup ran
                        log.info("backup: %s disappeared while copying; skipped", name)
                manifest = {
                    "format": FORMAT,
                    "app": paths.APP_NAME,
                    "app_version": __version__,
                    "schema": schema,
                    "created_at": created_at,
                    "files": entries,
                }
                archive.writestr(
                    MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8")
                )
            size = part.stat().st_size
            with contextlib.suppress(OSError):  # a FAT32 USB stick has no modes
                os.chmod(part, 0o600)  # every unit's contacts and every photo are in it
    log.info("backup written: %s (%d files, %d bytes)", target, len(entries), size)
    return BackupInfo(Path(target), len(entries), size, schema, created_at)


# --- automatic backups --------------------------------------------------------------------------


def auto_backups(folder: Path) -> list[tuple[datetime, Path]]:
    """The automatic backups in ``folder``, oldest first (other files are ignored)."""
    found: list[tuple[datetime, Path]] = []
    if not folder.is_dir():
        return found
    for file in folder.iterdir():
        match = AUTO_PATTERN.match(file.name)
        if match and file.is_file():
            with contextlib.suppress(ValueError):
                found.append((datetime.strptime(match.group(1), STAMP), file))
    return sorted(found)


def auto_due(folder: Path, interval_hours: int, now: datetime | None = None) -> bool:
    """True when the newest automatic backup in ``folder`` is older than the interval."""
    existing = auto_backups(folder)
    if not existing:
        return True
    return (now or datetime.now()) - existing[-1][0] >= timedelta(hours=interval_hours)


def create_auto(
    data_folder: Path, backup_folder: Path, keep: int, *, now: datetime | None = None
) -> tuple[BackupInfo, list[Path]]:
    """Write a dated backup into ``backup_folder`` and delete all but the newest ``keep``.

    Returns the backup and the old ones removed. Only files named like automatic backups are
    ever removed, so the folder can be shared with other files.
    """
    backup_folder = Path(backup_folder)
    if not backup_folder.is_dir():
        raise InvalidInput(
            f"自动备份文件夹 {backup_folder} 不存在（U 盘没有插上？），请插上或在设置中换一个文件夹"
        )
    moment = now or datetime.now()
    target = backup_folder / f"{AUTO_PREFIX}{moment.strftime(STAMP)}.zip"
    info = create(data_folder, target, now=moment)
    removed: list[Path] = []
    for _when, old in auto_backups(backup_folder)[: -max(keep, 1)]:
        with contextlib.suppress(FileNotFoundError):
            old.unlink()
            removed.append(old)
    return info, removed


# --- restore ------------------------------------------------------------------------------------


def _carry_token(current: Path, staging: Path) -> None:
    """A backup holds no server token; restoring on the laptop that has one keeps it."""
    from fieldapp import settings

    here = settings.load(current)
    if here.has_token and (staging / SETTINGS_FILE).is_file():
        restored = settings.load(staging)
        if not restored.server_token:
            # A token in the credential store is named after the data folder, which the
            # restored folder takes over: only the file's part needs carrying.
            kept = restored.replace(
                server_token=here.server_token, token_in_keyring=here.token_in_keyring
            )
            settings.save(staging, kept)


def _refuse(archive: Path, message: str, problems: list[Problem] | None = None) -> InvalidInput:
    return InvalidInput(
        f"备份文件 {archive} 不能恢复：{message}。现有数据没有改动。请换一份完好的备份文件。",
        problems,
    )


MAX_MANIFEST_BYTES = 16 * 1024 * 1024  # a year of photos lists well under a megabyte


def _safe_name(name: str) -> bool:
    pure = PurePosixPath(name)
    return bool(name) and not pure.is_absolute() and ".." not in pure.parts and "\\" not in name


def _read_manifest(archive: Path, zf: zipfile.ZipFile) -> dict[str, Any]:
    try:
        info = zf.getinfo(MANIFEST)
    except KeyError:
        raise _refuse(archive, f"缺少清单文件 {MANIFEST}（不是 fieldapp 的备份？）") from None
    if info.file_size > MAX_MANIFEST_BYTES:
        raise _refuse(archive, f"清单文件 {MANIFEST} 大得不正常（{info.file_size} 字节），已拒绝")
    try:
        with zf.open(info) as src:
            raw = src.read(MAX_MANIFEST_BYTES + 1)
    except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as exc:
        raise _refuse(archive, f"清单文件 {MANIFEST} 读取失败（{exc}）") from None
    if len(raw) > MAX_MANIFEST_BYTES:
        raise _refuse(archive, f"清单文件 {MANIFEST} 大得不正常，已拒绝")
    try:
        manifest = json.loads(raw.decode("utf-8"))
        files = manifest["files"]
        if not isinstance(files, list) or manifest.get("app") != paths.APP_NAME:
            raise ValueError
        for entry in files:
            if not isinstance(entry, dict) or not _safe_name(str(entry["path"])):
                raise ValueError
            if int(entry["size"]) < 0:
                raise ValueError
            str(entry["sha256"])
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise _refuse(archive, f"清单文件 {MANIFEST} 已损坏或格式不对") from None
    if int(manifest.get("format", 0)) > FORMAT:
        raise _refuse(archive, "备份由更新版本的 fieldapp 制作，请先升级 fieldapp")
    return dict(manifest)


def _extract_verified(archive: Path, zf: zipfile.ZipFile, entry: dict[str, Any], dest: Path) -> str:
    """Extract one file into ``dest``; return a problem message, or "" if it matches. The
    zip's declared size must be the manifest's, and extraction stops as soon as more bytes come
    out than the manifest lists: a small archive cannot fill the disk."""
    name = str(entry["path"])
    expected = int(entry["size"])
    target = dest.joinpath(*PurePosixPath(name).parts)
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    try:
        declared = zf.getinfo(name).file_size
        if declared != expected:
            return f"大小不符（清单为 {expected} 字节，压缩包声明 {declared} 字节）"
        with zf.open(name) as src, target.open("wb") as out:
            for chunk in iter(lambda: src.read(_CHUNK), b""):
                digest.update(chunk)
                size += len(chunk)
                if size > expected:
                    return f"大小不符（应为 {expected} 字节，实际更多）"
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
    except KeyError:
        return "清单中列出，但备份里没有这个文件"
    except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as exc:
        return f"读取失败（{exc}）"
    if size != int(entry["size"]):
        return f"大小不符（应为 {entry['size']} 字节，实为 {size} 字节）"
    if digest.hexdigest() != entry["sha256"]:
        return "内容与清单中的 SHA-256 不符（文件被改动或损坏）"
    return ""


def _check_database(archive: Path, database: Path) -> None:
    try:
        connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
        connection.row_factory = sqlite3.Row
        try:
            checked = connection.execute("PRAGMA integrity_check")
            result = [row["integrity_check"] for row in checked]
        finally:
            connection.close()
    except sqlite3.DatabaseError as exc:
        raise _refuse(archive, f"数据库文件无法打开（{exc}）") from None
    if result != ["ok"]:
        raise _refuse(archive, "数据库完整性检查未通过：" + "；".join(map(str, result[:5])))
    schema = schema_revision(database)
    from fieldapp.storage import db

    if schema is not None and schema not in db.known_revisions():
        raise _refuse(
            archive, f"数据库版本 {schema} 来自更新版本的 fieldapp，请先升级 fieldapp 再恢复"
        )


def _check_opens(archive: Path, staging: Path) -> None:
    """Open the staged data as the app will (migrating an older schema there, in staging) and
    read every table the app reads: a database that passes SQLite's checks but that the app
    cannot open (no schema version with tables of its own, a schema version with no tables) is
    refused before anything is swapped."""
    from sqlalchemy import func, select

    from fieldapp.storage.models import Base
    from fieldapp.store import Store

    if schema_revision(paths.database_path(staging)) is None:
        raise _refuse(archive, "备份里的数据库不是 fieldapp 的数据库（没有架构版本）")
    try:
        with Store.open(staging) as store, store.read() as session:
            for table in Base.metadata.sorted_tables:
                session.execute(select(func.count()).select_from(table)).scalar()
    except Exception as exc:  # any reason the app could not open it refuses the restore
        log.warning("restore: the staged database does not open", exc_info=True)
        raise _refuse(archive, f"备份里的数据库不能被本程序打开（{exc}）") from None


@dataclass
class StagedRestore:
    """A verified copy of the archive's data beside the data folder, ready to swap in."""

    archive: Path
    data_folder: Path
    staging: Path
    manifest: dict[str, Any]

    def discard(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)

    def swap(self, *, now: datetime | None = None) -> RestoreResult:
        """Put the verified data in place; the current data is kept beside it, renamed.

        Call only when nothing has the database open (close the store first). The log file is
        closed meanwhile: Windows cannot rename a folder holding an open file.
        """
        with logs.suspended():
            return self._swap(now)

    def _swap(self, now: datetime | None) -> RestoreResult:
        stamp = (now or datetime.now()).strftime(STAMP)
        previous: Path | None = None
        if self.data_folder.exists():
            previous = self.data_folder.with_name(f"{self.data_folder.name}{BEFORE_RESTORE}{stamp}")
            n = 1
            while previous.exists():
                n += 1
                previous = previous.with_name(f"{self.data_folder.name}{BEFORE_RESTORE}{stamp}-{n}")
            for carried in CARRIED_OVER:
                with contextlib.suppress(OSError):
                    shutil.copytree(self.data_folder / carried, self.staging / carried)
            _carry_token(self.data_folder, self.staging)
            try:
                os.rename(self.data_folder, previous)
            except OSError as exc:
                self.discard()
                raise FieldappError(
                    f"不能改名数据目录 {self.data_folder}（{exc.strerror}）：可能 fieldapp 窗口"
                    "或其他程序正在使用它。请关闭 fieldapp 窗口后再恢复。现有数据没有改动。"
                ) from None
        try:
            os.rename(self.staging, self.data_folder)
        except OSError:
            if previous is not None:
                os.rename(previous, self.data_folder)
            self.discard()
            raise
        log.info(
            "restored %s into %s; previous data kept in %s",
            self.archive,
            self.data_folder,
            previous,
        )
        return RestoreResult(
            self.data_folder,
            previous,
            len(self.manifest["files"]),
            self.manifest.get("schema"),
            str(self.manifest.get("created_at", "")),
        )


def prepare_restore(archive: Path, data_folder: Path) -> StagedRestore:
    """Extract and verify ``archive`` beside ``data_folder``; the data folder is not touched."""
    archive = Path(archive)
    data_folder = Path(data_folder).resolve()
    if not archive.is_file():
        raise InvalidInput(f"找不到备份文件 {archive}，请检查文件名和位置")
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise _refuse(archive, f"不是完整的 zip 文件（可能复制时中断）：{exc}") from None
    with zf:
        manifest = _read_manifest(archive, zf)
        listed = {str(e["path"]) for e in manifest["files"]}
        if paths.DATABASE_FILE not in listed:
            raise _refuse(archive, f"备份里没有数据库文件 {paths.DATABASE_FILE}")
        extra = sorted(set(zf.namelist()) - listed - {MANIFEST})
        problems = [
            Problem(where=name, message="清单中没有这个文件（备份被改动过）") for name in extra
        ]
        data_folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(
            tempfile.mkdtemp(prefix=f".{data_folder.name}.restore-", dir=data_folder.parent)
        )
        try:
            needed = sum(int(e["size"]) for e in manifest["files"])
            free = shutil.disk_usage(staging).free
            if not problems and needed > free:
                raise _refuse(
                    archive,
                    f"恢复需要 {needed // (1024 * 1024)} MB，磁盘只剩 {free // (1024 * 1024)} MB；"
                    "请先腾出空间",
                )
            if not problems:
                for entry in manifest["files"]:
                    message = _extract_verified(archive, zf, entry, staging)
                    if message:
                        problems.append(Problem(where=str(entry["path"]), message=message))
            if problems:
                raise _refuse(archive, f"有 {len(problems)} 个文件未通过校验", problems)
            _check_database(archive, paths.database_path(staging))
            _check_opens(archive, staging)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return StagedRestore(archive, data_folder, staging, manifest)


def restore(archive: Path, data_folder: Path, *, now: datetime | None = None) -> RestoreResult:
    """Verify ``archive`` completely, then swap it in as ``data_folder`` (see the module doc)."""
    return prepare_restore(archive, data_folder).swap(now=now)


def read_manifest(archive: Path) -> dict[str, Any]:
    """The manifest of a backup archive (for showing what it holds before restoring)."""
    archive = Path(archive)
    try:
        with zipfile.ZipFile(archive) as zf:
            return _read_manifest(archive, zf)
    except (zipfile.BadZipFile, OSError) as exc:
        raise _refuse(archive, f"不是完整的 zip 文件（可能复制时中断）：{exc}") from None
