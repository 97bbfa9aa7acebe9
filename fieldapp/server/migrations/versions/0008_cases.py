"""The 村级联络站's case ledger (台账) as the laptops send it.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07

``cases`` holds each case at its newest version: the WireCase as canonical JSON with its hash,
the 联络站 and its station, 咨询时间, 处理时间 and 挽回经济损失 (whole 分) for the bulletin, who
sent it, and the change number a pull reads. A new table only.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("unit_uuid", sa.String(length=36), nullable=False),
        sa.Column("station", sa.String(length=64), nullable=False),
        sa.Column("consulted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recovered_fen", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("content_json", sa.Text(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.String(length=36), nullable=False),
        sa.Column("batch_id", sa.String(length=36), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_cases_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("uuid", name=op.f("pk_cases")),
    )
    op.create_index("ix_cases_unit_uuid", "cases", ["unit_uuid"], unique=False)
    op.create_index("ix_cases_station", "cases", ["station"], unique=False)
    op.create_index("ix_cases_consulted_at", "cases", ["consulted_at"], unique=False)
    op.create_index("ix_cases_seq", "cases", ["seq"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_cases_seq", table_name="cases")
    op.drop_index("ix_cases_consulted_at", table_name="cases")
    op.drop_index("ix_cases_station", table_name="cases")
    op.drop_index("ix_cases_unit_uuid", table_name="cases")
    op.drop_table("cases")
