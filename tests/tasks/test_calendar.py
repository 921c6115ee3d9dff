"""Tests of the working-day calendar (eoffice.tasks.calendar)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eoffice.tasks.calendar import (
    VN_TZ,
    CalendarError,
    CalendarOverride,
    ConflictingOverrideError,
    DaySource,
    InvalidOverrideError,
    OverrideKind,
    WorkingCalendar,
    deadline_end,
    format_vn_date,
    load_override_dir,
    load_overrides,
    local_date,
    parse_overrides,
    validate_overrides,
)

CALENDAR_DIR = Path(__file__).resolve().parents[2] / "config" / "calendar"
CAL = WorkingCalendar(load_override_dir(CALENDAR_DIR))
BUILTIN = WorkingCalendar()

D = date.fromisoformat

# Weekdays off according to the shipped tables.
DAYS_OFF_2025 = [
    "2025-01-01",
    "2025-01-27",
    "2025-01-28",
    "2025-01-29",
    "2025-01-30",
    "2025-01-31",
    "2025-04-07",
    "2025-04-30",
    "2025-05-01",
    "2025-05-02",
    "2025-09-01",
    "2025-09-02",
]
DAYS_OFF_2026 = [
    "2026-01-01",
    "2026-01-02",
    "2026-02-16",
    "2026-02-17",
    "2026-02-18",
    "2026-02-19",
    "2026-02-20",
    "2026-04-27",
    "2026-04-30",
    "2026-05-01",
    "2026-08-31",
    "2026-09-01",
    "2026-09-02",
    "2026-11-24",
]


@pytest.mark.parametrize(
    ("day", "working", "why"),
    [
        ("2025-01-24", True, "Friday before the Tết break"),
        ("2025-01-25", False, "Saturday, start of the Tết break"),
        ("2025-01-27", False, "Tết (weekday)"),
        ("2025-01-31", False, "Tết (weekday)"),
        ("2025-02-01", False, "Saturday in Tết"),
        ("2025-02-03", True, "first working day after Tết"),
        ("2025-04-07", False, "Giỗ Tổ Hùng Vương"),
        ("2025-04-26", True, "swapped working Saturday"),
        ("2025-04-27", False, "ordinary Sunday"),
        ("2025-05-02", False, "day off swapped for 26/04"),
        ("2025-05-05", True, "ordinary Monday"),
        ("2025-09-01", False, "Quốc khánh, extra day"),
        ("2025-12-31", True, "last day of 2025"),
        ("2026-01-02", False, "day off swapped for 10/01/2026"),
        ("2026-01-10", True, "swapped working Saturday"),
        ("2026-02-16", False, "Tết Bính Ngọ"),
        ("2026-02-23", True, "first working day after Tết Bính Ngọ"),
        ("2026-04-26", False, "Giỗ Tổ on a Sunday"),
        ("2026-04-27", False, "substitute day off for Giỗ Tổ"),
        ("2026-08-22", True, "swapped working Saturday"),
        ("2026-08-31", False, "day off swapped for 22/08"),
    ],
)
def test_is_working_day_with_shipped_tables(day: str, working: bool, why: str) -> None:
    assert CAL.is_working_day(D(day)) is working, why


def test_holidays_in_lists_exactly_the_weekdays_off() -> None:
    assert [d.day for d in CAL.holidays_in(2025)] == [D(x) for x in DAYS_OFF_2025]
    assert [d.day for d in CAL.holidays_in(2026)] == [D(x) for x in DAYS_OFF_2026]


def test_holidays_in_names_are_vietnamese_and_sourced() -> None:
    by_day = {d.day: d for d in CAL.holidays_in(2025)}
    assert by_day[D("2025-04-07")].name == "Giỗ Tổ Hùng Vương"
    assert by_day[D("2025-04-07")].source is DaySource.OVERRIDE
    builtin = {d.day: d for d in BUILTIN.holidays_in(2025)}
    assert builtin[D("2025-04-30")].name == "Ngày Chiến thắng"
    assert builtin[D("2025-04-30")].source is DaySource.BUILTIN


def test_builtin_package_agrees_with_the_2025_table() -> None:
    assert [d.day for d in BUILTIN.holidays_in(2025)] == [D(x) for x in DAYS_OFF_2025]
    assert BUILTIN.is_working_day(D("2025-04-26"))


def test_2026_table_covers_the_package_and_adds_the_new_year_swap() -> None:
    # holidays 0.109 lacks the 02/01 ⇄ 10/01/2026 swap; the table must carry it.
    builtin = {d.day for d in BUILTIN.holidays_in(2026)}
    assert builtin <= {D(x) for x in DAYS_OFF_2026}
    assert D("2026-01-02") in {D(x) for x in DAYS_OFF_2026}
    assert CAL.is_working_day(D("2026-01-10"))


@pytest.mark.parametrize(
    ("holiday", "substitute"),
    [
        ("2026-04-26", "2026-04-27"),  # Giỗ Tổ on a Sunday
        ("2027-05-01", "2027-05-03"),  # Labour Day on a Saturday
    ],
)
def test_holiday_on_a_weekend_gives_the_next_working_day_off(holiday: str, substitute: str) -> None:
    assert not BUILTIN.is_working_day(D(holiday))
    assert not BUILTIN.is_working_day(D(substitute))
    assert BUILTIN.day_off_name(D(substitute))
    assert BUILTIN.is_working_day(D(substitute) + timedelta(days=1))


def test_swapped_saturday_registered_in_the_neighbouring_year() -> None:
    # 31/12/2018 off, paid for by working Saturday 05/01/2019 (the package files it under 2018).
    assert not BUILTIN.is_working_day(D("2018-12-31"))
    assert BUILTIN.is_working_day(D("2019-01-05"))


def test_override_working_day_beats_a_builtin_holiday() -> None:
    cal = WorkingCalendar([CalendarOverride(D("2026-11-24"), OverrideKind.WORKING_DAY, "Làm việc")])
    assert not BUILTIN.is_working_day(D("2026-11-24"))
    assert cal.is_working_day(D("2026-11-24"))
    assert cal.day_off_name(D("2026-11-24")) is None


def test_without_builtin_only_weekends_and_overrides_count() -> None:
    cal = WorkingCalendar(
        [CalendarOverride(D("2025-01-28"), OverrideKind.HOLIDAY)], use_builtin=False
    )
    assert cal.is_working_day(D("2025-01-27"))
    assert not cal.is_working_day(D("2025-01-28"))
    assert cal.day_off_name(D("2025-01-28")) == "Ngày nghỉ lễ, Tết"
    assert not cal.is_working_day(D("2025-04-26"))


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        ("2025-01-24", 1, "2025-02-03"),  # across Tết
        ("2025-01-23", 2, "2025-02-03"),
        ("2025-04-25", 1, "2025-04-26"),  # onto the swapped Saturday
        ("2025-04-26", 1, "2025-04-28"),
        ("2025-04-29", 1, "2025-05-05"),  # over 30/4, 1/5, 2/5 and the weekend
        ("2025-12-31", 1, "2026-01-05"),  # year boundary, 1/1 and 2/1/2026 off
        ("2025-12-30", 3, "2026-01-06"),
        ("2026-01-09", 1, "2026-01-10"),
        ("2025-02-03", -1, "2025-01-24"),
        ("2025-05-05", -3, "2025-04-26"),
        ("2026-01-05", -1, "2025-12-31"),
        ("2025-01-26", 0, "2025-01-26"),  # zero keeps even a day off
        ("2025-01-26", 1, "2025-02-03"),  # the start day is not counted, even if off
    ],
)
def test_add_working_days(start: str, n: int, expected: str) -> None:
    assert CAL.add_working_days(D(start), n) == D(expected)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2025-01-24", "2025-02-03", 1),
        ("2025-02-03", "2025-01-24", -1),
        ("2025-04-25", "2025-04-28", 2),  # Saturday 26/04 counts
        ("2025-12-31", "2026-01-05", 1),
        ("2025-05-05", "2025-05-05", 0),
        ("2024-12-31", "2025-12-31", 250),  # 261 weekdays - 12 off + Saturday 26/04
        ("2025-12-31", "2026-12-31", 249),  # 261 weekdays - 14 off + two Saturdays
    ],
)
def test_working_days_between(start: str, end: str, expected: int) -> None:
    assert CAL.working_days_between(D(start), D(end)) == expected


def test_next_and_previous_working_day() -> None:
    assert CAL.next_working_day(D("2025-01-24")) == D("2025-02-03")
    assert CAL.next_working_day(D("2025-04-25")) == D("2025-04-26")
    assert CAL.previous_working_day(D("2025-02-03")) == D("2025-01-24")
    assert CAL.previous_working_day(D("2026-01-05")) == D("2025-12-31")


def test_deadline_end_is_midnight_local_at_the_end_of_the_day() -> None:
    end = deadline_end(D("2025-05-06"))
    assert end == datetime(2025, 5, 7, 0, 0, tzinfo=VN_TZ)
    assert end == datetime(2025, 5, 6, 17, 0, tzinfo=UTC)
    assert end.utcoffset() == timedelta(hours=7)
    assert datetime(2025, 5, 6, 23, 59, 59, tzinfo=VN_TZ) < end
    assert not datetime(2025, 5, 7, 0, 0, 0, tzinfo=VN_TZ) < end


@pytest.mark.parametrize(
    ("last_day", "expected"),
    [
        ("2025-05-06", "2025-05-06"),  # a working day stays
        ("2025-02-01", "2025-02-03"),  # Saturday in Tết
        ("2025-04-30", "2025-05-05"),  # holiday, then 1/5, 2/5 and a weekend
        ("2025-04-26", "2025-04-26"),  # swapped Saturday is a working day
        ("2025-12-31", "2025-12-31"),
        ("2026-01-01", "2026-01-05"),
    ],
)
def test_civil_code_period_end(last_day: str, expected: str) -> None:
    assert CAL.period_last_day(D(last_day)) == D(expected)
    assert CAL.period_end(D(last_day)) == deadline_end(D(expected))


def test_local_date_converts_and_rejects_naive() -> None:
    assert local_date(datetime(2025, 5, 6, 17, 0, tzinfo=UTC)) == D("2025-05-07")
    assert local_date(datetime(2025, 5, 6, 16, 59, 59, tzinfo=UTC)) == D("2025-05-06")
    with pytest.raises(CalendarError):
        local_date(datetime(2025, 5, 6, 12, 0))


def test_format_vn_date() -> None:
    assert format_vn_date(D("2025-04-26")) == "26/04/2025"


# --- override validation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entries", "error", "fragment"),
    [
        (
            [("2025-04-26", "working_day"), ("2025-04-26", "working_day")],
            ConflictingOverrideError,
            "26/04/2025 được khai báo trùng lặp",
        ),
        (
            [("2025-04-26", "working_day"), ("2025-04-26", "holiday")],
            ConflictingOverrideError,
            "26/04/2025 được khai báo mâu thuẫn",
        ),
        (
            [("2025-05-02", "day_off"), ("2025-05-02", "holiday")],
            ConflictingOverrideError,
            "02/05/2025",
        ),
        ([("2025-04-27", "day_off")], InvalidOverrideError, "Ngày nghỉ bù 27/04/2025"),
    ],
)
def test_invalid_overrides_raise_with_the_date(
    entries: list[tuple[str, str]], error: type[Exception], fragment: str
) -> None:
    overrides = [CalendarOverride(D(day), OverrideKind(kind), "x") for day, kind in entries]
    with pytest.raises(error, match=fragment) as info:
        WorkingCalendar(overrides)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, CalendarError)


def test_override_kind_accepts_stored_strings_only_when_known() -> None:
    entry = CalendarOverride(D("2025-04-26"), "working_day", "Làm bù")  # type: ignore[arg-type]
    assert entry.kind is OverrideKind.WORKING_DAY
    assert WorkingCalendar([entry], use_builtin=False).is_working_day(D("2025-04-26"))
    with pytest.raises(InvalidOverrideError, match="nghỉ_lễ"):
        CalendarOverride(D("2025-04-26"), "nghỉ_lễ")  # type: ignore[arg-type]


def test_validate_overrides_sorts_by_date() -> None:
    entries = [
        CalendarOverride(D("2025-05-02"), OverrideKind.DAY_OFF),
        CalendarOverride(D("2025-04-26"), OverrideKind.WORKING_DAY),
    ]
    assert [e.day for e in validate_overrides(entries)] == [D("2025-04-26"), D("2025-05-02")]


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ([], "year"),
        ({"year": 2025}, "year"),
        ({"year": "2025", "entries": []}, "year"),
        ({"year": 2025, "entries": [{"date": "2025-01-01"}]}, "kind"),
        ({"year": 2025, "entries": [{"date": "2025-01-01", "kind": "nghỉ"}]}, "holiday"),
        ({"year": 2025, "entries": [{"date": "01/01/2025", "kind": "holiday"}]}, "01/01/2025"),
        ({"year": 2025, "entries": [{"date": 20250101, "kind": "holiday"}]}, "YYYY-MM-DD"),
        ({"year": 2025, "entries": [{"date": "2026-01-01", "kind": "holiday"}]}, "01/01/2026"),
        ({"year": 2025, "entries": [{"date": "2025-01-01", "kind": "holiday", "x": 1}]}, "name"),
        ({"year": 2025, "entries": [{"date": "2025-01-01", "kind": "holiday", "name": 5}]}, "name"),
        ({"year": 2025, "entries": [{"date": "2025-01-01", "kind": ["holiday"]}]}, "kind"),
    ],
)
def test_parse_overrides_rejects_malformed_data(data: object, fragment: str) -> None:
    with pytest.raises(InvalidOverrideError, match=fragment):
        parse_overrides(data)


def test_parse_overrides_accepts_iso_strings_and_dates() -> None:
    entries = parse_overrides(
        {
            "year": 2025,
            "entries": [
                {"date": "2025-05-02", "kind": "day_off", "name": " Nghỉ bù "},
                {"date": date(2025, 4, 26), "kind": "working_day"},
            ],
        }
    )
    assert entries == (
        CalendarOverride(D("2025-04-26"), OverrideKind.WORKING_DAY, ""),
        CalendarOverride(D("2025-05-02"), OverrideKind.DAY_OFF, "Nghỉ bù"),
    )


def test_load_overrides_reads_the_shipped_files() -> None:
    entries = load_overrides(CALENDAR_DIR / "2025.yaml")
    kinds = {e.day: e.kind for e in entries}
    assert kinds[D("2025-04-26")] is OverrideKind.WORKING_DAY
    assert kinds[D("2025-05-02")] is OverrideKind.DAY_OFF
    assert all(e.day.year == 2025 and e.name for e in entries)
    assert all(e.day.year == 2026 and e.name for e in load_overrides(CALENDAR_DIR / "2026.yaml"))


def test_load_overrides_rejects_invalid_yaml(tmp_path: Path) -> None:
    path = tmp_path / "2030.yaml"
    path.write_text("year: 2030\nentries: [\n", encoding="utf-8")
    with pytest.raises(InvalidOverrideError, match=r"2030\.yaml"):
        load_overrides(path)


def test_load_override_dir_finds_conflicts_across_files(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        "year: 2030\nentries:\n  - {date: 2030-01-01, kind: holiday}\n", encoding="utf-8"
    )
    (tmp_path / "b.yaml").write_text(
        "year: 2030\nentries:\n  - {date: 2030-01-01, kind: working_day}\n", encoding="utf-8"
    )
    with pytest.raises(ConflictingOverrideError, match="01/01/2030"):
        load_override_dir(tmp_path)


def test_runaway_days_off_raise_instead_of_looping() -> None:
    start = D("2030-01-01")
    entries = [
        CalendarOverride(start + timedelta(days=i), OverrideKind.HOLIDAY) for i in range(400)
    ]
    cal = WorkingCalendar(entries, use_builtin=False)
    with pytest.raises(CalendarError, match="Không tìm thấy ngày làm việc"):
        cal.next_working_day(start)


# --- properties ----------------------------------------------------------------------------------

days = st.dates(min_value=date(2024, 6, 1), max_value=date(2027, 6, 30))
steps = st.integers(min_value=-60, max_value=60)


@given(day=days, n=steps)
def test_add_working_days_lands_on_a_working_day_and_round_trips(day: date, n: int) -> None:
    result = CAL.add_working_days(day, n)
    if n != 0:
        assert CAL.is_working_day(result)
        assert (result > day) is (n > 0)
    assert CAL.working_days_between(day, result) == n


@given(day=days, n=st.integers(min_value=0, max_value=60))
def test_add_working_days_is_strictly_increasing(day: date, n: int) -> None:
    assert CAL.add_working_days(day, n + 1) == CAL.next_working_day(CAL.add_working_days(day, n))


@given(a=days, b=days, c=days)
def test_working_days_between_is_additive(a: date, b: date, c: date) -> None:
    a, b, c = sorted((a, b, c))
    assert CAL.working_days_between(a, c) == (
        CAL.working_days_between(a, b) + CAL.working_days_between(b, c)
    )


@given(a=days, b=days)
def test_working_days_between_matches_counting_day_by_day(a: date, b: date) -> None:
    first, last = min(a, b), max(a, b)
    span = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    forward = sum(CAL.is_working_day(day) for day in span[1:])
    backward = sum(CAL.is_working_day(day) for day in span[:-1])
    assert CAL.working_days_between(first, last) == forward
    assert CAL.working_days_between(last, first) == -backward


@given(day=days)
def test_period_last_day_is_the_first_working_day_not_before(day: date) -> None:
    last = CAL.period_last_day(day)
    assert CAL.is_working_day(last)
    assert last >= day
    assert CAL.working_days_between(day, last) == (0 if last == day else 1)
