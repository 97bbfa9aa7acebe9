"""``fieldapp evaluations …`` and ``fieldapp photos export``: the whole flow and exit codes."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from PIL import Image

from fieldapp.cli import main

SHOP = "92331122MA2A00018H"
PHOTO = Path(__file__).resolve().parents[1] / "data" / "photos" / "Landscape_6.jpg"


def run(capsys, *argv: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_whole_flow(capsys, data_path: Path, tmp_path: Path, signature: Path) -> None:  # type: ignore[no-untyped-def]
    assert run(capsys, "units", "import", str(data_path / "units-sample.csv"))[0] == 0

    code, out, _ = run(
        capsys,
        "evaluations",
        "new",
        "--inspector",
        "张三",
        "--unit",
        SHOP,
        "--kind",
        "后评价",
    )
    assert code == 0
    assert "bayou-bawu 第 2 版" in out
    evaluation = out.strip().splitlines()[-1]
    assert evaluation.isdigit()

    code, out, _ = run(capsys, "evaluations", "show", evaluation, "--json")
    data = json.loads(out)
    assert code == 0
    assert (data["id"], data["kind"], data["status"], data["verdict"]) == (
        int(evaluation),
        "post_evaluation",
        "draft",
        None,
    )
    assert data["unit"] == {"credit_code": SHOP, "name": "缙云县五云好又多超市"}
    assert {"uuid", "verdict_text", "items", "photos", "signatures", "replaces"} <= set(data)
    items = data["items"]
    assert items[0]["checklist_id"] == "bayou-bawu" and items[0]["code"] == "B1a"

    for item in items:
        if item["same_as"]:
            continue  # answered through the items it is the same as
        result = "na" if item["photo_required"] else "pass"
        ref = f"{item['checklist_id']}:{item['code']}"
        assert run(capsys, "evaluations", "answer", evaluation, ref, result)[0] == 0

    code, _, err = run(capsys, "evaluations", "answer", evaluation, "G2", "fail")
    assert code == 1 and "G2" in err and "不符合的条目须填写整改要求和期限" in err
    due = (date.today() + timedelta(days=15)).isoformat()
    code, out, _ = run(
        capsys,
        "evaluations",
        "answer",
        evaluation,
        "G2",
        "fail",
        "--rectify",
        "移出异常名录",
        "--due",
        due,
    )
    assert code == 0 and "不符合" in out

    bad = tmp_path / "x.jpg"
    bad.write_text("不是照片", "utf-8")
    code, _, err = run(
        capsys, "evaluations", "attach", evaluation, "--item", "G2", str(PHOTO), str(bad)
    )
    assert code == 1 and "x.jpg" in err
    code, out, _ = run(capsys, "evaluations", "attach", evaluation, "--item", "G2", str(PHOTO))
    assert code == 0 and "已附 1 张照片" in out

    code, _, err = run(capsys, "evaluations", "finalize", evaluation)
    assert code == 1 and "缺签名：检查人员" in err

    for role, name in (("inspector", "张三"), ("unit", "王芳")):
        code, _, _ = run(
            capsys,
            "evaluations",
            "sign",
            evaluation,
            "--role",
            role,
            "--name",
            name,
            "--image",
            str(signature),
        )
        assert code == 0
    code, out, _ = run(capsys, "evaluations", "finalize", evaluation)
    # B8b (同 G1、G2) fails with G2
    assert code == 0 and "不通过：B8b 无烦心闹心（八有八无未全部符合）；G2" in out
    # A failed 后评价 proposes nothing: the unit stays, with the reasons.
    assert "单位保持「培育库」：不通过：B8b" in out and "下一步" not in out
    # The test photo has no capture time: a flag, shown, that did not stop the finalising.
    assert "证据提示（1 条，不影响定稿）：" in out and "无拍摄时间：1 张照片（G2）" in out

    code, out, _ = run(capsys, "evaluations", "show", evaluation, "--json")
    data = json.loads(out)
    assert data["status"] == "finalized" and data["verdict"] == "fail"
    (flag,) = data["evidence_flags"]
    assert (flag["kind"], flag["label"], flag["photo_ids"]) == (
        "no_time",
        "无拍摄时间",
        [data["photos"][0]["id"]],
    )
    assert flag["message"] == "1 张照片（G2）没有拍摄时间，无法证明是检查当天拍摄"
    assert data["verdict_text"].startswith("不通过：B8b 无烦心闹心（八有八无未全部符合）；G2 ")
    assert [p["item"] for p in data["photos"]] == ["G2"]
    assert [(s["role"], s["name"]) for s in data["signatures"]] == [
        ("inspector", "张三"),
        ("unit", "王芳"),
    ]

    code, out, _ = run(capsys, "evaluations", "show", evaluation)
    assert code == 0 and "不通过" in out and "缙云县五云好又多超市" in out
    assert "证据提示（1 条，不影响定稿）：\n    - 无拍摄时间：1 张照片（G2）" in out

    code, _, err = run(capsys, "evaluations", "answer", evaluation, "B1a", "pass")
    assert code == 1 and "评价已定稿，不能修改；如需更正请新建修订" in err

    code, out, _ = run(
        capsys, "photos", "export", "--evaluation", evaluation, "-o", str(tmp_path / "out")
    )
    assert code == 0
    sha = data["photos"][0]["sha256"]
    assert [p.name for p in (tmp_path / "out").iterdir()] == [f"G2-{sha[:8]}.jpg"]

    code, out, _ = run(capsys, "evaluations", "revise", evaluation)
    revision = out.strip().splitlines()[-1]
    assert code == 0 and revision.isdigit() and revision != evaluation

    code, out, _ = run(capsys, "evaluations", "list", "--unit", SHOP, "--json")
    listed = json.loads(out)
    assert [(e["id"], e["status"], e["replaces"]) for e in listed] == [
        (int(evaluation), "finalized", None),
        (int(revision), "draft", int(evaluation)),
    ]
    code, out, _ = run(capsys, "evaluations", "list")
    assert code == 0 and "已定稿" in out and "草稿" in out and "共 2 次评价" in out


def test_invalid_input_exits_1(capsys, data_path: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run(capsys, "units", "import", str(data_path / "units-sample.csv"))
    code, _, err = run(capsys, "evaluations", "show", "99")
    assert code == 1 and "99" in err
    code, out, _ = run(
        capsys, "evaluations", "new", "--inspector", "张三", "--unit", SHOP, "--kind", "routine"
    )
    evaluation = out.strip().splitlines()[-1]
    code, _, err = run(capsys, "evaluations", "answer", evaluation, "NOPE", "pass")
    assert code == 1 and "NOPE" in err
    blank = tmp_path / "blank.png"
    Image.new("RGB", (100, 40), "white").save(blank)
    code, _, err = run(
        capsys,
        "evaluations",
        "sign",
        evaluation,
        "--role",
        "unit",
        "--name",
        "王芳",
        "--image",
        str(blank),
    )
    assert code == 1 and "签名是空白的，请重新签名" in err
    code, _, err = run(capsys, "evaluations", "revise", evaluation)
    assert code == 1 and "草稿" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["evaluations"],
        ["evaluations", "new", "--inspector", "张三", "--unit", SHOP],
        ["evaluations", "answer", "1", "B1a", "maybe"],
        ["evaluations", "answer", "abc", "B1a", "pass"],
        ["evaluations", "sign", "1", "--role", "boss", "--name", "x", "--image", "a.png"],
        ["photos", "export", "--evaluation", "1"],
    ],
)
def test_usage_errors_exit_2(capsys, argv: list[str]) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SystemExit) as caught:
        main(argv)
    assert caught.value.code == 2
    assert "用法错误" in capsys.readouterr().err


def test_unknown_kind_and_bad_date_exit_2(capsys, data_path: Path) -> None:  # type: ignore[no-untyped-def]
    run(capsys, "units", "import", str(data_path / "units-sample.csv"))
    code, _, err = run(
        capsys, "evaluations", "new", "--inspector", "张三", "--unit", SHOP, "--kind", "抽查"
    )
    assert code == 2 and "回头看" in err
    code, out, _ = run(
        capsys,
        "evaluations",
        "new",
        "--inspector",
        "张三",
        "--unit",
        SHOP,
        "--kind",
        "three_services",
    )
    evaluation = out.strip().splitlines()[-1]
    code, _, err = run(
        capsys, "evaluations", "answer", evaluation, "G2", "fail", "--rectify", "x", "--due", "明天"
    )
    assert code == 2


# --- 后评价 finalised: the proposal and --accept -------------------------------------------------

FACTORY = "91331122MA2A000425"  # 缙云县新碧鑫源食品有限公司, 放心工厂 in 后评价


def signed_draft(data_dir: Path, code: str, signature: Path, fails: tuple[str, ...] = ()) -> str:
    """A complete, signed 后评价 of ``code``: everything 符合 except ``fails``."""
    from fieldapp.domain.lifecycle import State
    from fieldapp.services import evaluations as ev
    from fieldapp.services import units as unit_service
    from fieldapp.store import Store
    from tests import lifecycle_helpers

    due = date.today() + timedelta(days=20)
    with Store.open(data_dir) as store, store.session() as session:
        unit = unit_service.by_code(session, code)
        if unit.state == State.CULTIVATING.value:
            for state in (State.COMMITTED, State.EVALUATING):
                lifecycle_helpers.move(session, unit, state)
        evaluation = ev.start(session, store.library, unit, "后评价", "张三")
        for checklist in ev.checklists_of(session, store.library, evaluation):
            for item in checklist.items:
                if item.same_as:
                    continue  # answered through the items it is the same as
                ref = f"{checklist.id}:{item.code}"
                if item.code in fails:
                    ev.answer(
                        session, store.library, evaluation, ref, "fail", rectify="整改", due=due
                    )
                    if item.photo_required:
                        ev.attach(
                            session, store.photos, evaluation, [PHOTO], ref, library=store.library
                        )
                else:
                    result = "na" if item.photo_required else "pass"
                    ev.answer(session, store.library, evaluation, ref, result)
        ev.sign(session, store.signatures, evaluation, "inspector", "张三", signature)
        ev.sign(session, store.signatures, evaluation, "unit", "王芳", signature)
        return str(evaluation.id)


def state_of(data_dir: Path, code: str) -> str | None:
    from fieldapp.services import units as unit_service
    from fieldapp.store import Store

    with Store.open(data_dir) as store, store.read() as session:
        unit = unit_service.by_code(session, code)
        return unit.state


def test_finalizing_a_passing_post_evaluation_proposes_naming(  # type: ignore[no-untyped-def]
    capsys, data_path: Path, signature: Path, isolated_data_dir: Path
) -> None:
    run(capsys, "units", "import", str(data_path / "units-sample.csv"))
    evaluation = signed_draft(isolated_data_dir, FACTORY, signature)
    code, out, _ = run(capsys, "evaluations", "finalize", evaluation)
    assert code == 0 and "已定稿：通过：全部符合" in out
    assert out.splitlines()[-1] == (
        f"下一步：fieldapp units move {FACTORY} --to 放心消费单位，或加 --accept 立即命名"
    )
    assert state_of(isolated_data_dir, FACTORY) == "evaluating"  # only proposed

    # The line is a command that works.
    code, out, _ = run(capsys, "units", "move", FACTORY, "--to", "放心消费单位")
    assert code == 0 and state_of(isolated_data_dir, FACTORY) == "confirmed"


def test_accept_names_the_unit_or_moves_it_to_the_warning_list(  # type: ignore[no-untyped-def]
    capsys, data_path: Path, signature: Path, isolated_data_dir: Path
) -> None:
    from fieldapp.services import units as unit_service
    from fieldapp.store import Store

    run(capsys, "units", "import", str(data_path / "units-sample.csv"))
    named = signed_draft(isolated_data_dir, FACTORY, signature)
    code, out, _ = run(capsys, "evaluations", "finalize", named, "--accept", "--actor", "李四")
    assert code == 0 and "已变更：后评价 → 放心消费单位" in out
    rectify = signed_draft(isolated_data_dir, SHOP, signature, fails=("S1",))
    code, out, _ = run(capsys, "evaluations", "finalize", rectify, "--accept")
    assert code == 0 and "已定稿：需整改：S1" in out and "已变更：后评价 → 预警库" in out

    with Store.open(isolated_data_dir) as store, store.read() as session:
        factory = unit_service.by_code(session, FACTORY)
        shop = unit_service.by_code(session, SHOP)
        event, warned = factory.events[-1], shop.events[-1]
        assert (factory.state, event.actor, event.source) == ("confirmed", "李四", "评价定稿")
        assert event.evaluation_id == int(named)
        assert shop.state == "warning" and warned.source == "评价定稿"
        due = (date.today() + timedelta(days=20)).isoformat()
        s1 = next(i for i in store.library.latest("general-1").items if i.code == "S1")
        assert warned.reason == f"后评价 {rectify}：需整改：S1 {s1.text}；整改期限 {due}"


def test_a_prudent_pass_waits_for_the_county(  # type: ignore[no-untyped-def]
    capsys, data_path: Path, signature: Path, isolated_data_dir: Path
) -> None:
    run(capsys, "units", "import", str(data_path / "units-sample.csv"))
    evaluation = signed_draft(isolated_data_dir, FACTORY, signature, fails=("G4",))
    code, out, _ = run(capsys, "evaluations", "finalize", evaluation, "--accept")
    assert "通过（审慎培育，待县局确认）：G4" in out
    assert "未变更单位状态。命名须县局确认（审慎培育）：由县局账号执行 " in out
    assert f"fieldapp units move {FACTORY} --to 放心消费单位 --county-confirm" in out
    assert code == 1 and state_of(isolated_data_dir, FACTORY) == "evaluating"


def test_an_evaluation_needs_an_inspector_never_the_login_name(capsys, data_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert run(capsys, "units", "import", str(data_path / "units-sample.csv"))[0] == 0
    code, _, err = run(capsys, "evaluations", "new", "--unit", SHOP, "--kind", "routine")
    assert code == 1 and "--inspector" in err and "设置" in err
