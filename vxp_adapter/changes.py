"""What the axis changes in documents already exchanged: the sender's recall (status 13 or a
revocation edoc), an update edoc, and the outbox rows a withdrawal made pointless.

A recall or update is applied to every local copy it names and answered per copy with 15
(done) or 16 (refused, with the reason); one naming no copy here is quarantined
(``unknown_document``), like any message we cannot use.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from eoffice import clock
from eoffice.documents.amend import apply_update
from eoffice.documents.models import Direction, Document, Recipient, RecipientStatus
from eoffice.documents.recall import apply_recall
from eoffice.documents.workflow import Status
from eoffice.exchange.models import OutboxKind, OutboxMessage, OutboxState
from eoffice.exchange.services import (
    AGREE_CODE,
    RECALL_CODE,
    REFUSE_CODE,
    advance_recipient,
    queue_message,
)
from eoffice.org.models import Agency
from vxp_adapter.codes import BusinessDocType, urgency_of
from vxp_adapter.errors import InvalidMessage, Problem
from vxp_adapter.messages import document_id_of
from vxp_adapter.model import Edoc, StatusMessage

RECHECK = timedelta(seconds=30)


def find_copies(
    session: Session, document_id: str, sender: str, agency_codes: Sequence[str]
) -> list[Document]:
    """Return the incoming copies of a sender's document held by these local agencies."""
    stmt = (
        select(Document)
        .join(Agency, Document.agency_id == Agency.id)
        .where(
            Document.direction == Direction.INCOMING.value,
            Document.edxml_document_id == document_id[:200],
            Document.organ_id == sender[:35],
            Agency.code.in_(list(agency_codes)),
            Agency.is_local,
        )
        .order_by(Document.id)
    )
    return list(session.execute(stmt).scalars())


def _answer(session: Session, copy: Document, axis_id: str, refusal: str) -> None:
    code = REFUSE_CODE if refusal else AGREE_CODE
    queue_message(
        session,
        OutboxKind.STATUS,
        copy,
        None,
        {"status_code": code, "description": refusal},
        f"answer:{copy.id}:{axis_id}"[:200],
    )


def apply_recall_status(session: Session, axis_id: str, status: StatusMessage) -> Document:
    """Apply a sender's 13 (lấy lại) to the receiver it names; return the copy.

    :raises InvalidMessage: no such document here (unknown_document).
    """
    about = status.response_for
    copies = find_copies(session, about.document_id, status.sender.organ_id, [about.organ_id])
    if not copies:
        raise InvalidMessage(Problem.UNKNOWN_DOCUMENT, "văn bản được yêu cầu lấy lại")
    for copy in copies:
        apply_recall(session, copy, status.description)
        _answer(session, copy, axis_id, "")
    return copies[0]


def apply_edoc_change(session: Session, axis_id: str, edoc: Edoc) -> list[Document]:
    """Apply a revocation (type 1) or an update (type 2) edoc to the copies it names.

    :raises InvalidMessage: it names no document held here (unknown_document).
    """
    target = edoc.target_document_id or document_id_of(edoc)
    codes = [r.organ_id for r in edoc.recipients]
    copies = find_copies(session, target, edoc.sender.organ_id, codes)
    if not copies:
        raise InvalidMessage(Problem.UNKNOWN_DOCUMENT, target)
    revoke = edoc.business.doc_type == BusinessDocType.REVOKE
    for copy in copies:
        if revoke:
            apply_recall(session, copy, edoc.business.reason)
            refusal = ""
        else:
            refusal = apply_update(session, copy, updated_values(edoc), edoc.business.reason)
        _answer(session, copy, axis_id, refusal)
    return copies


def updated_values(edoc: Edoc) -> dict[str, Any]:
    """Return the metadata an update edoc carries (none when it only changes the receivers)."""
    if edoc.business.update is not None and not edoc.business.update.document_info:
        return {}
    values: dict[str, Any] = {
        "subject": edoc.subject.strip(),
        "due_date": edoc.due_date,
        "urgency": urgency_of(edoc.other.priority).value,
        "signer_name": edoc.signer.full_name.strip(),
        "signer_position": edoc.signer.position.strip(),
    }
    if edoc.other.page_amount is not None:
        values["page_amount"] = edoc.other.page_amount
    return values


def not_to_send(session: Session, message: OutboxMessage, document: Document) -> bool:
    """Return True (and settle the row) when an outbox row must not go out now.

    A withdrawn document's edocs are cancelled. Its 13 goes only to a recipient that got the
    document: cancelled (the recipient counts as recalled) when the edoc never went out, held
    back while that edoc is still pending (another worker may be sending it right now).
    """
    if document.direction != Direction.OUTGOING.value or message.recipient_id is None:
        return False
    recipient = session.get(Recipient, message.recipient_id)
    assert recipient is not None
    if message.kind == OutboxKind.EDOC.value:
        if document.status != Status.WITHDRAWN.value:
            return False
    elif message.payload.get("status_code") == RECALL_CODE:
        first = session.execute(
            select(OutboxMessage.state).where(
                OutboxMessage.dedup_key == f"edoc:{document.id}:{recipient.organ_id}"
            )
        ).scalar_one_or_none()
        if first is None or first == OutboxState.SENT.value:
            return False
        if first == OutboxState.PENDING.value:
            message.next_attempt_at = clock.now() + RECHECK
            return True
    else:
        return False
    message.state = OutboxState.CANCELLED.value
    message.last_error = "Không gửi: văn bản đã bị thu hồi"
    if message.payload.get("business") != "update":
        advance_recipient(recipient, RecipientStatus.RECALLED, "Thu hồi trước khi gửi")
    return True
