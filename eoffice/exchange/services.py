"""Tell the sender how its document is doing: on this instance directly, through VXP by outbox."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from eoffice import clock
from eoffice.documents.models import ChangeStatus, Document, Recipient, RecipientStatus
from eoffice.exchange.models import OutboxKind, OutboxMessage

# edXML business status codes (vxp-edxml.md §3) for what the receiver did.
STATUS_CODES = {
    RecipientStatus.ARRIVED: "01",
    RecipientStatus.REJECTED: "02",
    RecipientStatus.ACCEPTED: "03",
    RecipientStatus.ASSIGNED: "04",
    RecipientStatus.PROCESSING: "05",
    RecipientStatus.COMPLETED: "06",
}
_ORDER = list(STATUS_CODES)
RECALL_CODE, AGREE_CODE, REFUSE_CODE = "13", "15", "16"
_RECALL_ENDS = (RecipientStatus.RECALLED, RecipientStatus.RECALL_REFUSED)


def report_to_sender(
    session: Session, incoming: Document, status: RecipientStatus, reason: str = ""
) -> None:
    """Record what the receiver did with ``incoming`` where its sender will see it.

    Same instance: update the sender's recipient row. Through VXP: queue a status message.
    Statuses only move forward, so a repeated or late report changes nothing.
    """
    if incoming.sender_document_id is not None:
        row = session.execute(
            select(Recipient).where(
                Recipient.document_id == incoming.sender_document_id,
                Recipient.incoming_document_id == incoming.id,
            )
        ).scalar_one_or_none()
        if row is not None:
            advance_recipient(row, status, reason)
    elif incoming.source == "vxp" and status in STATUS_CODES:
        queue_message(
            session,
            OutboxKind.STATUS,
            incoming,
            None,
            {"status_code": STATUS_CODES[status], "description": reason},
            f"status:{incoming.id}:{STATUS_CODES[status]}",
        )
    session.flush()


def advance_recipient(row: Recipient, status: RecipientStatus, reason: str = "") -> bool:
    """Move a recipient's status forward (never back); return whether it changed."""
    if not _is_forward(row.status, status):
        return False
    row.status, row.status_at, row.reason = status.value, clock.now(), reason[:500]
    return True


def _is_forward(current: str, new: RecipientStatus) -> bool:
    now = RecipientStatus(current)
    if now in _RECALL_ENDS:  # the recall's answer ends the exchange of that copy
        return False
    if new is RecipientStatus.RECALL_REQUESTED:
        return now is not RecipientStatus.RECALL_REQUESTED
    if new in _RECALL_ENDS:
        return True
    if now is RecipientStatus.RECALL_REQUESTED:  # a late progress report does not hide it
        return False
    try:
        return _ORDER.index(RecipientStatus(current)) < _ORDER.index(new)
    except ValueError:  # pending/sent/recalled are not in the receiver's order: any report advances
        return RecipientStatus(current) in (RecipientStatus.PENDING, RecipientStatus.SENT)


def queue_message(
    session: Session,
    kind: OutboxKind,
    document: Document,
    recipient: Recipient | None,
    payload: dict,
    dedup_key: str,
) -> OutboxMessage:
    """Add an outbox row unless one with the same key exists (a retried request adds nothing)."""
    existing = session.execute(
        select(OutboxMessage).where(OutboxMessage.dedup_key == dedup_key)
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    message = OutboxMessage(
        kind=kind.value,
        document_id=document.id,
        recipient_id=recipient.id if recipient else None,
        payload=payload,
        dedup_key=dedup_key[:200],
    )
    session.add(message)
    session.flush()
    return message


def answer_change(row: Recipient, agreed: bool, reason: str = "") -> str:
    """Apply a receiver's 15 (agreed) or 16 (refused) to the request it answers; return which.

    Requests are answered in the order they were sent, and a withdrawn document takes no more
    updates, so an open update is older than an open recall: it is the one answered first.
    Returns "update", "recall", or "" when nothing was waiting for an answer.
    """
    if row.change_status == ChangeStatus.PENDING.value:
        row.change_status = (ChangeStatus.APPLIED if agreed else ChangeStatus.REFUSED).value
        row.status_at, row.reason = clock.now(), reason[:500]
        return "update"
    if row.status == RecipientStatus.RECALL_REQUESTED.value:
        end = RecipientStatus.RECALLED if agreed else RecipientStatus.RECALL_REFUSED
        advance_recipient(row, end, reason)
        return "recall"
    return ""
