"""A NUL and a name one character too long, pushed through every door (issue 16): each is refused
with a message naming the field, nothing is stored, and the server never answers 500 (SQLite and,
with FIELDAPP_TEST_DATABASE_URL, PostgreSQL, which refuses a NUL in any text value)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import func, select

from fieldapp.cli import main
from fieldapp.server import models as sm
from fieldapp.sync import wire
from tests.integration import test_sync_support as support
from tests.integration.test_sync_support import LiveServer, add_account

database_url, server_config, live = support.database_url, support.server_config, support.live

SHOP = "92331122MA2A00018H"
DATA = Path(__file__).resolve().parents[1] / "data"
UNIT = "11111111-2222-4333-8444-555555555555"
EVAL = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
LONG = "张" * 65


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().err


@pytest.mark.parametrize(
    ("cell", "column", "needle"),
    [
        ("单位名称", "单位名称", "控制字符 U+0000"),
        ("所属所", "所属所", "太长（65 个字，最多 64 个）"),
    ],
)
def test_unit_import_names_file_row_and_column(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, cell: str, column: str, needle: str
) -> None:
    lines = (DATA / "units-sample.csv").read_text(encoding="utf-8-sig").splitlines()
    header = lines[0].split(",")
    row = lines[2].split(",")
    row[header.index(cell)] = "好又多\x00超市" if "U+0000" in needle else LONG
    path = tmp_path / "bad.csv"
    path.write_text("\n".join([lines[0], lines[1], ",".join(row)]) + "\n", encoding="utf-8")
    code, err = run(capsys, "units", "import", str(path))
    assert code != 0
    assert f"bad.csv，第 3 行，列「{column}」：" in err and needle in err
    assert run(capsys, "units", "list")[0] == 0
    assert SHOP not in capsys.readouterr().out


def test_cli_refuses_nul_and_overlong_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "units", "import", str(DATA / "units-sample.csv"))[0] == 0
    code, err = run(capsys, "units", "set", SHOP, "--name", "好又多\x00超市")
    assert code != 0 and "单位名称含有不可见的控制字符 U+0000" in err
    code, err = run(capsys, "units", "set", SHOP, "--contact", LONG)
    assert code != 0 and "负责人太长（65 个字，最多 64 个）" in err
    code, err = run(capsys, "units", "set", SHOP, "--name", "好" * 201)
    assert code != 0 and "单位名称太长（201 个字，最多 200 个）" in err

    code, err = run(
        capsys, "evaluations", "new", "--unit", SHOP, "--kind", "后评价", "--inspector", LONG
    )
    assert code != 0 and "检查人员姓名太长" in err
    code, err = run(
        capsys, "evaluations", "new", "--unit", SHOP, "--kind", "后评价", "--inspector", "张三"
    )
    assert code == 0
    code, err = run(capsys, "evaluations", "answer", "1", "B1a", "pass", "--note", "见\x00照片")
    assert code != 0 and "备注含有不可见的控制字符 U+0000" in err
    code, err = run(capsys, "evaluations", "answer", "1", "B1a", "pass", "--note", "第一行\n第二行")
    assert code == 0, err


# --- the county server ------------------------------------------------------------------------


def _evaluation() -> dict[str, Any]:
    data: dict[str, Any] = {
        "uuid": EVAL,
        "unit_uuid": UNIT,
        "unit_credit_code": SHOP,
        "station": "五云所",
        "kind": "post_evaluation",
        "inspector": "张三",
        "started_at": "2026-11-23T01:00:00Z",
        "finalized_at": "2026-11-23T02:00:00Z",
        "checklists": [{"checklist_id": "bayou-bawu", "version": 1}],
        "answers": [{"checklist_id": "bayou-bawu", "item_code": "B1", "result": "pass"}],
        "photos": [],
        "signatures": [],
        "verdict": "pass",
        "content_sha256": "0" * 64,
    }
    draft = wire.WireEvaluation.model_validate(data)
    done = draft.model_copy(update={"content_sha256": wire.evaluation_hash(draft)})
    return done.model_dump(mode="json")


def _manifest(evaluations: list[dict[str, Any]], changes: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "batch_id": "12345678-1234-4234-8234-123456789abc",
        "device": {
            "device_id": "87654321-4321-4321-8321-cba987654321",
            "unsynced": 1,
            "client_time": "2026-11-23T02:00:00Z",
        },
        "evaluations": evaluations,
        "unit_changes": changes,
    }


def _change() -> dict[str, Any]:
    unit = wire.WireUnit(
        uuid=UNIT,
        credit_code=SHOP,
        name="缙云县五云好又多超市",
        station="五云所",
        unit_type="general",
    )  # type: ignore[arg-type]
    return {
        "change_id": "99999999-2222-4333-8444-555555555555",
        "kind": "new",
        "base_version": 0,
        "unit": unit.model_dump(mode="json"),
        "recorded_by": "张三",
        "recorded_at": "2026-11-23T02:00:00Z",
    }


def _bad_manifests() -> list[tuple[str, dict[str, Any], str]]:
    """(what, manifest, the field the refusal must name)."""
    cases = []
    for field, value in (("inspector", "张\x00三"), ("inspector", LONG), ("station", LONG)):
        evaluation = _evaluation()
        evaluation[field] = value
        cases.append((f"evaluation {field}", _manifest([evaluation], []), f"evaluations.0.{field}"))
    evaluation = _evaluation()
    evaluation["answers"][0]["note"] = "见\x00照片"
    cases.append(("answer note", _manifest([evaluation], []), "evaluations.0.answers.0.note"))
    for field, value in (("name", "好又多\x00超市"), ("station", LONG), ("contact_person", LONG)):
        change = _change()
        change["unit"][field] = value
        cases.append((f"unit {field}", _manifest([], [change]), f"unit_changes.0.unit.{field}"))
    change = _change()
    change["reason"] = "\x00"
    cases.append(("change reason", _manifest([], [change]), "unit_changes.0.reason"))
    manifest = _manifest([_evaluation()], [])
    manifest["device"]["label"] = "\x00"
    cases.append(("device label", manifest, "device.label"))
    # Empty where a name is needed; a number where a time is (pydantic would read 0 as 1970).
    for field in ("credit_code", "station", "name"):
        change = _change()
        change["unit"][field] = ""
        cases.append(
            (f"empty unit {field}", _manifest([], [change]), f"unit_changes.0.unit.{field}")
        )
    manifest = _manifest([_evaluation()], [])
    manifest["device"]["client_time"] = 0
    cases.append(("time as a number", manifest, "device"))
    manifest = _manifest([_evaluation()], [])
    manifest["device"]["unsynced"] = "3"
    cases.append(("count as text", manifest, "device"))
    # Integers past what a column holds (2^63 on SQLite, 2^31 on PostgreSQL's INTEGER).
    for big in (2**63, 2**31):
        manifest = _manifest([_evaluation()], [])
        manifest["device"]["unsynced"] = big
        cases.append((f"unsynced {big}", manifest, "device.unsynced"))
        change = _change()
        change["base_version"] = big
        cases.append(
            (f"base_version {big}", _manifest([], [change]), "unit_changes.0.base_version")
        )
        change = _change()
        change["unit"]["version"] = big
        cases.append(
            (f"unit version {big}", _manifest([], [change]), "unit_changes.0.unit.version")
        )
    return cases


def _count(live: LiveServer) -> tuple[int, int, int]:
    with live.db().session() as session:
        return tuple(  # type: ignore[return-value]
            int(session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (sm.Evaluation, sm.Unit, sm.Batch)
        )


def test_server_answers_4xx_naming_the_field_never_500(live: LiveServer) -> None:
    inspector = add_account(live.db(), "张三", "五云所", "inspector")
    county = add_account(live.db(), "县局", "县局", "county")
    http = requests.Session()
    statuses: list[int] = []

    def call(method: str, path: str, token: str, **kw: Any) -> requests.Response:
        response = http.request(
            method,
            f"{live.url}/api/v1{path}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
            **kw,
        )
        statuses.append(response.status_code)
        return response

    batch = "12345678-1234-4234-8234-123456789abc"
    for what, manifest, field in _bad_manifests():
        for path in ("/batches", f"/batches/{batch}/commit"):
            response = call("POST", path, inspector, json=manifest)
            assert response.status_code == 422, (what, path, response.text)
            assert f"字段 {field}：" in response.json()["detail"], (what, response.text)
    assert _count(live) == (0, 0, 0)

    # A good evaluation, then a review whose comment or address holds a NUL or is too long.
    good = _manifest([_evaluation()], [_change()])
    assert call("POST", f"/batches/{batch}/commit", inspector, json=good).status_code == 200
    assert _count(live)[0] == 1
    for body, needle in (
        (
            {"status": "returned", "comment": "照片\x00不清"},
            "字段 comment：内容含有不可见的控制字符",
        ),
        ({"status": "returned", "comment": "x" * 2001}, "字段 comment：太长（最多 2000 个字）"),
    ):
        response = call("POST", f"/evaluations/{EVAL}/review", county, json=body)
        assert response.status_code == 422 and needle in response.json()["detail"], response.text
    response = call("POST", "/evaluations/aaaa%00bbbb/review", county, json={"status": "accepted"})
    assert response.status_code == 422 and "评价编号含有" in response.json()["detail"]
    for path in ("/evaluations", "/devices", "/progress?year=2026&"):
        sep = "&" if "?" in path else "?"
        response = call("GET", f"{path.rstrip('&')}{sep}station=%E4%BA%94%00", county)
        assert response.status_code == 422, (path, response.text)
        assert "所（分局）含有不可见的控制字符" in response.json()["detail"]
    response = call("GET", "/evaluations?status=%00", county)
    assert response.status_code == 422
    with live.db().session() as session:
        row = session.get(sm.Evaluation, EVAL)
        assert row is not None and row.review_comment == ""
    assert statuses and max(statuses) < 500, statuses


def test_task_table_text_is_held_to_the_same_policy(store, tmp_path: Path) -> None:
    from fieldapp.errors import InvalidInput
    from fieldapp.imports.targets import import_targets

    table = tmp_path / "任务表.csv"
    table.write_text(
        "年度,所,单位类型,任务数\n2026,五云\x00所,一般放心消费单位,10\n2026,"
        + "长" * 65
        + ",放心工厂,3\n",
        "utf-8",
    )
    with store.session() as session, pytest.raises(InvalidInput) as caught:
        import_targets(session, table)
    rows = {(p.row, p.column) for p in caught.value.problems}
    assert (2, "所（分局）") in rows and (3, "所（分局）") in rows, caught.value.problems
    messages = " ".join(p.message for p in caught.value.problems)
    assert "控制字符" in messages and "太长" in messages
