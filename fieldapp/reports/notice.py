"""整改通知书: a one-page rectification notice for the shop, from an evaluation's 不符合 items.

It names the unit, lists each failed item with its 整改要求 and 期限, asks the shop to report when
done, gives the station's contact (``office_phone`` and ``office_address`` in the settings) and
the issuer's full name (``office_name``), and leaves lines for the inspectors (with their 执法证号)
and the shop's 签收. Only a finalized evaluation with at least one 不符合 has one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer

from fieldapp import settings as settings_file
from fieldapp.domain.records import EvaluationKind, SignerRole
from fieldapp.domain.verdict import Answer
from fieldapp.errors import InvalidInput
from fieldapp.reports import pdfkit
from fieldapp.reports.output import atomic_output
from fieldapp.reports.pdfkit import FRAME_WIDTH, UnitBlock, para
from fieldapp.reports.sheet import BLANK, badges, inspector_name
from fieldapp.services import evaluations as service
from fieldapp.views import evaluation as view

if TYPE_CHECKING:
    from fieldapp.store import Store

TITLE = "整改通知书"


@dataclass(frozen=True)
class NoticeItem:
    checklist: str  # the checklist's title
    code: str
    text: str
    rectify: str
    due: date | None


@dataclass(frozen=True)
class NoticeData:
    evaluation_id: int
    kind_label: str
    visited: date
    unit: UnitBlock
    inspector: str
    badges: tuple[tuple[str, str], ...]
    items: list[NoticeItem]
    phone: str
    address: str


def read_notice(store: Store, evaluation_id: int) -> NoticeData:
    """What the notice of ``evaluation_id`` says; InvalidInput for a draft or one with no
    不符合, NotFound for an unknown id."""
    office = settings_file.load(store.folder)
    with store.read() as session:
        evaluation = service.get(session, evaluation_id)
        record = view.read(session, store.library, evaluation)
        unit = UnitBlock.of(evaluation.unit, office)
    if record.draft:
        raise InvalidInput(
            f"评价 {evaluation_id}（{record.unit_name}）还是草稿，请先定稿，再打印整改通知书"
        )
    failed = [
        NoticeItem(i.checklist_title, i.code, i.text, i.rectify or "", i.due)
        for i in record.items
        if i.result == Answer.FAIL.value
        and not i.linked  # the same requirement as the item it is answered through, listed once
    ]
    if not failed:
        raise InvalidInput(
            f"评价 {evaluation_id}（{record.unit_name}）没有不符合项，不需要整改通知书；"
            "请选择有不符合项的评价"
        )
    inspector = inspector_name(record.inspector, record.signatures, office.inspector_name)
    signer = next((s.name for s in record.signatures if s.role == SignerRole.INSPECTOR), inspector)
    started = record.started_at
    return NoticeData(
        evaluation_id=record.id,
        kind_label=EvaluationKind(record.kind).label,
        visited=(started.astimezone() if started.tzinfo else started).date(),
        unit=unit,
        inspector=inspector,
        badges=badges(signer if signer != BLANK else "", office),
        items=failed,
        phone=office.office_phone.strip(),
        address=office.office_address.strip(),
    )


def _day(value: date | None) -> str:
    return f"{value.year}年{value.month}月{value.day}日" if value else "—"


def _items_table(data: NoticeData) -> Flowable:
    widths = [9 * mm, 13 * mm, 58 * mm, 68 * mm]
    widths.append(FRAME_WIDTH - sum(widths))
    rows: list[list[Any]] = [
        [para(h, "cell_bold") for h in ("序号", "代码", "存在问题", "整改要求", "整改期限")]
    ]
    for n, item in enumerate(data.items, start=1):
        rows.append(
            [
                para(str(n)),
                para(item.code),
                para(f"{item.text}（{item.checklist}）"),
                para(item.rectify or "—"),
                para(_day(item.due)),
            ]
        )
    return pdfkit.grid_table(rows, widths)


def notice_flowables(data: NoticeData) -> list[Flowable]:
    we = "我局" if data.unit.station.endswith("局") else "我所"
    latest = max((i.due for i in data.items if i.due), default=None)
    inspectors = "；".join(f"{name} {badge or BLANK}" for name, badge in data.badges) or BLANK
    contact = "；".join(
        x
        for x in (
            f"联系人：{data.inspector}",
            f"联系电话：{data.phone or BLANK}",
            f"地址：{data.address}" if data.address else "",
        )
        if x
    )
    body = (
        f"{_day(data.visited)}，{we}执法人员对你单位进行了放心消费单位{data.kind_label}"
        f"（评价编号 {data.evaluation_id}），发现下列 {len(data.items)} 项不符合要求。"
        f"请你单位按下表的整改要求在期限内整改到位，并将整改情况（附照片）报告{we}；"
        f"{we}将进行复查。逾期未整改或整改不到位的，将影响放心消费单位的评价结论。"
    )
    half = FRAME_WIDTH / 2
    sign = pdfkit.grid_table(
        [
            [para("检查人员（签名）", "cell_bold"), para("单位负责人（签收）", "cell_bold")],
            ["", ""],
            [para(f"执法证号：{inspectors}"), para("签收日期：______年____月____日")],
        ],
        [half, half],
        row_heights=[None, 16 * mm, None],
    )
    issuer = [
        para(f"{data.unit.issuer}（盖章）", "right"),
        para(_day(date.today()), "right"),
    ]
    return [
        pdfkit.Section(f"{TITLE} · {data.unit.name} · 评价 {data.evaluation_id}"),
        para(TITLE, "title"),
        para(f"出具单位：{data.unit.issuer}", "subtitle"),
        Spacer(1, 2 * mm),
        para(f"{data.unit.name}（统一社会信用代码 {data.unit.credit_code}）：", "body"),
        para(body, "body"),
        Spacer(1, 2 * mm),
        _items_table(data),
        Spacer(1, 3 * mm),
        para(
            f"请在上表所列期限内（最迟 {_day(latest)}）完成整改。{contact}。"
            if latest
            else f"请尽快完成整改。{contact}。",
            "body",
        ),
        KeepTogether([Spacer(1, 4 * mm), sign, Spacer(1, 8 * mm), *issuer]),
    ]


def write_notice(store: Store, evaluation_id: int, out: Path) -> Path:
    """Print the 整改通知书 of ``evaluation_id`` to ``out`` (PDF), atomically."""
    data = read_notice(store, evaluation_id)
    with atomic_output(out) as tmp:
        pdfkit.build(tmp, TITLE, notice_flowables(data))
    return Path(out)


__all__ = ["NoticeData", "read_notice", "write_notice"]
