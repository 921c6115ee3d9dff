"""The API's contract: the request and answer models, and the OpenAPI document built from them.

The models are the single source: views validate input and shape answers with them, and the
OpenAPI 3.1 description at ``/api/v1/openapi.json`` is generated from them (plus the operations
in ``openapi_paths.yaml``), so what is served and what is described cannot drift apart.
"""

from __future__ import annotations

import functools
import importlib.resources
import re
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

import yaml
from flask import jsonify
from flask_babel import gettext as _
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    Strict,
    ValidationInfo,
    computed_field,
    field_validator,
    model_validator,
)
from pydantic.json_schema import models_json_schema
from pydantic_core import PydanticCustomError

from eoffice import clock
from eoffice.documents.models import AssignmentRole, Direction, RecipientStatus
from eoffice.documents.queries import MAX_PAGE, QUEUE_LABELS
from eoffice.documents.types import Secrecy, Urgency, administrative_types, copy_types
from eoffice.documents.workflow import Status
from eoffice.web.api import bp
from eoffice.web.api.openapi_grants import (  # noqa: F401 - collected into the OpenAPI schemas
    GrantBody,
    GrantList,
    RevokeGrantBody,
)
from eoffice.web.api.openapi_signing import (  # noqa: F401 - collected into the OpenAPI schemas
    ExternalFinishBody,
    ExternalSignatureOut,
    ExternalStartBody,
)


def _iso_date(value: Any) -> Any:
    # Only "YYYY-MM-DD": pydantic alone would also read 1767225600 or "20261120" as dates.
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise PydanticCustomError("date_format", "Ngày phải có dạng YYYY-MM-DD")
    return value


# Lax inside: after the check above, the string must still parse (strict would refuse any str).
IsoDate = Annotated[date, Strict(False), BeforeValidator(_iso_date)]
TYPE_CODES = [t.code for t in (*administrative_types(), *copy_types())]
TypeCode = StrEnum("TypeCode", [(code, code) for code in TYPE_CODES])  # type: ignore[misc]
Queue = StrEnum("Queue", [(name, name) for name in QUEUE_LABELS])  # type: ignore[misc]
_STRICT = ConfigDict(extra="forbid", strict=True)


def _choice(values: list[str], default: str, description: str) -> Any:
    # Documented as an enum; the service checks the value and says which field is wrong.
    return Field(default, description=description, json_schema_extra={"enum": [*values]})


# ----- requests -------------------------------------------------------------------------------


class _Metadata(BaseModel):
    model_config = _STRICT

    type_code: str = Field(
        description="Mã loại văn bản (ASCII): CV, QD, TTR …",
        json_schema_extra={"enum": [*TYPE_CODES]},
    )
    subject: str = Field(description="Trích yếu nội dung")
    signer_name: str = ""
    signer_position: str = ""
    urgency: str = _choice([u.value for u in Urgency], "thuong", "Mức độ khẩn")
    secrecy: str = _choice([s.value for s in Secrecy], "thuong", "Độ mật")
    due_date: IsoDate | None = Field(None, description="Hạn giải quyết (YYYY-MM-DD)")
    description: str = ""
    page_amount: int | None = Field(None, description="Số trang (mặc định: đếm từ tệp PDF)")


class IncomingMetadata(_Metadata):
    """The ``metadata`` part of ``POST /documents/incoming``."""

    organ_name: str = Field(description="Cơ quan ban hành")
    organ_id: str = Field("", description="Mã định danh cơ quan ban hành (QCVN 102), nếu có")
    code_number: str = Field(description="Số văn bản")
    code_notation: str = Field("", description="Ký hiệu văn bản")
    issued_date: IsoDate = Field(description="Ngày văn bản (YYYY-MM-DD)")
    arrival_date: IsoDate | None = Field(None, description="Ngày đến (mặc định: hôm nay)")
    allow_duplicate: bool = Field(False, description="Vẫn vào sổ khi nghi trùng văn bản đã có")


class OutgoingMetadata(_Metadata):
    """The ``metadata`` part of ``POST /documents/outgoing``; the signer by id or user name."""

    organ_name: str = Field("", description="Bỏ qua: luôn là cơ quan của người soạn")
    organ_id: str = Field("", description="Bỏ qua: luôn là mã cơ quan của người soạn")
    code_number: str = ""
    code_notation: str = ""
    issued_date: IsoDate | None = None
    signer_id: int | None = Field(None, description="Lãnh đạo ký (hoặc signer_username)")
    signer_username: str | None = None
    recipients: list[str] = Field([], description="Mã định danh các cơ quan nhận")
    in_reply_to_id: int | None = Field(None, description="Văn bản đến được trả lời")
    replaces_id: int | None = Field(
        None, description="Văn bản đã phát hành (cùng hình thức) mà văn bản này thay thế"
    )


class TargetIn(BaseModel):
    """A unit or a person of the agency: exactly one of the two ids."""

    model_config = _STRICT

    unit_id: int | None = None
    user_id: int | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> TargetIn:
        if (self.unit_id is None) == (self.user_id is None):
            raise PydanticCustomError(
                "target", "Chọn đúng một đơn vị (unit_id) hoặc người (user_id)"
            )
        return self


class EmptyBody(BaseModel):
    model_config = _STRICT


class PresentBody(EmptyBody):
    leader_id: int


class AssignBody(EmptyBody):
    lead: TargetIn = Field(description="Đơn vị hoặc người chủ trì")
    cooperate: list[TargetIn] = Field([], description="Phối hợp")
    inform: list[TargetIn] = Field([], description="Nhận để biết")
    deadline: IsoDate | None = None
    instruction: str = Field("", description="Ý kiến chỉ đạo (bút phê)")


class ReassignBody(EmptyBody):
    handler_id: int
    deadline: IsoDate | None = None
    note: str = ""


class CompleteBody(EmptyBody):
    result: str = Field(description="Kết quả xử lý")


class ReasonBody(EmptyBody):
    reason: str


class UpdateBody(ReasonBody):
    """Corrected metadata of an issued document; an absent field stays as it is."""

    subject: str | None = None
    due_date: IsoDate | None = Field(None, description="Hạn trả lời (YYYY-MM-DD)")
    urgency: str | None = Field(
        None,
        description="Mức độ khẩn",
        json_schema_extra={"enum": [*(u.value for u in Urgency), None]},
    )
    signer_name: str | None = None
    signer_position: str | None = None
    page_amount: int | None = None


class AcceptBody(EmptyBody):
    allow_duplicate: bool = False


class CommentBody(EmptyBody):
    comment: str = ""


class RequiredCommentBody(EmptyBody):
    comment: str


class PassphraseBody(EmptyBody):
    passphrase: SecretStr = Field(
        description="Mật khẩu tệp khóa PKCS#12 hoặc mã PIN thiết bị PKCS#11 (không được lưu)"
    )


class DocumentQuery(BaseModel):
    """Query parameters of ``GET /documents``."""

    model_config = _STRICT

    q: str = Field("", description="Tìm kiếm (không cần dấu)")
    direction: Direction | None = None
    status: Status | None = None
    type_code: TypeCode | None = None
    urgency: Urgency | None = None
    date_from: IsoDate | None = Field(None, description="Từ ngày đến / ngày văn bản")
    date_to: IsoDate | None = None
    handler_id: int | None = Field(None, description="Người đang chủ trì xử lý")
    queue: Queue | None = Field(None, description="Hàng đợi công việc của người gọi")
    cursor: str | None = Field(None, description="next_cursor của trang trước")
    limit: int = Field(50, ge=1, le=MAX_PAGE)


# ----- answers --------------------------------------------------------------------------------

LocalTime = Annotated[datetime, AfterValidator(clock.to_local)]
"""Stored in UTC, answered in Asia/Ho_Chi_Minh (+07:00)."""


class _Answer(BaseModel):
    """Answers are read from the ORM rows; every field is always present in the JSON."""

    model_config = ConfigDict(
        from_attributes=True, json_schema_serialization_defaults_required=True
    )


class Person(_Answer):
    id: int
    full_name: str


class UnitRef(_Answer):
    id: int
    name: str


class DocumentSummary(_Answer):
    """One row of a list."""

    id: int
    direction: Direction
    status: Status
    type_code: str
    type_name: str
    code: str = Field(description="Số, ký hiệu, ví dụ 15/QĐ-UBND")
    code_number: str
    code_notation: str
    arrival_number: int | None = Field(validation_alias="number", description="Số đến")
    subject: str
    organ_name: str
    issued_date: date | None
    arrival_date: date | None
    due_date: date | None
    urgency: Urgency
    secrecy: Secrecy
    masked: bool = Field(
        False,
        description="Văn bản mật mà người gọi chưa được cấp quyền: chỉ còn số và ngày; trích yếu, "
        "cơ quan ban hành, ký hiệu thay bằng «(Văn bản mật)», code chỉ còn số; GET chi tiết trả 404",
    )

    @field_validator("arrival_number")
    @classmethod
    def _incoming_only(cls, number: int | None, info: ValidationInfo) -> int | None:
        # An outgoing document's number is its số đi, already in code_number.
        return number if info.data.get("direction") == Direction.INCOMING else None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def status_label(self) -> str:
        return _(self.status.label)


class AssignmentOut(_Answer):
    id: int
    role: AssignmentRole
    unit: UnitRef | None
    user: Person | None
    deadline: date | None
    note: str
    is_active: bool
    parent_id: int | None = Field(description="Phân công của đơn vị mà phân công này chia lại")
    completed_at: LocalTime | None
    result: str


class RecipientOut(_Answer):
    id: int
    organ_id: str
    organ_name: str
    channel: Literal["internal", "vxp"]
    status: RecipientStatus
    change_status: Literal["", "update_pending", "update_applied", "update_refused"] = Field(
        description="Kết quả lần cập nhật thông tin gần nhất tại nơi nhận (15/16)"
    )
    status_at: LocalTime
    reason: str


class FileOut(_Answer):
    id: int
    name: str = Field(validation_alias="filename")
    size: int
    sha256: str
    content_type: str
    kind: str = Field(description="original | signed | issued | received | attachment")
    is_main: bool
    created_at: LocalTime


class EventOut(_Answer):
    """One entry of the timeline: who did what, when, on whose behalf, with what note."""

    id: int
    at: LocalTime
    action: str = Field(description="document.register_incoming, document.assign …")
    actor: Person | None = Field(description="null: hệ thống")
    on_behalf_of: Person | None = Field(description="Người ủy quyền, khi làm thay")
    details: dict[str, Any] = Field(description="Ý kiến, lý do, hạn … của bước này")


class DocumentDetail(DocumentSummary):
    organ_id: str
    signer_name: str
    signer_position: str
    page_amount: int | None
    description: str
    language: str
    source: str
    instruction: str = Field(description="Ý kiến chỉ đạo (bút phê)")
    signer: Person | None
    presented_to: Person | None
    drafter: Person | None
    drafting_unit: UnitRef | None
    in_reply_to_id: int | None
    replaces_id: int | None = Field(description="Văn bản mà văn bản này thay thế")
    cancelled_at: LocalTime | None = Field(
        description="Thời điểm văn bản bị hủy, được thu hồi (văn bản đi) hoặc bị nơi gửi thu hồi"
    )
    cancel_reason: str
    signature_status: Literal["", "green", "amber", "red"] = Field(
        description="Kết quả kiểm tra chữ ký số của tệp chính; rỗng: chưa kiểm tra"
    )
    signature_report: dict[str, Any] | None
    created_at: LocalTime
    registered_at: LocalTime | None
    issued_at: LocalTime | None
    completed_at: LocalTime | None
    assignments: list[AssignmentOut]
    recipients: list[RecipientOut]
    files: list[FileOut]
    timeline: list[EventOut] = []


class DocumentResult(DocumentDetail):
    """The document after a change, with any warnings (e.g. a confirmed duplicate)."""

    warnings: list[str] = []


class DocumentPage(_Answer):
    items: list[DocumentSummary]
    next_cursor: str | None


class AgencyRef(_Answer):
    code: str
    name: str


class Me(_Answer):
    id: int
    username: str
    full_name: str
    agency: AgencyRef
    roles: list[str]


class AgencyOut(AgencyRef):
    short_name: str
    level: str
    exchanges_via_vxp: bool


class AgencyList(_Answer):
    items: list[AgencyOut]


class ErrorDetail(_Answer):
    code: str = Field(description="Mã lỗi cho máy: invalid_input, possible_duplicate …")
    message: str
    fields: dict[str, str] = Field(description="Thông báo theo từng trường")


class ErrorBody(_Answer):
    error: ErrorDetail


# ----- the OpenAPI document -------------------------------------------------------------------

_SHORTHANDS = ("body", "query", "ok", "errors")


@bp.get("/openapi.json")
def openapi_json():
    return jsonify(build_spec())


@functools.cache
def build_spec() -> dict[str, Any]:
    """Return the OpenAPI 3.1 description of ``/api/v1``.

    ``openapi_paths.yaml`` is the skeleton and the registry's operations; another part of the API
    adds its own ``<name>.openapi.yaml`` beside it (``paths``, ``tags`` and hand-written
    ``components: schemas``), merged here. The models of this module give the other schemas.

    :raises ValueError: when two files describe the same path or schema.
    """
    package = importlib.resources.files(__package__)
    spec = yaml.safe_load(package.joinpath("openapi_paths.yaml").read_text("utf-8"))
    models = [value for value in globals().values() if _is_model(value)]
    _, defs = models_json_schema(
        [
            (m, "validation" if m.model_config.get("extra") == "forbid" else "serialization")
            for m in models
        ],
        ref_template="#/components/schemas/{model}",
    )
    schemas = defs["$defs"]
    for part in sorted(package.iterdir(), key=lambda p: p.name):
        if part.name.endswith(".openapi.yaml"):
            _merge(spec, schemas, yaml.safe_load(part.read_text("utf-8")), part.name)
    spec["components"]["schemas"] = schemas
    spec["paths"] = {
        path: {method: _expand(path, op, schemas) for method, op in methods.items()}
        for path, methods in spec["paths"].items()
    }
    return spec


def _merge(spec: dict[str, Any], schemas: dict[str, Any], part: dict[str, Any], name: str) -> None:
    added_schemas = part.get("components", {}).get("schemas", {})
    for ours, theirs in ((spec["paths"], part.get("paths", {})), (schemas, added_schemas)):
        if clash := ours.keys() & theirs.keys():
            raise ValueError(f"{name} describes again: {', '.join(sorted(clash))}")
        ours.update(theirs)
    spec["tags"] = spec.get("tags", []) + part.get("tags", [])


def _is_model(value: object) -> bool:
    return (
        isinstance(value, type)
        and issubclass(value, BaseModel)
        and not value.__name__.startswith("_")  # private bases, and BaseModel itself
        and value is not BaseModel
    )


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _expand(path: str, op: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in op.items() if k not in _SHORTHANDS}
    params = list(op.get("parameters", []))
    declared = {p["name"] for p in params if p.get("in") == "path"}
    params += [  # path parameters not declared otherwise are ids: positive integers
        {"name": name, "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
        for name in re.findall(r"{(\w+)}", path)
        if name not in declared
    ]
    params += _query_parameters(schemas[op["query"]]) if "query" in op else []
    if params:
        out["parameters"] = params
    if "body" in op:
        content = {"application/json": {"schema": _ref(op["body"])}}
        out["requestBody"] = {"required": "required" in schemas[op["body"]], "content": content}
    responses = dict(out.get("responses", {}))
    if "ok" in op:
        status, model = op["ok"]
        schema = _ref(model) if model else {"type": "object"}
        content = {"application/json": {"schema": schema}}
        responses[str(status)] = {"description": "Thành công", "content": content}
    # Any request may be refused for control characters in its text (input_guard): 422. Every
    # authenticated call reads the database (the token), so it may meet 503 too.
    errors = {*op.get("errors", ()), 422, *([] if op.get("security") == [] else [401, 503])}
    for status in sorted(errors):
        responses[str(status)] = {"$ref": f"#/components/responses/{status}"}
    out["responses"] = responses
    return out


def _query_parameters(schema: dict[str, Any]) -> list[dict[str, Any]]:
    params = []
    for name, prop in schema["properties"].items():
        prop = dict(prop)
        description = prop.pop("description", None)
        param = {"name": name, "in": "query", "required": False, "schema": prop}
        params.append(param | ({"description": description} if description else {}))
    return params
