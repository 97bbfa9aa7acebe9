"""The printed evaluation sheet: one evaluation on A4, signed, with its photos and a QR code.

:func:`read_sheet` takes what the sheet shows out of the store (the read model
:mod:`fieldapp.views.evaluation`, which the screen and ``evaluations show`` share) inside a session;
:func:`sheet_flowables` turns it into ReportLab flowables outside it, so a batch lays many
sheets out as one document. :func:`write_sheet` prints a single one.

The QR code carries ``fieldapp:eval:<uuid>:<content_sha256>``: the county scans a paper copy and
compares it with the record it received, so an altered printout is caught. A 证据提示 block
under the verdict lists the doubts :mod:`fieldapp.services.evidence` raises about the photos
(reused, undated, of another day, far apart), and each doubtful photo's caption names them; the
unit block says when the unit is 审慎培育 (命名 waits for the county's confirmation).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from reportlab.graphics.barcode.qr import QrCode
from reportlab.lib.units import mm
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    Image,
    KeepTogether,
    PageBreak,
    Paragraph,
    Spacer,
    Table,
)
from sqlalchemy.orm import Session

from fieldapp.domain.records import SignerRole
from fieldapp.domain.verdict import Answer, Outcome
from fieldapp.reports import pdfkit
from fieldapp.reports.output import atomic_output
from fieldapp.reports.pdfkit import FRAME_WIDTH, UnitBlock, para
from fieldapp.services import evaluations as service
from fieldapp.services import evidence as evidence_service
from fieldapp.services.evidence import EvidenceFlag
from fieldapp.storage.models import Evaluation
from fieldapp.views import evaluation as view
from fieldapp.views.evaluation import PreviousAnswer

if TYPE_CHECKING:
    from fieldapp.store import Store

MARKS = {
    Answer.PASS.value: "✓ 符合",
    Answer.FAIL.value: "✘ 不符合",
    Answer.NA.value: "— 不适用",
}
SHORT_TEXT = 18  # characters of an item's text in a photo caption
PHOTO_BOX = (FRAME_WIDTH / 2 - 6 * mm, 68 * mm)  # two photos to a row
SIGNATURE_BOX = (50 * mm, 18 * mm)
QR_SIZE = 30 * mm
NOTICE_SHADE = pdfkit.colors.HexColor("#FFF4E0")  # the 证据提示 heading: noticed, not alarming
DOUBT_RED = "#B03A2E"  # a photo's 证据提示 under its caption
PRUDENT_TEXT = "是：属于审慎培育，后评价通过后命名须县局确认"


@dataclass(frozen=True)
class SheetItem:
    code: str
    text: str
    result: str | None
    note: str
    rectify: str | None
    due: str | None
    previous: str  # what the followed evaluation said (回头看), or ""


@dataclass(frozen=True)
class SheetChecklist:
    id: str
    version: int
    title: str
    items: list[SheetItem]


@dataclass(frozen=True)
class SheetPhoto:
    path: Path
    width: int
    height: int
    caption: str
    taken_at: datetime | None
    sha256: str
    doubts: str = ""  # the evidence flags on this photo, e.g. "重复照片、无拍摄时间"


@dataclass(frozen=True)
class SheetSignature:
    role_label: str
    name: str
    signed_at: datetime
    path: Path


@dataclass(frozen=True)
class SheetData:
    """Everything one printed sheet shows, read out of the store."""

    id: int | str  # the laptop's number, or the start of the uuid on the county server
    uuid: str
    kind_label: str
    draft: bool
    inspector: str
    started_at: datetime
    finalized_at: datetime | None
    verdict: str | None
    verdict_text: str | None
    content_sha256: str | None
    replaces: int | str | None
    follows: int | str | None
    unit: UnitBlock
    checklists: list[SheetChecklist]
    photos: list[SheetPhoto]
    signatures: list[SheetSignature]
    prudent: bool = False  # 审慎培育
    evidence: tuple[EvidenceFlag, ...] = ()

    @property
    def title(self) -> str:
        return f"放心消费单位{self.kind_label}表"

    @property
    def qr_text(self) -> str:
        return f"fieldapp:eval:{self.uuid}:{self.content_sha256 or 'draft'}"

    @property
    def pins(self) -> str:
        return "、".join(f"{c.id} 第 {c.version} 版" for c in self.checklists)


def _short(text: str, size: int = SHORT_TEXT) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


def _previous(before: PreviousAnswer | None) -> str:
    if before is None or before.result is None:
        return ""
    text = f"上次：{Answer(before.result).label}"
    if before.rectify:
        due = before.due.isoformat() if before.due else "—"
        text += f"（整改：{before.rectify}，期限 {due}）"
    return text


def read_sheet(session: Session, store: Store, evaluation: Evaluation | int) -> SheetData:
    """What the sheet of ``evaluation`` shows; raises NotFound for an unknown id."""
    if isinstance(evaluation, int):
        evaluation = service.get(session, evaluation)
    record = view.read(session, store.library, evaluation)
    texts = {item.key: item.text for item in record.items}
    checklists = [
        SheetChecklist(
            pin.id,
            pin.version,
            pin.title,
            [
                SheetItem(
                    code=i.code,
                    text=i.text,
                    result=i.result,
                    note=i.note or "",
                    rectify=i.rectify,
                    due=i.due.isoformat() if i.due else None,
                    previous=_previous(i.previous),
                )
                for i in record.items
                if i.checklist_id == pin.id
            ],
        )
        for pin in record.checklists
    ]
    doubts = evidence_service.photo_doubts(record.evidence)
    photos = [
        SheetPhoto(
            path=store.photos.path(p.sha256),
            width=p.width,
            height=p.height,
            caption=(
                f"{p.item_code} {_short(texts.get((p.checklist_id or '', p.item_code), ''))}"
                if p.item_code
                else "整体"
            ),
            taken_at=p.taken_at,
            sha256=p.sha256,
            doubts="、".join(doubts.get(p.id, [])),
        )
        for p in record.photos
    ]
    signatures = [
        SheetSignature(
            role_label=SignerRole(s.role).label,
            name=s.name,
            signed_at=s.signed_at,
            path=store.signatures.path(s.image_sha256),
        )
        for s in sorted(record.signatures, key=lambda s: s.role != SignerRole.INSPECTOR)
    ]
    return SheetData(
        id=record.id,
        uuid=record.uuid,
        kind_label=record.kind.label,
        draft=record.draft,
        inspector=record.inspector,
        started_at=record.started_at,
        finalized_at=record.finalized_at,
        verdict=record.verdict,
        verdict_text=record.verdict_text,
        content_sha256=record.content_sha256,
        replaces=record.replaces,
        follows=record.follows,
        unit=UnitBlock.of(evaluation.unit),
        checklists=checklists,
        photos=photos,
        signatures=signatures,
        prudent=record.prudent,
        evidence=record.evidence,
    )


# --- layout -------------------------------------------------------------------------------


def _when(moment: datetime | date | None, with_time: bool = True) -> str:
    if moment is None:
        return "—"
    if isinstance(moment, datetime):
        return moment.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")
    return moment.isoformat()


def _fit(width: int, height: int, box: tuple[float, float]) -> tuple[float, float]:
    """The largest size inside ``box`` with the image's aspect ratio."""
    if width <= 0 or height <= 0:
        return box
    scale = min(box[0] / width, box[1] / height)
    return width * scale, height * scale


def _header_lines(data: SheetData) -> list[Flowable]:
    story: list[Flowable] = [
        para(data.title, "title"),
        para(f"出具单位：{data.unit.issuer}", "subtitle"),
    ]
    if data.draft:
        story.append(para("草稿（未定稿）", "mark"))
    links = []
    if data.replaces is not None:
        links.append(f"本表为修订，取代评价 {data.replaces}")
    if data.follows is not None:
        links.append(f"本次为{data.kind_label}，复查评价 {data.follows} 的整改项")
    if links:
        story.append(para("；".join(links), "subtitle"))
    return story


def _evaluation_table(data: SheetData) -> Table:
    status = "草稿（未定稿）" if data.draft else f"已定稿（{_when(data.finalized_at)}）"
    return pdfkit.key_value_table(
        [
            ("评价类型", data.kind_label),
            ("评价编号", str(data.id)),
            ("检查日期", _when(data.started_at, with_time=False)),
            ("检查人员", data.inspector),
            ("状态*", status),
            ("检查表*", data.pins),
        ]
    )


def _checklist_table(checklist: SheetChecklist) -> list[Flowable]:
    widths = [13 * mm, 62 * mm, 19 * mm, 40 * mm]
    widths.append(FRAME_WIDTH - sum(widths))
    rows: list[list[Any]] = [
        [para(h, "cell_bold") for h in ("代码", "检查内容", "结果", "备注", "整改要求及期限")]
    ]
    shading: list[tuple[Any, ...]] = []
    for n, item in enumerate(checklist.items, start=1):
        mark = MARKS.get(item.result or "", "未检查")
        rectify = f"{item.rectify}\n期限：{item.due}" if item.rectify else ""
        note = "\n".join(x for x in (item.note, item.previous) if x)
        rows.append(  # empty cells stay plain strings: nothing to wrap
            [
                para(item.code),
                para(item.text),
                para(mark),
                note and para(note),
                rectify and para(rectify),
            ]
        )
        if item.result == Answer.FAIL.value:
            shading.append(("BACKGROUND", (0, n), (-1, n), pdfkit.FAIL_SHADE))
    heading = para(f"{checklist.title}（{checklist.id} 第 {checklist.version} 版）", "h2")
    table = pdfkit.grid_table(rows, widths, *shading)
    return [CondPageBreak(30 * mm), heading, table]


def _verdict(data: SheetData) -> list[Flowable]:
    if data.draft or data.verdict is None:
        label, reason = "未定稿，尚无结论", "评价定稿后由检查表规则给出结论"
    else:
        label, reason = Outcome(data.verdict).label, data.verdict_text or ""
        head = reason.split("：", 1)[0]
        if head.startswith(label):
            label = head  # "通过（审慎培育，待县局确认）": the conclusion keeps its warning
    table = pdfkit.key_value_table([("评价结论*", label), ("结论说明*", reason)])
    return [Spacer(1, 4 * mm), table]


def _prudent(data: SheetData) -> list[Flowable]:
    """A row under the unit block when the unit is 审慎培育."""
    if not data.prudent:
        return []
    return [pdfkit.key_value_table([("审慎培育*", PRUDENT_TEXT)])]


def _evidence(data: SheetData) -> list[Flowable]:
    """证据提示: what a reviewer would question about the photos (nothing when all is well)."""
    if not data.evidence:
        return []
    rows: list[list[Any]] = [
        [
            para("证据提示", "cell_bold"),
            para(
                f"共 {len(data.evidence)} 条。提示不改变评价结论，请核实照片；附页中相关照片的说明也标有提示。",
                "cell",
            ),
        ]
    ]
    rows.extend([para(flag.label, "cell_bold"), para(flag.message)] for flag in data.evidence)
    label_w = 27 * mm
    table = pdfkit.grid_table(
        rows, [label_w, FRAME_WIDTH - label_w], ("BACKGROUND", (0, 0), (-1, 0), NOTICE_SHADE)
    )
    return [Spacer(1, 4 * mm), table]


def _signatures(data: SheetData) -> Flowable:
    cells: list[list[Any]] = []
    by_role = {s.role_label: s for s in data.signatures}
    for role in (service.Role.INSPECTOR.label, service.Role.UNIT.label):
        signature = by_role.get(role)
        if signature is None:
            cells.append([para(f"{role}签名", "cell_bold"), para("（未签名）"), para("")])
            continue
        drawn: Flowable
        if signature.path.is_file():
            drawn = Image(str(signature.path), *SIGNATURE_BOX, kind="proportional")
        else:
            drawn = para(f"（签名图片缺失：{signature.path.name}）")
        cells.append(
            [
                para(f"{role}签名", "cell_bold"),
                drawn,
                para(f"{signature.name}\n{_when(signature.signed_at)}"),
            ]
        )
    rows = [[cells[0][0], cells[1][0]], [cells[0][1], cells[1][1]], [cells[0][2], cells[1][2]]]
    half = FRAME_WIDTH / 2
    table = pdfkit.grid_table(
        rows,
        [half, half],
        ("VALIGN", (0, 1), (-1, 1), "MIDDLE"),
        ("ALIGN", (0, 1), (-1, 1), "CENTER"),
    )
    return KeepTogether([Spacer(1, 4 * mm), table])


def _verification(data: SheetData) -> Flowable:
    # Drawn straight on the canvas (the graphics widget encodes twice and builds a node per run).
    code = QrCode(data.qr_text, width=QR_SIZE, height=QR_SIZE, qrLevel="M", qrBorder=2)
    hash_line = data.content_sha256 or "草稿没有校验码（定稿后生成）"
    text = [
        para("核验信息", "cell_bold"),
        para(f"评价标识：{data.uuid}", "small"),
        para(f"内容校验码（SHA-256）：{hash_line}", "small"),
        para(f"检查表及版本：{data.pins}", "small"),
        para("扫描二维码可在县局系统中核对本表与原始记录是否一致。", "small"),
    ]
    table = pdfkit.grid_table(
        [[code, text]],
        [QR_SIZE + 6 * mm, FRAME_WIDTH - QR_SIZE - 6 * mm],
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        header=False,
    )
    return KeepTogether([Spacer(1, 4 * mm), table])


def _photo_cell(photo: SheetPhoto) -> list[Flowable]:
    caption = (
        f"{photo.caption}\n拍摄：{_when(photo.taken_at) if photo.taken_at else '时间不详'}"
        f"  校验：{photo.sha256[:12]}"
    )
    shown: list[Flowable] = [para(caption, "caption")]
    if photo.doubts:
        shown.append(
            Paragraph(
                f'<font color="{DOUBT_RED}">{escape("证据提示：" + photo.doubts)}</font>',
                pdfkit.styles()["caption"],
            )
        )
    if not photo.path.is_file():
        return [para(f"（照片文件缺失：{photo.sha256[:12]}）"), *shown]
    width, height = _fit(photo.width, photo.height, PHOTO_BOX)
    return [Image(str(photo.path), width=width, height=height), *shown]


def _appendix(data: SheetData) -> list[Flowable]:
    if not data.photos:
        return []
    story: list[Flowable] = [PageBreak(), para(f"附：现场照片（共 {len(data.photos)} 张）", "h2")]
    cells = [_photo_cell(p) for p in data.photos]
    rows = [cells[i : i + 2] for i in range(0, len(cells), 2)]
    if len(rows[-1]) == 1:
        rows[-1].append([])
    half = FRAME_WIDTH / 2
    table = Table(rows, colWidths=[half, half], splitByRow=1)
    table.setStyle(
        pdfkit.table_style(
            ("ALIGN", (0, 0), (-1, -1), "CENTER"),
            ("GRID", (0, 0), (-1, -1), 0, pdfkit.colors.white),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            header=False,
        )
    )
    story.append(table)
    return story


def sheet_flowables(data: SheetData, on_start: Callable[[], None] | None = None) -> list[Flowable]:
    """The flowables of one sheet, starting with its :class:`~pdfkit.Section` marker."""
    header = f"{data.title} · {data.unit.name} · 评价 {data.id}"
    story: list[Flowable] = [
        pdfkit.Section(header, draft=data.draft, on_start=on_start),
        *_header_lines(data),
        pdfkit.unit_table(data.unit),
        *_prudent(data),
        Spacer(1, 2 * mm),
        _evaluation_table(data),
    ]
    for checklist in data.checklists:
        story.extend(_checklist_table(checklist))
    story.extend(_verdict(data))
    story.extend(_evidence(data))
    story.append(_signatures(data))
    story.append(_verification(data))
    story.extend(_appendix(data))
    return story


def write_sheet(store: Store, evaluation_id: int, out: Path) -> Path:
    """Print one evaluation's sheet to ``out`` (PDF), atomically."""
    with store.read() as session:
        data = read_sheet(session, store, evaluation_id)
    with atomic_output(out) as tmp:
        pdfkit.build(tmp, data.title, sheet_flowables(data))
    return Path(out)


__all__ = ["SheetData", "read_sheet", "sheet_flowables", "write_sheet"]
