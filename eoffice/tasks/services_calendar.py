"""The yearly calendar table admins edit (Tết days, làm bù, nghỉ bù) and the calendar built on it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from sqlalchemy import delete, extract, select
from sqlalchemy.orm import Session

from eoffice.audit.services import record_event
from eoffice.errors import InvalidInput, NotFound, PermissionDenied
from eoffice.org.actor import Actor
from eoffice.tasks.calendar import (
    CalendarError,
    CalendarOverride,
    OverrideKind,
    WorkingCalendar,
    format_vn_date,
    validate_overrides,
)
from eoffice.tasks.models import CalendarEntry

MAX_RANGE_DAYS = 31


def load_calendar(session: Session) -> WorkingCalendar:
    """Return the working-day calendar: builtin statutory holidays plus the admins' table."""
    rows = session.execute(select(CalendarEntry.day, CalendarEntry.kind, CalendarEntry.name))
    return WorkingCalendar(
        CalendarOverride(day, OverrideKind(kind), name) for day, kind, name in rows
    )


def list_calendar_entries(session: Session, year: int) -> list[CalendarEntry]:
    """Return the table's entries of ``year`` by date."""
    stmt = (
        select(CalendarEntry)
        .where(extract("year", CalendarEntry.day) == year)
        .order_by(CalendarEntry.day)
    )
    return list(session.execute(stmt).scalars())


def _require_admin(actor: Actor) -> None:
    if actor.user is not None and not actor.is_admin:
        raise PermissionDenied("Chỉ quản trị viên mới sửa được lịch ngày làm việc")


def _check(session: Session, new: list[CalendarOverride]) -> None:
    existing = {
        day: CalendarOverride(day, OverrideKind(kind), name)
        for day, kind, name in session.execute(
            select(CalendarEntry.day, CalendarEntry.kind, CalendarEntry.name)
        )
    }
    overlap = sorted(entry.day for entry in new if entry.day in existing)
    if overlap:
        days = ", ".join(format_vn_date(d) for d in overlap[:10])
        raise InvalidInput(
            "Các ngày {days} đã có trong bảng lịch; xóa mục cũ trước khi khai báo lại",
            code="calendar_overlap",
            fields={"first_day": "Trùng với mục đã khai báo"},
            params={"days": days},
        )
    try:
        validate_overrides(new)
    except CalendarError as e:
        raise InvalidInput(str(e), code="calendar_invalid", fields={"first_day": str(e)}) from e


def add_calendar_entries(
    session: Session, actor: Actor, first: date, last: date, kind: str, name: str
) -> list[CalendarEntry]:
    """Add one entry per day of [first, last] (weekends skipped for holidays and days off).

    :raises PermissionDenied: unless an admin. :raises InvalidInput: a reversed or too long
        range, an unknown kind, a day already in the table, a day off on a weekend.
    """
    _require_admin(actor)
    if kind not in {k.value for k in OverrideKind}:
        raise InvalidInput("Loại ngày không hợp lệ", fields={"kind": "Chọn loại ngày"})
    if last < first or (last - first).days >= MAX_RANGE_DAYS:
        raise InvalidInput(
            "Khoảng ngày không hợp lệ (đến ngày phải sau từ ngày, tối đa {n} ngày)",
            fields={"last_day": "Khoảng ngày không hợp lệ"},
            params={"n": MAX_RANGE_DAYS},
        )
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    if kind != OverrideKind.WORKING_DAY.value and len(days) > 1:
        # A range like "Tết 14/02–22/02" names the break; its weekend days are off anyway.
        days = [d for d in days if d.weekday() < 5]
    new = [CalendarOverride(d, OverrideKind(kind), name.strip()[:200]) for d in days]
    _check(session, new)
    rows = [
        CalendarEntry(day=e.day, kind=e.kind.value, name=e.name, created_by_id=actor.user_id)
        for e in new
    ]
    session.add_all(rows)
    session.flush()
    record_event(
        session,
        actor,
        "calendar.add",
        "calendar",
        first.year,
        details={"days": [d.isoformat() for d in days], "kind": kind, "name": name.strip()},
    )
    return rows


def delete_calendar_entry(session: Session, actor: Actor, entry_id: int) -> None:
    """Remove one entry of the table.

    :raises PermissionDenied: unless an admin. :raises NotFound: unknown entry.
    """
    _require_admin(actor)
    entry = session.get(CalendarEntry, entry_id)
    if entry is None:
        raise NotFound("Không tìm thấy ngày trong bảng lịch")
    day, kind = entry.day, entry.kind
    session.delete(entry)
    session.flush()
    record_event(
        session,
        actor,
        "calendar.delete",
        "calendar",
        day.year,
        details={"day": day.isoformat(), "kind": kind},
    )


def import_calendar(
    session: Session, actor: Actor, entries: Iterable[CalendarOverride], *, replace: bool = False
) -> int:
    """Load entries (e.g. a config/calendar/YYYY.yaml file) into the table; return how many.

    With ``replace``, the years the entries cover are emptied first.

    :raises PermissionDenied: unless an admin. :raises InvalidInput: overlaps or bad entries.
    """
    _require_admin(actor)
    new = list(entries)
    years = sorted({e.day.year for e in new})
    if replace:
        for year in years:
            session.execute(delete(CalendarEntry).where(extract("year", CalendarEntry.day) == year))
    _check(session, new)
    session.add_all(
        CalendarEntry(day=e.day, kind=e.kind.value, name=e.name, created_by_id=actor.user_id)
        for e in new
    )
    session.flush()
    record_event(
        session,
        actor,
        "calendar.import",
        "calendar",
        ",".join(map(str, years)),
        details={"entries": len(new), "replace": replace},
    )
    return len(new)
