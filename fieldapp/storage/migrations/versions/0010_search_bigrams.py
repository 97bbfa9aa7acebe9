"""Search by character bigrams and single characters, so every query is an index lookup.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07

The trigram index of 0002 answers nothing for a term of one or two characters (most Chinese
queries: 「超市」, 「壶镇」), which then fell back to LIKE over every unit. Two FTS5 tables replace
it:

- ``unit_bigrams`` holds, per searched field (name, shop_name, credit_code, address), the
  field's overlapping character bigrams in order. A term of two characters or more is the phrase
  of its bigrams, which matches exactly the fields that contain the term (each phrase token
  overlaps the next by one character).
- ``unit_chars`` holds every character of the four fields; a one-character term is one token.

A token is the hex of the bigram's (character's) UTF-8 bytes after SQLite's ``lower()`` (ASCII
letters only, as LIKE folds them), so no tokenizer rule (punctuation, spaces, diacritics, case of
other scripts) can split or change one: the index matches what LIKE matches.
``fieldapp.views.units`` builds the same tokens for a query.

Both tables are contentless and kept in step with ``units`` by triggers (as 0002 kept the
trigram index), so every writer, whichever path it takes, updates them in its own transaction.
The triggers compute the tokens in SQL alone (no application function, so the sqlite3 shell or
a restore can write too): ``json_each`` over a JSON array of ``length(field)`` zeros numbers the
positions. The trigram table and its triggers are dropped; the downgrade restores and rebuilds
them.
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

FIELDS = ("name", "shop_name", "credit_code", "address")
TRIGRAM_COLUMNS = ", ".join(FIELDS)


def _positions(value: str, short: int) -> str:
    """``json_each`` over ``length(value) - short`` rows whose ``key`` counts 0, 1, 2, ..."""
    return (
        "json_each('[' || rtrim(replace(hex(zeroblob("
        f"max(coalesce(length({value}), 0) - {short}, 0))), '00', '0,'), ',') || ']')"
    )


def _bigrams(value: str) -> str:
    """The space-separated bigram tokens of ``value`` in order (NULL for fewer than 2 chars)."""
    return (
        f"(SELECT group_concat(hex(lower(substr({value}, key + 1, 2))), ' ') "
        f"FROM {_positions(value, 1)})"
    )


def _chars(values: list[str]) -> str:
    """The character tokens of every ``value`` (each at most once per unit)."""
    parts = " UNION ".join(
        f"SELECT hex(lower(substr({v}, key + 1, 1))) AS t FROM {_positions(v, 0)}" for v in values
    )
    return f"(SELECT group_concat(t, ' ') FROM ({parts}))"


def _insert(row: str) -> list[str]:
    values = [f"{row}.{f}" for f in FIELDS]
    bigrams = ", ".join(_bigrams(v) for v in values)
    return [
        f"INSERT INTO unit_bigrams(rowid, {TRIGRAM_COLUMNS}) VALUES ({row}.id, {bigrams});",
        f"INSERT INTO unit_chars(rowid, chars) VALUES ({row}.id, {_chars(values)});",
    ]


def _delete(row: str) -> list[str]:
    values = [f"{row}.{f}" for f in FIELDS]
    bigrams = ", ".join(_bigrams(v) for v in values)
    return [
        f"INSERT INTO unit_bigrams(unit_bigrams, rowid, {TRIGRAM_COLUMNS}) "
        f"VALUES ('delete', {row}.id, {bigrams});",
        f"INSERT INTO unit_chars(unit_chars, rowid, chars) "
        f"VALUES ('delete', {row}.id, {_chars(values)});",
    ]


def upgrade() -> None:
    for trigger in ("units_search_ai", "units_search_ad", "units_search_au"):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS unit_search")
    op.execute(
        f"CREATE VIRTUAL TABLE unit_bigrams USING fts5({TRIGRAM_COLUMNS}, "
        "content='', tokenize='ascii')"
    )
    op.execute(
        "CREATE VIRTUAL TABLE unit_chars USING fts5(chars, "
        "content='', detail='none', tokenize='ascii')"
    )
    op.execute(
        "CREATE TRIGGER units_grams_ai AFTER INSERT ON units BEGIN "
        + " ".join(_insert("new"))
        + " END"
    )
    op.execute(
        "CREATE TRIGGER units_grams_ad AFTER DELETE ON units BEGIN "
        + " ".join(_delete("old"))
        + " END"
    )
    op.execute(
        f"CREATE TRIGGER units_grams_au AFTER UPDATE OF {TRIGRAM_COLUMNS} ON units BEGIN "
        + " ".join(_delete("old") + _insert("new"))
        + " END"
    )
    values = [f"units.{f}" for f in FIELDS]
    op.execute(
        f"INSERT INTO unit_bigrams(rowid, {TRIGRAM_COLUMNS}) SELECT units.id, "
        + ", ".join(_bigrams(v) for v in values)
        + " FROM units"
    )
    op.execute(f"INSERT INTO unit_chars(rowid, chars) SELECT units.id, {_chars(values)} FROM units")


def downgrade() -> None:
    for trigger in ("units_grams_ai", "units_grams_ad", "units_grams_au"):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS unit_chars")
    op.execute("DROP TABLE IF EXISTS unit_bigrams")
    op.execute(
        f"CREATE VIRTUAL TABLE unit_search USING fts5({TRIGRAM_COLUMNS}, "
        "content='units', content_rowid='id', tokenize='trigram')"
    )
    op.execute(
        "CREATE TRIGGER units_search_ai AFTER INSERT ON units BEGIN "
        f"INSERT INTO unit_search(rowid, {TRIGRAM_COLUMNS}) "
        "VALUES (new.id, new.name, new.shop_name, new.credit_code, new.address); END"
    )
    op.execute(
        "CREATE TRIGGER units_search_ad AFTER DELETE ON units BEGIN "
        f"INSERT INTO unit_search(unit_search, rowid, {TRIGRAM_COLUMNS}) "
        "VALUES ('delete', old.id, old.name, old.shop_name, old.credit_code, old.address); END"
    )
    op.execute(
        "CREATE TRIGGER units_search_au AFTER UPDATE OF "
        f"{TRIGRAM_COLUMNS} ON units BEGIN "
        f"INSERT INTO unit_search(unit_search, rowid, {TRIGRAM_COLUMNS}) "
        "VALUES ('delete', old.id, old.name, old.shop_name, old.credit_code, old.address); "
        f"INSERT INTO unit_search(rowid, {TRIGRAM_COLUMNS}) "
        "VALUES (new.id, new.name, new.shop_name, new.credit_code, new.address); END"
    )
    op.execute("INSERT INTO unit_search(unit_search) VALUES ('rebuild')")
