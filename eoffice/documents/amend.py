"""Changes after issue: a metadata update (edXML business type 2) and a replacement (type 3).

- Update: the clerk of the issuing agency corrects metadata of an issued document (the signed PDF
  does not change: a content error needs a replacement, a form error a correcting công văn). Each
  recipient's copy gets the same correction: at once on this instance, by an update edoc through
  VXP otherwise; the answer (15 applied, 16 refused) is kept per recipient.
- Replacement: a new document of the same form, drafted and signed as usual, names the issued
  document it replaces; at issue every recipient's copy of the old one is linked to the new one.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from eoffice import clock
from eoffice.audit.services import record_event
from eoffice.documents.metadata import build_search_text
from eoffice.documents.models import (
    ChangeStatus,
    Direction,
    Document,
    Recipient,
    RecipientStatus,
)
from eoffice.documents.recall import require_own_outgoing, require_reason
from eoffice.documents.types import Urgency
from eoffice.documents.workflow import Action, Status, next_status
from eoffice.errors import InvalidInput
from eoffice.exchange.models import OutboxKind
from eoffice.exchange.services import queue_message
from eoffice.org.actor import Actor

FIELD_LABELS = {
    "subject": "Trích yếu",
    "due_date": "Hạn trả lời",
    "urgency": "Độ khẩn",
    "signer_name": "Người ký",
    "signer_position": "Chức vụ người ký",
    "page_amount": "Số trang",
}
"""The fields an update may change, with their labels."""
_LIMITS = {"subject": 500, "signer_name": 50, "signer_position": 100}
_CLOSED = (
    RecipientStatus.REJECTED.value,
    RecipientStatus.RECALL_REQUESTED.value,
    RecipientStatus.RECALLED.value,
    RecipientStatus.RECALL_REFUSED.value,
)


@dataclass(frozen=True)
class MetadataUpdate:
    """New values for an issued document; None leaves a field as it is."""

    subject: str | None = None
    due_date: date | None = None
    urgency: str | None = None
    signer_name: str | None = None
    signer_position: str | None = None
    page_amount: int | None = None

    def values(self) -> dict[str, Any]:
        """Return the given fields, text stripped."""
        given = {f.name: getattr(self, f.name) for f in fields(self)}
        return {
            k: v.strip() if isinstance(v, str) else v for k, v in given.items() if v is not None
        }


def problems(document: Document, values: dict[str, Any]) -> dict[str, str]:
    """Return one message per field whose new value a register cannot take."""
    errors = {}
    if "subject" in values and not values["subject"]:
        errors["subject"] = "Trích yếu là bắt buộc"
    for name, limit in _LIMITS.items():
        if len(values.get(name) or "") > limit:
            errors[name] = f"Tối đa {limit} ký tự"
    if "urgency" in values and values["urgency"] not in {u.value for u in Urgency}:
        errors["urgency"] = "Mức độ khẩn không hợp lệ"
    pages = values.get("page_amount")
    if pages is not None and not 0 < pages < 1000:
        errors["page_amount"] = "Số trang từ 1 đến 999"
    due = values.get("due_date")
    if due is not None and document.issued_date is not None and due < document.issued_date:
        errors["due_date"] = "Hạn trả lời không được trước ngày văn bản"
    return errors


def _changes(document: Document, values: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    return {k: (getattr(document, k), v) for k, v in values.items() if getattr(document, k) != v}


def _apply(document: Document, changes: dict[str, tuple[Any, Any]]) -> dict[str, Any]:
    """Set the new values; return the audit details (machine values and a line for people)."""
    for name, (_old, new) in changes.items():
        setattr(document, name, new)
    document.search_text = build_search_text(document, document.search_text)
    return {
        "changes": {k: [_plain(o), _plain(n)] for k, (o, n) in changes.items()},
        "changed": "; ".join(
            f"{FIELD_LABELS[k]}: {_shown(o)} → {_shown(n)}" for k, (o, n) in changes.items()
        ),
    }


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _shown(value: Any) -> str:
    if isinstance(value, date):
        return clock.format_date(value)
    if value is None or value == "":
        return "—"
    if isinstance(value, str) and value in {u.value for u in Urgency}:
        return Urgency(value).label
    return f"«{value}»" if isinstance(value, str) else str(value)


def update_issued_document(
    session: Session, actor: Actor, document: Document, update: MetadataUpdate, reason: str
) -> dict[str, tuple[Any, Any]]:
    """Correct the metadata of an issued document and send the correction to its recipients.

    :raises PermissionDenied: not a clerk of the issuing agency. :raises InvalidTransition: not
        issued, or withdrawn. :raises InvalidInput: no reason, nothing changed, a bad value.
    """
    require_own_outgoing(actor, document)
    text = require_reason(reason)
    next_status(document.status, Action.UPDATE)
    values = update.values()
    errors = problems(document, values)
    if errors:
        raise InvalidInput("Thông tin cập nhật chưa hợp lệ", fields=errors)
    changes = _changes(document, values)
    if not changes:
        raise InvalidInput(
            "Không có thông tin nào thay đổi", fields={"subject": "Sửa ít nhất một thông tin"}
        )
    details = _apply(document, changes)
    session.flush()
    event = record_event(
        session,
        actor,
        "document.update",
        "document",
        document.id,
        details={"reason": text, **details},
    )
    new_values = {k: n for k, (_o, n) in changes.items()}
    for recipient in document.recipients:
        if recipient.status in _CLOSED:
            continue
        _send_update(session, document, recipient, new_values, text, event.id)
    session.flush()
    return changes


def _send_update(
    session: Session,
    document: Document,
    recipient: Recipient,
    values: dict[str, Any],
    reason: str,
    event_id: int,
) -> None:
    if recipient.channel == "internal" and recipient.incoming_document_id is not None:
        copy = session.get(Document, recipient.incoming_document_id)
        assert copy is not None
        refusal = apply_update(session, copy, values, reason)
        recipient.change_status = (ChangeStatus.REFUSED if refusal else ChangeStatus.APPLIED).value
        recipient.status_at, recipient.reason = clock.now(), refusal
        return
    recipient.change_status = ChangeStatus.PENDING.value
    snapshot = {k: _plain(getattr(document, k)) for k in FIELD_LABELS}
    queue_message(
        session,
        OutboxKind.EDOC,
        document,
        recipient,
        {"to": recipient.organ_id, "business": "update", "reason": reason, "metadata": snapshot},
        f"update:{document.id}:{recipient.organ_id}:{event_id}",
    )


def apply_update(session: Session, copy: Document, values: dict[str, Any], reason: str) -> str:
    """Apply the sender's corrected metadata to an incoming copy; return why not ("" = done).

    A recalled or returned copy, or a value the register cannot take, is refused (16).
    """
    if copy.status == Status.RECALLED.value:
        return "Văn bản đã bị thu hồi"
    if copy.status == Status.REJECTED.value:
        return "Văn bản đã được trả lại nơi gửi"
    details: dict[str, Any] = {}
    if "due_date" in values and copy.status in (Status.ASSIGNED.value, Status.COMPLETED.value):
        values = {k: v for k, v in values.items() if k != "due_date"}
        details["note"] = "Hạn xử lý lãnh đạo đã giao được giữ nguyên"
    errors = problems(copy, values)
    if errors:
        return "Thông tin cập nhật không hợp lệ: " + "; ".join(
            f"{FIELD_LABELS.get(k, k)}: {v}" for k, v in errors.items()
        )
    changes = _changes(copy, values)
    details |= _apply(copy, changes)
    session.flush()
    record_event(
        session,
        Actor.system(),
        "document.updated_by_sender",
        "document",
        copy.id,
        agency_id=copy.agency_id,
        details={"reason": reason[:500], "from": copy.organ_name, **details},
    )
    return ""


def check_replaceable(session: Session, actor: Actor, replaces_id: int, type_code: str) -> int:
    """Return the id of the issued document a new draft may replace (same agency, same form).

    :raises InvalidInput: unknown, not issued here, withdrawn, or of another form.
    """
    old = session.get(Document, replaces_id)
    if (
        old is None
        or old.agency_id != actor.agency_id
        or old.direction != Direction.OUTGOING.value
        or old.status != Status.ISSUED.value
    ):
        raise InvalidInput(
            "Văn bản được thay thế phải là văn bản đã phát hành của cơ quan",
            fields={"replaces_id": "Không tìm thấy văn bản đã phát hành"},
        )
    if old.type_code != type_code:
        raise InvalidInput(
            "Văn bản thay thế phải cùng hình thức với văn bản bị thay thế",
            fields={"type_code": f"Phải là {old.type_name}"},
        )
    return old.id


def mark_replaced(session: Session, new: Document, old: Document) -> None:
    """Link ``new`` to the document it replaces and note it on the old one's timeline."""
    new.replaces_id = old.id
    session.flush()
    record_event(
        session,
        Actor.system(),
        "document.replaced",
        "document",
        old.id,
        agency_id=old.agency_id,
        details={"code": new.code, "replaced_by": new.id},
    )


def replaced_by(session: Session, document: Document) -> list[Document]:
    """Return the documents that replace ``document`` (normally one)."""
    stmt = select(Document).where(Document.replaces_id == document.id).order_by(Document.id)
    return list(session.execute(stmt).scalars())


def copy_at(session: Session, sent: Document, agency_id: int | None) -> Document | None:
    """Return an agency's incoming copy of an outgoing document sent on this instance."""
    row = next((r for r in sent.recipients if r.agency_id == agency_id), None)
    if row is None or row.incoming_document_id is None:
        return None
    return session.get(Document, row.incoming_document_id)
