"""Unit history as dated events for every change, coded exits, 县局确认, task-year deadlines.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01

unit_events gains what a field change needs (field, old and new value), the source of the change
(file and row, sync, window), a coded 移出 reason, the 县局确认 mark, the 后评价 a 命名 rests on,
and a uuid so that the same event travels between laptops and the server exactly once.
Existing events are kept as they are and get a uuid each. Evaluations gain ``needs_confirmation``
(审慎培育). ``plan_years`` holds the deadlines a county sets per year (default 6/30 and 11/30).

A stored unit type the domain does not know (a sync pull before this version could store one)
is read by its Chinese label when it is one; otherwise it becomes 一般放心消费单位 and the change
is written into the unit's history for the county to check. A 移出 recorded before has its
text reason and the code 其他. Nothing is dropped.
"""

import uuid
from datetime import date

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("unit_events") as batch:
        batch.add_column(sa.Column("uuid", sa.String(length=36), nullable=True))
        batch.add_column(sa.Column("field", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("old_value", sa.Text(), nullable=True))
        batch.add_column(sa.Column("new_value", sa.Text(), nullable=True))
        batch.add_column(sa.Column("exit_reason", sa.String(length=16), nullable=True))
        batch.add_column(
            sa.Column("county_confirmed", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(
            sa.Column("source", sa.String(length=300), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("evaluation_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_unit_events_evaluation_id_evaluations",
            "evaluations",
            ["evaluation_id"],
            ["id"],
            ondelete="SET NULL",
        )
    connection = op.get_bind()
    ids = [row[0] for row in connection.execute(sa.text("SELECT id FROM unit_events"))]
    if ids:
        connection.execute(
            sa.text("UPDATE unit_events SET uuid = :uuid WHERE id = :id"),
            [{"id": i, "uuid": str(uuid.uuid4())} for i in ids],
        )
    _known_unit_types(connection)
    # A 移出 recorded before coded reasons existed had to give its reason as text: it is kept
    # as 其他 with that text, which is what the rule asks of 其他 today.
    connection.execute(
        sa.text(
            "UPDATE unit_events SET exit_reason = 'other' "
            "WHERE kind = 'state' AND to_state = 'removed' AND exit_reason IS NULL"
        )
    )
    with op.batch_alter_table("unit_events") as batch:
        batch.alter_column("uuid", existing_type=sa.String(length=36), nullable=False)
        batch.alter_column("county_confirmed", server_default=None)
        batch.alter_column("source", server_default=None)
        batch.create_unique_constraint("uq_unit_events_uuid", ["uuid"])
    # A plain ADD COLUMN: rebuilding ``evaluations`` (batch mode) would drop the parent table of
    # answers, photos and signatures, whose ON DELETE CASCADE would empty them.
    op.execute("ALTER TABLE evaluations ADD COLUMN needs_confirmation BOOLEAN NOT NULL DEFAULT 0")
    op.create_table(
        "plan_years",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("first_due", sa.Date(), nullable=False),
        sa.Column("final_due", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_plan_years")),
    )


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


def _known_unit_types(connection: sa.Connection) -> None:
    lookup = {alias: code for code, aliases in _TYPES.items() for alias in (code, *aliases)}
    rows = connection.execute(sa.text("SELECT id, unit_type FROM units")).all()
    for unit_id, stored in rows:
        if stored in _TYPES:
            continue
        code = lookup.get((stored or "").replace("（", "(").replace("）", ")").strip(), "general")
        connection.execute(
            sa.text("UPDATE units SET unit_type = :code WHERE id = :id"),
            {"code": code, "id": unit_id},
        )
        connection.execute(
            sa.text(
                "INSERT INTO unit_events (uuid, unit_id, kind, occurred_on, actor, reason, "
                "recorded_at, field, old_value, new_value, county_confirmed, source) VALUES "
                "(:uuid, :unit, 'unit_type', :on, '升级', :reason, CURRENT_TIMESTAMP, 'unit_type', "
                ":old, :new, 0, '数据库升级 0007')"
            ),
            {
                "uuid": str(uuid.uuid4()),
                "unit": unit_id,
                "on": date.today(),
                "reason": f"库中单位类型「{stored}」无法识别，已改为 {code}，请核对",
                "old": stored,
                "new": code,
            },
        )


def downgrade() -> None:
    op.drop_table("plan_years")
    op.execute("ALTER TABLE evaluations DROP COLUMN needs_confirmation")
    with op.batch_alter_table("unit_events") as batch:
        batch.drop_constraint("uq_unit_events_uuid", type_="unique")
        batch.drop_constraint("fk_unit_events_evaluation_id_evaluations", type_="foreignkey")
        for name in (
            "evaluation_id",
            "source",
            "county_confirmed",
            "exit_reason",
            "new_value",
            "old_value",
            "field",
            "uuid",
        ):
            batch.drop_column(name)
