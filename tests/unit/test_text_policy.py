"""The text policy (domain/text.py): no control characters, the columns' lengths, one rule for
every door; its bounds are the database columns' and the wire fields'."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlalchemy import String

from fieldapp.domain import text
from fieldapp.server import models as server_models
from fieldapp.services.unit_changes import FIELD_LABELS, TEXT_KINDS
from fieldapp.storage import models
from fieldapp.sync import wire


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x1b", "\x7f", "\x85", "\ud800"])
def test_control_characters_are_refused_in_every_kind(char: str) -> None:
    for kind in (text.NAME, text.TITLE, text.NOTE, text.COMMENT):
        message = text.problem(f"好又多{char}超市", kind, "单位名称")
        assert message is not None
        assert message.startswith("单位名称含有不可见的控制字符")
        assert f"U+{ord(char):04X}" in message and "第 4 个字" in message


def test_tabs_and_line_breaks_only_in_multiline_kinds() -> None:
    for char in "\t\n\r":
        assert text.problem(f"a{char}b", text.NOTE) is None
        assert text.problem(f"a{char}b", text.COMMENT) is None
        refused = text.problem(f"a{char}b", text.NAME, "检查人员姓名")
        assert refused is not None and refused.startswith("检查人员姓名含有")


def test_length_is_counted_in_characters_up_to_the_limit() -> None:
    assert text.problem("张" * 64, text.NAME) is None
    assert text.problem("张" * 65, text.NAME, "所属所") == "所属所太长（65 个字，最多 64 个）"
    assert text.problem("x" * 20_000, text.NOTE) is None
    assert text.problem("x" * 20_001, text.NOTE) is not None


def test_ordinary_chinese_text_and_punctuation_pass() -> None:
    value = "缙云县五云好又多超市（壶镇店）· “放心消费” 🏪"
    assert text.check(value, text.TITLE, "单位名称") == value
    with pytest.raises(ValueError, match="单位名称"):
        text.check("a\x00", text.TITLE, "单位名称")


def _length(model: type, column: str) -> int:
    kind = model.__table__.c[column].type  # type: ignore[attr-defined]
    assert isinstance(kind, String)
    assert kind.length is not None
    return int(kind.length)


def test_unit_field_kinds_match_the_store_columns() -> None:
    for name, kind in TEXT_KINDS.items():
        assert name in FIELD_LABELS
        if name == "station":
            assert kind.limit == _length(models.Station, "name")
        elif kind.multiline:
            assert kind is text.NOTE
        else:
            assert kind.limit == _length(models.Unit, name), name


def test_bounds_match_the_columns_on_both_sides() -> None:
    assert text.NAME.limit == _length(models.Evaluation, "inspector")
    assert text.NAME.limit == _length(models.Signature, "name")
    assert text.NAME.limit == _length(models.UnitEvent, "actor")
    assert text.NAME.limit == _length(server_models.Evaluation, "inspector")
    assert text.NAME.limit == _length(server_models.Account, "name")
    assert text.NAME.limit == _length(server_models.Unit, "station")
    assert text.TITLE.limit == _length(server_models.Unit, "name")
    assert text.ADDRESS.limit == _length(models.UnitEvent, "source")
    assert text.ITEM_CODE.limit == _length(models.AnswerRow, "item_code")
    assert text.FILE_NAME.limit == _length(models.Photo, "original_name")
    assert text.CATEGORY.limit == _length(models.Target, "sector")
    assert text.TITLE.limit == _length(models.Target, "responsible_dept")


def _limit(model: type[wire.BaseModel], field: str) -> int:
    schema = model.model_json_schema()
    props = schema["properties"][field]
    options = props.get("anyOf", [props])
    return int(next(o["maxLength"] for o in options if "maxLength" in o))


def test_wire_fields_have_the_same_bounds() -> None:
    assert _limit(wire.WireUnit, "name") == text.TITLE.limit
    assert _limit(wire.WireUnit, "station") == text.NAME.limit
    assert _limit(wire.WireUnit, "industry") == text.INDUSTRY.limit
    assert _limit(wire.WireEvaluation, "inspector") == text.NAME.limit
    assert _limit(wire.WireSignature, "name") == text.NAME.limit
    assert _limit(wire.WireAnswer, "note") == text.NOTE.limit
    assert _limit(wire.ReviewRequest, "comment") == text.COMMENT.limit
    for name in wire.RECORD_FIELDS:
        if name in TEXT_KINDS:
            assert _limit(wire.WireUnit, name) == TEXT_KINDS[name].limit, name


def test_wire_refuses_control_characters_naming_the_field() -> None:
    with pytest.raises(ValidationError) as caught:
        wire.WireSignature(
            role="inspector",  # type: ignore[arg-type]
            name="张\x00三",
            signed_at="2026-11-23T01:00:00Z",  # type: ignore[arg-type]
            image_sha256="0" * 64,
        )
    error = caught.value.errors()[0]
    assert error["loc"] == ("name",) and "控制字符" in error["msg"]
    answer = wire.WireAnswer(
        checklist_id="a",
        item_code="B1",
        result="pass",
        note="第一行\n\t第二行",  # type: ignore[arg-type]
    )
    assert answer.note == "第一行\n\t第二行"
    with pytest.raises(ValidationError, match="控制字符"):
        wire.ReviewRequest(status="returned", comment="退回\x00")  # type: ignore[arg-type]
