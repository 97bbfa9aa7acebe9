"""Task tables as counties write them: target kinds, county rows, subsets, 待分解, plans, ratios.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01

``targets`` gains what counties' tables hold beyond station × unit type (DOMAIN.md C):
- ``kind`` (a unit type, all 放心消费单位, a category such as 放心农贸市场, or an industry
  demonstration type named in ``industry`` with its 行业领域 ``sector`` and ``responsible_dept``);
- ``station_id`` may be empty: a county-level figure (seed 002's 19 村级联络站);
- ``unit_type`` may be empty (a kind that is not one unit type);
- ``count`` may be empty, with ``note`` saying why (seed 000's 景区 "按省下达的任务指标另行分解");
- ``parent_id``: a 其中 subset (seed 000's 无理由 5700 of 17000), never added to a total;
- ``plan_id``: a target of a multi-year plan (``task_plans``, seed 001's 2017–2020 with one third
  due in 2017).
The unique (year, station, unit_type) goes: two 其中 rows of different parents may share it, and
county rows have no station. The importer keeps one row per figure. ``ratio_targets`` holds
shares to reach with their thresholds and the denominators a county enters.

Every existing target row is kept as it is, with kind ``unit_type``. A downgrade keeps the rows
the old schema can hold (station × unit type with a count, not a subset) and drops the rest.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "task_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("start_year", sa.Integer(), nullable=False),
        sa.Column("end_year", sa.Integer(), nullable=False),
        sa.Column("first_share_num", sa.Integer(), nullable=True),
        sa.Column("first_share_den", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_plans")),
        sa.UniqueConstraint("start_year", "end_year", name=op.f("uq_task_plans_start_year")),
    )
    with op.batch_alter_table("targets") as batch:
        batch.drop_constraint("uq_targets_year", type_="unique")
        batch.alter_column("station_id", existing_type=sa.Integer(), nullable=True)
        batch.alter_column("unit_type", existing_type=sa.String(length=32), nullable=True)
        batch.alter_column("count", existing_type=sa.Integer(), nullable=True)
        batch.add_column(
            sa.Column("kind", sa.String(length=32), nullable=False, server_default="unit_type")
        )
        for name, length in (("industry", 100), ("sector", 100), ("responsible_dept", 200)):
            batch.add_column(
                sa.Column(name, sa.String(length=length), nullable=False, server_default="")
            )
        batch.add_column(sa.Column("parent_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("plan_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("note", sa.Text(), nullable=False, server_default=""))
        batch.create_foreign_key(
            "fk_targets_parent_id_targets", "targets", ["parent_id"], ["id"], ondelete="CASCADE"
        )
        batch.create_foreign_key("fk_targets_plan_id_task_plans", "task_plans", ["plan_id"], ["id"])
        batch.create_index("ix_targets_year", ["year"])
    with op.batch_alter_table("targets") as batch:
        for name in ("kind", "industry", "sector", "responsible_dept", "note"):
            batch.alter_column(name, server_default=None)
    op.create_table(
        "ratio_targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=True),
        sa.Column("denominator", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["station_id"], ["stations.id"], name=op.f("fk_ratio_targets_station_id_stations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ratio_targets")),
    )
    op.create_index("ix_ratio_targets_year", "ratio_targets", ["year"])


def downgrade() -> None:
    op.drop_index("ix_ratio_targets_year", table_name="ratio_targets")
    op.drop_table("ratio_targets")
    connection = op.get_bind()
    connection.execute(
        sa.text(
            "DELETE FROM targets WHERE kind != 'unit_type' OR station_id IS NULL"
            " OR unit_type IS NULL OR count IS NULL OR parent_id IS NOT NULL"
        )
    )
    with op.batch_alter_table("targets") as batch:
        batch.drop_index("ix_targets_year")
        batch.drop_constraint("fk_targets_plan_id_task_plans", type_="foreignkey")
        batch.drop_constraint("fk_targets_parent_id_targets", type_="foreignkey")
        for name in ("note", "plan_id", "parent_id", "responsible_dept", "sector", "industry"):
            batch.drop_column(name)
        batch.drop_column("kind")
        batch.alter_column("count", existing_type=sa.Integer(), nullable=False)
        batch.alter_column("unit_type", existing_type=sa.String(length=32), nullable=False)
        batch.alter_column("station_id", existing_type=sa.Integer(), nullable=False)
        batch.create_unique_constraint("uq_targets_year", ["year", "station_id", "unit_type"])
    op.drop_table("task_plans")
