"""Turn a photo file into the evidence copy that is stored: upright, bounded in size, JPEG.

Inspectors attach photos straight from phones and cameras. Those files are sideways (EXIF
orientation), far larger than a printed sheet needs, sometimes HEIC, and now and then broken
(copy interrupted) or hostile (a tiny file that claims gigapixels). :func:`prepare` does all the
image work in memory and either returns a complete :class:`PreparedPhoto` or raises
:class:`~fieldapp.errors.InvalidInput`; it never writes anything, so a refused file cannot leave
a half-stored photo behind. Storing is :class:`fieldapp.photos.store.PhotoStore`'s job.
"""

from __future__ import annotations

import hashlib
import io
import os
import struct
import threading
import warnings
import zlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError

from fieldapp.errors import InvalidInput

# HEIC is what iPhones (and many Android phones) save; declared in pyproject. Its opener is
# registered with Pillow by the first prepare() (_open_heic_too), not when this module loads:
# starting the window or a command does not pay for pillow-heif.
_heif_lock = threading.Lock()
_heif_tried = False

DEFAULT_MAX_SIDE = 2048
# File names offered in photo pickers and accepted by drag and drop (the content is still checked).
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".heic", ".heif", ".webp", ".tif", ".tiff", ".bmp")
"""Long side of the stored copy: sharp on an A4 sheet and on screen, ~0.5-1 MB as JPEG."""

THUMB_SIDE = 320
"""Long side of the thumbnail shown in lists."""

JPEG_QUALITY = 88
THUMB_QUALITY = 80

MAX_PIXELS = 80_000_000
"""Refuse anything larger than this (from the header, before decoding). 80 MP is above every
phone camera in use and well below what would exhaust an inspector's laptop."""

# Pillow only *warns* between its MAX_IMAGE_PIXELS and twice that. Here that is a refusal, set
# once for the process when this module loads: ``warnings.catch_warnings()`` around each open
# would change process-wide state from the ingest pool's threads, which is not thread-safe.
warnings.filterwarnings("error", category=Image.DecompressionBombWarning)

# EXIF tags (Pillow's Image.Exif is keyed by number).
_TAG_DATETIME = 0x0132
_IFD_EXIF = 0x8769
_IFD_GPS = 0x8825
_TAG_DATETIME_ORIGINAL = 0x9003
_GPS_LAT_REF, _GPS_LAT, _GPS_LON_REF, _GPS_LON = 1, 2, 3, 4

# What Pillow and pillow-heif raise while decoding a damaged file.
_DECODE_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    struct.error,
    zlib.error,
    RuntimeError,
    NotImplementedError,  # a format variant Pillow does not decode (seen in crafted TIFF/ICO files)
    IndexError,
    KeyError,
    TypeError,
    ZeroDivisionError,
    MemoryError,
)


@dataclass(frozen=True, slots=True)
class PreparedPhoto:
    """A photo ready to store: the bytes to keep, their hash and what was read from EXIF.

    ``taken_at`` is the camera's local wall-clock time as EXIF records it (naive: EXIF usually
    has no time zone). ``gps`` is (latitude, longitude) in decimal degrees, south/west negative.
    """

    jpeg: bytes
    thumbnail: bytes
    sha256: str
    width: int
    height: int
    taken_at: datetime | None
    gps: tuple[float, float] | None
    original_name: str


def prepare(path: str | os.PathLike[str], max_side: int = DEFAULT_MAX_SIDE) -> PreparedPhoto:
    """Read ``path`` and build its stored form, or raise InvalidInput naming the file.

    The pixels are turned upright (all eight EXIF orientations), shrunk so the long side is at
    most ``max_side`` (never enlarged) and encoded as JPEG without EXIF, so no viewer can turn
    them a second time. Capture time and GPS are read from the original EXIF first.
    """
    if max_side < 1:
        raise ValueError(f"max_side must be positive, got {max_side}")
    _open_heic_too()
    path = Path(path)
    name = path.name
    try:
        img = Image.open(path)
    except FileNotFoundError:
        raise InvalidInput(
            f"{name}：找不到这个文件（可能已被移动或删除），请重新选择照片"
        ) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _bomb(name) from None
    except UnidentifiedImageError:
        raise InvalidInput(f"{name}：不是图片文件，请选择 JPG、PNG 或 HEIC 照片") from None
    except OSError as exc:  # a folder, no permission, file locked by another program
        raise InvalidInput(
            f"{name}：无法读取这个文件（{exc.strerror or exc}），"
            "请确认文件没有被其他程序占用、并且有权限读取后重试"
        ) from None
    except _DECODE_ERRORS:  # a header Pillow cannot make sense of
        raise InvalidInput(
            f"{name}：图片文件已损坏或格式不受支持，请选择相机或手机拍摄的 JPG、PNG 或 HEIC 照片"
        ) from None
    try:
        return _prepare_open(img, name, max_side)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _bomb(name) from None
    except InvalidInput:
        raise
    except _DECODE_ERRORS:
        raise InvalidInput(
            f"{name}：图片文件已损坏或格式不受支持，请选择相机或手机拍摄的 JPG、PNG 或 HEIC 照片"
        ) from None


def _prepare_open(img: Image.Image, name: str, max_side: int) -> PreparedPhoto:
    with img:
        width, height = img.size
        if width * height > MAX_PIXELS:
            raise _bomb(name)
        if img.format == "JPEG":
            # Let libjpeg decode at 1/2, 1/4 or 1/8 scale when that still leaves at least
            # the final size (stored orientation; scaling is the same either way round).
            img.draft("RGB", _fit_size(img.size, max_side))
        try:
            img.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _bomb(name) from None
        except _DECODE_ERRORS:
            raise InvalidInput(f"{name}：图片文件不完整（可能没有拷贝完），请重新拷贝") from None
        taken_at, gps = _read_metadata(img)
        icc_profile = img.info.get("icc_profile")
        turn = _TURNS.get(_orientation(img))
        # Shrunk first and turned after: a 2048-pixel image turns four times faster than the
        # full 12 megapixels, for the same upright pixels (the long side is the same either way)
        photo = _fit(_to_jpeg_mode(img), max_side)
    if turn is not None:
        photo = photo.transpose(turn)
    jpeg = _encode(photo, JPEG_QUALITY, icc_profile)
    thumbnail = _encode(_fit(photo, THUMB_SIDE), THUMB_QUALITY, icc_profile)
    return PreparedPhoto(
        jpeg=jpeg,
        thumbnail=thumbnail,
        sha256=hashlib.sha256(jpeg).hexdigest(),
        width=photo.width,
        height=photo.height,
        taken_at=taken_at,
        gps=gps,
        original_name=name,
    )


def _open_heic_too() -> None:
    """Register pillow-heif's opener with Pillow, once per process, from whichever thread
    prepares the first photo."""
    global _heif_tried
    if _heif_tried:
        return
    with _heif_lock:
        if _heif_tried:
            return
        try:
            import pillow_heif

            pillow_heif.register_heif_opener()
        except ImportError:  # pragma: no cover - without the dependency HEIC is "not an image"
            pass
        _heif_tried = True


def _bomb(name: str) -> InvalidInput:
    return InvalidInput(
        f"{name}：图片尺寸过大（可能是恶意文件），已拒绝；请改用相机或手机拍摄的原始照片"
    )


ORIENTATION = 0x0112  # the EXIF tag
# EXIF orientation -> the turn that makes the pixels upright (as ImageOps.exif_transpose does).
_TURNS = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _orientation(img: Image.Image) -> int:
    """The EXIF orientation tag (1-8; 1, upright, when absent or unreadable)."""
    try:
        value = img.getexif().get(ORIENTATION)
    except _DECODE_ERRORS:
        return 1
    return value if isinstance(value, int) else 1


def _fit(img: Image.Image, max_side: int) -> Image.Image:
    """Shrink so the long side is ``max_side``; smaller images are returned unchanged."""
    if max(img.size) <= max_side:
        return img
    return img.resize(_fit_size(img.size, max_side), Image.Resampling.LANCZOS, reducing_gap=3.0)


def _fit_size(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    """``size`` with its long side scaled down to ``max_side`` (unchanged if already within)."""
    width, height = size
    long_side = max(width, height)
    if long_side <= max_side:
        return width, height
    scale = max_side / long_side
    return max(1, round(width * scale)), max(1, round(height * scale))


def _to_jpeg_mode(img: Image.Image) -> Image.Image:
    """JPEG holds RGB or grey only: transparency goes onto white (as it would print)."""
    if img.mode in ("RGB", "L"):
        return img
    if img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info:
        rgba = img.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return img.convert("RGB")


def _encode(img: Image.Image, quality: int, icc_profile: Any) -> bytes:
    """JPEG bytes without EXIF (pixels are already upright), keeping the colour profile."""
    out = io.BytesIO()
    options: dict[str, Any] = {"quality": quality, "optimize": True}
    if isinstance(icc_profile, bytes) and icc_profile:
        options["icc_profile"] = icc_profile
    img.save(out, format="JPEG", **options)
    return out.getvalue()


def _read_metadata(img: Image.Image) -> tuple[datetime | None, tuple[float, float] | None]:
    """Capture time and GPS; broken EXIF never refuses a photo, it only loses the metadata."""
    try:
        exif = img.getexif()
    except Exception:  # EXIF is written by countless cameras and apps; some get it wrong
        return None, None
    try:
        raw_time = exif.get_ifd(_IFD_EXIF).get(_TAG_DATETIME_ORIGINAL) or exif.get(_TAG_DATETIME)
        taken_at = _parse_exif_time(raw_time)
    except Exception:
        taken_at = None
    try:
        gps = _parse_gps(exif.get_ifd(_IFD_GPS))
    except Exception:
        gps = None
    return taken_at, gps


def _parse_exif_time(value: object) -> datetime | None:
    """EXIF writes "YYYY:MM:DD HH:MM:SS"; blank or zeroed values mean "unknown"."""
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    if not isinstance(value, str):
        return None
    text = value.strip().strip("\x00").strip()
    try:
        return datetime.strptime(text[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None


def _parse_gps(gps: dict[int, Any]) -> tuple[float, float] | None:
    """(lat, lon) in decimal degrees from degree/minute/second rationals and N/S/E/W refs."""
    if _GPS_LAT not in gps or _GPS_LON not in gps:
        return None
    lat = _dms_to_degrees(gps[_GPS_LAT], gps.get(_GPS_LAT_REF), "S")
    lon = _dms_to_degrees(gps[_GPS_LON], gps.get(_GPS_LON_REF), "W")
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lat, lon


def _dms_to_degrees(dms: Any, ref: Any, negative_ref: str) -> float | None:
    parts = [float(x) for x in dms] if isinstance(dms, tuple | list) else [float(dms)]
    if not parts or len(parts) > 3:
        return None
    degrees = sum(part / 60**i for i, part in enumerate(parts))
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "replace")
    if isinstance(ref, str) and ref.strip("\x00 ").upper() == negative_ref:
        degrees = -degrees
    return degrees
