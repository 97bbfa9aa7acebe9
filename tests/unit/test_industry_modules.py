"""Issue 13: an "X" module for every industry the seeds name, reached through the vocabulary.

Seed 000 (绍政办发〔2020〕8号) annex 2 lists 18 industry demonstration types with their 责任单位;
annex 1 and seeds 001 and 003 name more. Each maps (by the words a county's unit list or task table
uses) to an industry code, each code to a bundled module, and a unit of each composes 八有八无 +
"1" + its "X". A module led by a department other than market regulation names it.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from fieldapp.checklists import BUNDLED_DIR, Library, load_file
from fieldapp.checklists.schema import SOURCE_TAG, Checklist
from fieldapp.cli import main
from fieldapp.domain.records import EvaluationKind
from fieldapp.domain.uscc import make_code
from fieldapp.domain.verdict import Answer
from fieldapp.domain.vocab import INDUSTRIES, OTHER_INDUSTRY, UnitType, canon, parse_industry
from fieldapp.imports.units import import_units
from fieldapp.services import evaluations as ev
from fieldapp.services import units as unit_service
from fieldapp.storage.models import ChecklistSnapshot
from fieldapp.store import Store

# Seed 000 annex 2, row by row: (创建类型 as printed, the module, whether the row names a 责任单位
# other than market regulation). 景区 has no figures and no department (按省下达的任务指标另行
# 分解); 旅游商店 is "统一纳入市市场监管局牵头的放心商店创建", so the shop module, led by market
# regulation.
ANNEX_2 = [
    ("放心农贸市场", "x-market", False),
    ("消费品专业市场", "x-market", False),
    ("电视购物", "x-tv-shopping", True),
    ("景区", "x-tourism", True),
    ("旅游商店", "x-retail", False),
    ("旅行社", "x-tourism", True),
    ("电信营业厅", "x-telecom", True),  # rows 7–9: 电信、移动、联通绍兴分公司
    ("客运站", "x-transport", True),
    ("汽车 4S 店", "x-auto", True),  # 市商务局 市市场监管局
    ("保险机构", "x-finance", True),
    ("电力网点", "x-utilities", True),
    ("养老机构", "x-elderly-care", True),
    ("粮油店", "x-grain-oil", True),
    ("快递企业", "x-express", True),
    ("快递网点", "x-express", True),
    ("农资经营店", "x-agri-inputs", True),
]

# Seed 000 annex 1's categories, seed 001's 放心化妆品, and the trades seeds 000 §§14–18 and 003
# §二 name that annex 2 does not (spelled as county lists spell them).
OTHER_SEED_INDUSTRIES = [
    ("农村家宴放心厨房", "x-banquet-kitchen"),
    ("中小学、等级 幼儿园食堂 “智能阳光 厨房”", "x-school-canteen"),
    ("放心化妆品示范经营单位", "x-cosmetics"),
    ("化妆品", "x-cosmetics"),
    ("网约车", "x-transport"),
    ("出租车", "x-transport"),
    ("驾校", "x-transport"),
    ("物业服务", "x-property"),
    ("电影院", "x-culture"),
    ("网吧", "x-culture"),
    ("演出场所", "x-culture"),
    ("医院", "x-medical"),
    ("诊所", "x-medical"),
    ("房地产", "x-real-estate"),
    ("住宅装修", "x-real-estate"),
    ("银行", "x-finance"),
    ("供水", "x-utilities"),
    ("燃气", "x-utilities"),
    ("通信营业厅", "x-telecom"),
]

# The codes stored before issue 13: never renamed.
FIRST_CODES = [
    *("retail", "catering", "online", "market", "tourism", "manufacturing", "pharmacy"),
    *("auto", "beauty_fitness", "education", "other"),
]


@pytest.fixture(scope="module")
def library() -> Library:
    return Library.load()


# A module composed for an industry besides its own: 农村家宴放心厨房 is also given to 餐饮 (a
# restaurant in a 村 may run 家宴), its items 不适用 for one in a town (applies_when 农村).
ALSO_FOR = {("x-banquet-kitchen", "catering")}


def _module_for(library: Library, code: str) -> list[str]:
    return [
        c.id
        for c in (library.latest(cid) for cid in library.ids())
        if c.kind == "module" and code in c.applies.industries and (c.id, code) not in ALSO_FOR
    ]


def _unit_type_for(code: str) -> UnitType:
    return UnitType.FACTORY if code == "manufacturing" else UnitType.GENERAL


# --- checklists list --json ------------------------------------------------------------------


def test_checklists_list_json_shows_25_modules_their_departments_and_item_sources(
    capsys: pytest.CaptureFixture[str], store: Store
) -> None:
    assert main(["checklists", "list", "--json"]) == 0
    entries = json.loads(capsys.readouterr().out)
    modules = {e["id"] for e in entries if e["kind"] == "module"}
    assert len(modules) >= 25
    for entry in entries:
        assert isinstance(entry["responsible"], list)
        assert len(entry["item_list"]) == entry["items"]
        for item in entry["item_list"]:
            assert SOURCE_TAG.match(item["source"]), (entry["id"], item["code"])
            assert {"code", "text", "group", "photo_required", "gate"} <= set(item)
    by_id = {e["id"]: e for e in entries}
    assert by_id["x-express"]["responsible"] == ["邮政管理部门"]
    assert by_id["x-telecom"]["responsible"] == ["电信公司", "移动公司", "联通公司"]
    assert by_id["bayou-bawu"]["responsible"] == []  # market regulation's own
    six = [i["text"] for i in by_id["x-village-station"]["item_list"]]
    assert six[0] == "有维权机构" and six[3] == "有台账记录"


# --- the vocabulary ----------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "module", "elsewhere"), ANNEX_2, ids=[r[0] for r in ANNEX_2])
def test_every_type_of_seed_000_annex_2_maps_to_a_module(
    library: Library, kind: str, module: str, elsewhere: bool
) -> None:
    industry = parse_industry(kind)
    assert industry is not None, kind
    assert module in _module_for(library, industry.code)
    checklist = library.latest(module)
    assert bool(checklist.responsible) is elsewhere, (module, checklist.responsible)


@pytest.mark.parametrize(("text", "module"), OTHER_SEED_INDUSTRIES, ids=lambda v: str(v))
def test_the_other_industries_the_seeds_name_map_to_their_modules(
    library: Library, text: str, module: str
) -> None:
    industry = parse_industry(text)
    assert industry is not None, text
    assert _module_for(library, industry.code) == [module]


def test_every_industry_has_exactly_one_module_and_composes_base_general_and_it(
    library: Library,
) -> None:
    for industry in INDUSTRIES:
        if industry.code == OTHER_INDUSTRY:
            assert _module_for(library, industry.code) == []
            continue
        ids = [c.id for c in library.compose(_unit_type_for(industry.code), industry.code)]
        modules = _module_for(library, industry.code)
        if industry.code == "manufacturing":  # 放心工厂: its module applies by unit type
            assert modules == []
            modules = ["x-factory"]
        assert len(modules) == 1, (industry.code, modules)
        assert ids[:2] == ["bayou-bawu", "general-1"], industry.code
        assert modules[0] in ids[2:], (industry.code, ids)


def test_every_alias_names_one_industry_and_old_codes_are_kept() -> None:
    owner: dict[str, str] = {}
    for industry in INDUSTRIES:
        for alias in (industry.code, industry.label, *industry.aliases):
            key = canon(alias)
            assert owner.setdefault(key, industry.code) == industry.code, (alias, owner[key])
    codes = [i.code for i in INDUSTRIES]
    assert set(FIRST_CODES) <= set(codes)
    assert len(codes) == len(set(codes))


def test_format_md_lists_every_industry_code_and_the_responsible_field() -> None:
    text = (BUNDLED_DIR.parent / "FORMAT.md").read_text("utf-8")
    for industry in INDUSTRIES:
        assert f"`{industry.code}`" in text, industry.code
    assert "`responsible`" in text


# --- a unit list imported, each unit composed ---------------------------------------------------


def test_imported_units_of_every_seed_industry_compose_base_general_and_their_module(
    store: Store, tmp_path: Path
) -> None:
    rows = [(kind, module) for kind, module, _ in ANNEX_2] + OTHER_SEED_INDUSTRIES
    lines = ["统一社会信用代码,单位名称,经营地址,所属所,单位类型,行业"]
    codes = []
    for n, (kind, _) in enumerate(rows, start=1):
        code = make_code("92", "331122", f"MA2B{n:04d}")
        codes.append(code)
        lines.append(f"{code},缙云县测试单位{n}号,缙云县五云街道{n}号,五云所,一般单位,{kind}")
    path = tmp_path / "units.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with store.session() as session:
        result = import_units(session, path, actor="测试")
        assert result.created == len(rows)
        for code, (kind, module) in zip(codes, rows, strict=True):
            unit = unit_service.by_code(session, code)
            ids = [c.id for c in ev.plan_checklists(store.library, unit)]
            assert ids[:2] == ["bayou-bawu", "general-1"], kind
            also = [cid for cid in ids[2:] if (cid, unit.industry) in ALSO_FOR]
            assert [cid for cid in ids[2:] if cid not in also] == [module], (kind, ids)


# --- the schema's new field and the versions of changed files ---------------------------------

FORMAT_EXAMPLE = """
id = "county-extra"
version = 1
title = "县局补充检查项"
kind = "module"
source = "[R] 县局自定"

[applies]
unit_types = ["一般放心消费单位"]
industries = ["餐饮"]

[verdict]
rule = "gates"

[[items]]
code = "K1"
text = "后厨张贴食品安全管理制度"
guidance = "制度上墙，有负责人签名"
evidence = "制度上墙照片"
photo_required = true
source = "[R]"
"""

# The hash FORMAT.md's example had before ``responsible`` existed: a field added to the format
# must not change the content hash of a version already recorded (evaluations pin it).
FORMAT_EXAMPLE_SHA256 = "b8fa1cc87905142db68d121edaf22d5a0506b90c94be398845f7e5036767c7fe"


def test_responsible_is_optional_and_keeps_the_hash_of_files_without_it() -> None:
    example = Checklist.model_validate(tomllib.loads(FORMAT_EXAMPLE))
    assert example.responsible == []
    assert "responsible" not in json.loads(example.canonical_json())
    assert example.content_hash() == FORMAT_EXAMPLE_SHA256
    led = Checklist.model_validate(
        tomllib.loads(
            FORMAT_EXAMPLE.replace(
                'source = "[R] 县局自定"', 'source = "[R] 县局自定"\nresponsible = ["邮政管理部门"]'
            )
        )
    )
    assert led.responsible == ["邮政管理部门"]
    assert led.content_hash() != example.content_hash()
    # The county server hands checklists out as their canonical JSON: the field survives it.
    again = Checklist.model_validate_json(led.canonical_json())
    assert again == led and again.content_hash() == led.content_hash()


def test_an_empty_department_is_refused_naming_the_field(tmp_path: Path) -> None:
    from fieldapp.errors import InvalidInput

    bad = tmp_path / "bad.toml"
    text = FORMAT_EXAMPLE.replace(
        'source = "[R] 县局自定"', 'source = "[R] 县局自定"\nresponsible = [""]'
    )
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        load_file(bad)
    assert any("responsible" in p.message for p in caught.value.problems)


def test_an_evaluation_pinned_to_a_replaced_bundled_version_keeps_it(
    store: Store, tmp_path: Path, data_path: Path
) -> None:
    """A laptop upgraded from the release where x-catering was version 1 (with the 农村家宴 item):
    its store recorded version 1 and an evaluation pinned to it; the new release ships only
    version 2. The old evaluation still reads and answers version 1; a new one gets version 2."""
    previous = tmp_path / "previous-release"
    previous.mkdir()
    for path in BUNDLED_DIR.glob("*.toml"):
        (previous / path.name).write_text(path.read_text("utf-8"), "utf-8")
    current = load_file(BUNDLED_DIR / "x-catering.toml").version
    assert current >= 2
    catering = (BUNDLED_DIR / "x-catering.toml").read_text("utf-8")
    assert f"version = {current}\n" in catering and 'code = "CT8"' not in catering
    (previous / "x-catering.toml").write_text(
        catering.replace(f"version = {current}\n", f"version = {current - 1}\n", 1)
        + '\n[[items]]\ncode = "CT8"\ntext = "农村家宴放心厨房：场所设施、人员和家宴登记符合要求"\n'
        'guidance = "仅农村家宴放心厨房适用。"\nsource = "[S0] 附件1"\n',
        "utf-8",
    )
    old_library = Library.load(bundled_dir=previous)
    assert old_library.problems == []
    diner = "91331122MA2A00026F"  # 缙云县壶镇老街饭店: 餐饮
    with store.session() as session:
        import_units(session, data_path / "units-sample.csv", actor="测试")
        from fieldapp.services import checklists as checklist_service

        assert checklist_service.record_snapshots(session, old_library) == []
        unit = unit_service.by_code(session, diner)
        old = ev.start(session, old_library, unit, EvaluationKind.POST_EVALUATION, "张三")
        old_id = old.id
        assert ("x-catering", current - 1) in [(p.checklist_id, p.version) for p in old.checklists]
    folder = store.folder
    store.close()

    with Store.open(folder) as upgraded, upgraded.session() as session:
        assert upgraded.library.problems == []
        assert [v for (cid, v) in upgraded.library.entries if cid == "x-catering"] == [current]
        assert session.get(ChecklistSnapshot, ("x-catering", current - 1)) is not None
        old = ev.get(session, old_id)
        pinned = {c.id: c for c in ev.checklists_of(session, upgraded.library, old)}
        assert pinned["x-catering"].version == current - 1
        assert pinned["x-catering"].item("CT8").text.startswith("农村家宴放心厨房")
        ev.answer(session, upgraded.library, old, "x-catering:CT8", Answer.NA)
        unit = unit_service.by_code(session, diner)
        fresh = ev.start(session, upgraded.library, unit, EvaluationKind.ROUTINE, "张三")
        versions = {p.checklist_id: p.version for p in fresh.checklists}
        assert versions["x-catering"] == current
