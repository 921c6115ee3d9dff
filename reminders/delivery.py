"""Deliver one batch of claimed reminders in a few set-based statements.

Everything is read as plain rows (no ORM objects) and written with multi-row INSERTs and one
UPDATE per outcome: a sweep of 10,000 due reminders stays within seconds on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import ARRAY, ColumnElement, Integer, any_, bindparam, func, select, update
from sqlalchemy.orm import Session

from eoffice import clock
from eoffice.db import is_postgres
from eoffice.notifications.models import Notification, OutgoingMail
from eoffice.notifications.services import (
    Message,
    insert_ignore_many,
    mail_row,
    notification_row,
)
from eoffice.org.models import Agency, Unit, User
from eoffice.tasks.calendar import WorkingCalendar, local_date
from eoffice.tasks.models import LeadKind, Task, TaskReminder, TaskState
from eoffice.tasks.targets import LeadRef, lead_recipient_ids
from reminders.notify import ReminderFacts, digest_message, reminder_message
from reminders.rules import (
    PlannedReminder,
    RecipientRole,
    ReminderKind,
    ReminderSchedule,
    ReminderStep,
    next_occurrence,
)


class Claimed(NamedTuple):
    id: int
    task_id: int
    kind: str
    recipient_role: str
    deadline: date
    due_at: datetime


class TaskRow(NamedTuple):
    id: int
    title: str
    state: str
    due_date: date | None
    replan_reminders_at: datetime | None
    lead_kind: str
    lead_agency_id: int
    lead_unit_id: int | None
    lead_user_id: int | None
    assigner_id: int

    @property
    def lead(self) -> LeadRef:
        return LeadRef(self.lead_kind, self.lead_agency_id, self.lead_unit_id, self.lead_user_id)


@dataclass(frozen=True)
class Person:
    """What a message needs of its recipient (``notifications.services.Recipient``)."""

    id: int
    email: str
    full_name: str
    is_active: bool


def claim_due(session: Session, now: datetime, limit: int) -> list[Claimed]:
    """Lock and return due, unsent reminders (other sweeps skip them: SKIP LOCKED)."""
    stmt = (
        select(*(getattr(TaskReminder, f) for f in Claimed._fields))
        .where(
            TaskReminder.sent_at.is_(None),
            TaskReminder.cancelled_at.is_(None),
            TaskReminder.due_at <= now,
        )
        .order_by(TaskReminder.due_at, TaskReminder.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [Claimed(*row) for row in session.execute(stmt)]


def id_in(session: Session, column: Any, ids: Iterable[int]) -> ColumnElement[bool]:
    """Return "column is one of ids": one array parameter on PostgreSQL, where a long IN list
    would cost the driver more to parse than the query costs to run."""
    ids = list(ids)
    if is_postgres(session):
        return column == any_(bindparam("ids", ids, type_=ARRAY(Integer)))
    return column.in_(ids)


def reminder_row(task_id: int, planned: PlannedReminder) -> dict[str, Any]:
    """Return the values of one ``task_reminders`` row."""
    return {
        "task_id": task_id,
        "kind": planned.kind.value,
        "recipient_role": planned.recipient.value,
        "deadline": planned.deadline,
        "due_at": planned.due_at,
        "dedup_key": planned.dedup_key,
        "created_at": clock.now(),
    }


_ONE_OFF = (ReminderKind.BEFORE_DUE.value, ReminderKind.DUE_TODAY.value)


def _superseded(session: Session, claimed: Sequence[Claimed], now: datetime) -> set[int]:
    """Return the claimed one-off reminders overtaken by a later one, also due, of the same
    task and recipient.

    After a pause (worker down) "3 days before" and "due today" may be due together; only the
    newest is worth sending, and the others would state a wrong number of days.
    """
    one_offs = [r for r in claimed if r.kind in _ONE_OFF]
    if not one_offs:
        return set()
    stmt = (
        select(TaskReminder.task_id, TaskReminder.recipient_role, func.max(TaskReminder.due_at))
        .where(
            id_in(session, TaskReminder.task_id, {r.task_id for r in one_offs}),
            TaskReminder.kind.in_(_ONE_OFF),
            TaskReminder.sent_at.is_(None),
            TaskReminder.cancelled_at.is_(None),
            TaskReminder.due_at <= now,
        )
        .group_by(TaskReminder.task_id, TaskReminder.recipient_role)
    )
    newest = {(task, role): due for task, role, due in session.execute(stmt)}
    return {
        r.id for r in one_offs if r.due_at < newest.get((r.task_id, r.recipient_role), r.due_at)
    }


class _Names:
    """Display names of the leads of a batch, read in three queries."""

    def __init__(self, session: Session, tasks: Iterable[TaskRow]) -> None:
        tasks = list(tasks)
        agencies = {t.lead_agency_id for t in tasks}
        units = {t.lead_unit_id for t in tasks if t.lead_unit_id is not None}
        users = {t.lead_user_id for t in tasks if t.lead_user_id is not None}
        # Comprehensions, not dict(result): a Result has keys() and would pass for a mapping.
        self.agencies = {
            i: (name, short)
            for i, name, short in session.execute(
                select(Agency.id, Agency.name, Agency.short_name).where(Agency.id.in_(agencies))
            )
        }
        self.units = {
            i: name
            for i, name in session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(units)))
        }
        self.users = {
            i: name
            for i, name in session.execute(
                select(User.id, User.full_name).where(User.id.in_(users))
            )
        }

    def lead(self, task: TaskRow) -> str:
        if task.lead_kind == LeadKind.USER.value and task.lead_user_id in self.users:
            return self.users[task.lead_user_id]
        name, short = self.agencies.get(task.lead_agency_id, ("?", "?"))
        if task.lead_kind == LeadKind.UNIT.value and task.lead_unit_id in self.units:
            return f"{self.units[task.lead_unit_id]} — {short}"
        return name


def _people(session: Session, ids: set[int]) -> dict[int, Person]:
    stmt = select(User.id, User.email, User.full_name, User.is_active).where(User.id.in_(ids))
    return {row[0]: Person(*row) for row in session.execute(stmt)}


class Batch:
    """One batch of claimed reminders: decide, compose and write."""

    def __init__(
        self,
        session: Session,
        calendar: WorkingCalendar,
        schedule: ReminderSchedule,
        *,
        email: bool,
        digest: bool,
        now: datetime,
    ) -> None:
        self.session, self.calendar, self.schedule = session, calendar, schedule
        self.email, self.digest, self.now = email, digest, now
        self.notifications: list[dict[str, Any]] = []
        self.mails: list[dict[str, Any]] = []
        self.digests: dict[int, tuple[Person, list[Message], int]] = {}
        self.next_rows: list[dict[str, Any]] = []
        self.sent: list[int] = []
        self.cancelled: list[int] = []
        self._days_left: dict[date, int] = {}
        self._next: dict[tuple[str, str, date], PlannedReminder] = {}

    def run(self, claimed: Sequence[Claimed]) -> None:
        """Deliver ``claimed`` and write every row."""
        columns = [getattr(Task, f) for f in TaskRow._fields]
        rows = self.session.execute(
            select(*columns).where(id_in(self.session, Task.id, {c.task_id for c in claimed}))
        )
        tasks = {row[0]: TaskRow(*row) for row in rows}
        leads = lead_recipient_ids(self.session, {t.lead for t in tasks.values()})
        wanted = {i for ids in leads.values() for i in ids} | {
            t.assigner_id for t in tasks.values()
        }
        people, names = _people(self.session, wanted), _Names(self.session, tasks.values())
        steps = {(s.kind.value, s.recipient.value): s for s in self.schedule.steps if s.every}
        superseded = _superseded(self.session, claimed, self.now)
        for reminder in claimed:
            task = tasks[reminder.task_id]
            if task.replan_reminders_at is not None:
                continue  # a change waits to be planned: the next sweep decides
            if (
                task.state != TaskState.OPEN.value
                or task.due_date != reminder.deadline
                or reminder.id in superseded
            ):
                self.cancelled.append(reminder.id)
                continue
            role = RecipientRole(reminder.recipient_role)
            ids = leads[task.lead] if role is RecipientRole.LEAD else [task.assigner_id]
            facts = ReminderFacts(
                task.id,
                task.title,
                reminder.deadline,
                names.lead(task),
                self._left(reminder.deadline),
            )
            message = reminder_message(ReminderKind(reminder.kind), role, facts)
            self._add(reminder.id, [people[i] for i in ids if i in people], message)
            self.sent.append(reminder.id)
            step = steps.get((reminder.kind, reminder.recipient_role))
            if step is not None:
                self.next_rows.append(reminder_row(task.id, self._next_of(step, task, reminder)))
        self._write()

    def _left(self, deadline: date) -> int:
        if deadline not in self._days_left:
            self._days_left[deadline] = self.calendar.working_days_between(
                local_date(self.now), deadline
            )
        return self._days_left[deadline]

    def _next_of(self, step: ReminderStep, task: TaskRow, reminder: Claimed) -> PlannedReminder:
        # Planned from now (claimed rows are all due by now): after a pause, one catch-up
        # reminder rather than a burst. The result depends only on the step and the deadline.
        key = (reminder.kind, reminder.recipient_role, reminder.deadline)
        if key not in self._next:
            self._next[key] = next_occurrence(
                step,
                reminder.deadline,
                self.now,
                self.calendar,
                recipient_id=0,
                schedule=self.schedule,
            )
        return self._next[key]

    def _add(self, reminder_id: int, people: Sequence[Person], message: Message) -> None:
        for person in people:
            if not person.is_active:
                continue
            self.notifications.append(
                notification_row(person.id, message, f"reminder:{reminder_id}", self.now)
            )
            if not self.email:
                continue
            if self.digest:
                _, messages, first = self.digests.get(person.id, (person, [], reminder_id))
                self.digests[person.id] = (person, [*messages, message], first)
            elif mail := mail_row(person, message, f"reminder.{reminder_id}", self.now):
                self.mails.append(mail)

    def _write(self) -> None:
        day = local_date(self.now)
        for person, messages, first in self.digests.values():
            mail = mail_row(
                person, digest_message(messages, day), f"digest.{day.isoformat()}.{first}"
            )
            if mail is not None:
                self.mails.append(mail)
        insert_ignore_many(self.session, Notification, self.notifications)
        insert_ignore_many(self.session, OutgoingMail, self.mails)
        # Sorted, so two sweeps inserting the same keys take their locks in the same order.
        rows = sorted(self.next_rows, key=lambda r: (r["task_id"], r["dedup_key"]))
        insert_ignore_many(self.session, TaskReminder, rows)
        for ids, values in (
            (self.sent, {"sent_at": self.now}),
            (self.cancelled, {"cancelled_at": self.now}),
        ):
            if ids:
                self.session.execute(
                    update(TaskReminder)
                    .where(id_in(self.session, TaskReminder.id, ids))
                    .values(**values)
                    .execution_options(synchronize_session=False)
                )
