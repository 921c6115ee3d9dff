"""Pure rules of task tracking: the reminder plan (đôn đốc), plus the task rules it builds on.

No database, no wall clock: the evaluation time ``t`` is always an argument. Status, extension and
rate rules moved to ``eoffice.tasks.rules`` (the tasks slice and the web's reports need them, and
``eoffice`` may not import ``reminders``); they are re-exported here unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum

from eoffice.tasks.calendar import VN_TZ, WorkingCalendar, local_date
from eoffice.tasks.rules import (
    DEFAULT_RATE_FORMULA,
    DEFAULT_STATUS_POLICY,
    DUE_SOON_LABEL,
    DeadlineResolution,
    ExtensionDecision,
    ExtensionPolicy,
    ExtensionRequest,
    InvalidExtensionError,
    RateFormula,
    RuleError,
    StatusCounts,
    StatusPolicy,
    TaskEvaluation,
    TaskStatus,
    classify_task,
    compute_rate,
    format_percent,
    rate_terms,
    require_aware,
    resolve_deadline,
)

__all__ = [
    "DEFAULT_RATE_FORMULA",
    "DEFAULT_REMINDER_SCHEDULE",
    "DEFAULT_REMINDER_STEPS",
    "DEFAULT_STATUS_POLICY",
    "DUE_SOON_LABEL",
    "DeadlineResolution",
    "ExtensionDecision",
    "ExtensionPolicy",
    "ExtensionRequest",
    "InvalidExtensionError",
    "InvalidScheduleError",
    "PlannedReminder",
    "RateFormula",
    "RecipientRole",
    "ReminderKind",
    "ReminderSchedule",
    "ReminderStep",
    "RuleError",
    "StatusCounts",
    "StatusPolicy",
    "TaskEvaluation",
    "TaskStatus",
    "classify_task",
    "compute_rate",
    "format_percent",
    "next_occurrence",
    "plan_reminders",
    "rate_terms",
    "resolve_deadline",
]


class InvalidScheduleError(RuleError):
    """A reminder schedule is malformed."""


# --- Reminder plan (đôn đốc) ---------------------------------------------------------------------


class ReminderKind(StrEnum):
    """Why a reminder is sent."""

    BEFORE_DUE = "before_due"
    DUE_TODAY = "due_today"
    OVERDUE = "overdue"
    ESCALATION = "escalation"


class RecipientRole(StrEnum):
    """Who receives a reminder, relative to the task."""

    LEAD = "lead"
    ASSIGNER = "assigner"


@dataclass(frozen=True)
class ReminderStep:
    """One line of a reminder schedule."""

    kind: ReminderKind
    recipient: RecipientRole
    offset: int
    """Working days relative to the due date: -3 = three working days before, 0 = on the due
    day (the last working day up to it when it is a day off), 1 = first working day after."""
    every: int | None = None
    """Repeat every this many working days (recurring steps must start after the due date)."""


DEFAULT_REMINDER_STEPS = (
    ReminderStep(ReminderKind.BEFORE_DUE, RecipientRole.LEAD, -3),
    ReminderStep(ReminderKind.BEFORE_DUE, RecipientRole.LEAD, -1),
    ReminderStep(ReminderKind.DUE_TODAY, RecipientRole.LEAD, 0),
    ReminderStep(ReminderKind.OVERDUE, RecipientRole.LEAD, 1, every=1),
    # A working week, rather than seven calendar days, so holidays do not bunch escalations.
    ReminderStep(ReminderKind.ESCALATION, RecipientRole.ASSIGNER, 1, every=5),
)


@dataclass(frozen=True)
class ReminderSchedule:
    """Per-deployment reminder schedule."""

    steps: tuple[ReminderStep, ...] = DEFAULT_REMINDER_STEPS
    send_at: time = time(7, 30)
    """Local (Asia/Ho_Chi_Minh) time of day reminders are due, a naive time."""

    def __post_init__(self) -> None:
        """Check the steps.

        :raises InvalidScheduleError: if a step repeats without starting after the due date, or
            repeats every zero or fewer days, or ``send_at`` carries a time zone.
        """
        if self.send_at.tzinfo is not None:
            raise InvalidScheduleError("Giờ gửi nhắc việc là giờ địa phương, không kèm múi giờ.")
        for step in self.steps:
            if step.every is not None and (step.every < 1 or step.offset < 1):
                raise InvalidScheduleError(
                    f"Bước nhắc “{step.kind}” lặp lại phải bắt đầu sau hạn và cách ít nhất 1 ngày."
                )


DEFAULT_REMINDER_SCHEDULE = ReminderSchedule()


@dataclass(frozen=True)
class PlannedReminder:
    """A reminder to create as a row with ``due_at`` (the job sends it once)."""

    kind: ReminderKind
    recipient: RecipientRole
    recipient_id: int | str
    due_at: datetime
    deadline: date
    dedup_key: str
    """Unique per task: kind, role, deadline date and sending day. A moved deadline gives new
    keys, so the rows planned for the old one can be cancelled."""


def plan_reminders(
    deadline: date,
    t: datetime,
    calendar: WorkingCalendar,
    *,
    lead: int | str,
    assigner: int | str | None,
    schedule: ReminderSchedule = DEFAULT_REMINDER_SCHEDULE,
) -> tuple[PlannedReminder, ...]:
    """Plan the reminders of an open task, sorted by due time.

    One-off steps (before and on the due day) are all returned, past ones included, at most one
    per recipient and day (the one nearest the due date wins). Recurring steps (overdue,
    escalation) give only their next occurrence strictly after ``t``. Steps for the assigner
    are dropped when there is none or it is the lead.

    :raises RuleError: if ``t`` is naive.
    """
    require_aware(t, "Thời điểm lập kế hoạch nhắc việc")
    recipients: dict[RecipientRole, int | str] = {RecipientRole.LEAD: lead}
    if assigner is not None and assigner != lead:
        recipients[RecipientRole.ASSIGNER] = assigner
    one_off: dict[tuple[RecipientRole, date], ReminderStep] = {}
    planned: list[tuple[ReminderStep, date]] = []
    for step in schedule.steps:
        if step.recipient not in recipients:
            continue
        if step.every is None:
            day = _one_off_day(deadline, step.offset, calendar)
            kept = one_off.get((step.recipient, day))
            if kept is None or step.offset > kept.offset:
                one_off[(step.recipient, day)] = step
        else:
            planned.append((step, _next_recurring_day(deadline, step, t, schedule, calendar)))
    planned.extend((step, day) for (_, day), step in one_off.items())
    reminders = [
        _reminder(step, day, deadline, recipients[step.recipient], schedule)
        for step, day in planned
    ]
    return tuple(sorted(reminders, key=lambda r: (r.due_at, r.kind, r.recipient)))


def _one_off_day(deadline: date, offset: int, calendar: WorkingCalendar) -> date:
    if offset == 0 and not calendar.is_working_day(deadline):
        return calendar.previous_working_day(deadline)
    return calendar.add_working_days(deadline, offset)


def _next_recurring_day(
    deadline: date,
    step: ReminderStep,
    t: datetime,
    schedule: ReminderSchedule,
    calendar: WorkingCalendar,
) -> date:
    every = step.every or 1
    elapsed = calendar.working_days_between(deadline, local_date(t))
    # Jump close to t, then step forward: an old overdue task must not walk every occurrence.
    skipped = max(0, (elapsed - step.offset) // every)
    day = calendar.add_working_days(deadline, step.offset + skipped * every)
    while _local_at(day, schedule.send_at) <= t:
        day = calendar.add_working_days(day, every)
    return day


def _local_at(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=VN_TZ)


def _reminder(
    step: ReminderStep,
    day: date,
    deadline: date,
    recipient_id: int | str,
    schedule: ReminderSchedule,
) -> PlannedReminder:
    key = f"{step.kind}|{step.recipient}|{deadline.isoformat()}|{day.isoformat()}"
    return PlannedReminder(
        kind=step.kind,
        recipient=step.recipient,
        recipient_id=recipient_id,
        due_at=_local_at(day, schedule.send_at),
        deadline=deadline,
        dedup_key=key,
    )


def next_occurrence(
    step: ReminderStep,
    deadline: date,
    t: datetime,
    calendar: WorkingCalendar,
    *,
    recipient_id: int | str,
    schedule: ReminderSchedule = DEFAULT_REMINDER_SCHEDULE,
) -> PlannedReminder:
    """Return the occurrence of a recurring step that comes strictly after ``t``.

    :raises InvalidScheduleError: if the step does not repeat. :raises RuleError: if ``t`` is naive.
    """
    if step.every is None:
        raise InvalidScheduleError(f"Bước nhắc “{step.kind}” không lặp lại.")
    require_aware(t, "Thời điểm lập kế hoạch nhắc việc")
    day = _next_recurring_day(deadline, step, t, schedule, calendar)
    return _reminder(step, day, deadline, recipient_id, schedule)
