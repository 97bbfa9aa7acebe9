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


# The hash of one fixed evaluation, as the wire computed it before units carried their history:
# an evaluation already on the server must keep its hash (and its printed QR code).
GOLDEN = {
    "uuid": "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee",
    "unit_uuid": "11111111-2222-4333-8444-555555555555",
    "unit_credit_code": "92331122MA2A00018H",
    "station": "五云所",
    "kind": "post_evaluation",
    "inspector": "张三",
    "started_at": "2026-11-23T01:00:00Z",
    "finalized_at": "2026-11-23T02:00:00Z",
    "checklists": [{"checklist_id": "bayou-bawu", "version": 1}],
    "answers": [
        {
            "checklist_id": "bayou-bawu",
            "item_code": "B1",
            "result": "fail",
            "note": "价签缺失",
            "rectify": "补齐价签",
            "due": "2026-12-01",
        }
    ],
    "photos": [
        {
            "sha256": "a" * 64,
            "item_code": "B1",
            "width": 800,
            "height": 600,
            "gps_lat": 28.66,
            "gps_lon": 120.09,
            "taken_at": "2026-11-23T01:10:00",
        }
    ],
    "signatures": [
        {
            "role": "inspector",
            "name": "张三",
            "signed_at": "2026-11-23T02:00:00Z",
            "image_sha256": "b" * 64,
        }
    ],
    "verdict": "rectify",
    "verdict_text": "需整改",
    "content_sha256": "0" * 64,
}
GOLDEN_SHA256 = "5bd5451c6f0b8bbaa2dcf073fcf9a0c1db643f19c5334491bb51be6d24599863"


def test_an_evaluations_hash_is_what_it_was() -> None:
    assert wire.evaluation_hash(wire.WireEvaluation.model_validate(GOLDEN)) == GOLDEN_SHA256


def _unit(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "uuid": "11111111-2222-4333-8444-555555555555",
        "credit_code": "92331122MA2A00018H",
        "name": "缙云县五云好又多超市",
        "station": "五云所",
        "unit_type": "general",
        "state": "cultivating",
        "state_since": "2025-02-10",
    }
    data.update(changes)
    return data


def _event(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "uuid": "22222222-2222-4333-8444-555555555555",
        "kind": "state",
        "to_state": "cultivating",
        "occurred_on": "2025-02-10",
        "actor": "张三",
    }
    data.update(changes)
    return data


def test_units_carry_the_domains_vocabularies_and_their_history() -> None:
    from fieldapp.domain.events import EventKind, Role
    from fieldapp.domain.lifecycle import State
    from fieldapp.domain.review import ReviewStatus
    from fieldapp.domain.vocab import UnitType

    older = wire.WireUnit.model_validate(_unit())  # an older client sends no history
    assert older.events == [] and older.unit_type is UnitType.GENERAL
    assert older.state is State.CULTIVATING and not older.prudent
    unit = wire.WireUnit.model_validate(_unit(events=[_event()], prudent=True))
    assert unit.events[0].kind is EventKind.STATE and unit.events[0].to_state is State.CULTIVATING
    again = wire.WireUnit.model_validate_json(unit.model_dump_json())
    assert again == unit
    assert wire.Role is Role and wire.ReviewStatus is ReviewStatus
    assert (
        wire.WireReview.model_validate(
            {
                "evaluation_uuid": "x",
                "status": "returned",
                "comment": "",
                "reviewed_by": "",
                "reviewed_at": None,
            }
        ).status
        is ReviewStatus.RETURNED
    )


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (_unit(unit_type="xyz"), "单位类型「xyz」未知，可用：general（一般放心消费单位）"),
        (_unit(state="limbo"), "状态「limbo」未知"),
        (_unit(events=[_event(kind="teleport")]), "事件类型「teleport」未知"),
        (_unit(events=[_event(to_state=None)]), "缺少 to_state"),
        (_unit(events=[_event(), _event()]), "出现了两次"),
        (_unit(events=[_event(actor="长" * 65)]), "64"),
    ],
    ids=["unit-type", "state", "event-kind", "state-without-target", "twice", "long"],
)
def test_a_unit_the_domain_does_not_know_is_refused_by_name(
    data: dict[str, object], needle: str
) -> None:
    with pytest.raises(ValueError, match=needle):
        wire.WireUnit.model_validate(data)


def test_review_decisions_and_roles_name_the_choices() -> None:
    with pytest.raises(ValueError, match="审核结果「pending」未知，可用：accepted（已接收）"):
        wire.ReviewRequest.model_validate({"status": "pending"})
    with pytest.raises(ValueError, match="角色「boss」未知"):
        wire.Me.model_validate(
            {"name": "x", "station": "y", "role": "boss", "server_time": "2026-01-01T00:00:00Z"}
        )
