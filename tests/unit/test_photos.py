"""Photo ingest: upright, downscaled, content-addressed JPEGs; bad files refused, nothing stored.

The orientation photos in tests/data/photos are real camera files (exif-orientation-examples,
MIT) kept in their sideways/mirrored pixel layout with the EXIF tag; see the README there.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import os
import struct
import time
import zlib
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageStat
from PIL.TiffImagePlugin import IFDRational

from fieldapp.errors import InvalidInput
from fieldapp.photos import PhotoStore, PreparedPhoto, prepare

PHOTOS = Path(__file__).resolve().parent.parent / "data" / "photos"

# What has to be done to the stored pixels to make them upright, per EXIF orientation: written
# out by hand (from the EXIF spec) so the test does not just repeat ImageOps.exif_transpose.
BY_HAND = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
SAME = 4.0  # mean grey-level difference (0-255) below which two pictures show the same thing


def decode(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


def difference(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute grey difference of small copies: tolerant of JPEG noise, not of turning."""
    assert a.size == b.size
    size = (48, 32) if a.width >= a.height else (32, 48)
    small_a = a.convert("L").resize(size, Image.Resampling.BOX)
    small_b = b.convert("L").resize(size, Image.Resampling.BOX)
    return float(ImageStat.Stat(ImageChops.difference(small_a, small_b)).mean[0])


def raw(name: str) -> Image.Image:
    """The file's pixels exactly as stored, without applying its EXIF orientation."""
    with Image.open(PHOTOS / name) as img:
        return img.copy()


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def save_jpeg(path: Path, img: Image.Image, exif: Image.Exif | None = None) -> Path:
    img.save(path, format="JPEG", quality=90, **({"exif": exif.tobytes()} if exif else {}))
    return path


def png_claiming(width: int, height: int) -> bytes:
    """A complete, valid 1-bit black PNG of the given size, built without decoding it.

    Pillow would need width x height bytes of memory to create it (900 MB for 30000 x 30000),
    so the rows are compressed one by one; all-zero rows compress about 1000:1.
    """

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte + packed bits
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


# --- orientation -------------------------------------------------------------------------------


@pytest.mark.parametrize("orientation", range(9))
def test_every_landscape_orientation_comes_out_upright(orientation: int) -> None:
    name = f"Landscape_{orientation}.jpg"
    with Image.open(PHOTOS / name) as original:  # the test is real: the tag is in the file
        assert original.getexif().get(0x0112, 0) == orientation
    upright_reference = raw("Landscape_1.jpg")

    prepared = decode(prepare(PHOTOS / name).jpeg)

    assert prepared.size == upright_reference.size == (600, 400)
    assert difference(prepared, upright_reference) < SAME
    by_hand = raw(name).transpose(BY_HAND[orientation]) if orientation in BY_HAND else raw(name)
    assert difference(prepared, by_hand) < SAME


@pytest.mark.parametrize("orientation", range(9))
def test_a_shrunk_photo_is_turned_upright_too(orientation: int) -> None:
    """Shrunk before it is turned (the turn is cheaper on fewer pixels): the same picture."""
    reference = raw("Landscape_1.jpg").resize((300, 200), Image.Resampling.LANCZOS)
    prepared = decode(prepare(PHOTOS / f"Landscape_{orientation}.jpg", max_side=300).jpeg)
    assert prepared.size == (300, 200)
    assert difference(prepared, reference) < SAME


@pytest.mark.parametrize("name", ["Portrait_1.jpg", "Portrait_6.jpg"])
def test_portraits_come_out_upright(name: str) -> None:
    reference = raw("Portrait_1.jpg")
    prepared = decode(prepare(PHOTOS / name).jpeg)
    assert prepared.size == reference.size == (400, 600)
    assert difference(prepared, reference) < SAME


def test_the_comparison_notices_a_photo_that_is_not_upright() -> None:
    reference = raw("Landscape_1.jpg")
    assert difference(raw("Landscape_3.jpg"), reference) > 10 * SAME  # stored upside down
    assert difference(raw("Landscape_2.jpg"), reference) > 10 * SAME  # stored mirrored


def test_stored_jpeg_carries_no_orientation_tag() -> None:
    prepared = prepare(PHOTOS / "Landscape_6.jpg")
    assert decode(prepared.jpeg).format == "JPEG"
    assert 0x0112 not in decode(prepared.jpeg).getexif()
    assert prepared.original_name == "Landscape_6.jpg"


# --- size --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "max_side", "expected"),
    [
        ((5000, 3000), 2048, (2048, 1229)),
        ((3000, 5000), 2048, (1229, 2048)),
        ((5000, 3000), 1000, (1000, 600)),
        ((300, 200), 2048, (300, 200)),  # never enlarged
        ((2048, 1000), 2048, (2048, 1000)),
    ],
)
def test_long_side_is_bounded_and_never_upscaled(
    tmp_path: Path, size: tuple[int, int], max_side: int, expected: tuple[int, int]
) -> None:
    path = save_jpeg(tmp_path / "big.jpg", Image.new("RGB", size, (90, 140, 60)))
    prepared = prepare(path, max_side=max_side)
    assert (prepared.width, prepared.height) == expected
    assert decode(prepared.jpeg).size == expected


def test_thumbnail_is_a_jpeg_with_long_side_320() -> None:
    prepared = prepare(PHOTOS / "Portrait_6.jpg")
    thumb = decode(prepared.thumbnail)
    assert thumb.format == "JPEG"
    assert thumb.size == (213, 320)
    assert difference(thumb, raw("Portrait_1.jpg").resize(thumb.size)) < SAME


def test_small_photo_thumbnail_is_not_enlarged(tmp_path: Path) -> None:
    path = save_jpeg(tmp_path / "small.jpg", Image.new("RGB", (200, 100), "white"))
    assert decode(prepare(path).thumbnail).size == (200, 100)


def test_transparent_png_is_flattened_onto_white(tmp_path: Path) -> None:
    path = tmp_path / "scan.png"
    Image.new("RGBA", (40, 30), (0, 0, 0, 0)).save(path)
    stored = decode(prepare(path).jpeg)
    assert stored.mode == "RGB"
    assert min(stored.getpixel((20, 15))) > 245


# --- metadata ----------------------------------------------------------------------------------


def exif_with(
    original: str | None = None,
    modified: str | None = None,
    lat: tuple[float, float, float] | None = None,
    lon: tuple[float, float, float] | None = None,
    refs: tuple[str, str] = ("N", "E"),
) -> Image.Exif:
    exif = Image.Exif()
    if modified:
        exif[0x0132] = modified
    if original:
        exif.get_ifd(0x8769)[0x9003] = original
    if lat and lon:
        gps = exif.get_ifd(0x8825)
        gps[1], gps[3] = refs
        gps[2] = tuple(IFDRational(round(v * 100), 100) for v in lat)
        gps[4] = tuple(IFDRational(round(v * 100), 100) for v in lon)
    return exif


@pytest.mark.parametrize(("refs", "signs"), [(("N", "E"), (1, 1)), (("S", "W"), (-1, -1))])
def test_capture_time_and_gps_are_read(
    tmp_path: Path, refs: tuple[str, str], signs: tuple[int, int]
) -> None:
    # 浙江省市场监督管理局 is at about 30°16'26.76"N 120°09'18.36"E.
    exif = exif_with(
        original="2024:05:06 07:08:09",
        modified="2024:12:31 23:59:59",
        lat=(30, 16, 26.76),
        lon=(120, 9, 18.36),
        refs=refs,
    )
    path = save_jpeg(tmp_path / "site.jpg", Image.new("RGB", (64, 48)), exif)

    prepared = prepare(path)

    assert prepared.taken_at == datetime(2024, 5, 6, 7, 8, 9)
    assert prepared.gps is not None
    assert prepared.gps[0] == pytest.approx(signs[0] * 30.27410, abs=1e-4)
    assert prepared.gps[1] == pytest.approx(signs[1] * 120.15510, abs=1e-4)
    assert 0x8825 not in decode(prepared.jpeg).getexif()  # location kept as data, not in file


def test_capture_time_falls_back_to_datetime(tmp_path: Path) -> None:
    exif = exif_with(modified="2023:03:15 10:00:00")
    path = save_jpeg(tmp_path / "edited.jpg", Image.new("RGB", (64, 48)), exif)
    prepared = prepare(path)
    assert prepared.taken_at == datetime(2023, 3, 15, 10, 0, 0)
    assert prepared.gps is None


def test_photo_without_exif_has_no_time_or_place(tmp_path: Path) -> None:
    path = save_jpeg(tmp_path / "plain.jpg", Image.new("RGB", (64, 48)))
    prepared = prepare(path)
    assert prepared.taken_at is None and prepared.gps is None


def test_zeroed_capture_time_means_unknown(tmp_path: Path) -> None:
    exif = exif_with(original="0000:00:00 00:00:00")
    path = save_jpeg(tmp_path / "zero.jpg", Image.new("RGB", (64, 48)), exif)
    assert prepare(path).taken_at is None


# --- HEIC --------------------------------------------------------------------------------------


def test_heic_from_a_phone_is_accepted(tmp_path: Path) -> None:
    pillow_heif = pytest.importorskip("pillow_heif")
    pillow_heif.register_heif_opener()
    picture = Image.new("RGB", (640, 480), (200, 30, 30))
    picture.paste((30, 30, 200), (320, 0, 640, 480))  # left red, right blue
    path = tmp_path / "IMG_0001.HEIC"
    picture.save(path, format="HEIF", quality=90)

    prepared = prepare(path)

    stored = decode(prepared.jpeg)
    assert stored.format == "JPEG" and stored.size == (640, 480)
    red, _, blue = stored.getpixel((100, 240))
    assert red > 150 and blue < 80
    assert prepared.original_name == "IMG_0001.HEIC"


# --- refusals ----------------------------------------------------------------------------------


def make_text(folder: Path) -> Path:
    path = folder / "photo.jpg"
    path.write_text("这不是照片\n", encoding="utf-8")
    return path


def make_empty(folder: Path) -> Path:
    path = folder / "empty.jpg"
    path.write_bytes(b"")
    return path


def make_truncated(folder: Path) -> Path:
    data = (PHOTOS / "Landscape_1.jpg").read_bytes()
    path = folder / "half.jpg"
    path.write_bytes(data[: len(data) // 2])
    return path


def make_bomb(folder: Path) -> Path:
    path = folder / "bomb.png"
    path.write_bytes(png_claiming(30000, 30000))  # 900 megapixels in ~110 KB
    return path


def make_warning_bomb(folder: Path) -> Path:
    """100 MP: between Pillow's warning and error limits, above fieldapp's own."""
    path = folder / "big.png"
    path.write_bytes(png_claiming(10000, 10000))
    return path


def make_missing(folder: Path) -> Path:
    return folder / "gone.jpg"


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (make_text, "不是图片文件"),
        (make_empty, "不是图片文件"),
        (make_truncated, "图片文件不完整"),
        (make_bomb, "图片尺寸过大"),
        (make_warning_bomb, "图片尺寸过大"),
        (make_missing, "找不到这个文件"),
    ],
)
def test_bad_files_are_refused_and_nothing_is_stored(
    make: Callable[[Path], Path], says: str, tmp_path: Path
) -> None:
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    path = make(incoming)
    before = files_under(incoming)
    store = PhotoStore(tmp_path / "store")

    with pytest.raises(InvalidInput) as refused:
        store.put(prepare(path))

    message = str(refused.value)
    assert message.startswith(f"{path.name}：") and says in message
    assert "请" in message or "已拒绝" in message  # says what to do
    assert files_under(tmp_path / "store") == []
    assert files_under(incoming) == before  # no temp file next to the original either


@pytest.mark.parametrize(
    "size",
    [
        (9000, 9000),  # 81 MP: over this module's limit, under Pillow's own warning
        (10000, 10000),  # 100 MP: Pillow only warns; here that is a refusal
    ],
)
def test_oversized_images_are_refused_before_decoding(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    path = tmp_path / "huge.png"
    path.write_bytes(png_claiming(*size))
    with pytest.raises(InvalidInput, match=r"^huge\.png：图片尺寸过大"):
        prepare(path)
    assert Image.MAX_IMAGE_PIXELS is not None and Image.MAX_IMAGE_PIXELS > 80_000_000


def test_a_folder_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "DCIM.jpg"
    folder.mkdir()
    with pytest.raises(InvalidInput, match=r"^DCIM\.jpg：无法读取"):
        prepare(folder)


# --- store -------------------------------------------------------------------------------------


@pytest.fixture
def prepared() -> PreparedPhoto:
    return prepare(PHOTOS / "Landscape_8.jpg")


def test_store_names_files_by_the_sha256_of_their_bytes(
    tmp_path: Path, prepared: PreparedPhoto
) -> None:
    store = PhotoStore(tmp_path / "photos")
    sha = store.put(prepared)

    assert sha == prepared.sha256 == hashlib.sha256(prepared.jpeg).hexdigest()
    assert store.path(sha) == tmp_path / "photos" / sha[:2] / f"{sha}.jpg"
    assert store.path(sha).read_bytes() == prepared.jpeg
    assert store.thumb_path(sha) == tmp_path / "photos" / "thumbs" / sha[:2] / f"{sha}.jpg"
    assert store.thumb_path(sha).read_bytes() == prepared.thumbnail
    assert store.exists(sha) and store.verify(sha)


def test_putting_the_same_photo_twice_stores_one_file(
    tmp_path: Path, prepared: PreparedPhoto
) -> None:
    store = PhotoStore(tmp_path / "photos")
    first = store.put(prepared)
    again = store.put(prepare(PHOTOS / "Landscape_8.jpg"))
    assert first == again
    assert len(files_under(tmp_path / "photos")) == 2  # the photo and its thumbnail


def test_verify_detects_a_tampered_blob_and_put_repairs_it(
    tmp_path: Path, prepared: PreparedPhoto
) -> None:
    store = PhotoStore(tmp_path / "photos")
    sha = store.put(prepared)
    damaged = bytearray(store.path(sha).read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF
    store.path(sha).write_bytes(bytes(damaged))

    assert store.exists(sha) and not store.verify(sha)
    store.put(prepared)
    assert store.verify(sha)


def test_missing_photo_does_not_verify(tmp_path: Path) -> None:
    store = PhotoStore(tmp_path / "photos")
    assert not store.exists("0" * 64) and not store.verify("0" * 64)


def test_hash_must_be_a_sha256(tmp_path: Path) -> None:
    store = PhotoStore(tmp_path / "photos")
    with pytest.raises(ValueError):
        store.path("../../etc/passwd")


def test_put_refuses_a_hash_that_does_not_match(tmp_path: Path, prepared: PreparedPhoto) -> None:
    forged = dataclasses.replace(prepared, sha256="0" * 64)
    with pytest.raises(ValueError):
        PhotoStore(tmp_path / "photos").put(forged)
    assert files_under(tmp_path / "photos") == []


def test_a_failed_write_leaves_no_temp_file(
    tmp_path: Path, prepared: PreparedPhoto, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("fieldapp.atomicfile.os.replace", disk_full)
    with pytest.raises(OSError):
        PhotoStore(tmp_path / "photos").put(prepared)
    assert files_under(tmp_path / "photos") == []


def test_remove_deletes_photo_and_thumbnail(tmp_path: Path, prepared: PreparedPhoto) -> None:
    store = PhotoStore(tmp_path / "photos")
    sha = store.put(prepared)
    store.remove(sha)
    assert not store.exists(sha) and not store.thumb_path(sha).exists()
    store.remove(sha)  # already gone is fine


def test_sweep_removes_orphans_and_temp_files_and_keeps_the_rest(tmp_path: Path) -> None:
    store = PhotoStore(tmp_path / "photos")
    kept = store.put(prepare(PHOTOS / "Landscape_1.jpg"))
    orphan = store.put(prepare(PHOTOS / "Portrait_1.jpg"))
    stray = store.path(kept).parent / ".abc-123.tmp"
    stray.write_bytes(b"half a photo")

    removed = store.sweep({kept}, older_than=0)

    assert removed == [orphan]
    assert not store.exists(orphan) and not store.thumb_path(orphan).exists()
    assert not stray.exists()
    assert store.verify(kept) and store.thumb_path(kept).is_file()
    assert PhotoStore(tmp_path / "nowhere").sweep(set()) == []


def test_sweep_spares_fresh_files_another_process_may_be_committing(tmp_path: Path) -> None:
    """The window may have written a photo whose record is not committed yet when the command
    line opens the store and sweeps: only files older than the grace period are orphans."""
    store = PhotoStore(tmp_path / "photos")
    fresh = store.put(prepare(PHOTOS / "Portrait_1.jpg"))
    writing = store.path(fresh).parent / ".def-456.tmp"
    writing.write_bytes(b"being written")
    assert store.sweep(set()) == []
    assert store.exists(fresh) and writing.exists()
    two_days_ago = time.time() - 2 * 24 * 3600
    for file in (store.path(fresh), store.thumb_path(fresh), writing):
        os.utime(file, (two_days_ago, two_days_ago))
    assert store.sweep(set()) == [fresh]
    assert not writing.exists()


def test_storing_a_photo_again_makes_it_young_again_for_the_sweep(tmp_path: Path) -> None:
    """A photo orphaned long ago and attached again must survive a sweep run meanwhile by another
    process (which spares files younger than a day) until its new record is committed."""
    store = PhotoStore(tmp_path / "photos")
    prepared = prepare(PHOTOS / "Landscape_1.jpg", max_side=320)
    sha = store.put(prepared)
    long_ago = time.time() - 10 * 24 * 3600
    for path in (store.path(sha), store.thumb_path(sha)):
        os.utime(path, (long_ago, long_ago))
    assert store.put(prepared) == sha
    assert store.sweep(keep=set()) == []  # young again: kept
    assert store.path(sha).is_file() and store.thumb_path(sha).is_file()
