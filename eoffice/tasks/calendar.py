"""Working-day calendar of Vietnamese state agencies (lịch ngày làm việc).

Pure module: no database, no wall clock. A day is a working day unless it is a Saturday or
Sunday (QĐ 188/1999/QĐ-TTg) or a holiday; swapped Saturdays (làm bù) are working days. The
statutory holidays, lunar ones included, come from the ``holidays`` package (country "VN",
which already knows the observed days of holidays falling on a weekend and some announced
swaps); the yearly override table edited by admins (Tết days, swapped working days, substitute
days off announced by the Government) takes precedence over it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from os import PathLike
from pathlib import Path
from types import MappingProxyType
from zoneinfo import ZoneInfo

import holidays
import yaml

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
"""Time zone of all deadlines (UTC+07:00, no daylight saving time)."""

_ONE_DAY = timedelta(days=1)
_SATURDAY = 5
# No real calendar has a year-long run of days off; a longer run means broken override data.
_MAX_DAYS_OFF_IN_A_ROW = 366


class CalendarError(ValueError):
    """Base of the errors of the working-day calendar."""


class ConflictingOverrideError(CalendarError):
    """Two override entries name the same date."""


class InvalidOverrideError(CalendarError):
    """An override entry or file is malformed."""


class OverrideKind(StrEnum):
    """What an admin-entered calendar entry says about its date."""

    HOLIDAY = "holiday"
    WORKING_DAY = "working_day"
    DAY_OFF = "day_off"

    @property
    def label(self) -> str:
        """Return the Vietnamese label."""
        return _KIND_LABELS[self]


_KIND_LABELS = {
    OverrideKind.HOLIDAY: "Ngày nghỉ lễ, Tết",
    OverrideKind.WORKING_DAY: "Ngày làm việc bù",
    OverrideKind.DAY_OFF: "Ngày nghỉ bù",
}


_KIND_VALUES = tuple(kind.value for kind in OverrideKind)


class DaySource(StrEnum):
    """Where the calendar learnt that a day is off."""

    OVERRIDE = "override"
    BUILTIN = "builtin"


@dataclass(frozen=True)
class CalendarOverride:
    """One entry of the yearly override table."""

    day: date
    """The date the entry is about."""
    kind: OverrideKind
    """Holiday, swapped working day (làm bù) or substitute day off (nghỉ bù)."""
    name: str = ""
    """Vietnamese name shown to users, e.g. "Tết Nguyên đán"."""

    def __post_init__(self) -> None:
        """Accept the kind as its stored string value.

        :raises InvalidOverrideError: if the kind is unknown.
        """
        if self.kind not in _KIND_VALUES:
            allowed = ", ".join(_KIND_VALUES)
            raise InvalidOverrideError(f"Loại ngày “{self.kind}” không hợp lệ; cần: {allowed}.")
        # Frozen dataclass: normalising a field needs object.__setattr__.
        object.__setattr__(self, "kind", OverrideKind(self.kind))


@dataclass(frozen=True)
class DayOff:
    """A weekday that is not a working day."""

    day: date
    name: str
    """Vietnamese name of the holiday or day off."""
    source: DaySource


def format_vn_date(day: date) -> str:
    """Format a date as dd/mm/yyyy."""
    return day.strftime("%d/%m/%Y")


def deadline_end(day: date) -> datetime:
    """Return the instant a deadline dated ``day`` ends: 24:00 Asia/Ho_Chi_Minh that day.

    The instant is 00:00 local of the next day and belongs to that next day: something done
    at 23:59:59 on ``day`` is in time, at 00:00:00 the next day it is not.
    """
    return datetime.combine(day + _ONE_DAY, time(0), tzinfo=VN_TZ)


def local_date(moment: datetime) -> date:
    """Return the Asia/Ho_Chi_Minh calendar date of an aware datetime.

    :raises CalendarError: if ``moment`` is naive.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise CalendarError(f"Thời điểm {moment.isoformat()} thiếu múi giờ.")
    return moment.astimezone(VN_TZ).date()


def validate_overrides(entries: Iterable[CalendarOverride]) -> tuple[CalendarOverride, ...]:
    """Check override entries and return them sorted by date.

    :raises ConflictingOverrideError: if two entries name the same date.
    :raises InvalidOverrideError: if a substitute day off falls on a Saturday or Sunday.
    """
    seen: dict[date, CalendarOverride] = {}
    for entry in entries:
        when = format_vn_date(entry.day)
        if entry.kind is OverrideKind.DAY_OFF and entry.day.weekday() >= _SATURDAY:
            raise InvalidOverrideError(
                f"Ngày nghỉ bù {when} rơi vào thứ Bảy hoặc Chủ nhật, vốn đã là ngày nghỉ."
            )
        previous = seen.get(entry.day)
        if previous is not None:
            if previous.kind is entry.kind:
                raise ConflictingOverrideError(
                    f"Ngày {when} được khai báo trùng lặp trong bảng điều chỉnh lịch."
                )
            raise ConflictingOverrideError(
                f"Ngày {when} được khai báo mâu thuẫn: vừa là "
                f"“{previous.kind.label}” vừa là “{entry.kind.label}”."
            )
        seen[entry.day] = entry
    return tuple(sorted(seen.values(), key=lambda e: e.day))


@lru_cache(maxsize=64)
def _builtin_year(year: int) -> tuple[Mapping[date, str], frozenset[date]]:
    """Return the holidays package's days off and swapped weekend workdays of one year."""
    vietnam = holidays.Vietnam(years=year, language="vi")
    days_off = {day: str(name) for day, name in vietnam.items() if day.year == year}
    return MappingProxyType(days_off), frozenset(vietnam.weekend_workdays)


def _builtin_weekend_workday(day: date) -> bool:
    # The package records a swapped Saturday while populating the year of the day off it pays
    # for, which can be the year before or after (e.g. Sat 05/01/2019 paid for 31/12/2018).
    return any(day in _builtin_year(year)[1] for year in (day.year - 1, day.year, day.year + 1))


class WorkingCalendar:
    """Answer working-day questions from the builtin holidays and the override table.

    Precedence for a date: an override entry; else a builtin holiday (non-working); else a
    builtin swapped weekend workday (working); else Saturday and Sunday off, others working.
    """

    __slots__ = ("_overrides", "_use_builtin", "_year_cache")

    def __init__(
        self, overrides: Iterable[CalendarOverride] = (), *, use_builtin: bool = True
    ) -> None:
        """Build a calendar; ``use_builtin=False`` relies on the override table alone.

        :raises ConflictingOverrideError: if two entries name the same date.
        :raises InvalidOverrideError: if an entry is invalid (see ``validate_overrides``).
        """
        self._overrides = {entry.day: entry for entry in validate_overrides(overrides)}
        self._use_builtin = use_builtin
        # Per year: (weekdays off, weekend days worked). Immutable inputs, so never stale.
        self._year_cache: dict[int, tuple[frozenset[date], frozenset[date]]] = {}

    @property
    def overrides(self) -> tuple[CalendarOverride, ...]:
        """Return the override entries, sorted by date."""
        return tuple(self._overrides.values())

    def is_working_day(self, day: date) -> bool:
        """Return whether ``day`` is a working day."""
        entry = self._overrides.get(day)
        if entry is not None:
            return entry.kind is OverrideKind.WORKING_DAY
        if self._use_builtin:
            if day in _builtin_year(day.year)[0]:
                return False
            if _builtin_weekend_workday(day):
                return True
        return day.weekday() < _SATURDAY

    def day_off_name(self, day: date) -> str | None:
        """Return the Vietnamese name of a holiday or day off, or None for other days."""
        entry = self._overrides.get(day)
        if entry is not None:
            if entry.kind is OverrideKind.WORKING_DAY:
                return None
            return entry.name or entry.kind.label
        if self._use_builtin:
            return _builtin_year(day.year)[0].get(day)
        return None

    def next_working_day(self, day: date) -> date:
        """Return the first working day strictly after ``day``.

        :raises CalendarError: if no working day comes within a year.
        """
        return self._step(day, 1)

    def previous_working_day(self, day: date) -> date:
        """Return the last working day strictly before ``day``.

        :raises CalendarError: if no working day comes within a year.
        """
        return self._step(day, -1)

    def add_working_days(self, day: date, n: int) -> date:
        """Return the date ``n`` working days from ``day``, the start day not counted.

        A negative ``n`` counts backwards; ``n == 0`` returns ``day`` unchanged. For ``n != 0``
        the result is always a working day, so ``n = 1`` on a Friday gives the next Monday.

        :raises CalendarError: if no working day comes within a year.
        """
        direction = 1 if n > 0 else -1
        for _ in range(abs(n)):
            day = self._step(day, direction)
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Count the working days walked over from ``start`` to ``end``, start not counted.

        For ``start <= end`` this counts working days in (start, end]; for ``end < start`` it
        is minus the count of working days in [end, start). So for every ``n``,
        ``working_days_between(d, add_working_days(d, n)) == n``.
        """
        if end >= start:
            first, last, sign = start + _ONE_DAY, end, 1
        else:
            first, last, sign = end, start - _ONE_DAY, -1
        if first > last:
            return 0
        # Arithmetic on weekdays plus each year's few exceptions: reports call this for every
        # task, often over years, so walking day by day would be too slow.
        count = _weekdays_in(first, last)
        for year in range(first.year, last.year + 1):
            days_off, weekend_worked = self._exceptions(year)
            count -= sum(1 for day in days_off if first <= day <= last)
            count += sum(1 for day in weekend_worked if first <= day <= last)
        return sign * count

    def period_last_day(self, day: date) -> date:
        """Return the last day of a legal period ending on ``day`` (BLDS 2015 Điều 148).

        A period whose last day is a weekend day or holiday ends at the end of the next working
        day. Do not apply this to a deadline date set by a leader: that date is kept as given.

        :raises CalendarError: if no working day comes within a year.
        """
        return day if self.is_working_day(day) else self.next_working_day(day)

    def period_end(self, day: date) -> datetime:
        """Return the instant a legal period ending on ``day`` ends (24:00, moved per Điều 148).

        :raises CalendarError: if no working day comes within a year.
        """
        return deadline_end(self.period_last_day(day))

    def holidays_in(self, year: int) -> tuple[DayOff, ...]:
        """List the weekdays (Monday to Friday) of ``year`` that are not working days."""
        return tuple(
            DayOff(
                day,
                self.day_off_name(day) or "",
                DaySource.OVERRIDE if day in self._overrides else DaySource.BUILTIN,
            )
            for day in sorted(self._exceptions(year)[0])
        )

    def _exceptions(self, year: int) -> tuple[frozenset[date], frozenset[date]]:
        cached = self._year_cache.get(year)
        if cached is None:
            days_off: set[date] = set()
            weekend_worked: set[date] = set()
            day = date(year, 1, 1)
            while day.year == year:
                weekday, working = day.weekday() < _SATURDAY, self.is_working_day(day)
                if weekday != working:
                    (days_off if weekday else weekend_worked).add(day)
                day += _ONE_DAY
            cached = (frozenset(days_off), frozenset(weekend_worked))
            self._year_cache[year] = cached
        return cached

    def _step(self, day: date, direction: int) -> date:
        for _ in range(_MAX_DAYS_OFF_IN_A_ROW):
            day += direction * _ONE_DAY
            if self.is_working_day(day):
                return day
        raise CalendarError(
            f"Không tìm thấy ngày làm việc nào trong vòng một năm kể từ {format_vn_date(day)}."
        )


def _weekdays_in(first: date, last: date) -> int:
    """Count Mondays to Fridays in [first, last]."""
    weeks, rest = divmod((last - first).days + 1, 7)
    start = first.weekday()
    return weeks * 5 + sum(1 for i in range(rest) if (start + i) % 7 < _SATURDAY)


def load_overrides(path: str | PathLike[str]) -> tuple[CalendarOverride, ...]:
    """Read one yearly YAML file of calendar overrides (see config/calendar/).

    :raises InvalidOverrideError: if the file is not valid YAML of the expected shape.
    :raises ConflictingOverrideError: if two entries name the same date.
    :raises OSError: if the file cannot be read.
    """
    source = Path(path)
    try:
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise InvalidOverrideError(f"Tệp lịch {source.name} không phải YAML hợp lệ: {e}") from e
    return parse_overrides(data, source=source.name)


def load_override_dir(directory: str | PathLike[str]) -> tuple[CalendarOverride, ...]:
    """Read every ``*.yaml`` file of a directory of yearly override files.

    :raises InvalidOverrideError: if a file is not valid YAML of the expected shape.
    :raises ConflictingOverrideError: if two entries name the same date.
    :raises OSError: if a file cannot be read.
    """
    entries: list[CalendarOverride] = []
    for path in sorted(Path(directory).glob("*.yaml")):
        entries.extend(load_overrides(path))
    return validate_overrides(entries)


def parse_overrides(data: object, *, source: str = "dữ liệu") -> tuple[CalendarOverride, ...]:
    """Turn the parsed YAML of one year (``{year: 2025, entries: [...]}``) into entries.

    :raises InvalidOverrideError: if the data is not of the expected shape.
    :raises ConflictingOverrideError: if two entries name the same date.
    """
    if not isinstance(data, dict) or set(data) != {"year", "entries"}:
        raise InvalidOverrideError(f"{source}: cần đúng hai khóa “year” và “entries”.")
    year, raw_entries = data["year"], data["entries"]
    if not isinstance(year, int) or not isinstance(raw_entries, list):
        raise InvalidOverrideError(f"{source}: “year” phải là số năm, “entries” là danh sách.")
    entries = tuple(_parse_entry(raw, source) for raw in raw_entries)
    for entry in entries:
        if entry.day.year != year:
            raise InvalidOverrideError(
                f"{source}: ngày {format_vn_date(entry.day)} không thuộc năm {year}."
            )
    return validate_overrides(entries)


def _parse_entry(raw: object, source: str) -> CalendarOverride:
    if not isinstance(raw, dict) or not {"date", "kind"} <= set(raw) <= {"date", "kind", "name"}:
        raise InvalidOverrideError(
            f"{source}: mỗi mục cần “date”, “kind” và có thể có “name”; gặp {raw!r}."
        )
    day, kind, name = raw["date"], raw["kind"], raw.get("name", "")
    if isinstance(day, str):
        try:
            day = date.fromisoformat(day)
        except ValueError as e:
            raise InvalidOverrideError(f"{source}: ngày “{day}” không hợp lệ.") from e
    if not isinstance(day, date) or isinstance(day, datetime):
        raise InvalidOverrideError(f"{source}: “date” phải là ngày dạng YYYY-MM-DD: {raw!r}.")
    if not isinstance(kind, str) or kind not in _KIND_VALUES:
        allowed = ", ".join(_KIND_VALUES)
        raise InvalidOverrideError(f"{source}: “kind” phải là một trong {allowed}: {raw!r}.")
    if not isinstance(name, str):
        raise InvalidOverrideError(f"{source}: “name” phải là chuỗi ký tự: {raw!r}.")
    return CalendarOverride(day=day, kind=OverrideKind(kind), name=name.strip())
