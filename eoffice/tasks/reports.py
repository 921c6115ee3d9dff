"""Lateness reports: counts per status and rates per agency, unit, person or assigner.

Scope: the tasks given in the period (by local date of assignment) that the reader may see, with
their status as it stood at ``t`` (24:00 of ``as_of``, or now). Counting happens in SQL; only
tasks whose extensions were decided after ``t`` are re-judged in Python with their history.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from fractions import Fraction
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, select
from sqlalchemy.orm import Session, selectinload

from eoffice import clock
from eoffice.errors import InvalidInput
from eoffice.org.actor import Actor
from eoffice.org.models import Agency, Unit, User
from eoffice.tasks.access import report_scope
from eoffice.tasks.calendar import deadline_end, format_vn_date
from eoffice.tasks.models import Task
from eoffice.tasks.policy import DEFAULT_POLICY, TaskPolicy
from eoffice.tasks.rules import RateFormula, StatusCounts, TaskStatus, compute_rate
from eoffice.tasks.services_extensions import resolve_task_deadline
from eoffice.tasks.statuses import done_by, status_condition

MAX_PERIOD_DAYS = 3 * 366


class GroupBy(enum.StrEnum):
    AGENCY = "agency"
    UNIT = "unit"
    USER = "user"
    ASSIGNER = "assigner"

    @property
    def label(self) -> str:
        """Return the Vietnamese column heading."""
        return {
            GroupBy.AGENCY: "Cơ quan chủ trì",
            GroupBy.UNIT: "Đơn vị chủ trì",
            GroupBy.USER: "Cá nhân chủ trì",
            GroupBy.ASSIGNER: "Người giao",
        }[self]


_COLUMNS = {
    GroupBy.AGENCY: Task.lead_agency_id,
    GroupBy.UNIT: Task.lead_unit_id,
    GroupBy.USER: Task.lead_user_id,
    GroupBy.ASSIGNER: Task.assigner_id,
}
BUCKETS = (
    "done_on_time",
    "done_late",
    "open_in_term",
    "open_overdue",
    "no_deadline_done",
    "no_deadline_open",
)
BUCKET_LABELS = {
    "done_on_time": "Hoàn thành đúng hạn",
    "done_late": "Hoàn thành quá hạn",
    "open_in_term": "Đang thực hiện trong hạn",
    "open_overdue": "Chưa hoàn thành, quá hạn",
    "no_deadline_done": "Không thời hạn, đã hoàn thành",
    "no_deadline_open": "Không thời hạn, đang thực hiện",
}


@dataclass(frozen=True)
class ReportSpec:
    """What to report on."""

    date_from: date
    date_to: date
    group_by: GroupBy = GroupBy.AGENCY
    as_of: date | None = None
    """Show the report as it stood at the end of this day; None means now."""

    @property
    def t(self) -> datetime:
        """Return the evaluation instant."""
        return deadline_end(self.as_of) if self.as_of else clock.now()

    def describe(self) -> str:
        """Return the scope in words, for the head of the report."""
        when = f"cuối ngày {format_vn_date(self.as_of)}" if self.as_of else "thời điểm xem"
        return (
            f"Nhiệm vụ giao từ ngày {format_vn_date(self.date_from)} đến ngày "
            f"{format_vn_date(self.date_to)}; tình trạng tính đến {when}."
        )


def make_spec(
    date_from: date | None,
    date_to: date | None,
    group_by: str = "agency",
    as_of: date | None = None,
) -> ReportSpec:
    """Check a report request.

    :raises InvalidInput: missing dates, a period that ends before it starts or is too long, an
        unknown grouping, an ``as_of`` in the future or before the period starts.
    """
    errors: dict[str, str] = {}
    if date_from is None:
        errors["date_from"] = "Chọn ngày bắt đầu (YYYY-MM-DD)"
    if date_to is None:
        errors["date_to"] = "Chọn ngày kết thúc (YYYY-MM-DD)"
    if date_from and date_to:
        if date_to < date_from:
            errors["date_to"] = "Ngày kết thúc phải không trước ngày bắt đầu"
        elif (date_to - date_from).days > MAX_PERIOD_DAYS:
            errors["date_to"] = "Kỳ báo cáo tối đa 3 năm"
    if group_by not in {g.value for g in GroupBy}:
        errors["group_by"] = "Chọn agency, unit, user hoặc assigner"
    if as_of is not None:
        if as_of > clock.today():
            errors["as_of"] = "Ngày xem số liệu không được ở tương lai"
        elif date_from and as_of < date_from:
            errors["as_of"] = "Ngày xem số liệu phải từ ngày bắt đầu kỳ báo cáo"
    if errors or date_from is None or date_to is None:
        raise InvalidInput("Tham số báo cáo chưa hợp lệ", fields=errors)
    return ReportSpec(date_from, date_to, GroupBy(group_by), as_of)


@dataclass(frozen=True)
class ReportRow:
    """One line of a report."""

    key: str
    """Agency electronic ID, ``<agency ID>/<unit short name>``, or user name."""
    name: str
    counts: StatusCounts
    late_rate: Fraction | None
    completion_rate: Fraction | None
    rag: str
    """green | amber | red | none (see ``TaskPolicy.rag``)."""
    agency: str = ""
    """The electronic ID of the agency the row belongs to (filters frozen snapshots)."""

    @property
    def total(self) -> int:
        return self.counts.assigned

    def to_json(self) -> dict[str, Any]:
        """Return the API's row (rates in percent, two decimals; null when nothing fell due)."""
        c = self.counts
        return {
            "key": self.key,
            "name": self.name,
            "total": self.total,
            "done_on_time": c.done_on_time,
            "done_late": c.done_late,
            "open_in_term": c.open_in_term,
            "open_overdue": c.open_overdue,
            "no_deadline": c.no_deadline_total,
            "late_rate": _percent(self.late_rate),
            "completion_rate": _percent(self.completion_rate),
        }


def _percent(rate: Fraction | None) -> float | None:
    return None if rate is None else round(float(rate * 100), 2)


@dataclass(frozen=True)
class LatenessReport:
    spec: ReportSpec
    formula: RateFormula
    completion_formula: RateFormula
    rows: tuple[ReportRow, ...]
    total: ReportRow
    evaluated_at: datetime
    frozen_at: datetime | None = None
    """Set when the report is a frozen monthly snapshot."""
    notes: tuple[str, ...] = field(default=())

    @property
    def formula_text(self) -> str:
        """Return the rate's formula as written under the report."""
        return f"{self.formula.label} = {self.formula.formula_text}"

    def to_json(self) -> dict[str, Any]:
        """Return the API's shape."""
        return {
            "formula": self.formula_text,
            "completion_formula": f"{self.completion_formula.label} = {self.completion_formula.formula_text}",
            "scope": self.spec.describe(),
            "group_by": self.spec.group_by.value,
            "date_from": self.spec.date_from.isoformat(),
            "date_to": self.spec.date_to.isoformat(),
            "as_of": self.spec.as_of.isoformat() if self.spec.as_of else None,
            "evaluated_at": self.evaluated_at.isoformat(),
            "frozen_at": self.frozen_at.isoformat() if self.frozen_at else None,
            "rows": [r.to_json() for r in self.rows],
            "total": self.total.to_json(),
        }


def bucket_sql(t: datetime) -> ColumnElement[str]:
    """Return a SQL expression naming each task's ``StatusCounts`` field at ``t``."""
    done = done_by(t)
    deadline = Task.measured_deadline_at
    return case(
        (and_(deadline.is_(None), done), literal("no_deadline_done")),
        (deadline.is_(None), literal("no_deadline_open")),
        (and_(done, Task.done_at < deadline), literal("done_on_time")),
        (done, literal("done_late")),
        (deadline <= t, literal("open_overdue")),
        else_=literal("open_in_term"),
    )


def base_conditions(
    session: Session, actor: Actor, spec: ReportSpec, t: datetime
) -> list[ColumnElement[bool]]:
    """Return the WHERE clauses of a report: reader's scope, period, grouping column present."""
    start = clock.start_of_local_day(spec.date_from)
    end = min(clock.end_of_local_day(spec.date_to), t)
    column = _COLUMNS[spec.group_by]
    conditions = [
        report_scope(session, actor),
        Task.assigned_at >= start,
        Task.assigned_at < end,
        column.is_not(None),
    ]
    if spec.group_by is GroupBy.AGENCY:
        conditions.append(Task.counts_for_agency.is_(True))
    return conditions


def _rejudged(t: datetime) -> ColumnElement[bool]:
    """Tasks whose extensions were decided after ``t``: their stored deadline is too new."""
    return and_(Task.extensions_decided_at.is_not(None), Task.extensions_decided_at > t)


def _stored_deadline_holds(spec: ReportSpec, t: datetime) -> list[ColumnElement[bool]]:
    """Return the condition "the stored measured deadline is the one in force at ``t``"."""
    if spec.as_of is None:
        return []  # nothing is decided after now
    return [~_rejudged(t)]


def rejudged_buckets(
    session: Session,
    conditions: list[ColumnElement[bool]],
    spec: ReportSpec,
    t: datetime,
    policy: TaskPolicy,
) -> list[tuple[Task, str]]:
    """Return the tasks re-judged with their extension history as of ``t``, with their bucket."""
    if spec.as_of is None:
        return []
    stmt = select(Task).where(*conditions, _rejudged(t)).options(selectinload(Task.extensions))
    result = []
    for task in session.execute(stmt).scalars():
        resolution = resolve_task_deadline(task, policy.extension_policy, as_of=t)
        measured = resolution.measured if resolution else None
        result.append((task, bucket_of(task, measured, t)))
    return result


def bucket_of(task: Task, measured: date | None, t: datetime) -> str:
    """Return the ``StatusCounts`` field of one task at ``t`` against ``measured``."""
    done = task.confirmed_at is not None and task.confirmed_at <= t
    if measured is None:
        return "no_deadline_done" if done else "no_deadline_open"
    end = deadline_end(measured)
    if done:
        assert task.done_at is not None
        return "done_on_time" if task.done_at < end else "done_late"
    return "open_overdue" if t >= end else "open_in_term"


def lateness_report(
    session: Session, actor: Actor, spec: ReportSpec, policy: TaskPolicy = DEFAULT_POLICY
) -> LatenessReport:
    """Compute the report live.

    :raises PermissionDenied: when the actor may not read reports.
    """
    t = spec.t
    conditions = base_conditions(session, actor, spec, t)
    column = _COLUMNS[spec.group_by]
    bucket = bucket_sql(t).label("bucket")
    stmt = (
        select(column, bucket, func.count())
        .where(*conditions, *_stored_deadline_holds(spec, t))
        .group_by(column, bucket)
    )
    tally: dict[int, Counter[str]] = {}
    for key, name, count in session.execute(stmt):
        if key is not None:  # excluded by the WHERE clause; keeps the types honest
            tally.setdefault(key, Counter())[name] += count
    for task, name in rejudged_buckets(session, conditions, spec, t, policy):
        tally.setdefault(getattr(task, column.key), Counter())[name] += 1
    names = group_names(session, spec.group_by, list(tally))
    rows = [make_row(*names.get(key, (str(key), "?", "")), tally[key], policy) for key in tally]
    return assemble(spec, rows, policy, t)


def assemble(
    spec: ReportSpec,
    rows: list[ReportRow],
    policy: TaskPolicy,
    t: datetime,
    frozen_at: datetime | None = None,
) -> LatenessReport:
    """Sort rows worst first (rows where nothing fell due last) and add the total."""
    rows = sorted(
        rows,
        key=lambda r: (r.late_rate is None, -(r.late_rate or 0), -r.counts.open_overdue, r.name),
    )
    tally: Counter[str] = Counter()
    for row in rows:
        tally.update({b: getattr(row.counts, b) for b in BUCKETS})
    total = make_row("", "Tổng cộng", "", tally, policy)
    return LatenessReport(
        spec, policy.rate_formula, policy.completion_formula, tuple(rows), total, t, frozen_at
    )


def make_row(
    key: str, name: str, agency: str, tally: Mapping[str, int], policy: TaskPolicy
) -> ReportRow:
    """Return a report row from bucket counts."""
    counts = StatusCounts(**{b: int(tally.get(b, 0)) for b in BUCKETS})
    late = compute_rate(counts, policy.rate_formula)
    done = compute_rate(counts, policy.completion_formula)
    return ReportRow(key, name, counts, late, done, policy.rag(late), agency)


def group_names(
    session: Session, group_by: GroupBy, ids: list[int]
) -> dict[int, tuple[str, str, str]]:
    """Return ``{id: (key, display name, agency electronic ID)}`` for the grouping's ids."""
    if not ids:
        return {}
    if group_by is GroupBy.AGENCY:
        agencies = session.execute(
            select(Agency.id, Agency.code, Agency.name).where(Agency.id.in_(ids))
        )
        return {i: (code, name, code) for i, code, name in agencies}
    if group_by is GroupBy.UNIT:
        units = session.execute(
            select(Unit.id, Agency.code, Unit.short_name, Unit.name, Agency.short_name)
            .join(Agency, Agency.id == Unit.agency_id)
            .where(Unit.id.in_(ids))
        )
        return {
            i: (f"{code}/{short}", f"{name} — {agency}", code)
            for i, code, short, name, agency in units
        }
    users = session.execute(
        select(User.id, User.username, User.full_name, Agency.code)
        .join(Agency, Agency.id == User.agency_id)
        .where(User.id.in_(ids))
    )
    return {i: (username, full_name, code) for i, username, full_name, code in users}


def group_id(session: Session, group_by: GroupBy, key: str) -> int | None:
    """Return the id behind a row key (the reverse of ``group_names``), or None."""
    if group_by is GroupBy.AGENCY:
        return session.execute(select(Agency.id).where(Agency.code == key)).scalar_one_or_none()
    if group_by is GroupBy.UNIT:
        code, _, short = key.rpartition("/")
        return session.execute(
            select(Unit.id)
            .join(Agency, Agency.id == Unit.agency_id)
            .where(Agency.code == code, Unit.short_name == short)
        ).scalar_one_or_none()
    return session.execute(select(User.id).where(User.username == key)).scalar_one_or_none()


def drill_down(
    session: Session,
    actor: Actor,
    spec: ReportSpec,
    key: str | None,
    status: TaskStatus | None,
    policy: TaskPolicy = DEFAULT_POLICY,
    limit: int = 200,
) -> list[tuple[Task, str]]:
    """Return the tasks behind one number of a report (a row, or the total; a status or all).

    :raises PermissionDenied: when the actor may not read reports.
    """
    t = spec.t
    conditions = base_conditions(session, actor, spec, t)
    if key:
        conditions.append(_COLUMNS[spec.group_by] == group_id(session, spec.group_by, key))
    wanted = {b for b in BUCKETS if status is None or _status_of_bucket(b) is status}
    stmt = select(Task, bucket_sql(t)).where(*conditions, *_stored_deadline_holds(spec, t))
    if status is not None:
        stmt = stmt.where(status_condition(status, t))
    stmt = stmt.order_by(Task.id.desc()).limit(limit)
    found = [(task, name) for task, name in session.execute(stmt)]
    found += [
        (task, b)
        for task, b in rejudged_buckets(session, conditions, spec, t, policy)
        if b in wanted
    ]
    return found[:limit]


def _status_of_bucket(bucket: str) -> TaskStatus:
    return (
        TaskStatus.NO_DEADLINE if bucket.startswith("no_deadline") else TaskStatus(bucket.upper())
    )


def with_period(spec: ReportSpec, date_from: date, date_to: date, as_of: date | None) -> ReportSpec:
    """Return ``spec`` for another period."""
    return replace(spec, date_from=date_from, date_to=date_to, as_of=as_of)
