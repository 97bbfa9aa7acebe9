"""A property-based run against the server's OpenAPI document: no input makes it answer 5xx."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.configuration import set_hypothesis_home_dir

from fieldapp.server.config import ServerConfig
from tests.integration.test_sync_support import LiveServer, add_account

pytestmark = pytest.mark.slow
TOKENS: dict[str, str] = {}


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    folder = tmp_path_factory.mktemp("schemathesis")
    set_hypothesis_home_dir(str(folder / "hypothesis"))  # not .hypothesis/ in the checkout
    config = ServerConfig(data_dir=folder, database_url=f"sqlite:///{folder / 'server.sqlite3'}")
    live = LiveServer(config)
    live.start()
    TOKENS["county"] = add_account(live.db(), "县局", "县局", "county")
    TOKENS["inspector"] = add_account(live.db(), "张三", "五云所", "inspector")
    try:
        yield schemathesis.openapi.from_url(f"{live.url}/openapi.json")
    finally:
        live.stop()


def test_no_input_makes_the_server_fail(api_schema: Any) -> None:
    # Driven by hand rather than by schemathesis' pytest plugin, whose lazy fixture support
    # reaches into pytest internals that pytest 9 no longer has.
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 8
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=20,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any) -> None:
            for role in ("county", "inspector"):
                response = case.call(headers={"Authorization": f"Bearer {TOKENS[role]}"})
                assert response.status_code < 500, (
                    f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:500]}"
                )
            if case.path != "/health":
                assert case.call().status_code in (401, 413, 422)

        run()


def test_openapi_lists_the_api(tmp_path: Path) -> None:
    config = ServerConfig(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 's.sqlite3'}")
    live = LiveServer(config)
    live.start()
    try:
        import requests

        paths = requests.get(f"{live.url}/openapi.json", timeout=10).json()["paths"]
    finally:
        live.stop()
    assert {
        "/health",
        "/api/v1/batches",
        "/api/v1/blobs/{sha256}",
        "/api/v1/batches/{batch_id}/commit",
        "/api/v1/pull",
        "/api/v1/evaluations/{uuid}/review",
        "/api/v1/devices",
        "/api/v1/stats",
    } <= set(paths)
