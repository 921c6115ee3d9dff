"""Who may see a task, act as its lead, decide as its assigner, and read which reports.

A task another user may not see is reported as not found, so a denial leaks nothing.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, event, exists, false, or_, select, true
from sqlalchemy.orm import Session

from eoffice.errors import NotFound, PermissionDenied
from eoffice.org.actor import Actor
from eoffice.org.models import Agency, Role, User
from eoffice.tasks.models import LeadKind, Task, TaskCooperator

# Leaders direct their agency and the agencies below it; clerks (văn phòng) track for them.
OVERSEEING_ROLES = (Role.LEADER, Role.CLERK, Role.ADMIN)


_CHILDREN = "eoffice.tasks.agency_children"
"""``session.info`` key of the agency tree read in the current transaction."""


def _agency_tree(session: Session) -> tuple[dict[int | None, list[int]], dict[int, str]]:
    """Return ``{parent id: child ids}`` and ``{id: electronic ID}`` of every agency, read once
    per transaction (a page asks for the reader's subtree several times: report scope, visible
    snapshot rows, tasks due)."""
    tree = session.info.get(_CHILDREN)
    if tree is None or _agencies_pending(session):  # the query below autoflushes them
        children: dict[int | None, list[int]] = {}
        codes: dict[int, str] = {}
        for child_id, parent_id, code in session.execute(
            select(Agency.id, Agency.parent_id, Agency.code)
        ):
            children.setdefault(parent_id, []).append(child_id)
            codes[child_id] = code
        tree = session.info[_CHILDREN] = (children, codes)
    return tree


def _agencies_pending(session: Session) -> bool:
    return any(isinstance(o, Agency) for o in (*session.new, *session.dirty, *session.deleted))


@event.listens_for(Session, "after_flush")
def _forget_changed_tree(session: Session, _context: object) -> None:
    if _agencies_pending(session):
        session.info.pop(_CHILDREN, None)


@event.listens_for(Session, "after_transaction_end")
def _forget_tree(session: Session, _transaction: object) -> None:
    session.info.pop(_CHILDREN, None)


def agency_subtree(session: Session, agency_id: int) -> list[int]:
    """Return ``agency_id`` and the ids of every agency below it."""
    children = _agency_tree(session)[0]
    found, stack = [], [agency_id]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(children.get(current, []))
    return found


def agency_codes(session: Session, agency_ids: list[int]) -> set[str]:
    """Return the electronic IDs of ``agency_ids`` (from the tree read in this transaction)."""
    codes = _agency_tree(session)[1]
    return {codes[i] for i in agency_ids if i in codes}


def _principal(actor: Actor) -> User:
    user = actor.principal
    if user is None:
        raise PermissionDenied("Cần đăng nhập để thực hiện thao tác này")
    return user


def visible_filter(session: Session, actor: Actor) -> ColumnElement[bool]:
    """Return a WHERE clause selecting the tasks ``actor`` may see."""
    user = actor.principal
    if user is None:
        return false()
    options: list[ColumnElement[bool]] = [
        Task.assigner_id == user.id,
        Task.lead_user_id == user.id,
        Task.created_by_id == user.id,
    ]
    if user.unit_id is not None:
        options.append(
            and_(Task.lead_kind == LeadKind.UNIT.value, Task.lead_unit_id == user.unit_id)
        )
        if user.has_role(Role.UNIT_HEAD):
            options.append(Task.lead_unit_id == user.unit_id)
    if user.has_role(*OVERSEEING_ROLES):
        subtree = agency_subtree(session, user.agency_id)
        options += [Task.lead_agency_id.in_(subtree), Task.assigner_agency_id.in_(subtree)]
    mine = TaskCooperator.user_id == user.id
    if user.unit_id is not None:
        mine = or_(
            mine, and_(TaskCooperator.unit_id == user.unit_id, TaskCooperator.user_id.is_(None))
        )
    if user.has_role(Role.LEADER):
        mine = or_(
            mine,
            and_(TaskCooperator.agency_id == user.agency_id, TaskCooperator.unit_id.is_(None)),
        )
    options.append(exists(select(TaskCooperator.id).where(TaskCooperator.task_id == Task.id, mine)))
    return or_(*options)


def get_visible_task(session: Session, actor: Actor, task_id: int) -> Task:
    """Return the task if ``actor`` may see it.

    :raises NotFound: when it does not exist or is not visible (the same answer, on purpose).
    """
    stmt = select(Task).where(Task.id == task_id, visible_filter(session, actor))
    task = session.execute(stmt).scalar_one_or_none()
    if task is None:
        raise NotFound("Không tìm thấy nhiệm vụ")
    return task


def is_lead_handler(actor: Actor, task: Task) -> bool:
    """Return whether the actor answers for the task as (or for) its lead."""
    user = actor.principal
    if user is None or not user.is_active:
        return False
    if task.lead_kind == LeadKind.USER.value:
        return task.lead_user_id == user.id
    if task.lead_kind == LeadKind.UNIT.value:
        return task.lead_unit_id == user.unit_id and user.has_role(Role.UNIT_HEAD, Role.SPECIALIST)
    return task.lead_agency_id == user.agency_id and user.has_role(Role.LEADER)


def is_assigner(actor: Actor, task: Task) -> bool:
    """Return whether the actor is (or acts for) the person who assigned the task."""
    user = actor.principal
    return user is not None and user.id == task.assigner_id


def require_lead_handler(actor: Actor, task: Task, refusal: str) -> User:
    """:raises PermissionDenied: with ``refusal`` (a whole msgid, so it translates as one
    sentence) unless the actor answers for the task's lead."""
    user = _principal(actor)
    if not is_lead_handler(actor, task):
        raise PermissionDenied(refusal)
    return user


def require_assigner(actor: Actor, task: Task, refusal: str) -> User:
    """:raises PermissionDenied: with ``refusal`` (a whole msgid) unless the actor assigned the
    task (or acts for whoever did)."""
    user = _principal(actor)
    if not is_assigner(actor, task):
        raise PermissionDenied(refusal)
    return user


def can_assign_root(actor: Actor) -> bool:
    """Return whether the actor may give new tasks (leaders, and unit heads within their unit)."""
    return actor.has_role(Role.LEADER, Role.UNIT_HEAD)


def can_read_reports(actor: Actor) -> bool:
    """Return whether the actor may read lateness reports at all."""
    return actor.has_role(Role.LEADER, Role.CLERK, Role.ADMIN, Role.UNIT_HEAD)


def report_scope(session: Session, actor: Actor) -> ColumnElement[bool]:
    """Return the WHERE clause of the tasks the actor's reports cover.

    Leaders, clerks and admins: tasks led by or given from their agency and every agency below.
    Unit heads: their unit's tasks.

    :raises PermissionDenied: for anyone else.
    """
    if actor.user is None:
        return true()  # the system (monthly snapshots, CLI) reports on everything
    user = _principal(actor)
    if user.has_role(*OVERSEEING_ROLES):
        subtree = agency_subtree(session, user.agency_id)
        return or_(Task.lead_agency_id.in_(subtree), Task.assigner_agency_id.in_(subtree))
    if user.has_role(Role.UNIT_HEAD) and user.unit_id is not None:
        return Task.lead_unit_id == user.unit_id
    raise PermissionDenied("Bạn không có quyền xem báo cáo nhiệm vụ")
