"""Shared ReportLab pieces for every printed document: A4 page, CJK styles, page numbers, unit block.

Every font in a fieldapp PDF is the bundled WenQuanYi Micro Hei (embedded as a subset), so each
style, table and canvas string here sets it explicitly: one forgotten default would pull in the
non-embedded base-14 Helvetica. Chinese wraps anywhere (``wordWrap="CJK"``), so long notes never
run off a cell, and no line starts with closing punctuation (，。、；：）etc.).

Page numbers ("第 N 页 共 M 页") need the page count before a page is drawn: :class:`NumberedCanvas`
keeps every page's state, then draws the header and footer when the document is saved. A
document can hold several *sections* (a batch of evaluation sheets): a :class:`Section` flowable
at the top of a page starts a new one, and numbering, header text and the draft watermark
restart with it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO
from xml.sax.saxutils import escape

from reportlab import rl_config
from reportlab.lib import colors, textsplit
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas as pdfcanvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Table, TableStyle, paragraph

from fieldapp.domain.vocab import UnitType, industry_label, label_or
from fieldapp.reports import fonts
from fieldapp.settings import Settings
from fieldapp.storage.models import Unit

# Photos are JPEG files already: they go into the PDF as they are (DCTDecode). ReportLab's
# default would re-encode every image as ASCII85 text, in pure Python (its C accelerator is a
# separate package), which made a third of a sheet's time and a quarter of its size.
rl_config.useA85 = 0

PAGE = A4
MARGIN = 16 * mm
TOP = 20 * mm  # room for the running header
BOTTOM = 18 * mm  # room for the page number
FRAME_WIDTH = PAGE[0] - 2 * MARGIN
GRID = colors.HexColor("#808080")
SHADE = colors.HexColor("#EEEEEE")
FAIL_SHADE = colors.HexColor("#FDE3E3")
DRAFT_RED = colors.HexColor("#C00000")


def font() -> str:
    """The registered CJK font's name (registers it on first use)."""
    return fonts.register()


# ReportLab's CJK wrap keeps its "cannot start a line" characters on the line before (hung in
# the margin), but its list has only the ideographic 、。」』】〕 and the full-width ）; a line
# could start with a full-width comma, semicolon or colon. Chinese closing punctuation joins it.
CANNOT_START_LINE = "，；：！？》〉”’…％"


def _no_line_starts_with_closing_punctuation() -> None:
    # Both copies: a one-run paragraph wraps in textsplit.wordSplit, a marked-up one in
    # paragraph.cjkFragSplit, each reading its module's name when it runs.
    for module in (textsplit, paragraph):
        missing = "".join(c for c in CANNOT_START_LINE if c not in module.ALL_CANNOT_START)
        if missing:
            module.ALL_CANNOT_START += missing


@lru_cache(maxsize=1)
def styles() -> dict[str, ParagraphStyle]:
    """Paragraph styles, all in the CJK font with CJK wrapping.

    ``title``, ``subtitle``, ``h2`` (a checklist's heading), ``body``, ``cell`` (table text),
    ``cell_bold``, ``small`` (hashes), ``caption`` (centred, under a photo), ``mark`` (a red
    stamp such as 草稿), ``right`` (the issuer and date at the foot of a notice).
    """
    name = font()
    _no_line_starts_with_closing_punctuation()

    def style(key: str, size: float, **extra: Any) -> ParagraphStyle:
        return ParagraphStyle(
            key,
            fontName=name,
            fontSize=size,
            leading=extra.pop("leading", size * 1.35),
            wordWrap="CJK",
            **extra,
        )

    return {
        "title": style("title", 17, alignment=TA_CENTER, spaceAfter=2 * mm),
        "subtitle": style("subtitle", 10.5, alignment=TA_CENTER, spaceAfter=2 * mm),
        "mark": style("mark", 14, alignment=TA_CENTER, textColor=DRAFT_RED, spaceAfter=2 * mm),
        "h2": style("h2", 11.5, spaceBefore=4 * mm, spaceAfter=1.5 * mm),
        "body": style("body", 9.5, spaceAfter=1 * mm),
        "note": style("note", 9, spaceBefore=2 * mm, spaceAfter=1 * mm),
        "cell": style("cell", 8.5),
        "cell_bold": style("cell_bold", 8.5, textColor=colors.black),
        "small": style("small", 7.5, textColor=colors.HexColor("#333333")),
        "caption": style("caption", 7.5, alignment=TA_CENTER, textColor=colors.HexColor("#333333")),
        "right": style("right", 10.5, alignment=TA_RIGHT),
    }


def para(text: object, style: str = "cell") -> Paragraph:
    """A paragraph of plain text (escaped, newlines kept) in one of :func:`styles`."""
    body = escape("" if text is None else str(text)).replace("\n", "<br/>")
    return Paragraph(body, styles()[style])


def table_style(*commands: tuple[Any, ...], header: bool = True) -> TableStyle:
    """A grid in the CJK font; ``header`` shades the first row (repeated on each page)."""
    base: list[tuple[Any, ...]] = [
        ("FONTNAME", (0, 0), (-1, -1), font()),
        ("FONTSIZE", (0, 0), (-1, -1), 8.5),
        ("GRID", (0, 0), (-1, -1), 0.5, GRID),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
    ]
    if header:
        base.append(("BACKGROUND", (0, 0), (-1, 0), SHADE))
    return TableStyle([*base, *commands])


def grid_table(
    rows: Sequence[Sequence[Any]],
    widths: Sequence[float],
    *commands: tuple[Any, ...],
    header: bool = True,
    row_heights: Sequence[float | None] | None = None,
) -> Table:
    """A table that splits across pages by row, repeating its header row.

    ``row_heights`` fixes rows' heights (None: fit the content), e.g. room to write by hand.
    """
    table = Table(
        [list(r) for r in rows],
        colWidths=list(widths),
        rowHeights=list(row_heights) if row_heights is not None else None,
        repeatRows=1 if header else 0,
        splitByRow=1,
    )
    table.setStyle(table_style(*commands, header=header))
    return table


def station_title(unit: Unit) -> str:
    """The issuing office: "缙云县市场监督管理局五云所", or the station's name alone."""
    station = unit.station
    county = (station.county or "").strip()
    return f"{county}市场监督管理局{station.name}" if county else station.name


def issuer(unit: Unit, office: Settings) -> str:
    """Who issues a document about ``unit``: the office's full name from the settings
    (``office_name``, e.g. 缙云县市场监督管理局五云市场监督管理所) when the settings' station is
    the unit's (or none is set), else :func:`station_title`."""
    full = office.office_name.strip()
    own = office.station.strip()
    if full and (not own or own == unit.station.name):
        return full
    return station_title(unit)


@dataclass(frozen=True)
class UnitBlock:
    """What a printed document says about a unit (read inside a session, used outside)."""

    name: str
    credit_code: str
    address: str
    station: str
    issuer: str
    unit_type: str
    industry: str
    contact: str
    phone: str

    @classmethod
    def of(cls, unit: Unit, office: Settings | None = None) -> UnitBlock:
        """The unit's block; ``office`` (the settings) names the issuer in full."""
        return cls(
            name=unit.name,
            credit_code=unit.credit_code,
            address=unit.address or "—",
            station=unit.station.name,
            issuer=station_title(unit) if office is None else issuer(unit, office),
            unit_type=label_or(UnitType, unit.unit_type),
            industry=industry_label(unit.industry) or "—",
            contact=unit.contact_person or "—",
            phone=unit.contact_phone or "—",
        )


def key_value_table(pairs: Sequence[tuple[str, object]], *, span_long: bool = True) -> Table:
    """Label/value pairs two to a row; a pair whose label ends in "*" takes the whole row.

    A value is printed as text ("—" when empty; " " leaves a blank to write in) or, if it is a
    flowable (a paragraph with markup), as is.
    """
    label_w, value_w = 27 * mm, FRAME_WIDTH / 2 - 27 * mm
    rows: list[list[Any]] = []
    spans: list[tuple[Any, ...]] = []
    shading: list[tuple[Any, ...]] = []
    pending: list[Any] = []
    for label, value in pairs:
        wide = span_long and label.endswith("*")
        label = label.rstrip("*")
        shown = (
            value
            if isinstance(value, Flowable)
            else para(value if value not in (None, "") else "—")
        )
        cells = [para(label, "cell_bold"), shown]
        if wide:
            if pending:
                rows.append([*pending, "", ""])
                pending = []
            rows.append([*cells, "", ""])
            spans.append(("SPAN", (1, len(rows) - 1), (3, len(rows) - 1)))
        else:
            pending.extend(cells)
            if len(pending) == 4:
                rows.append(pending)
                pending = []
    if pending:
        rows.append([*pending, "", ""])
    spanned = {cmd[1][1] for cmd in spans}
    for r in range(len(rows)):
        shading.append(("BACKGROUND", (0, r), (0, r), SHADE))
        if r not in spanned and rows[r][2] != "":
            shading.append(("BACKGROUND", (2, r), (2, r), SHADE))
    return grid_table(rows, [label_w, value_w, label_w, value_w], *spans, *shading, header=False)


def unit_table(unit: UnitBlock) -> Table:
    """The unit block every sheet and form starts with."""
    return key_value_table(
        [
            ("单位名称*", unit.name),
            ("统一社会信用代码", unit.credit_code),
            ("所属所（分局）", unit.station),
            ("经营地址*", unit.address),
            ("单位类型", unit.unit_type),
            ("行业", unit.industry),
            ("负责人", unit.contact),
            ("联系电话", unit.phone),
        ]
    )


# --- sections and page numbers --------------------------------------------------------------


class Section(Flowable):
    """Zero-size marker: from this page on, a new numbered section with its own header.

    ``on_start`` is called when the marker is laid out (a batch reports progress and checks
    for cancellation there); an exception it raises stops the build.
    """

    def __init__(
        self,
        header: str,
        *,
        draft: bool = False,
        on_start: Callable[[], None] | None = None,
    ) -> None:
        super().__init__()
        self.header = header
        self.draft = draft
        self.on_start = on_start
        self.width = self.height = 0

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        if self.on_start is not None:
            self.on_start()
        canv = self.canv
        canv._fieldapp_section = getattr(canv, "_fieldapp_section", 0) + 1
        canv._fieldapp_header = self.header
        canv._fieldapp_draft = self.draft


class NumberedCanvas(pdfcanvas.Canvas):
    """Draws "第 N 页 共 M 页", the running header and the draft watermark on every page.

    Pages are kept until :meth:`save`, when each section's page count is known.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The page preamble's default font would otherwise be the non-embedded Helvetica.
        # (platypus passes ``initialFontName=None`` explicitly, so replace a None too).
        if not kwargs.get("initialFontName"):
            kwargs["initialFontName"] = font()
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []
        self.setFont(font(), 9)

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()
        self.setFont(font(), 9)

    def save(self) -> None:
        totals: dict[int, int] = {}
        for page in self._pages:
            section = page.get("_fieldapp_section", 0)
            totals[section] = totals.get(section, 0) + 1
        seen: dict[int, int] = {}
        for page in self._pages:
            self.__dict__.update(page)
            section = page.get("_fieldapp_section", 0)
            seen[section] = seen.get(section, 0) + 1
            self._decorate(
                seen[section],
                totals[section],
                page.get("_fieldapp_header", ""),
                bool(page.get("_fieldapp_draft", False)),
            )
            super().showPage()
        super().save()

    def _decorate(self, number: int, total: int, header: str, draft: bool) -> None:
        width, height = PAGE
        name = font()
        self.saveState()
        if draft:
            self.setFillColor(DRAFT_RED)
            self.setFillAlpha(0.12)
            self.setFont(name, 64)
            self.translate(width / 2, height / 2)
            self.rotate(40)
            self.drawCentredString(0, 0, "草稿（未定稿）")
        self.restoreState()
        self.saveState()
        self.setFont(name, 8)
        self.setFillColor(colors.HexColor("#555555"))
        self.setStrokeColor(GRID)
        self.setLineWidth(0.4)
        if header:
            self.drawString(MARGIN, height - 12 * mm, header)
            self.line(MARGIN, height - 13.5 * mm, width - MARGIN, height - 13.5 * mm)
        self.setFont(name, 9)
        self.drawCentredString(width / 2, 10 * mm, f"第 {number} 页 共 {total} 页")
        self.restoreState()


def document(path: Path | BinaryIO, title: str) -> SimpleDocTemplate:
    """An A4 document with fieldapp's margins (into a file, or a binary stream such as a
    BytesIO); build it with ``canvasmaker=NumberedCanvas``."""
    font()
    return SimpleDocTemplate(
        path if not isinstance(path, Path) else str(path),
        pagesize=PAGE,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=TOP,
        bottomMargin=BOTTOM,
        title=title,
        author="fieldapp",
        creator="fieldapp",
    )


def build(path: Path | BinaryIO, title: str, story: list[Flowable]) -> None:
    """Lay ``story`` out into ``path`` with page numbers on every page."""
    document(path, title).build(story, canvasmaker=NumberedCanvas)
