"""Tell the sender how its document is doing: on this instance directly, through VXP by outbox."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from eoffice import clock
from eoffice.documents.models import Document, Recipient, RecipientStatus
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
