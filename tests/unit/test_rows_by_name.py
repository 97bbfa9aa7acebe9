"""Query results are read by column name, never by position (issue 14).

A row read as ``row[3]``, spread into a constructor as ``Thing(*row)`` or unpacked straight off
``session.execute(...)`` into three or more names goes on working only while the SELECT keeps
its columns in that order: add or move a column and the values land in the wrong fields without
an error. Rows are read by name instead: ``.mappings()`` and ``row["name"]``, a Row's attribute
(``row.name``, with ``.label(...)`` where two columns share a name), ``sqlite3.Row`` for raw
sqlite3, or, on the paths that read every unit, ``.columns("a", "b", ...)``, which hands the
row back in the order of the names it is given, so unpacking it is bound to those names.

The test reads the source of every module of fieldapp except the migrations (historic and
frozen; they read the schema of their day) and fails naming file:line. It follows a result through
a name bound in the same function, no further (a result handed to another function is not seen).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import fieldapp

ROOT = Path(fieldapp.__file__).resolve().parent
ROW_NAMES = ("row", "r", "record", "rec")
POSITIONAL = re.compile(rf"\b({'|'.join(ROW_NAMES)})\[(-?\d+|-?\d*:-?\d*)\]")  # row[3], row[:10]
WIDE = 3  # unpacking two names (a key and a value, an entity pair) reads plainly enough

# (path under fieldapp/, the line as written) that may stay. Keep this short and say why.
ALLOWED: set[tuple[str, str]] = set()


def _modules() -> list[tuple[str, Path]]:
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if "/migrations/" not in relative:
            found.append((relative, path))
    return found


def _is_execute(node: ast.AST | None) -> bool:
    """``<anything>.execute(...)``, maybe with ``.all()``: rows as they come, by position (not
    through ``.mappings()`` or ``.columns(...)``)."""
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
        return False
    if node.func.attr in ("all", "fetchall"):
        return _is_execute(node.func.value)
    return node.func.attr == "execute"


def _results(scope: ast.AST) -> set[str]:
    """Names that ``scope`` (a function, or a module's top level) binds to such rows."""
    return {
        target.id
        for node in ast.walk(scope)
        if isinstance(node, ast.Assign) and _is_execute(node.value)
        for target in node.targets
        if isinstance(target, ast.Name)
    }


def offences(source: str, relative: str) -> list[str]:
    """``file:line what`` for each positional read in ``source``, in line order."""
    found: list[tuple[int, str]] = []
    for number, line in enumerate(source.splitlines(), 1):
        if POSITIONAL.search(line) and (relative, line.strip()) not in ALLOWED:
            found.append((number, f"reads a row by position: {line.strip()}"))
    tree = ast.parse(source, relative)
    results: dict[int, set[str]] = {}  # node: the result names of its innermost function
    for scope in ast.walk(tree):  # breadth first: a function comes after those around it
        if isinstance(scope, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef):
            names = _results(scope)
            results.update((id(node), names) for node in ast.walk(scope))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Starred)
            and isinstance(node.value, ast.Name)
            and node.value.id in ROW_NAMES
            and isinstance(node.ctx, ast.Load)
        ):
            found.append((node.lineno, f"spreads a row by position: *{node.value.id}"))
        elif isinstance(node, ast.For | ast.comprehension):
            target = node.target
            rows = node.iter
            if (
                isinstance(target, ast.Tuple)
                and len(target.elts) >= WIDE
                and (
                    _is_execute(rows)
                    or (isinstance(rows, ast.Name) and rows.id in results[id(node)])
                )
            ):
                found.append(
                    (target.lineno, f"unpacks {len(target.elts)} columns of execute() by position")
                )
    return [f"{relative}:{number} {what}" for number, what in sorted(found)]


def test_no_module_reads_rows_by_position() -> None:
    found = []
    for relative, path in _modules():
        found += offences(path.read_text(encoding="utf-8"), relative)
    assert found == [], "read these rows by name (.mappings(), row.name):\n" + "\n".join(found)


def test_the_check_catches_each_positional_form() -> None:
    source = "\n".join(
        [
            "a = row[0]",
            "b = Thing(*r)",
            "for x, y, z in session.execute(statement):",
            "    pass",
            "c = {k: (v, w) for k, v, w in connection.execute(sql)}",
            "def f(session):",
            "    rows = session.execute(statement).all()",
            "    for x, y, z in rows:",
            "        pass",
            "d = row[:10]",
        ]
    )
    assert [o.split(" ", 1)[0] for o in offences(source, "m.py")] == [
        "m.py:1",
        "m.py:2",
        "m.py:3",
        "m.py:5",
        "m.py:8",
        "m.py:10",
    ]


def test_the_check_lets_named_reads_pass() -> None:
    source = "\n".join(
        [
            'a = row["id"]',
            "b = Thing(**row)",
            "for item in session.execute(statement).mappings():",
            "    pass",
            'for x, y, z in session.execute(statement).columns("x", "y", "z"):',
            "    pass",
            "def f(session):",
            '    rows = session.execute(statement).columns("x", "y", "z")',
            "    for x, y, z in rows:",
            "        pass",
            "def g(session):",
            "    rows = session.execute(statement)",
            "    return [(a, b) for a, b in rows]",
            "for key, value in session.execute(pairs):",
            "    pass",
            "n = connection.execute(count).fetchone()[0]",
            "first = names[0]",
        ]
    )
    assert offences(source, "m.py") == []
