"""Hold-back counts per station as last folded, so the 总览 page answers without reading every
record.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07

Starts empty: the first 总览 of a day fills it.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "holdback_counts",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("today", sa.Date(), nullable=False),
        sa.Column("stamp", sa.String(length=200), nullable=False),
        sa.Column("counted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("year", "today", name=op.f("pk_holdback_counts")),
    )


def downgrade() -> None:
    op.drop_table("holdback_counts")
