"""Prepare many photos at once in worker processes (:mod:`fieldapp.workers`).

:func:`prepare_all` is :func:`~fieldapp.photos.ingest.prepare` for a list of files, all or none:
the photos come back in the order given, or the first refused file (in that order) is raised as
:class:`~fieldapp.errors.InvalidInput` naming it. Only the image work runs in the workers; storing
the photos and writing their records stay with the caller (the store's single write path).

A worker that dies (a decoder that crashes on a hostile file, a worker killed from outside)
loses no photo: the files it had not finished are prepared again, one at a time, in a fresh
pool; a file that kills a worker a second time is refused by name.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from fieldapp import workers
from fieldapp.errors import InvalidInput
from fieldapp.photos.ingest import DEFAULT_MAX_SIDE, PreparedPhoto, prepare

Prepare = Callable[[Path, int], PreparedPhoto]
log = logging.getLogger(__name__)


def prepare_all(
    paths: Sequence[str | os.PathLike[str]],
    max_side: int = DEFAULT_MAX_SIDE,
    *,
    work: Prepare = prepare,
) -> list[PreparedPhoto]:
    """Prepare every file in ``paths`` in the worker processes; see the module's docstring.

    ``work`` is the function a worker runs for one file (a module-level function: it is sent
    to the worker by name).
    """
    if max_side < 1:
        raise ValueError(f"max_side must be positive, got {max_side}")
    # Absolute before they leave: a worker's working folder is the one it started in.
    files = [Path(os.path.abspath(path)) for path in paths]
    done: dict[int, PreparedPhoto] = {}
    executor = workers.pool()
    futures = [executor.submit(work, file, max_side) for file in files]
    lost: list[int] = []
    try:
        for index, future in enumerate(futures):
            try:
                done[index] = future.result()
            except BrokenProcessPool:
                lost.append(index)
    finally:
        for future in futures:
            future.cancel()
    if lost:
        log.warning("a photo worker process died; preparing %d photos again", len(lost))
        workers.discard(executor)
        for index in lost:
            done[index] = _once_more(files[index], max_side, work)
    return [done[index] for index in range(len(files))]


def _once_more(file: Path, max_side: int, work: Prepare) -> PreparedPhoto:
    """Prepare ``file`` alone in a fresh pool; a second dead worker refuses the file."""
    executor = workers.pool()
    future: Future[PreparedPhoto] = executor.submit(work, file, max_side)
    try:
        return future.result()
    except BrokenProcessPool:
        workers.discard(executor)
        raise InvalidInput(
            f"{file.name}：处理这张照片时图片处理进程意外退出（文件可能已损坏或格式异常），"
            "没有添加任何照片；请去掉这张照片后重试，或换用相机或手机拍摄的原始照片"
        ) from None


__all__ = ["prepare_all"]
