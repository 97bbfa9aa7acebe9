"""Target against achieved per station, as horizontal bars drawn with QPainter.

QtCharts is not in PySide6-Essentials (it would add the Addons wheel to every laptop); a dozen
stations need nothing more than a painted widget. The data is plain tuples, so the chart can be
tested by what it was given and looked at in a screenshot.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from fieldapp.ui.strings import tr

TARGET_COLOUR = QColor("#c9d6e8")
DONE_COLOUR = QColor("#2f6fb3")
LATE_COLOUR = QColor("#d9822b")  # achieved below the target
ROW_HEIGHT = 26
LABEL_WIDTH = 110
NUMBER_WIDTH = 110


@dataclass(frozen=True)
class Bar:
    label: str
    target: int
    achieved: int


class BarChart(QWidget):
    """One row per station: the target as a pale bar, what is achieved drawn over it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("barChart")
        self.bars: list[Bar] = []
        self.title = ""
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_bars(self, title: str, bars: list[Bar]) -> None:
        self.title = title
        self.bars = bars
        self.updateGeometry()
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(520, 34 + ROW_HEIGHT * max(len(self.bars), 1) + 24)

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), self.palette().base())
        text = self.palette().text().color()
        painter.setPen(text)
        painter.drawText(
            QRectF(8, 4, self.width() - 16, 22), Qt.AlignmentFlag.AlignLeft, self.title
        )
        if not self.bars:
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, tr("chart.empty"))
            return
        scale = max(max(b.target, b.achieved) for b in self.bars) or 1
        width = max(self.width() - LABEL_WIDTH - NUMBER_WIDTH - 16, 40)
        y = 30.0
        for bar in self.bars:
            painter.setPen(text)
            painter.drawText(
                QRectF(8, y, LABEL_WIDTH - 8, ROW_HEIGHT),
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                bar.label,
            )
            left = float(LABEL_WIDTH)
            height = ROW_HEIGHT - 8.0
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(TARGET_COLOUR)
            painter.drawRect(QRectF(left, y + 4, width * bar.target / scale, height))
            painter.setBrush(DONE_COLOUR if bar.achieved >= bar.target else LATE_COLOUR)
            painter.drawRect(QRectF(left, y + 8, width * bar.achieved / scale, height - 8))
            painter.setPen(QPen(text))
            painter.drawText(
                QRectF(left + width + 8, y, NUMBER_WIDTH, ROW_HEIGHT),
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                f"{bar.achieved} / {bar.target}",
            )
            y += ROW_HEIGHT
        painter.setPen(text)
        legend = tr("chart.legend")
        painter.drawText(QRectF(LABEL_WIDTH, y + 2, width + NUMBER_WIDTH, 20), legend)
