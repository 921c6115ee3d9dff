"""Pure rules of task tracking (theo dõi, đôn đốc nhiệm vụ): status, deadlines, extensions, rates.

No database, no wall clock: the evaluation time ``t`` is always an argument. A deadline is a date
and ends at 24:00 Asia/Ho_Chi_Minh that day (see ``eoffice.tasks.calendar.deadline_end``).
These rules live in the tasks slice because its services and the lateness reports (read by the
web) need them; ``reminders.rules`` re-exports them beside the reminder plan.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from fractions import Fraction

from eoffice.tasks.calendar import WorkingCalendar, deadline_end, local_date


class RuleError(ValueError):
    """Base of the errors of the task-tracking rules."""


class InvalidExtensionError(RuleError):
    """An extension request is inconsistent (e.g. approved without a decision time)."""


def require_aware(moment: datetime, what: str) -> None:
    """:raises RuleError: if ``moment`` is naive."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise RuleError(f"{what} ({moment.isoformat()}) thiếu múi giờ.")


# --- Task status (domain-rules §3.3) -----------------------------------------------------------


class TaskStatus(StrEnum):
    """Status of a task at an evaluation time, as used in official reports."""

    DONE_ON_TIME = "DONE_ON_TIME"
    DONE_LATE = "DONE_LATE"
    OPEN_IN_TERM = "OPEN_IN_TERM"
    OPEN_OVERDUE = "OPEN_OVERDUE"
    NO_DEADLINE = "NO_DEADLINE"

    @property
    def label(self) -> str:
        """Return the Vietnamese label."""
        return _STATUS_LABELS[self]


_STATUS_LABELS = {
    TaskStatus.DONE_ON_TIME: "Hoàn thành đúng hạn",
    TaskStatus.DONE_LATE: "Hoàn thành quá hạn",
    TaskStatus.OPEN_IN_TERM: "Đang thực hiện trong hạn",
    TaskStatus.OPEN_OVERDUE: "Chưa hoàn thành, quá hạn",
    TaskStatus.NO_DEADLINE: "Không thời hạn",
}
DUE_SOON_LABEL = "Sắp đến hạn"


@dataclass(frozen=True)
class StatusPolicy:
    """Per-deployment settings of the status rules."""

    due_soon_working_days: int = 3
    """An open task is "sắp đến hạn" when at most this many working days remain."""
    roll_to_working_day: bool = False
    """Move a deadline on a day off to the next working day (BLDS Điều 148); off by default
    because a deadline date set by a leader is kept as given."""


DEFAULT_STATUS_POLICY = StatusPolicy()


@dataclass(frozen=True)
class TaskEvaluation:
    """The status of one task at time ``t``."""

    status: TaskStatus
    is_done: bool
    due_soon: bool
    """The DUE_SOON flag; only ever set on OPEN_IN_TERM."""
    deadline_at: datetime | None
    """The instant the deadline ends (exclusive), None without a deadline."""
    working_days_left: int | None
    """For open tasks with a deadline: working days from t's date to the deadline, start not
    counted (0 = due today); negative when overdue (-1 = one working day late)."""


def classify_task(
    due: date | None,
    done_at: datetime | None,
    t: datetime,
    calendar: WorkingCalendar,
    policy: StatusPolicy = DEFAULT_STATUS_POLICY,
) -> TaskEvaluation:
    """Classify a task from its effective deadline, its confirmed completion time and ``t``.

    A completion after ``t`` is ignored, so a past ``t`` gives the status as it was then. Done
    on time means done before the deadline instant, i.e. on or before the due date, local time.

    :raises RuleError: if ``t`` or ``done_at`` is naive.
    """
    require_aware(t, "Thời điểm đánh giá")
    if done_at is not None:
        require_aware(done_at, "Thời điểm hoàn thành")
    is_done = done_at is not None and done_at <= t
    if due is None:
        return TaskEvaluation(TaskStatus.NO_DEADLINE, is_done, False, None, None)
    if policy.roll_to_working_day:
        due = calendar.period_last_day(due)
    end = deadline_end(due)
    if done_at is not None and is_done:
        status = TaskStatus.DONE_ON_TIME if done_at < end else TaskStatus.DONE_LATE
        return TaskEvaluation(status, True, False, end, None)
    left = calendar.working_days_between(local_date(t), due)
    if t >= end:
        return TaskEvaluation(TaskStatus.OPEN_OVERDUE, False, False, end, left)
    due_soon = left <= policy.due_soon_working_days
    return TaskEvaluation(TaskStatus.OPEN_IN_TERM, False, due_soon, end, left)


# --- Extensions (gia hạn) ------------------------------------------------------------------------


class ExtensionDecision(StrEnum):
    """The assigner's decision on an extension request."""

    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"


class ExtensionPolicy(StrEnum):
    """Which deadline lateness is measured against when extensions were granted."""

    IN_FORCE_AT_REQUEST = "in_force_at_request"
    """Default: approved extensions move the deadline, but one requested after the deadline in
    force does not erase lateness: lateness stays measured against the deadline in force when
    that request was made (and later extensions no longer move it)."""
    LATEST_APPROVED = "latest_approved"
    """Lenient: always the latest approved deadline, even if requested late."""
    ORIGINAL = "original"
    """Strict: always the original deadline."""


@dataclass(frozen=True)
class ExtensionRequest:
    """One request by the lead to move the deadline."""

    requested_at: datetime
    new_date: date
    decision: ExtensionDecision = ExtensionDecision.PENDING
    decided_at: datetime | None = None
    """When the assigner approved or refused; None while pending."""

    def __post_init__(self) -> None:
        """Accept the decision as its stored string value.

        :raises InvalidExtensionError: if the decision is unknown.
        """
        try:
            decision = ExtensionDecision(self.decision)
        except ValueError as e:
            raise InvalidExtensionError(
                f"Quyết định gia hạn “{self.decision}” không hợp lệ."
            ) from e
        # Frozen dataclass: normalising a field needs object.__setattr__.
        object.__setattr__(self, "decision", decision)


@dataclass(frozen=True)
class DeadlineResolution:
    """The deadlines of a task after its extension history."""

    original: date
    current: date
    """The deadline in force: the latest approved one (shown to the lead, drives reminders)."""
    measured: date
    """The deadline lateness is measured against, per the policy."""
    late_requests: tuple[ExtensionRequest, ...] = field(default=())
    """Approved requests that were made after the deadline then in force."""


def resolve_deadline(
    original: date,
    requests: Iterable[ExtensionRequest],
    policy: ExtensionPolicy = ExtensionPolicy.IN_FORCE_AT_REQUEST,
    *,
    as_of: datetime | None = None,
) -> DeadlineResolution:
    """Compute the deadline in force and the deadline lateness is measured against.

    An approval takes effect from the time of its request, so the lead is not penalised for a
    slow approver. Decisions after ``as_of`` (if given) are treated as not yet made.

    :raises InvalidExtensionError: if a request is inconsistent.
    :raises RuleError: if a time is naive.
    :raises ValueError: if ``policy`` is not an ``ExtensionPolicy`` value.
    """
    policy = ExtensionPolicy(policy)
    if as_of is not None:
        require_aware(as_of, "Thời điểm xét")
    requests = tuple(requests)
    for request in requests:
        _check_request(request)
    approved = sorted(
        (r for r in requests if _approved_by(r, as_of)),
        key=lambda r: (r.requested_at, _decided_at(r)),
    )
    in_force, measured, late = original, original, []
    for request in approved:
        if request.requested_at >= deadline_end(in_force):
            late.append(request)
        if not late:
            measured = request.new_date
        in_force = request.new_date
    current = original
    if approved:
        current = max(approved, key=lambda r: (_decided_at(r), r.requested_at)).new_date
    if policy is ExtensionPolicy.LATEST_APPROVED:
        measured = current
    elif policy is ExtensionPolicy.ORIGINAL:
        measured = original
    return DeadlineResolution(original, current, measured, tuple(late))


def _check_request(request: ExtensionRequest) -> None:
    require_aware(request.requested_at, "Thời điểm đề nghị gia hạn")
    decided = request.decided_at
    if request.decision is ExtensionDecision.PENDING:
        if decided is not None:
            raise InvalidExtensionError(
                "Đề nghị gia hạn đang chờ nhưng đã có thời điểm quyết định."
            )
        return
    if decided is None:
        raise InvalidExtensionError("Đề nghị gia hạn đã được quyết định nhưng thiếu thời điểm.")
    require_aware(decided, "Thời điểm quyết định gia hạn")
    if decided < request.requested_at:
        raise InvalidExtensionError("Thời điểm quyết định gia hạn sớm hơn thời điểm đề nghị.")


def _decided_at(request: ExtensionRequest) -> datetime:
    assert request.decided_at is not None  # only called on decided requests
    return request.decided_at


def _approved_by(request: ExtensionRequest, as_of: datetime | None) -> bool:
    if request.decision is not ExtensionDecision.APPROVED or request.decided_at is None:
        return False
    return as_of is None or request.decided_at <= as_of


# --- Lateness rates (domain-rules §3.2) ----------------------------------------------------------


@dataclass(frozen=True)
class StatusCounts:
    """How many tasks are in each status (NO_DEADLINE split by done/open)."""

    done_on_time: int = 0
    done_late: int = 0
    open_in_term: int = 0
    open_overdue: int = 0
    no_deadline_done: int = 0
    no_deadline_open: int = 0

    @property
    def done(self) -> int:
        """Return the tasks with a deadline that are done."""
        return self.done_on_time + self.done_late

    @property
    def assigned(self) -> int:
        """Return all tasks."""
        return self.done + self.open_in_term + self.open_overdue + self.no_deadline_total

    @property
    def no_deadline_total(self) -> int:
        """Return the tasks without a deadline."""
        return self.no_deadline_done + self.no_deadline_open

    @classmethod
    def from_evaluations(cls, evaluations: Iterable[TaskEvaluation]) -> StatusCounts:
        """Count evaluated tasks."""
        tally = Counter(
            (ev.status, ev.is_done and ev.status is TaskStatus.NO_DEADLINE) for ev in evaluations
        )
        return cls(
            done_on_time=tally[(TaskStatus.DONE_ON_TIME, False)],
            done_late=tally[(TaskStatus.DONE_LATE, False)],
            open_in_term=tally[(TaskStatus.OPEN_IN_TERM, False)],
            open_overdue=tally[(TaskStatus.OPEN_OVERDUE, False)],
            no_deadline_done=tally[(TaskStatus.NO_DEADLINE, True)],
            no_deadline_open=tally[(TaskStatus.NO_DEADLINE, False)],
        )


class RateFormula(StrEnum):
    """Named lateness/completion formulas; reports differ on the base (mẫu số)."""

    LATE_RATE_DUE_BASE = "late_rate_due_base"
    OVERDUE_OPEN_RATE = "overdue_open_rate"
    COMPLETION_RATE = "completion_rate"
    COMPLETION_RATE_ALL_ASSIGNED = "completion_rate_all_assigned"
    OVERDUE_OPEN_RATE_ALL_ASSIGNED = "overdue_open_rate_all_assigned"
    OVERDUE_OF_OPEN_RATE = "overdue_of_open_rate"

    @property
    def label(self) -> str:
        """Return the Vietnamese name of the rate."""
        return _FORMULAS[self][0]

    @property
    def formula_text(self) -> str:
        """Return the formula in words, in Vietnamese, for the foot of a report."""
        return _FORMULAS[self][1]


DEFAULT_RATE_FORMULA = RateFormula.LATE_RATE_DUE_BASE
_DUE_BASE = "(Đã hoàn thành + Chưa hoàn thành quá hạn)"
_ALL = "Tổng số nhiệm vụ được giao"
_FORMULAS = {
    RateFormula.LATE_RATE_DUE_BASE: (
        "Tỷ lệ nhiệm vụ quá hạn",
        f"(Hoàn thành quá hạn + Chưa hoàn thành quá hạn) / {_DUE_BASE}",
    ),
    RateFormula.OVERDUE_OPEN_RATE: (
        "Tỷ lệ nhiệm vụ chưa hoàn thành quá hạn",
        f"Chưa hoàn thành quá hạn / {_DUE_BASE}",
    ),
    RateFormula.COMPLETION_RATE: ("Tỷ lệ hoàn thành", f"Đã hoàn thành / {_DUE_BASE}"),
    RateFormula.COMPLETION_RATE_ALL_ASSIGNED: (
        "Tỷ lệ hoàn thành trên tổng số nhiệm vụ",
        f"Đã hoàn thành (kể cả nhiệm vụ không thời hạn) / {_ALL}",
    ),
    RateFormula.OVERDUE_OPEN_RATE_ALL_ASSIGNED: (
        "Tỷ lệ chưa hoàn thành quá hạn trên tổng số nhiệm vụ",
        f"Chưa hoàn thành quá hạn / {_ALL}",
    ),
    RateFormula.OVERDUE_OF_OPEN_RATE: (
        "Tỷ lệ quá hạn trong số nhiệm vụ chưa hoàn thành",
        "Chưa hoàn thành quá hạn / (Đang thực hiện trong hạn + Chưa hoàn thành quá hạn)",
    ),
}


def rate_terms(counts: StatusCounts, formula: RateFormula) -> tuple[int, int]:
    """Return the numerator and denominator of a rate."""
    due_base = counts.done + counts.open_overdue
    all_done = counts.done + counts.no_deadline_done
    return {
        RateFormula.LATE_RATE_DUE_BASE: (counts.done_late + counts.open_overdue, due_base),
        RateFormula.OVERDUE_OPEN_RATE: (counts.open_overdue, due_base),
        RateFormula.COMPLETION_RATE: (counts.done, due_base),
        RateFormula.COMPLETION_RATE_ALL_ASSIGNED: (all_done, counts.assigned),
        RateFormula.OVERDUE_OPEN_RATE_ALL_ASSIGNED: (counts.open_overdue, counts.assigned),
        RateFormula.OVERDUE_OF_OPEN_RATE: (
            counts.open_overdue,
            counts.open_in_term + counts.open_overdue,
        ),
    }[formula]


def compute_rate(
    counts: StatusCounts, formula: RateFormula = DEFAULT_RATE_FORMULA
) -> Fraction | None:
    """Return a rate as an exact fraction, or None when its base is empty (nothing fell due)."""
    numerator, denominator = rate_terms(counts, formula)
    return Fraction(numerator, denominator) if denominator else None


def format_percent(value: Fraction | None, digits: int = 2) -> str:
    """Format a rate as a Vietnamese percentage ("98,63%"), rounding half up; None gives "—"."""
    if value is None:
        return "—"
    percent = Decimal(value.numerator * 100) / Decimal(value.denominator)
    rounded = percent.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    return f"{rounded}%".replace(".", ",")
