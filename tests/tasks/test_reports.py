"""Lateness reports: counts, rates, groupings, as_of, drill-down, snapshots (both engines)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fractions import Fraction

import pytest
from sqlalchemy import event

from eoffice import clock
from eoffice.errors import InvalidInput, PermissionDenied
from eoffice.org.actor import Actor
from eoffice.tasks.access import agency_codes, agency_subtree
from eoffice.tasks.inputs import TargetRef
from eoffice.tasks.models import Task
from eoffice.tasks.reports import drill_down, lateness_report, make_spec
from eoffice.tasks.rules import TaskStatus
from eoffice.tasks.services_extensions import decide_extension, request_extension
from eoffice.tasks.services_work import confirm_completion, submit_completion
from eoffice.tasks.snapshots import freeze_month, load_snapshot, month_trend, report_for
from tests.tasks.conftest import MONDAY, give, vn

D = date.fromisoformat
T = vn("2026-11-10 10:00")


@dataclass
class World:
    leader: Actor
    dept_code: str
    commune_code: str
    tasks: dict[str, Task]


def _done(session, task, lead, assigner, submitted: str, confirmed: str) -> None:
    with clock.frozen(vn(submitted)):
        submit_completion(session, lead, task, "Đã xong")
    with clock.frozen(vn(confirmed)):
        confirm_completion(session, assigner, task)


@pytest.fixture
def world(db_session, province, calendar, factory) -> World:
    org, dept = province.province, province.department
    commune = factory.org(parent=org.agency)
    boss, dept_lead = Actor(user=org.leader), Actor(user=dept.leader)
    tasks: dict[str, Task] = {}
    with clock.frozen(MONDAY):
        for name, due, code in [
            ("A", "2026-11-04", dept.agency.code),
            ("B", "2026-11-04", dept.agency.code),
            ("C", "2026-11-04", dept.agency.code),
            ("E", "2026-11-20", dept.agency.code),
            ("F", None, dept.agency.code),
            ("H", "2026-11-04", dept.agency.code),
            ("G", "2026-11-04", commune.agency.code),
        ]:
            tasks[name] = give(
                db_session,
                org.leader,
                calendar,
                lead=TargetRef(agency_code=code),
                due=D(due) if due else None,
                title=f"Nhiệm vụ {name}",
            )
        tasks["S"] = give(
            db_session,
            org.leader,
            calendar,
            lead=TargetRef(user=org.specialist.id),
            due=D("2026-11-04"),
            title="Nhiệm vụ S",
        )
    _done(db_session, tasks["A"], dept_lead, boss, "2026-11-04 15:00", "2026-11-05 08:00")
    _done(db_session, tasks["B"], dept_lead, boss, "2026-11-06 09:00", "2026-11-06 10:00")
    _done(
        db_session,
        tasks["G"],
        Actor(user=commune.leader),
        boss,
        "2026-11-03 09:00",
        "2026-11-03 10:00",
    )
    with clock.frozen(vn("2026-11-03 09:00")):
        ext = request_extension(db_session, dept_lead, tasks["H"], D("2026-11-12"), "Chờ ý kiến Bộ")
    with clock.frozen(vn("2026-11-06 09:00")):
        decide_extension(db_session, boss, tasks["H"], ext.id, True)
    return World(boss, dept.agency.code, commune.agency.code, tasks)


def _rows(report):
    return {r.key: r for r in report.rows}


def test_lateness_by_agency_counts_each_status(db_session, world):
    with clock.frozen(T):
        report = lateness_report(
            db_session, world.leader, make_spec(D("2026-11-01"), D("2026-11-30"), "agency")
        )
    dept = _rows(report)[world.dept_code]
    c = dept.counts
    assert (c.done_on_time, c.done_late, c.open_in_term, c.open_overdue, c.no_deadline_total) == (
        1,
        1,
        2,
        1,
        1,
    )
    assert dept.total == 6
    assert dept.late_rate == Fraction(2, 3)  # (1 late + 1 overdue) / (2 done + 1 overdue)
    assert dept.completion_rate == Fraction(2, 3)
    assert dept.rag == "red"
    commune = _rows(report)[world.commune_code]
    assert commune.late_rate == 0 and commune.rag == "green"
    # Worst first: the province's own overdue S (100%), the department, the commune.
    assert [r.key for r in report.rows][1:] == [world.dept_code, world.commune_code]
    assert report.rows[0].late_rate == 1
    assert report.formula_text == (
        "Tỷ lệ nhiệm vụ quá hạn = (Hoàn thành quá hạn + Chưa hoàn thành quá hạn) / "
        "(Đã hoàn thành + Chưa hoàn thành quá hạn)"
    )
    assert report.total.total == sum(r.total for r in report.rows)
    row = dept.to_json()
    assert row["late_rate"] == 66.67 and row["open_overdue"] == 1 and row["key"] == world.dept_code


def test_grouping_by_person_and_by_assigner(db_session, world, province):
    spec_user = make_spec(D("2026-11-01"), D("2026-11-30"), "user")
    spec_assigner = make_spec(D("2026-11-01"), D("2026-11-30"), "assigner")
    with clock.frozen(T):
        by_user = lateness_report(db_session, world.leader, spec_user)
        by_assigner = lateness_report(db_session, world.leader, spec_assigner)
    assert [(r.key, r.counts.open_overdue) for r in by_user.rows] == [
        (province.province.specialist.username, 1)
    ]
    [assigner] = by_assigner.rows
    assert assigner.key == province.province.leader.username and assigner.total == 8


def test_as_of_shows_the_report_as_it_stood(db_session, world):
    spec = make_spec(D("2026-11-01"), D("2026-11-30"), "agency", as_of=D("2026-11-05"))
    with clock.frozen(T):
        report = lateness_report(db_session, world.leader, spec)
    c = _rows(report)[world.dept_code].counts
    # B was submitted on 06/11, H's extension was approved on 06/11: neither counted on 05/11.
    assert (c.done_on_time, c.done_late, c.open_overdue, c.open_in_term) == (1, 0, 3, 1)
    assert report.evaluated_at == vn("2026-11-06 00:00")


def test_drill_down_lists_the_tasks_behind_a_number(db_session, world):
    spec = make_spec(D("2026-11-01"), D("2026-11-30"), "agency")
    with clock.frozen(T):
        overdue = drill_down(
            db_session, world.leader, spec, world.dept_code, TaskStatus.OPEN_OVERDUE
        )
        everything = drill_down(db_session, world.leader, spec, None, None)
    assert [t.title for t, _ in overdue] == ["Nhiệm vụ C"]
    assert len(everything) == 8  # S, led by a person, counts for that person's agency
    as_of = make_spec(D("2026-11-01"), D("2026-11-30"), "agency", as_of=D("2026-11-05"))
    with clock.frozen(T):
        then = drill_down(db_session, world.leader, as_of, world.dept_code, TaskStatus.OPEN_OVERDUE)
    assert sorted(t.title for t, _ in then) == ["Nhiệm vụ B", "Nhiệm vụ C", "Nhiệm vụ H"]


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ((D("2026-11-30"), D("2026-11-01"), "agency", None), "date_to"),
        ((D("2026-11-01"), D("2026-11-30"), "planet", None), "group_by"),
        ((D("2026-11-01"), D("2026-11-30"), "agency", D("2026-12-31")), "as_of"),
        ((D("2026-11-01"), D("2026-11-30"), "agency", D("2026-10-31")), "as_of"),
        ((None, D("2026-11-30"), "agency", None), "date_from"),
    ],
)
def test_bad_report_requests(now, args, field):
    with pytest.raises(InvalidInput) as e:
        make_spec(*args)
    assert field in e.value.fields


def test_specialists_do_not_read_reports(db_session, world, province):
    with pytest.raises(PermissionDenied):
        lateness_report(
            db_session,
            Actor(user=province.province.specialist),
            make_spec(D("2026-11-01"), D("2026-11-30")),
        )


def test_a_frozen_month_does_not_change_when_data_is_corrected(db_session, world, province):
    with clock.frozen(vn("2026-12-01 01:00")):
        assert freeze_month(db_session, 2026, 11) == 4
        assert freeze_month(db_session, 2026, 11) == 0  # once
        spec = make_spec(D("2026-01-01"), D("2026-11-30"), "agency", as_of=D("2026-11-30"))
        frozen = load_snapshot(db_session, world.leader, spec)
    assert frozen is not None and frozen.frozen_at is not None
    before = _rows(frozen)[world.dept_code].counts
    # A correction entered in December: C is reported done on 27/11 (late) and confirmed.
    c = world.tasks["C"]
    c.state, c.done_at, c.confirmed_at = "done", vn("2026-11-27 10:00"), vn("2026-11-27 11:00")
    db_session.flush()
    with clock.frozen(vn("2026-12-02 09:00")):
        live = _rows(lateness_report(db_session, world.leader, spec))[world.dept_code].counts
        shown = _rows(report_for(db_session, world.leader, spec))[world.dept_code].counts
    assert live.done_late == before.done_late + 1
    assert shown == before


def test_the_month_trend_uses_snapshots_for_closed_months(db_session, world):
    with clock.frozen(vn("2026-12-01 01:00")):
        freeze_month(db_session, 2026, 11)
    with clock.frozen(vn("2026-12-02 09:00")):
        points = month_trend(db_session, world.leader, 2026)
    assert [p.month for p in points] == list(range(1, 13))
    november, december = points[10], points[11]
    assert november.frozen and not december.frozen
    assert november.counts.assigned == 8 and points[0].rate is None


def test_a_frozen_month_in_the_trend_equals_its_live_report(db_session, world, province):
    """The trend sums a snapshot's visible rows; the result is the live report's total, for a
    reader of the whole province and for one who sees only the department's rows."""
    dept_leader = Actor(user=province.department.leader)
    live_spec = make_spec(D("2026-01-01"), D("2026-11-30"), "agency", as_of=D("2026-11-30"))
    with clock.frozen(vn("2026-12-01 01:00")):
        live = {
            who: lateness_report(db_session, actor, live_spec).total
            for who, actor in (("province", world.leader), ("dept", dept_leader))
        }
        unfrozen = {
            who: month_trend(db_session, actor, 2026)[10]
            for who, actor in (("province", world.leader), ("dept", dept_leader))
        }
        assert freeze_month(db_session, 2026, 11) == 4
    with clock.frozen(vn("2026-12-02 09:00")):
        for who, actor in (("province", world.leader), ("dept", dept_leader)):
            november = month_trend(db_session, actor, 2026)[10]
            assert november.frozen and not unfrozen[who].frozen
            assert november.counts == live[who].counts == unfrozen[who].counts
            assert november.rate == live[who].late_rate == unfrozen[who].rate
    assert live["province"].counts.assigned == 8 and live["dept"].counts.assigned == 6


def test_the_agency_tree_read_once_follows_changes_in_the_transaction(db_session, factory):
    top = factory.org()
    child = factory.org(parent=top.agency)
    reads = []
    engine = db_session.connection().engine

    def count(_conn, _cursor, statement, *_args):
        reads.append(statement) if "FROM agencies" in statement else None

    event.listen(engine, "before_cursor_execute", count)
    try:
        assert sorted(agency_subtree(db_session, top.agency.id)) == sorted(
            [top.agency.id, child.agency.id]
        )
        assert agency_subtree(db_session, child.agency.id) == [child.agency.id]
        assert agency_codes(db_session, agency_subtree(db_session, top.agency.id)) == {
            top.agency.code,
            child.agency.code,
        }
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(reads) == 1  # read once in the transaction
    grandchild = factory.agency(parent=child.agency)  # flushed: the tree is read again
    assert grandchild.id in agency_subtree(db_session, top.agency.id)
    grandchild.parent_id = None  # pending, not flushed yet
    assert grandchild.id not in agency_subtree(db_session, top.agency.id)
    assert agency_subtree(db_session, child.agency.id) == [child.agency.id]
