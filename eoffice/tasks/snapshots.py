"""Monthly snapshots: each month's year-to-date report frozen at 24:00 on its last day.

Corrections made later (a late confirmation, a fixed lead) do not rewrite a past month's figures.
A snapshot keeps counts, not rates: rates come from the counts with the configured formula.
"""

from __future__ import annotations

import calendar as month_calendar
from collections import Counter
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from sqlalchemy import select
from sqlalchemy.orm import Session

from eoffice import clock
from eoffice.db import insert_or_ignore
from eoffice.org.actor import Actor
from eoffice.tasks.access import OVERSEEING_ROLES, agency_codes, agency_subtree
from eoffice.tasks.calendar import deadline_end
from eoffice.tasks.models import ReportSnapshot
from eoffice.tasks.policy import DEFAULT_POLICY, TaskPolicy
from eoffice.tasks.reports import (
    BUCKETS,
    GroupBy,
    LatenessReport,
    ReportRow,
    ReportSpec,
    assemble,
    lateness_report,
    make_row,
)
from eoffice.tasks.rules import StatusCounts


def month_end(year: int, month: int) -> date:
    """Return the last day of a month."""
    return date(year, month, month_calendar.monthrange(year, month)[1])


def month_spec(year: int, month: int, group_by: GroupBy) -> ReportSpec:
    """Return the spec a snapshot freezes: 1 January to the month's end, as of that day."""
    end = month_end(year, month)
    return ReportSpec(date(year, 1, 1), end, group_by, end)


def snapshot_month_of(spec: ReportSpec) -> tuple[int, int] | None:
    """Return (year, month) when ``spec`` is exactly what a snapshot freezes, else None."""
    end = spec.date_to
    if (
        spec.as_of == end
        and spec.date_from == date(end.year, 1, 1)
        and end == month_end(end.year, end.month)
    ):
        return end.year, end.month
    return None


def _row_json(row: ReportRow) -> dict[str, object]:
    counts = {b: getattr(row.counts, b) for b in BUCKETS}
    return {"key": row.key, "name": row.name, "agency": row.agency, "counts": counts}


def freeze_month(
    session: Session, year: int, month: int, policy: TaskPolicy = DEFAULT_POLICY
) -> int:
    """Freeze every grouping of a finished month that is not frozen yet; return how many.

    Idempotent and safe when two workers race (the unique key keeps the first).
    """
    existing = set(
        session.execute(
            select(ReportSnapshot.group_by).where(
                ReportSnapshot.year == year, ReportSnapshot.month == month
            )
        ).scalars()
    )
    made = 0
    for group_by in GroupBy:
        if group_by.value in existing:
            continue
        spec = month_spec(year, month, group_by)
        report = lateness_report(session, Actor.system(), spec, policy)
        insert_or_ignore(
            session,
            ReportSnapshot,
            year=year,
            month=month,
            group_by=group_by.value,
            as_of=deadline_end(spec.date_to),
            frozen_at=clock.now(),
            rows={"rows": [_row_json(r) for r in report.rows]},
        )
        made += 1
    return made


def months_to_freeze(today: date) -> list[tuple[int, int]]:
    """Return the finished months of this year, and December last year while in January."""
    months = [(today.year, m) for m in range(1, today.month)]
    if today.month == 1:
        months.insert(0, (today.year - 1, 12))
    return months


def _visible_agencies(session: Session, actor: Actor) -> set[str] | None:
    """Return the agency IDs whose rows the actor may see; None for the system (all)."""
    user = actor.principal
    if actor.user is None:
        return None
    if user is None or not user.has_role(*OVERSEEING_ROLES):
        return set()
    return agency_codes(session, agency_subtree(session, user.agency_id))


def _snapshots(
    session: Session, year: int, months: list[int], group_by: GroupBy
) -> dict[int, ReportSnapshot]:
    stmt = select(ReportSnapshot).where(
        ReportSnapshot.year == year,
        ReportSnapshot.month.in_(months),
        ReportSnapshot.group_by == group_by.value,
    )
    return {row.month: row for row in session.execute(stmt).scalars()}


def _from_snapshot(
    row: ReportSnapshot, spec: ReportSpec, visible: set[str] | None, policy: TaskPolicy
) -> LatenessReport:
    rows = [
        make_row(r["key"], r["name"], r["agency"], r["counts"], policy)
        for r in row.rows["rows"]
        if visible is None or r["agency"] in visible
    ]
    return assemble(spec, rows, policy, row.as_of, frozen_at=row.frozen_at)


def _reads_snapshots(actor: Actor) -> bool:
    """Only leaders, clerks and admins (and the system) read snapshots; unit heads get live
    reports of their unit."""
    return actor.user is None or actor.has_role(*OVERSEEING_ROLES)


def load_snapshot(
    session: Session, actor: Actor, spec: ReportSpec, policy: TaskPolicy = DEFAULT_POLICY
) -> LatenessReport | None:
    """Return the frozen report for ``spec`` (rows the actor may see), or None if there is none."""
    month = snapshot_month_of(spec)
    if month is None or not _reads_snapshots(actor):
        return None
    row = _snapshots(session, month[0], [month[1]], spec.group_by).get(month[1])
    if row is None:
        return None
    return _from_snapshot(row, spec, _visible_agencies(session, actor), policy)


def report_for(
    session: Session, actor: Actor, spec: ReportSpec, policy: TaskPolicy = DEFAULT_POLICY
) -> LatenessReport:
    """Return the frozen snapshot when ``spec`` names one, else the live report.

    :raises PermissionDenied: when the actor may not read reports.
    """
    return load_snapshot(session, actor, spec, policy) or lateness_report(
        session, actor, spec, policy
    )


@dataclass(frozen=True)
class TrendPoint:
    """One month of the trend: the year-to-date figures at the month's end (or now)."""

    year: int
    month: int
    counts: StatusCounts
    rate: Fraction | None
    frozen: bool


def month_trend(
    session: Session,
    actor: Actor,
    year: int,
    policy: TaskPolicy = DEFAULT_POLICY,
    current: LatenessReport | None = None,
) -> list[TrendPoint]:
    """Return the year's months up to now: frozen ones from snapshots, the others computed.

    ``current`` (this year's year-to-date agency report as of now) saves recomputing this month.

    :raises PermissionDenied: when the actor may not read reports.
    """
    today = clock.today()
    last = 12 if year < today.year else today.month
    frozen = _snapshots(session, year, list(range(1, last + 1)), GroupBy.AGENCY)
    if not _reads_snapshots(actor):
        frozen = {}
    visible = _visible_agencies(session, actor) if frozen else None
    points = []
    for month in range(1, last + 1):
        spec = month_spec(year, month, GroupBy.AGENCY)
        if (year, month) == (today.year, today.month):
            spec = ReportSpec(date(year, 1, 1), today, GroupBy.AGENCY)
            report = current or lateness_report(session, actor, spec, policy)
        elif month in frozen:
            # Only the total is drawn: sum the counts, without building and sorting every row.
            total = _snapshot_total(frozen[month], visible, policy)
            points.append(TrendPoint(year, month, total.counts, total.late_rate, True))
            continue
        else:
            report = lateness_report(session, actor, spec, policy)
        total = report.total
        points.append(
            TrendPoint(year, month, total.counts, total.late_rate, report.frozen_at is not None)
        )
    return points


def _snapshot_total(row: ReportSnapshot, visible: set[str] | None, policy: TaskPolicy) -> ReportRow:
    """Return the total row of a frozen report (the rows the actor may see), as ``assemble``
    would make it."""
    tally: Counter[str] = Counter()
    for r in row.rows["rows"]:
        if visible is None or r["agency"] in visible:
            tally.update({b: int(r["counts"].get(b, 0)) for b in BUCKETS})
    return make_row("", "Tổng cộng", "", tally, policy)


def freeze_due(session: Session, today: date, policy: TaskPolicy = DEFAULT_POLICY) -> int:
    """Freeze every finished month that lacks a snapshot; return how many groupings were made."""
    return sum(freeze_month(session, y, m, policy) for y, m in months_to_freeze(today))
