"""``fieldapp report sheet|blank``: exit codes, the printed paths, and no file on a bad request."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from fieldapp.cli import main
from fieldapp.store import Store
from tests.unit.test_report_sheet import DINER, SHOP, flat, make_evaluation, pages_of, text_of


def run(capsys, *argv: str | Path) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _two(store: Store, tmp_path: Path) -> list[int]:
    return [
        make_evaluation(store, tmp_path / "w" / str(n), photos=1, code=c)
        for n, c in enumerate((SHOP, DINER))
    ]


def test_sheet_by_id(capsys, store: Store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    first, second = _two(store, tmp_path)
    out = tmp_path / "one.pdf"
    code, stdout, _ = run(capsys, "report", "sheet", "--evaluation", first, "-o", out)
    assert code == 0 and stdout.strip().splitlines()[-1] == str(out)
    assert "缙云县五云好又多超市" in flat(text_of(out))

    both = tmp_path / "both.pdf"
    code, stdout, err = run(capsys, "report", "sheet", "--evaluation", first, second, "-o", both)
    assert code == 0 and stdout.strip().splitlines()[-1] == str(both)
    assert "打印评价表" in err and "100%" in err
    body = flat(text_of(both))
    assert "缙云县五云好又多超市" in body and "缙云县壶镇老街饭店" in body


def test_sheet_by_range_into_a_folder_or_one_pdf(capsys, store: Store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _two(store, tmp_path)
    today = date.today().isoformat()
    folder = tmp_path / "sheets"
    code, stdout, err = run(capsys, "report", "sheet", "--since", today, "-o", folder)
    assert code == 0, err
    lines = stdout.strip().splitlines()
    files = sorted(folder.iterdir())
    assert len(files) == 2 and sorted(Path(p) for p in lines[-2:]) == files
    assert files[0].name.startswith(today)

    code, stdout, _ = run(
        capsys, "report", "sheet", "--day", today, "--station", "壶镇分局", "-o", tmp_path / "s.pdf"
    )
    assert code == 0 and stdout.strip().splitlines()[-1] == str(tmp_path / "s.pdf")
    body = flat(text_of(tmp_path / "s.pdf"))
    assert "缙云县壶镇老街饭店" in body and "缙云县五云好又多超市" not in body

    code, _, _ = run(
        capsys, "report", "sheet", "--since", today, "--unit", SHOP, "-o", tmp_path / "u.pdf"
    )
    assert code == 0 and pages_of(tmp_path / "u.pdf") >= 2


def test_bad_requests_exit_1_with_one_message_and_no_file(
    capsys, store: Store, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    (first, _) = _two(store, tmp_path)
    before = set(tmp_path.rglob("*"))
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    cases = [
        (("--evaluation", "99", "-o", tmp_path / "a.pdf"), "没有编号为 99 的评价"),
        (("--since", tomorrow, "-o", tmp_path / "b.pdf"), "没有符合条件的评价"),
        (("--since", tomorrow, "-o", tmp_path / "dir"), "没有符合条件的评价"),
        (("--evaluation", str(first), "-o", tmp_path / "no" / "c.pdf"), "不存在"),
        (("--evaluation", str(first), "-o", blocker / "sub"), "不能建立文件夹"),
        (("--since", "2020-01-01", "--station", "火星所", "-o", tmp_path / "d.pdf"), "火星所"),
    ]
    for argv, message in cases:
        code, stdout, err = run(capsys, "report", "sheet", *argv)
        assert code == 1, argv
        assert message in err and len(err.strip().splitlines()) == 1, err
        assert stdout == ""
    assert set(tmp_path.rglob("*")) == before | {blocker}

    code, _, err = run(capsys, "report", "sheet", "-o", tmp_path / "e.pdf")
    assert code == 2 and "--evaluation" in err


def test_blank(capsys, store: Store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _two(store, tmp_path)
    out = tmp_path / "blank.pdf"
    code, stdout, _ = run(capsys, "report", "blank", "--unit", SHOP, "-o", out)
    assert code == 0 and stdout.strip().splitlines()[-1] == str(out)
    assert "缙云县五云好又多超市" in flat(text_of(out))
    code, _, err = run(
        capsys, "report", "blank", "--unit", "91331122MA2A00999X", "-o", tmp_path / "x.pdf"
    )
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x.pdf").exists()
