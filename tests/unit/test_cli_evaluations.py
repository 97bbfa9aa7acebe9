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
        capsys, "evaluations", "new", "--unit", SHOP, "--kind", "后评价", "--inspector", "张三"
    )
    assert code == 0
    assert "bayou-bawu 第 1 版" in out
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
    assert code == 0 and "不通过：G2" in out

    code, out, _ = run(capsys, "evaluations", "show", evaluation, "--json")
    data = json.loads(out)
    assert data["status"] == "finalized" and data["verdict"] == "fail"
    assert data["verdict_text"].startswith("不通过：G2 ")
    assert [p["item"] for p in data["photos"]] == ["G2"]
    assert [(s["role"], s["name"]) for s in data["signatures"]] == [
        ("inspector", "张三"),
        ("unit", "王芳"),
    ]

    code, out, _ = run(capsys, "evaluations", "show", evaluation)
    assert code == 0 and "不通过" in out and "缙云县五云好又多超市" in out

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
    code, out, _ = run(capsys, "evaluations", "new", "--unit", SHOP, "--kind", "routine")
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
        ["evaluations", "new", "--unit", SHOP],
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
    code, _, err = run(capsys, "evaluations", "new", "--unit", SHOP, "--kind", "抽查")
    assert code == 2 and "回头看" in err
    code, out, _ = run(capsys, "evaluations", "new", "--unit", SHOP, "--kind", "three_services")
    evaluation = out.strip().splitlines()[-1]
    code, _, err = run(
        capsys, "evaluations", "answer", evaluation, "G2", "fail", "--rectify", "x", "--due", "明天"
    )
    assert code == 2
