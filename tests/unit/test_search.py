"""Search as the user types: names, credit codes, addresses; two-character Chinese queries too."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import update

from fieldapp.imports.units import import_units
from fieldapp.services import demo
from fieldapp.services.units import UnitFilter, by_code, count, search
from fieldapp.storage.models import Unit


@pytest.fixture
def filled(store, data_path):  # type: ignore[no-untyped-def]
    with store.session() as session:
        import_units(session, data_path / "units-sample.csv", actor="t")
    return store


def names(store, text: str, **kw) -> list[str]:  # type: ignore[no-untyped-def]
    with store.read() as session:
        return [u.name for u in search(session, UnitFilter(text, **kw))]


def test_two_character_queries_are_index_lookups(filled) -> None:
    """SQLite's trigram index found nothing under 3 characters (so 「超市」 scanned every unit
    with LIKE); the index of three-character pieces answers it from its two-character prefix
    index."""
    con = sqlite3.connect(filled.database)
    try:
        plan = " ".join(
            str(row[-1])
            for row in con.execute(
                "EXPLAIN QUERY PLAN SELECT rowid FROM unit_grams WHERE unit_grams MATCH ?",
                ('"超市"*',),
            )
        )
        hits = con.execute(
            "SELECT count(*) FROM unit_grams WHERE unit_grams MATCH '\"超市\"*'"
        ).fetchone()
    finally:
        con.close()
    assert "VIRTUAL TABLE INDEX" in plan
    assert hits == (1,)
    assert names(filled, "超市") == ["缙云县五云好又多超市"]


@pytest.mark.parametrize(
    "query, expected",
    [
        ("超市", ["缙云县五云好又多超市"]),
        ("壶镇", ["缙云县壶镇老街饭店"]),
        ("药", ["缙云县仙都黄龙大药房"]),
        ("好又多超市", ["缙云县五云好又多超市"]),
        ("黄龙路3号", ["缙云县仙都黄龙大药房"]),
        ("ma2a0002", ["缙云县壶镇老街饭店"]),
        ("91331122MA2A00026F", ["缙云县壶镇老街饭店"]),
        ("五云 便利", ["缙云县五云乐购便利店"]),
        ("五云街道 超市", ["缙云县五云好又多超市"]),
        ("５号", ["缙云县五云乐购便利店"]),
        ("不存在的单位", []),
        ("%", []),
        ('"', []),
    ],
)
def test_queries(filled, query, expected) -> None:
    assert names(filled, query) == expected


def test_empty_query_lists_all_and_filters_combine(filled) -> None:
    assert len(names(filled, "")) == 5
    assert names(filled, "", station="五云所") == ["缙云县五云好又多超市", "缙云县五云乐购便利店"]
    assert names(filled, "超市", station="壶镇分局") == []
    assert names(filled, "", unit_type="factory") == ["缙云县新碧鑫源食品有限公司"]
    assert names(filled, "", state="candidate") == ["缙云县五云乐购便利店"]


def test_index_follows_updates_and_deletes(filled) -> None:
    with filled.session() as session:
        session.execute(
            update(Unit).where(Unit.name == "缙云县壶镇老街饭店").values(name="缙云县壶镇新街酒楼")
        )
    assert names(filled, "老街饭店") == []
    assert names(filled, "新街酒楼") == ["缙云县壶镇新街酒楼"]
    with filled.session() as session:
        session.delete(by_code(session, "91331122MA2A00026F"))
    assert names(filled, "新街酒楼") == []


def test_fifty_thousand_units_short_and_long_queries(store, tmp_path) -> None:
    path = demo.write_csv(tmp_path / "demo.csv", 50_000, seed=7)
    with store.session() as session:
        import_units(session, path, actor="t")
    with store.read() as session:
        total = count(session, UnitFilter(""))
        assert total == 50_000
        for query in ("超市", "壶镇", "好又多超市", "解放街1"):
            found = count(session, UnitFilter(query))
            page = search(session, UnitFilter(query), limit=100)
            assert 0 < found < total
            assert len(page) == min(100, found)
            assert all(query in (u.name + u.address + u.credit_code) for u in page)


def test_keyset_pages_cover_every_match_once(filled) -> None:
    seen: list[int] = []
    after = 0
    with filled.read() as session:
        while page := search(session, UnitFilter("缙云县"), limit=2, after_id=after):
            seen.extend(u.id for u in page)
            after = page[-1].id
        assert seen == sorted(set(seen)) and len(seen) == count(session, UnitFilter("缙云县"))


@pytest.mark.parametrize(
    "query",
    [
        UnitFilter(),
        UnitFilter("超市"),
        UnitFilter("好又多"),
        UnitFilter("ＭＡ"),
        UnitFilter("壶镇 便利店"),
        UnitFilter("100%_"),
        UnitFilter(station="五云所"),
        UnitFilter("缙云", state="cultivating"),
    ],
)
def test_the_read_model_and_the_orm_find_the_same_units(filled, query: UnitFilter) -> None:
    """The window's first page and ``units list`` read through ``views.units`` on sqlite3; the
    ORM path (used when a filter needs the evaluation rules) embeds the same SQL."""
    from fieldapp.views import units as view

    with filled.read() as session:
        orm = [u.credit_code for u in search(session, query, limit=None)]
        orm_total = count(session, query)
    with filled.raw_read() as connection:
        page = view.first_page(connection, query, 3)
        raw = [r.credit_code for r in view.rows(connection, query, limit=None)]
        after = view.rows(
            connection, query, limit=None, after_id=page.rows[0].id if page.rows else 0
        )
    assert raw == orm and page.total == orm_total == len(orm)
    assert [r.credit_code for r in page.rows] == orm[:3]
    assert [r.credit_code for r in after] == orm[1:]
