"""Worker jobs between eoffice and the axis: outbox → sendEdoc, received edocs → the registry,
received statuses → the sender's per-recipient view, the agency directory.

Exactly-once effect on top of at-least-once delivery: a received message is remembered by its
axis id (inbox) and an arrival by its edXML DocumentId per agency; what we send is built byte for
byte the same on every retry (ids and times come from the database), so the axis recognises a
re-sent message as the same one. Transport acks (done/fail) are sent only after our commit.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from eoffice import clock
from eoffice.audit.services import record_event
from eoffice.db import transaction, try_lock
from eoffice.documents.blobs import FilePolicy
from eoffice.documents.models import Direction, Document, Recipient, RecipientStatus
from eoffice.errors import EofficeError, ServiceUnavailable
from eoffice.exchange.models import InboxMessage, InboxState, OutboxKind, OutboxMessage, OutboxState
from eoffice.exchange.services import (
    AGREE_CODE,
    RECALL_CODE,
    REFUSE_CODE,
    advance_recipient,
    answer_change,
)
from eoffice.org.actor import Actor
from eoffice.org.models import Agency
from vxp_adapter.arrivals import register_arrival
from vxp_adapter.changes import apply_edoc_change, apply_recall_status, not_to_send
from vxp_adapter.client import Transport
from vxp_adapter.codes import BusinessDocType, MessageType, TransportAck, status_label
from vxp_adapter.edxml_build import build_edoc, build_status
from vxp_adapter.edxml_parse import parse_edoc, parse_status
from vxp_adapter.errors import InvalidMessage, RemoteError, TransportError
from vxp_adapter.outgoing import edoc_for, status_for

log = logging.getLogger(__name__)

STATUS_EFFECTS = {
    "01": RecipientStatus.ARRIVED,
    "02": RecipientStatus.REJECTED,
    "03": RecipientStatus.ACCEPTED,
    "04": RecipientStatus.ASSIGNED,
    "05": RecipientStatus.PROCESSING,
    "06": RecipientStatus.COMPLETED,
}


@dataclass(frozen=True)
class RetryPolicy:
    """Finite retries with exponential backoff, then a dead letter an admin can re-queue."""

    max_attempts: int = 8
    base_delay: timedelta = timedelta(seconds=30)
    max_delay: timedelta = timedelta(hours=2)

    def delay(self, attempts: int) -> timedelta:
        return min(self.base_delay * (2 ** max(0, attempts - 1)), self.max_delay)


def send_pending(
    factory: sessionmaker[Session],
    transport: Transport,
    policy: FilePolicy,
    retry: RetryPolicy = RetryPolicy(),
    batch: int = 20,
    max_seconds: float = 30.0,
) -> int:
    """Send due outbox rows one at a time; return how many were sent. Several workers may run
    this at once: a row is claimed with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL.

    No transaction is open while the axis is called (a hung axis would otherwise hold the
    database, on SQLite all of it, for a timeout per message): a row is claimed and its message
    built in one short transaction, sent, and the outcome recorded in another. The claim counts
    the attempt and schedules the next one as if this one will fail, so other workers skip the
    row meanwhile and a worker killed mid-send leaves it to be retried then; the axis recognises
    a repeated message by its content. When the axis cannot be reached at all, the round stops:
    the other rows wait for the next round instead of each waiting for a timeout.

    At least ``batch`` rows are tried, then more while rows are due and ``max_seconds`` have not
    passed: a backlog drains at the axis' pace rather than ``batch`` rows per run of the job.
    """
    sent, after, tried = 0, 0, 0
    deadline = time.monotonic() + max_seconds
    while tried < batch or time.monotonic() < deadline:
        claimed = _claim_next(factory, policy, retry, after)
        if claimed is None:
            break
        tried += 1
        after, outgoing = claimed
        if outgoing is None:  # given up, cancelled or held back: nothing to send now
            continue
        try:
            remote_id = transport.send_edoc(
                outgoing[0], from_code=outgoing[1], message_type=outgoing[2]
            )
        except TransportError as e:
            _record_failure(factory, after, str(e), retry)
            break
        except RemoteError as e:
            _record_failure(factory, after, str(e), retry)
            continue
        _record_sent(factory, after, remote_id)
        sent += 1
    return sent


def _claim_next(
    factory: sessionmaker[Session], policy: FilePolicy, retry: RetryPolicy, after: int
) -> tuple[int, tuple[bytes, str, MessageType] | None] | None:
    """Claim the next due row (id above ``after``) and build its message; None when none."""
    with transaction(factory) as session:
        message = session.execute(
            select(OutboxMessage)
            .where(
                OutboxMessage.state == OutboxState.PENDING.value,
                OutboxMessage.next_attempt_at <= clock.now(),
                OutboxMessage.id > after,
            )
            .order_by(OutboxMessage.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        ).scalar_one_or_none()
        if message is None:
            return None
        document = session.get(Document, message.document_id)
        assert document is not None
        if not_to_send(session, message, document):  # cancelled, or held back for now
            return message.id, None
        message.attempts += 1
        message.next_attempt_at = clock.now() + retry.delay(message.attempts)
        try:
            return message.id, _build(session, message, policy)
        except (InvalidMessage, EofficeError) as e:  # will never build (e.g. its file is lost)
            _give_up(message, f"{e.code}: {e}")
        except SQLAlchemyError:
            raise  # the database, not the row: the claim is rolled back and tried next round
        except Exception as e:  # a dead letter an admin sees, not a row blocking the queue
            log.exception("outbox %s cannot be built", message.id)
            _give_up(message, f"{type(e).__name__}: {e}")
        return message.id, None


def _build(
    session: Session, message: OutboxMessage, policy: FilePolicy
) -> tuple[bytes, str, MessageType]:
    document = session.get(Document, message.document_id)
    assert document is not None
    if message.kind == OutboxKind.EDOC.value:
        data = build_edoc(edoc_for(session, message, document, policy))
        return data, document.agency.code, MessageType.EDOC
    return (
        build_status(status_for(session, message, document)),
        document.agency.code,
        MessageType.STATUS,
    )


def _record_sent(factory: sessionmaker[Session], message_id: int, remote_id: str) -> None:
    with transaction(factory) as session:
        message = session.get(OutboxMessage, message_id)
        assert message is not None
        message.state, message.sent_at, message.remote_id = (
            OutboxState.SENT.value,
            clock.now(),
            remote_id[:100],
        )
        if message.recipient_id is not None:
            recipient = session.get(Recipient, message.recipient_id)
            if recipient is not None:
                advance_recipient(recipient, RecipientStatus.SENT)


def _record_failure(
    factory: sessionmaker[Session], message_id: int, error: str, retry: RetryPolicy
) -> None:
    with transaction(factory) as session:
        message = session.get(OutboxMessage, message_id)
        assert message is not None
        if message.state != OutboxState.PENDING.value:
            return  # another worker sent it meanwhile
        message.last_error = error[:2000]
        if message.attempts >= retry.max_attempts:
            _give_up(message, error)
        else:  # counted from the failure, not from the claim
            message.next_attempt_at = clock.now() + retry.delay(message.attempts)
    log.warning("outbox %s not sent (attempt %s): %s", message_id, message.attempts, error)


def _give_up(message: OutboxMessage, error: str) -> None:
    message.state, message.last_error = OutboxState.DEAD.value, error[:2000]


def receive_edocs(
    factory: sessionmaker[Session],
    transport: Transport,
    policy: FilePolicy,
    validate: Callable[[Document, bytes], object] | None = None,
) -> int:
    """Fetch waiting edocs, register each as "chờ tiếp nhận" at its recipients, ack done/fail."""
    return _receive(
        factory,
        transport,
        MessageType.EDOC,
        lambda session, item_id, raw: _handle_edoc(session, item_id, raw, policy, validate),
    )


def receive_statuses(factory: sessionmaker[Session], transport: Transport) -> int:
    """Fetch waiting status messages and apply them to our outgoing documents' recipients."""
    return _receive(factory, transport, MessageType.STATUS, _handle_status)


def _receive(factory, transport: Transport, kind: MessageType, handle) -> int:
    handled = 0
    items = transport.get_received_edoc_list(kind)
    with transaction(factory) as session:
        seen = _seen_states(session, [item.doc_id for item in items])
    for item in items:
        state = seen.get(item.doc_id[:100])
        if state is None:
            try:
                state, here = _fetch_and_handle(factory, transport, item, kind, handle)
            except (SQLAlchemyError, ServiceUnavailable, TransportError, RemoteError):
                raise  # the database, the disk or the axis, not this message: stop the round
            except Exception:  # e.g. at commit: left on the axis (no ack), the rest go on
                log.exception("%s %s not handled; tried again next round", kind.value, item.doc_id)
                continue
            if state is None:
                continue  # another worker is handling it right now; it acks
            handled += 1 if here else 0
        ack = TransportAck.DONE if state == InboxState.PROCESSED.value else TransportAck.FAIL
        transport.update_status(item.doc_id, ack)  # after our commit: a lost ack only re-lists it
    return handled


def _guarded(handle, session: Session, kind: MessageType, axis_id: str, raw: bytes) -> str:
    """Handle one received message; quarantine it (raw bytes and reason) when it cannot be
    applied, so that one bad message is never lost and never blocks the ones after it.

    Everything it wrote is undone first (a savepoint), so nothing half-registered remains. A
    database or disk that is unavailable, or another worker handling the same message at the
    same moment (a unique key taken), is not the message's fault: that is raised, and the
    message is looked at again at the next poll.
    """
    try:
        with session.begin_nested():
            return handle(session, axis_id, raw)
    except (OperationalError, IntegrityError, ServiceUnavailable):
        raise
    except InvalidMessage as e:
        reason = f"{e.code}: {e}"
    except EofficeError as e:
        reason = f"{e.code}: {e.render()}"
    except Exception as e:  # a message our code cannot handle is kept for an admin, not retried
        log.exception("edoc %s could not be handled", axis_id)
        reason = f"internal_error: {type(e).__name__}: {e}"
    log.warning("quarantined %s %s: %s", kind.value, axis_id, reason)
    return _remember(session, axis_id, kind, InboxState.QUARANTINED, reason[:4000], raw)


def _seen_states(session: Session, axis_ids: list[str]) -> dict[str, str]:
    """Return the inbox state of each listed axis id already handled (one query per 500)."""
    states: dict[str, str] = {}
    for start in range(0, len(axis_ids), 500):
        chunk = [a[:100] for a in axis_ids[start : start + 500]]
        rows = session.execute(
            select(InboxMessage.axis_doc_id, InboxMessage.state).where(
                InboxMessage.axis_doc_id.in_(chunk)
            )
        )
        states.update({axis_id: state for axis_id, state in rows})
    return states


def _fetch_and_handle(
    factory: sessionmaker[Session], transport: Transport, item, kind: MessageType, handle
) -> tuple[str | None, bool]:
    """Fetch and handle a received message once; return its inbox state (None while another
    worker holds it) and whether this call handled it.

    PostgreSQL: fetched under the item's advisory lock (no row is locked meanwhile), so two
    workers never download the same message. SQLite: fetched before the transaction, whose
    BEGIN IMMEDIATE would hold the whole database during the download.
    """
    claims = factory.kw["bind"].dialect.name == "postgresql"
    raw = None if claims else transport.get_edoc(item.doc_id)
    with transaction(factory) as session:
        if not try_lock(session, _item_lock(item.doc_id)):
            return None, False
        done = session.execute(
            select(InboxMessage.state).where(InboxMessage.axis_doc_id == item.doc_id[:100])
        ).scalar_one_or_none()
        if done is not None:  # handled by another worker since we listed it
            return done, False
        if raw is None:
            raw = transport.get_edoc(item.doc_id)
        state = _guarded(handle, session, kind, item.doc_id, raw)
        if state == InboxState.QUARANTINED.value:
            _address(session, item.doc_id, item.to_codes)
        return state, True


def _item_lock(axis_id: str) -> int:
    """A 63-bit advisory lock key for one axis message (held until the handling commits)."""
    digest = hashlib.sha256(b"vxp-inbox:" + axis_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def _address(session: Session, axis_id: str, to_codes: tuple[str, ...]) -> None:
    """Note which local agency the axis delivered a quarantined message to (its admins see it)."""
    if not to_codes:
        return
    agency_id = session.execute(
        select(Agency.id).where(Agency.code.in_(to_codes), Agency.is_local).order_by(Agency.code)
    ).scalar()
    session.execute(
        update(InboxMessage)
        .where(InboxMessage.axis_doc_id == axis_id[:100])
        .values(agency_id=agency_id)
    )


def _remember(
    session: Session,
    axis_id: str,
    kind: MessageType,
    state: InboxState,
    reason: str = "",
    raw: bytes | None = None,
    document_id: int | None = None,
) -> str:
    session.add(
        InboxMessage(
            axis_doc_id=axis_id[:100],
            message_type=kind.value,
            state=state.value,
            reason=reason,
            raw=raw if state is InboxState.QUARANTINED else None,
            document_id=document_id,
        )
    )
    session.flush()
    return state.value


def _handle_edoc(session: Session, axis_id: str, raw: bytes, policy: FilePolicy, validate) -> str:
    """Register the arrival, or apply a recall or update to the copy here; an unusable message
    raises and `_guarded` quarantines it."""
    edoc = parse_edoc(raw)
    if edoc.business.doc_type in (BusinessDocType.REVOKE, BusinessDocType.UPDATE):
        documents = apply_edoc_change(session, axis_id, edoc)
    else:  # new, or a replacement: a document of its own, linked to the one it replaces
        documents = register_arrival(session, edoc, policy, validate)
    return _remember(
        session,
        axis_id,
        MessageType.EDOC,
        InboxState.PROCESSED,
        document_id=documents[0].id if documents else None,
    )


def _handle_status(session: Session, axis_id: str, raw: bytes) -> str:
    try:
        status = parse_status(raw)
    except InvalidMessage as e:
        return _remember(
            session, axis_id, MessageType.STATUS, InboxState.QUARANTINED, f"{e.code}: {e}", raw
        )
    if status.status_code == RECALL_CODE:
        try:
            arrived = apply_recall_status(session, axis_id, status)
        except InvalidMessage as e:
            return _remember(
                session, axis_id, MessageType.STATUS, InboxState.QUARANTINED, f"{e.code}: {e}", raw
            )
        return _remember(
            session, axis_id, MessageType.STATUS, InboxState.PROCESSED, document_id=arrived.id
        )
    target = (
        session.execute(
            select(Document)
            .join(Agency, Agency.id == Document.agency_id)  # (agency, DocumentId) is indexed
            .where(
                Agency.code == status.response_for.organ_id,
                Document.direction == Direction.OUTGOING.value,
                Document.edxml_document_id == status.response_for.document_id[:200],
                Document.issued_at.is_not(None),
            )
        )
        .scalars()
        .first()
    )
    if target is None or target.agency.code != status.response_for.organ_id:
        return _remember(
            session,
            axis_id,
            MessageType.STATUS,
            InboxState.QUARANTINED,
            "unknown_document: không tìm thấy văn bản đi được phản hồi",
            raw,
        )
    row = next((r for r in target.recipients if r.organ_id == status.sender.organ_id), None)
    effect = STATUS_EFFECTS.get(status.status_code)
    answered = ""
    if row is not None and effect is not None:
        advance_recipient(row, effect, status.description)
    elif row is not None and status.status_code in (AGREE_CODE, REFUSE_CODE):
        answered = answer_change(row, status.status_code == AGREE_CODE, status.description)
    if row is not None and effect is None and not answered:  # kept as they came, as text
        row.reason = f"Trạng thái {status.status_code}: {status.description}"[:500]

    record_event(
        session,
        Actor.system(),
        "document.remote_status",
        "document",
        target.id,
        agency_id=target.agency_id,
        details={
            "from": status.sender.organ_id,
            "status_code": status.status_code,
            "status": f"{status.status_code} {status_label(status.status_code) or ''}".strip(),
            "reason": status.description,
        },
    )
    return _remember(
        session, axis_id, MessageType.STATUS, InboxState.PROCESSED, document_id=target.id
    )


def refresh_directory(factory: sessionmaker[Session], transport: Transport) -> int:
    """Add or rename the axis' agencies (as external agencies); return how many changed."""

    changed = 0
    agencies = transport.get_agencies_list()
    with transaction(factory) as session:
        known = {a.code: a for a in session.execute(select(Agency)).scalars()}
        for entry in agencies:
            current = known.get(entry.code)
            if current is None:
                session.add(
                    Agency(
                        code=entry.code[:35],
                        name=entry.name[:200] or entry.code,
                        short_name="",
                        level="tinh",
                        exchanges_via_vxp=True,
                        is_local=False,
                        email=entry.mail[:100],
                    )
                )
                changed += 1
            elif not current.is_local and current.name != entry.name[:200] and entry.name:
                current.name = entry.name[:200]
                changed += 1
    return changed
