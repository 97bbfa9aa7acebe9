"""Bad input to the county server: each gets a 4xx with a clear message, and nothing is written."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import func, select

from fieldapp.server import accounts
from fieldapp.server import models as sm
from fieldapp.server.config import ServerConfig
from fieldapp.sync import wire
from tests.integration.test_sync_support import LiveServer

BLOB = b"\xff\xd8\xff\xe0 a photo of a licence"
SHA = hashlib.sha256(BLOB).hexdigest()
UNIT = "11111111-2222-4333-8444-555555555555"
EVAL = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"


class Http:
    """Real HTTP to the live server, with the few calls these tests make."""

    def __init__(self, live: LiveServer) -> None:
        self.live = live
        self.session = requests.Session()

    @property
    def db(self) -> Any:
        return self.live.db()

    def _call(self, method: str, path: str, **kw: Any) -> requests.Response:
        if "content" in kw:
            kw["data"] = kw.pop("content")
        return self.session.request(method, f"{self.live.url}{path}", timeout=30, **kw)

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self._call("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> requests.Response:
        return self._call("POST", path, **kw)

    def put(self, path: str, **kw: Any) -> requests.Response:
        return self._call("PUT", path, **kw)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[Http, ServerConfig, dict[str, str]]]:
    config = ServerConfig(
        data_dir=tmp_path / "server",
        database_url=f"sqlite:///{tmp_path / 'server.sqlite3'}",
        max_json_bytes=64 * 1024,
        max_blob_bytes=1024,
    )
    config.data_dir.mkdir()
    live = LiveServer(config)
    live.start()
    tokens = {}
    with live.db().session() as session:
        for name, station, role in (
            ("张三", "五云所", "inspector"),
            ("李四", "壶镇分局", "inspector"),
            ("县局", "县局", "county"),
        ):
            tokens[name] = accounts.add_user(session, name, station, role)[1]
        session.add(
            sm.Unit(
                uuid=UNIT,
                credit_code="92331122MA2A00018H",
                station="五云所",
                name="缙云县五云好又多超市",
                data_json=wire.canonical_json(_unit().model_dump(mode="json")),
                version=1,
                seq=0,
            )
        )
    http = Http(live)
    try:
        yield http, config, tokens
    finally:
        http.session.close()
        live.stop()


def _unit() -> wire.WireUnit:
    return wire.WireUnit(
        uuid=UNIT,
        credit_code="92331122MA2A00018H",
        name="缙云县五云好又多超市",
        station="五云所",
        unit_type="general",
    )


def _evaluation(**changes: Any) -> wire.WireEvaluation:
    data: dict[str, Any] = {
        "uuid": EVAL,
        "unit_uuid": UNIT,
        "unit_credit_code": "92331122MA2A00018H",
        "station": "五云所",
        "kind": "post_evaluation",
        "inspector": "张三",
        "started_at": "2026-11-23T01:00:00Z",
        "finalized_at": "2026-11-23T02:00:00Z",
        "checklists": [{"checklist_id": "bayou-bawu", "version": 1}],
        "answers": [{"checklist_id": "bayou-bawu", "item_code": "B1", "result": "pass"}],
        "photos": [{"sha256": SHA, "item_code": "B1", "width": 800, "height": 600}],
        "signatures": [],
        "verdict": "pass",
        "content_sha256": "0" * 64,
    }
    data.update(changes)
    draft = wire.WireEvaluation.model_validate(data)
    return draft.model_copy(update={"content_sha256": wire.evaluation_hash(draft)})


def _manifest(evaluation: wire.WireEvaluation | None = None) -> dict[str, Any]:
    manifest = wire.Manifest(
        batch_id="12345678-1234-4234-8234-123456789abc",
        device=wire.DeviceReport(
            device_id="87654321-4321-4321-8321-cba987654321",
            unsynced=1,
            client_time="2026-11-23T02:00:00Z",  # type: ignore[arg-type]
        ),
        evaluations=[evaluation or _evaluation()],
    )
    return manifest.model_dump(mode="json")


def _written(config: ServerConfig, client: Http) -> dict[str, int]:
    db = client.db
    with db.session() as session:
        counts = {
            model.__tablename__: int(session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (sm.Evaluation, sm.Blob, sm.Batch, sm.Conflict, sm.UnitChange)
        }
    counts["files"] = sum(1 for p in config.blob_dir.rglob("*") if p.is_file())
    counts["tmp"] = sum(1 for _ in config.tmp_dir.iterdir())
    return counts


NOTHING = {
    "evaluations": 0,
    "blobs": 0,
    "batches": 0,
    "conflicts": 0,
    "unit_changes": 0,
    "files": 0,
    "tmp": 0,
}


def _auth(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **extra}


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (b"{not json", "不是有效的 JSON"),
        (json.dumps({"batch_id": 5}).encode(), "字段"),
        (json.dumps({**_manifest(), "extra": 1}).encode(), "多余的字段"),
        ('{"batch_id": "好"}'.encode("gbk"), "无法解析"),
    ],
    ids=["malformed", "wrong-types", "unknown-field", "not-utf-8"],
)
def test_malformed_or_mistyped_json(server: Any, body: bytes, needle: str) -> None:
    client, config, tokens = server
    response = client.post(
        "/api/v1/batches",
        content=body,
        headers=_auth(tokens["张三"], **{"Content-Type": "application/json"}),
    )
    assert response.status_code == 422 and needle in response.json()["detail"]
    assert _written(config, client) == NOTHING


def test_oversized_bodies(server: Any) -> None:
    client, config, tokens = server
    big = json.dumps({**_manifest(), "pad": "x" * 100_000}).encode()
    response = client.post(
        "/api/v1/batches",
        content=big,
        headers=_auth(tokens["张三"], **{"Content-Type": "application/json"}),
    )
    assert response.status_code == 413 and "上限" in response.json()["detail"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        for _ in range(4):
            yield b"z" * 512

    response = client.put(f"/api/v1/blobs/{SHA}", content=chunks(), headers=_auth(tokens["张三"]))
    assert response.status_code == 413
    assert _written(config, client) == NOTHING

    def json_chunks() -> Iterator[bytes]:  # a JSON body sent chunked: 413 too, not 400
        yield big[: len(big) // 2]
        yield big[len(big) // 2 :]

    response = client.post(
        "/api/v1/batches",
        content=json_chunks(),
        headers=_auth(tokens["张三"], **{"Content-Type": "application/json"}),
    )
    assert response.status_code == 413 and "上限" in response.json()["detail"]
    assert _written(config, client) == NOTHING


def test_blob_whose_bytes_do_not_match_its_hash(server: Any) -> None:
    client, config, tokens = server
    response = client.put(
        f"/api/v1/blobs/{SHA}", content=BLOB + b"!", headers=_auth(tokens["张三"])
    )
    assert response.status_code == 422 and "与其哈希不符" in response.json()["detail"]
    assert _written(config, client) == NOTHING
    response = client.put(f"/api/v1/blobs/{SHA}", content=BLOB, headers=_auth(tokens["张三"]))
    assert response.status_code == 200 and response.json()["created"] is True


@pytest.mark.parametrize("name", ["..%2F..%2Fetc%2Fpasswd", "a" * 63 + "%2F", "ABC", "..."])
def test_path_like_blob_name(server: Any, name: str) -> None:
    client, config, tokens = server
    response = client.put(f"/api/v1/blobs/{name}", content=BLOB, headers=_auth(tokens["张三"]))
    assert 400 <= response.status_code < 500
    assert _written(config, client) == NOTHING


def test_content_hash_that_does_not_match(server: Any) -> None:
    client, config, tokens = server
    body = _manifest()
    body["evaluations"][0]["inspector"] = "王五"  # changed after hashing
    response = client.post("/api/v1/batches", json=body, headers=_auth(tokens["张三"]))
    assert response.status_code == 422 and "内容哈希不符" in response.json()["detail"]
    assert _written(config, client) == NOTHING


def test_token_of_another_station(server: Any) -> None:
    """Another station's records are refused one by one in the receipt (why, in Chinese), the
    rest of the batch is stored, and nothing of the refused record is written."""
    client, config, tokens = server
    client.put(f"/api/v1/blobs/{SHA}", content=BLOB, headers=_auth(tokens["张三"]))
    before = _written(config, client)
    body = _manifest()
    checked = client.post("/api/v1/batches", json=body, headers=_auth(tokens["李四"]))
    assert checked.status_code == 200 and checked.json()["missing_blobs"] == []
    response = client.post(
        "/api/v1/batches/12345678-1234-4234-8234-123456789abc/commit",
        json=body,
        headers=_auth(tokens["李四"]),
    )
    assert response.status_code == 200
    receipt = response.json()
    assert receipt["accepted"] == [] and receipt["blobs"] == []
    (refusal,) = receipt["conflicts"]
    assert refusal["subject"] == EVAL and "五云所" in refusal["message"]
    assert "无权访问" in refusal["message"] and "其他记录照常上传" in refusal["message"]
    after = _written(config, client)
    for kept in ("evaluations", "blobs", "conflicts", "unit_changes", "files"):
        assert after[kept] == before[kept], kept
    response = client.get("/api/v1/evaluations?station=五云所", headers=_auth(tokens["李四"]))
    assert response.status_code == 403
    # The right station's inspector gets it through, and a re-send returns the same receipt.
    own = {
        **body,
        "batch_id": "22345678-1234-4234-8234-123456789abc",
        "device": {**body["device"], "device_id": "97654321-4321-4321-8321-cba987654321"},
    }
    first = client.post(
        body_path := "/api/v1/batches/22345678-1234-4234-8234-123456789abc/commit",
        json=own,
        headers=_auth(tokens["张三"]),
    )
    again = client.post(body_path, json=own, headers=_auth(tokens["张三"]))
    assert first.status_code == 200 and first.json() == again.json()
    assert [e["uuid"] for e in first.json()["accepted"]] == [EVAL]


def test_no_token_or_bad_token(server: Any) -> None:
    client, _config, _tokens = server
    assert client.get("/health").status_code == 200
    response = client.get("/api/v1/pull")
    assert response.status_code == 401 and "令牌" in response.json()["detail"]
    response = client.get("/api/v1/pull", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401 and "令牌无效" in response.json()["detail"]


def test_same_uuid_other_content_is_a_conflict_not_an_overwrite(server: Any) -> None:
    client, _config, tokens = server
    client.put(f"/api/v1/blobs/{SHA}", content=BLOB, headers=_auth(tokens["张三"]))
    body = _manifest()
    path = f"/api/v1/batches/{body['batch_id']}/commit"
    assert client.post(path, json=body, headers=_auth(tokens["张三"])).status_code == 200
    changed = _manifest(_evaluation(verdict_text="改过的结论"))
    changed["batch_id"] = "22345678-1234-4234-8234-123456789abc"
    response = client.post(
        f"/api/v1/batches/{changed['batch_id']}/commit", json=changed, headers=_auth(tokens["张三"])
    )
    receipt = response.json()
    assert response.status_code == 200 and receipt["accepted"] == []
    assert (
        receipt["conflicts"][0]["subject"] == EVAL
        and "未覆盖" in receipt["conflicts"][0]["message"]
    )
    with client.db.session() as session:
        stored = session.get(sm.Evaluation, EVAL)
        assert stored is not None and "改过的结论" not in stored.content_json
    # The same batch id with other content is refused outright.
    changed["batch_id"] = body["batch_id"]
    response = client.post(path, json=changed, headers=_auth(tokens["张三"]))
    assert response.status_code == 409 and "不同的内容" in response.json()["detail"]


def test_commit_with_blobs_missing_is_refused(server: Any) -> None:
    client, config, tokens = server
    body = _manifest()
    answer = client.post("/api/v1/batches", json=body, headers=_auth(tokens["张三"]))
    assert answer.json()["missing_blobs"] == [SHA]
    response = client.post(
        f"/api/v1/batches/{body['batch_id']}/commit", json=body, headers=_auth(tokens["张三"])
    )
    assert response.status_code == 409 and "还缺 1 个" in response.json()["detail"]
    assert _written(config, client) == NOTHING


def test_revision_names_the_one_it_replaces(server: Any) -> None:
    client, _config, tokens = server
    client.put(f"/api/v1/blobs/{SHA}", content=BLOB, headers=_auth(tokens["张三"]))
    revision = _evaluation(uuid="bbbbbbbb-bbbb-4ccc-8ddd-eeeeeeeeeeee", replaces_uuid=EVAL)
    body = _manifest(revision)
    response = client.post(
        f"/api/v1/batches/{body['batch_id']}/commit", json=body, headers=_auth(tokens["县局"])
    )
    assert response.status_code == 200
    listed = client.get("/api/v1/evaluations", headers=_auth(tokens["县局"])).json()
    assert listed[0]["replaces_uuid"] == EVAL


def test_inspector_cannot_review(server: Any) -> None:
    client, _config, tokens = server
    response = client.post(
        f"/api/v1/evaluations/{EVAL}/review",
        json={"status": "accepted"},
        headers=_auth(tokens["张三"]),
    )
    assert response.status_code == 403 and "不能审核" in response.json()["detail"]
