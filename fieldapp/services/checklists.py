"""Keep a snapshot of every checklist version in the store, and read pinned versions back."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldapp.checklists import Checklist, Library, LoadedChecklist
from fieldapp.errors import NotFound
from fieldapp.storage.models import ChecklistSnapshot


def record_snapshots(session: Session, library: Library, *, write: bool = True) -> list[str]:
    """Store each version seen for the first time; report files that changed a recorded version.

    Each loaded file is compared with its snapshot by content hash, so a file that did not change
    costs a comparison and no write: only a version never recorded adds a row, once. A changed
    file does not replace the recorded content: the library entry for that version is swapped back
    to the snapshot, so evaluations made against it keep the wording they had. With
    ``write=False`` (a store opened read-only) nothing is added; versions not recorded yet are read
    from their files, and changed files are still reported and swapped back.
    """
    problems: list[str] = []
    rows = session.execute(
        select(ChecklistSnapshot.checklist_id, ChecklistSnapshot.version, ChecklistSnapshot.sha256)
    )
    known = {(row.checklist_id, row.version): row.sha256 for row in rows}
    for entry in library.all():
        checklist = entry.checklist
        digest = checklist.content_hash()
        recorded = known.get(checklist.key)
        if recorded == digest:
            continue
        if recorded is None:
            if write:
                session.add(
                    ChecklistSnapshot(
                        checklist_id=checklist.id,
                        version=checklist.version,
                        sha256=digest,
                        title=checklist.title,
                        content_json=checklist.canonical_json(),
                    )
                )
                known[checklist.key] = digest
            continue
        problems.append(
            f"{entry.path}：检查表 {checklist.id} 第 {checklist.version} 版的内容与已记录的不同。"
            f"已做的评价按原内容保存；请把文件中的 version 改为新的版本号"
        )
        snapshot = session.get(ChecklistSnapshot, checklist.key)
        assert snapshot is not None
        original = Checklist.model_validate_json(snapshot.content_json)
        library.entries[checklist.key] = LoadedChecklist(original, entry.path, entry.origin)
    return problems


def pinned(session: Session, library: Library | None, checklist_id: str, version: int) -> Checklist:
    """The exact checklist an evaluation was made against, even if its file is gone.

    Without a library (a reader that has no checklist folder), the store's snapshot is used.
    """
    if library is not None:
        try:
            return library.get(checklist_id, version)
        except NotFound:
            pass
    snapshot = session.get(ChecklistSnapshot, (checklist_id, version))
    if snapshot is None:
        raise NotFound(f"没有检查表 {checklist_id} 第 {version} 版")
    return Checklist.model_validate_json(snapshot.content_json)


class ItemTexts:
    """Items and titles of pinned checklist versions, each version read once."""

    UNKNOWN = (10_000, "")  # position and text of an item not found: sorts after the others

    def __init__(self, session: Session) -> None:
        self.session = session
        self._cache: dict[tuple[str, int], Checklist | None] = {}
        self._items: dict[tuple[str, int], dict[str, tuple[int, str]]] = {}

    def checklist(self, checklist_id: str, version: int) -> Checklist | None:
        key = (checklist_id, version)
        if key not in self._cache:
            try:
                self._cache[key] = pinned(self.session, None, checklist_id, version)
            except NotFound:
                self._cache[key] = None
        return self._cache[key]

    def entry(self, checklist_id: str, version: int, code: str) -> tuple[int, str]:
        """Position of item ``code`` in its checklist and its text (:attr:`UNKNOWN` if missing)."""
        key = (checklist_id, version)
        if key not in self._items:
            checklist = self.checklist(checklist_id, version)
            items = checklist.items if checklist is not None else []
            self._items[key] = {item.code: (n, item.text) for n, item in enumerate(items)}
        return self._items[key].get(code, self.UNKNOWN)

    def text(self, checklist_id: str, version: int, code: str) -> str:
        return self.entry(checklist_id, version, code)[1]

    def title(self, checklist_id: str, version: int) -> str:
        checklist = self.checklist(checklist_id, version)
        return checklist.title if checklist is not None else checklist_id
