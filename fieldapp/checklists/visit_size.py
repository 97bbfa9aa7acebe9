"""How long a visit is, per industry: the items in the table, those the inspector answers and the
photos those answers require, for a unit in a town with no online shop recorded.

``python -m fieldapp.checklists.visit_size [--before FOLDER]`` prints a Markdown table; with
``--before``, the bundled files are first replaced by the folder's (an older version of the
library, e.g. ``tests/data/checklists-before``) and both are shown side by side.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from fieldapp.checklists.loader import BUNDLED_DIR, Library
from fieldapp.domain.links import UnitFacts, Workload, facts_of, workload
from fieldapp.domain.vocab import INDUSTRIES, OTHER_INDUSTRY, UnitType


@dataclass(frozen=True)
class SampleUnit:
    """A unit as the record holds it, for :func:`fieldapp.domain.links.facts_of`."""

    unit_type: str
    industry: str | None
    address: str = "缙云县五云街道新建路12号"
    town: str = "五云街道"
    online_shop_name: str = ""
    online_platform: str = ""
    online_url: str = ""
    cross_store_return: bool = False
    compensation_fund: bool = False
    prudent: bool = False


def samples() -> list[tuple[str, UnitFacts]]:
    """One town unit per industry (a 放心工厂 for manufacturing), and a restaurant in a 村."""
    found: list[tuple[str, UnitFacts]] = []
    for industry in INDUSTRIES:
        if industry.code == OTHER_INDUSTRY:
            continue
        kind = UnitType.FACTORY if industry.factory else UnitType.GENERAL
        found.append((industry.label, facts_of(SampleUnit(kind, industry.code))))
    village = SampleUnit(UnitType.GENERAL, "catering", address="缙云县舒洪镇仁岸村3号")
    found.append(("餐饮（在村）", facts_of(village)))
    found.append(
        ("餐饮（有外卖平台）", facts_of(SampleUnit("general", "catering", online_platform="美团")))
    )
    return found


def size(library: Library, facts: UnitFacts) -> Workload:
    return workload(library.compose(facts.unit_type, facts.industry), facts)


def with_replaced(folder: Path) -> Library:
    """The bundled library with ``folder``'s files in place of those of the same name."""
    with tempfile.TemporaryDirectory() as tmp:
        mixed = Path(tmp) / "bundled"
        shutil.copytree(BUNDLED_DIR, mixed)
        for path in folder.glob("*.toml"):
            shutil.copy(path, mixed / path.name)
        return Library.load(bundled_dir=mixed)


def _less(before: int, after: int) -> str:
    return f"{(before - after) / before:.0%}" if before else "—"


def table(before: Library | None, after: Library) -> str:
    if before is None:
        lines = ["| 单位 | 条目 | 要答 | 必拍照片 |", "|---|---:|---:|---:|"]
        for label, facts in samples():
            now = size(after, facts)
            lines.append(f"| {label} | {now.items} | {now.to_answer} | {now.photos} |")
        return "\n".join(lines)
    lines = [
        "| 单位 | 要答（前→后） | 少 | 必拍照片（前→后） | 少 | 表中条目（后） |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for label, facts in samples():
        old, now = size(before, facts), size(after, facts)
        lines.append(
            f"| {label} | {old.to_answer}→{now.to_answer} | {_less(old.to_answer, now.to_answer)} "
            f"| {old.photos}→{now.photos} | {_less(old.photos, now.photos)} | {now.items} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="每个行业一次检查要答的条目和必拍照片")
    parser.add_argument("--before", type=Path, help="旧版检查表文件夹（替换同名内置文件）")
    args = parser.parse_args(argv)
    before = with_replaced(args.before) if args.before else None
    print(table(before, Library.load()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
