"""Realistic demo units for training and benchmarks: Jinyun's nine stations, valid credit codes.

The rows are written as a spreadsheet and go through the same import as a county's real file, so
a demo store is exactly what an import would make. Random but repeatable (``seed``).
"""

from __future__ import annotations

import csv
import random
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from fieldapp.domain import lifecycle, uscc
from fieldapp.domain.lifecycle import State

JINYUN_REGION = "331122"

# station, its town, its share of the county's units (seed 002 task table), street names
STATIONS: tuple[tuple[str, str, int, tuple[str, ...]], ...] = (
    ("五云所", "五云街道", 375, ("解放街", "仁岸路", "五云路", "丽缙大道", "东门路")),
    ("壶镇分局", "壶镇镇", 333, ("壶川路", "壶镇大道", "老街", "工业园区")),
    ("仙都所", "仙都街道", 67, ("仙都路", "黄龙路", "鼎湖路")),
    ("新碧所", "新碧街道", 81, ("新碧路", "工业区大道", "碧川街")),
    ("新建所", "新建镇", 81, ("新建路", "笕川街")),
    ("舒洪所", "舒洪镇", 57, ("舒洪路", "仁岸村")),
    ("东渡所", "东渡镇", 56, ("东渡街", "镇前路")),
    ("东方所", "东方镇", 36, ("东方路", "溪口街")),
    ("双溪口所", "双溪口乡", 36, ("双溪路", "乡政府街")),
)

INDUSTRY_SUFFIXES: dict[str, tuple[str, ...]] = {
    "商场超市/商店": ("超市", "便利店", "百货商店", "副食品店", "五金店", "服装店", "母婴用品店"),
    "餐饮": ("饭店", "小吃店", "面馆", "农家乐", "餐厅", "烧饼店", "土菜馆"),
    "网店/电商/直播": ("电子商务有限公司", "网店", "直播电商工作室"),
    "农贸市场/专业市场": ("农贸市场", "小商品市场"),
    "景区/旅游": ("民宿", "宾馆", "旅行社", "大酒店"),
    "药店/医药": ("大药房", "药店", "医药连锁店"),
    "汽车销售维修": ("汽车维修服务部", "汽车销售服务有限公司", "汽车美容店"),
    "美容美发/健身": ("美发店", "美容院", "健身会所"),
    "教育培训": ("培训学校", "教育咨询有限公司"),
}
FACTORY_SUFFIXES = ("食品有限公司", "五金制品厂", "机械有限公司", "工艺品有限公司", "农产品加工厂")
WORDS = (
    "华联",
    "永盛",
    "好又多",
    "鑫源",
    "利民",
    "百姓",
    "金鼎",
    "仙都",
    "黄龙",
    "好溪",
    "丰收",
    "顺发",
    "兴旺",
    "惠民",
    "正大",
    "富源",
    "宏达",
    "新华",
    "明珠",
    "瑞丰",
    "恒信",
    "佳美",
    "康乐",
    "安心",
    "乐购",
    "家家福",
    "老字号",
    "鼎湖",
    "笕川",
    "云峰",
    "溪口",
    "红星",
    "东升",
)
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段漕钱汤尹黎易常武乔贺赖龚文"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国红梅林峰飞鹏辉波斌宇浩凯"

STATE_WEIGHTS: tuple[tuple[State, int], ...] = (
    (State.CANDIDATE, 8),
    (State.CULTIVATING, 24),
    (State.COMMITTED, 20),
    (State.EVALUATING, 14),
    (State.CONFIRMED, 24),
    (State.STARRED, 3),
    (State.WARNING, 4),
    (State.REMOVED, 2),
    (State.CLOSED, 1),
)

HEADERS = (
    "统一社会信用代码",
    "单位名称",
    "门店名称",
    "经营地址",
    "乡镇",
    "所属所",
    "单位类型",
    "行业",
    "负责人",
    "联系电话",
    "网店名称",
    "平台",
    "链接",
    "退货期限",
    "状态",
    "入库日期",
    "状态日期",
)


# Bodies MA2dddd? give 310,000 codes; past this many handed out, drawing a free one slows down and
# past 310,000 never ends, so a province-sized demo (500,000 units) draws MA3 to MA9 as well.
_MA2_ONLY = 200_000


def _org_code(rng: random.Random, used: set[str]) -> str:
    while True:
        body = (
            "MA"
            + ("2" if len(used) < _MA2_ONLY else rng.choice("3456789"))
            + "".join(rng.choice("0123456789") for _ in range(4))
            + rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY")
        )
        if body not in used:
            used.add(body)
            return body


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _phone(rng: random.Random) -> str:
    if rng.random() < 0.8:
        return rng.choice(("13", "15", "18", "17")) + "".join(
            rng.choice("0123456789") for _ in range(9)
        )
    return "0578-3" + "".join(rng.choice("0123456789") for _ in range(6))


def rows(
    count: int, *, seed: int = 2023, today: date | None = None, used: set[str] | None = None
) -> Iterator[dict[str, str]]:
    """``count`` demo unit rows keyed by the Chinese headers a county file uses.

    ``used`` collects the organisation-code bodies handed out, so rows made by several calls
    (units, then areas) never share a credit code.
    """
    rng = random.Random(seed)
    today = today or date.today()
    used = set() if used is None else used
    weights = [s[2] for s in STATIONS]
    states = [s for s, _ in STATE_WEIGHTS]
    state_weights = [w for _, w in STATE_WEIGHTS]
    for index in range(count):
        station, town, _, streets = rng.choices(STATIONS, weights)[0]
        roll = rng.random()
        if roll < 0.10:
            unit_type, industry = "放心工厂", "生产制造"
            suffix = rng.choice(FACTORY_SUFFIXES)
        else:
            industry = rng.choice(tuple(INDUSTRY_SUFFIXES))
            suffix = rng.choice(INDUSTRY_SUFFIXES[industry])
            unit_type = "无理由退货单位" if roll < 0.39 else "一般单位"
        individual = suffix.endswith(("店", "馆", "部", "房", "院", "所")) and rng.random() < 0.7
        prefix = "92" if individual else "91"
        code = uscc.make_code(prefix, JINYUN_REGION, _org_code(rng, used))
        owner = _person(rng)
        word = owner[0] + "记" if individual and rng.random() < 0.5 else rng.choice(WORDS)
        name = (
            f"缙云县{town.removesuffix('街道').removesuffix('镇').removesuffix('乡')}{word}{suffix}"
        )
        if index and rng.random() < 0.3:
            name = f"{name}（{rng.choice(streets)}店）"
        state = rng.choices(states, state_weights)[0]
        entered = today - timedelta(days=rng.randint(30, 720))
        changed = entered
        if state not in (State.CANDIDATE, State.CULTIVATING):
            changed = entered + timedelta(days=rng.randint(0, (today - entered).days))
        online = industry == "网店/电商/直播"
        yield {
            "统一社会信用代码": code,
            "单位名称": name,
            "门店名称": "",
            "经营地址": f"浙江省丽水市缙云县{town}{rng.choice(streets)}{rng.randint(1, 300)}号",
            "乡镇": town,
            "所属所": station,
            "单位类型": unit_type,
            "行业": industry,
            "负责人": owner,
            "联系电话": _phone(rng),
            "网店名称": f"{word}{rng.choice(('旗舰店', '专营店', '小店'))}" if online else "",
            "平台": rng.choice(("淘宝", "抖音", "拼多多", "京东")) if online else "",
            "链接": f"https://shop.example.cn/{code.lower()}" if online else "",
            "退货期限": "7" if unit_type == "无理由退货单位" else "",
            "状态": state.label,
            "入库日期": "" if state == State.CANDIDATE else entered.isoformat(),
            "状态日期": changed.isoformat(),
        }


# The areas and village stations of seed 002's table: (station, town, unit type label, name).
AREAS: tuple[tuple[str, str, str, str], ...] = (
    ("五云所", "五云街道", "街区", "缙云县五云街道解放街放心消费街区"),
    ("仙都所", "仙都街道", "街区", "缙云县仙都街道鼎湖放心消费商圈"),
    ("壶镇分局", "壶镇镇", "乡村", "缙云县壶镇镇岩背村股份经济合作社"),
    ("仙都所", "仙都街道", "乡村", "缙云县仙都街道周村股份经济合作社"),
    ("舒洪所", "舒洪镇", "乡村", "缙云县舒洪镇仁岸村股份经济合作社"),
)


def area_rows(
    *, seed: int = 2023, today: date | None = None, used: set[str] | None = None
) -> Iterator[dict[str, str]]:
    """Districts, villages and village stations; villages are N2 collectives (letters in 1–2)."""
    rng = random.Random(seed + 1)
    today = today or date.today()
    used = set() if used is None else used
    entries = [*AREAS]
    for station, town, _, streets in STATIONS:
        for n in range(2):
            village = f"{streets[n % len(streets)].removesuffix('路').removesuffix('街')}村"
            entries.append((station, town, "村级联络站", f"缙云县{town}{village}消费维权联络站"))
    for station, town, kind, name in entries:
        prefix = "91" if kind == "街区" else "N2"
        entered = today - timedelta(days=rng.randint(60, 500))
        yield {
            "统一社会信用代码": uscc.make_code(prefix, JINYUN_REGION, _org_code(rng, used)),
            "单位名称": name,
            "门店名称": "",
            "经营地址": f"浙江省丽水市缙云县{town}",
            "乡镇": town,
            "所属所": station,
            "单位类型": kind,
            "行业": "",
            "负责人": _person(rng),
            "联系电话": _phone(rng),
            "网店名称": "",
            "平台": "",
            "链接": "",
            "退货期限": "",
            "状态": State.COMMITTED.label,
            "入库日期": entered.isoformat(),
            "状态日期": entered.isoformat(),
        }


def write_csv(
    path: Path, count: int, *, seed: int = 2023, today: date | None = None, areas: bool = False
) -> Path:
    """Write demo rows as a UTF-8-with-BOM CSV, the way Excel saves one."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=HEADERS)
        writer.writeheader()
        used: set[str] = set()
        writer.writerows(rows(count, seed=seed, today=today, used=used))
        if areas:
            writer.writerows(area_rows(seed=seed, today=today, used=used))
    return path


def jinyun_targets(year: int) -> list[tuple[str, str, int]]:
    """Seed 002's 2023 task table, as (station, unit type label, count), for a training year."""
    table = {
        "五云所": (258, 109, 8, 1, 0),
        "壶镇分局": (192, 109, 32, 0, 1),
        "仙都所": (65, 2, 0, 1, 1),
        "新碧所": (24, 27, 30, 0, 0),
        "新建所": (42, 27, 12, 0, 0),
        "舒洪所": (30, 18, 9, 0, 1),
        "东渡所": (27, 18, 11, 0, 0),
        "东方所": (17, 11, 8, 0, 0),
        "双溪口所": (24, 9, 3, 0, 0),
    }
    labels = ("一般单位", "无理由退货单位", "放心工厂", "街区", "乡村")
    return [
        (station, label, n)
        for station, counts in table.items()
        for label, n in zip(labels, counts, strict=True)
        if n or label not in ("街区", "乡村")
    ]


def write_targets_csv(path: Path, year: int) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("年度", "所", "单位类型", "任务数"))
        for station, label, n in jinyun_targets(year):
            writer.writerow((year, station, label, n))
    return path


# --- demo evaluations ---------------------------------------------------------------------------

PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".heic", ".heif")
RECTIFICATIONS = ("限期整改到位", "补齐公示材料", "更换过期标签", "完善进货台账", "张贴价格标签")


def synthetic_photo(
    path: Path, label: str, rng: random.Random, taken_at: datetime | None = None
) -> Path:
    """A coloured 800×600 JPEG with ``label`` drawn on it (stands in for a site photo), with
    the capture time in its EXIF when ``taken_at`` is given (as a camera writes it)."""
    from PIL import Image, ImageDraw

    colour = (rng.randrange(40, 220), rng.randrange(40, 220), rng.randrange(40, 220))
    img = Image.new("RGB", (800, 600), colour)
    draw = ImageDraw.Draw(img)
    for _ in range(6):
        box = sorted(rng.sample(range(800), 2)), sorted(rng.sample(range(600), 2))
        shade = tuple(min(255, c + rng.randrange(-40, 40) % 60) for c in colour)
        draw.rectangle((box[0][0], box[1][0], box[0][1], box[1][1]), fill=shade)
    draw.text((40, 40), label, fill=(255, 255, 255), font_size=72)
    exif = Image.Exif()
    if taken_at is not None:
        exif.get_ifd(0x8769)[0x9003] = taken_at.strftime("%Y:%m:%d %H:%M:%S")  # DateTimeOriginal
    img.save(path, format="JPEG", quality=80, exif=exif)
    return path


def signature_png(path: Path, rng: random.Random) -> Path:
    """A PNG of a random pen stroke on white, as a signature pad would give."""
    from PIL import Image, ImageDraw

    img = Image.new("RGBA", (400, 150), (255, 255, 255, 255))
    points = [(20 + i * 36, rng.randrange(30, 120)) for i in range(11)]
    ImageDraw.Draw(img).line(points, fill=(0, 0, 0, 255), width=4, joint="curve")
    img.save(path, format="PNG")
    return path


def make_evaluations(
    session: Any,
    store: Any,
    count: int,
    *,
    seed: int = 2023,
    photos_dir: Path | None = None,
    workdir: Path,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """``count`` finalized 后评价 of random active units, made through the evaluation service.

    Answers are mostly 符合; about 15 % have one 不符合 with a 整改 requirement and deadline.
    Photos come from ``photos_dir`` or are drawn; both signatures are drawn strokes. ``store``
    gives ``library``, ``photos`` and ``signatures``. Returns how many were made.
    """
    from sqlalchemy import select

    from fieldapp.errors import InvalidInput
    from fieldapp.services import evaluations as ev
    from fieldapp.storage.models import Unit

    rng = random.Random(seed)
    active = [s.value for s in lifecycle.ACTIVE_STATES]
    units = list(session.scalars(select(Unit).where(Unit.state.in_(active)).order_by(Unit.id)))
    if not units:
        return 0
    sources: list[Path] = []
    if photos_dir is not None:
        sources = sorted(p for p in photos_dir.iterdir() if p.suffix.lower() in PHOTO_SUFFIXES)
        if not sources:
            raise InvalidInput(f"{photos_dir}：文件夹中没有照片（.jpg、.png、.heic）")

    def photo_for(code: str) -> Path:
        # A photo of its own for every item of every visit, taken today: the evidence check
        # (services/evidence) would rightly flag one picture reused across units or days.
        if sources:
            return rng.choice(sources)
        name = f"{made:05d}-{code}"
        return synthetic_photo(workdir / f"{name}.jpg", name, rng, taken_at=datetime.now())

    inspector_sig = signature_png(workdir / "sig-inspector.png", rng)
    unit_sig = signature_png(workdir / "sig-unit.png", rng)
    made = 0
    attempts = 0
    while made < count and attempts < count * 3:
        attempts += 1
        unit = rng.choice(units)
        inspector = _person(rng)
        try:
            evaluation = ev.start(session, store.library, unit, ev.Kind.POST_EVALUATION, inspector)
        except InvalidInput:
            continue  # no checklist applies to this unit type
        items = [
            (checklist.id, item)
            for checklist in ev.checklists_of(session, store.library, evaluation)
            for item in checklist.items
            if not item.same_as  # answered through the items it is the same as
        ]
        failing = rng.choice(items)[1].code if rng.random() < 0.15 else None
        for checklist_id, item in items:
            ref = f"{checklist_id}:{item.code}"
            if item.code == failing:
                due = date.today() + timedelta(days=rng.choice((7, 15, 30)))
                ev.answer(
                    session,
                    store.library,
                    evaluation,
                    ref,
                    "fail",
                    rectify=rng.choice(RECTIFICATIONS),
                    due=due,
                )
            else:
                ev.answer(session, store.library, evaluation, ref, "pass")
            if item.photo_required or item.code == failing:
                ev.attach(
                    session,
                    store.photos,
                    evaluation,
                    [photo_for(item.code)],
                    ref,
                    library=store.library,
                )
        ev.sign(session, store.signatures, evaluation, "inspector", inspector, inspector_sig)
        ev.sign(
            session, store.signatures, evaluation, "unit", unit.contact_person or "负责人", unit_sig
        )
        ev.finalize(session, store.library, evaluation)
        made += 1
        if progress:
            progress(made, count)
    return made


@dataclass(frozen=True)
class Loaded:
    units_created: int
    units_updated: int
    evaluations: int
    targets_year: int | None


def load(
    store: Any,
    units: int,
    *,
    targets: bool = False,
    evaluations: int = 0,
    seed: int = 2023,
    photos_dir: Path | None = None,
    unit_progress: Callable[[int, int], None] | None = None,
    evaluation_progress: Callable[[int, int], None] | None = None,
) -> Loaded:
    """Load training data into ``store``: this year's task table (``targets``), ``units`` demo
    units with the areas, then ``evaluations`` finalised 后评价. ``fieldapp demo`` and the
    first-run wizard both load through here. Units and targets are one transaction; the
    evaluations another (they need the units committed)."""
    from fieldapp.imports.targets import import_targets
    from fieldapp.imports.units import import_units

    year = date.today().year if targets else None
    with tempfile.TemporaryDirectory() as tmp, store.session() as session:
        if year is not None:
            table = write_targets_csv(Path(tmp) / "任务表.csv", year)
            import_targets(session, table, source="演示：缙市监〔2023〕42号附件")
        path = write_csv(Path(tmp) / "演示单位.csv", units, seed=seed, areas=True)
        result = import_units(session, path, actor="演示数据", progress=unit_progress)
    made = 0
    if evaluations:
        with tempfile.TemporaryDirectory() as tmp, store.session() as session:
            made = make_evaluations(
                session,
                store,
                evaluations,
                seed=seed,
                photos_dir=photos_dir,
                workdir=Path(tmp),
                progress=evaluation_progress,
            )
    return Loaded(result.created, result.updated, made, year)
