"""标识张贴 with a photo of the posted sticker: stored like evidence, kept by the orphan sweep."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from fieldapp.cli import main
from fieldapp.errors import InvalidInput
from fieldapp.services import evaluations as ev
from fieldapp.services import unit_changes
from fieldapp.services import units as unit_service
from fieldapp.storage.models import UnitEvent
from fieldapp.store import Store
from tests import lifecycle_helpers

SHOP = "92331122MA2A000347"  # 缙云县仙都黄龙大药房: 放心消费单位 in units-sample.csv
PHOTO = Path(__file__).resolve().parents[1] / "data" / "photos" / "Landscape_6.jpg"


def _confirmed(store: Store, data_path: Path) -> None:
    assert main(["units", "import", str(data_path / "units-sample.csv")]) == 0
    with store.read() as session:
        assert unit_service.by_code(session, SHOP).state == "confirmed"


def test_sticker_with_photo_is_stored_upright_and_survives_the_sweep(
    store: Store, data_path: Path
) -> None:
    _confirmed(store, data_path)
    with store.session() as session:
        unit = unit_service.by_code(session, SHOP)
        sha = unit_changes.store_sticker_photo(store.photos, PHOTO, max_side=800)
        event = lifecycle_helpers.sticker(session, unit, actor="李四", photo_sha256=sha)
        assert event.photo_sha256 == sha
    assert store.photos.exists(sha) and store.photos.verify(sha)
    with store.session() as session:
        assert ev.sweep_orphans(session, store, older_than=0) == 0
    assert store.photos.exists(sha)


def test_a_broken_photo_is_refused_and_nothing_is_recorded(
    store: Store, data_path: Path, tmp_path: Path
) -> None:
    _confirmed(store, data_path)
    broken = tmp_path / "sticker.jpg"
    broken.write_bytes(PHOTO.read_bytes()[:2000])
    with pytest.raises(InvalidInput, match=r"sticker\.jpg"), store.session() as session:
        unit = unit_service.by_code(session, SHOP)
        sha = unit_changes.store_sticker_photo(store.photos, broken)
        lifecycle_helpers.sticker(session, unit, actor="李四", photo_sha256=sha)
    with store.read() as session:
        assert session.scalars(select(UnitEvent).where(UnitEvent.kind == "sticker")).all() == []


def test_cli_sticker_with_and_without_photo(
    store: Store, data_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _confirmed(store, data_path)
    capsys.readouterr()
    assert main(["units", "sticker", SHOP, "--photo", str(PHOTO), "--note", "门口玻璃"]) == 0
    out = capsys.readouterr().out
    assert "已记录标识张贴" in out and "没有张贴照片" not in out
    assert main(["units", "sticker", SHOP, "--date", date.today().isoformat()]) == 0
    assert "没有张贴照片" in capsys.readouterr().out
    with store.read() as session:
        events = session.scalars(select(UnitEvent).where(UnitEvent.kind == "sticker")).all()
        assert [e.photo_sha256 is not None for e in events] == [True, False]
        assert store.photos.exists(events[0].photo_sha256 or "")
    assert main(["units", "sticker", SHOP, "--photo", str(data_path / "units-sample.csv")]) == 1
    assert "units-sample.csv" in capsys.readouterr().err
