"""Wire form of an evaluation: the same hash at every send, recomputable by the server."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from fieldapp.cli import main as fieldapp_main
from fieldapp.storage.models import Evaluation
from fieldapp.store import Store
from fieldapp.sync import state, wire
from fieldapp.sync.client import apply_receipt, build_manifest
from fieldapp.sync.mapping import wire_evaluation


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "client"
    assert (
        fieldapp_main(["--data-dir", str(target), "demo", "--units", "30", "--evaluations", "2"])
        == 0
    )
    return target


def test_hash_is_the_same_after_reopening_and_over_the_wire(folder: Path) -> None:
    with Store.open(folder) as store, store.read() as session:
        first = [wire_evaluation(session, e, False) for e in session.scalars(select(Evaluation))]
    with Store.open(folder) as store, store.read() as session:
        second = [wire_evaluation(session, e, True) for e in session.scalars(select(Evaluation))]
    assert [e.content_sha256 for e in first] == [e.content_sha256 for e in second]
    for item in second:
        received = wire.WireEvaluation.model_validate_json(item.model_dump_json())
        assert wire.evaluation_hash(received) == item.content_sha256
        assert received.clock_skewed  # the flag travels but is not part of the content
        assert received.finalized_at.tzinfo is not None
        changed = received.model_copy(update={"verdict_text": "改"})
        assert wire.evaluation_hash(changed) != item.content_sha256
        assert set(item.blob_hashes()) == {p.sha256 for p in item.photos} | {
            s.image_sha256 for s in item.signatures
        }


def test_wire_refuses_bad_identifiers() -> None:
    with pytest.raises(ValueError, match="SHA-256"):
        wire.WirePhoto(sha256="../../etc/passwd", width=1, height=1)
    with pytest.raises(ValueError, match="UUID"):
        wire.WireAssignment(unit_uuid="C:\\units\\1", inspector="张三", year=2026)
    with pytest.raises(ValueError):
        wire.WirePin.model_validate({"checklist_id": "x", "version": 0})
    with pytest.raises(ValueError):
        wire.ReviewRequest.model_validate({"status": "deleted"})


def test_synced_only_when_the_receipt_confirms_every_blob(folder: Path) -> None:
    with Store.open(folder) as store:
        with store.session() as session:
            device = state.device_id(session)
            manifest = build_manifest(session, False, 10)
            assert manifest is not None and len(manifest.evaluations) == 2
            assert state.pending_count(session) == 2
            one, two = manifest.evaluations
            missing = two.photos[-1].sha256  # one photo the receipt does not confirm
            expected = [e.uuid for e in manifest.evaluations if missing in e.blob_hashes()]
            receipt = wire.Receipt(
                batch_id=manifest.batch_id,
                accepted=[
                    wire.ReceiptEntry(
                        uuid=e.uuid, content_sha256=e.content_sha256, blobs=e.blob_hashes()
                    )
                    for e in (one, two)
                ],
                blobs=sorted(set(manifest.blob_hashes()) - {missing}),
                conflicts=[],
                unit_changes=[],
                committed_at="2026-11-23T00:00:00Z",  # type: ignore[arg-type]
            )
            apply_receipt(session, manifest, receipt)
        with store.read() as session:
            assert [e.uuid for e in state.pending(session)] == expected
            assert two.uuid in expected
            assert state.device_id(session) == device
