"""Task tables on the wire: every figure the county enters (a county-level row, a 其中 subset,
a kind other than a unit type, a figure without a number, a plan's target) comes down as entered,
found by what it counts, once."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from fieldapp.domain.vocab import UnitType
from fieldapp.store import Store
from fieldapp.sync import state, wire
from fieldapp.sync.client import SyncClient
from tests.integration import test_sync_support as support
from tests.integration.test_sync_domain import STATION, _master, _publish
from tests.integration.test_sync_support import LiveServer, add_account, transport

database_url, server_config, live = support.database_url, support.server_config, support.live


def test_a_targets_key_is_what_it_counts() -> None:
    plain = wire.WireTarget(year=2026, station="五云所", unit_type=UnitType.GENERAL, count=40)
    assert plain.key() == plain.model_copy(update={"count": 41, "note": "改"}).key()
    county = plain.model_copy(update={"station": None})
    subset = plain.model_copy(update={"parent": county.key()})
    assert len({plain.key(), county.key(), subset.key()}) == 3
    old_form = wire.WireTarget.model_validate(
        {"year": 2026, "station": "五云所", "unit_type": "general", "count": 40}
    )
    assert old_form.key() == plain.key()


def test_task_tables_come_down_with_county_rows_subsets_and_plans(
    live: LiveServer, tmp_path: Path
) -> None:
    """A county-level figure, a 其中 subset, a kind other than a unit type, a figure without a
    number and a plan's target all arrive as the county entered them, once."""
    from fieldapp.domain.targets import TargetKind
    from fieldapp.storage.models import Station, Target, TaskPlan
    from fieldapp.sync.mapping import wire_target

    master = tmp_path / "county"
    _master(master)
    with Store.open(master) as store, store.session() as session:
        station = session.scalars(select(Station).where(Station.name == STATION)).one()
        plan = TaskPlan(start_year=2026, end_year=2028, first_share_num=1, first_share_den=3)
        units = Target(year=2026, kind=TargetKind.UNITS, count=1122, plan=plan)
        session.add_all(
            [
                Target(year=2026, station=station, unit_type=UnitType.GENERAL, count=40),
                Target(year=2026, unit_type=UnitType.VILLAGE_STATION, count=19),
                units,
                Target(
                    year=2026,
                    unit_type=UnitType.NO_REASON_RETURN,
                    count=330,
                    parent=units,
                    plan=plan,
                ),
                Target(year=2026, kind=TargetKind.MARKET, station=station, count=2),
                Target(
                    year=2026,
                    kind=TargetKind.DEMONSTRATION,
                    industry="电信营业厅",
                    sector="通信",
                    responsible_dept="县经信局",
                    count=None,
                    note="按省下达的任务指标另行分解",
                ),
            ]
        )
    _publish(live, master)

    def figures(store: Store) -> list[str]:
        with store.read() as session:
            return sorted(
                wire.canonical_json(wire_target(t).model_dump(mode="json"))
                for t in session.scalars(select(Target))
            )

    token = add_account(live.db(), "张三", STATION, "inspector")
    with Store.open(master) as county, Store.open(tmp_path / "laptop", create=True) as laptop:
        report = SyncClient(laptop, transport(live, token)).run()
        assert not report.conflicts
        assert figures(laptop) == figures(county) and len(figures(laptop)) == 6
        with laptop.session() as session:
            state.put(session, state.CURSOR, "0")
        SyncClient(laptop, transport(live, token)).run()
        assert figures(laptop) == figures(county)
        with laptop.read() as session:
            subset = session.scalars(select(Target).where(Target.parent_id.is_not(None))).one()
            assert subset.parent is not None and subset.parent.count == 1122
            assert subset.plan is not None and subset.plan.first_share_den == 3
