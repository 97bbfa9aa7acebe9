"""``fieldapp checklists list|check``: the checklist library and checking a county's files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fieldapp.cli.common import EXIT_INVALID, EXIT_OK, Parser
from fieldapp.domain.vocab import industry_label
from fieldapp.errors import InvalidInput
from fieldapp.textout import print_json, table

if TYPE_CHECKING:
    from fieldapp.store import Store


def cmd_list(args: argparse.Namespace, store: Store) -> int:
    entries = store.library.all()
    if args.json:
        print_json(
            [
                {
                    "id": e.checklist.id,
                    "version": e.checklist.version,
                    "title": e.checklist.title,
                    "kind": e.checklist.kind,
                    "items": len(e.checklist.items),
                    "unit_types": [t.value for t in e.checklist.applies.unit_types],
                    "industries": e.checklist.applies.industries,
                    "responsible": e.checklist.responsible,
                    "item_list": [
                        {
                            "code": item.code,
                            "text": item.text,
                            "group": item.group,
                            "source": item.source,
                            "photo_required": item.photo_required,
                            "gate": item.gate,
                            "same_as": item.same_as,
                            "applies_when": (
                                item.applies_when.model_dump(mode="json")
                                if item.applies_when is not None
                                else None
                            ),
                        }
                        for item in e.checklist.items
                    ],
                    "origin": e.origin,
                    "path": str(e.path),
                    "sha256": e.checklist.content_hash(),
                }
                for e in entries
            ]
        )
    else:
        rows = [
            (
                e.checklist.id,
                e.checklist.version,
                e.checklist.title,
                len(e.checklist.items),
                "、".join(t.label for t in e.checklist.applies.unit_types) or "全部",
                "、".join(industry_label(i) for i in e.checklist.applies.industries) or "不限",
                e.origin.label,
            )
            for e in entries
        ]
        print(table(("编号", "版本", "名称", "条目", "适用单位类型", "行业", "来源"), rows, {1, 3}))
        print(f"\n共 {len(entries)} 张检查表；县局检查表放在 {store.folder / 'checklists'}")
    for problem in store.library.problems:
        print(f"警告：{problem}", file=sys.stderr)
    return EXIT_INVALID if store.library.problems else EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from fieldapp.checklists import Library, load_file  # pydantic: only for this command
    from fieldapp.checklists.loader import item_links, link_problems

    failed = 0
    checked = []
    for raw in args.paths:
        path = Path(raw)
        files = sorted(path.glob("*.toml")) if path.is_dir() else [path]
        if not files:
            print(f"{path}：文件夹中没有 .toml 检查表文件", file=sys.stderr)
            failed += 1
        for file in files:
            try:
                checklist = load_file(file)
            except InvalidInput as exc:
                failed += 1
                print(str(exc), file=sys.stderr)
                continue
            checked.append((file, checklist))
    # same_as to other checklists: those bundled, as the files being checked replace them
    bundled = Library.load()
    codes = {cid: item_links(bundled.latest(cid)) for cid in bundled.ids()}
    codes |= {c.id: item_links(c) for _, c in checked}
    for file, checklist in checked:
        problems = link_problems(checklist, file, codes)
        if problems:
            failed += 1
            print(
                InvalidInput(f"{file}：检查表内容有 {len(problems)} 处错误", problems),
                file=sys.stderr,
            )
            continue
        print(
            f"{file}：正确（{checklist.id} 第 {checklist.version} 版，{len(checklist.items)} 条）"
        )
    return EXIT_INVALID if failed else EXIT_OK


def register(sub: Any) -> None:
    """Add ``checklists`` (list, check) to the main parser's subcommands."""
    checklists = sub.add_parser("checklists", help="检查表：列出、检查文件").add_subparsers(
        dest="action", metavar="操作", required=True, parser_class=Parser
    )
    p = checklists.add_parser("list", help="列出所有检查表及版本")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_list)
    p = checklists.add_parser("check", help="检查检查表文件格式")
    p.add_argument("paths", nargs="+", metavar="PATH", help=".toml 文件或文件夹")
    p.set_defaults(func=cmd_check, no_store=True)
