"""Station, type, state and industry in the search index, so a search with a filter is one lookup.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07

With a filter beside a search (「镇」 in 五云所, 「超市」 among 已命名 units) the index of 0010 gave
every matching unit and each was then read from ``units`` to check its station, type or state:
110 to 270 ms on 500,000 units when thousands matched. ``unit_grams`` gains a fifth column,
``facets``, holding one token per filter value (``Ωst12`` for station id 12, ``Ωtygeneral``,
``Ωsacommitted``, ``Ωinretail``), so FTS5 intersects the filter with the terms itself and the
count never reads a unit (:mod:`fieldapp.views.units`).

The tokens begin with U+2126 OHM SIGN, which Unicode's NFKC normalisation turns into Ω (U+03A9):
a search term is normalised first, so it never holds U+2126, and no term or its prefix can
match a facet token; a token has at least four characters, so it never equals a piece of the
other columns (three characters at most). The triggers now also follow a change of station,
type, state or industry. A contentless FTS5 table cannot gain a column: the table is made again
and filled from ``units``. The downgrade restores the four-column index of 0010.
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

FIELDS = ("name", "shop_name", "credit_code", "address")
COLUMNS = ", ".join((*FIELDS, "facets"))
OLD_COLUMNS = ", ".join(FIELDS)
PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
_TOKENIZER = "ascii tokenchars '" + PUNCTUATION.replace("'", "''") + "'"
MARK = "\u2126"  # OHM SIGN: NFKC turns it into Ω, so no normalised search term holds it


def _create(columns: str) -> str:
    return (
        f"CREATE VIRTUAL TABLE unit_grams USING fts5({columns}, content='', columnsize=0, "
        "prefix='1 2', tokenize='" + _TOKENIZER.replace("'", "''") + "')"
    )


def _pieces(value: str) -> str:
    """As in 0010: the space-separated three-character pieces of ``value``."""
    positions = (
        "json_each('[' || rtrim(replace(hex(zeroblob(coalesce(length("
        f"{value}), 0))), '00', '0,'), ',') || ']')"
    )
    return f"(SELECT group_concat(substr({value}, key + 1, 3), ' ') FROM {positions})"


def _facets(row: str) -> str:
    """SQL for ``row``'s facet tokens: station id, type, state and industry (when set)."""
    return (
        f"'{MARK}st' || {row}.station_id || ' {MARK}ty' || {row}.unit_type"
        f" || coalesce(' {MARK}sa' || {row}.state, '')"
        f" || coalesce(' {MARK}in' || {row}.industry, '')"
    )


def _values(row: str, *, facets: bool = True) -> str:
    pieces = ", ".join(_pieces(f"{row}.{field}") for field in FIELDS)
    return f"{pieces}, {_facets(row)}" if facets else pieces


def _triggers(columns: str, facets: bool) -> dict[str, str]:
    insert = f"INSERT INTO unit_grams(rowid, {columns}) VALUES (new.id, {_values('new', facets=facets)});"
    delete = (
        f"INSERT INTO unit_grams(unit_grams, rowid, {columns}) "
        f"VALUES ('delete', old.id, {_values('old', facets=facets)});"
    )
    watched = f"{OLD_COLUMNS}, station_id, unit_type, state, industry" if facets else OLD_COLUMNS
    return {
        "units_grams_ai": f"AFTER INSERT ON units BEGIN {insert} END",
        "units_grams_ad": f"AFTER DELETE ON units BEGIN {delete} END",
        "units_grams_au": f"AFTER UPDATE OF {watched} ON units BEGIN {delete} {insert} END",
    }


def _rebuild(columns: str, facets: bool) -> None:
    for name in ("units_grams_ai", "units_grams_ad", "units_grams_au"):
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS unit_grams")
    op.execute(_create(columns))
    for name, body in _triggers(columns, facets).items():
        op.execute(f"CREATE TRIGGER {name} {body}")
    op.execute(
        f"INSERT INTO unit_grams(rowid, {columns}) "
        f"SELECT units.id, {_values('units', facets=facets)} FROM units"
    )
    op.execute("INSERT INTO unit_grams(unit_grams) VALUES ('optimize')")


def upgrade() -> None:
    _rebuild(COLUMNS, facets=True)


def downgrade() -> None:
    _rebuild(OLD_COLUMNS, facets=False)
