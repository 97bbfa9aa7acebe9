"""What the figures and the review queue read, as columns: a province's server counts fast.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06

``units.facts_json`` holds what the progress fold reads of a unit (station, type, 入库日期, the
fields 系统录入 checks, category, town, the dated events it folds), built here from every
unit's ``data_json`` and kept beside it on every write since. ``evaluations`` gains the content's
``kind`` and ``verdict`` as columns, and indexes for the review queue's filters and order.
``figure_cache`` keeps each year's county-wide figures as last counted, with the state of the
data they were counted from, for every worker.
"""

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

CHUNK = 5000
HISTORY = ("state", "station", "unit_type", "sticker")
RECORD = ("name", "address", "industry", "contact_person", "contact_phone")
EVALUATION_INDEXES = (
    "inspector",
    "kind",
    "verdict",
    "finalized_at",
    "received_at",
    "review_status",
)


def _facts(data: dict[str, Any]) -> str:
    """fieldapp.server.figures.unit_facts, as of this revision."""
    history = [
        [n, e["kind"], e["occurred_on"], e.get("to_state"), e.get("old_value"), e.get("new_value")]
        for n, e in enumerate(data.get("events") or ())
        if e["kind"] in HISTORY
    ]
    row = [data["station"], data["unit_type"], data.get("entered_on")]
    row += [data.get(name) for name in RECORD]
    row += [data.get("category") or "", data.get("town") or "", history]
    return json.dumps(row, ensure_ascii=False, separators=(",", ":"))


def _fill(select: str, update: str, make: Any) -> None:
    connection = op.get_bind()
    last = ""
    while True:
        rows = connection.execute(sa.text(select), {"last": last, "limit": CHUNK}).all()
        if not rows:
            return
        connection.execute(sa.text(update), [make(key, text) for key, text in rows])
        last = rows[-1][0]


def upgrade() -> None:
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.add_column(sa.Column("facts_json", sa.Text(), nullable=True))
    _fill(
        "SELECT uuid, data_json FROM units WHERE uuid > :last ORDER BY uuid LIMIT :limit",
        "UPDATE units SET facts_json = :facts WHERE uuid = :key",
        lambda key, text: {"key": key, "facts": _facts(json.loads(text))},
    )
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.alter_column("facts_json", existing_type=sa.Text(), nullable=False)

    with op.batch_alter_table("evaluations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("verdict", sa.String(length=64), nullable=True))

    def kind_and_verdict(key: str, text: str) -> dict[str, str]:
        content = json.loads(text)
        return {"key": key, "kind": content["kind"], "verdict": content["verdict"]}

    _fill(
        "SELECT uuid, content_json FROM evaluations WHERE uuid > :last ORDER BY uuid LIMIT :limit",
        "UPDATE evaluations SET kind = :kind, verdict = :verdict WHERE uuid = :key",
        kind_and_verdict,
    )
    with op.batch_alter_table("evaluations", schema=None) as batch_op:
        batch_op.alter_column("kind", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("verdict", existing_type=sa.String(length=64), nullable=False)
        for column in EVALUATION_INDEXES:
            batch_op.create_index(batch_op.f(f"ix_evaluations_{column}"), [column], unique=False)

    op.create_table(
        "figure_cache",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("today", sa.Date(), nullable=False),
        sa.Column("stamp", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("year", "today", name=op.f("pk_figure_cache")),
    )


def downgrade() -> None:
    op.drop_table("figure_cache")
    with op.batch_alter_table("evaluations", schema=None) as batch_op:
        for column in EVALUATION_INDEXES:
            batch_op.drop_index(batch_op.f(f"ix_evaluations_{column}"))
        batch_op.drop_column("verdict")
        batch_op.drop_column("kind")
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.drop_column("facts_json")
