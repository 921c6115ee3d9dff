"""Readers: the work queues (Đang thực hiện, Sắp đến hạn, Quá hạn, Chờ xác nhận…), one task."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select
from sqlalchemy.orm import Session, selectinload

from eoffice import clock
from eoffice.errors import InvalidInput
from eoffice.org.actor import Actor
from eoffice.org.models import Agency, Role
from eoffice.tasks.access import visible_filter
from eoffice.tasks.calendar import WorkingCalendar
from eoffice.tasks.models import LeadKind, Task, TaskState
from eoffice.tasks.rules import StatusPolicy

PAGE_SIZE = 50
UNFINISHED = (TaskState.OPEN.value, TaskState.SUBMITTED.value)
MAX_PAGE_SIZE = 500


class Queue(enum.StrEnum):
    """The lists of the "Nhắc việc" menu."""

    LEADING = "leading"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    AWAITING = "awaiting"
    ASSIGNED = "assigned"
    DONE = "done"
    ALL = "all"

    @property
    def label(self) -> str:
        """Return the Vietnamese label."""
        return _QUEUE_LABELS[self]


_QUEUE_LABELS = {
    Queue.LEADING: "Đang thực hiện",
    Queue.DUE_SOON: "Sắp đến hạn",
    Queue.OVERDUE: "Quá hạn",
    Queue.AWAITING: "Chờ tôi xác nhận",
    Queue.ASSIGNED: "Tôi đã giao",
    Queue.DONE: "Đã hoàn thành",
    Queue.ALL: "Tất cả",
}


@dataclass(frozen=True)
class TaskFilter:
    """A list request; every field is optional."""

    queue: Queue = Queue.ALL
    lead_agency: str | None = None
    """An agency's electronic ID."""
    state: str | None = None
    due_from: date | None = None
    due_to: date | None = None
    q: str = ""
    parent_id: int | None = None
    source_document_id: int | None = None
    after_id: int | None = None
    """Keyset pagination: tasks with a smaller id (the list is newest first)."""
    limit: int = PAGE_SIZE


@dataclass(frozen=True)
class TaskPage:
    items: list[Task]
    next_after_id: int | None = None
    counts: dict[str, int] = field(default_factory=dict)


def leading_filter(actor: Actor) -> ColumnElement[bool]:
    """Return the tasks the actor answers for as (or for) the lead."""
    user = actor.principal
    if user is None:
        return false()
    options = [Task.lead_user_id == user.id]
    if user.unit_id is not None and user.has_role(Role.UNIT_HEAD, Role.SPECIALIST):
        options.append(
            and_(Task.lead_kind == LeadKind.UNIT.value, Task.lead_unit_id == user.unit_id)
        )
    if user.has_role(Role.LEADER):
        options.append(
            and_(Task.lead_kind == LeadKind.AGENCY.value, Task.lead_agency_id == user.agency_id)
        )
    return or_(*options)


def _queue_filter(
    queue: Queue, actor: Actor, calendar: WorkingCalendar, policy: StatusPolicy
) -> ColumnElement[bool] | None:
    user_id = actor.principal.id if actor.principal else -1
    # IN on the two unfinished states (not 'is not done'): the (..., state, due_date) indexes apply.
    not_done = Task.state.in_(UNFINISHED)
    if queue is Queue.LEADING:
        return and_(leading_filter(actor), Task.state == TaskState.OPEN.value)
    if queue is Queue.DUE_SOON:
        today = clock.today()
        horizon = calendar.add_working_days(today, policy.due_soon_working_days)
        return and_(
            leading_filter(actor),
            Task.state == TaskState.OPEN.value,
            Task.due_date >= today,
            Task.due_date <= horizon,
        )
    if queue is Queue.OVERDUE:
        mine = or_(leading_filter(actor), Task.assigner_id == user_id)
        # Past 24:00 of the due date is the same as a due date before today (local).
        return and_(mine, not_done, Task.due_date < clock.today())
    if queue is Queue.AWAITING:
        return and_(Task.assigner_id == user_id, Task.state == TaskState.SUBMITTED.value)
    if queue is Queue.ASSIGNED:
        return and_(Task.assigner_id == user_id, not_done)
    if queue is Queue.DONE:
        mine = or_(leading_filter(actor), Task.assigner_id == user_id)
        return and_(mine, Task.state == TaskState.DONE.value)
    return None


def _base(
    session: Session, actor: Actor, flt: TaskFilter, calendar: WorkingCalendar, policy: StatusPolicy
) -> Select[Any]:
    stmt = select(Task).where(visible_filter(session, actor))
    queue_clause = _queue_filter(flt.queue, actor, calendar, policy)
    if queue_clause is not None:
        stmt = stmt.where(queue_clause)
    if flt.lead_agency:
        stmt = stmt.join(Agency, Agency.id == Task.lead_agency_id).where(
            Agency.code == flt.lead_agency
        )
    if flt.state:
        if flt.state not in {s.value for s in TaskState}:
            raise InvalidInput("Trạng thái không hợp lệ", fields={"state": "Không hợp lệ"})
        stmt = stmt.where(Task.state == flt.state)
    if flt.due_from:
        stmt = stmt.where(Task.due_date >= flt.due_from)
    if flt.due_to:
        stmt = stmt.where(Task.due_date <= flt.due_to)
    if flt.q.strip():
        # Titles are short: a case-insensitive substring match is enough here.
        stmt = stmt.where(func.lower(Task.title).contains(flt.q.strip().lower()))
    if flt.parent_id is not None:
        stmt = stmt.where(Task.parent_id == flt.parent_id)
    if flt.source_document_id is not None:
        stmt = stmt.where(Task.source_document_id == flt.source_document_id)
    return stmt


def list_tasks(
    session: Session, actor: Actor, flt: TaskFilter, calendar: WorkingCalendar, policy: StatusPolicy
) -> TaskPage:
    """Return one page of the tasks the actor may see, newest first.

    :raises InvalidInput: a bad filter value (state, page size, reversed due range).
    """
    if not 1 <= flt.limit <= MAX_PAGE_SIZE:
        raise InvalidInput("Số dòng mỗi trang từ 1 đến 500", fields={"limit": "Không hợp lệ"})
    if flt.due_from and flt.due_to and flt.due_to < flt.due_from:
        raise InvalidInput("Khoảng hạn không hợp lệ", fields={"due_to": "Phải sau “từ ngày”"})
    stmt = _base(session, actor, flt, calendar, policy)
    if flt.after_id is not None:
        stmt = stmt.where(Task.id < flt.after_id)
    stmt = (
        stmt.options(
            selectinload(Task.lead_agency),
            selectinload(Task.lead_unit),
            selectinload(Task.lead_user),
            selectinload(Task.assigner),
        )
        .order_by(Task.id.desc())
        .limit(flt.limit + 1)
    )
    rows: list[Task] = list(session.execute(stmt).scalars())
    more = len(rows) > flt.limit
    items = rows[: flt.limit]
    return TaskPage(items, items[-1].id if more and items else None)


MENU_QUEUES = (Queue.LEADING, Queue.DUE_SOON, Queue.OVERDUE, Queue.AWAITING)


def queue_counts(
    session: Session, actor: Actor, calendar: WorkingCalendar, policy: StatusPolicy
) -> dict[Queue, int]:
    """Return the live count of each work queue of the menu, in one query.

    The four queues hold only unfinished tasks the actor leads or gave, which they always see:
    without the visibility clause the query reads the (…, state, due) indexes, and each count
    keeps its queue's own condition as a FILTER.
    """
    user_id = actor.principal.id if actor.principal else -1
    counts = []
    for queue in MENU_QUEUES:
        clause = _queue_filter(queue, actor, calendar, policy)
        assert clause is not None  # only "all" has no clause
        counts.append(func.count().filter(clause))
    scope = and_(
        or_(leading_filter(actor), Task.assigner_id == user_id), Task.state.in_(UNFINISHED)
    )
    row = session.execute(select(*counts).select_from(Task).where(scope)).one()
    return {queue: int(n) for queue, n in zip(MENU_QUEUES, row, strict=True)}


def children_progress(task: Task) -> tuple[int, int, int]:
    """Return (children done, children in all, mean percent) of a task's children."""
    children = task.children
    if not children:
        return 0, 0, 0
    done = sum(1 for c in children if c.state == TaskState.DONE.value)
    mean = round(
        sum(100 if c.state == TaskState.DONE.value else c.progress_percent for c in children)
        / len(children)
    )
    return done, len(children), mean


def due_between(
    session: Session, actor: Actor, first: date, last: date, limit: int = 100
) -> list[Task]:
    """Return unfinished tasks the actor may see whose deadline falls in [first, last]."""
    stmt = (
        select(Task)
        .where(
            visible_filter(session, actor),
            Task.state.in_(UNFINISHED),
            Task.due_date >= first,
            Task.due_date <= last,
        )
        .options(
            selectinload(Task.lead_agency),
            selectinload(Task.lead_unit),
            selectinload(Task.lead_user),
        )
        .order_by(Task.due_date, Task.id)
        .limit(limit)
    )
    return list(session.execute(stmt).scalars())
