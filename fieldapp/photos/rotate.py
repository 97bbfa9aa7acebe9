"""A sideways photo turned upright as a new copy; the stored original is never touched.

Stored photos are content-addressed JPEGs without EXIF (see :mod:`fieldapp.photos.ingest`), their
capture time and place kept on the photo's record. :func:`upright_copy` writes the turned pixels
to a new JPEG and puts that time and place back into its EXIF, so when the copy is attached like
any photo (:func:`fieldapp.services.evaluations.attach`) it keeps the original's date and GPS for
the evidence checks, and gets its own hash. The original file and record stay as they were.
"""

from __future__ import annotations

import os
from datetime import datetime
from fractions import Fraction
from pathlib import Path

from PIL import Image

from fieldapp.errors import InvalidInput

_IFD_EXIF = 0x8769
_IFD_GPS = 0x8825
_TAG_DATETIME_ORIGINAL = 0x9003
_GPS_LAT_REF, _GPS_LAT, _GPS_LON_REF, _GPS_LON = 1, 2, 3, 4
QUALITY = 92
TURNS = {1: Image.Transpose.ROTATE_270, 2: Image.Transpose.ROTATE_180, 3: Image.Transpose.ROTATE_90}
"""Clockwise quarter turns → Pillow's (counter-clockwise) transposition."""


def _dms(value: float) -> tuple[Fraction, Fraction, Fraction]:
    value = abs(value)
    degrees = int(value)
    minutes_float = (value - degrees) * 60
    minutes = int(minutes_float)
    seconds = Fraction(round((minutes_float - minutes) * 60 * 10000), 10000)
    return Fraction(degrees), Fraction(minutes), seconds


def _exif(taken_at: datetime | None, gps: tuple[float, float] | None) -> Image.Exif:
    exif = Image.Exif()
    if taken_at is not None:
        exif.get_ifd(_IFD_EXIF)[_TAG_DATETIME_ORIGINAL] = taken_at.strftime("%Y:%m:%d %H:%M:%S")
    if gps is not None:
        lat, lon = gps
        place = exif.get_ifd(_IFD_GPS)
        place[_GPS_LAT_REF] = "S" if lat < 0 else "N"
        place[_GPS_LAT] = _dms(lat)
        place[_GPS_LON_REF] = "W" if lon < 0 else "E"
        place[_GPS_LON] = _dms(lon)
    return exif


def normal_turns(quarter_turns: int) -> int:
    """0–3 clockwise quarter turns for any whole number of them (−1 is one to the left)."""
    return quarter_turns % 4


def upright_copy(
    source: str | os.PathLike[str],
    quarter_turns: int,
    out: str | os.PathLike[str],
    *,
    taken_at: datetime | None = None,
    gps: tuple[float, float] | None = None,
) -> Path:
    """Write ``source`` turned ``quarter_turns`` times clockwise to the new JPEG ``out``,
    carrying ``taken_at`` and ``gps`` in its EXIF; the caller attaches it and removes it.
    A photo that is not turned is refused."""
    turns = normal_turns(quarter_turns)
    name = Path(source).name
    if turns == 0:
        raise InvalidInput(f"照片 {name}：没有旋转，不需要另存")
    try:
        with Image.open(source) as img:
            img.load()
            turned = img.transpose(TURNS[turns])
    except FileNotFoundError:
        raise InvalidInput(f"照片 {name} 的文件不在照片库中，无法旋转") from None
    except OSError as exc:
        raise InvalidInput(f"照片 {name} 无法读取（{exc}），无法旋转") from None
    if turned.mode not in ("RGB", "L"):
        turned = turned.convert("RGB")
    turned.save(out, "JPEG", quality=QUALITY, exif=_exif(taken_at, gps))
    return Path(out)


__all__ = ["normal_turns", "upright_copy"]
