"""Uploads no committed batch references yet, per account, so the server can bound them.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07

A file uploaded before this revision and never referenced has no row: the sweep still removes it
after a day, as before.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pending_uploads",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_pending_uploads_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("sha256", "account_id", name=op.f("pk_pending_uploads")),
    )


def downgrade() -> None:
    op.drop_table("pending_uploads")
