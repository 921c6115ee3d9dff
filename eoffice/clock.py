"""The one place that reads the wall clock, and the Asia/Ho_Chi_Minh helpers.

Tests freeze time with :func:`frozen`. Timestamps are stored in UTC and shown in local time.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

_frozen_at: datetime | None = None


def now() -> datetime:
    """Return the current time, timezone-aware in UTC."""
    if _frozen_at is not None:
        return _frozen_at
    return datetime.now(UTC)


def local_now() -> datetime:
    """Return the current time in Asia/Ho_Chi_Minh."""
    return now().astimezone(LOCAL_TZ)


def today() -> date:
    """Return today's date in Asia/Ho_Chi_Minh (what "the same day" means in the rules)."""
    return local_now().date()


@contextlib.contextmanager
def frozen(at: datetime) -> Iterator[None]:
    """Freeze :func:`now` at ``at`` (must be aware) for the duration of the block."""
    global _frozen_at
    if at.tzinfo is None:
        raise ValueError("frozen() needs a timezone-aware datetime")
    previous, _frozen_at = _frozen_at, at.astimezone(UTC)
    try:
        yield
    finally:
        _frozen_at = previous


def to_local(moment: datetime) -> datetime:
    """Convert an aware datetime to Asia/Ho_Chi_Minh."""
    return moment.astimezone(LOCAL_TZ)


def format_date(value: date | datetime | None) -> str:
    """Format as dd/mm/yyyy (local date for datetimes); empty for None."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_local(value).date()
    return value.strftime("%d/%m/%Y")


def format_datetime(value: datetime | None) -> str:
    """Format as dd/mm/yyyy HH:MM in local time; empty for None."""
    if value is None:
        return ""
    return to_local(value).strftime("%d/%m/%Y %H:%M")


def start_of_local_day(day: date) -> datetime:
    """Return 00:00 local time on ``day`` as an aware UTC datetime."""
    return datetime(day.year, day.month, day.day, tzinfo=LOCAL_TZ).astimezone(UTC)


def end_of_local_day(day: date) -> datetime:
    """Return 24:00 local time on ``day`` (= 00:00 the next day), as an aware UTC datetime."""
    return start_of_local_day(day + timedelta(days=1))
