"""The server counts the current year's figures and hold-back counts when it starts, so the
county office's first 总览 finds them kept (SQLite, and PostgreSQL when
FIELDAPP_TEST_DATABASE_URL is set)."""

from __future__ import annotations

from datetime import date

from fieldapp.server import figures, holdback_counts, warm
from fieldapp.server import models as m
from fieldapp.server.config import ServerConfig
from fieldapp.server.db import Database
from tests.integration import test_sync_support as support

database_url, server_config = support.database_url, support.server_config


def test_start_up_counts_the_year_ahead_of_the_first_page(server_config: ServerConfig) -> None:
    today = date.today()
    Database(server_config.database_url).dispose()  # the schema, as serve brings it up
    warm.start(server_config.database_url).join()
    db = Database(server_config.database_url)
    try:
        with db.session() as session:
            kept = session.get(m.FigureCache, (today.year, today))
            assert kept is not None and kept.stamp == figures.stamp(session)
            counted = session.get(m.HoldBackCount, (today.year, today))
            assert counted is not None and counted.stamp == holdback_counts.stamp(session)
    finally:
        db.dispose()
