"""Pull pages: every change in scope arrives once, whatever the page size; others never do."""

from __future__ import annotations

import uuid
from pathlib import Path

from fieldapp.domain.events import Role
from fieldapp.server.accounts import Caller
from fieldapp.server.db import Database, next_seq
from fieldapp.server.reference import pull, upsert_unit
from fieldapp.sync import wire


def _unit(station: str, n: int) -> wire.WireUnit:
    return wire.WireUnit(
        uuid=str(uuid.UUID(int=n + (1 << 70))),
        credit_code=f"9233112200000{n:05d}",
        name=f"单位{n}",
        station=station,
        unit_type="general",
    )


def test_pages_bring_every_change_once_and_only_in_scope(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'server.sqlite3'}")
    try:
        with db.session() as session:
            seq = 0
            for n in range(23):
                if n % 3 == 0:  # some units share a change number, as a publish does
                    seq = next_seq(session)
                upsert_unit(session, _unit("五云所" if n % 2 else "壶镇分局", n), seq)
        inspector = Caller(1, "张三", "五云所", Role.INSPECTOR)
        county = Caller(2, "县局", "县局", Role.COUNTY)
        for who, expected in ((inspector, 11), (county, 23)):
            cursor, seen, pages = 0, [], 0
            while True:
                with db.session() as session:
                    page = pull(session, who, cursor, limit=4)
                seen += [u.uuid for u in page.units]
                cursor, pages = page.cursor, pages + 1
                if not page.more:
                    break
            assert len(seen) == len(set(seen)) == expected
            assert pages > 1
            if who is inspector:
                with db.session() as session:
                    assert {u.station for u in pull(session, who, 0).units} == {"五云所"}
        with db.session() as session:  # a changed unit comes down again, with its new version
            upsert_unit(
                session,
                _unit("五云所", 1).model_copy(update={"address": "新址"}),
                next_seq(session),
            )
        with db.session() as session:
            page = pull(session, inspector, cursor)
        assert [(u.address, u.version) for u in page.units] == [("新址", 2)]
    finally:
        db.dispose()
