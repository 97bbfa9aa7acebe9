"""The county server counts the monthly bulletin (每月一通报) with the desktop's own fold: the same
county published and pushed gives the server's ``month_summary`` the numbers ``fieldapp report
bulletin`` prints (SQLite, and PostgreSQL when FIELDAPP_TEST_DATABASE_URL is set), and the
desktop's layout writes them as PDF and Excel.

The server does not know the county's name, and names units and evaluations by uuid where the
desktop names its row ids: those are set aside or mapped before comparing.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from fieldapp.domain.events import Role
from fieldapp.reports import bulletin as layout
from fieldapp.server import bulletin as server_bulletin
from fieldapp.server.accounts import Caller, Forbidden, Invalid
from fieldapp.services import worklists
from fieldapp.services.worklists import MonthSummary
from fieldapp.storage.models import Evaluation, Unit
from fieldapp.store import Store
from tests.integration import test_sync_support as support
from tests.integration.test_server_holdbacks import _county, _push
from tests.integration.test_sync_support import LiveServer
from tests.unit.test_worklists import TODAY

database_url, server_config, live = support.database_url, support.server_config, support.live

COUNTY = Caller(0, "县局", "县局", Role.COUNTY)
HEAD = Caller(1, "所长", "五云所", Role.STATION)


def _desktop(store: Store, month: str, station: str | None, today: date) -> MonthSummary:
    """The desktop's bulletin with its row ids written as the uuids they travel under."""
    with store.read() as session:
        summary = worklists.month_summary(session, month, station, today)
        units = {row.id: row.uuid for row in session.execute(select(Unit.id, Unit.uuid))}
        evaluations = {
            row.id: row.uuid for row in session.execute(select(Evaluation.id, Evaluation.uuid))
        }
    overdue = tuple(
        replace(
            item,
            unit_id=units[int(item.unit_id)],
            evaluation_id=evaluations[int(item.evaluation_id)],
        )
        for item in summary.overdue
    )
    return replace(summary, county="", overdue=overdue)


@pytest.mark.parametrize("station", [None, "五云所", "壶镇分局"])
def test_the_servers_bulletin_is_the_desktops(
    live: LiveServer, store: Store, station: str | None
) -> None:
    _county(store)
    _push(live, store)
    for month, today in (
        ("2026-08", TODAY),
        ("2026-10", TODAY),
        ("2026-11", TODAY),
        ("2026-07", date(2026, 7, 20)),
        ("2026-01", TODAY),
    ):
        desktop = _desktop(store, month, station, today)
        with live.db().session() as session:
            server = server_bulletin.month_summary(session, COUNTY, month, station, today)
        assert server == desktop, (month, station)

    with live.db().session() as session:
        november = server_bulletin.month_summary(session, COUNTY, "2026-11", station, TODAY)
    if station is None:
        assert november.overdue and november.kinds and november.failed_items
        assert {s.station for s in november.stations} == {"五云所", "壶镇分局"}
        assert any(s.rectifications_open for s in november.stations)


def test_the_servers_bulletin_prints_and_is_scoped(
    live: LiveServer, store: Store, tmp_path: Path
) -> None:
    _county(store)
    _push(live, store)
    with live.db().session() as session:
        mine = server_bulletin.month_summary(session, HEAD, "2026-11", None, TODAY)
        assert mine == server_bulletin.month_summary(session, COUNTY, "2026-11", "五云所", TODAY)
        with pytest.raises(Forbidden, match="壶镇分局"):
            server_bulletin.month_summary(session, HEAD, "2026-11", "壶镇分局", TODAY)
        with pytest.raises(Invalid, match="还没有开始"):
            server_bulletin.month_summary(session, COUNTY, "2026-12", None, TODAY)
        with pytest.raises(Invalid, match="2026-11"):
            server_bulletin.month_summary(session, COUNTY, "十一月", None, TODAY)
    assert [s.station for s in mine.stations] == ["五云所"] and mine.station == "五云所"
    assert layout.scope(mine) == "五云所"
    pdf, xlsx = tmp_path / "通报.pdf", tmp_path / "通报.xlsx"
    layout.write_pdf(mine, pdf, TODAY)
    layout.write_xlsx(mine, xlsx, TODAY)
    assert pdf.read_bytes().startswith(b"%PDF") and xlsx.read_bytes().startswith(b"PK")
