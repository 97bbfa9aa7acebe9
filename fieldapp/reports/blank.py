"""A blank evaluation form for one unit, to fill in by pen where the tablet cannot go.

It lists the checklists a new evaluation of the unit would use (the same composition as
:func:`fieldapp.services.evaluations.plan_checklists`) with their ids and versions, so what was
ticked on paper can be entered in the app later item by item against the same versions.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, Paragraph, Spacer

from fieldapp.checklists import Checklist
from fieldapp.domain import links
from fieldapp.reports import pdfkit
from fieldapp.reports.output import atomic_output
from fieldapp.reports.pdfkit import FRAME_WIDTH, UnitBlock, para
from fieldapp.services import evaluations as service
from fieldapp.services import units

if TYPE_CHECKING:
    from fieldapp.store import Store

BOX = "□"
TICKED = "✓"  # in the printing font (☑ is not)
ROW_HEIGHT = 11 * mm  # room to write a note by hand


def _checklist_table(
    checklist: Checklist,
    linked: Mapping[links.Key, tuple[links.Key, ...]],
    not_applicable: Mapping[links.Key, str],
) -> list[Flowable]:
    """The items with boxes to tick; an item answered through others says 同 B5a instead, and
    one the unit's facts make 不适用 has that box ticked and the reason (to cross out on site)."""
    widths = [12 * mm, 58 * mm, 13 * mm, 13 * mm, 13 * mm, 36 * mm]
    widths.append(FRAME_WIDTH - sum(widths))
    header = ["代码", "检查内容", "符合", "不符合", "不适用", "备注", "整改要求及期限"]
    rows: list[list[Any]] = [[para(h, "cell_bold") for h in header]]
    heights: list[float | None] = [None]
    for item in checklist.items:
        text = para(item.text + ("（须拍照）" if item.photo_required else ""))
        needed = text.wrap(widths[1] - 6, 1000)[1] + 6  # cell padding
        heights.append(max(ROW_HEIGHT, needed))
        key = (checklist.id, item.code)
        if key in linked:
            same = para(links.same_as_label(linked[key]))
            rows.append([para(item.code), text, "—", "—", "—", same, ""])
        elif key in not_applicable:
            reason = para(not_applicable[key].removeprefix(links.NA_PREFIX))
            rows.append([para(item.code), text, BOX, BOX, TICKED, reason, ""])
        else:
            rows.append([para(item.code), text, BOX, BOX, BOX, "", ""])
    table = pdfkit.grid_table(
        rows,
        widths,
        ("ALIGN", (2, 1), (4, -1), "CENTER"),
        ("VALIGN", (2, 1), (4, -1), "MIDDLE"),
        ("FONTSIZE", (2, 1), (4, -1), 18),
        row_heights=heights,
    )
    heading = para(f"{checklist.title}（{checklist.id} 第 {checklist.version} 版）", "h2")
    return [CondPageBreak(35 * mm), heading, table]


def _closing() -> Flowable:
    gap = "&nbsp;" * 8
    boxes = gap.join(f'<font size="16">{BOX}</font>&nbsp;{x}' for x in ("通过", "需整改", "不通过"))
    verdict = pdfkit.key_value_table(
        [
            (
                "评价结论*",
                Paragraph(boxes, ParagraphStyle("boxes", pdfkit.styles()["cell"], leading=19)),
            ),
            ("结论说明*", "\n\n"),
        ]
    )
    line = "______________________"
    half = FRAME_WIDTH / 2
    signatures = pdfkit.grid_table(
        [
            [para("检查人员签名", "cell_bold"), para("单位负责人签名", "cell_bold")],
            [para(f"\n\n签名：{line}"), para(f"\n\n签名：{line}")],
            [para("日期：______年____月____日"), para("日期：______年____月____日")],
        ],
        [half, half],
    )
    return KeepTogether([Spacer(1, 4 * mm), verdict, Spacer(1, 4 * mm), signatures])


def write_blank(store: Store, unit_code: str, out: Path, kind: str = "post_evaluation") -> Path:
    """Print the empty form for ``unit_code`` to ``out`` (PDF), atomically."""
    parsed = service.require_kind(kind)
    with store.read() as session:
        unit = units.by_code(session, unit_code)
        block = UnitBlock.of(unit)
        checklists = service.plan_checklists(store.library, unit)
        reasons = links.not_applicable(checklists, links.facts_of(unit))
    linked = links.links(checklists)
    title = f"放心消费单位{parsed.label}表"
    pins = "、".join(f"{c.id} 第 {c.version} 版" for c in checklists)
    story: list[Flowable] = [
        pdfkit.Section(f"{title}（空白表） · {block.name}"),
        para(title, "title"),
        para(f"出具单位：{block.issuer}　（现场填写用空白表，填后请录入 fieldapp）", "subtitle"),
        pdfkit.unit_table(block),
        Spacer(1, 2 * mm),
        pdfkit.key_value_table(
            [
                ("评价类型", parsed.label),
                ("检查日期", "______年____月____日"),
                ("检查人员", " "),
                ("陪同人员", " "),
                ("检查表*", pins),
            ]
        ),
        para(
            f"每个条目在“符合 / 不符合 / 不适用”中勾选一项（{BOX} 内打 ✓）；"
            "不符合的须写明整改要求和期限。",
            "note",
        ),
    ]
    for checklist in checklists:
        story.extend(_checklist_table(checklist, linked, reasons))
    story.append(_closing())
    with atomic_output(out) as tmp:
        pdfkit.build(tmp, title, story)
    return Path(out)
