"""What admins see of the VXP exchange: the outbox's pending and dead letters, quarantined input.

Dead letters (retries exhausted) stay until an admin re-queues them; quarantined messages keep
their raw bytes and the reason, so nothing received is silently dropped.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import ColumnElement, or_, select, true
from sqlalchemy.orm import Session

from eoffice import clock
from eoffice.audit.services import record_event
from eoffice.documents.models import Document, Recipient
from eoffice.errors import InvalidInput, InvalidTransition, NotFound, PermissionDenied
from eoffice.exchange.models import (
    InboxMessage,
    InboxState,
    OutboxKind,
    OutboxMessage,
    OutboxState,
)
from eoffice.org.actor import Actor
from eoffice.org.services import list_managed_agencies

DEFAULT_LIMIT = 200
LISTED_STATES = (OutboxState.PENDING, OutboxState.DEAD)


@dataclass(frozen=True)
class OutboxRow:
    """One outbox message with what an admin needs to recognise it."""

    message: OutboxMessage
    document_code: str
    subject: str
    recipient_name: str

    @property
    def is_dead(self) -> bool:
        return self.message.state == OutboxState.DEAD.value


def list_outbox(
    session: Session,
    state: OutboxState | str | None = None,
    limit: int = DEFAULT_LIMIT,
    *,
    agency_ids: Collection[int] | None = None,
) -> list[OutboxRow]:
    """Return pending and dead messages (or only one of those two), dead first, then oldest due.

    ``agency_ids`` limits the list to documents of those agencies (an admin's managed agencies).

    :raises InvalidInput: for an unknown ``state``.
    """
    if state is None or state == "":
        states = [s.value for s in LISTED_STATES]
    else:
        if state not in {s.value for s in LISTED_STATES}:
            raise InvalidInput("Trạng thái thư không hợp lệ", fields={"state": "Không hợp lệ"})
        states = [str(state)]
    stmt = (
        select(OutboxMessage, Document, Recipient)
        .join(Document, Document.id == OutboxMessage.document_id)
        .outerjoin(Recipient, Recipient.id == OutboxMessage.recipient_id)
        .where(OutboxMessage.state.in_(states))
    )
    if agency_ids is not None:
        stmt = stmt.where(Document.agency_id.in_(list(agency_ids)))
    dead_first = (OutboxMessage.state != OutboxState.DEAD.value).asc()
    stmt = stmt.order_by(dead_first, OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit)
    return [
        OutboxRow(
            message=message,
            document_code=document.code,
            subject=document.subject,
            recipient_name=_recipient_name(message, document, recipient),
        )
        for message, document, recipient in session.execute(stmt)
    ]


def _recipient_name(message: OutboxMessage, document: Document, recipient: Recipient | None) -> str:
    if recipient is not None:
        return recipient.organ_name
    if message.kind == OutboxKind.STATUS.value:
        return document.organ_name  # a status goes back to the incoming document's sender
    return ""


@dataclass(frozen=True)
class QuarantineScope:
    """Which quarantined messages someone may read; see `quarantine_scope`."""

    agency_ids: frozenset[int] | None
    """Addressees whose messages are visible; None: every message (the system actor)."""
    unaddressed: bool
    """Whether messages addressed to no agency hosted here are visible."""

    def clause(self) -> ColumnElement[bool]:
        if self.agency_ids is None:
            return true()
        mine = InboxMessage.agency_id.in_(sorted(self.agency_ids))
        return or_(mine, InboxMessage.agency_id.is_(None)) if self.unaddressed else mine


def quarantine_scope(session: Session, actor: Actor) -> QuarantineScope:
    """Which quarantined messages ``actor`` may read (raw bytes of other agencies' documents).

    An admin sees those the axis addressed to an agency they administer. A message addressed
    to no agency hosted here (or unreadable enough that the axis' address is all we have and it
    names nobody local) belongs to no one below the top: only admins of a top-level agency (one
    without a parent) see it. The system actor sees everything.
    """
    if actor.user is None:
        return QuarantineScope(agency_ids=None, unaddressed=True)
    managed = list_managed_agencies(session, actor)
    top = actor.is_admin and actor.user.agency.parent_id is None
    return QuarantineScope(agency_ids=frozenset(a.id for a in managed), unaddressed=top)


def list_quarantine(
    session: Session, scope: QuarantineScope, limit: int = DEFAULT_LIMIT
) -> list[InboxMessage]:
    """Return the quarantined inbox messages within ``scope``, newest first."""
    stmt = (
        select(InboxMessage)
        .where(InboxMessage.state == InboxState.QUARANTINED.value, scope.clause())
        .order_by(InboxMessage.received_at.desc(), InboxMessage.id.desc())
        .limit(limit)
    )
    return list(session.execute(stmt).scalars())


def get_quarantined(session: Session, message_id: int, scope: QuarantineScope) -> InboxMessage:
    """Return one quarantined inbox message within ``scope``.

    :raises NotFound: when there is no such message, it was not quarantined, or it is outside
        ``scope`` (a denial looks like absence, as elsewhere).
    """
    message = session.execute(
        select(InboxMessage).where(
            InboxMessage.id == message_id,
            InboxMessage.state == InboxState.QUARANTINED.value,
            scope.clause(),
        )
    ).scalar_one_or_none()
    if message is None:
        raise NotFound("Không tìm thấy thư bị cách ly")
    return message


def requeue_dead(
    session: Session,
    actor: Actor,
    message_id: int,
    *,
    agency_ids: Collection[int] | None = None,
) -> OutboxMessage:
    """Put a dead letter back in the queue ("gửi lại"): pending, no attempts, due now. Flushes.

    ``agency_ids`` limits which documents' messages the actor may re-queue.

    :raises PermissionDenied: when a user actor is not an admin.
    :raises NotFound: when there is no such message (or it is outside ``agency_ids``).
    :raises InvalidTransition: when the message is not dead (pending or already sent).
    """
    if actor.user is not None and not actor.is_admin:
        raise PermissionDenied("Chỉ quản trị mới gửi lại được thư")
    message = session.get(OutboxMessage, message_id, with_for_update=True)
    if message is None:
        raise NotFound("Không tìm thấy thư chờ gửi")
    document = session.get(Document, message.document_id)
    if agency_ids is not None and (document is None or document.agency_id not in agency_ids):
        raise NotFound("Không tìm thấy thư chờ gửi")
    if message.state == OutboxState.SENT.value:
        raise InvalidTransition("Thư này đã được gửi, không cần gửi lại")
    if message.state != OutboxState.DEAD.value:
        raise InvalidTransition("Thư này đang chờ gửi, chỉ gửi lại được thư đã hết lượt thử")
    previous_error, previous_attempts = message.last_error, message.attempts
    message.state = OutboxState.PENDING.value
    message.attempts = 0
    message.next_attempt_at = clock.now()
    record_event(
        session,
        actor,
        "exchange.requeue",
        "outbox_message",
        message.id,
        agency_id=document.agency_id if document is not None else None,
        details={
            "document_id": message.document_id,
            "kind": message.kind,
            "attempts": previous_attempts,
            "last_error": previous_error[:500],
        },
    )
    session.flush()
    return message
