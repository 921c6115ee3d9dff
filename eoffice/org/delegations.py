"""Ủy quyền: who may act for whom, from when to when, for which powers."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from eoffice.audit.services import record_event
from eoffice.clock import now
from eoffice.errors import InvalidInput, NotFound, PermissionDenied
from eoffice.org.actor import Actor
from eoffice.org.models import Delegation, Power, User
from eoffice.org.services import ensure_can_manage


def create_delegation(
    session: Session,
    actor: Actor,
    delegator: User,
    delegate: User,
    powers: Iterable[str],
    starts_at: datetime,
    ends_at: datetime,
    note: str = "",
) -> Delegation:
    """Let ``delegate`` act for ``delegator`` with ``powers`` between two instants.

    The delegator or an admin of their agency may create it. TUQ allows no re-delegation, so a
    delegate cannot pass on powers they only hold by delegation.

    :raises InvalidInput: for a bad period, no powers, self-delegation or another agency.
    :raises PermissionDenied: when the actor may not delegate for ``delegator``.
    """
    if actor.user_id != delegator.id:
        ensure_can_manage(session, actor, delegator.agency)
    wanted = sorted(set(powers))
    fields: dict[str, str] = {}
    if not wanted or any(p not in {power.value for power in Power} for p in wanted):
        fields["powers"] = "Chọn ít nhất một quyền hợp lệ"
    if ends_at <= starts_at:
        fields["ends_at"] = "Thời điểm kết thúc phải sau thời điểm bắt đầu"
    if ends_at <= now():
        fields["ends_at"] = "Thời điểm kết thúc đã qua"
    if delegator.id == delegate.id:
        fields["delegate"] = "Không thể ủy quyền cho chính mình"
    elif delegator.agency_id != delegate.agency_id:
        fields["delegate"] = "Chỉ ủy quyền cho người cùng cơ quan"
    if fields:
        raise InvalidInput("Thông tin ủy quyền chưa hợp lệ", fields=fields)
    delegation = Delegation(
        delegator_id=delegator.id,
        delegate_id=delegate.id,
        powers=",".join(wanted),
        starts_at=starts_at,
        ends_at=ends_at,
        note=note.strip(),
        created_by_id=actor.user_id or delegator.id,
    )
    session.add(delegation)
    session.flush()
    record_event(
        session,
        actor,
        "delegation.create",
        "delegation",
        delegation.id,
        agency_id=delegator.agency_id,
        details={
            "delegator": delegator.username,
            "delegate": delegate.username,
            "powers": wanted,
            "starts_at": starts_at.isoformat(),
            "ends_at": ends_at.isoformat(),
        },
    )
    return delegation


def revoke_delegation(session: Session, actor: Actor, delegation_id: int) -> Delegation:
    """End a delegation now.

    :raises NotFound: unknown id. :raises PermissionDenied: not the delegator nor their admin.
    """
    delegation = session.get(Delegation, delegation_id)
    if delegation is None:
        raise NotFound("Không tìm thấy ủy quyền")
    if actor.user_id != delegation.delegator_id:
        ensure_can_manage(session, actor, delegation.delegator.agency)
    if delegation.revoked_at is None:
        delegation.revoked_at = now()
        session.flush()
        record_event(
            session,
            actor,
            "delegation.revoke",
            "delegation",
            delegation.id,
            agency_id=delegation.delegator.agency_id,
        )
    return delegation


def active_delegations_for(
    session: Session, delegate: User, at: datetime | None = None
) -> list[Delegation]:
    """Return the delegations ``delegate`` may use at ``at`` (default: now)."""
    moment = at or now()
    stmt = (
        select(Delegation)
        .where(
            Delegation.delegate_id == delegate.id,
            Delegation.revoked_at.is_(None),
            Delegation.starts_at <= moment,
            Delegation.ends_at > moment,
        )
        .order_by(Delegation.starts_at)
    )
    return list(session.execute(stmt).scalars())


def act_on_behalf(
    session: Session, user: User, delegator_id: int, power: Power, ip: str = ""
) -> Actor:
    """Return an actor for ``user`` acting for ``delegator_id`` with ``power``.

    :raises PermissionDenied: when no active delegation grants that power.
    """
    for delegation in active_delegations_for(session, user):
        if delegation.delegator_id == delegator_id and power in delegation.power_set:
            return Actor(
                user=user, ip=ip, on_behalf_of=delegation.delegator, powers=delegation.power_set
            )
    raise PermissionDenied("Bạn không được ủy quyền thực hiện việc này")


def actor_for(session: Session, user: User, delegator_id: int | None, ip: str = "") -> Actor:
    """Return the actor for ``user``, acting for ``delegator_id`` when an active delegation allows.

    A delegation that ended or was revoked quietly falls back to the user acting for themself.
    """
    if delegator_id is not None:
        for delegation in active_delegations_for(session, user):
            if delegation.delegator_id == delegator_id:
                return Actor(
                    user=user, ip=ip, on_behalf_of=delegation.delegator, powers=delegation.power_set
                )
    return Actor(user=user, ip=ip)


def list_delegations(session: Session, agency_ids: Iterable[int]) -> list[Delegation]:
    stmt = (
        select(Delegation)
        .join(User, Delegation.delegator_id == User.id)
        .where(User.agency_id.in_(list(agency_ids)))
        .order_by(Delegation.starts_at.desc())
    )
    return list(session.execute(stmt).scalars())


def get_delegation_or_raise(session: Session, delegation_id: int) -> Delegation:
    delegation = session.get(Delegation, delegation_id)
    if delegation is None:
        raise NotFound("Không tìm thấy ủy quyền")
    return delegation


__all__ = [
    "PermissionDenied",
    "act_on_behalf",
    "active_delegations_for",
    "create_delegation",
    "get_delegation_or_raise",
    "list_delegations",
    "revoke_delegation",
]
