"""A shorter visit over real sync (issue 13): an evaluation whose items are answered through others
(同 B5a), made 不适用 by the unit's facts, and whose one photo serves three items (three records,
one file) reaches the county server whole, with the photo uploaded once."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image, ImageDraw
from sqlalchemy import select

from fieldapp.domain.uscc import make_code
from fieldapp.imports.units import import_units
from fieldapp.server import models as sm
from fieldapp.services import evaluations as ev
from fieldapp.services import units as unit_service
from fieldapp.store import Store
from fieldapp.sync.client import SyncClient
from tests.conftest import DATA
from tests.integration import test_sync_support as support
from tests.integration.test_sync_support import (
    LiveServer,
    add_account,
    assert_server_matches,
    transport,
)

database_url, server_config, live = support.database_url, support.server_config, support.live

TOWN = make_code("92", "331122", "MA2C0004")
PHOTO = DATA / "photos" / "Landscape_6.jpg"


def _signature(path: Path) -> Path:
    image = Image.new("RGBA", (200, 80), (255, 255, 255, 0))
    ImageDraw.Draw(image).line((10, 60, 190, 20), fill=(0, 0, 0, 255), width=4)
    image.save(path)
    return path


def test_linked_answers_and_a_photo_on_three_items_sync_whole(
    live: LiveServer, tmp_path: Path
) -> None:
    units = tmp_path / "units.csv"
    units.write_text(
        "统一社会信用代码,单位名称,经营地址,乡镇,所属所,单位类型,行业\n"
        f"{TOWN},缙云县五云好味饭店,缙云县五云街道新建路12号,五云街道,五云所,一般单位,餐饮\n",
        encoding="utf-8",
    )
    signature = _signature(tmp_path / "sig.png")
    token = add_account(live.db(), "县局管理员", "县局", "county")
    with Store.open(tmp_path / "client", create=True) as store:
        with store.session() as session:
            import_units(session, units, actor="测试")
        with store.session() as session:
            unit = unit_service.by_code(session, TOWN)
            evaluation = ev.start(session, store.library, unit, "后评价", "张三")
            answered = {(a.checklist_id, a.item_code) for a in evaluation.answers}  # 不适用
            for checklist in ev.checklists_of(session, store.library, evaluation):
                for item in checklist.items:
                    if item.same_as or (checklist.id, item.code) in answered:
                        continue
                    result = "pass" if item.code in ("B7a", "W2", "W3") else "na"
                    ev.answer(
                        session, store.library, evaluation, f"{checklist.id}:{item.code}", result
                    )
            (photo,) = ev.attach(
                session, store.photos, evaluation, [PHOTO], "B7a", library=store.library
            )
            ev.link_photo(session, store.library, evaluation, photo.id, ["W2", "W3"])
            ev.sign(session, store.signatures, evaluation, "inspector", "张三", signature)
            ev.sign(session, store.signatures, evaluation, "unit", "李强", signature)
            ev.finalize(session, store.library, evaluation)
            uuid = evaluation.uuid
        report = SyncClient(store, transport(live, token)).run()
        assert report.accepted == 1 and not report.conflicts
        assert_server_matches(live, store)
    with live.db().session() as session:
        row = session.scalar(select(sm.Evaluation).where(sm.Evaluation.uuid == uuid))
        assert row is not None
        content = json.loads(row.content_json)
    photos = content["photos"]
    assert sorted(p["item_code"] for p in photos) == ["B7a", "W2", "W3"]
    assert len({p["sha256"] for p in photos}) == 1
    answers = {a["item_code"]: (a["result"], a["note"]) for a in content["answers"]}
    assert answers["P2"] == ("na", "同 B5a")
    assert answers["JY1"][1].startswith("自动判不适用：")
