"""Demo units for a whole county: every credit code valid and unique, areas included."""

from __future__ import annotations

from fieldapp.domain import uscc
from fieldapp.services import demo


def test_county_sized_demo_never_repeats_a_credit_code() -> None:
    used: set[str] = set()
    codes = [r["统一社会信用代码"] for r in demo.rows(50_000, used=used)]
    codes += [r["统一社会信用代码"] for r in demo.area_rows(used=used)]
    assert len(codes) == len(set(codes)) == 50_000 + len(list(demo.area_rows()))
    assert all(uscc.validate(code).valid for code in codes[::997])
