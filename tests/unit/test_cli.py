"""The fieldapp command: every subcommand, its output, and exit codes 0 / 1 / 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from fieldapp.cli import main


def run(capsys, *argv: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_checklists_list(capsys, store) -> None:  # a store: the command never creates one
    from fieldapp.checklists import BUNDLED_DIR

    code, out, _ = run(capsys, "checklists", "list")
    assert code == 0
    bundled = len(list(BUNDLED_DIR.glob("*.toml")))
    assert "八有八无" in out and "“1”通用标准" in out and f"共 {bundled} 张检查表" in out
    code, out, _ = run(capsys, "checklists", "list", "--json")
    entries = json.loads(out)
    assert {e["id"] for e in entries} >= {"bayou-bawu", "general-1", "x-village-station"}


def test_checklists_check_good_and_bad(capsys, tmp_path: Path) -> None:
    from fieldapp.checklists import BUNDLED_DIR

    code, out, _ = run(capsys, "checklists", "check", str(BUNDLED_DIR))
    assert code == 0 and out.count("正确") == len(list(BUNDLED_DIR.glob("*.toml")))
    bad = tmp_path / "bad.toml"
    bad.write_text('id = "x"\n', encoding="utf-8")
    code, _, err = run(capsys, "checklists", "check", str(bad))
    assert code == 1
    assert str(bad) in err and "缺少必填字段" in err


def test_units_import_list_show_move(capsys, data_path: Path) -> None:
    code, out, _ = run(capsys, "units", "import", str(data_path / "units-sample.csv"))
    assert code == 0 and "新增 5 家" in out
    code, out, _ = run(capsys, "units", "list", "--search", "超市")
    assert code == 0 and "缙云县五云好又多超市" in out and "共 1 家" in out
    code, out, _ = run(capsys, "units", "list", "--station", "五云所", "--json")
    assert [u["name"] for u in json.loads(out)] == ["缙云县五云好又多超市", "缙云县五云乐购便利店"]
    code, out, _ = run(capsys, "units", "list", "--limit", "2")
    assert "显示 2 / 共 5 家" in out
    code, out, _ = run(
        capsys, "units", "move", "92331122MA2A00050W", "--to", "培育库", "--actor", "王芳"
    )
    assert code == 0 and "选育池 → 培育库" in out
    code, out, _ = run(capsys, "units", "show", "92331122ma2a00050w")
    assert code == 0 and "选育池 → 培育库" in out and "王芳" in out


def test_illegal_move_exits_1_naming_allowed_moves(capsys, data_path: Path) -> None:
    run(capsys, "units", "import", str(data_path / "units-sample.csv"))
    code, _, err = run(capsys, "units", "move", "92331122MA2A00050W", "--to", "放心消费单位")
    assert code == 1
    assert "允许的变更：培育库、移出、关停、转让、注销" in err
    code, _, err = run(capsys, "units", "move", "92331122MA2A00050W", "--to", "移出")
    assert code == 1 and "移出必须选择原因" in err
    code, _, err = run(
        capsys, "units", "move", "92331122MA2A00050W", "--to", "移出", "--exit-reason", "随便"
    )
    assert code == 2 and "未知的移出原因「随便」" in err
    code, out, _ = run(
        capsys, "units", "move", "92331122MA2A00050W", "--to", "移出", "--exit-reason", "不宜培育"
    )
    assert code == 0 and "→ 移出" in out
    code, out, _ = run(capsys, "units", "show", "92331122MA2A00050W")
    assert "选育池 → 移出（不宜培育）" in out


def test_unknown_unit_and_station(capsys, data_path: Path) -> None:
    run(capsys, "units", "import", str(data_path / "units-sample.csv"))
    code, _, err = run(capsys, "units", "show", "91110000600037341L")
    assert code == 1 and "没有信用代码为 91110000600037341L 的单位" in err
    code, _, err = run(capsys, "units", "list", "--station", "月球所")
    assert code == 1 and "没有名为「月球所」的所" in err and "五云所" in err


def test_bad_import_exits_1_with_row_messages_and_writes_nothing(capsys, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "统一社会信用代码,单位名称,所属所,单位类型\n123,某店,五云所,一般单位\n", "utf-8"
    )
    code, _, err = run(capsys, "units", "import", str(path))
    assert code == 1
    assert "bad.csv，第 2 行，列「统一社会信用代码」：应为 18 位" in err
    code, out, _ = run(capsys, "units", "list")
    assert "共 0 家" in out


def test_targets_and_progress(capsys, data_path: Path) -> None:
    code, out, _ = run(capsys, "targets", "import", str(data_path / "jinyun-2023-targets.csv"))
    assert code == 0 and "2023 年任务已导入" in out
    run(capsys, "units", "import", str(data_path / "units-sample.csv"))
    code, out, _ = run(capsys, "progress", "--year", "2023", "--json")
    report = json.loads(out)
    assert report["totals"]["units"]["target"] == 1122
    assert report["totals"]["areas"]["target"] == 5
    assert [d["due"] for d in report["deadlines"]] == ["2023-06-30", "2023-11-30"]
    code, out, _ = run(capsys, "progress", "--year", "2023")
    assert code == 0 and "单位合计" in out and "1122" in out and "6月底" in out


def test_progress_with_nothing_says_what_to_do(capsys, store) -> None:
    code, out, _ = run(capsys, "progress", "--year", "2020")
    assert code == 0 and "fieldapp targets import" in out


def test_demo(capsys) -> None:
    code, out, _ = run(capsys, "demo", "--units", "300", "--targets")
    assert code == 0 and "新增 323 家" in out
    code, out, _ = run(capsys, "progress", "--json")
    assert json.loads(out)["totals"]["units"]["target"] == 1122
    code, _, err = run(capsys, "demo", "--units", "0")
    assert code == 2 and "--units" in err


@pytest.mark.parametrize(
    "argv",
    [["units"], ["units", "frobnicate"], ["progress", "--year", "abc"], ["demo"], ["nonsense"]],
)
def test_usage_errors_exit_2(capsys, argv: list[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(argv)
    assert caught.value.code == 2
    assert "用法错误" in capsys.readouterr().err


def test_data_dir_option_wins(capsys, tmp_path: Path, data_path: Path) -> None:
    chosen = tmp_path / "chosen"
    code, _, _ = run(
        capsys, "--data-dir", str(chosen), "units", "import", str(data_path / "units-sample.csv")
    )
    assert code == 0
    assert (chosen / "fieldapp.sqlite3").exists()


def test_console_script_runs_as_a_module(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "fieldapp", "--data-dir", str(tmp_path), "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0 and result.stdout.startswith("fieldapp ")
