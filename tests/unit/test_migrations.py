"""The store opens databases written by earlier schema heads and keeps every record."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select

from fieldapp.domain import uscc
from fieldapp.services import units as unit_service
from fieldapp.storage import db
from fieldapp.storage.models import Base, Evaluation, Station, Target, Unit
from fieldapp.store import Store

# The FTS5 search indexes (and their shadow tables) that migrations manage in raw SQL.
SEARCH_INDEXES = ("unit_search", "unit_grams")
FIXTURES = sorted((Path(__file__).resolve().parents[1] / "data" / "migrations").glob("*.sqlite"))


def test_there_is_a_fixture_for_the_previous_head() -> None:
    assert FIXTURES, "tests/data/migrations holds no database"
    script_heads = {p.stem for p in FIXTURES}
    assert {"0001", "0002", "0003", "0004", "0005", "0006"} <= script_heads


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda p: p.stem)
def test_old_database_upgrades_with_every_record(fixture: Path, tmp_path: Path) -> None:
    expected = json.loads(fixture.with_suffix(".json").read_text("utf-8"))
    folder = tmp_path / "old"
    folder.mkdir()
    shutil.copy(fixture, folder / "fieldapp.sqlite3")
    engine = db.make_engine(folder / "fieldapp.sqlite3")
    assert db.current_revision(engine) == expected["revision"]
    engine.dispose()

    with Store.open(folder) as store:
        assert db.current_revision(store.engine) == db.head_revision()
        with store.read() as session:
            stations = [
                [s.id, s.name] for s in session.scalars(select(Station).order_by(Station.id))
            ]
            assert stations == expected["stations"]
            found = session.scalars(select(Unit).order_by(Unit.id)).all()
            assert [[u.credit_code, u.name, u.state] for u in found] == expected["units"]
            events = [
                [e.unit_id, e.kind, e.to_state, e.occurred_on.isoformat(), e.actor, e.reason]
                for u in found
                for e in u.events
            ]
            assert events == expected["events"]
            targets = [
                [t.year, t.station_id, t.unit_type, t.count]
                for t in session.scalars(select(Target).order_by(Target.id))
            ]
            assert targets == expected.get("targets", [])
            evaluations = [
                {
                    "uuid": e.uuid,
                    "unit_id": e.unit_id,
                    "kind": e.kind,
                    "status": e.status,
                    "inspector": e.inspector,
                    "verdict": e.verdict,
                    "verdict_text": e.verdict_text,
                    "content_sha256": e.content_sha256,
                    "checklists": [[p.checklist_id, p.version] for p in e.checklists],
                    "answers": [
                        [
                            a.checklist_id,
                            a.item_code,
                            a.result,
                            a.note,
                            a.rectify,
                            a.due.isoformat() if a.due else None,
                        ]
                        for a in e.answers
                    ],
                    "photos": [
                        [p.checklist_id, p.item_code, p.sha256, p.width, p.height, p.original_name]
                        for p in e.photos
                    ],
                    "signatures": [[s.role, s.name, s.image_sha256] for s in e.signatures],
                }
                for e in session.scalars(select(Evaluation).order_by(Evaluation.id))
            ]
            assert evaluations == expected.get("evaluations", [])
            for e in session.scalars(select(Evaluation)):
                assert e.finalized_at is not None and e.started_at < e.finalized_at
            assert all(uscc.validate(u.credit_code).valid for u in found)
            # Rows written before the search index existed are searchable after the upgrade.
            hits = unit_service.search(session, unit_service.UnitFilter("好又多超市"))
            assert [u.name for u in hits] == ["缙云县五云好又多超市"]
            assert [
                u.name for u in unit_service.search(session, unit_service.UnitFilter("岩背"))
            ] == ["缙云县壶镇镇岩背村股份经济合作社"]


def test_models_match_the_migrated_schema(tmp_path: Path) -> None:
    engine = db.make_engine(tmp_path / "x.sqlite3")
    db.upgrade(engine)

    def include(obj, name, type_, reflected, compare_to):  # type: ignore[no-untyped-def]
        return not (type_ == "table" and name.startswith(SEARCH_INDEXES))

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": include})
        assert compare_metadata(context, Base.metadata) == []
    engine.dispose()


def test_store_pragmas(store) -> None:  # type: ignore[no-untyped-def]
    with store.engine.connect() as connection:
        pragma = lambda name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
        assert pragma("journal_mode") == "wal"
        assert pragma("foreign_keys") == 1
        assert pragma("synchronous") == 2  # FULL


def test_foreign_keys_are_enforced(store) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError), store.session() as session:
        session.add(Unit(credit_code="X", name="n", station_id=999, unit_type="general"))


def test_the_head_constant_is_the_newest_migration() -> None:
    """Opening a store compares its schema with db.HEAD_REVISION without loading Alembic; the
    constant must name the newest migration script."""
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(db.alembic_config())
    assert scripts.get_current_head() == db.HEAD_REVISION
    assert db.head_revision() == db.HEAD_REVISION


def test_a_store_with_data_is_copied_before_it_is_upgraded(tmp_path: Path) -> None:
    """Before migrating a store that holds data, a consistent copy of its database is kept in
    <data>/backups (the newest three): an update whose schema turns out wrong loses nothing."""
    import sqlite3

    from fieldapp.storage import sqlitefile

    folder = tmp_path / "old"
    folder.mkdir()
    shutil.copy(FIXTURES[0], folder / "fieldapp.sqlite3")
    with Store.open(folder):
        pass
    (copy,) = (folder / "backups").glob("before-upgrade-*.sqlite3")
    assert copy.name.startswith(f"before-upgrade-{FIXTURES[0].stem}-to-{db.head_revision()}-")
    assert sqlitefile.stored_revision(copy) == FIXTURES[0].stem
    expected = json.loads(FIXTURES[0].with_suffix(".json").read_text("utf-8"))
    with sqlite3.connect(copy) as connection:
        codes = [r[0] for r in connection.execute("SELECT credit_code FROM units ORDER BY id")]
    connection.close()
    assert codes == [u[0] for u in expected["units"]]
    for n in range(4):  # older copies beyond three go
        sqlitefile.copy_before_upgrade(folder / "fieldapp.sqlite3", f"x{n}", "y")
    assert len(list((folder / "backups").glob("before-upgrade-*.sqlite3"))) == 3
    with Store.open(tmp_path / "new", create=True):  # a new store has nothing to copy
        pass
    assert not (tmp_path / "new" / "backups").exists()
