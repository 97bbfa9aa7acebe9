"""Unit filters over evaluations: not evaluated this year, rectification due."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from fieldapp.cli import main
from fieldapp.imports.units import import_units
from fieldapp.services import evaluations as ev
from fieldapp.services import units as unit_service
from fieldapp.services.units import UnitFilter
from fieldapp.store import Store
from tests.unit.test_followups import LATER, finish

SHOP = "92331122MA2A00018H"
FOOD = "91331122MA2A00026F"
THIS_YEAR = date.today().year


@pytest.fixture
def shop_store(store: Store, data_path: Path) -> Store:
    with store.session() as session:
        import_units(session, data_path / "units-sample.csv", actor="测试")
    return store


def codes(session, query: UnitFilter) -> list[str]:  # type: ignore[no-untyped-def]
    found = [u.credit_code for u in unit_service.search(session, query)]
    assert unit_service.count(session, query) == len(found)
    return found


def test_not_evaluated_in_year(shop_store: Store, signature: Path) -> None:
    with shop_store.session() as session:
        everyone = codes(session, UnitFilter())
        shop = unit_service.by_code(session, SHOP)
        done = ev.start(session, shop_store.library, shop, "post_evaluation", "张三")
        finish(shop_store, session, done, signature)
        food = unit_service.by_code(session, FOOD)
        ev.start(session, shop_store.library, food, "routine", "张三")  # a draft does not count
        last_year = ev.start(
            session, shop_store.library, food, "routine", "张三", today=date(THIS_YEAR - 1, 6, 1)
        )
        finish(shop_store, session, last_year, signature)

        assert codes(session, UnitFilter(not_evaluated_in=THIS_YEAR)) == [
            c for c in everyone if c != SHOP
        ]
        assert codes(session, UnitFilter(not_evaluated_in=THIS_YEAR - 1)) == [
            c for c in everyone if c != FOOD
        ]
        assert codes(session, UnitFilter(not_evaluated_in=THIS_YEAR, search="好又多")) == []


def test_rectification_due(shop_store: Store, signature: Path) -> None:
    after = LATER + timedelta(days=1)
    with shop_store.session() as session:
        shop = unit_service.by_code(session, SHOP)
        first = ev.start(session, shop_store.library, shop, "post_evaluation", "张三")
        finish(shop_store, session, first, signature, {"G2": "移出异常名录"})
        food = unit_service.by_code(session, FOOD)
        clean = ev.start(session, shop_store.library, food, "post_evaluation", "张三")
        finish(shop_store, session, clean, signature)

        assert codes(session, UnitFilter(rectification_due=True)) == []  # not due yet
        assert codes(session, UnitFilter(rectification_due=True, as_of=LATER)) == [SHOP]
        assert codes(session, UnitFilter(rectification_due=True, as_of=after)) == [SHOP]

        # Re-checked and still not fixed: a new deadline, not yet due on ``LATER``… then due.
        again = ev.start(session, shop_store.library, shop, "follow_up", "李四")
        finish(shop_store, session, again, signature, {"G2": "再限期"})
        later_due = LATER
        assert codes(session, UnitFilter(rectification_due=True, as_of=later_due)) == [SHOP]
        assert codes(session, UnitFilter(rectification_due=True, as_of=date.today())) == []

        # Fixed: a later finalized follow-up passes it.
        fixed = ev.start(session, shop_store.library, shop, "rectification_recheck", "李四")
        assert fixed.follows_id == again.id
        finish(shop_store, session, fixed, signature)
        assert codes(session, UnitFilter(rectification_due=True, as_of=after)) == []


def test_cli_filters(capsys, shop_store: Store, signature: Path) -> None:  # type: ignore[no-untyped-def]
    with shop_store.session() as session:
        shop = unit_service.by_code(session, SHOP)
        done = ev.start(session, shop_store.library, shop, "post_evaluation", "张三")
        finish(shop_store, session, done, signature, {"G2": "移出异常名录"})
    shop_store.close()
    assert main(["units", "list", "--not-evaluated", "--json"]) == 0
    listed = [u["credit_code"] for u in json.loads(capsys.readouterr().out)]
    assert SHOP not in listed and FOOD in listed
    assert main(["units", "list", "--not-evaluated", "--year", str(THIS_YEAR - 1), "--json"]) == 0
    assert SHOP in [u["credit_code"] for u in json.loads(capsys.readouterr().out)]
    assert main(["units", "list", "--rectification-due"]) == 0
    assert "共 0 家" in capsys.readouterr().out
    assert main(["units", "list", "--year", "2025"]) == 2
