"""The 村级联络站's case ledger (台账).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07

``cases`` holds each case a 村级消费维权联络站 records: 投诉问题类型, 咨询人, 咨询时间, 问题描述,
处理时间, 处理结果, 挽回经济损失 (whole 分, an integer), who recorded it and when, its change count
(``version``) and the one the county server confirmed (``synced_version``). The 联络站 is named
by its unit's uuid, so a case pulled before its unit is kept. A new table only; nothing existing
changes, and a downgrade drops it.
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("unit_uuid", sa.String(length=36), nullable=False),
        sa.Column("case_type", sa.String(length=32), nullable=False),
        sa.Column("consultant", sa.String(length=64), nullable=False),
        sa.Column("consulted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("recovered_fen", sa.Integer(), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("synced_version", sa.Integer(), nullable=True),
        sa.Column("sync_conflict", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
        sa.UniqueConstraint("uuid", name=op.f("uq_cases_uuid")),
    )
    op.create_index("ix_cases_unit_consulted", "cases", ["unit_uuid", "consulted_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_cases_unit_consulted", table_name="cases")
    op.drop_table("cases")
