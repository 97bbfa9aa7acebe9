"""Adding a unit found on site: the import's row validation, 选育池, and a history event."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fieldapp.cli import main
from fieldapp.errors import InvalidInput
from fieldapp.imports.units import import_units
from fieldapp.services import units as unit_service
from fieldapp.store import Store

NEW = "92331122MA2A00085F"  # a valid code not in units-sample.csv


@pytest.fixture
def sample(store: Store, data_path: Path) -> Store:
    with store.session() as session:
        import_units(session, data_path / "units-sample.csv", actor="测试")
    return store


def values(**changes: str) -> dict[str, str]:
    base = {
        "credit_code": NEW,
        "name": "缙云县五云新开便利店",
        "station": "五云所",
        "unit_type": "一般单位",
        "industry": "超市",
        "address": "五云街道新建路1号",
        "contact_person": "赵六",
        "contact_phone": "13857800009",
    }
    return base | changes


def test_add_unit_starts_in_candidate_with_an_event(sample: Store) -> None:
    with sample.session() as session:
        unit = unit_service.add_unit(session, values(), actor="张三")
        assert (unit.state, unit.unit_type, unit.industry, unit.station.name) == (
            "candidate",
            "general",
            "retail",
            "五云所",
        )
        assert [(e.from_state, e.to_state, e.actor, e.reason) for e in unit.events] == [
            (None, "candidate", "张三", unit_service.ADD_REASON)
        ]
        found = unit_service.search(session, unit_service.UnitFilter("新开便利"))
        assert [u.credit_code for u in found] == [NEW]


def test_add_unit_validates_like_the_import(sample: Store) -> None:
    with sample.session() as session:
        with pytest.raises(InvalidInput) as caught:
            unit_service.add_unit(
                session,
                values(credit_code="123", unit_type="小卖部", industry="", contact_phone="12"),
                actor="张三",
            )
        text = str(caught.value)
        assert "列「统一社会信用代码」" in text and "列「单位类型」" in text
        assert "列「联系电话」" in text and "未知的单位类型「小卖部」" in text
        with pytest.raises(InvalidInput, match="列「单位名称」：单位名称不能为空"):
            unit_service.add_unit(session, values(name="  "), actor="张三")
        with pytest.raises(InvalidInput, match="没有名为「五云」的所"):
            unit_service.add_unit(session, values(station="五云"), actor="张三")
        with pytest.raises(InvalidInput, match="缙云县五云好又多超市"):
            unit_service.add_unit(session, values(credit_code="92331122MA2A00018H"), actor="张三")


def test_cli_units_add(capsys, sample: Store) -> None:  # type: ignore[no-untyped-def]
    sample.close()
    argv = ["units", "add", "--code", NEW, "--name", "缙云县五云新开便利店", "--station", "五云所"]
    assert main([*argv, "--type", "一般单位", "--industry", "超市", "--phone", "13857800009"]) == 0
    assert "选育池" in capsys.readouterr().out
    assert main(["units", "show", NEW, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["state"] == "candidate" and data["contact_phone"] == "13857800009"
    assert main([*argv, "--type", "一般单位"]) == 1
    assert "已有单位" in capsys.readouterr().err
    with pytest.raises(SystemExit) as caught:
        main(["units", "add", "--code", NEW])
    assert caught.value.code == 2
