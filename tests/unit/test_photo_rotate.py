"""An upright copy of a stored photo: turned pixels, the original's time and place in its EXIF
(read back by the ingest as for any camera photo), the original untouched."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image

from fieldapp.errors import InvalidInput
from fieldapp.photos.ingest import prepare
from fieldapp.photos.rotate import normal_turns, upright_copy


def wide_jpeg(path: Path) -> Path:
    Image.new("RGB", (60, 20), "red").save(path, "JPEG")
    return path


@pytest.mark.parametrize("turns", [1, 2, 3, -1])
def test_the_copy_is_turned_and_keeps_time_and_place(tmp_path: Path, turns: int) -> None:
    source = wide_jpeg(tmp_path / "wide.jpg")
    before = source.read_bytes()
    taken = datetime(2026, 11, 3, 9, 41, 5)
    out = upright_copy(source, turns, tmp_path / "copy.jpg", taken_at=taken, gps=(28.66, -120.1))
    assert source.read_bytes() == before
    with Image.open(out) as img:
        assert img.size == ((20, 60) if normal_turns(turns) % 2 else (60, 20))
    prepared = prepare(out)
    assert prepared.taken_at == taken
    assert prepared.gps is not None
    assert prepared.gps == pytest.approx((28.66, -120.1), abs=1e-4)


def test_no_turn_or_no_file_is_refused_by_name(tmp_path: Path) -> None:
    source = wide_jpeg(tmp_path / "wide.jpg")
    with pytest.raises(InvalidInput, match=r"wide\.jpg"):
        upright_copy(source, 4, tmp_path / "copy.jpg")
    with pytest.raises(InvalidInput, match=r"gone\.jpg"):
        upright_copy(tmp_path / "gone.jpg", 1, tmp_path / "copy.jpg")
