"""The sync protocol's wire models, shared by the client and the county server.

One module, imported on both sides, so a field renamed on one side cannot drift from the other;
the server publishes them in its OpenAPI document. Every identifier a client sends is one it made
itself (UUIDs) and every piece of content carries its SHA-256, so any request can be repeated
after a failure without changing the outcome.

The content hash of an evaluation (:func:`evaluation_hash`) is computed over the canonical JSON of
exactly what travels, so the server can recompute it from what it received. (The store's own
``content_hash`` cannot serve: it names revisions by local row numbers and SQLite gives its
timestamps back without their offset.)
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)

from fieldapp.domain import text
from fieldapp.domain.cases import CaseType
from fieldapp.domain.events import EventKind
from fieldapp.domain.events import Role as Role  # re-exported: the roles are the domain's
from fieldapp.domain.lifecycle import ExitReason, State
from fieldapp.domain.records import (
    ChangeOutcome,
    ConflictKind,
    EvaluationKind,
    SignerRole,
    UnitChangeKind,
)
from fieldapp.domain.review import DECISIONS
from fieldapp.domain.review import REVIEW_LABELS as REVIEW_LABELS
from fieldapp.domain.review import ReviewStatus as ReviewStatus
from fieldapp.domain.targets import RatioKind, TargetKind
from fieldapp.domain.verdict import Answer, Outcome
from fieldapp.domain.vocab import UnitType

API_PREFIX = "/api/v1"

MAX_EVALUATIONS_PER_BATCH = 500
MAX_UNIT_CHANGES_PER_BATCH = 2000
MAX_UNIT_EVENTS = 1000  # a unit's whole dated history travels with it
MAX_CASES_PER_BATCH = 2000  # a 联络站's cases (台账) in one batch
MAX_SUMMARIES_PER_PULL = 1000  # evaluation summaries in one page of a pull (server/reference.py)
MAX_JSON_BYTES = 16 * 1024 * 1024  # a manifest; photos travel separately
MAX_BLOB_BYTES = 32 * 1024 * 1024  # one photo or signature image
SKEW_LIMIT_SECONDS = 300  # Anki refuses above this; fieldapp warns and flags


# The offline bundle (ZIP): ``fieldapp sync export`` writes it, ``fieldapp-server import`` reads it.
BUNDLE_FORMAT = "fieldapp-sync-bundle"
BUNDLE_MANIFEST = "manifest.json"

_SHA = re.compile(r"^[0-9a-f]{64}$")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def is_sha256(text: str) -> bool:
    return bool(_SHA.match(text))


def _sha(value: str) -> str:
    if not _SHA.match(value):
        raise ValueError("须为 64 位小写十六进制 SHA-256")
    return value


def _uuid(value: str) -> str:
    if not _UUID.match(value):
        raise ValueError("须为小写的 UUID（如 0f8fad5b-d9cb-469f-a165-70867728950e）")
    return value


def _known(
    enum: type[StrEnum], what: str, allowed: Iterable[StrEnum] | None = None
) -> Callable[[Any], Any]:
    """A validator that refuses a value the domain does not know, naming it and the choices
    in Chinese ("单位类型「xyz」未知，可用：…"); the server answers it with a 422."""
    members = tuple(allowed) if allowed is not None else tuple(enum)

    def check(value: Any) -> Any:
        for member in members:
            if value == member.value:
                return member
        choices = "、".join(f"{m.value}（{getattr(m, 'label', m.value)}）" for m in members)
        shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        raise ValueError(f"{what}「{str(shown)[:60]}」未知，可用：{choices}")

    return check


_KINDS: dict[type, dict[str, set[Any]]] = {}


def _field_kinds(model: type[BaseModel]) -> dict[str, set[Any]]:
    """Per field of ``model``, the plain types it takes (worked out once per model)."""
    found = _KINDS.get(model)
    if found is None:
        found = {
            name: _kinds(field.annotation)
            for name, field in model.model_fields.items()
            if _kinds(field.annotation) & {datetime, date, int}
        }
        _KINDS[model] = found
    return found


def _kinds(annotation: Any) -> set[Any]:
    """The plain types an annotation names (``int | None`` → {int, NoneType}), looking
    through ``Annotated``."""
    origin = getattr(annotation, "__origin__", None)
    if origin is not None and hasattr(annotation, "__metadata__"):  # Annotated[T, ...]
        return _kinds(origin)
    args = getattr(annotation, "__args__", None)
    if args and not hasattr(annotation, "__metadata__"):
        return set().union(*(_kinds(a) for a in args))
    return {annotation}


def _one_line(value: str) -> str:
    """No control character (NUL, tab, line break…): PostgreSQL refuses a NUL, and a value the
    server cannot store must be a 422 naming the field, never a 500 (domain/text.py)."""
    message = text.control_problem(value)
    if message is not None:
        raise ValueError(message)
    return value


def _lines(value: str) -> str:
    """As :func:`_one_line`, but line breaks and tabs are kept (notes, reasons, comments)."""
    message = text.control_problem(value, multiline=True)
    if message is not None:
        raise ValueError(message)
    return value


# The OpenAPI document states the patterns the validators enforce (a client generator or a
# fuzzer then sends what the server accepts); the validators keep the Chinese messages.
SHA256_PATTERN = _SHA.pattern
UUID_PATTERN = _UUID.pattern
Sha256 = Annotated[
    str, AfterValidator(_sha), WithJsonSchema({"type": "string", "pattern": SHA256_PATTERN})
]
Uuid = Annotated[
    str, AfterValidator(_uuid), WithJsonSchema({"type": "string", "pattern": UUID_PATTERN})
]
# Every integer that comes in has bounds: the server's INTEGER columns hold 2^31 - 1 on
# PostgreSQL, and a larger number must be a 422 naming the field, never a 500.
INT32_MAX = 2**31 - 1
Count = Annotated[int, Field(ge=0, le=INT32_MAX)]
# Text fields: the length of their columns (domain/text.py), no control characters; the OpenAPI
# document states the same rule as a pattern.
_ONE_LINE = Field(json_schema_extra={"pattern": text.ONE_LINE_PATTERN})
_LINES = Field(json_schema_extra={"pattern": text.LINES_PATTERN})
Short = Annotated[
    str, StringConstraints(max_length=text.NAME.limit), AfterValidator(_one_line), _ONE_LINE
]
# Must be named (a station, an inspector, a code): the schema says so and the server's ingest
# refuses an empty one (a stored row from before is still read back).
Named = Annotated[
    str,
    StringConstraints(max_length=text.NAME.limit),
    AfterValidator(_one_line),
    Field(json_schema_extra={"pattern": text.ONE_LINE_PATTERN, "minLength": 1}),
]
Title = Annotated[
    str, StringConstraints(max_length=text.TITLE.limit), AfterValidator(_one_line), _ONE_LINE
]
Address = Annotated[
    str, StringConstraints(max_length=text.ADDRESS.limit), AfterValidator(_one_line), _ONE_LINE
]
Category = Annotated[
    str, StringConstraints(max_length=text.CATEGORY.limit), AfterValidator(_one_line), _ONE_LINE
]
Industry = Annotated[
    str, StringConstraints(max_length=text.INDUSTRY.limit), AfterValidator(_one_line), _ONE_LINE
]
Phone = Annotated[
    str, StringConstraints(max_length=text.PHONE.limit), AfterValidator(_one_line), _ONE_LINE
]
FieldName = Annotated[str, StringConstraints(max_length=32), AfterValidator(_one_line), _ONE_LINE]
ItemCode = Annotated[
    str, StringConstraints(max_length=text.ITEM_CODE.limit), AfterValidator(_one_line), _ONE_LINE
]
CreditCode = Annotated[
    str,
    StringConstraints(max_length=text.CREDIT_CODE.limit),
    AfterValidator(_one_line),
    Field(json_schema_extra={"pattern": text.ONE_LINE_PATTERN, "minLength": 1}),
]
FileName = Annotated[
    str, StringConstraints(max_length=text.FILE_NAME.limit), AfterValidator(_one_line), _ONE_LINE
]
Text = Annotated[str, StringConstraints(max_length=text.NOTE.limit), AfterValidator(_lines), _LINES]
Comment = Annotated[
    str, StringConstraints(max_length=text.COMMENT.limit), AfterValidator(_lines), _LINES
]
# Vocabularies are the domain's enums; a value the domain does not know never gets in.
UnitTypeValue = Annotated[UnitType, BeforeValidator(_known(UnitType, "单位类型"))]
StateValue = Annotated[State, BeforeValidator(_known(State, "状态"))]
EventKindValue = Annotated[EventKind, BeforeValidator(_known(EventKind, "事件类型"))]
ExitReasonValue = Annotated[ExitReason, BeforeValidator(_known(ExitReason, "移出原因"))]
RoleValue = Annotated[Role, BeforeValidator(_known(Role, "角色"))]
TargetKindValue = Annotated[TargetKind, BeforeValidator(_known(TargetKind, "任务类别"))]
RatioKindValue = Annotated[RatioKind, BeforeValidator(_known(RatioKind, "比例目标"))]
ReviewStatusValue = Annotated[ReviewStatus, BeforeValidator(_known(ReviewStatus, "审核状态"))]
AnswerValue = Annotated[Answer, BeforeValidator(_known(Answer, "检查结果"))]
EvaluationKindValue = Annotated[EvaluationKind, BeforeValidator(_known(EvaluationKind, "评价类型"))]
OutcomeValue = Annotated[Outcome, BeforeValidator(_known(Outcome, "评价结论"))]
SignerRoleValue = Annotated[SignerRole, BeforeValidator(_known(SignerRole, "签名人"))]
UnitChangeKindValue = Annotated[
    UnitChangeKind, BeforeValidator(_known(UnitChangeKind, "单位变更类型"))
]
ConflictKindValue = Annotated[ConflictKind, BeforeValidator(_known(ConflictKind, "冲突类型"))]
ChangeOutcomeValue = Annotated[ChangeOutcome, BeforeValidator(_known(ChangeOutcome, "变更结果"))]
CaseTypeValue = Annotated[CaseType, BeforeValidator(_known(CaseType, "投诉问题类型"))]
DecisionValue = Annotated[
    ReviewStatus,
    BeforeValidator(_known(ReviewStatus, "审核结果", DECISIONS)),
    WithJsonSchema({"type": "string", "enum": [d.value for d in DECISIONS]}),
]


class _Wire(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _json_types(cls, data: Any) -> Any:
        """Each value arrives as the JSON type the schema gives it: a date or time as ISO 8601
        text, a number as a number. pydantic would also take seconds since 1970 for a time (a
        bare 0 stored as 1970-01-01) and text or true for a number."""
        if isinstance(data, dict):
            for name, kinds in _field_kinds(cls).items():
                value = data.get(name)
                if value is None or isinstance(value, dict | list):
                    continue
                number = isinstance(value, int | float) and not isinstance(value, bool)
                if kinds & {datetime, date} and number:
                    raise ValueError(
                        f"字段 {name} 须为 ISO 8601 日期或时间文本（如 2026-11-30T08:00:00Z）"
                    )
                if int in kinds and not number and str not in kinds:
                    raise ValueError(f"字段 {name} 须为整数，收到的是「{str(value)[:20]}」")
        return data


# --- evaluations ---------------------------------------------------------------------------


class WirePin(_Wire):
    checklist_id: Short
    version: int = Field(ge=1, le=1_000_000)


class WireAnswer(_Wire):
    checklist_id: Short
    item_code: ItemCode
    result: AnswerValue
    note: Text = ""
    rectify: Text | None = None
    due: date | None = None


class WirePhoto(_Wire):
    sha256: Sha256
    checklist_id: Short | None = None
    item_code: ItemCode | None = None
    width: int = Field(ge=0, le=100_000)
    height: int = Field(ge=0, le=100_000)
    taken_at: datetime | None = None
    gps_lat: float | None = Field(None, ge=-90, le=90)
    gps_lon: float | None = Field(None, ge=-180, le=180)
    original_name: FileName = ""


class WireSignature(_Wire):
    role: SignerRoleValue
    name: Short
    signed_at: datetime
    image_sha256: Sha256


class WireEvaluation(_Wire):
    """A finalised evaluation, complete: what the county keeps as the record of the visit."""

    uuid: Uuid
    unit_uuid: Uuid
    unit_credit_code: CreditCode
    station: Named
    kind: Short
    inspector: Named
    started_at: datetime
    finalized_at: datetime
    checklists: list[WirePin] = Field(max_length=100)
    answers: list[WireAnswer] = Field(max_length=2000)
    photos: list[WirePhoto] = Field(max_length=2000)
    signatures: list[WireSignature] = Field(max_length=2)
    verdict: Short
    verdict_text: Text = ""
    replaces_uuid: Uuid | None = None
    follows_uuid: Uuid | None = None
    clock_skewed: bool = False
    content_sha256: Sha256

    def blob_hashes(self) -> list[str]:
        """Every photo and signature image this evaluation needs, each once, sorted."""
        hashes = {p.sha256 for p in self.photos} | {s.image_sha256 for s in self.signatures}
        return sorted(hashes)


def canonical_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def evaluation_hash(evaluation: WireEvaluation) -> str:
    """SHA-256 of the evaluation's canonical JSON without its hash and its clock flag."""
    data = evaluation.model_dump(mode="json", exclude={"content_sha256", "clock_skewed"})
    return hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()


# --- the 村级联络站's case ledger ---------------------------------------------------------------


class WireCase(_Wire):
    """One case of a 联络站's ledger (台账), whole: a correction travels as the next ``version``
    of the same ``uuid``. Money in whole 分; times in UTC. The county server checks it with the
    domain's rule (``domain/cases.py``) as the laptop did."""

    uuid: Uuid
    unit_uuid: Uuid
    unit_credit_code: CreditCode
    station: Named
    case_type: CaseTypeValue
    consultant: Named
    consulted_at: datetime = Field(description="咨询时间（UTC）")
    description: Annotated[Text, Field(json_schema_extra={"minLength": 1})]
    handled_at: datetime | None = Field(None, description="处理时间（UTC）；未处理为空")
    result: Text = ""
    recovered_fen: Count = Field(0, description="挽回经济损失，单位：分")
    recorded_by: Short = ""
    recorded_at: datetime
    version: int = Field(1, ge=1, le=INT32_MAX)
    content_sha256: Sha256


def case_hash(case: WireCase) -> str:
    """SHA-256 of the case's canonical JSON without its hash."""
    data = case.model_dump(mode="json", exclude={"content_sha256"})
    return hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()


def _empty(value: object) -> bool:
    return not value


# --- unit changes found in the field -----------------------------------------------------------

# The record fields of a unit on the wire (beside its identity, state and history). A puller
# compares them with its own copy; a difference without an event of its own is written as a
# change made by 同步.
RECORD_FIELDS = (
    "name",
    "shop_name",
    "address",
    "town",
    "station",
    "unit_type",
    "industry",
    "category",
    "contact_person",
    "contact_phone",
    "prudent",
)


class WireUnitEvent(_Wire):
    """One dated change of a unit (a ``UnitEvent``), as it travels with the unit: who, when,
    the old and the new value, why and from where. ``uuid`` makes it arrive exactly once."""

    uuid: Uuid
    kind: EventKindValue
    from_state: StateValue | None = None
    to_state: StateValue | None = None
    occurred_on: date
    actor: Short
    reason: Text = ""
    field: FieldName | None = None
    old_value: Text | None = None
    new_value: Text | None = None
    exit_reason: ExitReasonValue | None = None
    county_confirmed: bool = False
    source: Address = ""
    photo_sha256: Sha256 | None = None

    @model_validator(mode="after")
    def _state_move_has_its_target(self) -> Self:
        if self.kind is EventKind.STATE and self.to_state is None:
            raise ValueError(f"状态变更事件 {self.uuid} 缺少 to_state（变更后的状态）")
        return self


class WireUnit(_Wire):
    """A unit as the server holds it, with its dated history; ``version`` counts its changes.

    ``events`` is the unit's whole history, oldest first; figures for any date are folded from
    it, so a unit pulled onto another laptop counts there exactly as where it was changed.
    Older clients send no events (the server then writes the state change as one).
    """

    uuid: Uuid
    credit_code: CreditCode
    name: Annotated[Title, Field(json_schema_extra={"minLength": 1})]
    shop_name: Title = ""
    address: Address = ""
    town: Short = ""
    station: Named
    unit_type: UnitTypeValue
    industry: Industry | None = None
    category: Category = ""
    contact_person: Short = ""
    contact_phone: Phone = ""
    prudent: bool = False
    state: StateValue | None = None
    state_since: date | None = None
    entered_on: date | None = None
    sticker_posted_on: date | None = None
    events: list[WireUnitEvent] = Field(default=[], max_length=MAX_UNIT_EVENTS)
    version: int = Field(1, ge=1, le=INT32_MAX)

    @model_validator(mode="after")
    def _events_once(self) -> Self:
        seen: set[str] = set()
        for event in self.events:
            if event.uuid in seen:
                raise ValueError(f"单位 {self.credit_code} 的事件 {event.uuid} 出现了两次")
            seen.add(event.uuid)
        return self


class UnitChange(_Wire):
    """A change seen on site, made against the unit version the inspector had.

    ``kind`` "new": a unit found on site (``unit`` is all of it, ``base_version`` 0). "update":
    ``unit`` is the unit as the inspector now has it; the server applies it only if its version
    is still ``base_version``, and otherwise holds it as a conflict for the station.
    """

    change_id: Uuid
    kind: UnitChangeKindValue
    base_version: Count
    unit: WireUnit
    reason: Text = ""
    recorded_by: Short = ""
    recorded_at: datetime


# --- push ------------------------------------------------------------------------------------


class DeviceReport(_Wire):
    device_id: Uuid
    label: Short = ""
    unsynced: int = Field(ge=0, le=INT32_MAX, description="本机还未同步的已定稿评价数")
    last_sync_at: datetime | None = None
    client_time: datetime


class Manifest(_Wire):
    batch_id: Uuid
    device: DeviceReport
    evaluations: list[WireEvaluation] = Field(max_length=MAX_EVALUATIONS_PER_BATCH)
    unit_changes: list[UnitChange] = Field(default=[], max_length=MAX_UNIT_CHANGES_PER_BATCH)
    # Left out of the JSON when there are none: a batch without cases reads (and hashes) as
    # before, and an older server takes it.
    cases: list[WireCase] = Field(default=[], max_length=MAX_CASES_PER_BATCH, exclude_if=_empty)

    def blob_hashes(self) -> list[str]:
        return sorted({h for e in self.evaluations for h in e.blob_hashes()})


class Conflict(_Wire):
    kind: ConflictKindValue
    subject: str = Field(description="评价或变更的 UUID")
    message: str
    server_version: int | None = None


class ManifestAnswer(_Wire):
    batch_id: Uuid
    missing_blobs: list[str]
    committed: bool = Field(description="此批次已提交过（重发）：回执见 receipt")
    receipt: Receipt | None = None


class ReceiptEntry(_Wire):
    uuid: str
    content_sha256: str
    blobs: list[str]


class CaseEntry(_Wire):
    """A case the server holds at this version and content."""

    uuid: str
    content_sha256: str
    version: int


class UnitChangeOutcome(_Wire):
    change_id: str
    status: ChangeOutcomeValue
    version: int


class Receipt(_Wire):
    """What the server has durably stored from one batch; re-sending returns the same receipt."""

    batch_id: str
    accepted: list[ReceiptEntry]
    blobs: list[str]
    conflicts: list[Conflict]
    unit_changes: list[UnitChangeOutcome]
    committed_at: datetime
    cases: list[CaseEntry] = Field(default=[], exclude_if=_empty)


class BlobStored(_Wire):
    sha256: str
    size: int
    created: bool


# --- pull ------------------------------------------------------------------------------------


class WireChecklist(_Wire):
    checklist_id: Short
    version: int
    sha256: Sha256
    content_json: str


class WireTargetPlan(_Wire):
    """The multi-year plan a target belongs to (due at the end of ``end_year``)."""

    start_year: int = Field(ge=1900, le=2200)
    end_year: int = Field(ge=1900, le=2200)
    first_share_num: int | None = Field(None, ge=0, le=INT32_MAX)
    first_share_den: int | None = Field(None, ge=1, le=INT32_MAX)


class WireTarget(_Wire):
    """One figure of a task table: year × station (None: the county itself) × what is counted.

    ``parent``: the :meth:`key` of the row this one is a 其中 subset of (never added to a
    total); ``count`` None: no figure yet, ``note`` says why.
    """

    year: int = Field(ge=1900, le=2200)
    station: Short | None = None
    kind: TargetKindValue = TargetKind.UNIT_TYPE
    unit_type: UnitTypeValue | None = None
    industry: Category = ""
    sector: Category = ""
    responsible_dept: Title = ""
    count: int | None = Field(None, ge=0, le=INT32_MAX)
    note: Text = ""
    parent: Sha256 | None = None
    plan: WireTargetPlan | None = None

    def key(self) -> str:
        """What the figure counts, as one SHA-256: the same row on every machine. A row with a
        责任单位 is its own (电信营业厅 for each of three carriers), so its key names it."""
        data = self.model_dump(mode="json")
        what = [data[n] for n in ("year", "station", "kind", "unit_type", "industry", "parent")]
        if self.responsible_dept:
            what.append(self.responsible_dept)
        return hashlib.sha256(canonical_json(what).encode("utf-8")).hexdigest()


class WirePlanYear(_Wire):
    """A task year's two deadlines as the county set them (``fieldapp targets deadlines``)."""

    year: int = Field(ge=1900, le=2200)
    first_due: date  # 培育、承诺公示、系统录入率100%
    final_due: date  # 后评价、标识张贴
    source: Title = ""


class WireRatioTarget(_Wire):
    """A share to reach for a year and a station (None: the county): the ``threshold`` (0–1;
    None on a station row: the county's applies) over the ``denominator`` the county entered."""

    year: int = Field(ge=1900, le=2200)
    station: Short | None = None
    kind: RatioKindValue
    threshold: float | None = Field(None, ge=0, le=1_000_000)
    denominator: int | None = Field(None, ge=0, le=INT32_MAX)
    source: Title = ""

    def key(self) -> str:
        """What the share is of (year, station, kind), as one SHA-256."""
        what = [self.year, self.station, self.kind.value]
        return hashlib.sha256(canonical_json(what).encode("utf-8")).hexdigest()


class WireAssignment(_Wire):
    unit_uuid: Uuid
    inspector: Short
    year: int


class WireReview(_Wire):
    evaluation_uuid: str
    status: ReviewStatusValue
    comment: str
    reviewed_by: str
    reviewed_at: datetime | None


class WireSummaryAnswer(_Wire):
    """One answer of an evaluation summary: the item and its result, with the 整改 of a 不符合
    (no note, no photo)."""

    checklist_id: Short
    item_code: ItemCode
    result: AnswerValue
    rectify: Text | None = None
    due: date | None = None


class WireEvaluationSummary(_Wire):
    """What a station head's laptop counts of an evaluation another laptop made: who visited
    which unit when, the verdict, what it replaces or follows up, and its answers compactly (the
    pinned checklist versions name the items' texts). No photos, signatures or notes: the whole
    record stays on the county server."""

    uuid: Uuid
    unit_uuid: Uuid
    station: Short
    kind: EvaluationKindValue
    inspector: Short
    started_at: datetime = Field(description="到访时间（UTC）")
    finalized_at: datetime
    verdict: OutcomeValue
    replaces_uuid: Uuid | None = None
    follows_uuid: Uuid | None = None
    checklists: list[WirePin] = Field(default=[], max_length=100)
    answers: list[WireSummaryAnswer] = Field(default=[], max_length=2000)


def _absent(value: object) -> bool:
    return value is None


class Pull(_Wire):
    cursor: int = Field(description="下次拉取时带上的游标")
    units: list[WireUnit]
    checklists: list[WireChecklist]
    targets: list[WireTarget]
    plan_years: list[WirePlanYear] = Field(default_factory=list, description="各年度任务节点")
    ratios: list[WireRatioTarget] = Field(default_factory=list, description="比例目标")
    assignments: list[WireAssignment]
    reviews: list[WireReview]
    # Only when the client asks (``GET /pull?summaries=1``), and otherwise left out of the JSON
    # altogether: an older client refuses a field it does not know (extra="forbid"). A newer
    # client reads an older server's pull, which has none, as None.
    summaries: list[WireEvaluationSummary] | None = Field(
        None,
        max_length=MAX_SUMMARIES_PER_PULL,
        exclude_if=_absent,
        description="本所（县局：全县）各电脑同步的评价摘要（无照片、备注），仅在请求时下发",
    )
    # As the summaries: only when asked (``GET /pull?cases=1``), otherwise left out.
    cases: list[WireCase] | None = Field(
        None,
        exclude_if=_absent,
        description="本所（县局：全县）联络站的台账记录，仅在请求时下发",
    )
    more: bool = Field(description="还有更多变化，请用新游标再拉")


# --- review, devices, stats ------------------------------------------------------------------


class ReviewRequest(_Wire):
    status: DecisionValue
    comment: Comment = ""


class ReceivedEvaluation(_Wire):
    uuid: str
    unit_credit_code: str
    unit_name: str
    station: str
    inspector: str
    kind: str
    verdict: str
    finalized_at: datetime
    received_at: datetime
    replaces_uuid: str | None
    clock_skewed: bool
    review: WireReview


class DeviceInfo(_Wire):
    device_id: str
    account: str
    station: str
    label: str
    unsynced: int
    last_sync_at: datetime | None
    last_seen_at: datetime
    clock_offset_seconds: float


class Stats(_Wire):
    units: int
    evaluations: int
    blobs: int
    blob_bytes: int
    conflicts: int
    devices: int
    accounts: int


class Me(_Wire):
    name: str
    station: str
    role: RoleValue
    server_time: datetime


class ErrorBody(_Wire):
    detail: str


ManifestAnswer.model_rebuild()
