"""A task's report status at a time ``t``, in Python (one task) and in SQL (many at once).

Both follow ``rules.classify_task``: done means confirmed by ``t`` (the completion time being the
lead's submission), lateness is judged against the measured deadline (24:00 local, exclusive).
The SQL form lets reports count a million tasks in the database instead of loading them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, case, literal

from eoffice.tasks.calendar import WorkingCalendar
from eoffice.tasks.models import Task, TaskState
from eoffice.tasks.rules import StatusPolicy, TaskStatus, classify_task


def done_by(t: datetime) -> ColumnElement[bool]:
    """Return the SQL condition "confirmed done at or before ``t``"."""
    return and_(Task.confirmed_at.is_not(None), Task.confirmed_at <= t)


def status_sql(t: datetime) -> ColumnElement[str]:
    """Return a SQL expression giving each task's ``TaskStatus`` value at ``t``."""
    deadline = Task.measured_deadline_at
    return case(
        (deadline.is_(None), literal(TaskStatus.NO_DEADLINE.value)),
        (and_(done_by(t), Task.done_at < deadline), literal(TaskStatus.DONE_ON_TIME.value)),
        (done_by(t), literal(TaskStatus.DONE_LATE.value)),
        (deadline <= t, literal(TaskStatus.OPEN_OVERDUE.value)),
        else_=literal(TaskStatus.OPEN_IN_TERM.value),
    )


def status_condition(status: TaskStatus, t: datetime) -> ColumnElement[bool]:
    """Return the SQL condition "the task's status at ``t`` is ``status``" (index friendly)."""
    deadline = Task.measured_deadline_at
    has = deadline.is_not(None)
    done = done_by(t)
    return {
        TaskStatus.NO_DEADLINE: deadline.is_(None),
        TaskStatus.DONE_ON_TIME: and_(has, done, Task.done_at < deadline),
        TaskStatus.DONE_LATE: and_(has, done, Task.done_at >= deadline),
        TaskStatus.OPEN_OVERDUE: and_(has, ~done, deadline <= t),
        TaskStatus.OPEN_IN_TERM: and_(has, ~done, deadline > t),
    }[status]


@dataclass(frozen=True)
class TaskView:
    """What the pages show about one task's timing."""

    status: TaskStatus
    """The report status (against the measured deadline)."""
    due_soon: bool
    """Open, and the deadline in force is at most N working days away."""
    days_left: int | None
    """Working days to the deadline in force (negative: late), open tasks only."""
    current_overdue: bool
    """Open and past the deadline in force (what the lead's "Quá hạn" queue shows)."""

    @property
    def css(self) -> str:
        """Return the badge colour for the status."""
        if self.status in (TaskStatus.OPEN_OVERDUE, TaskStatus.DONE_LATE) or self.current_overdue:
            return "red"
        if self.due_soon:
            return "amber"
        return "green" if self.status is TaskStatus.DONE_ON_TIME else "none"


def _done_at(task: Task, t: datetime) -> datetime | None:
    if (
        task.state == TaskState.DONE.value
        and task.confirmed_at is not None
        and task.confirmed_at <= t
    ):
        return task.done_at
    return None


def evaluate_task(
    task: Task,
    t: datetime,
    calendar: WorkingCalendar,
    policy: StatusPolicy,
    measured: date | None = None,
) -> TaskView:
    """Return the task's status at ``t`` (``measured`` overrides the stored measured deadline)."""
    done_at = _done_at(task, t)
    measured_due = measured if measured is not None else task.measured_due_date
    report = classify_task(measured_due, done_at, t, calendar, policy)
    current = classify_task(task.due_date, done_at, t, calendar, policy)
    return TaskView(
        status=report.status,
        due_soon=current.due_soon,
        days_left=current.working_days_left,
        current_overdue=current.status is TaskStatus.OPEN_OVERDUE,
    )
