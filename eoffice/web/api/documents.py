"""Registry endpoints of the JSON API: register, draft, list, read, download, and every action.

Each view reads its input against a model of :mod:`eoffice.web.api.openapi`, calls one service,
commits, and answers with a model of the same module, which is also what the OpenAPI says.
"""

from __future__ import annotations

import dataclasses
import functools
import io
from collections.abc import Callable
from typing import Any, TypeVar

from flask import jsonify, request, send_file, url_for
from pydantic import BaseModel, ValidationError

from eoffice.audit.models import AuditEvent
from eoffice.audit.services import list_events_for
from eoffice.documents import amend, incoming, outgoing, queries, recall, signatures
from eoffice.documents.access import SECRET_PLACEHOLDER, get_visible_document
from eoffice.documents.blobs import Upload
from eoffice.documents.files import read_file
from eoffice.documents.metadata import DocumentMetadata
from eoffice.documents.models import Document
from eoffice.errors import EofficeError, InvalidInput, NotFound
from eoffice.org.actor import Actor
from eoffice.org.models import User
from eoffice.org.services import get_user_by_username, get_user_or_raise
from eoffice.web.api import bp
from eoffice.web.api.openapi import (
    AcceptBody,
    AssignBody,
    CommentBody,
    CompleteBody,
    DocumentDetail,
    DocumentPage,
    DocumentQuery,
    DocumentResult,
    DocumentSummary,
    EmptyBody,
    EventOut,
    IncomingMetadata,
    OutgoingMetadata,
    PassphraseBody,
    Person,
    PresentBody,
    ReasonBody,
    ReassignBody,
    RequiredCommentBody,
    UpdateBody,
)
from eoffice.web.input_guard import refuse_if_bad
from eoffice.web.session import current_actor, db, file_policy, settings, signature_config

M = TypeVar("M", bound=BaseModel)
_META_FIELDS = {f.name for f in dataclasses.fields(DocumentMetadata)}


class BadRequest(EofficeError):
    """The request cannot be read at all: malformed JSON, a missing multipart part."""

    code = "bad_request"
    http_status = 400


# ----- reading input ------------------------------------------------------------------------

_FIELD_MESSAGES = {
    "missing": "Bắt buộc",
    "extra_forbidden": "Trường không được hỗ trợ",
    "date_from_datetime_parsing": "Ngày không hợp lệ (YYYY-MM-DD)",
    "int_type": "Phải là số nguyên",
    "int_parsing": "Phải là số nguyên",
    "string_type": "Phải là chuỗi ký tự",
    "bool_type": "Phải là true hoặc false",
    "list_type": "Phải là danh sách",
    "model_type": "Phải là đối tượng JSON",
    "greater_than_equal": "Giá trị quá nhỏ",
    "less_than_equal": "Giá trị quá lớn",
}
_OWN_MESSAGES = ("target", "date_format")  # raised by our validators, already in Vietnamese


def parse_json(model: type[M], raw: bytes | str, part: str = "body") -> M:
    """Validate the JSON document ``raw`` against ``model``.

    :raises BadRequest: malformed JSON or not an object. :raises InvalidInput: bad fields.
    """
    try:
        parsed = model.model_validate_json(raw)
    except ValidationError as e:
        if any(err["type"] == "json_invalid" or not err["loc"] for err in e.errors()):
            raise BadRequest(
                "Nội dung JSON không hợp lệ (cần một đối tượng JSON)",
                code="bad_json",
                fields={part: "JSON không hợp lệ"},
            ) from None
        raise _invalid(e) from None
    refuse_if_bad(parsed.model_dump(mode="json"))  # JSON escapes such as \u0000 decode here
    return parsed


def parse_query(model: type[M], args: dict[str, str]) -> M:
    """Validate query parameters against ``model``.

    :raises InvalidInput: bad or unknown parameters.
    """
    try:
        return model.model_validate_strings(args)
    except ValidationError as e:
        raise _invalid(e) from None


def _invalid(error: ValidationError) -> InvalidInput:
    fields: dict[str, str] = {}
    for err in error.errors():
        key = ".".join(str(p) for p in err["loc"])
        own = err["msg"] if err["type"] in _OWN_MESSAGES else None
        fields.setdefault(key, own or _FIELD_MESSAGES.get(err["type"], "Giá trị không hợp lệ"))
    return InvalidInput("Dữ liệu gửi lên chưa hợp lệ", fields=fields)


def _multipart(model: type[M]) -> tuple[M, Upload]:
    """Read the ``metadata`` (JSON) and ``file`` parts of a multipart request."""
    raw = request.form.get("metadata")
    if raw is None and "metadata" in request.files:  # sent as a file part with its own type
        raw = request.files["metadata"].read().decode("utf-8", "replace")
    storage = request.files.get("file")
    missing = {}
    if raw is None:
        missing["metadata"] = "Thiếu phần metadata (JSON)"
    if storage is None:
        missing["file"] = "Thiếu phần file (PDF)"
    if raw is None or storage is None:
        raise BadRequest(
            "Yêu cầu phải là multipart/form-data gồm phần metadata (JSON) và file (PDF)",
            code="missing_part",
            fields=missing,
        )
    meta = parse_json(model, raw, part="metadata")
    upload = Upload(storage.filename or "van-ban.pdf", storage.mimetype or "", storage.read())
    return meta, upload


def _metadata(meta: BaseModel) -> DocumentMetadata:
    return DocumentMetadata(**meta.model_dump(include=_META_FIELDS))


def _colleague(user_id: int, field: str, actor: Actor) -> User:
    """Return a user of the actor's agency; any other id reads as unknown (reveals nothing)."""
    try:
        user = get_user_or_raise(db(), user_id)
    except NotFound:
        user = None
    if user is None or user.agency_id != actor.agency_id:
        raise InvalidInput(
            "Không tìm thấy người dùng trong cơ quan", fields={field: "Không tìm thấy người dùng"}
        )
    return user


def _signer_id(meta: OutgoingMetadata) -> int:
    if (meta.signer_id is None) == (meta.signer_username is None):
        raise InvalidInput(
            "Chọn người ký", fields={"signer_id": "Gửi đúng một trong signer_id, signer_username"}
        )
    if meta.signer_id is not None:
        return meta.signer_id
    signer = get_user_by_username(db(), meta.signer_username or "")
    if signer is None:
        raise InvalidInput(
            "Người ký phải là lãnh đạo của cơ quan",
            fields={"signer_username": "Không tìm thấy người ký"},
        )
    return signer.id


def _reply_to(meta: OutgoingMetadata, actor: Actor) -> int | None:
    if meta.in_reply_to_id is None:
        return None
    try:
        return get_visible_document(db(), actor, meta.in_reply_to_id).id
    except NotFound:
        raise InvalidInput(
            "Không tìm thấy văn bản được trả lời",
            fields={"in_reply_to_id": "Không tìm thấy văn bản"},
        ) from None


# ----- endpoints ----------------------------------------------------------------------------


@bp.post("/documents/incoming")
def register_incoming():
    meta, upload = _multipart(IncomingMetadata)
    registration = incoming.register_incoming(
        db(),
        current_actor(),
        _metadata(meta),
        upload,
        file_policy(),
        arrival_date=meta.arrival_date,
        allow_duplicate=meta.allow_duplicate,
        signature_config=signature_config(),
    )
    db().commit()
    return _created(registration.document, registration.warnings)


@bp.post("/documents/outgoing")
def create_outgoing_draft():
    meta, upload = _multipart(OutgoingMetadata)
    actor = current_actor()
    data = outgoing.DraftInput(
        meta=_metadata(meta),
        signer_id=_signer_id(meta),
        recipient_codes=tuple(meta.recipients),
        in_reply_to_id=_reply_to(meta, actor),
        replaces_id=meta.replaces_id,
    )
    document = outgoing.create_draft(db(), actor, data, upload, file_policy())
    db().commit()
    return _created(document, [])


@bp.get("/documents")
def list_documents():
    query = parse_query(DocumentQuery, request.args.to_dict())
    page = queries.list_documents(
        db(),
        current_actor(),
        queries.DocumentFilter(**query.model_dump(exclude={"cursor", "limit"})),
        query.cursor,
        query.limit,
        settings().due_soon_working_days,
    )
    items = [_summary(d, d.id in page.masked) for d in page.items]
    return jsonify(DocumentPage(items=items, next_cursor=page.next_cursor).model_dump(mode="json"))


def _summary(document: Document, masked: bool) -> DocumentSummary:
    """One row of the list; a secret row the caller holds no grant for keeps its number only."""
    summary = DocumentSummary.model_validate(document)
    if not masked:
        return summary
    hidden = SECRET_PLACEHOLDER
    return summary.model_copy(
        update={
            "subject": hidden,
            "organ_name": hidden,
            "code_notation": hidden,
            "code": document.code_number,  # the number stays, the notation would tell the issuer
            "due_date": None,
            "masked": True,
        }
    )


@bp.get("/documents/<int:document_id>")
def get_document(document_id: int):
    document = get_visible_document(db(), current_actor(), document_id)
    return jsonify(_answer(document, DocumentDetail))


@bp.get("/documents/<int:document_id>/file")
def download_main_file(document_id: int):
    return _send(document_id, None)


@bp.get("/documents/<int:document_id>/files/<int:file_id>")
def download_file(document_id: int, file_id: int):
    return _send(document_id, file_id)


def _send(document_id: int, file_id: int | None):
    document = get_visible_document(db(), current_actor(), document_id)
    row, data = read_file(file_policy(), document, file_id)  # checks the bytes against the hash
    response = send_file(
        io.BytesIO(data),
        mimetype=row.content_type,
        as_attachment=True,
        download_name=row.filename,
        etag=row.sha256,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


Action = Callable[[Document, M, Actor], list[str] | None]


def _action(rule: str, model: type[M]) -> Callable[[Action[M]], Callable[[int], Any]]:
    """Register ``POST /documents/<id>/<rule>``: find the document, read the body, act, commit."""

    def register(act: Action[M]) -> Callable[[int], Any]:
        @bp.post(f"/documents/<int:document_id>/{rule}", endpoint=act.__name__)
        @functools.wraps(act)
        def view(document_id: int) -> Any:
            actor = current_actor()
            document = get_visible_document(db(), actor, document_id)
            body = parse_json(model, request.get_data() or b"{}")
            warnings = act(document, body, actor) or []
            db().commit()
            return jsonify(_answer(document, DocumentResult, warnings=warnings))

        return view

    return register


@_action("accept", AcceptBody)
def accept_document(document: Document, body: AcceptBody, actor: Actor) -> list[str]:
    registration = incoming.accept_arrival(
        db(), actor, document, allow_duplicate=body.allow_duplicate
    )
    return registration.warnings


@_action("reject", ReasonBody)
def reject_document(document: Document, body: ReasonBody, actor: Actor) -> None:
    incoming.reject_arrival(db(), actor, document, body.reason)


@_action("present", PresentBody)
def present_document(document: Document, body: PresentBody, actor: Actor) -> None:
    leader = _colleague(body.leader_id, "leader_id", actor)
    incoming.present_to_leader(db(), actor, document, leader)


@_action("assign", AssignBody)
def assign_document(document: Document, body: AssignBody, actor: Actor) -> None:
    def target(t: Any) -> incoming.Target:
        return incoming.Target(unit_id=t.unit_id, user_id=t.user_id)

    plan = incoming.AssignmentPlan(
        lead=target(body.lead),
        cooperate=tuple(map(target, body.cooperate)),
        inform=tuple(map(target, body.inform)),
        deadline=body.deadline,
        instruction=body.instruction,
    )
    incoming.assign_document(db(), actor, document, plan)


@_action("reassign", ReassignBody)
def reassign_document(document: Document, body: ReassignBody, actor: Actor) -> None:
    handler = _colleague(body.handler_id, "handler_id", actor)
    incoming.reassign_within_unit(db(), actor, document, handler, body.deadline, body.note)


@_action("complete", CompleteBody)
def complete_document(document: Document, body: CompleteBody, actor: Actor) -> None:
    incoming.complete_handling(db(), actor, document, body.result)


@_action("return", ReasonBody)
def return_document(document: Document, body: ReasonBody, actor: Actor) -> None:
    incoming.return_document(db(), actor, document, body.reason)


@_action("submit", EmptyBody)
def submit_draft(document: Document, body: EmptyBody, actor: Actor) -> None:
    outgoing.submit_draft(db(), actor, document)


@_action("review", CommentBody)
def review_draft(document: Document, body: CommentBody, actor: Actor) -> None:
    outgoing.review_draft(db(), actor, document, body.comment)


@_action("approve", CommentBody)
def approve_draft(document: Document, body: CommentBody, actor: Actor) -> None:
    outgoing.approve_draft(db(), actor, document, body.comment)


@_action("return-draft", RequiredCommentBody)
def return_draft(document: Document, body: RequiredCommentBody, actor: Actor) -> None:
    outgoing.return_draft(db(), actor, document, body.comment)


@_action("sign", PassphraseBody)
def sign_document(document: Document, body: PassphraseBody, actor: Actor) -> None:
    passphrase = body.passphrase.get_secret_value()
    signatures.sign_as_leader(db(), actor, document, passphrase, file_policy(), signature_config())


@_action("issue", PassphraseBody)
def issue_document(document: Document, body: PassphraseBody, actor: Actor) -> None:
    passphrase = body.passphrase.get_secret_value()
    signatures.issue_with_seal(db(), actor, document, passphrase, file_policy(), signature_config())


@_action("withdraw", ReasonBody)
def withdraw_document(document: Document, body: ReasonBody, actor: Actor) -> None:
    recall.withdraw_document(db(), actor, document, body.reason)


@_action("update", UpdateBody)
def update_document(document: Document, body: UpdateBody, actor: Actor) -> None:
    change = amend.MetadataUpdate(**body.model_dump(exclude={"reason"}))
    amend.update_issued_document(db(), actor, document, change, body.reason)


def _created(document: Document, warnings: list[str]) -> Any:
    location = url_for("api.get_document", document_id=document.id)
    return (
        jsonify(_answer(document, DocumentResult, warnings=warnings)),
        201,
        {"Location": location},
    )


def _answer(document: Document, model: type[DocumentDetail], **extra: Any) -> dict[str, Any]:
    """Return the document as ``model`` JSON, with its timeline and ``extra`` fields."""
    timeline = [_event(e) for e in list_events_for(db(), "document", document.id)]
    answer = model.model_validate(document).model_copy(update={"timeline": timeline, **extra})
    return answer.model_dump(mode="json")


def _event(event: AuditEvent) -> EventOut:
    def who(user_id: int | None) -> Person | None:
        return Person.model_validate(get_user_or_raise(db(), user_id)) if user_id else None

    return EventOut(
        id=event.id,
        at=event.at,
        action=event.action,
        actor=who(event.actor_id),
        on_behalf_of=who(event.on_behalf_of_id),
        details=event.details,
    )
