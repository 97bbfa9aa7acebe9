"""Taking a photo off a draft, and the maintenance sweep of files no record refers to."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from fieldapp.cli import main
from fieldapp.errors import Locked, NotFound
from fieldapp.imports.units import import_units
from fieldapp.photos import prepare
from fieldapp.services import evaluations as ev
from fieldapp.services import units as unit_service
from fieldapp.store import Store

SHOP = "92331122MA2A00018H"
PHOTOS = Path(__file__).resolve().parents[1] / "data" / "photos"
PHOTO = PHOTOS / "Landscape_6.jpg"


@pytest.fixture
def shop_store(store: Store, data_path: Path) -> Store:
    with store.session() as session:
        import_units(session, data_path / "units-sample.csv", actor="测试")
    return store


def _draft(store: Store) -> int:
    with store.session() as session:
        unit = unit_service.by_code(session, SHOP)
        return ev.start(session, store.library, unit, "routine", "张三").id


def _attach(store: Store, evaluation_id: int, item: str | None, photo: Path = PHOTO) -> int:
    with store.session() as session:
        evaluation = ev.get(session, evaluation_id)
        added = ev.attach(session, store.photos, evaluation, [photo], item, library=store.library)
        return added[0].id


def test_remove_photo_deletes_the_file_only_when_unused(shop_store: Store) -> None:
    sha = prepare(PHOTO).sha256
    draft = _draft(shop_store)
    on_item = _attach(shop_store, draft, "B1a")
    whole = _attach(shop_store, draft, None)  # the same file, used twice
    with shop_store.session() as session:
        evaluation = ev.get(session, draft)
        removed = ev.remove_photo(session, evaluation, on_item, shop_store.photos)
        assert removed.item_code == "B1a"
        assert [p.id for p in evaluation.photos] == [whole]
    assert shop_store.photos.exists(sha)  # still used by the whole-visit photo
    with shop_store.session() as session:
        ev.remove_photo(session, ev.get(session, draft), whole, shop_store.photos)
    assert not shop_store.photos.exists(sha)
    assert not shop_store.photos.thumb_path(sha).exists()


def test_remove_photo_rolled_back_keeps_the_file(shop_store: Store) -> None:
    sha = prepare(PHOTO).sha256
    draft = _draft(shop_store)
    photo = _attach(shop_store, draft, "B1a")
    with pytest.raises(RuntimeError), shop_store.session() as session:
        ev.remove_photo(session, ev.get(session, draft), photo, shop_store.photos)
        raise RuntimeError("cancelled")
    assert shop_store.photos.exists(sha)
    with shop_store.read() as session:
        assert [p.id for p in ev.get(session, draft).photos] == [photo]


def test_remove_photo_refuses_wrong_id_and_finalized(shop_store: Store) -> None:
    draft = _draft(shop_store)
    photo = _attach(shop_store, draft, "B1a")
    with shop_store.session() as session:
        evaluation = ev.get(session, draft)
        with pytest.raises(NotFound, match="没有编号为 999 的照片"):
            ev.remove_photo(session, evaluation, 999)
        evaluation.status = ev.FINALIZED  # as finalize() leaves it
        with pytest.raises(Locked, match="评价已定稿"):
            ev.remove_photo(session, evaluation, photo)


def test_the_sweep_removes_orphan_files_older_than_a_day(shop_store: Store, tmp_path: Path) -> None:
    draft = _draft(shop_store)
    _attach(shop_store, draft, "B1a")
    kept = prepare(PHOTO).sha256
    orphan = prepare(PHOTOS / "Landscape_1.jpg")
    shop_store.photos.put(orphan)  # written, but the record never committed (crash)
    sig = tmp_path / "s.png"
    img = Image.new("RGB", (100, 40), "white")
    ImageDraw.Draw(img).line([(5, 30), (95, 10)], fill="black", width=3)
    img.save(sig)
    with shop_store.session() as session:
        ev.sign(session, shop_store.signatures, ev.get(session, draft), "unit", "王芳", sig)
    lost_sig = shop_store.signatures.put(b"\x89PNG not referenced")
    leftover = shop_store.photos.root / kept[:2] / ".x-1.tmp"
    leftover.write_bytes(b"half")
    with shop_store.session() as session:
        assert ev.sweep_orphans(session, shop_store, older_than=0) == 2
    assert shop_store.photos.exists(kept)
    assert not shop_store.photos.exists(orphan.sha256)
    assert not shop_store.signatures.path(lost_sig).exists()
    assert not leftover.exists()
    with shop_store.read() as session:
        sha = ev.get(session, draft).signatures[0].image_sha256
    assert shop_store.signatures.path(sha).is_file()

    shop_store.photos.put(orphan)
    shop_store.close()
    hours_ago = time.time() - 20 * 3600
    for file in (
        shop_store.photos.path(orphan.sha256),
        shop_store.photos.thumb_path(orphan.sha256),
    ):
        os.utime(file, (hours_ago, hours_ago))
    with Store.open(shop_store.folder) as reopened:  # opening never sweeps
        assert reopened.photos.exists(orphan.sha256)
        assert reopened.sweep_orphans() == 0  # younger than a day: may be mid-commit, kept
        assert reopened.photos.exists(orphan.sha256)
    days_ago = time.time() - 2 * 24 * 3600
    for file in (
        shop_store.photos.path(orphan.sha256),
        shop_store.photos.thumb_path(orphan.sha256),
    ):
        os.utime(file, (days_ago, days_ago))
    with Store.open(shop_store.folder) as reopened:
        assert reopened.photos.exists(orphan.sha256)
        assert reopened.sweep_orphans() == 1  # the maintenance step (window, CLI)
        assert not reopened.photos.exists(orphan.sha256)
        assert reopened.photos.exists(kept)


def test_cli_detach(capsys, data_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert main(["units", "import", str(data_path / "units-sample.csv")]) == 0
    assert (
        main(["evaluations", "new", "--inspector", "张三", "--unit", SHOP, "--kind", "routine"])
        == 0
    )
    evaluation = capsys.readouterr().out.strip().splitlines()[-1]
    assert main(["evaluations", "attach", evaluation, "--item", "B1a", str(PHOTO)]) == 0
    capsys.readouterr()
    assert main(["evaluations", "show", evaluation]) == 0
    out = capsys.readouterr().out
    assert "Landscape_6.jpg" in out
    assert main(["evaluations", "detach", evaluation, "99"]) == 1
    assert "没有编号为 99 的照片" in capsys.readouterr().err
    with Store.open() as store, store.read() as session:
        photo_id = ev.get(session, int(evaluation)).photos[0].id
    assert main(["evaluations", "detach", evaluation, str(photo_id)]) == 0
    assert "已移除照片" in capsys.readouterr().out
    with Store.open() as store, store.read() as session:
        assert ev.get(session, int(evaluation)).photos == []
        assert not store.photos.exists(prepare(PHOTO).sha256)
    with pytest.raises(SystemExit) as caught:
        main(["evaluations", "detach", evaluation])
    assert caught.value.code == 2
