"""Tests of the pure task-tracking rules (reminders.rules)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eoffice.tasks.calendar import VN_TZ, WorkingCalendar, load_override_dir
from reminders.rules import (
    DEFAULT_RATE_FORMULA,
    DeadlineResolution,
    ExtensionDecision,
    ExtensionPolicy,
    ExtensionRequest,
    InvalidExtensionError,
    InvalidScheduleError,
    RateFormula,
    RecipientRole,
    ReminderKind,
    ReminderSchedule,
    ReminderStep,
    RuleError,
    StatusCounts,
    StatusPolicy,
    TaskStatus,
    classify_task,
    compute_rate,
    format_percent,
    plan_reminders,
    rate_terms,
    resolve_deadline,
)

CAL = WorkingCalendar(load_override_dir(Path(__file__).resolve().parents[2] / "config/calendar"))
D = date.fromisoformat
DUE = D("2025-05-06")  # a Tuesday, after the 30/4–1/5 break and the swapped Saturday 26/04


def vn(text: str) -> datetime:
    """Parse "YYYY-MM-DD HH:MM[:SS]" as local Vietnamese time."""
    return datetime.fromisoformat(text).replace(tzinfo=VN_TZ)


# --- classification ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("due", "done_at", "t", "status", "due_soon", "left"),
    [
        (DUE, vn("2025-05-06 23:59:59"), vn("2025-05-20 09:00"), "DONE_ON_TIME", False, None),
        (DUE, vn("2025-05-07 00:00:00"), vn("2025-05-20 09:00"), "DONE_LATE", False, None),
        (DUE, vn("2025-04-01 10:00"), vn("2025-05-20 09:00"), "DONE_ON_TIME", False, None),
        (DUE, None, vn("2025-05-06 23:59:59"), "OPEN_IN_TERM", True, 0),
        (DUE, None, vn("2025-05-07 00:00:00"), "OPEN_OVERDUE", False, -1),
        (DUE, None, vn("2025-05-12 08:00"), "OPEN_OVERDUE", False, -4),
        (DUE, None, vn("2025-04-20 08:00"), "OPEN_IN_TERM", False, 10),  # Sat 26/04 counts
        # A completion after t is not yet known at t.
        (DUE, vn("2025-05-08 10:00"), vn("2025-05-07 10:00"), "OPEN_OVERDUE", False, -1),
        (DUE, vn("2025-05-05 10:00"), vn("2025-05-04 10:00"), "OPEN_IN_TERM", True, 2),
        (None, None, vn("2025-05-07 10:00"), "NO_DEADLINE", False, None),
        (None, vn("2025-05-01 10:00"), vn("2025-05-07 10:00"), "NO_DEADLINE", False, None),
    ],
)
def test_classify_task(
    due: date | None,
    done_at: datetime | None,
    t: datetime,
    status: str,
    due_soon: bool,
    left: int | None,
) -> None:
    ev = classify_task(due, done_at, t, CAL)
    assert ev.status is TaskStatus(status)
    assert ev.due_soon is due_soon
    assert ev.working_days_left == left
    assert ev.is_done is (done_at is not None and done_at <= t)


def test_classify_uses_instants_not_wall_clock_text() -> None:
    # 16:59:59 UTC is 23:59:59 in Hà Nội; 17:00:00 UTC is already the next day there.
    on_time = classify_task(
        DUE, datetime(2025, 5, 6, 16, 59, 59, tzinfo=UTC), vn("2025-06-01 00:00"), CAL
    )
    late = classify_task(
        DUE, datetime(2025, 5, 6, 17, 0, 0, tzinfo=UTC), vn("2025-06-01 00:00"), CAL
    )
    assert on_time.status is TaskStatus.DONE_ON_TIME
    assert late.status is TaskStatus.DONE_LATE
    assert on_time.deadline_at == vn("2025-05-07 00:00")


@pytest.mark.parametrize(
    ("t", "n", "due_soon", "left"),
    [
        # (28/04, 06/05] holds 29/04, 05/05, 06/05: exactly three working days.
        ("2025-04-28 08:00", 3, True, 3),
        # From the swapped Saturday 26/04, 28/04 is a fourth working day.
        ("2025-04-26 08:00", 3, False, 4),
        ("2025-04-26 08:00", 4, True, 4),
        ("2025-04-29 08:00", 0, False, 2),
        ("2025-05-06 08:00", 0, True, 0),
        ("2025-05-02 08:00", 1, False, 2),  # a day off: 05/05 and 06/05 remain
        ("2025-05-02 08:00", 2, True, 2),
    ],
)
def test_due_soon_at_exactly_n_working_days(t: str, n: int, due_soon: bool, left: int) -> None:
    ev = classify_task(DUE, None, vn(t), CAL, StatusPolicy(due_soon_working_days=n))
    assert ev.status is TaskStatus.OPEN_IN_TERM
    assert ev.working_days_left == left
    assert ev.due_soon is due_soon


def test_due_soon_over_tet() -> None:
    # Due on the first working day after Tết: from Friday 24/01 only one working day remains.
    ev = classify_task(D("2025-02-03"), None, vn("2025-01-24 16:00"), CAL)
    assert (ev.working_days_left, ev.due_soon) == (1, True)


def test_deadline_on_a_day_off_is_kept_unless_policy_rolls_it() -> None:
    due, done = D("2025-02-01"), vn("2025-02-03 10:00")  # Saturday in Tết, done Monday after
    assert classify_task(due, done, done, CAL).status is TaskStatus.DONE_LATE
    rolled = classify_task(due, done, done, CAL, StatusPolicy(roll_to_working_day=True))
    assert rolled.status is TaskStatus.DONE_ON_TIME
    assert rolled.deadline_at == vn("2025-02-04 00:00")


@pytest.mark.parametrize(
    ("done_at", "t"),
    [(None, datetime(2025, 5, 1, 8, 0)), (datetime(2025, 5, 1, 8, 0), vn("2025-05-02 08:00"))],
)
def test_classify_rejects_naive_datetimes(done_at: datetime | None, t: datetime) -> None:
    with pytest.raises(RuleError, match="múi giờ"):
        classify_task(DUE, done_at, t, CAL)


def test_status_labels_are_vietnamese() -> None:
    assert TaskStatus.OPEN_OVERDUE.label == "Chưa hoàn thành, quá hạn"
    assert TaskStatus.NO_DEADLINE.label == "Không thời hạn"


# --- extensions ----------------------------------------------------------------------------------

ORIGINAL = D("2025-05-09")  # Friday


def approved(requested: str, new: str, decided: str | None = None) -> ExtensionRequest:
    return ExtensionRequest(
        vn(requested), D(new), ExtensionDecision.APPROVED, vn(decided or requested)
    )


@pytest.mark.parametrize(
    ("requests", "current", "measured", "late"),
    [
        ([], "2025-05-09", "2025-05-09", 0),
        ([approved("2025-05-05 09:00", "2025-05-20")], "2025-05-20", "2025-05-20", 0),
        # Requested at the last second of the deadline day: still timely.
        ([approved("2025-05-09 23:59:59", "2025-05-20")], "2025-05-20", "2025-05-20", 0),
        # Requested at 00:00 the next day: the deadline had passed, lateness stays.
        ([approved("2025-05-10 00:00", "2025-05-20")], "2025-05-20", "2025-05-09", 1),
        # Timely request, slow approver: the approval covers the gap.
        (
            [approved("2025-05-08 09:00", "2025-05-20", "2025-05-15 09:00")],
            "2025-05-20",
            "2025-05-20",
            0,
        ),
        # Two timely extensions chain.
        (
            [
                approved("2025-05-08 09:00", "2025-05-20"),
                approved("2025-05-19 09:00", "2025-05-30"),
            ],
            "2025-05-30",
            "2025-05-30",
            0,
        ),
        # Timely, then late (against 20/05), then timely again: measured stays at 20/05.
        (
            [
                approved("2025-05-08 09:00", "2025-05-20"),
                approved("2025-05-22 09:00", "2025-05-30"),
                approved("2025-05-29 09:00", "2025-06-10"),
            ],
            "2025-06-10",
            "2025-05-20",
            1,
        ),
        # Refused and pending requests change nothing.
        (
            [
                ExtensionRequest(
                    vn("2025-05-05 09:00"),
                    D("2025-05-20"),
                    ExtensionDecision.REFUSED,
                    vn("2025-05-06 09:00"),
                ),
                ExtensionRequest(vn("2025-05-07 09:00"), D("2025-05-21")),
            ],
            "2025-05-09",
            "2025-05-09",
            0,
        ),
    ],
)
def test_resolve_deadline_default_policy(
    requests: list[ExtensionRequest], current: str, measured: str, late: int
) -> None:
    result = resolve_deadline(ORIGINAL, requests)
    assert result.original == ORIGINAL
    assert (result.current, result.measured) == (D(current), D(measured))
    assert len(result.late_requests) == late


@pytest.mark.parametrize(
    ("policy", "measured"),
    [
        (ExtensionPolicy.IN_FORCE_AT_REQUEST, "2025-05-09"),
        (ExtensionPolicy.LATEST_APPROVED, "2025-05-20"),
        (ExtensionPolicy.ORIGINAL, "2025-05-09"),
    ],
)
def test_late_request_under_each_policy(policy: ExtensionPolicy, measured: str) -> None:
    result = resolve_deadline(ORIGINAL, [approved("2025-05-12 09:00", "2025-05-20")], policy)
    assert result == DeadlineResolution(
        ORIGINAL, D("2025-05-20"), D(measured), result.late_requests
    )
    done = vn("2025-05-15 10:00")
    status = classify_task(result.measured, done, done, CAL).status
    assert status is (TaskStatus.DONE_ON_TIME if measured == "2025-05-20" else TaskStatus.DONE_LATE)


def test_stored_string_values_are_accepted() -> None:
    request = ExtensionRequest(
        vn("2025-05-12 09:00"),
        D("2025-05-20"),
        "approved",  # type: ignore[arg-type]
        vn("2025-05-12 10:00"),
    )
    assert request.decision is ExtensionDecision.APPROVED
    lenient = resolve_deadline(ORIGINAL, [request], "latest_approved")  # type: ignore[arg-type]
    assert lenient.measured == D("2025-05-20")
    with pytest.raises(InvalidExtensionError):
        ExtensionRequest(vn("2025-05-12 09:00"), D("2025-05-20"), "ok")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="lenient"):
        resolve_deadline(ORIGINAL, [], "lenient")  # type: ignore[arg-type]


def test_original_policy_ignores_timely_extensions_too() -> None:
    result = resolve_deadline(
        ORIGINAL, [approved("2025-05-05 09:00", "2025-05-20")], ExtensionPolicy.ORIGINAL
    )
    assert (result.current, result.measured) == (D("2025-05-20"), ORIGINAL)


def test_resolve_deadline_as_of_ignores_later_decisions() -> None:
    request = approved("2025-05-05 09:00", "2025-05-20", "2025-05-07 09:00")
    before = resolve_deadline(ORIGINAL, [request], as_of=vn("2025-05-06 09:00"))
    after = resolve_deadline(ORIGINAL, [request], as_of=vn("2025-05-07 09:00"))
    assert before.current == ORIGINAL
    assert after.current == D("2025-05-20")


@pytest.mark.parametrize(
    "request_",
    [
        ExtensionRequest(vn("2025-05-05 09:00"), D("2025-05-20"), ExtensionDecision.APPROVED),
        ExtensionRequest(
            vn("2025-05-05 09:00"), D("2025-05-20"), decided_at=vn("2025-05-06 09:00")
        ),
        ExtensionRequest(
            vn("2025-05-05 09:00"),
            D("2025-05-20"),
            ExtensionDecision.REFUSED,
            vn("2025-05-04 09:00"),
        ),
    ],
)
def test_inconsistent_extension_requests_raise(request_: ExtensionRequest) -> None:
    with pytest.raises(InvalidExtensionError):
        resolve_deadline(ORIGINAL, [request_])


def test_naive_extension_times_raise() -> None:
    naive = ExtensionRequest(datetime(2025, 5, 5, 9, 0), D("2025-05-20"))
    with pytest.raises(RuleError):
        resolve_deadline(ORIGINAL, [naive])
    with pytest.raises(RuleError):
        resolve_deadline(ORIGINAL, [], as_of=datetime(2025, 5, 5, 9, 0))


# --- rates ---------------------------------------------------------------------------------------

# Báo cáo 1270/BC-TCTTTg, year 2017 (domain-rules §3.2).
REPORT_1270 = StatusCounts(done_on_time=14068, done_late=1983, open_in_term=5640, open_overdue=223)


def test_report_1270_figures() -> None:
    assert REPORT_1270.done == 16051
    assert REPORT_1270.assigned == 21914
    assert compute_rate(REPORT_1270, RateFormula.COMPLETION_RATE) == Fraction(16051, 16274)
    assert format_percent(compute_rate(REPORT_1270, RateFormula.COMPLETION_RATE)) == "98,63%"
    assert format_percent(compute_rate(REPORT_1270, RateFormula.OVERDUE_OPEN_RATE)) == "1,37%"
    assert rate_terms(REPORT_1270, RateFormula.LATE_RATE_DUE_BASE) == (2206, 16274)
    assert format_percent(compute_rate(REPORT_1270)) == "13,56%"
    assert DEFAULT_RATE_FORMULA is RateFormula.LATE_RATE_DUE_BASE


def test_other_report_bases() -> None:
    # 2016: 2,501 done of 2,723 fallen due = 91.8%.
    year_2016 = StatusCounts(done_on_time=2501, open_overdue=222)
    assert format_percent(compute_rate(year_2016, RateFormula.COMPLETION_RATE), 1) == "91,8%"
    # Sep 2016: 148 overdue of 3,514 unfinished = 4.2%.
    sep_2016 = StatusCounts(open_in_term=3366, open_overdue=148)
    assert format_percent(compute_rate(sep_2016, RateFormula.OVERDUE_OF_OPEN_RATE), 1) == "4,2%"


def test_report_2025_all_assigned_base() -> None:
    # 20/10/2025: 9,831 assigned, 7,892 done, 1,602 in term, 319 overdue. Those groups sum to
    # 9,813; the 18 others are counted here as open tasks without a deadline.
    counts = StatusCounts(
        done_on_time=7892, open_in_term=1602, open_overdue=319, no_deadline_open=18
    )
    assert counts.assigned == 9831
    rate = compute_rate(counts, RateFormula.COMPLETION_RATE_ALL_ASSIGNED)
    assert format_percent(rate, 1) == "80,3%"
    # The report printed 3.23%; 319 / 9,831 is 3.245…%, so 3,24% here (a figure to query).
    overdue = compute_rate(counts, RateFormula.OVERDUE_OPEN_RATE_ALL_ASSIGNED)
    assert overdue == Fraction(319, 9831)
    assert format_percent(overdue) == "3,24%"


def test_all_assigned_completion_counts_done_tasks_without_deadline() -> None:
    counts = StatusCounts(done_on_time=1, open_overdue=1, no_deadline_done=2)
    assert rate_terms(counts, RateFormula.COMPLETION_RATE_ALL_ASSIGNED) == (3, 4)
    assert rate_terms(counts, RateFormula.COMPLETION_RATE) == (1, 2)


@pytest.mark.parametrize("formula", list(RateFormula))
def test_empty_base_gives_none(formula: RateFormula) -> None:
    assert compute_rate(StatusCounts(), formula) is None
    only_in_term = StatusCounts(open_in_term=5, no_deadline_open=1)
    if formula in {
        RateFormula.LATE_RATE_DUE_BASE,
        RateFormula.OVERDUE_OPEN_RATE,
        RateFormula.COMPLETION_RATE,
    }:
        assert compute_rate(only_in_term, formula) is None
    else:
        assert compute_rate(only_in_term, formula) == 0


def test_formula_texts_are_distinct_vietnamese() -> None:
    texts = [f.formula_text for f in RateFormula]
    assert len(set(texts)) == len(texts)
    assert "Chưa hoàn thành quá hạn" in RateFormula.OVERDUE_OPEN_RATE.formula_text
    assert RateFormula("completion_rate").label == "Tỷ lệ hoàn thành"


@pytest.mark.parametrize(
    ("value", "digits", "text"),
    [
        (Fraction(1, 8), 0, "13%"),  # half up, not to even
        (Fraction(1, 800), 2, "0,13%"),
        (Fraction(1), 2, "100,00%"),
        (Fraction(0), 1, "0,0%"),
        (None, 2, "—"),
    ],
)
def test_format_percent(value: Fraction | None, digits: int, text: str) -> None:
    assert format_percent(value, digits) == text


def test_counts_from_evaluations() -> None:
    t = vn("2025-05-20 09:00")
    evaluations = [
        classify_task(DUE, vn("2025-05-06 10:00"), t, CAL),
        classify_task(DUE, vn("2025-05-07 10:00"), t, CAL),
        classify_task(DUE, None, t, CAL),
        classify_task(D("2025-06-30"), None, t, CAL),
        classify_task(None, None, t, CAL),
        classify_task(None, vn("2025-05-01 10:00"), t, CAL),
    ]
    assert StatusCounts.from_evaluations(evaluations) == StatusCounts(1, 1, 1, 1, 1, 1)


# --- reminder plan -------------------------------------------------------------------------------


def summary(plan: tuple) -> list[tuple[str, str, str]]:
    return [(r.kind.value, r.recipient.value, r.due_at.strftime("%Y-%m-%d %H:%M")) for r in plan]


def test_default_plan_before_the_deadline() -> None:
    plan = plan_reminders(DUE, vn("2025-04-20 08:00"), CAL, lead=7, assigner=3)
    assert summary(plan) == [
        ("before_due", "lead", "2025-04-28 07:30"),  # three working days before, over 30/4–2/5
        ("before_due", "lead", "2025-05-05 07:30"),
        ("due_today", "lead", "2025-05-06 07:30"),
        ("escalation", "assigner", "2025-05-07 07:30"),
        ("overdue", "lead", "2025-05-07 07:30"),
    ]
    assert {r.recipient_id for r in plan if r.recipient is RecipientRole.LEAD} == {7}
    assert {r.recipient_id for r in plan if r.recipient is RecipientRole.ASSIGNER} == {3}
    assert all(r.due_at.tzinfo is VN_TZ and r.deadline == DUE for r in plan)
    assert len({r.dedup_key for r in plan}) == len(plan)


def test_before_reminders_cross_the_swapped_saturday() -> None:
    plan = plan_reminders(D("2025-05-05"), vn("2025-04-20 08:00"), CAL, lead=1, assigner=None)
    before = [r.due_at.date() for r in plan if r.kind is ReminderKind.BEFORE_DUE]
    assert before == [D("2025-04-26"), D("2025-04-29")]


def test_deadline_on_a_day_off_reminds_on_the_last_working_day_once() -> None:
    # Sunday 02/02/2025 in Tết: "on the day" moves to Friday 24/01, where "1 day before" also
    # fell; only the more urgent reminder is kept.
    plan = plan_reminders(D("2025-02-02"), vn("2025-01-01 08:00"), CAL, lead=1, assigner=2)
    assert summary(plan) == [
        ("before_due", "lead", "2025-01-22 07:30"),
        ("due_today", "lead", "2025-01-24 07:30"),
        ("escalation", "assigner", "2025-02-03 07:30"),
        ("overdue", "lead", "2025-02-03 07:30"),
    ]


@pytest.mark.parametrize("assigner", [None, 7])
def test_no_escalation_without_a_distinct_assigner(assigner: int | None) -> None:
    plan = plan_reminders(DUE, vn("2025-04-20 08:00"), CAL, lead=7, assigner=assigner)
    assert all(r.recipient is RecipientRole.LEAD for r in plan)
    assert ReminderKind.ESCALATION not in {r.kind for r in plan}


@pytest.mark.parametrize(
    ("t", "overdue_day", "escalation_day"),
    [
        ("2025-05-07 07:29", "2025-05-07", "2025-05-07"),
        ("2025-05-07 07:30", "2025-05-08", "2025-05-14"),  # strictly after t
        ("2025-05-09 12:00", "2025-05-12", "2025-05-14"),  # over the weekend
        ("2025-05-14 07:30", "2025-05-15", "2025-05-21"),
        ("2025-08-29 08:00", "2025-09-03", "2025-09-05"),  # over Quốc khánh 30/08–02/09
        ("2026-02-13 08:00", "2026-02-23", "2026-02-23"),  # across a year and Tết Bính Ngọ
    ],
)
def test_recurring_reminders_give_the_next_one_after_t(
    t: str, overdue_day: str, escalation_day: str
) -> None:
    plan = plan_reminders(DUE, vn(t), CAL, lead=1, assigner=2)
    by_kind = {r.kind: r.due_at for r in plan}
    assert by_kind[ReminderKind.OVERDUE] == vn(f"{overdue_day} 07:30")
    assert by_kind[ReminderKind.ESCALATION] == vn(f"{escalation_day} 07:30")


@given(
    offset=st.integers(min_value=1, max_value=4),
    every=st.integers(min_value=1, max_value=7),
    minutes=st.integers(min_value=-3 * 1440, max_value=400 * 1440),
)
def test_next_recurring_matches_brute_force(offset: int, every: int, minutes: int) -> None:
    t = vn("2025-05-06 12:00") + timedelta(minutes=minutes)
    step = ReminderStep(ReminderKind.OVERDUE, RecipientRole.LEAD, offset, every)
    schedule = ReminderSchedule(steps=(step,))
    (planned,) = plan_reminders(DUE, t, CAL, lead=1, assigner=None, schedule=schedule)
    occurrence = CAL.add_working_days(DUE, offset)
    while datetime.combine(occurrence, time(7, 30), tzinfo=VN_TZ) <= t:
        occurrence = CAL.add_working_days(occurrence, every)
    assert planned.due_at == datetime.combine(occurrence, time(7, 30), tzinfo=VN_TZ)
    assert CAL.is_working_day(planned.due_at.date())


def test_moving_the_deadline_gives_new_keys() -> None:
    t = vn("2025-04-20 08:00")
    old = plan_reminders(DUE, t, CAL, lead=1, assigner=2)
    new = plan_reminders(D("2025-05-20"), t, CAL, lead=1, assigner=2)
    assert not {r.dedup_key for r in old} & {r.dedup_key for r in new}
    assert all("2025-05-20" in r.dedup_key for r in new)
    assert old[0].dedup_key == "before_due|lead|2025-05-06|2025-04-28"
    assert plan_reminders(DUE, t, CAL, lead=1, assigner=2) == old


def test_custom_schedule_and_send_time() -> None:
    schedule = ReminderSchedule(
        steps=(
            ReminderStep(ReminderKind.BEFORE_DUE, RecipientRole.ASSIGNER, -2),
            ReminderStep(ReminderKind.DUE_TODAY, RecipientRole.LEAD, 0),
        ),
        send_at=time(8, 15),
    )
    plan = plan_reminders(DUE, vn("2025-04-20 08:00"), CAL, lead=1, assigner=2, schedule=schedule)
    assert summary(plan) == [
        ("before_due", "assigner", "2025-04-29 08:15"),
        ("due_today", "lead", "2025-05-06 08:15"),
    ]


@pytest.mark.parametrize(
    "schedule_kwargs",
    [
        {"steps": (ReminderStep(ReminderKind.OVERDUE, RecipientRole.LEAD, 1, every=0),)},
        {"steps": (ReminderStep(ReminderKind.OVERDUE, RecipientRole.LEAD, 0, every=1),)},
        {"send_at": time(7, 30, tzinfo=UTC)},
    ],
)
def test_invalid_schedules_raise(schedule_kwargs: dict) -> None:
    with pytest.raises(InvalidScheduleError):
        ReminderSchedule(**schedule_kwargs)


def test_plan_rejects_naive_t() -> None:
    with pytest.raises(RuleError):
        plan_reminders(DUE, datetime(2025, 5, 1, 8, 0), CAL, lead=1, assigner=2)


def test_plan_with_builtin_calendar_only() -> None:
    plan = plan_reminders(DUE, vn("2025-04-20 08:00"), WorkingCalendar(), lead=1, assigner=None)
    assert summary(plan)[0] == ("before_due", "lead", "2025-04-28 07:30")
