"""The county office's web console, served by ``fieldapp-server`` itself.

Server-rendered pages (Jinja2 templates, one stylesheet, no script and nothing fetched from
outside the county LAN) over the same services as the API: the figures of
:mod:`fieldapp.server.figures`, the review of :mod:`fieldapp.server.review`, the assignments of
:mod:`fieldapp.server.reference`. The API's roles and scopes apply to every page: a signed-in
account is a :class:`~fieldapp.server.accounts.Caller` exactly as a token's is.

Modules: :mod:`.signin` (passwords, lockout, sessions), :mod:`.pages` (what every page shares:
the signed-in dependency, CSRF, rendering), then one module per part of the console.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).resolve().parent / "static"


def mount(app: FastAPI) -> None:
    """Add the console's pages and its static files to ``app``."""
    from fieldapp.server.web import pages
    from fieldapp.server.web.accounts import router as accounts_pages
    from fieldapp.server.web.assign import router as assign_pages
    from fieldapp.server.web.bulletin import router as bulletin_pages
    from fieldapp.server.web.holdbacks import router as holdback_pages
    from fieldapp.server.web.overview import router as overview_pages
    from fieldapp.server.web.review import router as review_pages
    from fieldapp.server.web.units import router as unit_pages
    from fieldapp.server.web.worklists import router as worklist_pages

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for router in (
        pages.router,
        overview_pages,
        review_pages,
        unit_pages,
        holdback_pages,
        worklist_pages,
        assign_pages,
        accounts_pages,
        bulletin_pages,
    ):
        app.include_router(router, include_in_schema=False)
    pages.install_handlers(app)
