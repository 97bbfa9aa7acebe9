"""Ingesting one 12-megapixel phone photo: fieldapp's ``prepare`` vs a bare Pillow pipeline.

Both sides do the same irreducible work on the same file: decode (JPEG draft mode where it can
help), turn upright from the EXIF orientation, LANCZOS-resize the long side to 2048, encode JPEG
q88 (optimized, as fieldapp does), make a 320 px thumbnail at q80 and hash the stored bytes. The
baseline checks nothing and reads no metadata: the ratio is the price of fieldapp's checks
(header size, decode errors, EXIF time/GPS, colour profile, mode handling) around that work.
The baseline turns the photo upright as decoded (``ImageOps.exif_transpose``), then shrinks it;
fieldapp shrinks first and turns the 2048-pixel result, the same picture within rounding
(``same_picture`` checks), less work.

A second figure ingests a batch of 20 such photos the way an attach does (``prepare_all``: the
worker processes, started before the timing as a window's first attach would have) against the
bare pipeline run on each of them one after another in one thread: on two cores, the ratio says
how much of the second core the batch gets.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import statistics
import time
from pathlib import Path

from PIL import Image, ImageChops, ImageOps, ImageStat

from benchmarks.common import Result, log
from fieldapp import workers
from fieldapp.photos import DEFAULT_MAX_SIDE, THUMB_SIDE, prepare, prepare_all
from fieldapp.photos.ingest import JPEG_QUALITY, THUMB_QUALITY

WIDTH, HEIGHT = 4000, 3000
BATCH = 20
ORIENTATION_TAG = 0x0112


def make_photo(path: Path, width: int = WIDTH, height: int = HEIGHT, orientation: int = 6) -> Path:
    """A camera-like JPEG: sensor noise over colour gradients, stored sideways (EXIF tag)."""
    noise = Image.effect_noise((width, height), 48)
    horizontal = Image.linear_gradient("L").rotate(90).resize((width, height))
    vertical = Image.linear_gradient("L").resize((width, height))
    red = Image.blend(noise, horizontal, 0.6)
    green = Image.blend(noise, vertical, 0.5)
    blue = Image.blend(horizontal, vertical, 0.5)
    img = Image.merge("RGB", (red, green, blue))
    exif = Image.Exif()
    exif[ORIENTATION_TAG] = orientation
    img.save(path, format="JPEG", quality=92, exif=exif)
    return path


def _fit_size(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    scale = min(1.0, max_side / max(size))
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def _encode(img: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=quality, optimize=True)
    return out.getvalue()


def baseline_prepare(path: Path, max_side: int = DEFAULT_MAX_SIDE) -> tuple[bytes, bytes, str]:
    """The same image work with nothing around it."""
    with Image.open(path) as img:
        img.draft("RGB", _fit_size(img.size, max_side))
        img.load()
        upright = ImageOps.exif_transpose(img)
    photo = upright.convert("RGB") if upright.mode != "RGB" else upright
    if max(photo.size) > max_side:
        photo = photo.resize(
            _fit_size(photo.size, max_side), Image.Resampling.LANCZOS, reducing_gap=3.0
        )
    jpeg = _encode(photo, JPEG_QUALITY)
    thumb = photo.resize(
        _fit_size(photo.size, THUMB_SIDE), Image.Resampling.LANCZOS, reducing_gap=3.0
    )
    thumbnail = _encode(thumb, THUMB_QUALITY)
    return jpeg, thumbnail, hashlib.sha256(jpeg).hexdigest()


def same_picture(ours: bytes, theirs: bytes) -> bool:
    """The same size and, pixel for pixel, within rounding: fieldapp shrinks before it turns
    the photo upright, the bare pipeline after, so some pixels round the other way before the
    JPEG encoding, which on this noisy test photo moves them by 1.5 levels in 255 on average; a
    photo turned wrong or shrunk otherwise differs by tens of levels."""
    with Image.open(io.BytesIO(ours)) as a, Image.open(io.BytesIO(theirs)) as b:
        if a.size != b.size:
            return False
        difference = ImageStat.Stat(ImageChops.difference(a.convert("RGB"), b.convert("RGB")))
    return max(difference.mean) < 3.0


def _median(work: object, repeat: int) -> float:
    assert callable(work)
    work()  # warm-up: file cache, codec tables
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run(workdir: Path, repeat: int) -> list[Result]:
    path = make_photo(workdir / "photo-12mp.jpg")
    log(f"photos: {WIDTH}×{HEIGHT} JPEG of {path.stat().st_size / 1e6:.1f} MB; prepare() …")
    ours = prepare(path)
    jpeg, _thumb, _sha = baseline_prepare(path)
    if not same_picture(ours.jpeg, jpeg) or ours.height != DEFAULT_MAX_SIDE:
        raise RuntimeError(f"outputs differ: fieldapp {ours.width}×{ours.height}")
    value = _median(lambda: prepare(path), repeat)
    log(f"photos: fieldapp took {value:.3f} s; bare Pillow …")
    baseline = _median(lambda: baseline_prepare(path), repeat)
    log(f"photos: bare Pillow took {baseline:.3f} s")
    note = f"12 MP, EXIF orientation 6 → 2048 px q88 + 320 px thumb + sha256; median of {repeat}"
    return [Result("photo_ingest_12mp", value, baseline, "s", 1, note), batch(path, repeat)]


def batch(photo: Path, repeat: int) -> Result:
    """``BATCH`` copies of ``photo`` through the worker processes vs the bare pipeline in turn."""
    folder = photo.parent / "photo-batch"
    folder.mkdir()
    paths = [Path(shutil.copyfile(photo, folder / f"photo-{n:02d}.jpg")) for n in range(BATCH)]
    log(f"photos: a batch of {BATCH} in {workers.count()} worker processes …")
    done = prepare_all(paths)  # also starts the pool (the warm-up)
    bare = baseline_prepare(paths[0])[0]
    if len({p.sha256 for p in done}) != 1 or not same_picture(done[0].jpeg, bare):
        raise RuntimeError("the batch's photos differ from the bare pipeline's")
    value = _median(lambda: prepare_all(paths), repeat)
    log(f"photos: batch took {value:.2f} s; bare Pillow one after another …")
    baseline = _median(lambda: [baseline_prepare(p) for p in paths], repeat)
    log(f"photos: bare batch took {baseline:.2f} s")
    note = (
        f"{BATCH} × 12 MP through prepare_all ({workers.count()} worker processes) vs the bare "
        f"pipeline in one thread; median of {repeat}"
    )
    return Result(f"photo_ingest_batch_{BATCH}", value, baseline, "s", BATCH, note)
