"""The FastAPI application of the county server."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import FastAPI
from pydantic import BaseModel

from fieldapp import __version__


class Health(BaseModel):
    status: str
    version: str
    server_time: datetime


def create_app() -> FastAPI:
    app = FastAPI(
        title="fieldapp county server",
        version=__version__,
        description="放心消费单位评价县级服务器：接收各所检查人员同步的评价与照片。",
    )

    @app.get("/health", response_model=Health, tags=["health"])
    def health() -> Health:
        """Liveness and the server's clock (clients compare it with theirs at every sync)."""
        return Health(status="ok", version=__version__, server_time=datetime.now(UTC))

    return app
