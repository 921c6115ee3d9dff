"""The reminder sweep: plan what changed, then send what is due, each reminder exactly once.

State lives in our tables: ``tasks.replan_reminders_at`` asks for a (re)plan, ``task_reminders``
holds the plan with one row per task and dedup key, and a row is marked ``sent_at`` in the same
transaction that writes its in-app notifications and outbox e-mails. Rows are claimed with
``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, and a sweep holds a database lock so only one
runs at a time (on SQLite the database lock already serialises writers). Unique keys on the plan,
the notifications and the e-mails make a repeated delivery impossible even without the lock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from eoffice import clock
from eoffice.audit.services import record_event
from eoffice.db import transaction, try_lock
from eoffice.notifications.services import insert_ignore_many
from eoffice.org.actor import Actor
from eoffice.settings import Settings
from eoffice.tasks.calendar import WorkingCalendar
from eoffice.tasks.models import LeadKind, Task, TaskReminder, TaskState
from eoffice.tasks.services_calendar import load_calendar
from reminders.delivery import Batch, claim_due, reminder_row
from reminders.rules import (
    DEFAULT_REMINDER_SCHEDULE,
    PlannedReminder,
    RecipientRole,
    ReminderKind,
    ReminderSchedule,
    ReminderStep,
    plan_reminders,
)

SWEEP_LOCK_KEY = 0x0E0FF1CE_0004
"""Advisory lock held by a sweep transaction (the audit trail uses 0x0E0FF1CE_0001)."""


@dataclass(frozen=True)
class SweepConfig:
    """Per-deployment reminder settings."""

    schedule: ReminderSchedule = DEFAULT_REMINDER_SCHEDULE
    digest: bool = False
    """One e-mail per person and sweep gathering their reminders, instead of one per reminder."""
    email: bool = True
    batch_size: int = 2000
    use_lock: bool = True
    """Hold the sweep lock; False only to prove that claiming alone is exactly-once (tests)."""

    @classmethod
    def from_settings(cls, settings: Settings) -> SweepConfig:
        """Read the deployment's reminder settings.

        E-mail is written only when SMTP is configured. Read when the settings have them (the
        defaults are the issue's schedule): ``reminder_send_time`` ("HH:MM"),
        ``reminder_before_working_days`` ([3, 1]), ``reminder_overdue_every_working_days`` (1;
        0 = no overdue reminders), ``reminder_escalation_every_working_days`` (5; 0 = none),
        ``reminder_digest`` (False).

        :raises InvalidScheduleError: if the values make no schedule.
        """
        send_at = time.fromisoformat(str(getattr(settings, "reminder_send_time", "07:30")))
        before = getattr(settings, "reminder_before_working_days", (3, 1))
        overdue = int(getattr(settings, "reminder_overdue_every_working_days", 1))
        escalation = int(getattr(settings, "reminder_escalation_every_working_days", 5))
        lead, assigner = RecipientRole.LEAD, RecipientRole.ASSIGNER
        steps = [ReminderStep(ReminderKind.BEFORE_DUE, lead, -int(n)) for n in before]
        steps.append(ReminderStep(ReminderKind.DUE_TODAY, lead, 0))
        if overdue:
            steps.append(ReminderStep(ReminderKind.OVERDUE, lead, 1, every=overdue))
        if escalation:
            steps.append(ReminderStep(ReminderKind.ESCALATION, assigner, 1, every=escalation))
        return cls(
            schedule=ReminderSchedule(steps=tuple(steps), send_at=send_at),
            digest=bool(getattr(settings, "reminder_digest", False)),
            email=bool(settings.smtp_host),
        )


@dataclass(frozen=True)
class SweepResult:
    planned_tasks: int = 0
    sent: int = 0
    cancelled: int = 0
    notifications: int = 0
    locked_out: bool = False
    sent_ids: tuple[int, ...] = field(default=())


def _lead_ref(task: Task) -> int | str:
    """Return how the plan names the lead (a user id, so a lead who assigned gets no escalation)."""
    if task.lead_kind == LeadKind.USER.value and task.lead_user_id is not None:
        return task.lead_user_id
    return f"{task.lead_kind}:{task.lead_unit_id or task.lead_agency_id}"


def plan_task(
    session: Session, task: Task, calendar: WorkingCalendar, schedule: ReminderSchedule
) -> None:
    """Make the task's unsent reminders exactly its current plan, then clear its replan flag.

    One-off reminders due before the change that asked for the plan are not created.
    """
    since = task.replan_reminders_at or clock.now()
    wanted: list[PlannedReminder] = []
    if task.state == TaskState.OPEN.value and task.due_date is not None:
        planned = plan_reminders(
            task.due_date,
            since,
            calendar,
            lead=_lead_ref(task),
            assigner=task.assigner_id,
            schedule=schedule,
        )
        wanted = [p for p in planned if p.due_at >= since]
    keys = [p.dedup_key for p in wanted]
    insert_ignore_many(session, TaskReminder, [reminder_row(task.id, p) for p in wanted])
    unsent = (TaskReminder.task_id == task.id, TaskReminder.sent_at.is_(None))
    session.execute(
        update(TaskReminder)
        .where(*unsent, TaskReminder.dedup_key.not_in(keys))
        .values(cancelled_at=clock.now())
    )
    if keys:
        session.execute(
            update(TaskReminder)
            .where(
                *unsent, TaskReminder.dedup_key.in_(keys), TaskReminder.cancelled_at.is_not(None)
            )
            .values(cancelled_at=None)
        )
    task.replan_reminders_at = None


def plan_changed(
    session: Session, calendar: WorkingCalendar, schedule: ReminderSchedule, limit: int
) -> int:
    """Plan the tasks that asked for it; return how many."""
    stmt = (
        select(Task)
        .where(Task.replan_reminders_at.is_not(None))
        .order_by(Task.replan_reminders_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    tasks = list(session.execute(stmt).scalars())
    for task in tasks:
        plan_task(session, task, calendar, schedule)
    session.flush()
    return len(tasks)


def sweep_batch(session: Session, config: SweepConfig, calendar: WorkingCalendar) -> SweepResult:
    """Run one batch in the caller's transaction: plan changed tasks, deliver due reminders."""
    if config.use_lock and not try_lock(session, SWEEP_LOCK_KEY):
        return SweepResult(locked_out=True)
    now = clock.now()
    planned = plan_changed(session, calendar, config.schedule, config.batch_size)
    claimed = claim_due(session, now, config.batch_size)
    batch = Batch(
        session, calendar, config.schedule, email=config.email, digest=config.digest, now=now
    )
    if claimed:
        batch.run(claimed)
    sent, cancelled, messages = batch.sent, batch.cancelled, len(batch.notifications)
    if sent or cancelled:
        record_event(
            session,
            Actor.system(),
            "reminders.sweep",
            "task_reminders",
            f"{min(sent + cancelled)}-{max(sent + cancelled)}",
            details={"sent": len(sent), "cancelled": len(cancelled), "notifications": messages},
        )
    return SweepResult(planned, len(sent), len(cancelled), messages, False, tuple(sent))


def sweep(
    factory: sessionmaker[Session], config: SweepConfig | None = None, max_batches: int = 100
) -> SweepResult:
    """Sweep until nothing is due (each batch its own transaction); return the totals."""
    config = config or SweepConfig()
    total = SweepResult()
    calendar: WorkingCalendar | None = None
    for _ in range(max_batches):
        with transaction(factory) as session:
            calendar = calendar or load_calendar(session)  # once per sweep, not per batch
            result = sweep_batch(session, config, calendar)
        total = SweepResult(
            total.planned_tasks + result.planned_tasks,
            total.sent + result.sent,
            total.cancelled + result.cancelled,
            total.notifications + result.notifications,
            result.locked_out,
            total.sent_ids + result.sent_ids,
        )
        busy = (
            result.planned_tasks >= config.batch_size
            or result.sent + result.cancelled >= config.batch_size
        )
        if result.locked_out or not busy:
            break
    return total
