"""A photo, large, with 向左转 / 向右转: a sideways photo is saved as a new upright copy beside
the original (which is kept as it was, see :mod:`fieldapp.photos.rotate`).

The turn is shown at once on screen; nothing is written until 另存为转正的照片. A photo of an
earlier evaluation or of a finalized one is shown without the turn buttons.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QPixmap, QResizeEvent, QShortcut, QTransform
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from fieldapp.ui.strings import tr

MARGIN = 80  # room for the buttons and the window frame within the screen


class PhotoPreview(QDialog):
    """One photo as large as the screen allows; ←/→ (or the buttons) turn it, Esc closes."""

    rotateChosen = Signal(int, int)  # photo id, clockwise quarter turns (1–3)

    def __init__(
        self,
        path: Path,
        caption: str,
        parent: QWidget | None = None,
        *,
        photo_id: int | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("photoPreview")
        self.setWindowTitle(tr("preview.title", caption=caption))
        self.photo_id = photo_id
        self.turns = 0
        self._pixmap = QPixmap(str(path))
        self.image = QLabel()
        self.image.setObjectName("previewImage")
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.image.setMinimumSize(200, 150)
        self.caption = QLabel(caption)
        self.caption.setObjectName("previewCaption")
        self.caption.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.buttons.rejected.connect(self.reject)
        can_turn = photo_id is not None and not self._pixmap.isNull()
        self.left = QPushButton(tr("preview.left"))
        self.left.setObjectName("rotateLeft")
        self.right = QPushButton(tr("preview.right"))
        self.right.setObjectName("rotateRight")
        self.save = QPushButton(tr("preview.save"))
        self.save.setObjectName("saveUpright")
        self.save.setToolTip(tr("preview.save_tip"))
        for button in (self.left, self.right, self.save):
            button.setAutoDefault(False)
            self.buttons.addButton(button, QDialogButtonBox.ButtonRole.ActionRole)
            button.setVisible(can_turn)
        self.left.clicked.connect(lambda _checked=False: self.turn(-1))
        self.right.clicked.connect(lambda _checked=False: self.turn(1))
        self.save.clicked.connect(lambda _checked=False: self.save_upright())
        if can_turn:
            for key, step in ((Qt.Key.Key_Left, -1), (Qt.Key.Key_Right, 1)):
                QShortcut(QKeySequence(key), self).activated.connect(lambda s=step: self.turn(s))
        layout = QVBoxLayout(self)
        layout.addWidget(self.image, 1)
        layout.addWidget(self.caption)
        layout.addWidget(self.buttons)
        self._update_save()
        if self._pixmap.isNull():
            self.image.setText(tr("eval.photo_missing", name=path.name))
        screen = self.screen().availableGeometry() if self.screen() else None
        if screen is not None:
            self.resize(max(480, screen.width() - MARGIN), max(360, screen.height() - MARGIN))
        else:
            self.resize(1000, 720)

    def turn(self, step: int) -> None:
        """Turn the shown photo a quarter to the right (1) or left (-1); nothing is saved."""
        if self.photo_id is None or self._pixmap.isNull():
            return
        self.turns = (self.turns + step) % 4
        self._update_save()
        self._show_pixmap()

    def _update_save(self) -> None:
        self.save.setEnabled(self.turns != 0)

    def save_upright(self) -> None:
        if self.photo_id is None or self.turns == 0:
            return
        self.rotateChosen.emit(self.photo_id, self.turns)
        self.accept()

    def _show_pixmap(self) -> None:
        if self._pixmap.isNull():
            return
        shown = self._pixmap.transformed(QTransform().rotate(90 * self.turns))
        self.image.setPixmap(
            shown.scaled(
                self.image.size(),
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        )

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._show_pixmap()
