"""Bar charts drawn with ReportLab graphics, every label in the embedded CJK font.

ReportLab's chart classes default to Helvetica for axis labels and legends; left alone, one
chart would pull a non-embedded base-14 font into the PDF. Every text-bearing part is set here.
"""

from __future__ import annotations

from collections.abc import Sequence

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.units import mm

from fieldapp.reports import fonts

PALETTE = (colors.HexColor("#9DB4CE"), colors.HexColor("#2F6B9A"), colors.HexColor("#D98C3A"))


def _nice_max(value: float) -> float:
    """A round axis maximum a little above ``value`` (1, 2, 5 × 10ⁿ steps)."""
    if value <= 0:
        return 1
    step = 1.0
    while step * 10 < value:
        step *= 10
    for factor in (1, 2, 5, 10):
        if step * factor >= value * 1.05:
            return step * factor
    return step * 10


def bar_chart(
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    *,
    width: float,
    height: float = 62 * mm,
    title: str = "",
) -> Drawing:
    """Grouped vertical bars, one group per category and one colour per named series."""
    font = fonts.register()
    drawing = Drawing(width, height)
    drawing.initialFontName = font  # the renderer's starting font, Helvetica otherwise
    chart = VerticalBarChart()
    chart.x = 14 * mm
    chart.y = 14 * mm
    chart.width = width - 18 * mm
    chart.height = height - 26 * mm
    chart.data = [list(values) or [0] for _, values in series]
    chart.barSpacing = 1
    chart.groupSpacing = 6
    for i in range(len(series)):
        chart.bars[i].fillColor = PALETTE[i % len(PALETTE)]
        chart.bars[i].strokeColor = None
    peak = max((v for _, values in series for v in values), default=0)
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = _nice_max(peak)
    chart.valueAxis.valueStep = chart.valueAxis.valueMax / 5
    chart.valueAxis.labels.fontName = font
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.labelTextFormat = "%d"
    chart.valueAxis.strokeColor = colors.grey
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.gridStrokeColor = colors.HexColor("#DDDDDD")
    chart.categoryAxis.categoryNames = list(categories) or [""]
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 7.5
    chart.categoryAxis.labels.boxAnchor = "n"
    chart.categoryAxis.strokeColor = colors.grey
    if len(categories) > 10:
        chart.categoryAxis.labels.angle = 30
        chart.categoryAxis.labels.boxAnchor = "ne"
    drawing.add(chart)

    legend = Legend()
    legend.fontName = font
    legend.fontSize = 8
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.deltax = 60
    legend.x = width - 12 * mm - 60 * len(series)
    legend.y = height - 4 * mm
    legend.dx = legend.dy = 7
    legend.colorNamePairs = [
        (PALETTE[i % len(PALETTE)], name) for i, (name, _) in enumerate(series)
    ]
    drawing.add(legend)
    if title:
        drawing.add(String(0, height - 6 * mm, title, fontName=font, fontSize=9))
    return drawing
