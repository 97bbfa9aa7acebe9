"""Photos prepared in worker processes: same result as in the caller, all or none, none lost.

The workers are spawned processes (fieldapp.workers): what they run is named by module, so the
stand-ins for a crashing decoder below are functions of this module.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PIL import Image

from fieldapp import workers
from fieldapp.errors import InvalidInput
from fieldapp.photos import PreparedPhoto, prepare, prepare_all

DIES = ".dies"  # a file beside a photo: the worker that prepares it exits (once, or always)


def _crashing(path: Path, max_side: int) -> PreparedPhoto:
    """``prepare``, except that a photo with a ``.dies`` file beside it kills its worker."""
    marker = path.with_suffix(DIES)
    if marker.exists():
        if marker.read_text() == "once":
            marker.unlink()
        os._exit(3)  # as a decoder crashing in C would: no exception, the process is gone
    return prepare(path, max_side)


def _photos(folder: Path, count: int) -> list[Path]:
    paths = []
    for n in range(count):
        path = folder / f"照片{n}.jpg"
        Image.new("RGB", (300 + 10 * n, 200), (40 * n % 256, 120, 200)).save(path, quality=90)
        paths.append(path)
    return paths


def test_the_workers_prepare_what_the_caller_would_in_order(tmp_path: Path) -> None:
    paths = _photos(tmp_path, 6)
    done = prepare_all(paths, max_side=256)
    assert done == [prepare(path, 256) for path in paths]
    assert [photo.original_name for photo in done] == [path.name for path in paths]


def test_a_relative_path_is_read_from_the_callers_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prepare_all(_photos(tmp_path, 1))  # the pool is running before the folder changes
    folder = tmp_path / "别处"
    folder.mkdir()
    (photo,) = _photos(folder, 1)
    monkeypatch.chdir(folder)
    assert prepare_all([photo.name]) == [prepare(photo)]


def test_a_refused_file_refuses_the_batch_by_its_name(tmp_path: Path) -> None:
    paths = _photos(tmp_path, 3)
    broken = tmp_path / "坏照片.jpg"
    broken.write_bytes(paths[0].read_bytes()[:200])
    with pytest.raises(InvalidInput, match=r"坏照片\.jpg"):
        prepare_all([paths[0], broken, paths[1]])
    assert len(prepare_all(paths)) == 3  # the pool still serves the next batch


def test_a_worker_that_dies_loses_no_photo(tmp_path: Path) -> None:
    paths = _photos(tmp_path, 5)
    paths[2].with_suffix(DIES).write_text("once")
    done = prepare_all(paths, work=_crashing)
    assert [photo.sha256 for photo in done] == [prepare(path).sha256 for path in paths]
    assert not paths[2].with_suffix(DIES).exists()  # it did die, and the photo came back


def test_a_photo_that_kills_its_worker_every_time_is_refused_by_name(tmp_path: Path) -> None:
    paths = _photos(tmp_path, 3)
    paths[1].with_suffix(DIES).write_text("always")
    with pytest.raises(InvalidInput, match=r"照片1\.jpg") as refused:
        prepare_all(paths, work=_crashing)
    assert "进程意外退出" in str(refused.value)
    assert len(prepare_all(paths)) == 3  # a fresh pool serves the next batch


def test_no_workers_runs_the_work_in_the_caller(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(workers.ENV, "0")
    paths = _photos(tmp_path, 2)
    assert prepare_all(paths) == [prepare(path) for path in paths]
    assert workers.count() == 0


def test_shutdown_stops_the_workers_and_the_next_batch_starts_them(tmp_path: Path) -> None:
    paths = _photos(tmp_path, 2)
    prepare_all(paths)
    workers.shutdown()
    assert prepare_all(paths) == [prepare(path) for path in paths]
