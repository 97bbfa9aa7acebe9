"""The CJK font embedded in every PDF fieldapp prints.

ReportLab rejects CFF-flavoured CJK fonts (Noto CJK), and its built-in CID font STSong-Light is
not embedded, so Chinese prints blank on a machine without Adobe's language pack. WenQuanYi Micro
Hei (Apache-2.0, package data in ``fieldapp/resources/fonts/``) is a TrueType collection ReportLab
embeds as a subset.
"""

from __future__ import annotations

import threading

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from fieldapp.errors import FieldappError
from fieldapp.paths import resource_path

FONT = "WQYMicroHei"
FONT_FILE = "wqy-microhei.ttc"

_lock = threading.Lock()


def register() -> str:
    """Register the bundled font with ReportLab once; return its name for styles."""
    with _lock:
        if FONT in pdfmetrics.getRegisteredFontNames():
            return FONT
        path = resource_path("fonts", FONT_FILE)
        if not path.is_file():
            raise FieldappError(
                f"找不到打印用的中文字体 {path}。请重新安装 fieldapp，或把 {FONT_FILE} 放回该位置。"
            )
        pdfmetrics.registerFont(TTFont(FONT, str(path), subfontIndex=0))
        return FONT
