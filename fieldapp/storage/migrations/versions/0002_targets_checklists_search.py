"""Task targets, checklist snapshots, and the trigram search index over units.

The search index is an FTS5 table with the trigram tokenizer, kept in step with ``units`` by
triggers and filled from the existing rows here, so a database from 0001 is searchable at once.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SEARCH_COLUMNS = "name, shop_name, credit_code, address"


def upgrade() -> None:
    op.create_table(
        "targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("unit_type", sa.String(length=32), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["station_id"], ["stations.id"], name="fk_targets_station_id_stations"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_targets"),
        sa.UniqueConstraint("year", "station_id", "unit_type", name="uq_targets_year"),
    )
    op.create_table(
        "checklist_snapshots",
        sa.Column("checklist_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("content_json", sa.Text(), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("checklist_id", "version", name="pk_checklist_snapshots"),
    )
    op.execute(
        f"CREATE VIRTUAL TABLE unit_search USING fts5({SEARCH_COLUMNS}, "
        "content='units', content_rowid='id', tokenize='trigram')"
    )
    op.execute(
        "CREATE TRIGGER units_search_ai AFTER INSERT ON units BEGIN "
        f"INSERT INTO unit_search(rowid, {SEARCH_COLUMNS}) "
        "VALUES (new.id, new.name, new.shop_name, new.credit_code, new.address); END"
    )
    op.execute(
        "CREATE TRIGGER units_search_ad AFTER DELETE ON units BEGIN "
        f"INSERT INTO unit_search(unit_search, rowid, {SEARCH_COLUMNS}) "
        "VALUES ('delete', old.id, old.name, old.shop_name, old.credit_code, old.address); END"
    )
    op.execute(
        "CREATE TRIGGER units_search_au AFTER UPDATE OF "
        f"{SEARCH_COLUMNS} ON units BEGIN "
        f"INSERT INTO unit_search(unit_search, rowid, {SEARCH_COLUMNS}) "
        "VALUES ('delete', old.id, old.name, old.shop_name, old.credit_code, old.address); "
        f"INSERT INTO unit_search(rowid, {SEARCH_COLUMNS}) "
        "VALUES (new.id, new.name, new.shop_name, new.credit_code, new.address); END"
    )
    op.execute("INSERT INTO unit_search(unit_search) VALUES ('rebuild')")


def downgrade() -> None:
    for trigger in ("units_search_ai", "units_search_ad", "units_search_au"):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS unit_search")
    op.drop_table("checklist_snapshots")
    op.drop_table("targets")
