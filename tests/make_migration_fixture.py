"""Write tests/data/migrations/<rev>.sqlite: a database made by schema head <rev> with records.

Run this once whenever a new migration is added, *before* adding it, so the previous head's
database is kept as a fixture: ``python -m tests.make_migration_fixture``. The test then opens
every fixture, upgrades it to the newest head and checks that every record is still there.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

from fieldapp.storage import db

OUT = Path(__file__).resolve().parent / "data" / "migrations"

STATIONS = [
    (1, "五云所", "缙云县", "2026-11-23 10:00:00+08:00"),
    (2, "壶镇分局", "缙云县", "2026-11-23 10:00:00+08:00"),
]
UNITS = [
    # id, uuid, credit_code, name, address, station_id, unit_type, industry, state, state_since, entered_on
    (1, "0b9d9a3e-2a44-4d8e-9b0e-000000000001", "92331122MA2A00018H", "缙云县五云好又多超市",
     "浙江省丽水市缙云县五云街道解放街12号", 1, "general", "retail", "confirmed", "2026-09-02", "2026-02-01"),
    (2, "0b9d9a3e-2a44-4d8e-9b0e-000000000002", "91331122MA2A00026F", "缙云县壶镇老街饭店",
     "浙江省丽水市缙云县壶镇镇老街8号", 2, "no_reason_return", "catering", "committed", "2026-04-01", "2026-03-01"),
    (3, "0b9d9a3e-2a44-4d8e-9b0e-000000000003", "N2331122MA2593678T", "缙云县壶镇镇岩背村股份经济合作社",
     "浙江省丽水市缙云县壶镇镇", 2, "village", None, "candidate", "2026-01-05", None),
]  # fmt: skip
EVENTS = [
    (1, 1, "state", None, "cultivating", "2026-02-01", "张三", "导入 units.csv"),
    (2, 1, "state", "cultivating", "confirmed", "2026-09-02", "李四", ""),
    (3, 1, "sticker", "confirmed", "confirmed", "2026-09-10", "李四", "门口玻璃"),
    (4, 2, "state", None, "committed", "2026-04-01", "张三", "导入 units.csv"),
]

# A finalized 后评价 of unit 1 (written by schema 0003 and later).
EVALUATION = (1, "6f1c2a7e-5b1d-4c1e-8a0f-000000000001", 1, "post_evaluation", "finalized", "张三",
              "2026-11-20 09:30:00+08:00", "2026-11-20 10:45:00+08:00", "fail",
              "不通过：G2 不在经营异常名录", None, "c" * 64)  # fmt: skip
PINS = [(1, "bayou-bawu", 1, 0), (1, "general-1", 1, 1), (1, "x-retail", 1, 2)]
ANSWERS = [
    # id, evaluation_id, checklist_id, item_code, result, note, rectify, due
    (1, 1, "bayou-bawu", "B1a", "pass", "证照齐全", None, None),
    (2, 1, "bayou-bawu", "B3a", "na", "", None, None),
    (3, 1, "general-1", "G2", "fail", "列入异常名录", "申请移出经营异常名录", "2026-12-20"),
]
PHOTOS = [(1, 1, "bayou-bawu", "B1a", "a" * 64, 800, 600, "门头.jpg")]
SIGNATURES = [
    (1, 1, "inspector", "张三", "2026-11-20 10:40:00+08:00", "b" * 64),
    (2, 1, "unit", "王芳", "2026-11-20 10:41:00+08:00", "d" * 64),
]

TARGETS = [
    (1, 2026, 1, "general", 258),
    (2, 2026, 1, "no_reason_return", 109),
    (3, 2026, 2, "village", 1),
]


def build(revision: str) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{revision}.sqlite"
    path.unlink(missing_ok=True)
    engine = db.make_engine(path)
    db.upgrade(engine, revision)
    engine.dispose()
    now = "2026-11-23 10:00:00+08:00"
    with sqlite3.connect(path) as con:
        con.executemany(
            "INSERT INTO stations (id, name, county, created_at) VALUES (?, ?, ?, ?)", STATIONS
        )
        for u in UNITS:
            con.execute(
                "INSERT INTO units (id, uuid, credit_code, name, shop_name, address, town, station_id,"
                " unit_type, industry, category, contact_person, contact_phone, online_shop_name,"
                " online_platform, online_url, return_days, return_goods, return_terms,"
                " cross_store_return, compensation_fund, prudent, state, state_since, entered_on,"
                " sticker_posted_on, version, created_at, updated_at) VALUES"
                " (?, ?, ?, ?, '', ?, '', ?, ?, ?, '', '王芳', '13857800001', '', '', '', 7, '', '',"
                " 0, 1, 0, ?, ?, ?, NULL, 1, ?, ?)",
                (*u, now, now),
            )
        if revision >= "0002":
            con.executemany(
                "INSERT INTO targets (id, year, station_id, unit_type, count, source, updated_at)"
                " VALUES (?, ?, ?, ?, ?, '缙市监〔2023〕42号', ?)",
                [(t[0], t[1], t[2], t[3], t[4], now) for t in TARGETS],
            )
        con.executemany(
            "INSERT INTO unit_events (id, unit_id, kind, from_state, to_state, occurred_on, actor,"
            " reason, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, '" + now + "')",
            EVENTS,
        )
        if revision >= "0003":
            con.execute(
                "INSERT INTO evaluations (id, uuid, unit_id, kind, status, inspector, started_at,"
                " finalized_at, verdict, verdict_text, replaces_id, content_sha256)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                EVALUATION,
            )
            con.executemany(
                "INSERT INTO evaluation_checklists (evaluation_id, checklist_id, version, position)"
                " VALUES (?, ?, ?, ?)",
                PINS,
            )
            con.executemany(
                "INSERT INTO answers (id, evaluation_id, checklist_id, item_code, result, note,"
                " rectify, due, answered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, '" + now + "')",
                ANSWERS,
            )
            con.executemany(
                "INSERT INTO photos (id, evaluation_id, checklist_id, item_code, sha256, width,"
                " height, taken_at, gps_lat, gps_lon, original_name, added_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, ?, '" + now + "')",
                PHOTOS,
            )
            con.executemany(
                "INSERT INTO signatures (id, evaluation_id, role, name, signed_at, image_sha256)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                SIGNATURES,
            )
    con.close()
    expected = {
        "revision": revision,
        "stations": [list(s[:2]) for s in STATIONS],
        "units": [[u[2], u[3], u[8]] for u in UNITS],
        "events": [[e[1], e[2], e[4], e[5], e[6], e[7]] for e in EVENTS],
        "targets": [list(t[1:]) for t in TARGETS] if revision >= "0002" else [],
    }
    if revision >= "0003":
        e = EVALUATION
        expected["evaluations"] = [
            {
                "uuid": e[1],
                "unit_id": e[2],
                "kind": e[3],
                "status": e[4],
                "inspector": e[5],
                "verdict": e[8],
                "verdict_text": e[9],
                "content_sha256": e[11],
                "checklists": [[p[1], p[2]] for p in PINS],
                "answers": [list(a[2:]) for a in ANSWERS],
                "photos": [[p[2], p[3], p[4], p[5], p[6], p[7]] for p in PHOTOS],
                "signatures": [[s[2], s[3], s[5]] for s in SIGNATURES],
            }
        ]
    (OUT / f"{revision}.json").write_text(
        json.dumps(expected, ensure_ascii=False, indent=2) + "\n", "utf-8"
    )
    return path


if __name__ == "__main__":
    print(build(sys.argv[1] if len(sys.argv) > 1 else "0001"))
