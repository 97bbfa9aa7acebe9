"""``fieldapp evaluations …`` and ``fieldapp photos export``: on-site evaluations from the shell.

Registered by :func:`fieldapp.cli.app.build_parser`; the commands share its exit codes and errors.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fieldapp.cli.common import (
    EXIT_INVALID,
    EXIT_OK,
    Parser,
    UsageError,
    change_of,
    date_arg,
    inspector_of,
)
from fieldapp.domain.lifecycle import State
from fieldapp.domain.records import SignerRole
from fieldapp.domain.verdict import Answer, Outcome
from fieldapp.errors import NotFound
from fieldapp.textout import print_json, table

if TYPE_CHECKING:
    from fieldapp.services import evaluations as service
    from fieldapp.services.evidence import EvidenceFlag
    from fieldapp.services.unit_changes import Proposal
    from fieldapp.store import Store

# The services (and the photo and sync code they import) load when a command runs, not while the
# parser is built.


def _kind_arg(text: str) -> service.Kind:
    from fieldapp.services import evaluations as service

    kind = service.parse_kind(text)
    if kind is None:
        allowed = "、".join(f"{k.value}（{k.label}）" for k in service.Kind)
        raise UsageError(f"未知的评价类型「{text}」，可用：{allowed}")
    return kind


def _verdict_label(verdict: str | None) -> str:
    return Outcome(verdict).label if verdict else "—"


def cmd_new(args: argparse.Namespace, store: Store) -> int:
    from fieldapp.services import evaluations as service
    from fieldapp.services import units

    kind = _kind_arg(args.kind)
    with store.session() as session:
        unit = units.by_code(session, args.unit)
        evaluation = service.start(
            session,
            store.library,
            unit,
            kind,
            inspector_of(args, store),
            add=args.add_checklist or (),
            remove=args.without or (),
        )
        pins = "、".join(f"{p.checklist_id} 第 {p.version} 版" for p in evaluation.checklists)
        print(f"已新建{kind.label}：{unit.name}（{unit.credit_code}），检查表：{pins}")
        if evaluation.follows_id is not None:
            items = service.followups(session, evaluation, store.library)
            codes = "、".join(i.code for i in items)
            print(f"复查评价 {evaluation.follows_id} 的 {len(items)} 项整改：{codes}")
        elif kind in service.FOLLOW_KINDS:
            print("该单位没有待复查的整改项，按常规检查表新建")
        print(evaluation.id)
    return EXIT_OK


def cmd_answer(args: argparse.Namespace, store: Store) -> int:
    from fieldapp.services import evaluations as service

    with store.session() as session:
        evaluation = service.get(session, args.id)
        row = service.answer(
            session,
            store.library,
            evaluation,
            args.item,
            args.result,
            note=args.note or "",
            rectify=args.rectify,
            due=date_arg(args.due),
        )
        extra = f"，整改：{row.rectify}，期限 {row.due}" if row.rectify else ""
        print(f"评价 {evaluation.id} 条目 {row.item_code}：{Answer(row.result).label}{extra}")
    return EXIT_OK


def cmd_attach(args: argparse.Namespace, store: Store) -> int:
    from fieldapp import settings
    from fieldapp.services import evaluations as service

    with store.session() as session:
        evaluation = service.get(session, args.id)
        added = service.attach(
            session,
            store.photos,
            evaluation,
            args.files,
            args.item,
            library=store.library,
            max_side=settings.load(store.folder).photo_long_side,
        )
        where = f"条目 {args.item}" if args.item else "整体"
        skipped = len(args.files) - len(added)
        again = f"（{skipped} 张已附过，未重复保存）" if skipped else ""
        print(f"评价 {evaluation.id} {where}：已附 {len(added)} 张照片{again}")
    return EXIT_OK


def cmd_detach(args: argparse.Namespace, store: Store) -> int:
    from fieldapp.services import evaluations as service

    with store.session() as session:
        evaluation = service.get(session, args.id)
        row = service.remove_photo(session, evaluation, args.photo_id, store.photos)
        where = f"条目 {row.item_code}" if row.item_code else "整体"
        print(f"评价 {evaluation.id} {where}：已移除照片 {row.id}（{row.original_name}）")
    return EXIT_OK


def cmd_sign(args: argparse.Namespace, store: Store) -> int:
    from fieldapp.services import evaluations as service

    with store.session() as session:
        evaluation = service.get(session, args.id)
        signature = service.sign(
            session, store.signatures, evaluation, args.role, args.name, args.image
        )
        label = service.Role(signature.role).label
        print(f"评价 {evaluation.id}：已记录{label}签名（{signature.name}）")
    return EXIT_OK


def _state_label(state: State | None) -> str:
    return state.label if state else "（无状态）"


def next_step(proposal: Proposal, code: str) -> str:
    """What a finalised 后评价 proposes, as one line ending in the command that does it."""
    current = _state_label(proposal.current)
    if proposal.target is None:
        return f"单位保持「{current}」：{proposal.reason}" if proposal.reason else ""
    move = f"fieldapp units move {code} --to {proposal.target.label}"
    if proposal.refusal:
        return f"暂不能变为「{proposal.target.label}」：{proposal.refusal}"
    if proposal.needs_county:
        return f"命名须县局确认（审慎培育）：由县局账号执行 {move} --county-confirm --reason 原因"
    if proposal.target is State.WARNING:
        due = proposal.due.isoformat() if proposal.due else "未定"
        return f"下一步：{move} --reason 后评价需整改（整改期限 {due}），或加 --accept 立即转入"
    return f"下一步：{move}，或加 --accept 立即命名"


def _print_evidence(flags: Sequence[EvidenceFlag], indent: str = "") -> None:
    """The evidence flags under a heading that says they do not block finalising."""
    if flags:
        print(f"{indent}证据提示（{len(flags)} 条，不影响定稿）：")
        for flag in flags:
            print(f"{indent}  - {flag.text}")


def cmd_finalize(args: argparse.Namespace, store: Store) -> int:
    from fieldapp.services import evaluations as service
    from fieldapp.services import evidence, unit_changes

    with store.session() as session:
        evaluation = service.get(session, args.id)
        service.finalize(session, store.library, evaluation)
        print(f"评价 {evaluation.id} 已定稿：{evaluation.verdict_text}")
        code = evaluation.unit.credit_code
    with store.read() as session:
        evaluation = service.get(session, args.id)
        proposal = unit_changes.propose(session, evaluation)
        flags = evidence.for_evaluation(session, args.id)
    _print_evidence(flags)
    if proposal is None:
        return EXIT_OK
    line = next_step(proposal, code)
    if not args.accept:
        if line:
            print(line)
        return EXIT_OK
    if not proposal.actionable:
        print(f"未变更单位状态。{line}" if line else "未变更单位状态")
        return EXIT_INVALID if proposal.target is not None else EXIT_OK
    with store.session() as session:
        event = unit_changes.accept_proposal(
            session, proposal, change_of(args, store, source="评价定稿")
        )
        print(f"已变更：{unit_changes.event_summary(event)}（{event.occurred_on}）")
    return EXIT_OK


def cmd_show(args: argparse.Namespace, store: Store) -> int:
    from fieldapp.services import evaluations as service
    from fieldapp.services import evidence

    with store.read() as session:
        evaluation = service.get(session, args.id)
        data = service.detail(session, store.library, evaluation)
        flags = evidence.for_evaluation(session, evaluation.id)
    data["evidence_flags"] = [flag.as_dict() for flag in flags]
    if args.json:
        print_json(data)
        return EXIT_OK
    unit = data["unit"]
    print(f"评价 {data['id']}：{unit['name']}（{unit['credit_code']}）")
    print(
        f"  类型：{data['kind_label']}    检查人员：{data['inspector']}    开始：{data['started_at']}"
    )
    status = service.STATUS_LABELS.get(data["status"], data["status"])
    print(f"  状态：{status}    结论：{data['verdict_text'] or '—'}")
    _print_evidence(flags, indent="  ")
    if data["replaces"]:
        print(f"  修订自评价 {data['replaces']}")
    follow_up = data["follows"] is not None
    if follow_up:
        print(f"  复查评价 {data['follows']} 的整改项（「上次」为当时的结果）")
    photo_counts: dict[Any, int] = {}
    for photo in data["photos"]:
        photo_counts[photo["item"]] = photo_counts.get(photo["item"], 0) + 1
    rows = []
    for item in data["items"]:
        result = Answer(item["result"]).label if item["result"] else "未检查"
        if item["same_as"]:  # answered through other items, as the window shows it
            result = f"{result} · {item['same_as']}" if item["result"] else item["same_as"]
        if follow_up:
            old = item["previous"]["result"]
            result = f"上次{Answer(old).label if old else '未检查'} → {result}"
            if item["previous"]["rectify"] and not item["rectify"]:
                item = {
                    **item,
                    "rectify": item["previous"]["rectify"],
                    "due": item["previous"]["due"],
                }
        rows.append(
            (
                item["checklist_id"],
                item["code"],
                item["text"],
                result,
                photo_counts.get(item["code"], 0) or "",
                f"{item['rectify']}（{item['due']}前）" if item["rectify"] else item["note"],
            )
        )
    print()
    print(table(("检查表", "条目", "内容", "结果", "照片", "整改要求 / 备注"), rows, {4}))
    if photo_counts.get(None):
        print(f"\n整体照片：{photo_counts[None]} 张")
    if data["photos"]:
        print("\n照片（编号 条目 文件名）：")
        for photo in data["photos"]:
            print(f"  {photo['id']}  {photo['item'] or '整体'}  {photo['original_name']}")
    for signature in data["signatures"]:
        label = service.Role(signature["role"]).label
        print(f"{label}签名：{signature['name']}（{signature['signed_at']}）")
    if data["missing"]:
        print(f"\n还缺 {len(data['missing'])} 项才能定稿：")
        for gap in data["missing"]:
            print(f"  - {gap}")
    return EXIT_OK


def cmd_list(args: argparse.Namespace, store: Store) -> int:
    from fieldapp.services import evaluations as service
    from fieldapp.services import units

    with store.read() as session:
        unit = units.by_code(session, args.unit) if args.unit else None
        found = service.list_evaluations(session, unit)
        if args.json:
            print_json(
                [
                    {
                        "id": e.id,
                        "uuid": e.uuid,
                        "unit": {"credit_code": e.unit.credit_code, "name": e.unit.name},
                        "kind": e.kind,
                        "status": e.status,
                        "inspector": e.inspector,
                        "started_at": e.started_at.isoformat(),
                        "verdict": e.verdict,
                        "replaces": e.replaces_id,
                        "follows": e.follows_id,
                    }
                    for e in found
                ]
            )
            return EXIT_OK
        rows = [
            (
                e.id,
                e.unit.credit_code,
                e.unit.name,
                service.Kind(e.kind).label,
                service.STATUS_LABELS.get(e.status, e.status),
                _verdict_label(e.verdict),
                e.inspector,
                e.started_at.date().isoformat(),
            )
            for e in found
        ]
    headers = ("编号", "统一社会信用代码", "单位名称", "类型", "状态", "结论", "检查人员", "日期")
    print(table(headers, rows, {0}))
    print(f"\n共 {len(rows)} 次评价")
    return EXIT_OK


def cmd_revise(args: argparse.Namespace, store: Store) -> int:
    from fieldapp.services import evaluations as service

    with store.session() as session:
        evaluation = service.get(session, args.id)
        started = service.revision_of(session, evaluation)
        revision = service.revise(
            session, evaluation, inspector_of(args, store, default=evaluation.inspector)
        )
        if started is not None:
            print(f"评价 {evaluation.id} 已有修订草稿，继续修改它；改好后重新签名并定稿")
        else:
            print(f"已新建评价 {evaluation.id} 的修订（草稿），改好后重新签名并定稿")
        print(revision.id)
    return EXIT_OK


def cmd_photos_export(args: argparse.Namespace, store: Store) -> int:
    import shutil

    from fieldapp.services import evaluations as service

    out = Path(args.output)
    with store.read() as session:
        evaluation = service.get(session, args.evaluation)
        photos = [(p.item_code, p.sha256) for p in evaluation.photos]
    if not photos:
        print(f"评价 {args.evaluation} 没有照片")
        return EXIT_OK
    out.mkdir(parents=True, exist_ok=True)
    for item, sha in photos:
        source = store.photos.path(sha)
        if not source.is_file():
            raise NotFound(f"照片 {sha[:8]} 的文件不见了（{source}），请从备份恢复")
        shutil.copyfile(source, out / f"{item or '整体'}-{sha[:8]}.jpg")
    print(f"已导出 {len(photos)} 张照片到 {out}")
    return EXIT_OK


def register(sub: Any) -> None:
    """Add ``evaluations`` and ``photos`` to the main parser's subcommands."""
    evals = sub.add_parser(
        "evaluations", help="现场评价：新建、打分、照片、签名、定稿"
    ).add_subparsers(dest="action", metavar="操作", required=True, parser_class=Parser)
    p = evals.add_parser("new", help="新建评价（最后一行输出评价编号）")
    p.add_argument("--unit", required=True, metavar="CODE", help="统一社会信用代码")
    p.add_argument(
        "--kind",
        required=True,
        help="后评价、日常检查、三服务走访、回头看、暗访整改复查（或英文代码）",
    )
    p.add_argument("--inspector", help="检查人员（默认为设置中的检查人员）")
    p.add_argument(
        "--add-checklist",
        action="append",
        metavar="ID",
        help="再加一个检查表（如 x-pharmacy；可重复；编号见 checklists list）",
    )
    p.add_argument(
        "--without",
        action="append",
        metavar="ID",
        help="去掉一个按单位类型、行业自动选上的“X”模块（可重复）",
    )
    p.set_defaults(func=cmd_new)
    p = evals.add_parser("answer", help="填写一个条目的检查结果")
    p.add_argument("id", type=int, metavar="ID")
    p.add_argument("item", metavar="ITEM", help="条目代码，如 B3a 或 bayou-bawu:B3a")
    p.add_argument(
        "result", choices=[a.value for a in Answer], help="pass 符合、fail 不符合、na 不适用"
    )
    p.add_argument("--note", help="备注")
    p.add_argument("--rectify", help="整改要求（不符合时必填）")
    p.add_argument("--due", help="整改期限（不符合时必填）")
    p.set_defaults(func=cmd_answer)
    p = evals.add_parser("attach", help="附照片（不加 --item 为整体照片）")
    p.add_argument("id", type=int, metavar="ID")
    p.add_argument("--item", help="条目代码")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.set_defaults(func=cmd_attach)
    p = evals.add_parser("detach", help="移除草稿中的一张照片（编号见 show）")
    p.add_argument("id", type=int, metavar="ID")
    p.add_argument("photo_id", type=int, metavar="PHOTO_ID")
    p.set_defaults(func=cmd_detach)
    p = evals.add_parser("sign", help="签名（PNG 图片）")
    p.add_argument("id", type=int, metavar="ID")
    p.add_argument("--role", required=True, choices=[r.value for r in SignerRole])
    p.add_argument("--name", required=True, help="签名人姓名")
    p.add_argument("--image", required=True, metavar="PNG", help="签名图片")
    p.set_defaults(func=cmd_sign)
    p = evals.add_parser(
        "finalize", help="定稿并给出结论；后评价定稿后提示下一步（命名或转入预警库）"
    )
    p.add_argument("id", type=int, metavar="ID")
    p.add_argument(
        "--accept",
        action="store_true",
        help="按后评价结论立即变更单位状态（通过→放心消费单位，需整改→预警库）",
    )
    p.add_argument("--actor", help="经办人（默认为设置中的检查人员）")
    p.set_defaults(func=cmd_finalize)
    p = evals.add_parser("show", help="显示一次评价")
    p.add_argument("id", type=int, metavar="ID")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_show)
    p = evals.add_parser("list", help="列出评价")
    p.add_argument("--unit", metavar="CODE", help="只列这家单位的")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_list)
    p = evals.add_parser("revise", help="为已定稿的评价新建修订（最后一行输出新编号）")
    p.add_argument("id", type=int, metavar="ID")
    p.add_argument("--inspector", help="检查人员（默认为设置中的检查人员）")
    p.set_defaults(func=cmd_revise)

    photos = sub.add_parser("photos", help="照片：导出").add_subparsers(
        dest="action", metavar="操作", required=True, parser_class=Parser
    )
    p = photos.add_parser("export", help="把一次评价的照片复制到文件夹")
    p.add_argument("--evaluation", type=int, required=True, metavar="ID")
    p.add_argument("-o", "--output", required=True, metavar="DIR")
    p.set_defaults(func=cmd_photos_export)
