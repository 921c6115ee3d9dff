"""The yearly calendar table admins edit, and the calendar the services build from it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from eoffice.errors import InvalidInput, PermissionDenied
from eoffice.org.actor import Actor
from eoffice.tasks.calendar import load_overrides
from eoffice.tasks.services_calendar import (
    add_calendar_entries,
    delete_calendar_entry,
    import_calendar,
    list_calendar_entries,
    load_calendar,
)

D = date.fromisoformat
CONFIG = Path(__file__).resolve().parents[2] / "config" / "calendar"


def test_a_range_of_tet_days_keeps_only_weekdays(db_session, factory):
    admin = factory.org().admin
    rows = add_calendar_entries(
        db_session, Actor(user=admin), D("2027-02-05"), D("2027-02-12"), "holiday", "Tết Đinh Mùi"
    )
    assert [r.day for r in rows] == [D(f"2027-02-{d:02d}") for d in (5, 8, 9, 10, 11, 12)]
    calendar = load_calendar(db_session)
    assert not calendar.is_working_day(D("2027-02-08"))
    assert calendar.day_off_name(D("2027-02-09")) == "Tết Đinh Mùi"
    assert calendar.add_working_days(D("2027-02-04"), 1) == D("2027-02-15")


def test_overlapping_entries_are_refused_with_the_dates(db_session, factory):
    admin = Actor(user=factory.org().admin)
    add_calendar_entries(db_session, admin, D("2027-02-08"), D("2027-02-12"), "holiday", "Tết")
    with pytest.raises(InvalidInput) as e:
        add_calendar_entries(
            db_session, admin, D("2027-02-11"), D("2027-02-15"), "day_off", "Nghỉ bù"
        )
    assert e.value.code == "calendar_overlap"
    assert e.value.render() == (
        "Các ngày 11/02/2027, 12/02/2027 đã có trong bảng lịch; xóa mục cũ trước khi khai báo lại"
    )


def test_a_swapped_saturday_becomes_a_working_day(db_session, factory):
    admin = Actor(user=factory.org().admin)
    add_calendar_entries(
        db_session, admin, D("2027-01-09"), D("2027-01-09"), "working_day", "Làm bù"
    )
    assert load_calendar(db_session).is_working_day(D("2027-01-09"))


@pytest.mark.parametrize(
    ("first", "last", "kind", "field"),
    [
        (D("2027-02-12"), D("2027-02-05"), "holiday", "last_day"),  # reversed
        (D("2027-01-01"), D("2027-03-01"), "holiday", "last_day"),  # too long
        (D("2027-01-09"), D("2027-01-09"), "day_off", "first_day"),  # Saturday off already
        (D("2027-01-08"), D("2027-01-08"), "party", "kind"),
    ],
)
def test_bad_calendar_entries(db_session, factory, first, last, kind, field):
    with pytest.raises(InvalidInput) as e:
        add_calendar_entries(db_session, Actor(user=factory.org().admin), first, last, kind, "x")
    assert field in e.value.fields


def test_only_admins_edit_the_calendar(db_session, factory):
    leader = factory.org().leader
    with pytest.raises(PermissionDenied):
        add_calendar_entries(
            db_session, Actor(user=leader), D("2027-02-08"), D("2027-02-08"), "holiday", ""
        )


def test_importing_the_shipped_year_then_deleting_one_entry(db_session, factory):
    admin = Actor(user=factory.org().admin)
    count = import_calendar(db_session, admin, load_overrides(CONFIG / "2026.yaml"))
    entries = list_calendar_entries(db_session, 2026)
    assert count == len(entries) > 10
    culture_day = next(e for e in entries if e.day == D("2026-11-24"))
    assert not load_calendar(db_session).is_working_day(D("2026-11-24"))
    delete_calendar_entry(db_session, admin, culture_day.id)
    with pytest.raises(InvalidInput):
        import_calendar(db_session, admin, load_overrides(CONFIG / "2026.yaml"))
    assert (
        import_calendar(db_session, admin, load_overrides(CONFIG / "2026.yaml"), replace=True)
        == count
    )
