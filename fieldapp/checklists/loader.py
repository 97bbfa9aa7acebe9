"""Load checklist files, validate them, and keep every version side by side.

Bundled files live in ``fieldapp/checklists/bundled/``; a county adds its own in the data folder's
``checklists/`` subfolder. Each (id, version) is immutable: a file that reuses an existing id and
version with different content is refused, so an evaluation pinned to that version never changes.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from fieldapp.checklists.schema import Checklist
from fieldapp.domain.records import ChecklistOrigin
from fieldapp.domain.verdict import ChecklistKind
from fieldapp.domain.vocab import UnitType
from fieldapp.errors import InvalidInput, NotFound, Problem

BUNDLED_DIR = Path(__file__).resolve().parent / "bundled"

_KIND_ORDER = {kind: n for n, kind in enumerate(ChecklistKind)}

_PYDANTIC_MESSAGES = {
    "missing": "缺少必填字段",
    "extra_forbidden": "未知字段（拼写错误？请对照 FORMAT.md）",
    "string_too_short": "不能为空",
    "too_short": "至少要有一项",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false",
    "string_type": "应为文字（用英文双引号括起来）",
    "list_type": '应为列表，例如 ["a", "b"]',
    "greater_than_equal": "数值太小",
    "model_type": '应为花括号里的条件，例如 { flags = ["农村"] }',
    "dict_type": '应为花括号里的条件，例如 { flags = ["农村"] }',
}


@dataclass(frozen=True)
class LoadedChecklist:
    checklist: Checklist
    path: Path
    origin: ChecklistOrigin


MAX_FILE_BYTES = 2 * 1024 * 1024  # the biggest bundled checklist is about 20 KB
TOO_DEEP = "内容嵌套层数太多，不是检查表的格式。请检查文件是否正确"


_ITEMS_HEADER = re.compile(r"^\s*\[\[\s*items\s*\]\]")
_TABLE_HEADER = re.compile(r"^\s*\[")


def item_line(text: str, index: int, key: str | None = None) -> int | None:
    """The line (from 1) of the ``index``-th ``[[items]]`` block of a TOML file, or of its
    ``key`` line when it has one; None when the text has no such block (a JSON file)."""
    lines = text.splitlines()
    headers = [n for n, line in enumerate(lines) if _ITEMS_HEADER.match(line)]
    if index >= len(headers):
        return None
    start = headers[index]
    if key is not None:
        for n in range(start + 1, len(lines)):
            if _TABLE_HEADER.match(lines[n]):
                break
            if re.match(rf"^\s*{re.escape(key)}\s*=", lines[n]):
                return n + 1
    return start + 1


def _describe(
    error: ErrorDetails, data: dict[str, object], text: str = ""
) -> tuple[str | None, int | None, str]:
    """Turn one pydantic error into (item code, line, Chinese message with the field name)."""
    loc = [str(p) for p in error["loc"]]
    item_code: str | None = None
    line: int | None = None
    if len(loc) >= 2 and loc[0] == "items" and loc[1].isdigit():
        index = int(loc[1])
        items = data.get("items")
        if isinstance(items, list) and index < len(items) and isinstance(items[index], dict):
            item_code = str(items[index].get("code") or f"第 {index + 1} 条")
        else:
            item_code = f"第 {index + 1} 条"
        loc = loc[2:]
        line = item_line(text, index, loc[0] if loc else None)
    kind = error["type"]
    if kind in ("value_error", "assertion_error"):
        message = error["msg"].removeprefix("Value error, ")
    elif kind in ("literal_error", "enum"):
        message = f"取值不对：{error['msg']}"
    elif kind == "string_pattern_mismatch":
        message = f"格式不对（应符合 {error.get('ctx', {}).get('pattern')}）"
    else:
        message = _PYDANTIC_MESSAGES.get(kind, error["msg"])
    field_name = ".".join(loc)
    if field_name:
        message = f"字段「{field_name}」{message}"
    return item_code, line, message


def load_file(path: Path) -> Checklist:
    """Parse and validate one checklist file; raise InvalidInput naming every problem.

    ``.toml`` is the format people write; ``.json`` is what the county server hands out (the
    checklist's canonical JSON), saved by sync in ``<data>/checklists/server/``.
    """
    where = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InvalidInput(
                f"{where}：文件太大（{size // 1024} KB，检查表最多 {MAX_FILE_BYTES // 1024} KB），"
                "请检查是否选错了文件"
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"{where}：无法读取文件（{exc.strerror}）") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"{where}：文件不是 UTF-8 编码。请在记事本中“另存为”，编码选 UTF-8"
        ) from exc
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except RecursionError:
            raise InvalidInput(f"{where}：{TOO_DEEP}") from None
        except ValueError as exc:
            raise InvalidInput(
                f"{where}：JSON 格式错误：{exc}。这是县局服务器下发的文件，请重新同步"
            ) from exc
    else:
        try:
            data = tomllib.loads(text)
        except RecursionError:
            raise InvalidInput(f"{where}：{TOO_DEEP}") from None
        except tomllib.TOMLDecodeError as exc:
            raise InvalidInput(
                f"{where}：TOML 格式错误：{exc}。常见原因：文字没有用英文双引号括起来，或用了中文引号"
            ) from exc
    try:
        checklist = Checklist.model_validate(data)
    except RecursionError:
        raise InvalidInput(f"{where}：{TOO_DEEP}") from None
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            item, line, message = _describe(error, data, text)
            problems.append(Problem(where=path.name, row=line, item=item, message=message))
        raise InvalidInput(f"{where}：检查表内容有 {len(problems)} 处错误", problems) from exc
    links = link_problems(checklist, path, None, text)
    if links:
        raise InvalidInput(f"{where}：检查表内容有 {len(links)} 处错误", links)
    return checklist


def link_problems(
    checklist: Checklist,
    path: Path,
    others: dict[str, dict[str, bool]] | None,
    text: str | None = None,
) -> list[Problem]:
    """The checklist's ``same_as`` problems, each naming the file, line and item."""
    found = checklist.link_problems(others)
    if found and text is None:
        try:
            text = path.read_text("utf-8-sig")
        except (OSError, UnicodeDecodeError):
            text = ""
    return [
        Problem(
            where=path.name,
            row=item_line(text or "", index, "same_as"),
            item=checklist.items[index].code,
            message=message,
        )
        for index, message in found
    ]


def item_links(checklist: Checklist) -> dict[str, bool]:
    """Each item code of the checklist, with whether it is answered through another."""
    return {item.code: bool(item.same_as) for item in checklist.items}


@dataclass
class Library:
    """Every checklist version that was loaded, and the problems found while loading."""

    entries: dict[tuple[str, int], LoadedChecklist] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @classmethod
    def load(
        cls,
        county_dir: Path | None = None,
        bundled_dir: Path = BUNDLED_DIR,
        server_dir: Path | None = None,
    ) -> Library:
        """Bundled files, then the county's own (``*.toml``), then those the server sent."""
        library = cls()
        library.add_folder(bundled_dir, ChecklistOrigin.BUNDLED)
        if county_dir is not None and county_dir.is_dir():
            library.add_folder(county_dir, ChecklistOrigin.COUNTY)
        if server_dir is not None and server_dir.is_dir():
            library.add_folder(server_dir, ChecklistOrigin.SERVER, pattern="*.json")
        library.problems.extend(str(p) for p in library.link_problems())
        return library

    def link_problems(self) -> list[Problem]:
        """``same_as`` references to other checklists that no loaded version has (each checked
        against the latest version of the checklist it names, the one new evaluations use)."""
        codes = {cid: item_links(self.latest(cid)) for cid in self.ids()}
        found: list[Problem] = []
        for entry in self.all():
            found.extend(link_problems(entry.checklist, entry.path, codes))
        return found

    def add_folder(self, folder: Path, origin: ChecklistOrigin, pattern: str = "*.toml") -> None:
        for path in sorted(folder.glob(pattern)):
            try:
                self.add(load_file(path), path, origin)
            except InvalidInput as exc:
                self.problems.append(str(exc))

    def add(self, checklist: Checklist, path: Path, origin: ChecklistOrigin) -> None:
        existing = self.entries.get(checklist.key)
        if existing is not None:
            if existing.checklist.content_hash() != checklist.content_hash():
                raise InvalidInput(
                    f"{path}：检查表 {checklist.id} 第 {checklist.version} 版已由 "
                    f"{existing.path.name} 定义，内容不同。修改检查表时请把 version 加 1，"
                    "已做的评价仍按旧版本保存"
                )
            return
        self.entries[checklist.key] = LoadedChecklist(checklist, path, origin)

    def all(self) -> list[LoadedChecklist]:
        return sorted(self.entries.values(), key=_sort_key)

    def ids(self) -> list[str]:
        return sorted({key[0] for key in self.entries})

    def get(self, checklist_id: str, version: int) -> Checklist:
        try:
            return self.entries[(checklist_id, version)].checklist
        except KeyError:
            raise NotFound(f"没有检查表 {checklist_id} 第 {version} 版") from None

    def latest(self, checklist_id: str) -> Checklist:
        versions = [key[1] for key in self.entries if key[0] == checklist_id]
        if not versions:
            raise NotFound(f"没有检查表 {checklist_id}")
        return self.entries[(checklist_id, max(versions))].checklist

    def compose(self, unit_type: UnitType, industry: str | None) -> list[Checklist]:
        """The latest version of every checklist that applies: 八有八无 + "1" + matching "X"."""
        chosen = [self.latest(cid) for cid in self.ids()]
        applicable = [c for c in chosen if c.applies.matches(unit_type, industry)]
        return in_display_order(applicable)


def in_display_order(checklists: Iterable[Checklist]) -> list[Checklist]:
    """八有八无 first, then the "1" general standard, then the "X" modules by their order."""
    return sorted(checklists, key=lambda c: (_KIND_ORDER[c.kind], c.order, c.id))


def _sort_key(entry: LoadedChecklist) -> tuple[int, int, str, int]:
    c = entry.checklist
    return (_KIND_ORDER[c.kind], c.order, c.id, c.version)
