"""标识张贴 with its photo: the SHA-256 of the photo of the posted sticker.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23

The photo itself lives in the photo store like any evidence photo. Added in place with a NULL
default: a sticker recorded before this has no photo, which the dashboard reports.
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE unit_events ADD COLUMN photo_sha256 VARCHAR(64)")


def downgrade() -> None:
    op.execute("ALTER TABLE unit_events DROP COLUMN photo_sha256")
