"""The current year's figures and hold-back counts, counted once when the server starts.

The first request of a year counts every unit's share of the figures (about 40 s for 500,000
units on PostgreSQL) and folds the hold-back lists; later requests read what was kept. Counting
them in the background as the server starts means the county office's first 总览 of the day
finds them ready. Both are kept in the database, so any worker benefits; a request arriving while
this runs counts as it would have without it.
"""

from __future__ import annotations

import logging
import threading
from datetime import date

from fieldapp.server import figures, holdback_counts
from fieldapp.server.db import Database

log = logging.getLogger(__name__)


def warm(database_url: str, today: date) -> None:
    db = Database(database_url)
    try:
        with db.session() as session:
            figures.county_figures(session, today.year, today)
        holdback_counts.count(db, today.year, today)
        log.info("%s 年的进度和暂缓清单计数已就绪", today.year)
    except Exception:  # the pages count on their own when asked; nothing is lost
        log.exception("启动时预先统计 %s 年的数字失败", today.year)
    finally:
        db.dispose()


def start(database_url: str) -> threading.Thread:
    thread = threading.Thread(
        target=warm, args=(database_url, date.today()), name="warm-figures", daemon=True
    )
    thread.start()
    return thread
