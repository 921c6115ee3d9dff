"""Leads and co-operators: resolve what the caller named, check it may be given, find the people."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from eoffice.org.models import Agency, Role, Unit, User, UserRole
from eoffice.tasks.access import agency_subtree
from eoffice.tasks.inputs import TargetRef
from eoffice.tasks.models import LeadKind, Task


class TargetError(Exception):
    """A target cannot be used; ``message`` is the Vietnamese per-field text."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Target:
    """A resolved lead or co-operator."""

    kind: LeadKind
    agency: Agency
    unit: Unit | None = None
    user: User | None = None

    @property
    def key(self) -> tuple[str, int]:
        """Return a comparable identity (two refs to the same person are equal)."""
        if self.user is not None:
            return ("user", self.user.id)
        if self.unit is not None:
            return ("unit", self.unit.id)
        return ("agency", self.agency.id)


def resolve_target(session: Session, home_agency_id: int, ref: TargetRef) -> Target:
    """Find the agency, unit or person ``ref`` names (units by short name in the home agency).

    :raises TargetError: when nothing (active) matches.
    """
    if ref.agency_code is not None:
        agency = session.execute(
            select(Agency).where(Agency.code == ref.agency_code)
        ).scalar_one_or_none()
        if agency is None or not agency.is_active:
            raise TargetError(f"Không có cơ quan mã {ref.agency_code}")
        return Target(LeadKind.AGENCY, agency)
    if ref.unit is not None:
        return _unit_target(session, home_agency_id, ref.unit)
    if ref.user is not None:
        column = User.id if isinstance(ref.user, int) else User.username
        user = session.execute(select(User).where(column == ref.user)).scalar_one_or_none()
        if user is None or not user.is_active:
            raise TargetError("Không có người dùng này")
        return Target(LeadKind.USER, user.agency, user.unit, user)
    raise TargetError("Chọn cơ quan, đơn vị hoặc cá nhân")


def _unit_target(session: Session, home_agency_id: int, key: int | str) -> Target:
    if isinstance(key, int):
        unit = session.get(Unit, key)
    else:
        unit = session.execute(
            select(Unit).where(Unit.agency_id == home_agency_id, Unit.short_name == key)
        ).scalar_one_or_none()
    if unit is None or not unit.is_active:
        raise TargetError("Không có đơn vị này")
    return Target(LeadKind.UNIT, unit.agency, unit)


def check_assignable(session: Session, giver: User, target: Target, *, as_leader: bool) -> None:
    """Check that ``giver`` may give a task to ``target``.

    A leader gives to agencies below their own, and to units and people of their agency; a unit
    head (``as_leader`` False) only to people of their unit.

    :raises TargetError: otherwise.
    """
    if not as_leader:
        if target.user is None or target.user.unit_id != giver.unit_id:
            raise TargetError("Trưởng đơn vị chỉ giao nhiệm vụ cho người trong đơn vị")
        return
    if target.kind is LeadKind.AGENCY:
        below = set(agency_subtree(session, giver.agency_id)) - {giver.agency_id}
        if target.agency.id not in below:
            raise TargetError("Chỉ giao cho cơ quan cấp dưới, hoặc đơn vị, cá nhân trong cơ quan")
    elif target.agency.id != giver.agency_id:
        raise TargetError("Đơn vị, cá nhân phải thuộc cơ quan giao nhiệm vụ")


class LeadRef(NamedTuple):
    """A task's lead as the reminder job reads it: kind and the three ids."""

    kind: str
    agency_id: int
    unit_id: int | None
    user_id: int | None


def lead_ref(task: Task) -> LeadRef:
    """Return the lead of a task."""
    return LeadRef(task.lead_kind, task.lead_agency_id, task.lead_unit_id, task.lead_user_id)


def _ids_with_role(
    session: Session, role: Role, column: Any, values: set[int]
) -> dict[int, list[int]]:
    """Return ``{unit or agency id: [ids of active users with role]}``."""
    if not values:
        return {}
    stmt = (
        select(column, User.id)
        .join(UserRole, UserRole.user_id == User.id)
        .where(User.is_active, UserRole.role == role.value, column.in_(values))
        .order_by(User.id)
    )
    found: dict[int, list[int]] = {}
    for key, user_id in session.execute(stmt):
        found.setdefault(key, []).append(user_id)
    return found


def lead_recipient_ids(session: Session, leads: Iterable[LeadRef]) -> dict[LeadRef, list[int]]:
    """Return, per lead, the ids of the people told about its tasks.

    A person: that person. A unit: its unit heads. An agency: its leaders, or its clerks when it
    has no leader account. A few queries whatever the number of leads.
    """
    leads = set(leads)
    units = {r.unit_id for r in leads if r.kind == LeadKind.UNIT.value and r.unit_id is not None}
    agencies = {r.agency_id for r in leads if r.kind == LeadKind.AGENCY.value}
    heads = _ids_with_role(session, Role.UNIT_HEAD, User.unit_id, units)
    leaders = _ids_with_role(session, Role.LEADER, User.agency_id, agencies)
    clerks = _ids_with_role(session, Role.CLERK, User.agency_id, agencies)
    result: dict[LeadRef, list[int]] = {}
    for ref in leads:
        if ref.kind == LeadKind.USER.value:
            result[ref] = [ref.user_id] if ref.user_id is not None else []
        elif ref.kind == LeadKind.UNIT.value:
            result[ref] = heads.get(ref.unit_id or 0, [])
        else:
            result[ref] = leaders.get(ref.agency_id) or clerks.get(ref.agency_id, [])
    return result


def lead_recipients_bulk(session: Session, tasks: Sequence[Task]) -> dict[int, list[User]]:
    """Return, per task id, the (active) people told about it as its lead."""
    ids = lead_recipient_ids(session, {lead_ref(t) for t in tasks})
    wanted = {i for found in ids.values() for i in found}
    users = {
        u.id: u
        for u in session.execute(select(User).where(User.id.in_(wanted), User.is_active)).scalars()
    }
    return {t.id: [users[i] for i in ids[lead_ref(t)] if i in users] for t in tasks}


def lead_recipients(session: Session, task: Task) -> list[User]:
    """Return the people told about ``task`` as its lead."""
    return lead_recipients_bulk(session, [task])[task.id]


@dataclass(frozen=True)
class Choice:
    """One option of a lead or co-operator picker."""

    group: str
    value: str
    """``agency:<code>``, ``unit:<id>`` or ``user:<id>`` (see ``inputs.parse_target``)."""
    label: str


def assignable_targets(session: Session, giver: User, *, as_leader: bool) -> list[Choice]:
    """Return who ``giver`` may give a task to, for the pickers of the pages."""
    if not as_leader:
        people = session.execute(
            select(User)
            .where(User.unit_id == giver.unit_id, User.is_active)
            .order_by(User.full_name)
        ).scalars()
        return [
            Choice("Cá nhân", f"user:{u.id}", f"{u.full_name} — {u.position}".rstrip(" —"))
            for u in people
        ]
    below = [i for i in agency_subtree(session, giver.agency_id) if i != giver.agency_id]
    agencies = session.execute(
        select(Agency).where(Agency.id.in_(below), Agency.is_active).order_by(Agency.name)
    ).scalars()
    units = session.execute(
        select(Unit).where(Unit.agency_id == giver.agency_id, Unit.is_active).order_by(Unit.name)
    ).scalars()
    people = session.execute(
        select(User)
        .where(User.agency_id == giver.agency_id, User.is_active)
        .order_by(User.full_name)
    ).scalars()
    return (
        [Choice("Cơ quan cấp dưới", f"agency:{a.code}", a.name) for a in agencies]
        + [Choice("Đơn vị", f"unit:{u.id}", u.name) for u in units]
        + [
            Choice("Cá nhân", f"user:{u.id}", f"{u.full_name} — {u.position}".rstrip(" —"))
            for u in people
        ]
    )
