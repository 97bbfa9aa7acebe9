"""The checklist file schema (see FORMAT.md beside this file), validated with pydantic.

Unit types and industries may be written as codes (``general``) or Chinese labels (``一般放心消费单位``)
so county staff can edit files in Notepad; they are stored as codes.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from fieldapp.domain.links import Flag, parse_flag, split_ref
from fieldapp.domain.verdict import ChecklistKind, GateEffect, PassRule
from fieldapp.domain.vocab import INDUSTRY_CODES, UnitType, parse_industry, parse_unit_type

SOURCE_TAG = re.compile(r"^\s*(\[(S[0-9]|P[0-9]+|R)\]\s*)+")

NonEmpty = Annotated[str, Field(min_length=1)]


MAX_VERSION = 2**31 - 1  # an INTEGER column on SQLite and PostgreSQL alike


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


def _unit_types(value: object) -> object:
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


def _industries(value: object) -> object:
    if not isinstance(value, list):
        return value
    out = []
    for entry in value:
        found = parse_industry(entry) if isinstance(entry, str) else None
        if found is None:
            raise ValueError(f"未知的行业「{entry}」，可用：{'、'.join(sorted(INDUSTRY_CODES))}")
        out.append(found.code)
    return out


def _flags(value: object) -> object:
    if not isinstance(value, list):
        return value
    out = []
    for entry in value:
        found = parse_flag(entry) if isinstance(entry, str) else None
        if found is None:
            raise ValueError(f"未知的条件「{entry}」，可用：{'、'.join(f.label for f in Flag)}")
        out.append(found)
    return out


class Applies(_Strict):
    unit_types: list[UnitType] = Field(default_factory=list)
    industries: list[str] = Field(default_factory=list)

    _check_unit_types = field_validator("unit_types", mode="before")(_unit_types)
    _check_industries = field_validator("industries", mode="before")(_industries)

    def matches(self, unit_type: UnitType, industry: str | None) -> bool:
        if self.unit_types and unit_type not in self.unit_types:
            return False
        return not self.industries or (industry in self.industries)


class Condition(_Strict):
    """``applies_when`` of an item: the item applies only when every stated condition holds
    (:func:`fieldapp.domain.links.reason_not_applicable`); otherwise it is 不适用 with the reason,
    until the inspector answers it otherwise."""

    industries: list[str] = Field(default_factory=list)
    not_industries: list[str] = Field(default_factory=list)
    unit_types: list[UnitType] = Field(default_factory=list)
    flags: list[Flag] = Field(default_factory=list)
    not_flags: list[Flag] = Field(default_factory=list)

    _check_unit_types = field_validator("unit_types", mode="before")(_unit_types)
    _check_industries = field_validator("industries", "not_industries", mode="before")(_industries)
    _check_flags = field_validator("flags", "not_flags", mode="before")(_flags)

    @model_validator(mode="after")
    def _not_empty(self) -> Condition:
        if not (
            self.industries
            or self.not_industries
            or self.unit_types
            or self.flags
            or self.not_flags
        ):
            raise ValueError(
                "applies_when 没有写条件：可写 industries、not_industries、unit_types、flags、not_flags"
            )
        return self


class Verdict(_Strict):
    """How a checklist's answers become a verdict.

    ``all_pass``: any 不符合 fails the checklist (八有八无: every pair must be met).
    ``gates``: a failed veto gate fails it; other failures ask for 整改 (rectification) unless
    there are more than ``max_failures`` of them, which fails it too.
    """

    rule: PassRule
    max_failures: int | None = Field(default=None, ge=0)


class Item(_Strict):
    code: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,19}$")]
    text: NonEmpty
    group: str = ""
    guidance: str = ""
    evidence: str = ""
    photo_required: bool = False
    gate: bool = False
    gate_effect: GateEffect = GateEffect.VETO
    source: NonEmpty
    same_as: list[NonEmpty] = Field(default_factory=list)
    applies_when: Condition | None = None

    @field_validator("same_as", mode="before")
    @classmethod
    def _one_or_more(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @model_validator(mode="after")
    def _linked_alone(self) -> Item:
        if self.same_as and self.applies_when is not None:
            raise ValueError("同一条目不能同时写 same_as 和 applies_when：同某条的条目随那条判定")
        if self.same_as and self.photo_required:
            raise ValueError(
                "写了 same_as 的条目不单独拍照（照片拍在它同的条目上），请去掉 photo_required"
            )
        return self

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
    kind: ChecklistKind
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

    def link_problems(
        self, others: dict[str, dict[str, bool]] | None = None
    ) -> list[tuple[int, str]]:
        """What is wrong with the items' ``same_as``: (item index, message) for each.

        A reference is ``B5a`` (this checklist) or ``general-1:Q5``; ``others`` maps the other
        checklists' ids to their item codes, each with whether it is itself linked (None:
        references to them are checked later, against the library). The item named must exist
        and must not itself be answered through another.
        """
        own = {item.code: item for item in self.items}
        found: list[tuple[int, str]] = []
        for index, item in enumerate(self.items):
            for ref in item.same_as:
                checklist_id, code = split_ref(ref, self.id)
                if checklist_id == self.id:
                    target = own.get(code)
                    if target is None:
                        found.append((index, f"same_as 写的条目「{ref}」不在本检查表中"))
                    elif code == item.code:
                        found.append((index, "same_as 不能写条目自己"))
                    elif target.same_as:
                        found.append(
                            (index, f"same_as 写的条目 {code} 本身也同别的条目，请直接写它同的条目")
                        )
                elif others is not None:
                    if checklist_id not in others:
                        known = "、".join(sorted(others))
                        found.append(
                            (index, f"same_as 写的检查表「{checklist_id}」不存在（现有：{known}）")
                        )
                    elif code not in others[checklist_id]:
                        found.append(
                            (index, f"same_as 写的条目「{ref}」不在检查表 {checklist_id} 中")
                        )
                    elif others[checklist_id][code]:
                        found.append(
                            (index, f"same_as 写的条目 {ref} 本身也同别的条目，请直接写它同的条目")
                        )
        return found

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
        for item in data["items"]:
            for name in _LATER_ITEM_FIELDS:
                if not item[name]:
                    del item[name]
        return json.dumps(data, ensure_ascii=False, sort_keys=True)


_LATER_FIELDS = ("responsible",)
_LATER_ITEM_FIELDS = ("same_as", "applies_when")
