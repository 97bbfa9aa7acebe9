"""Search by pieces of three characters, so every query is an index lookup.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07

The trigram index of 0002 answers nothing for a term of one or two characters (most Chinese
queries: 「超市」, 「壶镇」), which then fell back to LIKE over every unit. ``unit_grams``
replaces it: an FTS5 table holding, for each searched field (name, shop name, credit code,
address), the three characters from each position of the field, in order (「五云超市」 → 「五云超
云超市 超市 市」: the last two positions give shorter pieces), with prefix indexes of one and
two characters. The query side is :mod:`fieldapp.views.units`:

- a term of three characters or more is the phrase of its three-character pieces, which matches
  exactly the fields containing the term (each piece overlaps the next by two characters);
- a term of one or two characters is a prefix query, answered by the prefix index: every
  position of a field begins one piece, so the fields whose pieces begin with the term are
  exactly those containing it.

The ``ascii`` tokenizer folds ASCII letters only, as LIKE does, and treats every printable ASCII
character as part of a token, so only whitespace and control characters separate tokens. A query
term holds no whitespace (and one with a control character is matched with LIKE), so a piece
split at a space can never equal a query's three-character piece: such pieces only ever match
a prefix query, and do so rightly.

The table is contentless (the pieces are not stored, only indexed) and kept in step with
``units`` by triggers, as 0002 kept the trigram index: every writer, whichever path it takes
(window, command line, imports, sync, restore), updates it in its own transaction, and the
triggers are plain SQL, so even the sqlite3 shell keeps it right. ``json_each`` over a JSON array
of ``length(field)`` zeros numbers a field's positions (a trigger cannot hold a recursive WITH).
The downgrade restores and rebuilds the trigram index.
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

FIELDS = ("name", "shop_name", "credit_code", "address")
COLUMNS = ", ".join(FIELDS)
# Printable ASCII other than letters and digits: part of a token, not a separator.
PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
_TOKENIZER = "ascii tokenchars '" + PUNCTUATION.replace("'", "''") + "'"
CREATE = (
    f"CREATE VIRTUAL TABLE unit_grams USING fts5({COLUMNS}, content='', columnsize=0, "
    "prefix='1 2', tokenize='" + _TOKENIZER.replace("'", "''") + "')"
)


def _pieces(value: str) -> str:
    """SQL for the space-separated pieces of ``value``: the three characters from each position,
    in order (the last two positions: fewer); NULL for an empty or NULL value."""
    positions = (
        "json_each('[' || rtrim(replace(hex(zeroblob(coalesce(length("
        f"{value}), 0))), '00', '0,'), ',') || ']')"
    )
    return f"(SELECT group_concat(substr({value}, key + 1, 3), ' ') FROM {positions})"


def _values(row: str) -> str:
    return ", ".join(_pieces(f"{row}.{field}") for field in FIELDS)


INSERT = f"INSERT INTO unit_grams(rowid, {COLUMNS}) VALUES (new.id, {_values('new')});"
# A contentless table forgets a row given the same values it was given (the old ones).
DELETE = (
    f"INSERT INTO unit_grams(unit_grams, rowid, {COLUMNS}) "
    f"VALUES ('delete', old.id, {_values('old')});"
)
TRIGGERS = {
    "units_grams_ai": f"AFTER INSERT ON units BEGIN {INSERT} END",
    "units_grams_ad": f"AFTER DELETE ON units BEGIN {DELETE} END",
    "units_grams_au": f"AFTER UPDATE OF {COLUMNS} ON units BEGIN {DELETE} {INSERT} END",
}
TRIGRAM_TRIGGERS = ("units_search_ai", "units_search_ad", "units_search_au")


def upgrade() -> None:
    for trigger in TRIGRAM_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS unit_search")
    op.execute(CREATE)
    for name, body in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")
    op.execute(
        f"INSERT INTO unit_grams(rowid, {COLUMNS}) SELECT units.id, {_values('units')} FROM units"
    )
    # One segment instead of the many a bulk fill leaves: lookups read one b-tree.
    op.execute("INSERT INTO unit_grams(unit_grams) VALUES ('optimize')")


def downgrade() -> None:
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS unit_grams")
    op.execute(
        f"CREATE VIRTUAL TABLE unit_search USING fts5({COLUMNS}, "
        "content='units', content_rowid='id', tokenize='trigram')"
    )
    op.execute(
        "CREATE TRIGGER units_search_ai AFTER INSERT ON units BEGIN "
        f"INSERT INTO unit_search(rowid, {COLUMNS}) "
        "VALUES (new.id, new.name, new.shop_name, new.credit_code, new.address); END"
    )
    op.execute(
        "CREATE TRIGGER units_search_ad AFTER DELETE ON units BEGIN "
        f"INSERT INTO unit_search(unit_search, rowid, {COLUMNS}) "
        "VALUES ('delete', old.id, old.name, old.shop_name, old.credit_code, old.address); END"
    )
    op.execute(
        f"CREATE TRIGGER units_search_au AFTER UPDATE OF {COLUMNS} ON units BEGIN "
        f"INSERT INTO unit_search(unit_search, rowid, {COLUMNS}) "
        "VALUES ('delete', old.id, old.name, old.shop_name, old.credit_code, old.address); "
        f"INSERT INTO unit_search(rowid, {COLUMNS}) "
        "VALUES (new.id, new.name, new.shop_name, new.credit_code, new.address); END"
    )
    op.execute("INSERT INTO unit_search(unit_search) VALUES ('rebuild')")
