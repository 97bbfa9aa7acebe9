"""The county's web console over a real server (SQLite, and PostgreSQL when it answers): sign-in
with a lockout, cookies a script cannot read, a CSRF token on every form, the API's scopes on
every page, and the decisions and assignments it writes reaching the laptops at the next pull."""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from fieldapp.server import models as sm
from fieldapp.server.web import signin
from fieldapp.store import Store
from fieldapp.sync import state, wire
from fieldapp.sync.client import SyncClient
from tests.integration import test_sync_support as support
from tests.integration.console_support import (
    PASSWORD,
    County,
    build_county,
    client_for,
    close_clients,
    csrf_of,
    signed_in,
)
from tests.integration.test_sync_support import LiveServer, transport

database_url, server_config, live = support.database_url, support.server_config, support.live
demo_cache = support.demo_cache


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    yield
    close_clients()


@pytest.fixture
def county(live: LiveServer, tmp_path: Path, demo_cache: Path) -> County:
    return build_county(live, tmp_path, demo_cache)


def _status(live: LiveServer, uuid: str) -> str:
    with live.db().session() as session:
        row = session.get(sm.Evaluation, uuid)
        assert row is not None
        return str(row.review_status)


def test_pages_need_a_session_and_the_right_password(county: County) -> None:
    anonymous = client_for(county.live)
    answer = anonymous.get("/overview")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/?next=")
    page = anonymous.get("/")
    assert "登录县局控制台" in page.text
    wrong = anonymous.post(
        "/login", data={"name": "王县局", "password": "nope-nope", "csrf": csrf_of(page.text)}
    )
    assert wrong.status_code == 401 and "姓名或密码不对" in wrong.text
    assert "fieldapp_session" not in anonymous.cookies
    nobody = anonymous.post(
        "/login", data={"name": "没有这个人", "password": PASSWORD, "csrf": csrf_of(wrong.text)}
    )
    assert nobody.status_code == 401 and "姓名或密码不对" in nobody.text  # names not revealed

    client = signed_in(county.live, "王县局")
    cookie = next(c for c in client.cookies.jar if c.name == "fieldapp_session")
    assert cookie.has_nonstandard_attr("HttpOnly")
    assert (cookie.get_nonstandard_attr("SameSite") or "").lower() == "strict"
    overview = client.get("/overview")
    assert overview.status_code == 200 and "县局总览" in overview.text
    assert "default-src 'none'" in overview.headers["content-security-policy"]
    client.post("/logout", data={"csrf": csrf_of(overview.text)})
    assert client.get("/overview").status_code == 303  # the session ended on the server


def test_five_wrong_passwords_lock_the_account_even_against_the_right_one(county: County) -> None:
    client = client_for(county.live)
    page = client.get("/")
    for attempt in range(signin.MAX_FAILURES):
        page = client.post(
            "/login",
            data={"name": "李所长", "password": f"wrong-{attempt}", "csrf": csrf_of(page.text)},
        )
        assert page.status_code == 401
    assert "已锁定" in page.text
    locked = client.post(
        "/login", data={"name": "李所长", "password": PASSWORD, "csrf": csrf_of(page.text)}
    )
    assert locked.status_code == 401 and "已锁定" in locked.text
    # The county resets the password: the lock is lifted.
    from tests.integration.console_support import set_password

    set_password(county.live, "李所长", "a-new-password")
    signed_in(county.live, "李所长", "a-new-password")


def test_a_form_without_its_token_is_refused_and_writes_nothing(county: County) -> None:
    client = signed_in(county.live, "王县局")
    target = next(iter(county.evaluations))
    forged = client.post(f"/review/{target}", data={"decision": "returned", "comment": "伪造"})
    assert forged.status_code == 403 and "安全令牌" in forged.text
    wrong = client.post(
        f"/review/{target}", data={"decision": "returned", "comment": "伪造", "csrf": "x" * 43}
    )
    assert wrong.status_code == 403
    assert _status(county.live, target) == "pending"
    # The sign-in form has its own token: a login posted from elsewhere is refused.
    stranger = client_for(county.live)
    posted = stranger.post("/login", data={"name": "王县局", "password": PASSWORD})
    assert posted.status_code == 403 and "fieldapp_session" not in stranger.cookies


def test_a_station_head_sees_and_reviews_only_the_own_station(county: County) -> None:
    client = signed_in(county.live, "李所长")
    theirs = next(u for u, s in county.evaluations.items() if s == county.other)
    refused = client.get(f"/review/{theirs}")
    assert refused.status_code == 403 and county.other in refused.text
    assert client.get(f"/stations/{county.other}").status_code == 403
    queue = client.get("/review")
    assert theirs not in queue.text
    mine = [u for u, s in county.evaluations.items() if s == county.station]
    assert all(u in queue.text for u in mine)
    overview = client.get("/overview")
    assert f"{county.station}总览" in overview.text and county.other not in overview.text
    photo_of_theirs = client.get(f"/review/{theirs}/sheet.pdf")
    assert photo_of_theirs.status_code == 403
    assert client.get("/accounts").status_code == 403  # accounts are the county's


def test_returned_with_a_comment_reaches_the_laptop(county: County) -> None:
    client = signed_in(county.live, "李所长")
    target = next(u for u, s in county.evaluations.items() if s == county.station)
    page = client.get(f"/review/{target}")
    assert page.status_code == 200 and "现场照片" in page.text
    empty = client.post(
        f"/review/{target}", data={"decision": "returned", "csrf": csrf_of(page.text)}
    )
    assert empty.status_code == 422 and "退回原因" in empty.text
    done = client.post(
        f"/review/{target}",
        data={
            "decision": "returned",
            "comment": "缺营业执照照片，请补拍",
            "csrf": csrf_of(page.text),
        },
    )
    assert done.status_code == 303
    shown = client.get(done.headers["location"])
    assert "已退回" in shown.text and "李所长" in shown.text
    with Store.open(county.folder) as store:
        report = SyncClient(store, transport(county.live, county.county_token)).run()
        assert [r["uuid"] for r in report.returned] == [target]
        with store.read() as session:
            from fieldapp.storage.models import Evaluation

            evaluation = session.scalar(select(Evaluation).where(Evaluation.uuid == target))
            assert evaluation is not None
            review = state.review_of(session, evaluation.id)
            assert review is not None and review.reviewed_by == "李所长"


def test_photos_and_the_sheet_are_served_to_whoever_may_see_them(county: County) -> None:
    from PIL import Image

    client = signed_in(county.live, "王县局")
    target, other = list(county.evaluations)[:2]
    with county.live.db().session() as session:
        content = wire.WireEvaluation.model_validate_json(
            session.get(sm.Evaluation, target).content_json  # type: ignore[union-attr]
        )
        others = {
            h
            for (h,) in session.execute(
                select(sm.EvaluationBlob.sha256).where(sm.EvaluationBlob.evaluation_uuid == other)
            )
        }
    photo = next(p for p in content.photos if p.sha256 not in others)
    full = client.get(f"/review/{target}/photos/{photo.sha256}")
    thumb = client.get(f"/review/{target}/photos/{photo.sha256}?size=thumb")
    assert full.status_code == 200 and thumb.status_code == 200
    with Image.open(io.BytesIO(full.content)) as image:
        assert image.size == (photo.width, photo.height)
    with Image.open(io.BytesIO(thumb.content)) as image:
        assert image.format == "JPEG" and max(image.size) <= 320
    # A photo is served only under an evaluation it belongs to.
    assert client.get(f"/review/{other}/photos/{photo.sha256}").status_code == 404
    sheet = client.get(f"/review/{target}/sheet.pdf")
    assert sheet.status_code == 200 and sheet.content.startswith(b"%PDF")


def test_assignments_from_the_console_come_down_to_the_inspector(county: County) -> None:
    client = signed_in(county.live, "李所长")
    with county.live.db().session() as session:
        units = list(
            session.scalars(
                select(sm.Unit).where(sm.Unit.station == county.station).order_by(sm.Unit.uuid)
            )
        )[:3]
        foreign = session.scalar(select(sm.Unit).where(sm.Unit.station == county.other))
        assert foreign is not None
        foreign_uuid = foreign.uuid
    page = client.get("/assign")
    token = csrf_of(page.text)
    answer = client.post(
        "/assign",
        data={
            "inspector": "陈检查",
            "year": "2026",
            "unit": [u.uuid for u in units],
            "csrf": token,
        },
    )
    assert answer.status_code == 303
    listed = client.get(answer.headers["location"])
    assert "已把 3 家单位分派给 陈检查" in listed.text
    assert all(u.name in listed.text for u in units)
    refused = client.post(
        "/assign",
        data={"inspector": "陈检查", "year": "2026", "unit": [foreign_uuid], "csrf": token},
    )
    assert refused.status_code == 403
    one = client.post(
        "/assign",
        data={
            "inspector": "赵检查",
            "year": "2026",
            "credit_code": units[0].credit_code,
            "csrf": token,
        },
    )
    assert one.status_code == 303
    inspector_token = support.add_account(county.live.db(), "陈检查2", county.station, "inspector")
    import httpx

    pulled = httpx.get(
        f"{county.live.url}/api/v1/pull",
        headers={"Authorization": f"Bearer {inspector_token}"},
        timeout=30,
    ).json()
    got = {(a["unit_uuid"], a["inspector"]) for a in pulled["assignments"]}
    assert (units[0].uuid, "赵检查") in got and (units[1].uuid, "陈检查") in got
    inspector = signed_in(county.live, "陈检查")
    page = inspector.get("/assign")
    assert (
        inspector.post(
            "/assign",
            data={
                "inspector": "陈检查",
                "year": "2026",
                "unit": [units[2].uuid],
                "csrf": csrf_of(page.text),
            },
        ).status_code
        == 403
    )


def test_every_list_exports_to_excel(county: County) -> None:
    client = signed_in(county.live, "王县局")
    for path in ("/overview.xlsx", "/review.xlsx", "/devices.xlsx", "/assign.xlsx"):
        answer = client.get(path)
        assert answer.status_code == 200, path
        sheet = load_workbook(io.BytesIO(answer.content)).active
        assert sheet is not None and sheet.max_row >= 1, path
    rows = list(load_workbook(io.BytesIO(client.get("/review.xlsx").content)).active.values)
    assert len(rows) == 1 + len(county.evaluations)


def test_the_county_manages_accounts_from_the_console(county: County) -> None:
    client = signed_in(county.live, "王县局")
    page = client.get("/accounts")
    added = client.post(
        "/accounts",
        data={
            "name": "新同事",
            "station": county.station,
            "role": "inspector",
            "csrf": csrf_of(page.text),
        },
    )
    assert added.status_code == 200 and "只显示这一次" in added.text
    with county.live.db().session() as session:
        account = signin.active_account(session, "新同事")
        account_id = account.id
    token = csrf_of(page.text)
    mismatch = client.post(
        f"/accounts/{account_id}",
        data={
            "action": "password",
            "password": "abcdefgh1",
            "password_again": "abcdefgh2",
            "csrf": token,
        },
    )
    assert mismatch.status_code == 422
    client.post(
        f"/accounts/{account_id}",
        data={
            "action": "password",
            "password": "abcdefgh1",
            "password_again": "abcdefgh1",
            "csrf": token,
        },
    )
    colleague = signed_in(county.live, "新同事", "abcdefgh1")
    assert colleague.get("/overview").status_code == 200
    client.post(f"/accounts/{account_id}", data={"action": "revoke", "csrf": token})
    assert colleague.get("/overview").status_code == 303  # revoked: the session is gone


def test_users_passwd_reads_two_lines_when_not_a_terminal(live: LiveServer, tmp_path: Path) -> None:
    support.add_account(live.db(), "周所长", "五云所", "station")
    base = [
        sys.executable,
        "-m",
        "fieldapp.server.cli",
        "--data-dir",
        str(live.config.data_dir),
        "--database-url",
        live.config.database_url,
        "users",
        "passwd",
        "周所长",
    ]

    def run(stdin: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(base, input=stdin, capture_output=True, text=True, timeout=120)

    mismatch = run("first-pass-1\nother-pass-2\n")
    assert mismatch.returncode == 1 and "不一致" in mismatch.stderr
    short = run("short\nshort\n")
    assert short.returncode == 1 and "至少" in short.stderr
    done = run("long-enough-1\nlong-enough-1\n")
    assert done.returncode == 0, done.stderr
    assert "设备令牌不变" in done.stdout
    signed_in(live, "周所长", "long-enough-1")


def test_a_unit_page_shows_its_record_history_and_evaluations(county: County) -> None:
    client = signed_in(county.live, "李所长")
    target = next(u for u, s in county.evaluations.items() if s == county.station)
    with county.live.db().session() as session:
        evaluation = session.get(sm.Evaluation, target)
        assert evaluation is not None
        unit = session.get(sm.Unit, evaluation.unit_uuid)
        foreign = session.scalar(select(sm.Unit).where(sm.Unit.station == county.other))
        assert unit is not None and foreign is not None
        code, name, foreign_code = unit.credit_code, unit.name, foreign.credit_code
    page = client.get(f"/units/{code}")
    assert page.status_code == 200
    assert name in page.text and f"/review/{target}" in page.text and "变更记录" in page.text
    assert client.get(f"/units/{foreign_code}").status_code == 403
    assert client.get("/units/91330000000000000X").status_code == 404


def test_the_review_queue_filters_as_asked(county: County) -> None:
    client = signed_in(county.live, "王县局")
    with county.live.db().session() as session:
        rows = list(session.scalars(select(sm.Evaluation)))
    by_verdict: dict[str, set[str]] = {}
    for row in rows:
        by_verdict.setdefault(str(row.verdict), set()).add(row.uuid)
    for verdict, uuids in by_verdict.items():
        page = client.get("/review", params={"verdict": verdict})
        assert f"共 {len(uuids)} 份" in page.text
        assert all(u in page.text for u in uuids)
        assert not any(u in page.text for u in set(county.evaluations) - uuids)
    one = rows[0]
    named = client.get("/review", params={"inspector": one.inspector[1:]})
    assert one.uuid in named.text
    day = one.finalized_at.date()
    assert (
        one.uuid
        not in client.get("/review", params={"until": str(day.replace(year=day.year - 1))}).text
    )
    station = client.get("/review", params={"station": county.other, "status": "pending"})
    assert all((u in station.text) == (s == county.other) for u, s in county.evaluations.items())
    bad = client.get("/review", params={"kind": "nonsense"})
    assert bad.status_code == 422 and "评价类型" in bad.text and "后评价" in bad.text
    assert client.get("/review", params={"since": "2026-13-01"}).status_code == 422


def test_hold_back_lists_are_the_servers_and_click_through_to_units(county: County) -> None:
    from datetime import date

    from fieldapp.server import holdbacks
    from fieldapp.server.accounts import caller_of

    client = signed_in(county.live, "李所长")
    with county.live.db().session() as session:
        head = session.scalar(select(sm.Account).where(sm.Account.name == "李所长"))
        assert head is not None
        (mine,) = holdbacks.hold_backs(session, caller_of(head), date.today().year, date.today())
    assert mine.station == county.station and mine.items
    page = client.get("/holdbacks")
    assert f"共 {len(mine.items)} 条" in page.text
    for reason, n in mine.counts().items():
        listed = client.get("/holdbacks", params={"reason": reason.value})
        assert f"共 {n} 条" in listed.text, reason
    first = mine.items[0]
    assert f'value="{first.unit_id}"' in page.text and f"/units/{first.credit_code}" in page.text
    assert client.get(f"/units/{first.credit_code}").status_code == 200
    overview = client.get("/overview")
    assert f">{mine.units}</a>" in overview.text  # the station's hold-back count, linked
    rows = list(load_workbook(io.BytesIO(client.get("/holdbacks.xlsx").content)).active.values)
    assert len(rows) == 1 + len(mine.items)
    assert client.get("/holdbacks", params={"station": county.other}).status_code == 403
    assert client.get("/holdbacks", params={"reason": "nonsense"}).status_code == 422


def test_the_monthly_bulletin_downloads_as_pdf_and_excel(county: County) -> None:
    from datetime import date

    month = date.today().strftime("%Y-%m")
    county_client = signed_in(county.live, "王县局")
    page = county_client.get("/bulletin")
    assert page.status_code == 200 and 'name="month"' in page.text
    pdf = county_client.get("/bulletin/file", params={"month": month, "format": "pdf"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    xlsx = county_client.get("/bulletin/file", params={"month": month, "format": "xlsx"})
    assert xlsx.status_code == 200
    assert load_workbook(io.BytesIO(xlsx.content)).sheetnames
    head = signed_in(county.live, "李所长")
    mine = head.get("/bulletin/file", params={"month": month, "station": county.station})
    assert mine.status_code == 200 and mine.content.startswith(b"%PDF")
    theirs = head.get("/bulletin/file", params={"month": month, "station": county.other})
    assert theirs.status_code == 403
    future = county_client.get("/bulletin/file", params={"month": "2999-01"})
    assert future.status_code == 422 and "还没有开始" in future.text


def test_the_worklists_are_the_servers_and_export_to_excel(county: County) -> None:
    from fieldapp.server import holdbacks, worklists
    from fieldapp.server.accounts import caller_of

    client = signed_in(county.live, "王县局")
    with county.live.db().session() as session:
        account = session.scalar(select(sm.Account).where(sm.Account.name == "王县局"))
        assert account is not None
        finalized = session.scalars(select(sm.Evaluation.finalized_at)).first()
        assert finalized is not None
        day = holdbacks.local(finalized).date()
        changed = worklists.daily(session, caller_of(account), day)
        due = worklists.weekly(session, caller_of(account), day)
    assert changed
    page = client.get("/worklists", params={"day": day.isoformat()})
    assert page.status_code == 200
    assert f"有变动的单位（{len(changed)} 家）" in page.text
    assert all(f"/units/{c.credit_code}" in page.text for c in changed)
    assert f"（含已逾期，{len(due)} 条）" in page.text
    for path, expected in (("/worklists/daily.xlsx", changed), ("/worklists/weekly.xlsx", due)):
        answer = client.get(path, params={"day": day.isoformat()})
        rows = list(load_workbook(io.BytesIO(answer.content)).active.values)
        assert len(rows) == 1 + len(expected), path
    head = signed_in(county.live, "李所长")
    assert head.get("/worklists", params={"station": county.other}).status_code == 403
    assert "工作清单" in head.get("/worklists").text
