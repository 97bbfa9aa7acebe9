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

Checklists are named by their Chinese titles and versions only. 评价结论, 结论说明, the signatures
with the inspectors' 执法证号, a 单位盖章 box and the QR code stay together on one page; the issuer
is the office's full name from the settings (``office_name``); the photos follow as a compact
appendix (``photos_per_page``, 6 or 9 to a page), each captioned with its item, a short text and its
capture time. A follow-up (回头看 / 暗访整改复查) prints the items it re-checked and its new photos
only, with a reference to the earlier sheet for the rest.
"""

from __future__ import annotations

import getpass
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

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

from fieldapp import settings as settings_file
from fieldapp.domain.records import EvaluationKind, SignerRole
from fieldapp.domain.verdict import Answer, Outcome
from fieldapp.reports import pdfkit
from fieldapp.reports.output import atomic_output
from fieldapp.reports.pdfkit import FRAME_WIDTH, UnitBlock, para
from fieldapp.reports.qr import QrCode
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
PHOTO_ROWS = 3  # rows of photos on an appendix page
PHOTO_COLUMNS = {9: 3, 6: 2}  # photos a page -> columns
PHOTO_BOX = (FRAME_WIDTH / 3 - 4 * mm, 58 * mm)  # the largest a photo is drawn (9 a page)
SIGNATURE_BOX = (45 * mm, 15 * mm)
STAMP_WIDTH = 46 * mm  # the 单位盖章 box: room for a 42 mm round seal
QR_SIZE = 25 * mm
BLANK = "__________"  # a number to write in by hand
_NAMES = re.compile(r"[、，,；;/\s]+")  # between two inspectors' names on one signature
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
    rechecked: bool = True  # a follow-up's sheet prints only the items it re-checked


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
    badges: tuple[tuple[str, str], ...] = ()  # (inspector, 执法证号 or "" when not known)
    photos_per_page: int = 9
    earlier: str = ""  # a follow-up: the earlier sheet it refers to for what it did not re-check

    @property
    def title(self) -> str:
        return f"放心消费单位{self.kind_label}表"

    @property
    def qr_text(self) -> str:
        return f"fieldapp:eval:{self.uuid}:{self.content_sha256 or 'draft'}"

    @property
    def pins(self) -> str:
        return "、".join(f"{c.title} 第 {c.version} 版" for c in self.checklists)


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


def _rechecked(item: view.ItemRecord) -> bool:
    """Whether a follow-up re-checked ``item``: it failed or was left open last time, or its
    answer changed (a carried-over answer that still stands was not re-checked)."""
    before = item.previous
    if before is None:
        return True
    return before.result in (None, Answer.FAIL.value) or item.result != before.result


def inspector_name(stored: str, signatures: list[view.SignatureRecord], office: str) -> str:
    """Who the sheet names as 检查人员: the name on the evaluation, unless that is the computer's
    login (an evaluation started on the command line before the settings named the inspector),
    then the inspector who signed, the settings' inspector, or a blank to write in."""
    if stored.strip() and stored != getpass.getuser():
        return stored
    signed = [s.name for s in signatures if s.role == SignerRole.INSPECTOR and s.name.strip()]
    return signed[0] if signed else office.strip() or BLANK


def badges(names: str, office: settings_file.Settings) -> tuple[tuple[str, str], ...]:
    """Each inspector in ``names`` ("张三" or "张三、李四") with the 执法证号 the settings know
    (the inspector's own ``badge_number``, the colleagues' ``colleague_badges``), "" if none."""
    known = settings_file.parse_badges(office.colleague_badges)
    if office.inspector_name.strip() and office.badge_number.strip():
        known[office.inspector_name.strip()] = office.badge_number.strip()
    return tuple((name, known.get(name, "")) for name in _NAMES.split(names) if name)


def _earlier(session: Session, record: view.EvaluationRecord, rechecked: int) -> str:
    if record.follows is None:
        return ""
    earlier = service.get(session, record.follows)
    kept = len(record.items) - rechecked
    when = _when(earlier.started_at, with_time=False)
    sha = f"，校验码 {earlier.content_sha256[:16]}" if earlier.content_sha256 else ""
    return (
        f"复查依据：评价 {earlier.id}（{when} {EvaluationKind(earlier.kind).label}{sha}）。"
        f"本表只列本次复查的 {rechecked} 项及本次新拍的照片；其余 {kept} 项沿用该次结果，"
        "其条目和照片见原评价表。"
    )


def read_sheet(session: Session, store: Store, evaluation: Evaluation | int) -> SheetData:
    """What the sheet of ``evaluation`` shows; raises NotFound for an unknown id."""
    if isinstance(evaluation, int):
        evaluation = service.get(session, evaluation)
    office = settings_file.load(store.folder)
    record = view.read(session, store.library, evaluation)
    texts = {item.key: item.text for item in record.items}
    follow_up = record.follows is not None
    checked = {item.key for item in record.items if not follow_up or _rechecked(item)}
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
                    rechecked=i.key in checked,
                )
                for i in record.items
                if i.checklist_id == pin.id
            ],
        )
        for pin in record.checklists
    ]
    earlier_photos = {sha for i in record.items if i.previous for sha in i.previous.photos}
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
        if not follow_up
        or (
            p.sha256 not in earlier_photos
            and (p.item_code is None or (p.checklist_id or "", p.item_code) in checked)
        )
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
    inspector = inspector_name(record.inspector, record.signatures, office.inspector_name)
    signer = next((s.name for s in record.signatures if s.role == SignerRole.INSPECTOR), inspector)
    return SheetData(
        id=record.id,
        uuid=record.uuid,
        kind_label=record.kind.label,
        draft=record.draft,
        inspector=inspector,
        started_at=record.started_at,
        finalized_at=record.finalized_at,
        verdict=record.verdict,
        verdict_text=record.verdict_text,
        content_sha256=record.content_sha256,
        replaces=record.replaces,
        follows=record.follows,
        unit=UnitBlock.of(evaluation.unit, office),
        checklists=checklists,
        photos=photos,
        signatures=signatures,
        prudent=record.prudent,
        evidence=record.evidence,
        badges=badges(signer if signer != BLANK else "", office),
        photos_per_page=office.photos_per_page,
        earlier=_earlier(session, record, len(checked)) if follow_up else "",
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
    pairs: list[tuple[str, object]] = [
        ("评价类型", data.kind_label),
        ("评价编号", str(data.id)),
        ("检查日期", _when(data.started_at, with_time=False)),
        ("检查人员", data.inspector),
        ("状态*", status),
        ("检查表*", data.pins),
    ]
    if data.earlier:
        pairs.append(("复查依据*", data.earlier.removeprefix("复查依据：")))
    return pdfkit.key_value_table(pairs)


def _checklist_table(checklist: SheetChecklist, items: list[SheetItem]) -> list[Flowable]:
    widths = [12 * mm, 76 * mm, 17 * mm, 33 * mm]
    widths.append(FRAME_WIDTH - sum(widths))
    rows: list[list[Any]] = [
        [para(h, "cell_bold") for h in ("代码", "检查内容", "结果", "备注", "整改要求及期限")]
    ]
    shading: list[tuple[Any, ...]] = []
    for n, item in enumerate(items, start=1):
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
    heading = para(f"{checklist.title}（第 {checklist.version} 版）", "h2")
    table = pdfkit.grid_table(
        rows,
        widths,
        *shading,
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
    )
    return [CondPageBreak(30 * mm), heading, table]


def _checklists(data: SheetData) -> list[Flowable]:
    story: list[Flowable] = []
    for checklist in data.checklists:
        items = [i for i in checklist.items if i.rechecked]
        if items:
            story.extend(_checklist_table(checklist, items))
    if data.follows is not None and not story:
        story.append(para("本次没有需要复查的条目。", "note"))
    return story


def _verdict(data: SheetData) -> Table:
    if data.draft or data.verdict is None:
        label, reason = "未定稿，尚无结论", "评价定稿后由检查表规则给出结论"
    else:
        label, reason = Outcome(data.verdict).label, data.verdict_text or ""
        head = reason.split("：", 1)[0]
        if head.startswith(label):
            label = head  # "通过（审慎培育，待县局确认）": the conclusion keeps its warning
    return pdfkit.key_value_table([("评价结论*", label), ("结论说明*", reason)])


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


def badge_line(data: SheetData) -> str:
    """执法证号 of each inspector who signs ("张三 33110001；李四 33110002"), a blank to fill in
    for one the settings do not know, or for a sheet whose inspectors are not known here."""
    if not data.badges:
        return f"执法证号：{BLANK}"
    return "执法证号：" + "；".join(f"{name} {badge or BLANK}" for name, badge in data.badges)


def _signed(signature: SheetSignature | None) -> Flowable:
    if signature is None:
        return para("（未签名）")
    if signature.path.is_file():
        return Image(str(signature.path), *SIGNATURE_BOX, kind="proportional")
    return para(f"（签名图片缺失：{signature.path.name}）")


def _signatures(data: SheetData) -> Table:
    """检查人员 (with 执法证号) and 单位负责人 signatures, and the 单位盖章 box beside them."""
    by_role = {s.role_label: s for s in data.signatures}
    inspector = by_role.get(service.Role.INSPECTOR.label)
    unit = by_role.get(service.Role.UNIT.label)

    def who(signature: SheetSignature | None, extra: str = "") -> Paragraph:
        lines = [] if signature is None else [signature.name, _when(signature.signed_at)]
        if extra:
            lines.append(extra)
        return para("\n".join(lines) or " ")

    stamp = [para("（单位公章）", "caption"), Spacer(1, 16 * mm), para("年　　月　　日", "caption")]
    rows: list[list[Any]] = [
        [
            para(f"{service.Role.INSPECTOR.label}签名", "cell_bold"),
            para(f"{service.Role.UNIT.label}签名", "cell_bold"),
            para("单位盖章", "cell_bold"),
        ],
        [_signed(inspector), _signed(unit), stamp],
        [who(inspector, badge_line(data)), who(unit), ""],
    ]
    side = (FRAME_WIDTH - STAMP_WIDTH) / 2
    return pdfkit.grid_table(
        rows,
        [side, side, STAMP_WIDTH],
        ("SPAN", (2, 1), (2, 2)),
        ("VALIGN", (0, 1), (1, 1), "MIDDLE"),
        ("ALIGN", (0, 1), (1, 1), "CENTER"),
        ("VALIGN", (2, 1), (2, 2), "MIDDLE"),
        row_heights=[None, SIGNATURE_BOX[1] + 3 * mm, None],
    )


def _verification(data: SheetData) -> Table:
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
    return pdfkit.grid_table(
        [[code, text]],
        [QR_SIZE + 6 * mm, FRAME_WIDTH - QR_SIZE - 6 * mm],
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        header=False,
    )


def _closing(data: SheetData) -> Flowable:
    """评价结论, 结论说明, signatures, 执法证号, 单位盖章 and the QR code: one page, never split."""
    gap = Spacer(1, 2 * mm)
    return KeepTogether([gap, _verdict(data), gap, _signatures(data), gap, _verification(data)])


def _photo_cell(photo: SheetPhoto, box: tuple[float, float]) -> list[Flowable]:
    taken = _when(photo.taken_at) if photo.taken_at else "时间不详"
    shown: list[Flowable] = [para(f"{photo.caption}\n拍摄：{taken}", "caption")]
    if photo.doubts:
        shown.append(
            Paragraph(
                f'<font color="{DOUBT_RED}">{escape("证据提示：" + photo.doubts)}</font>',
                pdfkit.styles()["caption"],
            )
        )
    shown.append(para(f"校验：{photo.sha256[:12]}", "caption"))
    if not photo.path.is_file():
        return [para(f"（照片文件缺失：{photo.sha256[:12]}）"), *shown]
    width, height = _fit(photo.width, photo.height, box)
    return [Image(str(photo.path), width=width, height=height), *shown]


def photo_columns(per_page: int) -> int:
    return PHOTO_COLUMNS.get(per_page, PHOTO_COLUMNS[9])


def _appendix(data: SheetData) -> list[Flowable]:
    """The photos, ``photos_per_page`` to a page: three rows of three (or two) columns."""
    if not data.photos:
        return []
    columns = photo_columns(data.photos_per_page)
    width = FRAME_WIDTH / columns
    box = (width - 4 * mm, PHOTO_BOX[1])
    heading = f"附：现场照片（共 {len(data.photos)} 张）"
    if data.follows is not None:
        heading = f"附：本次复查的新照片（共 {len(data.photos)} 张；此前的照片见原评价表）"
    story: list[Flowable] = [PageBreak(), para(heading, "h2")]
    cells = [_photo_cell(p, box) for p in data.photos]
    per_page = columns * PHOTO_ROWS
    for start in range(0, len(cells), per_page):
        page = cells[start : start + per_page]
        rows = [page[i : i + columns] for i in range(0, len(page), columns)]
        rows[-1].extend([] for _ in range(columns - len(rows[-1])))
        table = Table(rows, colWidths=[width] * columns)
        table.setStyle(
            pdfkit.table_style(
                ("ALIGN", (0, 0), (-1, -1), "CENTER"),
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                ("GRID", (0, 0), (-1, -1), 0, pdfkit.colors.white),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                header=False,
            )
        )
        if start:
            story.append(PageBreak())
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
    story.extend(_checklists(data))
    story.extend(_evidence(data))
    story.append(_closing(data))
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
