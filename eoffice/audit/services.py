"""Record and verify the audit trail.

Each row's hash covers its content and the previous row's hash, so changing, deleting or
reordering any row breaks the chain from that row on. Appends are serialised by a database lock
(held to commit) so concurrent writers cannot fork the chain.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from eoffice.audit.models import AuditEvent
from eoffice.clock import now
from eoffice.db import take_lock
from eoffice.org.actor import Actor

GENESIS_HASH = "0" * 64
AUDIT_LOCK_KEY = 0x0E0FF1CE_0001


def record_event(
    session: Session,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: object,
    *,
    agency_id: int | None = None,
    details: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the audit trail (flushes, never commits)."""
    take_lock(session, AUDIT_LOCK_KEY)
    prev = session.execute(
        select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    ).scalar_one_or_none()
    event = AuditEvent(
        at=now(),
        actor_id=actor.user_id,
        on_behalf_of_id=actor.on_behalf_of.id if actor.on_behalf_of else None,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        agency_id=agency_id if agency_id is not None else actor.agency_id,
        ip=actor.ip[:45],
        details=dict(details or {}),
        prev_hash=prev or GENESIS_HASH,
    )
    event.hash = compute_hash(event)
    session.add(event)
    session.flush()
    return event


def compute_hash(event: AuditEvent) -> str:
    """Return the SHA-256 over the event's content and its predecessor's hash."""
    content = {
        "at": event.at.isoformat(timespec="microseconds"),
        "actor_id": event.actor_id,
        "on_behalf_of_id": event.on_behalf_of_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "agency_id": event.agency_id,
        "ip": event.ip,
        "details": event.details,
        "prev_hash": event.prev_hash,
    }
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ChainReport:
    """Outcome of checking the whole chain."""

    ok: bool
    checked: int
    first_bad_id: int | None = None
    reason: str = ""


def verify_chain(session: Session) -> ChainReport:
    """Walk the audit trail in order and check every link and every row's hash."""
    expected_prev = GENESIS_HASH
    checked = 0
    rows = session.execute(select(AuditEvent).order_by(AuditEvent.id)).yield_per(1000).scalars()
    for event in rows:
        if event.prev_hash != expected_prev:
            return ChainReport(
                False, checked, event.id, "mắt xích trước không khớp (hàng bị xóa hoặc chèn)"
            )
        if compute_hash(event) != event.hash:
            return ChainReport(False, checked, event.id, "nội dung hàng đã bị sửa")
        expected_prev = event.hash
        checked += 1
    return ChainReport(True, checked)


def list_events_for(session: Session, object_type: str, object_id: object) -> list[AuditEvent]:
    """Return the events about one object, oldest first."""
    stmt = (
        select(AuditEvent)
        .where(AuditEvent.object_type == object_type, AuditEvent.object_id == str(object_id))
        .order_by(AuditEvent.id)
    )
    return list(session.execute(stmt).scalars())
