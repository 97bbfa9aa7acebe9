"""Stations, units and their lifecycle events.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("county", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_stations"),
        sa.UniqueConstraint("name", name="uq_stations_name"),
    )
    op.create_table(
        "units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("shop_name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("town", sa.String(length=64), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("unit_type", sa.String(length=32), nullable=False),
        sa.Column("industry", sa.String(length=32), nullable=True),
        sa.Column("category", sa.String(length=100), nullable=False),
        sa.Column("contact_person", sa.String(length=64), nullable=False),
        sa.Column("contact_phone", sa.String(length=32), nullable=False),
        sa.Column("online_shop_name", sa.String(length=200), nullable=False),
        sa.Column("online_platform", sa.String(length=64), nullable=False),
        sa.Column("online_url", sa.String(length=500), nullable=False),
        sa.Column("return_days", sa.Integer(), nullable=True),
        sa.Column("return_goods", sa.Text(), nullable=False),
        sa.Column("return_terms", sa.Text(), nullable=False),
        sa.Column("cross_store_return", sa.Boolean(), nullable=False),
        sa.Column("compensation_fund", sa.Boolean(), nullable=False),
        sa.Column("prudent", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=True),
        sa.Column("state_since", sa.Date(), nullable=True),
        sa.Column("entered_on", sa.Date(), nullable=True),
        sa.Column("sticker_posted_on", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["station_id"], ["stations.id"], name="fk_units_station_id_stations"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_units"),
        sa.UniqueConstraint("credit_code", name="uq_units_credit_code"),
        sa.UniqueConstraint("uuid", name="uq_units_uuid"),
    )
    op.create_index("ix_units_station_id", "units", ["station_id"])
    op.create_index("ix_units_unit_type", "units", ["unit_type"])
    op.create_index("ix_units_state", "units", ["state"])
    op.create_table(
        "unit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("from_state", sa.String(length=32), nullable=True),
        sa.Column("to_state", sa.String(length=32), nullable=True),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["units.id"],
            name="fk_unit_events_unit_id_units",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_unit_events"),
    )
    op.create_index("ix_unit_events_unit_on", "unit_events", ["unit_id", "occurred_on"])


def downgrade() -> None:
    op.drop_table("unit_events")
    op.drop_table("units")
    op.drop_table("stations")
