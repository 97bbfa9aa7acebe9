"""The checklist file schema (see FORMAT.md beside this file), validated with pydantic.

Unit types and industries may be written as codes (``general``) or Chinese labels (``一般放心消费单位``)
so county staff can edit files in Notepad; they are stored as codes.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from fieldapp.domain.vocab import INDUSTRY_CODES, UnitType, parse_industry, parse_unit_type

SOURCE_TAG = re.compile(r"^\s*(\[(S[0-9]|P[0-9]+|R)\]\s*)+")

NonEmpty = Annotated[str, Field(min_length=1)]


MAX_VERSION = 2**31 - 1  # an INTEGER column on SQLite and PostgreSQL alike


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class Applies(_Strict):
    unit_types: list[UnitType] = Field(default_factory=list)
    industries: list[str] = Field(default_factory=list)

    @field_validator("unit_types", mode="before")
    @classmethod
    def _unit_types(cls, value: object) -> object:
        if not isinstance(value, list):
            return value
        out = []
        for entry in value:
            parsed = parse_unit_type(entry) if isinstance(entry, str) else None
            if parsed is None:
                allowed = "、".join(t.label for t in UnitType)
                raise ValueError(f"未知的单位类型「{entry}」，可用：{allowed}")
            out.append(parsed)
        return out

    @field_validator("industries", mode="before")
    @classmethod
    def _industries(cls, value: object) -> object:
        if not isinstance(value, list):
            return value
        out = []
        for entry in value:
            found = parse_industry(entry) if isinstance(entry, str) else None
            if found is None:
                raise ValueError(
                    f"未知的行业「{entry}」，可用：{'、'.join(sorted(INDUSTRY_CODES))}"
                )
            out.append(found.code)
        return out

    def matches(self, unit_type: UnitType, industry: str | None) -> bool:
        if self.unit_types and unit_type not in self.unit_types:
            return False
        return not self.industries or (industry in self.industries)


class Verdict(_Strict):
    """How a checklist's answers become a verdict.

    ``all_pass``: any 不符合 fails the checklist (八有八无: every pair must be met).
    ``gates``: a failed veto gate fails it; other failures ask for 整改 (rectification) unless
    there are more than ``max_failures`` of them, which fails it too.
    """

    rule: Literal["all_pass", "gates"]
    max_failures: int | None = Field(default=None, ge=0)


class Item(_Strict):
    code: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,19}$")]
    text: NonEmpty
    group: str = ""
    guidance: str = ""
    evidence: str = ""
    photo_required: bool = False
    gate: bool = False
    gate_effect: Literal["veto", "warn"] = "veto"
    source: NonEmpty

    @field_validator("source")
    @classmethod
    def _source_tag(cls, value: str) -> str:
        if not SOURCE_TAG.match(value):
            raise ValueError("来源应以 [S0]–[S4]（文件）、[P数字]（公开资料）或 [R]（推定）开头")
        return value


class Checklist(_Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,63}$")]
    version: Annotated[int, Field(ge=1, le=MAX_VERSION)]
    title: NonEmpty
    title_en: str = ""
    kind: Literal["base", "general", "module"]
    order: int = 100
    description: str = ""
    source: NonEmpty
    responsible: list[NonEmpty] = Field(default_factory=list)
    applies: Applies
    verdict: Verdict
    items: Annotated[list[Item], Field(min_length=1)]

    @model_validator(mode="after")
    def _unique_codes(self) -> Checklist:
        seen: set[str] = set()
        for item in self.items:
            if item.code in seen:
                raise ValueError(f"条目代码 {item.code} 重复，每个条目的 code 必须唯一")
            seen.add(item.code)
        return self

    @property
    def key(self) -> tuple[str, int]:
        return (self.id, self.version)

    def item(self, code: str) -> Item:
        for item in self.items:
            if item.code == code:
                return item
        raise KeyError(code)

    def content_hash(self) -> str:
        """SHA-256 of the canonical content: what an evaluation pinned to this version saw."""
        return hashlib.sha256(self.canonical_json().encode("utf-8")).hexdigest()

    def canonical_json(self) -> str:
        """The content as sorted JSON. Fields added to the format later (``responsible``) are
        left out while empty, so a checklist written before them keeps its hash: the snapshots
        stores recorded and the evaluations pinned to them stay the same version."""
        data = self.model_dump(mode="json")
        for name in _LATER_FIELDS:
            if not data[name]:
                del data[name]
        return json.dumps(data, ensure_ascii=False, sort_keys=True)


_LATER_FIELDS = ("responsible",)
