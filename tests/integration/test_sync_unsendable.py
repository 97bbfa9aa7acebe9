"""Text stored before the text policy cannot block sync (issue 16, item 2): an evaluation the
wire now refuses is left out with a message saying which one to correct, and the others go; a
batch left unfinished whose stored content the wire refuses is set aside as refused."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select, text

from fieldapp.domain.records import BatchStatus
from fieldapp.server import models as sm
from fieldapp.storage.models import AnswerRow, Evaluation, SyncBatch
from fieldapp.store import Store
from fieldapp.sync import state
from fieldapp.sync.client import SyncClient, build_manifest
from tests.integration import test_sync_support as support
from tests.integration.test_sync_support import LiveServer, add_account, demo_store, transport

database_url, server_config, live = support.database_url, support.server_config, support.live
demo_cache = support.demo_cache


def test_an_unsendable_evaluation_is_left_out_and_the_rest_arrive(
    live: LiveServer, tmp_path: Path, demo_cache: Path
) -> None:
    token = add_account(live.db(), "县局管理员", "县局", "county")
    folder = demo_store(tmp_path / "client", demo_cache, evaluations=3)
    with Store.open(folder) as store:
        # A batch left unfinished by an older version, holding the same refused text.
        with store.session() as session:
            stale = build_manifest(session, False, 10)
            assert stale is not None
            state.start_batch(session, stale, "online")
            row = session.get(SyncBatch, stale.batch_id)
            assert row is not None and row.manifest_json is not None
            data = json.loads(row.manifest_json)
            data["evaluations"][0]["answers"][0]["note"] = "坏\x00字"
            row.manifest_json = json.dumps(data)
        with store.session() as session:
            bad = session.scalars(select(Evaluation).order_by(Evaluation.id)).first()
            assert bad is not None
            bad_id, bad_uuid = bad.id, bad.uuid
            answer = session.scalars(select(AnswerRow).where(AnswerRow.evaluation_id == bad_id))
            first = answer.first()
            assert first is not None
            # Stored before the policy existed: written the way old data is, past the write path.
            session.execute(
                text("UPDATE answers SET note = :note WHERE id = :id"),
                {"note": "坏\x00字", "id": first.id},
            )
        report = SyncClient(store, transport(live, token)).run()
        assert any(f"评价 {bad_id}" in c and "修订" in c for c in report.conflicts)
        with store.read() as session:
            refused = session.get(SyncBatch, stale.batch_id)
            assert refused is not None and refused.status == BatchStatus.REFUSED
            assert "已搁置" in (refused.error or "")
            pending = {e.uuid for e in state.pending(session)}
    assert pending == {bad_uuid}  # every other evaluation reached the server
    with live.db().session() as server:
        stored = set(server.scalars(select(sm.Evaluation.uuid)))
    assert bad_uuid not in stored and len(stored) >= 2
