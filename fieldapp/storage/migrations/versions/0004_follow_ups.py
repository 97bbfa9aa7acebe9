"""Follow-ups (回头看 / 暗访整改复查): the evaluation whose rectifications a visit re-checks.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23

SQLite adds the column in place (ALTER TABLE … ADD COLUMN with a NULL default), so the
evaluations table is not rebuilt and no answer, photo or signature is touched.
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "ALTER TABLE evaluations ADD COLUMN follows_id INTEGER"
        " CONSTRAINT fk_evaluations_follows_id_evaluations REFERENCES evaluations (id)"
    )
    op.create_index("ix_evaluations_follows_id", "evaluations", ["follows_id"])


def downgrade() -> None:
    op.drop_index("ix_evaluations_follows_id", table_name="evaluations")
    op.execute("ALTER TABLE evaluations DROP COLUMN follows_id")
