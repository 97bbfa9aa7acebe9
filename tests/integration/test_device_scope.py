"""A device belongs to its station (issue 16, item 9): another station's account reporting the
same device id is refused and moves nothing; an inspector of the same station may take the
laptop over, and so may anyone once the old account is revoked."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import requests
from sqlalchemy import select

from fieldapp.server import accounts
from fieldapp.server import models as sm
from tests.integration import test_sync_support as support
from tests.integration.test_sync_support import LiveServer, add_account

database_url, server_config, live = support.database_url, support.server_config, support.live


def _report(live: LiveServer, token: str, device: str, unsynced: int) -> requests.Response:
    body = {
        "device_id": device,
        "label": "五云所笔记本 3 号",
        "unsynced": unsynced,
        "client_time": datetime.now(UTC).isoformat(),
    }
    return requests.post(
        f"{live.url}/api/v1/devices/report",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )


def _owner(live: LiveServer, device: str) -> tuple[str, int]:
    with live.db().session() as session:
        row = session.scalars(select(sm.Device).where(sm.Device.device_id == device)).one()
        account = session.get(sm.Account, row.account_id)
        assert account is not None
        return account.name, row.unsynced


def test_a_device_stays_with_its_station(live: LiveServer) -> None:
    wuyun = add_account(live.db(), "张三", "五云所", "inspector")
    colleague = add_account(live.db(), "李四", "五云所", "inspector")
    other = add_account(live.db(), "王五", "壶镇分局", "inspector")
    device = str(uuid.uuid4())
    assert _report(live, wuyun, device, 5).status_code == 200
    refused = _report(live, other, device, 0)
    assert refused.status_code == 403
    assert "五云所" in refused.json()["detail"] and "users revoke" in refused.json()["detail"]
    assert _owner(live, device) == ("张三", 5)  # nothing moved, the count kept
    assert _report(live, colleague, device, 4).status_code == 200  # handed over in the station
    assert _owner(live, device) == ("李四", 4)
    with live.db().session() as session:
        account = session.scalars(select(sm.Account).where(sm.Account.name == "李四")).one()
        accounts.revoke(session, account.id)
        session.commit()
    assert _report(live, other, device, 0).status_code == 200  # the laptop moved stations
    assert _owner(live, device) == ("王五", 0)


def test_the_county_hands_laptops_out_and_may_help_on_them(live: LiveServer) -> None:
    county = add_account(live.db(), "县局信息科", "县局", "county")
    inspector = add_account(live.db(), "张三", "五云所", "inspector")
    device = str(uuid.uuid4())
    assert _report(live, county, device, 0).status_code == 200  # set up at the county office
    assert _report(live, inspector, device, 2).status_code == 200  # handed to the inspector
    assert _owner(live, device) == ("张三", 2)
    assert _report(live, county, device, 1).status_code == 200  # county staff help on it
    assert _owner(live, device) == ("张三", 1)  # it stays the station's
