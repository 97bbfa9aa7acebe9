"""``fieldapp sync``: send finalised evaluations to the county server and bring its changes back.

``fieldapp sync --server URL --token TOKEN`` remembers both in the settings, so afterwards a bare
``fieldapp sync`` is enough. ``fieldapp sync export -o BUNDLE.zip`` is the offline way;
``fieldapp sync status`` shows what is waiting, the ledger of batches, and returned evaluations.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fieldapp.cli.common import EXIT_INVALID, EXIT_OK, Parser, UsageError
from fieldapp.textout import ProgressLine, print_json

if TYPE_CHECKING:
    from fieldapp.settings import Settings
    from fieldapp.store import Store


def _remember(args: argparse.Namespace, store: Store) -> Settings:
    from fieldapp import settings as settings_module

    current = settings_module.load(store.folder)
    changes: dict[str, Any] = {}
    if args.server is not None:
        url = args.server.strip().rstrip("/")
        if not url.startswith(("http://", "https://")):
            raise UsageError(f"服务器地址「{url}」应以 https:// 或 http:// 开头")
        changes["server_url"] = url
    if args.token is not None:
        changes["server_token"] = args.token.strip()
    if args.ca_bundle is not None:
        changes["ca_bundle"] = args.ca_bundle
    if changes:
        current = current.replace(**changes)
        settings_module.save(store.folder, current)
    return current


def cmd_sync(args: argparse.Namespace, store: Store) -> int:
    from fieldapp.sync.client import run_sync

    _remember(args, store)  # saved: the sync reads the store's settings as saved

    lines: dict[str, ProgressLine] = {}

    def progress(stage: str, done: int, total: int) -> None:
        # One line per stage, redrawn in place on a terminal (a few lines in a log otherwise).
        if not args.quiet and total:
            lines.setdefault(stage, ProgressLine(stage))(done, total)

    report = run_sync(store, progress=progress)
    if args.json:
        print_json(report.__dict__)
    else:
        print(report.summary())
    return EXIT_INVALID if report.conflicts else EXIT_OK


def cmd_export(args: argparse.Namespace, store: Store) -> int:
    from fieldapp import settings as settings_module
    from fieldapp.sync.bundle import export

    counts = export(store, settings_module.load(store.folder), Path(args.output))
    print(
        f"已导出 {counts['evaluations']} 份评价、{counts['unit_changes']} 条单位变更、"
        f"{counts['blobs']} 个照片和签名（{counts['bytes'] / 1_048_576:.1f} MB）到 {args.output}。"
        "请交县局用 fieldapp-server import 导入；下次联网同步时会得到服务器的回执"
    )
    return EXIT_OK


def cmd_status(args: argparse.Namespace, store: Store) -> int:
    from fieldapp import settings as settings_module
    from fieldapp.services import cases as case_service
    from fieldapp.sync import state

    with store.read() as session:
        last = state.last_sync(session)
        data: dict[str, Any] = {
            "pending": state.pending_count(session),
            "last_sync_at": last.isoformat() if last else None,
            "server_url": settings_module.load(store.folder).server_url,
            "returned": [
                {"id": e.id, "uuid": e.uuid, "unit": e.unit.name, "comment": s.review_comment}
                for e, s in state.returned(session)
            ],
            "unit_conflicts": [
                {"credit_code": u.credit_code, "unit": u.name, "message": message}
                for u, message in state.unit_conflicts(session)
            ],
            "cases_pending": case_service.pending_count(session),
            "case_conflicts": [
                {"id": c.id, "unit": unit, "message": c.sync_conflict}
                for c, unit in case_service.refused(session)
            ],
            "batches": [
                {
                    "batch_id": b.batch_id,
                    "source": b.source,
                    "status": b.status,
                    "started_at": b.started_at.isoformat(),
                    "evaluations": b.evaluations,
                    "accepted": b.accepted,
                    "conflicts": b.conflicts,
                    "error": b.error,
                }
                for b in state.ledger(session)
            ],
        }
    if args.json:
        print_json(data)
        return EXIT_OK
    print(f"未同步的已定稿评价：{data['pending']} 份；上次同步：{data['last_sync_at'] or '从未'}")
    for r in data["returned"]:
        print(f"被退回：评价 {r['id']}（{r['unit']}）：{r['comment']}")
    for c in data["unit_conflicts"]:
        print(f"单位未同步：{c['unit']}（{c['credit_code']}）：{c['message']}")
    if data["cases_pending"]:
        print(f"未同步的联络站台账：{data['cases_pending']} 条")
    for c in data["case_conflicts"]:
        print(f"台账未同步：台账 {c['id']}（{c['unit']}）：{c['message']}")
    for b in data["batches"][:10]:
        print(
            f"{b['started_at']}  {b['batch_id']}  {b['source']}  {b['status']}  "
            f"评价 {b['accepted']}/{b['evaluations']}  {b['error'][:80]}"
        )
    return EXIT_OK


def register(sub: Any) -> None:
    """Add ``sync`` to the main parser's subcommands."""
    p = sub.add_parser("sync", help="与县局服务器同步（或导出离线数据包）")
    p.add_argument("--server", metavar="URL", help="县局服务器地址（记住，下次不必再给）")
    p.add_argument("--token", help="本人的令牌（记住，下次不必再给）")
    p.add_argument("--ca-bundle", metavar="PEM", help="县局自建证书的 CA 文件")
    p.add_argument("--json", action="store_true", help="以 JSON 输出同步结果")
    p.add_argument("--quiet", action="store_true", help="不显示进度")
    p.set_defaults(func=cmd_sync)
    actions = p.add_subparsers(dest="sync_action", metavar="操作", parser_class=Parser)
    e = actions.add_parser("export", help="导出离线同步数据包（ZIP），交县局导入")
    e.add_argument("-o", "--output", required=True, metavar="BUNDLE.zip")
    e.set_defaults(func=cmd_export)
    s = actions.add_parser("status", help="未同步的评价、同步记录和被退回的评价")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_status)
