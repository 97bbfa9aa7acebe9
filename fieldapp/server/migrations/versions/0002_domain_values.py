"""Task-table figures by what they count; units and targets hold only values the domain knows.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01

``targets`` keeps each figure as its wire form (``data_json``) under ``key``, the SHA-256 of what
it counts (year, station, kind, unit type, industry, the 其中 parent), as the units table does:
a figure may now be the county's own (``station`` empty), count a kind other than a unit type,
have no number yet, or be a subset of another. Existing rows become figures of kind
``unit_type``.

Before this version the server stored whatever unit type or state a client sent. A value the
domain does not know is read by its Chinese label when it is one; otherwise a unit type becomes
``general`` and a state is cleared, and each such change is held as a conflict for the county to
check (``fieldapp-server conflicts``). Nothing is dropped; changed units come down again at the
next pull.
"""

import hashlib
import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_TYPES = {
    "general": ("一般放心消费单位", "一般单位", "一般", "放心消费单位"),
    "no_reason_return": (
        "线下无理由退货承诺单位",
        "无理由退货单位",
        "无理由退货",
        "无理由退货承诺单位",
    ),
    "factory": ("放心工厂", "工厂"),
    "district": ("放心消费街区(商圈)", "放心消费街区", "街区", "商圈"),
    "village": ("放心消费乡村", "乡村"),
    "village_station": ("村级消费维权联络站(点)", "村级消费维权联络站", "村级联络站", "联络站"),
}
_STATES = {
    "candidate": ("选育池",),
    "cultivating": ("培育库",),
    "committed": ("承诺公示",),
    "evaluating": ("后评价",),
    "confirmed": ("放心消费单位", "年度放心消费单位"),
    "starred": ("星级库",),
    "warning": ("预警库",),
    "removed": ("移出",),
    "shut": ("关停",),
    "transferred": ("转让",),
    "closed": ("注销",),
}
_UPGRADE = "upgrade-0002"


def _lookup(table: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {alias: code for code, aliases in table.items() for alias in (code, *aliases)}


def _known(value: object, table: dict[str, tuple[str, ...]]) -> str | None:
    text = str(value or "").replace("（", "(").replace("）", ")").strip()
    return _lookup(table).get(text)


def _canonical(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _key(data: dict[str, object]) -> str:
    """fieldapp.sync.wire.WireTarget.key, as of this revision."""
    what = [data[n] for n in ("year", "station", "kind", "unit_type", "industry", "parent")]
    return hashlib.sha256(_canonical(what).encode("utf-8")).hexdigest()


def _next_seq(connection: sa.Connection) -> int:
    connection.execute(sa.text("UPDATE counters SET value = value + 1 WHERE name = 'seq'"))
    found = connection.execute(sa.text("SELECT value FROM counters WHERE name = 'seq'"))
    return int(found.scalar_one())


def _hold(
    connection: sa.Connection, kind: str, subject: str, station: str, message: str, detail: str
) -> None:
    connection.execute(
        sa.text(
            "INSERT INTO conflicts (kind, subject, station, message, detail_json, batch_id, "
            "created_at, resolved) VALUES (:kind, :subject, :station, :message, :detail, "
            ":batch, :at, :resolved)"
        ),
        {
            "kind": kind,
            "subject": subject[:36],
            "station": station,
            "message": message,
            "detail": detail,
            "batch": _UPGRADE,
            "at": datetime.now(UTC),
            "resolved": False,
        },
    )


def upgrade() -> None:
    with op.batch_alter_table("targets") as batch:
        batch.add_column(sa.Column("key", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("data_json", sa.Text(), nullable=True))
        batch.alter_column("station", existing_type=sa.String(length=64), nullable=True)
    connection = op.get_bind()
    _targets(connection)
    with op.batch_alter_table("targets") as batch:
        batch.drop_constraint("uq_targets_year", type_="unique")
        batch.drop_column("unit_type")
        batch.drop_column("count")
        batch.alter_column("key", existing_type=sa.String(length=64), nullable=False)
        batch.alter_column("data_json", existing_type=sa.Text(), nullable=False)
        batch.create_unique_constraint(batch.f("uq_targets_key"), ["key"])
    _units(connection)


def _targets(connection: sa.Connection) -> None:
    rows = connection.execute(
        sa.text("SELECT id, year, station, unit_type, count FROM targets ORDER BY id")
    ).all()
    seen: set[str] = set()
    for target_id, year, station, stored, count in rows:
        code = stored if stored in _TYPES else _known(stored, _TYPES) or "general"
        data = {
            "year": year,
            "station": station,
            "kind": "unit_type",
            "unit_type": code,
            "industry": "",
            "sector": "",
            "responsible_dept": "",
            "count": count,
            "note": "",
            "parent": None,
            "plan": None,
        }
        key = _key(data)
        if code != stored or key in seen:
            _hold(
                connection,
                "target_upgrade",
                str(target_id),
                station,
                f"{year} 年 {station} 任务表中的单位类型「{stored}」无法识别"
                + ("，与同类型的一行重复，已删去" if key in seen else f"，已改为 {code}")
                + "，请核对后重新发布任务表",
                _canonical({**data, "unit_type": stored}),
            )
        if key in seen:
            connection.execute(sa.text("DELETE FROM targets WHERE id = :id"), {"id": target_id})
            continue
        seen.add(key)
        connection.execute(
            sa.text("UPDATE targets SET key = :key, data_json = :data WHERE id = :id"),
            {"key": key, "data": _canonical(data), "id": target_id},
        )


def _units(connection: sa.Connection) -> None:
    rows = connection.execute(sa.text("SELECT uuid, station, data_json FROM units")).all()
    seq: int | None = None
    for unit_uuid, station, text in rows:
        data = json.loads(text)
        notes = []
        stored_type = data.get("unit_type")
        if stored_type not in _TYPES:
            data["unit_type"] = _known(stored_type, _TYPES) or "general"
            notes.append(f"单位类型「{stored_type}」已改为 {data['unit_type']}")
        stored_state = data.get("state")
        if stored_state is not None and stored_state not in _STATES:
            data["state"] = _known(stored_state, _STATES)
            notes.append(f"状态「{stored_state}」已改为 {data['state'] or '（无状态）'}")
        if not notes:
            continue
        seq = seq if seq is not None else _next_seq(connection)
        connection.execute(
            sa.text("UPDATE units SET data_json = :data, seq = :seq WHERE uuid = :uuid"),
            {"data": _canonical(data), "seq": seq, "uuid": unit_uuid},
        )
        _hold(
            connection,
            "unit_upgrade",
            unit_uuid,
            station,
            f"单位「{data.get('name', '')}」（{data.get('credit_code', '')}）：服务器升级时"
            + "；".join(notes)
            + "，请核对",
            text,
        )


def downgrade() -> None:
    connection = op.get_bind()
    with op.batch_alter_table("targets") as batch:
        batch.add_column(sa.Column("unit_type", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("count", sa.Integer(), nullable=True))
    kept: set[tuple[object, ...]] = set()
    for target_id, text in connection.execute(sa.text("SELECT id, data_json FROM targets")).all():
        data = json.loads(text)
        cell = (data["year"], data["station"], data["unit_type"])
        plain = data["kind"] == "unit_type" and data["parent"] is None
        if not plain or None in cell or data["count"] is None or cell in kept:
            connection.execute(sa.text("DELETE FROM targets WHERE id = :id"), {"id": target_id})
            continue
        kept.add(cell)
        connection.execute(
            sa.text("UPDATE targets SET unit_type = :type, count = :count WHERE id = :id"),
            {"type": data["unit_type"], "count": data["count"], "id": target_id},
        )
    with op.batch_alter_table("targets") as batch:
        batch.drop_constraint("uq_targets_key", type_="unique")
        batch.drop_column("key")
        batch.drop_column("data_json")
        batch.alter_column("station", existing_type=sa.String(length=64), nullable=False)
        batch.alter_column("unit_type", existing_type=sa.String(length=32), nullable=False)
        batch.alter_column("count", existing_type=sa.Integer(), nullable=False)
        batch.create_unique_constraint("uq_targets_year", ["year", "station", "unit_type"])
    # The units' wire form loses what older servers do not read.
    for unit_uuid, text in connection.execute(sa.text("SELECT uuid, data_json FROM units")).all():
        data = json.loads(text)
        for name in ("prudent", "entered_on", "sticker_posted_on", "events"):
            data.pop(name, None)
        connection.execute(
            sa.text("UPDATE units SET data_json = :data WHERE uuid = :uuid"),
            {"data": _canonical(data), "uuid": unit_uuid},
        )
