"""Secret documents (văn bản mật): who holds a grant, the workflow's automatic grants, and the
explicit grant and revocation by the agency's leaders and clerks.

A secret document (secrecy other than "thuong") is visible only to users holding a grant
(:func:`eoffice.documents.access.visible_filter`). The workflow grants, as it goes, everyone
whose work needs the document, so nobody is locked out of their own work:

- incoming: the clerk who registers or accepts it, the leader it is presented to, every person
  it is assigned to (for a unit: the unit's heads) and the person a unit head passes it on to;
- outgoing: the drafter and the signer at drafting, the heads of the drafting unit when the draft
  is submitted for checking, and at the signature the agency's clerks — unless one clerk already
  holds a grant (the signer may choose the clerk beforehand) — and any clerk who numbers, seals
  or issues it.

Explicit grants: a leader or clerk of the agency who holds a grant may grant it to an active user
of the same agency, and revoke another holder's grant with a reason. Revocation rule: never one's
own grant; never the grant of someone the workflow still names while the document is being
worked on (drafter, signer, leader presented to, person of an active assignment, head of a unit
with an active assignment, and — while a clerk's step comes next — the last clerk holding one). The revoker holds a grant and keeps it, so a leader or clerk who
can grant always remains. Every grant and revocation is an audit event on the document (its timeline).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from eoffice.audit.services import record_event
from eoffice.documents.models import Document, SecretGrant
from eoffice.documents.workflow import Status
from eoffice.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from eoffice.org.actor import Actor
from eoffice.org.models import Role, User, UserRole

GRANTOR_ROLES = (Role.LEADER, Role.CLERK)
MAX_REASON = 500

# States after which the workflow names nobody any more.
_FINISHED = {
    Status.COMPLETED.value,
    Status.REJECTED.value,
    Status.RECALLED.value,
    Status.ISSUED.value,
    Status.WITHDRAWN.value,
}
# States in which a clerk's step comes next.
_CLERK_NEXT = {
    Status.PENDING_ACCEPT.value,
    Status.REGISTERED.value,
    Status.SIGNED.value,
    Status.NUMBERED.value,
    Status.SEALED.value,
}


@dataclass(frozen=True)
class GrantHolder:
    """One user holding a grant, as the document page lists them."""

    user: User
    granted_by: User | None
    granted_at: datetime
    protected: bool
    """The grant cannot be revoked now (see the module's rule)."""


def is_secret(document: Document) -> bool:
    """Return whether the document needs grants."""
    return document.secrecy != "thuong"


def holds_grant(session: Session, user_id: int | None, document_id: int) -> bool:
    """Return whether ``user_id`` holds a grant for the document."""
    if user_id is None:
        return False
    return session.get(SecretGrant, (document_id, user_id)) is not None


def grant_automatically(
    session: Session, actor: Actor, document: Document, users: Iterable[User | None], why: str
) -> list[User]:
    """Grant a secret document to the users the workflow needs (idempotent; none for a
    non-secret document). Each new grant is an audit event. Returns the users newly granted."""
    if not is_secret(document):
        return []
    session.flush()
    granted: list[User] = []
    for user in users:
        if user is None or user in granted or holds_grant(session, user.id, document.id):
            continue
        _add(session, actor, document, user, details={"why": why})
        granted.append(user)
    return granted


def grant_unit_heads(
    session: Session, actor: Actor, document: Document, unit_ids: Iterable[int | None], why: str
) -> None:
    """Grant a secret document to the active heads of the given units."""
    wanted = {u for u in unit_ids if u is not None}
    if not is_secret(document) or not wanted:
        return
    heads = session.execute(
        select(User)
        .join(UserRole)
        .where(User.unit_id.in_(wanted), User.is_active, UserRole.role == Role.UNIT_HEAD.value)
        .order_by(User.id)
    ).scalars()
    grant_automatically(session, actor, document, list(heads), why)


def grant_clerks_unless_one_holds(session: Session, actor: Actor, document: Document) -> None:
    """At the signature, hand a secret document to the văn thư: every active clerk of the agency,
    unless a clerk already holds a grant (then only that clerk does)."""
    if not is_secret(document):
        return
    clerks = _with_role(session, document.agency_id, Role.CLERK)
    if any(holds_grant(session, c.id, document.id) for c in clerks):
        return
    grant_automatically(session, actor, document, clerks, "Văn thư cấp số, phát hành")


def _with_role(session: Session, agency_id: int, role: Role) -> list[User]:
    stmt = (
        select(User)
        .join(UserRole)
        .where(User.agency_id == agency_id, User.is_active, UserRole.role == role.value)
        .order_by(User.id)
    )
    return list(session.execute(stmt).scalars().unique())


def may_manage_grants(session: Session, actor: Actor, document: Document) -> bool:
    """Return whether the actor may grant and revoke this secret document."""
    user = actor.principal
    return (
        is_secret(document)
        and user is not None
        and user.agency_id == document.agency_id
        and user.has_role(*GRANTOR_ROLES)
        and holds_grant(session, user.id, document.id)
    )


def _require_manager(session: Session, actor: Actor, document: Document) -> User:
    if not is_secret(document):
        raise InvalidInput("Văn bản không phải văn bản mật", code="not_secret")
    if not may_manage_grants(session, actor, document):
        raise PermissionDenied(
            "Chỉ lãnh đạo hoặc văn thư đã được cấp quyền mới cấp, thu hồi quyền xem văn bản mật"
        )
    assert actor.principal is not None
    return actor.principal


def grant_access(session: Session, actor: Actor, document: Document, user_id: int) -> SecretGrant:
    """Grant a secret document to an active user of the same agency.

    :raises InvalidInput: not secret, or the user is unknown, inactive or of another agency.
    :raises PermissionDenied: the actor may not grant. :raises Conflict: already granted.
    """
    _require_manager(session, actor, document)
    user = session.get(User, user_id)
    if user is None or user.agency_id != document.agency_id or not user.is_active:
        raise InvalidInput(
            "Chỉ cấp quyền cho người dùng đang hoạt động của cùng cơ quan",
            code="invalid_grantee",
            fields={"user_id": "Chọn người của cơ quan"},
        )
    if holds_grant(session, user.id, document.id):
        raise Conflict(
            "{name} đã có quyền xem văn bản này",
            code="already_granted",
            params={"name": user.full_name},
        )
    return _add(session, actor, document, user, details={})


def _add(
    session: Session, actor: Actor, document: Document, user: User, details: dict[str, str]
) -> SecretGrant:
    grant = SecretGrant(document_id=document.id, user_id=user.id, granted_by_id=actor.user_id)
    session.add(grant)
    session.flush()
    record_event(
        session,
        actor,
        "document.secret_grant",
        "document",
        document.id,
        agency_id=document.agency_id,
        details={"user": user.full_name, "user_id": user.id, **details},
    )
    return grant


def revoke_access(
    session: Session, actor: Actor, document: Document, user_id: int, reason: str
) -> None:
    """Revoke another holder's grant, with a reason (see the module's rule).

    :raises InvalidInput: no reason, or a reason too long. :raises NotFound: the user holds no
        grant. :raises PermissionDenied: the actor may not revoke. :raises Conflict: the grant
        is the actor's own, or needed by the workflow.
    """
    manager = _require_manager(session, actor, document)
    reason = reason.strip()
    if not reason:
        raise InvalidInput("Thu hồi quyền phải có lý do", fields={"reason": "Bắt buộc"})
    if len(reason) > MAX_REASON:
        raise InvalidInput(
            "Lý do tối đa {max} ký tự", fields={"reason": "Quá dài"}, params={"max": MAX_REASON}
        )
    grant = session.get(SecretGrant, (document.id, user_id))
    if grant is None:
        raise NotFound("Người này không có quyền xem văn bản")
    user = session.get(User, user_id)
    assert user is not None
    if user_id == manager.id:
        raise Conflict("Không tự thu hồi quyền của chính mình", code="own_grant")
    if user_id in workflow_holders(session, document):
        raise Conflict(
            "{name} đang tham gia xử lý văn bản, không thu hồi được quyền",
            code="grant_needed",
            params={"name": user.full_name},
        )
    session.delete(grant)
    session.flush()
    record_event(
        session,
        actor,
        "document.secret_revoke",
        "document",
        document.id,
        agency_id=document.agency_id,
        details={"user": user.full_name, "user_id": user.id, "reason": reason},
    )


def workflow_holders(session: Session, document: Document) -> set[int]:
    """Return the ids of the users the workflow still names (empty once it is finished); while
    a clerk's step comes next, that includes the last clerk holding a grant."""
    if document.status in _FINISHED:
        return set()
    ids = {document.drafter_id, document.signer_id, document.presented_to_id}
    if document.status in _CLERK_NEXT:
        clerks = [
            u.id
            for u in _with_role(session, document.agency_id, Role.CLERK)
            if holds_grant(session, u.id, document.id)
        ]
        if len(clerks) == 1:
            ids.add(clerks[0])
    active = [a for a in document.assignments if a.is_active and a.completed_at is None]
    ids |= {a.user_id for a in active}
    units = {a.unit_id for a in active if a.unit_id is not None and a.user_id is None}
    if units:
        heads = session.execute(
            select(User.id)
            .join(UserRole)
            .where(User.unit_id.in_(units), UserRole.role == Role.UNIT_HEAD.value)
        ).scalars()
        ids |= set(heads)
    return {i for i in ids if i is not None}


def list_grants(session: Session, document: Document) -> list[GrantHolder]:
    """Return who holds a grant for the document, oldest grant first."""
    rows = session.execute(
        select(SecretGrant, User)
        .join(User, User.id == SecretGrant.user_id)
        .where(SecretGrant.document_id == document.id)
        .order_by(SecretGrant.granted_at, User.full_name)
    ).all()
    protected = workflow_holders(session, document)
    return [
        GrantHolder(
            user=user,
            granted_by=session.get(User, grant.granted_by_id) if grant.granted_by_id else None,
            granted_at=grant.granted_at,
            protected=user.id in protected,
        )
        for grant, user in rows
    ]
