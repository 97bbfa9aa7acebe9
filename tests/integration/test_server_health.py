"""The county server answers /health with its clock and publishes its OpenAPI document."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import requests
import uvicorn

from fieldapp import __version__
from fieldapp.server.app import create_app
from fieldapp.server.cli import main


@pytest.fixture
def live_server() -> Iterator[str]:
    """A real uvicorn server on a free loopback port, in a thread."""
    config = uvicorn.Config(create_app(), host="127.0.0.1", port=0, log_level="warning")
    server = uvicorn.Server(config)
    ready = threading.Event()
    original_startup = server.startup

    async def startup(sockets=None):  # type: ignore[no-untyped-def]
        await original_startup(sockets)
        ready.set()

    server.startup = startup  # type: ignore[method-assign]
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    assert ready.wait(timeout=30), "server did not start"
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def test_health_over_real_http(live_server: str) -> None:
    with requests.Session() as session:
        response = session.get(f"{live_server}/health", timeout=10)
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "ok" and body["version"] == __version__
        server_time = datetime.fromisoformat(body["server_time"])
        assert server_time.tzinfo is not None
        assert abs((datetime.now(UTC) - server_time).total_seconds()) < 300
        spec = session.get(f"{live_server}/openapi.json", timeout=10).json()
        assert "/health" in spec["paths"]


def test_tls_options_must_come_together(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--ssl-certfile", "cert.pem"]) == 2
    assert "同时给出" in capsys.readouterr().err
