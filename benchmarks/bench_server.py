"""The county server at a province's size, on PostgreSQL, against bare SQL in the same run.

``python -m benchmarks.bench_server [--units N] [--evaluations M] [--json]`` (default 500,000
units and 200,000 evaluations) loads a fresh PostgreSQL schema in bulk (``COPY``, not through the
API: the figures time reading, not loading), then times:

- ``server_progress_county`` / ``server_progress_station``: ``GET /api/v1/progress`` through the
  real ASGI application (token, database, the desktop's own fold, JSON) for the county and for one
  station, against bare psycopg running ``GROUP BY station, unit type, state`` over the same units
  (the aggregation the figures add up, without the dated histories);
- ``server_progress_first``: the first request of a year (every unit's share counted and kept,
  as after an upgrade or a change of the plan's targets);
- ``server_progress_cold``: the same request after a unit changed (that unit counted again, the
  kept shares summed);
- ``server_review_page``: one page of the review queue (``review.review_page``: station, status
  and date range, newest first, with its total) against bare psycopg running the same two
  statements.

On PostgreSQL from ``FIELDAPP_BENCH_DATABASE_URL``, else ``FIELDAPP_TEST_DATABASE_URL``, else
the local server (``postgresql+psycopg://postgres@127.0.0.1:5432/test``); when none answers,
the figures are skipped with a message.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.common import Result, log

FULL_UNITS, FULL_EVALUATIONS = 500_000, 200_000
QUICK_UNITS, QUICK_EVALUATIONS = 2_000, 1_000
LOCAL_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
COUNTIES = ("缙云", "丽水", "青田", "龙泉", "遂昌", "松阳", "云和", "庆元", "景宁", "莲都")
STATIONS_PER_COUNTY = 30
TYPES = (
    ("general", 70),
    ("no_reason_return", 14),
    ("factory", 10),
    ("district", 2),
    ("village", 2),
    ("village_station", 2),
)
KINDS = ("post_evaluation", "routine", "three_services", "follow_up", "rectification_recheck")
VERDICTS = ("pass", "rectify", "fail")
STATUSES = (("pending", 60), ("accepted", 35), ("returned", 5))


def stations() -> list[str]:
    return [f"{c}第{n + 1}所" for c in COUNTIES for n in range(STATIONS_PER_COUNTY)]


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _event(rng: random.Random, kind: str, on: date, **values: Any) -> dict[str, Any]:
    event = {
        "actor": "县局",
        "county_confirmed": False,
        "exit_reason": None,
        "field": None,
        "from_state": None,
        "kind": kind,
        "new_value": None,
        "occurred_on": on.isoformat(),
        "old_value": None,
        "photo_sha256": None,
        "reason": "",
        "source": "单位名单.xlsx 第 2 行",
        "to_state": None,
        "uuid": _uuid(rng),
    }
    event.update(values)
    return event


def unit_data(n: int, rng: random.Random, names: list[str], year: int) -> dict[str, Any]:
    """One unit as the server keeps it (a WireUnit's canonical JSON), with a dated history:
    入库, 承诺公示, most named, some moved to another station, some with a sticker."""
    station = names[n % len(names)]
    unit_type = rng.choices([t for t, _ in TYPES], [w for _, w in TYPES])[0]
    entered = date(rng.randint(year - 5, year), 1, 1) + timedelta(days=rng.randint(0, 300))
    events = [_event(rng, "state", entered, to_state="cultivating")]
    state, since = "cultivating", entered
    if rng.random() < 0.8:
        since = entered + timedelta(days=rng.randint(10, 60))
        events.append(
            _event(rng, "state", since, from_state=state, to_state="committed", actor="张三")
        )
        state = "committed"
        if rng.random() < 0.6:
            since += timedelta(days=rng.randint(20, 200))
            events.append(
                _event(rng, "state", since, from_state=state, to_state="confirmed", actor="李四")
            )
            state = "confirmed"
            if rng.random() < 0.5:
                events.append(_event(rng, "sticker", since + timedelta(days=7), actor="李四"))
    if rng.random() < 0.05:
        moved = names[(n + 1) % len(names)]
        events.append(
            _event(
                rng,
                "station",
                since + timedelta(days=30),
                field="station",
                old_value=moved,
                new_value=station,
            )
        )
    return {
        "address": f"幸福路{n % 997 + 1}号",
        "category": "",
        "contact_person": "王五" if n % 13 else "",
        "contact_phone": "13900000000",
        "credit_code": f"91331122{n:010d}",
        "entered_on": entered.isoformat(),
        "events": events,
        "industry": None if unit_type in ("district", "village", "village_station") else "零售",
        "name": f"放心便利店{n}",
        "prudent": False,
        "shop_name": "",
        "state": state,
        "state_since": since.isoformat(),
        "station": station,
        "sticker_posted_on": None,
        "town": station[:2] + "镇",
        "unit_type": unit_type,
        "uuid": _uuid(rng),
        "version": 1,
    }


def evaluation_data(
    rng: random.Random, unit: dict[str, Any], kind: str, verdict: str, finalized: datetime
) -> dict[str, Any]:
    """A finalised evaluation's content as it travelled (48 answers, no photos)."""
    return {
        "answers": [
            {
                "checklist_id": "bayou-bawu",
                "due": None,
                "item_code": f"A{i:02d}",
                "note": "",
                "rectify": None,
                "result": "pass",
            }
            for i in range(16)
        ],
        "checklists": [{"checklist_id": "bayou-bawu", "version": 1}],
        "clock_skewed": False,
        "content_sha256": "0" * 64,
        "finalized_at": finalized.isoformat(),
        "follows_uuid": None,
        "inspector": "张三",
        "kind": kind,
        "photos": [],
        "replaces_uuid": None,
        "signatures": [],
        "started_at": (finalized - timedelta(minutes=40)).isoformat(),
        "station": unit["station"],
        "unit_credit_code": unit["credit_code"],
        "unit_uuid": unit["uuid"],
        "uuid": _uuid(rng),
        "verdict": verdict,
        "verdict_text": "",
    }


def _candidates() -> list[str]:
    urls = [
        os.environ.get("FIELDAPP_BENCH_DATABASE_URL"),
        os.environ.get("FIELDAPP_TEST_DATABASE_URL"),
    ]
    return [u for u in urls if u] or [LOCAL_URL]


def _answers(url: str) -> bool:
    from sqlalchemy import create_engine, text

    engine = create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception as exc:  # any failure to reach it means: skip, with the reason
        log(
            f"server benchmarks skipped: PostgreSQL at {engine.url.render_as_string()} does not answer ({type(exc).__name__})"
        )
        return False
    finally:
        engine.dispose()


@contextmanager
def pg_schema() -> Iterator[str | None]:
    """A fresh schema on the first PostgreSQL that answers (None: none does), dropped after."""
    from sqlalchemy import create_engine, text

    base = _candidates()[0]
    if not _answers(base):
        yield None
        return
    schema = f"fieldapp_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def load(url: str, units: int, evaluations: int, year: int, seed: int = 11) -> dict[str, Any]:
    """Migrate a fresh schema with the server's own migrations, then COPY ``units`` units (with
    histories), the year's task tables and ``evaluations`` received evaluations into it."""
    from fieldapp.server import accounts
    from fieldapp.server.db import Database
    from fieldapp.server.models import unit_facts
    from fieldapp.sync import wire

    rng = random.Random(seed)
    names = stations()
    db = Database(url)
    with db.session() as session:
        county_token = accounts.add_user(session, "县局", "县局", "county")[1]
        station_token = accounts.add_user(session, "所长", names[0], "station")[1]
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        unit_rows: list[dict[str, Any]] = []
        columns = (
            "uuid",
            "credit_code",
            "station",
            "name",
            "data_json",
            "facts_json",
            "version",
            "seq",
        )
        with cursor.copy(f"COPY units ({', '.join(columns)}) FROM STDIN") as copy:
            for n in range(units):
                data = unit_data(n, rng, names, year)
                unit_rows.append(data)
                text_json = wire.canonical_json(data)
                copy.write_row(
                    (
                        data["uuid"],
                        data["credit_code"],
                        data["station"],
                        data["name"],
                        text_json,
                        unit_facts(data),
                        1,
                        1 + n // 1000,
                    )
                )
        seq = 2 + units // 1000
        targets = [
            wire.WireTarget(year=year, station=s, unit_type=t, count=rng.randint(20, 200))
            for s in names
            for t in ("general", "no_reason_return", "factory")
        ]
        targets.append(wire.WireTarget(year=year, unit_type="village_station", count=300))
        with cursor.copy("COPY targets (key, year, station, data_json, seq) FROM STDIN") as copy:
            for t in targets:
                copy.write_row(
                    (
                        t.key(),
                        t.year,
                        t.station,
                        wire.canonical_json(t.model_dump(mode="json")),
                        seq,
                    )
                )
        start = datetime(year, 1, 1, 8, tzinfo=UTC)
        ev_columns = (
            "uuid", "content_sha256", "content_json", "station", "unit_uuid", "inspector",
            "finalized_at", "clock_skewed", "account_id", "device_id", "batch_id", "received_at",
            "review_status", "review_comment", "reviewed_by", "reviewed_at", "seq",
        )  # fmt: skip
        extra = ("kind", "verdict")
        with cursor.copy(f"COPY evaluations ({', '.join(ev_columns + extra)}) FROM STDIN") as copy:
            for n in range(evaluations):
                unit = unit_rows[rng.randrange(len(unit_rows))]
                kind, verdict = rng.choice(KINDS), rng.choice(VERDICTS)
                finalized = start + timedelta(minutes=rng.randrange(300 * 24 * 60))
                content = evaluation_data(rng, unit, kind, verdict, finalized)
                status = rng.choices([s for s, _ in STATUSES], [w for _, w in STATUSES])[0]
                reviewed = status != "pending"
                row = (
                    content["uuid"], f"{n:064x}", wire.canonical_json(content), unit["station"],
                    unit["uuid"], f"检查员{n % 5}", finalized, False, 1, _uuid(rng),
                    _uuid(rng), finalized + timedelta(hours=rng.randint(1, 48)), status,
                    "" if status != "returned" else "照片不清楚", "县局" if reviewed else "",
                    finalized + timedelta(days=3) if reviewed else None, seq + 1 + n // 1000,
                )  # fmt: skip
                copy.write_row((*row, kind, verdict))
        top = seq + 2 + evaluations // 1000
        cursor.execute("UPDATE counters SET value = %s WHERE name = 'seq'", (top,))
        raw.commit()
        cursor.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()
    return {"db": db, "county": county_token, "station": station_token, "stations": names}


def _median(work: Callable[[], object], repeat: int) -> float:
    work()  # warm-up: connections, prepared statements, the figures cache
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _bare(url: str) -> Any:
    """A bare psycopg connection to the same schema (autocommit: each statement on its own)."""
    import psycopg
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    options = parsed.query.get("options")
    return psycopg.connect(
        host=parsed.host,
        port=parsed.port or 5432,
        user=parsed.username,
        password=parsed.password,
        dbname=parsed.database,
        options=options if isinstance(options, str) else None,
        autocommit=True,
    )


BARE_PROGRESS = (
    "SELECT station, j->>'unit_type', j->>'state', count(*) FROM "
    "(SELECT station, data_json::jsonb AS j FROM units {where}) u GROUP BY 1, 2, 3"
)
BARE_COUNT = "SELECT count(*) FROM evaluations e WHERE {where}"
BARE_PAGE = (
    "SELECT e.*, u.credit_code, u.name FROM evaluations e JOIN units u ON u.uuid = e.unit_uuid "
    "WHERE {where} ORDER BY e.received_at DESC, e.uuid DESC LIMIT %s OFFSET %s"
)


def run(units: int, evaluations: int, repeat: int) -> list[Result]:
    """Every server figure at ``units`` / ``evaluations`` (none when PostgreSQL is absent)."""
    import httpx

    from benchmarks.bench_sync import _Server
    from fieldapp.domain.events import Role
    from fieldapp.domain.review import ReviewStatus
    from fieldapp.server import models as m
    from fieldapp.server.accounts import Caller
    from fieldapp.server.config import ServerConfig
    from fieldapp.server.db import next_seq
    from fieldapp.server.review import ReviewFilters, review_page

    year = date.today().year
    with pg_schema() as url:
        if url is None:
            return []
        log(f"server: loading {units} units and {evaluations} evaluations into PostgreSQL")
        start = time.perf_counter()
        loaded = load(url, units, evaluations, year)
        log(f"server: loaded in {time.perf_counter() - start:.1f} s")
        loaded["db"].dispose()
        import tempfile

        results: list[Result] = []
        with tempfile.TemporaryDirectory(prefix="fieldapp-bench-server-") as tmp:
            server = _Server(ServerConfig(data_dir=Path(tmp), database_url=url))
            bare = _bare(url)
            http = httpx.Client(base_url=server.url, timeout=600)
            try:
                station = loaded["stations"][0]

                def progress(token: str) -> None:
                    answer = http.get(
                        "/api/v1/progress",
                        params={"year": year},
                        headers={"Authorization": f"Bearer {token}"},
                    )
                    answer.raise_for_status()

                def bare_progress(where: str, *params: object) -> None:
                    bare.execute(BARE_PROGRESS.format(where=where), params).fetchall()

                def touch() -> None:  # a unit changes: it is counted again, the rest summed
                    with server.app.state.db.session() as session:
                        unit = session.scalars(select_first_unit(m)).one()
                        unit.seq = next_seq(session)

                began = time.perf_counter()
                progress(loaded["county"])  # the first ever: every unit's share counted and kept
                first = time.perf_counter() - began
                cold = []
                for _ in range(max(3, repeat // 2)):
                    touch()
                    began = time.perf_counter()
                    progress(loaded["county"])
                    cold.append(time.perf_counter() - began)
                county_bare = _median(lambda: bare_progress(""), repeat)
                results.append(
                    Result(
                        "server_progress_first",
                        first,
                        county_bare,
                        "s",
                        units,
                        "GET /progress the first time (every unit's share counted) vs bare GROUP BY",
                    )
                )
                results.append(
                    Result(
                        "server_progress_cold",
                        statistics.median(cold),
                        county_bare,
                        "s",
                        units,
                        "GET /progress after a unit changed (it alone counted again) vs bare GROUP BY",
                    )
                )
                results.append(
                    Result(
                        "server_progress_county",
                        _median(lambda: progress(loaded["county"]), repeat),
                        county_bare,
                        "s",
                        units,
                        "GET /progress, county, figures cached vs bare GROUP BY over units",
                    )
                )
                results.append(
                    Result(
                        "server_progress_station",
                        _median(lambda: progress(loaded["station"]), repeat),
                        _median(lambda: bare_progress("WHERE station = %s", station), repeat),
                        "s",
                        units,
                        "GET /progress, a station's account vs bare GROUP BY of its units",
                    )
                )
                results += _overview(server, loaded, touch, county_bare, units, repeat)
                county = Caller(0, "县局", "县局", Role.COUNTY)
                since = date(year, 3, 1)
                filters = ReviewFilters(status=ReviewStatus.PENDING, since=since)
                where = "e.review_status = %s AND e.finalized_at >= %s"
                params = ("pending", datetime.combine(since, datetime.min.time()).astimezone())
                page = max(1, min(20, evaluations // 200))  # page 20 at full size

                def ours() -> None:
                    with server.app.state.db.session() as session:
                        rows, total = review_page(session, county, filters, page, 50)
                        assert total and len(rows) == 50, (total, len(rows))

                def theirs() -> None:
                    bare.execute(BARE_COUNT.format(where=where), params).fetchone()
                    bare.execute(
                        BARE_PAGE.format(where=where), (*params, 50, 50 * (page - 1))
                    ).fetchall()

                results.append(
                    Result(
                        "server_review_page",
                        _median(ours, repeat),
                        _median(theirs, repeat),
                        "s",
                        evaluations,
                        f"review_page: pending since 1 March, page {page} of 50, with total, vs bare SQL",
                    )
                )
            finally:
                http.close()
                bare.close()
                server.stop()
    return results


def _overview(
    server: Any,
    loaded: dict[str, Any],
    touch: Callable[[], None],
    bare: float,
    units: int,
    repeat: int,
) -> list[Result]:
    """The 总览 page as the county office opens it (signed in through the form): with its
    figures and hold-back counts kept, and right after a unit changed (its share counted again;
    the counts shown as last kept while a background fold brings them up to date)."""
    import re

    import httpx

    from fieldapp.server import accounts, holdback_counts
    from fieldapp.server.models import utc_now
    from fieldapp.server.web import signin

    with server.app.state.db.session() as session:
        accounts.add_user(session, "县局总览测量", "县局", "county")
        account = signin.active_account(session, "县局总览测量")
        signin.set_password(session, account, "bench-password-1", utc_now())
    with httpx.Client(base_url=server.url, timeout=600) as browser:
        page = browser.get("/")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf is not None
        answer = browser.post(
            "/login", data={"name": "县局总览测量", "password": "bench-password-1", "csrf": csrf[1]}
        )
        assert answer.status_code == 303, answer.text

        def overview() -> None:
            got = browser.get("/overview")
            got.raise_for_status()

        overview()  # the day's first: hold-back counts folded while the reader waits
        holdback_counts.wait_for_refresh()
        kept = _median(overview, repeat)
        changed = []
        for _ in range(max(3, repeat // 2)):
            touch()
            began = time.perf_counter()
            overview()
            changed.append(time.perf_counter() - began)
            holdback_counts.wait_for_refresh()
    return [
        Result(
            "server_overview",
            kept,
            bare,
            "s",
            units,
            "总览 page (figures and hold-back counts kept) vs bare GROUP BY over units",
        ),
        Result(
            "server_overview_changed",
            statistics.median(changed),
            bare,
            "s",
            units,
            "总览 page right after a unit changed (counted again, hold-backs refreshed behind) vs bare GROUP BY",
        ),
    ]


def select_first_unit(m: Any) -> Any:
    from sqlalchemy import select

    return select(m.Unit).order_by(m.Unit.uuid).limit(1)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_server")
    parser.add_argument("--units", type=int, default=FULL_UNITS)
    parser.add_argument("--evaluations", type=int, default=FULL_EVALUATIONS)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    results = run(args.units, args.evaluations, args.repeat)
    if args.json:
        print(json.dumps([r.as_dict() for r in results], ensure_ascii=False, indent=2))
    else:
        from benchmarks.__main__ import table

        print(table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
