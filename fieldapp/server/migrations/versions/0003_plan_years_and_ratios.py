"""Each task year's deadlines and the ratio targets, as the county's desktop holds them.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-10

``plan_years`` keeps the two deadlines the county set for a year (``fieldapp targets
deadlines``); a year without a row keeps 6/30 and 11/30. ``ratio_targets`` keeps each ratio
target as its wire form (``data_json``) under ``key``, the SHA-256 of year, station and kind,
as ``targets`` does. Both are published from the county's store and come down at a pull, so the
server's figures and a station's laptop use the county's own.

A task-table row's key now names its 责任单位 when it has one: three carriers' 电信营业厅 rows
were one row under the old key (the last published kept). Existing rows get their new keys (a
其中 row follows its parent's); the county publishes again to bring back the rows lost.
"""

import hashlib
import json

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "plan_years",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("first_due", sa.Date(), nullable=False),
        sa.Column("final_due", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_plan_years")),
    )
    with op.batch_alter_table("plan_years", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_years_seq"), ["seq"], unique=False)
    op.create_table(
        "ratio_targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("station", sa.String(length=64), nullable=True),
        sa.Column("data_json", sa.Text(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ratio_targets")),
        sa.UniqueConstraint("key", name=op.f("uq_ratio_targets_key")),
    )
    with op.batch_alter_table("ratio_targets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ratio_targets_seq"), ["seq"], unique=False)
        batch_op.create_index(batch_op.f("ix_ratio_targets_station"), ["station"], unique=False)
    _rekey(with_department=True)


def _canonical(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _key(data: dict[str, object], with_department: bool) -> str:
    """fieldapp.sync.wire.WireTarget.key, as of this revision (or the one before)."""
    what = [data[n] for n in ("year", "station", "kind", "unit_type", "industry", "parent")]
    if with_department and data.get("responsible_dept"):
        what.append(data["responsible_dept"])
    return hashlib.sha256(_canonical(what).encode("utf-8")).hexdigest()


def _rekey(with_department: bool) -> None:
    """Every target's key as of the revision, parents first (rows are in published order);
    going down, a row whose older key is already taken is dropped."""
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, key, data_json FROM targets ORDER BY id")).all()
    renamed: dict[str, str] = {}
    seen: set[str] = set()
    for target_id, old_key, text in rows:
        data = json.loads(text)
        parent = data.get("parent")
        if parent is not None:
            data["parent"] = renamed.get(parent, parent)
        key = _key(data, with_department)
        if key in seen:
            connection.execute(sa.text("DELETE FROM targets WHERE id = :id"), {"id": target_id})
            continue
        seen.add(key)
        renamed[old_key] = key
        if key != old_key or data.get("parent") != parent:
            connection.execute(
                sa.text("UPDATE targets SET key = :key, data_json = :data WHERE id = :id"),
                {"key": "rekey-" + str(target_id), "data": _canonical(data), "id": target_id},
            )
    for target_id, old_key, _ in rows:
        if old_key in renamed:
            connection.execute(
                sa.text("UPDATE targets SET key = :key WHERE id = :id AND key = :tmp"),
                {"key": renamed[old_key], "id": target_id, "tmp": "rekey-" + str(target_id)},
            )


def downgrade() -> None:
    _rekey(with_department=False)
    with op.batch_alter_table("ratio_targets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ratio_targets_station"))
        batch_op.drop_index(batch_op.f("ix_ratio_targets_seq"))
    op.drop_table("ratio_targets")
    with op.batch_alter_table("plan_years", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_years_seq"))
    op.drop_table("plan_years")
