"""The search index finds exactly what a substring match finds, and every writer keeps it so.

A generated county (plus units with punctuation, spaces, mixed case, full-width characters and a
control character in their fields) is searched with fixed and random queries: one character or
more, Chinese, letters, digits, credit-code fragments, several terms, full-width and
mixed-case input. Each answer (count and every row, through the window's read model and the
ORM) must be the units whose name, shop name, credit code or address contains every term, ASCII
letters in either case: what LIKE '%term%' over those fields returns.
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import select

from fieldapp.imports.units import import_units
from fieldapp.services import demo, unit_changes
from fieldapp.services.unit_changes import Change
from fieldapp.services.units import count, search
from fieldapp.storage.models import Unit
from fieldapp.views import units as view
from fieldapp.views.units import UnitFilter, terms

FIELDS = ("name", "shop_name", "credit_code", "address")
# Values a generated county does not have: punctuation, spaces (single and double), ASCII in both
# cases, full-width letters stored as such, quotes, LIKE's wildcards, a character outside the BMP.
ODD = [
    {"name": "ABC 超市（五云店）", "shop_name": "Abc-Mart  旗舰店", "address": "解放街 12-3 号"},
    {"name": "“好又多”便利", "shop_name": "100%_纯净", "address": 'O\'Brien 路 "7" 号'},
    {"name": "ＭＡ２５数码", "shop_name": "𠀋记小吃", "address": "新建镇 (东) 街*"},
    {"name": "x", "shop_name": "", "address": "仙都街道"},
]
FIXED = [
    "超市", "好又多", "解放街", "MA25", "ma25", "ＭＡ２５", "ma2a", "壶镇 便利店", "市", "1", "a",
    "Ａ", "A", "%", "_", "100%_", '"', "“", "'", "O'Brien", "-", "(", "（", "*", "3号", "缙云县",
    "五云 超市 3", "abc", "ABC 超市", "abc-mart", "t  旗", "𠀋", "𠀋记", "记小", "x", "店）",
    "12-3", '"7"', "(东)", "街*", "不存在", "超市 不存在", "Ｍ", "ｍａ２",
]  # fmt: skip


def reference(units: dict[int, tuple[str, ...]], query: str) -> list[int]:
    """Ids of the units with a field containing every term, ASCII letters in either case."""

    def fold(text: str) -> str:
        return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in text)

    wanted = [fold(t) for t in terms(query)]
    return sorted(
        unit_id
        for unit_id, fields in units.items()
        if all(any(t in fold(f) for f in fields) for t in wanted)
    )


def stored(database: object) -> dict[int, tuple[str, ...]]:
    connection = sqlite3.connect(str(database))
    try:
        found = connection.execute(f"SELECT id, {', '.join(FIELDS)} FROM units")
        return {row[0]: tuple(v or "" for v in row[1:]) for row in found}
    finally:
        connection.close()


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in text)


def random_queries(units: dict[int, tuple[str, ...]], n: int, seed: int) -> Iterator[str]:
    """Pieces of stored fields, one to six characters, some as two or three terms, some typed
    full-width or in the other case."""
    rng = random.Random(seed)
    values = [v for fields in units.values() for v in fields if v.strip()]
    for _ in range(n):
        pieces = []
        for _ in range(rng.choice((1, 1, 1, 2, 3))):
            value = rng.choice(values)
            start = rng.randrange(len(value))
            pieces.append(value[start : start + rng.randint(1, 6)])
        query = " ".join(pieces)
        roll = rng.random()
        if roll < 0.15:
            query = full_width(query)
        elif roll < 0.3:
            query = query.swapcase()
        if query.strip():
            yield query


@pytest.fixture
def county(store, tmp_path):  # type: ignore[no-untyped-def]
    path = demo.write_csv(tmp_path / "county.csv", 1500, seed=15)
    with store.session() as session:
        import_units(session, path, actor="t")
        units = session.scalars(select(Unit).order_by(Unit.id).limit(len(ODD))).all()
        for unit, values in zip(units, ODD, strict=True):
            unit_changes.update_fields(session, unit, values, Change("测试", today=date.today()))
    # A control character cannot be typed in the window; the index leaves such terms to LIKE.
    connection = sqlite3.connect(store.database)
    with connection:
        connection.execute("UPDATE units SET shop_name = 'tab\tbell\x07end' WHERE id = 5")
    connection.close()
    return store


def check(store, queries: list[str]) -> None:  # type: ignore[no-untyped-def]
    units = stored(store.database)
    with store.raw_read() as connection:
        for query in queries:
            expected = reference(units, query)
            unit_filter = UnitFilter(query)
            page = view.first_page(connection, unit_filter, 20)
            assert page.total == len(expected), query
            assert [r.id for r in page.rows] == expected[:20], query
            assert [r.id for r in view.rows(connection, unit_filter, limit=None)] == expected
            after = expected[len(expected) // 2] if expected else 0
            assert [r.id for r in view.rows(connection, unit_filter, after_id=after)] == [
                i for i in expected if i > after
            ][:100], query


def test_fixed_queries_find_what_a_substring_match_finds(county) -> None:
    check(county, [*FIXED, "bell", "\x07", "bell\x07e", "tab"])


def test_random_queries_find_what_a_substring_match_finds(county) -> None:
    check(county, list(random_queries(stored(county.database), 400, seed=15)))


def test_filters_beside_the_search_and_the_orm_agree(county) -> None:
    units = stored(county.database)
    with county.raw_read() as connection:
        five = {r.id for r in view.rows(connection, UnitFilter(station="五云所"), limit=None)}
    for query in ["超市", "市", "ma", "五云 1", "解放街 号"]:
        expected = [i for i in reference(units, query) if i in five]
        unit_filter = UnitFilter(query, station="五云所")
        with county.raw_read() as connection:
            assert view.count(connection, unit_filter) == len(expected)
            assert [r.id for r in view.rows(connection, unit_filter, limit=None)] == expected
        with county.read() as session:
            assert count(session, unit_filter) == len(expected)
            assert [u.id for u in search(session, unit_filter, limit=None)] == expected


def test_every_write_keeps_the_index_in_step(county) -> None:
    """The triggers follow whichever writer changes ``units``: the services and plain SQL."""
    before = stored(county.database)
    with county.session() as session:
        unit = session.get(Unit, 10)
        assert unit is not None
        unit_changes.update_fields(
            session, unit, {"name": "壹贰叁商行", "address": "新地址路9号"}, Change("测试")
        )
    connection = sqlite3.connect(county.database)
    with connection:
        connection.execute("UPDATE units SET credit_code = 'QQ12345678ZZ' WHERE id = 11")
        connection.execute("UPDATE units SET town = '别处' WHERE id = 12")  # not a searched field
        connection.execute("DELETE FROM unit_events WHERE unit_id = 13")
        connection.execute("DELETE FROM units WHERE id = 13")
        connection.execute("INSERT INTO unit_grams(unit_grams) VALUES ('integrity-check')")
    connection.close()
    gone = {10: before[10][0], 11: before[11][2], 13: before[13][2]}  # old name, codes
    check(county, ["壹贰叁", "新地址路", "qq1234", "QQ12345678ZZ", "商行", *gone.values()])
    with county.raw_read() as connection:
        for unit_id, value in gone.items():
            found = view.rows(connection, UnitFilter(value), limit=None)
            assert unit_id not in [r.id for r in found], value
        found = view.rows(connection, UnitFilter(before[12][0]), limit=None)
        assert 12 in [r.id for r in found]
        assert [r.id for r in view.rows(connection, UnitFilter("壹贰叁 新地址路"))] == [10]


def test_a_restored_store_searches_as_the_one_backed_up(county, tmp_path) -> None:
    """A restore brings the index with the database it belongs to."""
    from fieldapp import backup
    from fieldapp.store import Store

    archive = backup.create(county.folder, tmp_path / "county.zip").path
    backup.restore(archive, tmp_path / "restored")
    with Store.open(tmp_path / "restored") as restored:
        check(restored, ["超市", "市", "ma25", "ABC 超市", "解放街 号"])


def test_station_type_state_and_industry_are_in_the_index_and_follow_each_change(county) -> None:
    """A search with filters is answered by the index alone (migration 0013's facet tokens), finds
    what the filters and a substring match find, and follows a unit moved to another station,
    type, state or industry; no typed term matches a facet token."""

    def expected(query: str, **wanted: object) -> list[int]:
        connection = sqlite3.connect(county.database)
        try:
            rows = connection.execute(
                "SELECT u.id, s.name, u.unit_type, u.state, u.industry FROM units u "
                "JOIN stations s ON s.id = u.station_id"
            ).fetchall()
        finally:
            connection.close()
        facts = {r[0]: dict(station=r[1], unit_type=r[2], state=r[3], industry=r[4]) for r in rows}
        units = stored(county.database)
        return [
            i for i in reference(units, query) if all(facts[i][k] == v for k, v in wanted.items())
        ]

    cases = [
        ("市", {"station": "五云所", "unit_type": "general"}),
        ("超市", {"state": "committed"}),
        ("号", {"industry": "retail", "station": "壶镇分局"}),
        ("解放街 号", {"unit_type": "no_reason_return", "state": "confirmed"}),
        ("st", {}),
        ("ty", {"station": "五云所"}),
        ("Ωst", {}),
        ("市", {"station": "没有这个所"}),
    ]

    def agree() -> None:
        for query, wanted in cases:
            unit_filter = UnitFilter(query, **wanted)  # type: ignore[arg-type]
            found = expected(query, **wanted)
            with county.raw_read() as connection:
                assert view.count(connection, unit_filter) == len(found), (query, wanted)
                assert [r.id for r in view.rows(connection, unit_filter, limit=None)] == found
            with county.read() as session:
                assert count(session, unit_filter) == len(found)

    agree()
    assert expected("市", station="五云所", unit_type="general")  # the cases find something
    assert expected("超市", state="committed")
    connection = sqlite3.connect(county.database)
    with connection:  # plain SQL moves units: the triggers follow
        connection.execute(
            "UPDATE units SET station_id = (SELECT id FROM stations WHERE name = '五云所'), "
            "unit_type = 'general', state = 'committed', industry = 'retail' WHERE id % 7 = 0"
        )
        connection.execute("INSERT INTO unit_grams(unit_grams) VALUES ('integrity-check')")
    connection.close()
    agree()
