"""Bundled checklists: they load, compose into 八有八无 + "1" + "X", and cite their sources."""

from __future__ import annotations

import pytest

from fieldapp.checklists import BUNDLED_DIR, Library, load_file
from fieldapp.checklists.schema import SOURCE_TAG
from fieldapp.domain.vocab import UnitType

BUNDLED_FILES = sorted(BUNDLED_DIR.glob("*.toml"))

EXPECTED_IDS = {
    "bayou-bawu",
    "general-1",
    "x-retail",
    "x-catering",
    "x-online",
    "x-market",
    "x-tourism",
    "x-factory",
    "x-pharmacy",
    "x-auto",
    "x-beauty-fitness",
    "x-education",
    "x-no-reason-return",
    "x-district",
    "x-village",
    "x-village-station",
    # Industries the seeds name besides (issue 13): seed 000 annexes 1–2 and §§5–21, 001, 003.
    "x-cosmetics",
    "x-agri-inputs",
    "x-grain-oil",
    "x-telecom",
    "x-express",
    "x-finance",
    "x-utilities",
    "x-elderly-care",
    "x-transport",
    "x-property",
    "x-culture",
    "x-medical",
    "x-real-estate",
    "x-tv-shopping",
    "x-school-canteen",
    "x-banquet-kitchen",
}

# Bundled files changed since their first release: each is a new version (evaluations pinned to
# the old one keep reading it from the store's snapshot). Every other file is still version 1.
VERSIONS = {
    "bayou-bawu": 2,  # B3a 同 Q1、Q2 and B8b 同 G1、G2 (same_as)
    "general-1": 2,  # P2, Q5, V3, C4 answered through 八有八无; P1, Q4, C3 applies_when
    "x-catering": 3,  # 2: 农村家宴放心厨房 moved out; 3: CT4 同 B5a, CT6 同 Q2, CT5 线上销售
    "x-banquet-kitchen": 2,  # also for 餐饮, each item applies_when 农村
    "x-tourism": 2,  # responsible (seed 000 annex 2)
    "x-auto": 2,  # responsible (seed 000 annex 2)
    "x-village": 2,  # the chapters of DB33/T 2219—2019
    "x-village-station": 2,  # the 六有 verbatim
}

# The chapters of DB33/T 2219—2019 (table of contents, P22), in order.
DB33_2219_CHAPTERS = [
    "5 基本要求",
    "6 组织建设",
    "7 环境建设",
    "8 经营与服务管理",
    "9 质量与安全管理",
    "10 宣传与教育管理",
    "11 信息与标识管理",
    "12 投诉与监督管理",
    "附录A 消费维权站（点）工作职责",
]

# Verbatim from 舟市监发〔2022〕19号 §二, quoting 浙市监消〔2021〕17号 (P23).
SIX_MUSTS = "有维权机构、有工作制度，有工作人员、有台账记录，有培训指导、有考评测评"

# Verbatim from seed 002 (缙市监〔2023〕42号 §二(二)).
BAYOU_BAWU_PAIRS = [
    "有证照明示，无乱摆乱放",
    "有承诺公示，无虚假宣传",
    "有清晰追溯，无三无产品",
    "有质量保证，无假冒伪劣",
    "有明码标价，无价格欺诈",
    "有公平计量，无短斤缺两",
    "有纠纷快处，无维权障碍",
    "有放心消费，无烦心闹心",
]

GENERAL_CODES = [
    *("S1", "S2", "S3"),
    *("Q1", "Q2", "Q3", "Q4", "Q5"),
    *("P1", "P2", "P3"),
    *("V1", "V2", "V3", "V4"),
    *("W1", "W2", "W3"),
    *("C1", "C2", "C3", "C4"),
    *("G1", "G2", "G3", "G4"),
]


@pytest.fixture(scope="module")
def library() -> Library:
    return Library.load()


@pytest.mark.parametrize("path", BUNDLED_FILES, ids=lambda p: p.name)
def test_every_bundled_file_loads(path):
    checklist = load_file(path)
    assert checklist.version == VERSIONS.get(checklist.id, 1)
    assert path.stem == checklist.id


@pytest.mark.parametrize("path", BUNDLED_FILES, ids=lambda p: p.name)
def test_every_item_has_guidance_and_a_source_tag(path):
    checklist = load_file(path)
    assert SOURCE_TAG.match(checklist.source)
    for item in checklist.items:
        assert SOURCE_TAG.match(item.source), f"{checklist.id} {item.code}: {item.source}"
        assert item.source.lstrip().startswith("["), f"{checklist.id} {item.code}"
        assert item.guidance, f"{checklist.id} {item.code} has no guidance"


def test_library_loads_without_problems(library):
    assert library.problems == []


def test_bundled_ids_are_exactly_the_expected_set(library):
    assert set(library.ids()) == EXPECTED_IDS
    assert len(BUNDLED_FILES) == len(EXPECTED_IDS)


def test_bayou_bawu_pairs_are_verbatim_from_seed_002(library):
    checklist = library.latest("bayou-bawu")
    assert len(checklist.items) == 16
    assert checklist.verdict.rule == "all_pass"
    texts = [item.text for item in checklist.items]
    joined = [f"{texts[i]}，{texts[i + 1]}" for i in range(0, 16, 2)]
    assert joined == BAYOU_BAWU_PAIRS


def test_general_standard_codes_and_gates(library):
    checklist = library.latest("general-1")
    assert checklist.kind == "general"
    assert checklist.verdict.rule == "gates"
    assert [item.code for item in checklist.items] == GENERAL_CODES
    gates = {item.code: item for item in checklist.items if item.gate}
    assert set(gates) == {"G1", "G2", "G3", "G4"}
    assert gates["G4"].gate_effect == "warn"
    assert all(gates[code].gate_effect == "veto" for code in ("G1", "G2", "G3"))


def test_village_station_has_the_six_musts(library):
    checklist = library.latest("x-village-station")
    assert checklist.verdict.rule == "all_pass"
    assert [item.code for item in checklist.items] == [f"LY{n}" for n in range(1, 7)]
    texts = [item.text for item in checklist.items]
    assert texts == [
        "有维权机构",
        "有工作制度",
        "有工作人员",
        "有台账记录",
        "有培训指导",
        "有考评测评",
    ]
    # The six read back as the document prints them, punctuation and all.
    printed = "、".join(texts[0:2]) + "，" + "、".join(texts[2:4]) + "，" + "、".join(texts[4:6])
    assert printed == SIX_MUSTS
    assert all(item.source.startswith("[P23]") for item in checklist.items)


def test_village_follows_the_chapters_of_db33_t_2219(library):
    checklist = library.latest("x-village")
    groups = list(dict.fromkeys(item.group for item in checklist.items))
    assert groups == DB33_2219_CHAPTERS  # every chapter has items, in the standard's order
    for item in checklist.items:
        assert item.source.startswith("[P22]"), item.code
        chapter = item.group.split()[0]  # "5" … "12", "附录A"
        assert item.code.startswith(f"VL{chapter.removeprefix('附录')}."), item.code


def test_compose_general_catering(library):
    ids = [c.id for c in library.compose(UnitType.GENERAL, "catering")]
    assert ids == ["bayou-bawu", "general-1", "x-catering", "x-banquet-kitchen"]


def test_banquet_kitchen_is_its_own_module_not_a_line_in_catering(library):
    catering = library.latest("x-catering")
    assert not any("家宴" in item.text for item in catering.items)
    ids = [c.id for c in library.compose(UnitType.GENERAL, "banquet_kitchen")]
    assert ids == ["bayou-bawu", "general-1", "x-banquet-kitchen"]


def test_compose_factory_includes_factory_module(library):
    ids = [c.id for c in library.compose(UnitType.FACTORY, "manufacturing")]
    assert ids[:2] == ["bayou-bawu", "general-1"]
    assert "x-factory" in ids


def test_compose_village_station_is_only_the_six_musts(library):
    ids = [c.id for c in library.compose(UnitType.VILLAGE_STATION, None)]
    assert ids == ["x-village-station"]


def test_compose_no_reason_return_retail(library):
    ids = [c.id for c in library.compose(UnitType.NO_REASON_RETURN, "retail")]
    assert "x-no-reason-return" in ids
    assert "x-retail" in ids
    assert ids[:2] == ["bayou-bawu", "general-1"]
