"""Each unit's share of a year's figures, kept so a request after a change counts only the
units that changed.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06

``unit_shares`` holds, per year and unit, what the unit adds to the figures (the cells' counts
and the plan targets and ratios it counts toward), the change number of the unit it was counted
from and the reference dates it holds for; ``share_totals`` how many units give each share;
``share_years`` what a year's shares were counted under and up to which change. All start empty:
the first request of a year fills them.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "unit_shares",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("until", sa.Date(), nullable=True),
        sa.Column("share", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("year", "uuid", name=op.f("pk_unit_shares")),
    )
    with op.batch_alter_table("unit_shares", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_unit_shares_since"), ["since"], unique=False)
        batch_op.create_index(batch_op.f("ix_unit_shares_until"), ["until"], unique=False)
    op.create_table(
        "share_totals",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("share", sa.Text(), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year", "key", name=op.f("pk_share_totals")),
    )
    op.create_table(
        "share_years",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("context", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_share_years")),
    )


def downgrade() -> None:
    op.drop_table("share_years")
    op.drop_table("share_totals")
    with op.batch_alter_table("unit_shares", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_unit_shares_until"))
        batch_op.drop_index(batch_op.f("ix_unit_shares_since"))
    op.drop_table("unit_shares")
