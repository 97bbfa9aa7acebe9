"""Every file of tests/data/hostile is refused at its door with a message naming it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from fieldapp.errors import InvalidInput
from fieldapp.imports.units import import_units
from fieldapp.photos.ingest import prepare
from fieldapp.storage.models import Unit

HOSTILE = Path(__file__).resolve().parents[1] / "data" / "hostile"


@pytest.mark.parametrize("path", sorted((HOSTILE / "images").iterdir()), ids=lambda p: p.name)
def test_a_hostile_image_is_refused_naming_it(path: Path) -> None:
    with pytest.raises(InvalidInput) as caught:
        prepare(path)
    assert path.name in str(caught.value)


@pytest.mark.parametrize("path", sorted((HOSTILE / "csv").iterdir()), ids=lambda p: p.name)
def test_a_hostile_unit_list_is_refused_and_nothing_is_imported(store, path: Path) -> None:
    with store.session() as session, pytest.raises(InvalidInput) as caught:
        import_units(session, path, actor="测试")
    assert path.name in str(caught.value)
    with store.read() as session:
        assert session.scalar(select(func.count()).select_from(Unit)) == 0
