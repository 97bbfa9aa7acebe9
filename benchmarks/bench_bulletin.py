"""The monthly bulletin of a county of N units: ``write_bulletin`` vs bare sqlite3 + ReportLab.

The store from the import figure gets the demo task table and evaluations (a few made through
the evaluation service, the rest cloned in SQL, about one per 25 units, 15 % with a failed item).
fieldapp writes the PDF bulletin (progress from the event history, evaluations by kind and
verdict, top failed items, open 整改, hold-backs, chart, page numbers). The baseline runs the
core aggregate queries by hand and lays the same station table and failed-item table into a bare
ReportLab document in the same font. The ratio is the price of the extra lists and the layout.

Two figures: the bulletin written again with nothing changed since the last one (the progress
shares and the hold-back counts as kept: ``services.progress_kept``, ``services.holdback_kept``),
and right after one unit changed (its progress share counted again, the hold-back counts
counted afresh).
"""

from __future__ import annotations

import random
import tempfile
import uuid
from datetime import date, datetime
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Paragraph, SimpleDocTemplate, Table

from benchmarks.bench_progress import change_one
from benchmarks.common import Result, connect, log, median_time, stopwatch
from fieldapp import paths
from fieldapp.imports.targets import import_targets
from fieldapp.reports import fonts
from fieldapp.reports.bulletin import write_bulletin
from fieldapp.services import demo
from fieldapp.store import Store

STATION_SQL = """
WITH latest AS (
  SELECT unit_id, max(id) AS event_id FROM unit_events
  WHERE kind = 'state' AND occurred_on <= :as_of GROUP BY unit_id)
SELECT s.name, count(*) FROM units u JOIN latest l ON l.unit_id = u.id
JOIN unit_events e ON e.id = l.event_id JOIN stations s ON s.id = u.station_id
WHERE e.to_state IN ('cultivating','committed','evaluating','confirmed','starred','warning')
  AND u.entered_on <= :as_of AND u.unit_type IN ('general','no_reason_return','factory')
GROUP BY s.id ORDER BY s.id
"""
TARGET_SQL = "SELECT station_id, sum(count) FROM targets WHERE year = :year GROUP BY station_id"
EVALUATION_SQL = """
SELECT kind, verdict, count(*) FROM evaluations
WHERE status = 'finalized' AND started_at >= :first AND started_at < :next GROUP BY kind, verdict
"""
FAILED_SQL = """
SELECT a.checklist_id, a.item_code, count(*) AS n FROM answers a
JOIN evaluations e ON e.id = a.evaluation_id
WHERE a.result = 'fail' AND e.status = 'finalized' AND e.started_at >= :first
  AND e.started_at < :next
GROUP BY a.checklist_id, a.item_code ORDER BY n DESC LIMIT 10
"""
OPEN_SQL = """
SELECT count(*), sum(a.due < :today) FROM answers a JOIN evaluations e ON e.id = a.evaluation_id
WHERE a.result = 'fail' AND e.status = 'finalized' AND NOT EXISTS (
  SELECT 1 FROM answers b JOIN evaluations l ON l.id = b.evaluation_id
  WHERE l.unit_id = e.unit_id AND l.status = 'finalized' AND b.checklist_id = a.checklist_id
    AND b.item_code = a.item_code AND l.finalized_at > e.finalized_at)
"""


def _add_evaluations(store: Store, database: Path, count: int) -> None:
    """A few real evaluations, then ``count`` clones of them on random active units."""
    with tempfile.TemporaryDirectory() as tmp, store.session() as session:
        demo.make_evaluations(session, store, 3, seed=7, workdir=Path(tmp))
    rng = random.Random(7)
    now = datetime.now().replace(microsecond=0).strftime("%Y-%m-%d %H:%M:%S.000000")
    with connect(database) as db:
        templates = [r[0] for r in db.execute("SELECT id FROM evaluations")]
        units = [
            r[0]
            for r in db.execute(
                "SELECT id FROM units WHERE state IN ('committed','evaluating','confirmed')"
            )
        ]
        db.execute("BEGIN")
        for _ in range(count):
            template = rng.choice(templates)
            cursor = db.execute(
                "INSERT INTO evaluations (uuid, unit_id, kind, status, inspector, started_at, "
                "finalized_at, verdict, verdict_text) SELECT ?, ?, kind, status, inspector, ?, ?, "
                "?, verdict_text FROM evaluations WHERE id = ?",
                (str(uuid.uuid4()), rng.choice(units), now, now, "pass", template),
            )
            new = cursor.lastrowid
            db.execute(
                "INSERT INTO evaluation_checklists SELECT ?, checklist_id, version, position "
                "FROM evaluation_checklists WHERE evaluation_id = ?",
                (new, template),
            )
            db.execute(
                "INSERT INTO answers (evaluation_id, checklist_id, item_code, result, note, "
                "rectify, due, answered_at) SELECT ?, checklist_id, item_code, 'pass', '', NULL, "
                "NULL, answered_at FROM answers WHERE evaluation_id = ?",
                (new, template),
            )
            if rng.random() < 0.15:
                db.execute(
                    "UPDATE answers SET result = 'fail', rectify = '限期整改', due = ? WHERE id = "
                    "(SELECT id FROM answers WHERE evaluation_id = ? ORDER BY random() LIMIT 1)",
                    (date.today().isoformat(), new),
                )
                db.execute("UPDATE evaluations SET verdict = 'rectify' WHERE id = ?", (new,))
        db.execute("COMMIT")


def _baseline(database: Path, out: Path, today: date) -> None:
    first = today.replace(day=1)
    nxt = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    params = {
        "as_of": today.isoformat(),
        "year": today.year,
        "first": first.isoformat(),
        "next": nxt.isoformat(),
        "today": today.isoformat(),
    }
    with connect(database) as db:
        stations = db.execute(STATION_SQL, params).fetchall()
        targets = dict(db.execute(TARGET_SQL, params).fetchall())
        kinds = db.execute(EVALUATION_SQL, params).fetchall()
        failed = db.execute(FAILED_SQL, params).fetchall()
        rectifications = db.execute(OPEN_SQL, params).fetchone()
    font = fonts.register()
    style = ParagraphStyle("b", fontName=font, fontSize=9, wordWrap="CJK")
    rows = [["所", "任务数", "完成数"]] + [
        [name, targets.get(i + 1, 0), n] for i, (name, n) in enumerate(stations)
    ]
    story = [
        Paragraph(f"放心消费单位建设每月通报 {today.year}年{today.month}月", style),
        Table(rows, style=[("FONTNAME", (0, 0), (-1, -1), font)]),
        Table(
            [["检查表", "条目", "次数"], *[list(r) for r in failed]],
            style=[("FONTNAME", (0, 0), (-1, -1), font)],
        ),
        Paragraph(f"评价 {sum(k[2] for k in kinds)}；整改 {rectifications}", style),
    ]
    SimpleDocTemplate(str(out), pagesize=A4).build(story)


def run(store_dir: Path, n: int, repeat: int, workdir: Path) -> list[Result]:
    today = date.today()
    month = f"{today.year:04d}-{today.month:02d}"
    database = paths.database_path(store_dir)
    store = Store.open(store_dir)
    try:
        with store.session() as session:
            targets = demo.write_targets_csv(workdir / "targets.csv", today.year)
            import_targets(session, targets, source="benchmark")
        evaluations = max(20, n // 25)
        log(f"bulletin: adding {evaluations} evaluations …")
        _add_evaluations(store, database, evaluations)
        ours, theirs = workdir / "bulletin.pdf", workdir / "baseline.pdf"
        value = median_time(lambda: write_bulletin(store, month, ours, today=today), repeat)
        flip = [True]

        def after_change() -> float:
            change_one(store, flip)
            with stopwatch() as elapsed:
                write_bulletin(store, month, ours, today=today)
            return elapsed[0]

        changed = sorted(after_change() for _ in range(repeat))[repeat // 2]
        baseline = median_time(lambda: _baseline(database, theirs, today), repeat)
    finally:
        store.close()
    log(
        f"bulletin: fieldapp {value * 1e3:.0f} ms (after a change {changed * 1e3:.0f} ms), "
        f"sqlite3 + ReportLab {baseline * 1e3:.0f} ms"
    )
    what = (
        f"PDF bulletin, {evaluations} evaluations; baseline: 5 aggregate queries + bare table doc"
    )
    return [
        Result(
            "bulletin_pdf",
            value * 1e3,
            baseline * 1e3,
            "ms",
            n,
            f"{what}; written again, nothing changed since (figures kept); median of {repeat}",
        ),
        Result(
            "bulletin_after_change",
            changed * 1e3,
            baseline * 1e3,
            "ms",
            n,
            f"{what}; right after one unit changed; median of {repeat}",
        ),
    ]
