"""What the local axis does with its tables: systems, directory, routing, queues and traces.

Functions take a session and never commit; the WSGI app and the CLI own the transactions.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, insert, literal_column, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, joinedload

from vxp_adapter.codes import MessageType, TransportAck
from vxp_adapter.dates import format_vn
from vxp_adapter.edxml_parse import parse_message
from vxp_adapter.errors import InvalidMessage
from vxp_adapter.hub.auth import HubFailure
from vxp_adapter.hub.models import Agency, Delivery, Message, SeenRequest, System, utcnow
from vxp_adapter.model import Edoc, StatusMessage
from vxp_adapter.xmlsafe import Limits

STATE_DESC = {
    "initial": "Chờ nhận",
    "processing": "Đang xử lý",
    "done": "Đã nhận",
    "fail": "Nhận lỗi",
}
_OPEN_STATES = ("initial", "processing")
_FINAL_STATES = ("done", "fail")


@dataclass(frozen=True)
class AgencySpec:
    """An agency given to `add_system`."""

    code: str
    name: str = ""


def add_system(
    session: Session, system_id: str, agencies: Sequence[AgencySpec], *, rotate: bool = False
) -> str:
    """Register a client system for some agencies (added to the directory); return its secret.

    :raises HubFailure: CONFLICT when the system exists and `rotate` is false.
    """
    system = session.scalar(select(System).where(System.system_id == system_id))
    if system is not None and not rotate:
        raise HubFailure("CONFLICT", f"Hệ thống {system_id} đã được đăng ký", 409)
    secret = base64.b64encode(secrets.token_bytes(33)).decode("ascii")
    if system is None:
        system = System(system_id=system_id, secret=secret)
        session.add(system)
    system.secret = secret
    for spec in agencies:
        agency = session.scalar(select(Agency).where(Agency.code == spec.code))
        if agency is None:
            agency = Agency(code=spec.code, name=spec.name or spec.code)
            session.add(agency)
        elif spec.name:
            agency.name = spec.name
        if agency not in system.agencies:
            system.agencies.append(agency)
    session.flush()
    return secret


def get_system(session: Session, system_id: str) -> System | None:
    """Return a registered system by its id, with its agencies (one query)."""
    stmt = select(System).where(System.system_id == system_id).options(joinedload(System.agencies))
    return session.execute(stmt).unique().scalar_one_or_none()


def _codes(system: System) -> set[str]:
    return {a.code for a in system.agencies}


def accept_message(
    session: Session,
    system: System,
    from_code: str,
    message_type: str,
    data: bytes,
    limits: Limits,
) -> str:
    """Queue a sent message for its recipients; return its DocId (the same for a repeat).

    :raises HubFailure: the message is invalid, of the wrong type, sent for an agency the
        system may not act for, or addressed to an unknown agency.
    """
    try:
        msg = parse_message(data, limits)
    except InvalidMessage as e:
        raise HubFailure("INVALID_MESSAGE", f"{e} [{e.code}]") from e
    if isinstance(msg, Edoc) != (message_type == MessageType.EDOC):
        raise HubFailure("BAD_REQUEST", f"messagetype={message_type} không khớp gói tin")
    allowed = _codes(system)
    if from_code not in allowed:
        raise HubFailure("FORBIDDEN", f"Hệ thống không được gửi thay cho {from_code}", 403)
    if msg.sender.organ_id != from_code:
        raise HubFailure(
            "FORBIDDEN", f"From/OrganId {msg.sender.organ_id} khác from={from_code}", 403
        )
    targets = _targets(msg)
    known = set(session.scalars(select(Agency.code).where(Agency.code.in_(targets))))
    unknown = [c for c in targets if c not in known]
    if unknown:
        raise HubFailure(
            "UNKNOWN_AGENCY", f"Đơn vị nhận không có trong danh bạ: {', '.join(unknown)}"
        )
    digest = hashlib.sha256(data).hexdigest()
    message_id = str(uuid.uuid4())
    # One statement whether new or repeated (no savepoint round trips): a repeat, even one
    # racing this request, leaves the first row in place and gets its id.
    created = _insert_ignore(
        session,
        Message,
        id=message_id,
        system_pk=system.id,
        from_code=from_code,
        message_type=message_type,
        service_type="eDoc",
        sha256=digest,
        size=len(data),
        content=data,
        created_at=utcnow(),
        **_summary(msg),
    )
    if not created:
        found = _existing(session, from_code, message_type, digest)
        assert found is not None  # the conflicting row is committed or ours to see
        return found
    now = utcnow()
    session.execute(
        insert(Delivery),
        [
            {
                "id": str(uuid.uuid4()),
                "message_id": message_id,
                "to_code": code,
                "state": "initial",
                "created_at": now,
                "updated_at": now,
            }
            for code in targets
        ],
    )
    return message_id


def _insert_ignore(session: Session, model: Any, **values: Any) -> bool:
    """INSERT … ON CONFLICT DO NOTHING (PostgreSQL and SQLite); return whether a row was added."""
    dialect = session.get_bind().dialect.name
    stmt = (pg_insert if dialect == "postgresql" else sqlite_insert)(model).values(**values)
    # RETURNING tells: psycopg reports no rowcount for INSERT … ON CONFLICT.
    added = stmt.on_conflict_do_nothing().returning(literal_column("1"))
    return session.connection().execute(added).first() is not None


def _targets(msg: Edoc | StatusMessage) -> list[str]:
    if isinstance(msg, StatusMessage):
        return [msg.response_for.organ_id]
    return [r.organ_id for r in msg.recipients]


def _summary(msg: Edoc | StatusMessage) -> dict[str, Any]:
    if isinstance(msg, StatusMessage):
        return {
            "document_id": msg.response_for.document_id[:500],
            "subject": msg.description,
            "notation": msg.response_for.code[:100],
            "status_code": msg.status_code[:10],
        }
    return {
        "document_id": msg.document_id[:500],
        "subject": msg.subject,
        "notation": msg.notation[:100],
        "status_code": "",
    }


def _existing(session: Session, from_code: str, message_type: str, digest: str) -> str | None:
    return session.scalar(
        select(Message.id).where(
            Message.from_code == from_code,
            Message.message_type == message_type,
            Message.sha256 == digest,
        )
    )


def _aware(value: datetime) -> datetime:
    """SQLite gives back naive datetimes; the hub stores UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def list_received(
    session: Session,
    system: System,
    message_type: str,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[dict[str, str]]:
    """Return the open deliveries of one type for the system's agencies, oldest first."""
    query = (
        select(
            Delivery.id,
            Delivery.to_code,
            Delivery.state,
            Delivery.created_at,
            Delivery.updated_at,
            Message.service_type,
            Message.message_type,
            Message.from_code,
        )
        .join(Message, Message.id == Delivery.message_id)
        .where(
            Delivery.to_code.in_(_codes(system)),
            Delivery.state.in_(_OPEN_STATES),
            Message.message_type == message_type,
        )
        .order_by(Delivery.created_at, Delivery.id)
    )  # columns, not entities: a backlog of thousands is listed in one query
    if since is not None:
        query = query.where(Delivery.created_at >= since.astimezone(UTC))
    if until is not None:
        query = query.where(Delivery.created_at <= until.astimezone(UTC))
    return [
        {
            "docId": d.id,
            "serviceType": d.service_type,
            "messageType": d.message_type,
            "from": d.from_code,
            "to": d.to_code,
            "status": d.state,
            "status_desc": STATE_DESC[d.state],
            "created_time": format_vn(_aware(d.created_at)),
            "updated_time": format_vn(_aware(d.updated_at)),
        }
        for d in session.execute(query)
    ]


def count_received(session: Session, system: System, message_type: str) -> int:
    """Return how many deliveries of one type wait for the system."""
    query = (
        select(func.count())
        .select_from(Delivery)
        .join(Message)
        .where(
            Delivery.to_code.in_(_codes(system)),
            Delivery.state.in_(_OPEN_STATES),
            Message.message_type == message_type,
        )
    )
    return int(session.scalar(query) or 0)


def _delivery(session: Session, system: System, doc_id: str) -> Delivery:
    delivery = session.get(Delivery, doc_id)
    if delivery is None or delivery.to_code not in _codes(system):
        raise HubFailure("NOT_FOUND", f"Không tìm thấy văn bản {doc_id}", 404)
    return delivery


def fetch(session: Session, system: System, doc_id: str) -> bytes:
    """Return the edXML of a delivery addressed to one of the system's agencies.

    :raises HubFailure: NOT_FOUND.
    """
    return _delivery(session, system, doc_id).message.content


def acknowledge(session: Session, system: System, doc_id: str, state: str) -> None:
    """Record the transport acknowledgement of a delivery (done and fail are final).

    :raises HubFailure: NOT_FOUND, BAD_REQUEST for an unknown state, INVALID_TRANSITION.
    """
    if state not in {a.value for a in TransportAck}:
        raise HubFailure("BAD_REQUEST", f"Trạng thái không hợp lệ: {state}")
    delivery = _delivery(session, system, doc_id)
    if delivery.state == state:
        return
    if delivery.state in _FINAL_STATES:
        raise HubFailure(
            "INVALID_TRANSITION", f"Văn bản {doc_id} đã ở trạng thái {delivery.state}", 409
        )
    delivery.state = state
    delivery.updated_at = utcnow()


def list_sent(session: Session, system: System, doc_id: str) -> list[dict[str, str]]:
    """Return the per-recipient trace of a message the system sent.

    :raises HubFailure: NOT_FOUND.
    """
    message = session.get(Message, doc_id)
    if message is None or message.system_pk != system.id:
        raise HubFailure("NOT_FOUND", f"Không tìm thấy văn bản đã gửi {doc_id}", 404)
    deliveries = session.scalars(
        select(Delivery).where(Delivery.message_id == message.id).order_by(Delivery.to_code)
    )
    return [
        {
            "senderDocId": message.id,
            "receiverDocId": d.id,
            "fromCode": message.from_code,
            "toCode": d.to_code,
            "sendStatus": "done",
            "sendStatusDesc": "Đã gửi",
            "receiveStatus": d.state,
            "receiveStatusDesc": STATE_DESC[d.state],
            "title": message.subject,
            "notation": message.notation,
            "messageType": message.message_type,
            "serviceType": message.service_type,
            "sentTime": format_vn(_aware(message.created_at)),
            "receivedTime": format_vn(_aware(d.updated_at)) if d.state in _FINAL_STATES else "",
        }
        for d in deliveries
    ]


def list_agencies(session: Session) -> list[dict[str, str]]:
    """Return the directory in the shape of getAgenciesList."""
    agencies = list(session.scalars(select(Agency).order_by(Agency.code)))
    ids = {a.code: str(a.id) for a in agencies}
    return [
        {
            "id": str(a.id),
            "pid": ids.get(a.parent_code, ""),
            "code": a.code,
            "name": a.name,
            "mail": a.mail,
            "oldCode": a.old_code,
        }
        for a in agencies
    ]


def seen_answer(session: Session, fingerprint: str) -> str | None:
    """Return the stored answer of a state-changing request already served."""
    row = session.get(SeenRequest, fingerprint)
    return row.answer if row is not None else None


def prune_seen(session: Session, before: datetime) -> int:
    """Forget served requests older than `before`; return how many.

    Safe: a later replay of a forgotten send is deduplicated by content, and transport
    acknowledgements only move forward.
    """
    result = session.execute(delete(SeenRequest).where(SeenRequest.created_at < before))
    return int(getattr(result, "rowcount", 0) or 0)


def remember(
    session: Session, fingerprint: str, system: System, operation: str, answer: str
) -> None:
    """Store the answer of a state-changing request, so a replay changes nothing."""
    _insert_ignore(  # a concurrent identical request may have stored its answer first
        session,
        SeenRequest,
        fingerprint=fingerprint,
        system_pk=system.id,
        operation=operation,
        answer=answer,
        created_at=utcnow(),
    )
