"""The SQL form of a task's status agrees with the Python rules, boundaries included."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from eoffice.tasks.inputs import TargetRef
from eoffice.tasks.models import Task
from eoffice.tasks.reports import bucket_of, bucket_sql
from eoffice.tasks.rules import StatusPolicy, TaskStatus, classify_task
from eoffice.tasks.services import set_deadlines
from eoffice.tasks.statuses import evaluate_task, status_condition
from tests.tasks.conftest import give, vn

D = date.fromisoformat
CASES = [
    # (measured due, done at, confirmed at)
    (D("2026-11-06"), None, None),
    (D("2026-11-06"), vn("2026-11-06 23:59:59"), vn("2026-11-07 08:00")),
    (D("2026-11-06"), vn("2026-11-07 00:00"), vn("2026-11-07 00:00")),
    (D("2026-11-06"), vn("2026-11-04 10:00"), vn("2026-11-10 10:00")),  # confirmed late
    (None, None, None),
    (None, vn("2026-11-03 10:00"), vn("2026-11-03 11:00")),
]
TIMES = [
    vn("2026-11-05 12:00"),
    vn("2026-11-06 23:59:59"),
    vn("2026-11-07 00:00"),
    vn("2026-11-07 09:00"),
    vn("2026-11-12 09:00"),
]


@pytest.fixture
def tasks(db_session, now, province, calendar):
    org = province.province
    made = []
    for i, (due, done_at, confirmed_at) in enumerate(CASES):
        task = give(
            db_session,
            org.leader,
            calendar,
            lead=TargetRef(user=org.specialist.id),
            due=D("2026-11-30"),
            title=f"T{i}",
        )
        set_deadlines(task, due, due)
        if done_at is not None:
            task.state, task.submitted_at, task.done_at, task.confirmed_at = (
                "done",
                done_at,
                done_at,
                confirmed_at,
            )
        made.append(task)
    db_session.flush()
    return made


@pytest.mark.parametrize("t", TIMES, ids=lambda t: t.strftime("%d-%H%M%S"))
def test_sql_and_python_agree(db_session, tasks, calendar, t):
    ids = [task.id for task in tasks]
    in_sql = dict(db_session.execute(select(Task.id, bucket_sql(t)).where(Task.id.in_(ids))).all())
    for task in tasks:
        assert in_sql[task.id] == bucket_of(task, task.measured_due_date, t), task.title
        done_at = task.done_at if task.confirmed_at and task.confirmed_at <= t else None
        status = classify_task(task.measured_due_date, done_at, t, calendar).status
        assert evaluate_task(task, t, calendar, StatusPolicy()).status is status
        found = db_session.execute(
            select(Task.id).where(Task.id == task.id, status_condition(status, t))
        )
        assert found.scalar_one() == task.id
        others = [s for s in TaskStatus if s is not status]
        for other in others:
            stmt = select(Task.id).where(Task.id == task.id, status_condition(other, t))
            assert db_session.execute(stmt).scalar_one_or_none() is None


def test_the_boundaries_are_the_documented_ones(db_session, tasks, calendar):
    on_time, late = tasks[1], tasks[2]
    assert bucket_of(on_time, on_time.measured_due_date, vn("2026-11-12 09:00")) == "done_on_time"
    assert bucket_of(late, late.measured_due_date, vn("2026-11-12 09:00")) == "done_late"
    confirmed_late = tasks[3]  # done in time, but not yet confirmed on 07/11: open and overdue
    assert (
        bucket_of(confirmed_late, confirmed_late.measured_due_date, vn("2026-11-07 09:00"))
        == "open_overdue"
    )
    assert (
        bucket_of(confirmed_late, confirmed_late.measured_due_date, vn("2026-11-12 09:00"))
        == "done_on_time"
    )
