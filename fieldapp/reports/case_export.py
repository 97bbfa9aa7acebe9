"""The 联络站 case ledger (台账) as an Excel workbook or a CSV file, through the export module's
safe writers (:mod:`fieldapp.reports.exports`: text never becomes a live formula, files are
written to a temporary name and renamed when complete).

XLSX: sheet 台账 (one row per case, by 联络站 and 咨询时间) and sheet 汇总 (one row per 联络站
and year: cases, handled, 挽回经济损失). CSV: the 台账 rows only. Money is written in 元 with
two decimals from the stored whole 分 (a number cell in XLSX).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldapp.domain.cases import yuan
from fieldapp.reports.exports import ExportResult, _write_csv, _write_xlsx, check_format
from fieldapp.reports.output import atomic_output
from fieldapp.services import cases as case_service
from fieldapp.services.stations import find_station
from fieldapp.storage.models import Station, Unit
from fieldapp.store import Store

CASE_HEADERS = (
    "台账编号",
    "联络站",
    "统一社会信用代码",
    "所属所",
    "投诉问题类型",
    "咨询人",
    "咨询时间",
    "问题描述",
    "处理时间",
    "处理结果",
    "挽回经济损失（元）",
    "记录人",
    "记录时间",
    "台账UUID",
)
TOTAL_HEADERS = (
    "联络站",
    "统一社会信用代码",
    "所属所",
    "年度",
    "台账条数",
    "已处理",
    "挽回经济损失（元）",
)
_CASE_WIDTHS = (10, 28, 22, 14, 14, 12, 18, 40, 18, 40, 16, 12, 18, 38)
_TOTAL_WIDTHS = (28, 22, 14, 8, 10, 10, 18)


@dataclass(frozen=True)
class _Scope:
    unit: Unit | None
    station: Station | None
    year: int | None


def _money(fen: int) -> Decimal:
    return Decimal(yuan(fen))


def _rows(session: Session, scope: _Scope) -> Iterator[list[Any]]:
    units = {u.uuid: u for u in session.scalars(select(Unit))}
    for case in case_service.list_cases(
        session, scope.unit, year=scope.year, station=scope.station
    ):
        unit = units.get(case.unit_uuid)
        yield [
            case.id,
            unit.name if unit else "",
            unit.credit_code if unit else "",
            unit.station.name if unit else "",
            case.case_type.label,
            case.consultant,
            case.consulted_at,
            case.description,
            case.handled_at,
            case.result,
            _money(case.recovered_fen),
            case.recorded_by,
            case.recorded_at,
            case.uuid,
        ]


def _totals(session: Session, scope: _Scope) -> Iterator[list[Any]]:
    cases = case_service.list_cases(session, scope.unit, year=scope.year, station=scope.station)
    keys = sorted({(c.unit_uuid, c.consulted_at.year) for c in cases})
    units = {
        u.uuid: u for u in session.scalars(select(Unit).where(Unit.uuid.in_([k[0] for k in keys])))
    }
    for unit_uuid, year in keys:
        unit = units.get(unit_uuid)
        totals = case_service.year_totals(session, unit_uuid, year)
        yield [
            unit.name if unit else unit_uuid,
            unit.credit_code if unit else "",
            unit.station.name if unit else "",
            year,
            totals.cases,
            totals.handled,
            _money(totals.recovered_fen),
        ]


def export_cases(
    store: Store,
    out: Path,
    fmt: str,
    *,
    unit_id: int | None = None,
    station: str | None = None,
    year: int | None = None,
) -> ExportResult:
    """The ledger of one 联络站 (``unit_id``), of ``station``'s, or of all, for ``year`` (None:
    every year)."""
    fmt = check_format(fmt)
    out = Path(out)
    with store.read() as session:
        scope = _Scope(
            unit=case_service.station_unit(session, unit_id) if unit_id is not None else None,
            station=find_station(session, station) if station else None,
            year=year,
        )
        with atomic_output(out) as tmp:
            if fmt == "csv":
                rows = _write_csv(tmp, "台账", CASE_HEADERS, _rows(session, scope))
            else:
                rows = _write_xlsx(
                    tmp,
                    ("台账", CASE_HEADERS, _CASE_WIDTHS),
                    _rows(session, scope),
                    ("汇总", TOTAL_HEADERS, _TOTAL_WIDTHS),
                    _totals(session, scope),
                )
    return ExportResult((out,), rows)
