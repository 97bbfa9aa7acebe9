"""Evaluations other laptops synced, as a pull summarises them (a station head's whole station).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06

``pulled_evaluations`` holds each evaluation of the station (the county: of every station) that
another laptop synced to the county server, as the pull summarises it: unit, kind, inspector,
visit and finalisation times, verdict, what it replaces or follows up; ``pulled_answers`` its
answers (item, result, 整改 and deadline; no notes, photos or signatures). New tables only;
nothing existing changes. The first pull after the upgrade brings the station's summaries from
the beginning (``sync/client.py``), so the tables fill without a migration of their own data.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pulled_evaluations",
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("unit_uuid", sa.String(length=36), nullable=False),
        sa.Column("station", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("inspector", sa.String(length=64), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finalized_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("replaces_uuid", sa.String(length=36), nullable=True),
        sa.Column("follows_uuid", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("uuid", name=op.f("pk_pulled_evaluations")),
    )
    op.create_index(
        "ix_pulled_evaluations_unit_uuid", "pulled_evaluations", ["unit_uuid"], unique=False
    )
    op.create_index(
        "ix_pulled_evaluations_started_at", "pulled_evaluations", ["started_at"], unique=False
    )
    op.create_index(
        "ix_pulled_evaluations_replaces_uuid", "pulled_evaluations", ["replaces_uuid"], unique=False
    )
    op.create_table(
        "pulled_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("evaluation_uuid", sa.String(length=36), nullable=False),
        sa.Column("checklist_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("item_code", sa.String(length=20), nullable=False),
        sa.Column("result", sa.String(length=8), nullable=False),
        sa.Column("rectify", sa.Text(), nullable=True),
        sa.Column("due", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["evaluation_uuid"],
            ["pulled_evaluations.uuid"],
            name=op.f("fk_pulled_answers_evaluation_uuid_pulled_evaluations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pulled_answers")),
        sa.UniqueConstraint(
            "evaluation_uuid",
            "checklist_id",
            "item_code",
            name=op.f("uq_pulled_answers_evaluation_uuid"),
        ),
    )


def downgrade() -> None:
    op.drop_table("pulled_answers")
    op.drop_index("ix_pulled_evaluations_replaces_uuid", table_name="pulled_evaluations")
    op.drop_index("ix_pulled_evaluations_started_at", table_name="pulled_evaluations")
    op.drop_index("ix_pulled_evaluations_unit_uuid", table_name="pulled_evaluations")
    op.drop_table("pulled_evaluations")
