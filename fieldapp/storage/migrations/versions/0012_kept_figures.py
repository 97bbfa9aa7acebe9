"""Figures kept between counts: a change clock, each unit's last change, each unit's progress share.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07

Counting a year's progress folds every unit's dated history (25 s for 500,000 units), and the
monthly bulletin and the progress tab did it on every call. As the county server has done since
its migration 0006, the store now keeps what each unit adds to a year's figures and counts again
only the units that changed (:mod:`fieldapp.services.progress_kept`):

- ``change_clock``: one row, whose ``n`` goes up by one on every row written to a table a kept
  figure reads (units and their history, stations, evaluations and their answers, photos and
  checklists, the evaluations pulled from the county, the task tables, the cases). Kept figures
  note the clock they were counted at: an unchanged clock means nothing they read has changed.
- ``unit_marks``: per unit, the clock of its last change that can move its progress (the columns
  the count reads, or any event of its history; a deleted unit keeps its mark, so its share is
  taken out).
- ``progress_shares``, per year and unit: the share (which cells it adds one to), the clock it
  was counted at, and the reference dates it holds for (``since`` up to ``until``, the unit's
  next dated event); ``progress_totals``, per year, how many units have each share;
  ``progress_years``, per year, what the shares were counted under (the counting code, the first
  deadline, the stations' names) and the clock they are up to date with.
- ``kept_figures``: other figures kept whole per name and year with the day and clock they were
  counted at (the bulletin's hold-back counts).

Triggers keep the clock and the marks, so every writer (window, command line, imports, sync,
restore, even the sqlite3 shell) keeps them in its own transaction. The upgrade marks every
existing unit; the kept figures start empty and are counted at the first call. The downgrade
drops it all.
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# Tables whose every write moves the clock.
CLOCKED = (
    "units",
    "unit_events",
    "stations",
    "evaluations",
    "evaluation_checklists",
    "answers",
    "photos",
    "pulled_evaluations",
    "pulled_answers",
    "targets",
    "plan_years",
    "ratio_targets",
    "task_plans",
    "cases",
)
# The columns of ``units`` that progress reads (its history is in ``unit_events``).
COUNTED = (
    "station_id",
    "unit_type",
    "entered_on",
    "name",
    "address",
    "industry",
    "contact_person",
    "contact_phone",
)
TICK = "UPDATE change_clock SET n = n + 1;"
# Writes whose mark trigger moves the clock itself (an update of units may touch only columns
# progress does not read, so it keeps its own clock trigger).
MARKED = {
    ("units", "INSERT"),
    ("units", "DELETE"),
    ("unit_events", "INSERT"),
    ("unit_events", "UPDATE"),
    ("unit_events", "DELETE"),
}


def _mark(unit: str) -> str:
    """Move the clock on and mark ``unit`` with it: a mark is newer than any clock read before
    the write (whichever of a table's triggers SQLite runs first). An upsert, not INSERT OR
    REPLACE: a trigger run by a foreign key's action (an evaluation deleted sets its events'
    ``evaluation_id`` to NULL) takes the outer statement's conflict policy, ABORT, instead."""
    return (
        f"{TICK} INSERT INTO unit_marks (unit_id, seq) VALUES ({unit}, (SELECT n FROM change_clock)) "
        "ON CONFLICT (unit_id) DO UPDATE SET seq = excluded.seq;"
    )


def _triggers() -> dict[str, str]:
    """Trigger name -> CREATE statement."""
    out: dict[str, str] = {}
    for table in CLOCKED:
        for when in ("INSERT", "UPDATE", "DELETE"):
            if (table, when) in MARKED:
                continue  # the mark moves the clock
            name = f"{table}_clock_{when[0].lower()}"
            out[name] = f"CREATE TRIGGER {name} AFTER {when} ON {table} BEGIN {TICK} END"
    out["units_mark_i"] = (
        f"CREATE TRIGGER units_mark_i AFTER INSERT ON units BEGIN {_mark('new.id')} END"
    )
    out["units_mark_u"] = (
        f"CREATE TRIGGER units_mark_u AFTER UPDATE OF {', '.join(COUNTED)} ON units "
        f"BEGIN {_mark('new.id')} END"
    )
    out["units_mark_d"] = (
        f"CREATE TRIGGER units_mark_d AFTER DELETE ON units BEGIN {_mark('old.id')} END"
    )
    out["unit_events_mark_i"] = (
        f"CREATE TRIGGER unit_events_mark_i AFTER INSERT ON unit_events BEGIN {_mark('new.unit_id')} END"
    )
    out["unit_events_mark_u"] = (
        "CREATE TRIGGER unit_events_mark_u AFTER UPDATE ON unit_events "
        f"BEGIN {_mark('old.unit_id')} {_mark('new.unit_id')} END"
    )
    out["unit_events_mark_d"] = (
        f"CREATE TRIGGER unit_events_mark_d AFTER DELETE ON unit_events BEGIN {_mark('old.unit_id')} END"
    )
    return out


def upgrade() -> None:
    op.execute(
        "CREATE TABLE change_clock (id INTEGER NOT NULL CHECK (id = 1), n INTEGER NOT NULL, "
        "CONSTRAINT pk_change_clock PRIMARY KEY (id))"
    )
    op.execute("INSERT INTO change_clock (id, n) VALUES (1, 1)")
    op.execute(
        "CREATE TABLE unit_marks (unit_id INTEGER NOT NULL, seq INTEGER NOT NULL, "
        "CONSTRAINT pk_unit_marks PRIMARY KEY (unit_id))"
    )
    op.execute("CREATE INDEX ix_unit_marks_seq ON unit_marks (seq)")
    op.execute("INSERT INTO unit_marks (unit_id, seq) SELECT id, 1 FROM units")
    op.execute(
        "CREATE TABLE progress_shares (year INTEGER NOT NULL, unit_id INTEGER NOT NULL, "
        "seq INTEGER NOT NULL, since DATE NOT NULL, until DATE, share TEXT NOT NULL, "
        "CONSTRAINT pk_progress_shares PRIMARY KEY (year, unit_id))"
    )
    op.execute("CREATE INDEX ix_progress_shares_until ON progress_shares (year, until)")
    op.execute("CREATE INDEX ix_progress_shares_since ON progress_shares (year, since)")
    op.execute(
        "CREATE TABLE progress_totals (year INTEGER NOT NULL, share TEXT NOT NULL, "
        "units INTEGER NOT NULL, CONSTRAINT pk_progress_totals PRIMARY KEY (year, share))"
    )
    op.execute(
        "CREATE TABLE progress_years (year INTEGER NOT NULL, context TEXT NOT NULL, "
        "seq INTEGER NOT NULL, units INTEGER NOT NULL, "
        "CONSTRAINT pk_progress_years PRIMARY KEY (year))"
    )
    op.execute(
        "CREATE TABLE kept_figures (name VARCHAR(32) NOT NULL, year INTEGER NOT NULL, "
        "today DATE NOT NULL, seq INTEGER NOT NULL, body TEXT NOT NULL, "
        "CONSTRAINT pk_kept_figures PRIMARY KEY (name, year))"
    )
    for statement in _triggers().values():
        op.execute(statement)


def downgrade() -> None:
    for name in _triggers():
        op.execute(f"DROP TRIGGER {name}")
    for table in (
        "kept_figures",
        "progress_years",
        "progress_totals",
        "progress_shares",
        "unit_marks",
        "change_clock",
    ):
        op.execute(f"DROP TABLE {table}")
