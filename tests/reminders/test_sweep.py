"""The reminder sweep on both engines: plan, send once, follow deadline and state changes."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from eoffice import clock
from eoffice.notifications.models import Notification, OutgoingMail
from eoffice.org.actor import Actor
from eoffice.org.services import create_unit
from eoffice.tasks.inputs import TargetRef
from eoffice.tasks.models import TaskReminder
from eoffice.tasks.services_extensions import decide_extension, request_extension
from eoffice.tasks.services_work import reject_completion, submit_completion
from reminders.jobs import SweepConfig, sweep, sweep_batch
from tests.conftest import bind_session
from tests.tasks.conftest import give, vn

D = date.fromisoformat


def run(session, calendar, at: datetime, **config):
    with clock.frozen(at):
        return sweep_batch(session, SweepConfig(**config), calendar)


def plan_of(session, task):
    rows = session.execute(
        select(TaskReminder)
        .where(TaskReminder.task_id == task.id)
        .order_by(TaskReminder.due_at, TaskReminder.kind)
    ).scalars()
    return [
        (
            r.kind,
            r.recipient_role,
            clock.format_datetime(r.due_at),
            r.sent_at is not None,
            r.cancelled_at is not None,
        )
        for r in rows
    ]


def titles(session, user):
    stmt = select(Notification.title).where(
        Notification.user_id == user.id, Notification.kind.like("reminder.%")
    )
    return sorted(session.execute(stmt).scalars())


@pytest.fixture
def task(db_session, now, province, calendar):
    org = province.province
    org.specialist.email = "chuyenvien@ubnd.example.vn"
    return give(
        db_session,
        org.leader,
        calendar,
        lead=TargetRef(user=org.specialist.id),
        due=D("2026-11-06"),
    )


def test_the_default_plan_of_a_task_due_on_friday(db_session, task, calendar, now):
    result = run(db_session, calendar, now)
    assert result.planned_tasks == 1 and result.sent == 0
    assert task.replan_reminders_at is None
    assert plan_of(db_session, task) == [
        ("before_due", "lead", "03/11/2026 07:30", False, False),
        ("before_due", "lead", "05/11/2026 07:30", False, False),
        ("due_today", "lead", "06/11/2026 07:30", False, False),
        ("escalation", "assigner", "09/11/2026 07:30", False, False),
        ("overdue", "lead", "09/11/2026 07:30", False, False),
    ]


def test_each_reminder_is_sent_once_with_its_notification_and_email(
    db_session, task, calendar, now, province
):
    run(db_session, calendar, now)
    tuesday = vn("2026-11-03 07:31")
    first = run(db_session, calendar, tuesday)
    again = run(db_session, calendar, tuesday)
    assert (first.sent, again.sent) == (1, 0)
    assert titles(db_session, province.province.specialist) == [
        f"Sắp đến hạn (06/11/2026): {task.title}"
    ]
    mails = (
        db_session.execute(select(OutgoingMail).where(OutgoingMail.dedup_key.like("reminder.%")))
        .scalars()
        .all()
    )
    assert [m.to_address for m in mails] == ["chuyenvien@ubnd.example.vn"]
    assert "Còn 3 ngày làm việc đến hạn 06/11/2026." in mails[0].content["items"][0]["text"]


def test_overdue_reminders_repeat_daily_and_escalate_weekly(
    db_session, task, calendar, now, province
):
    run(db_session, calendar, now)
    for day in ("2026-11-03", "2026-11-05", "2026-11-06", "2026-11-09", "2026-11-10"):
        run(db_session, calendar, vn(f"{day} 07:45"))
    plan = plan_of(db_session, task)
    assert ("overdue", "lead", "10/11/2026 07:30", True, False) in plan
    assert ("overdue", "lead", "11/11/2026 07:30", False, False) in plan  # the next one waits
    assert ("escalation", "assigner", "16/11/2026 07:30", False, False) in plan
    lead_titles = titles(db_session, province.province.specialist)
    assert lead_titles.count(f"Quá hạn 2 ngày làm việc: {task.title}") == 1
    assert titles(db_session, province.province.leader) == [
        f"Nhiệm vụ đã giao quá hạn: {task.title}"
    ]


def test_a_moved_deadline_replans_and_cancels_the_old_reminders(
    db_session, task, calendar, now, province
):
    org = province.province
    run(db_session, calendar, now)
    run(db_session, calendar, vn("2026-11-03 08:00"))  # the first reminder went out
    ext = request_extension(
        db_session, Actor(user=org.specialist), task, D("2026-11-13"), "Chờ số liệu"
    )
    with clock.frozen(vn("2026-11-03 09:00")):
        decide_extension(db_session, Actor(user=org.leader), task, ext.id, True)
    run(db_session, calendar, vn("2026-11-03 09:05"))
    plan = plan_of(db_session, task)
    assert ("before_due", "lead", "03/11/2026 07:30", True, False) in plan  # stays sent
    assert ("due_today", "lead", "06/11/2026 07:30", False, True) in plan  # cancelled
    assert ("due_today", "lead", "13/11/2026 07:30", False, False) in plan
    assert ("before_due", "lead", "10/11/2026 07:30", False, False) in plan
    run(db_session, calendar, vn("2026-11-06 08:00"))
    assert titles(db_session, org.specialist) == [f"Sắp đến hạn (06/11/2026): {task.title}"]


def test_submission_stops_reminders_and_rework_restores_them(
    db_session, task, calendar, now, province
):
    org = province.province
    run(db_session, calendar, now)
    submit_completion(db_session, Actor(user=org.specialist), task, "Xong")
    run(db_session, calendar, vn("2026-11-03 08:00"))
    assert all(cancelled or sent for *_, sent, cancelled in plan_of(db_session, task))
    assert titles(db_session, org.specialist) == []
    with clock.frozen(vn("2026-11-04 10:00")):
        reject_completion(db_session, Actor(user=org.leader), task, "Thiếu phụ lục")
    run(db_session, calendar, vn("2026-11-05 08:00"))
    assert titles(db_session, org.specialist) == [f"Sắp đến hạn (06/11/2026): {task.title}"]


def test_a_claimed_reminder_of_a_changed_task_is_cancelled_not_sent(
    db_session, task, calendar, now
):
    run(db_session, calendar, now)
    task.state = "submitted"  # changed behind the plan's back: the sweep re-checks the task
    task.submitted_at = now
    db_session.flush()
    result = run(db_session, calendar, vn("2026-11-03 08:00"))
    assert (result.sent, result.cancelled) == (0, 1)


def test_unit_heads_receive_the_reminders_of_their_units_tasks(
    db_session, now, province, calendar, factory
):
    org = province.province
    unit = create_unit(db_session, Actor.system(), org.agency, "Phòng Kinh tế", "KT")
    head = factory.user(org.agency, "unit_head")
    head.unit_id = unit.id
    task = give(db_session, org.leader, calendar, lead=TargetRef(unit=unit.id), due=D("2026-11-06"))
    run(db_session, calendar, now)
    run(db_session, calendar, vn("2026-11-03 08:00"))
    assert titles(db_session, head) == [f"Sắp đến hạn (06/11/2026): {task.title}"]
    assert titles(db_session, org.unit_head) == []  # head of another unit


def test_the_daily_digest_gathers_a_persons_reminders_in_one_email(
    db_session, now, province, calendar
):
    org = province.province
    org.specialist.email = "chuyenvien@ubnd.example.vn"
    for title in ("Nhiệm vụ A", "Nhiệm vụ B"):
        give(
            db_session,
            org.leader,
            calendar,
            lead=TargetRef(user=org.specialist.id),
            due=D("2026-11-06"),
            title=title,
        )
    run(db_session, calendar, now, digest=True)
    result = run(db_session, calendar, vn("2026-11-03 08:00"), digest=True)
    assert result.sent == 2 and result.notifications == 2
    mails = (
        db_session.execute(select(OutgoingMail).where(OutgoingMail.dedup_key.like("digest.%")))
        .scalars()
        .all()
    )
    assert len(mails) == 1
    assert mails[0].subject == "Tổng hợp nhắc việc ngày 03/11/2026 (2 nhiệm vụ)"
    assert len(mails[0].content["items"]) == 2


def test_sweep_commits_batch_by_batch(db_connection, db_session, task, calendar, now):
    factory = lambda: bind_session(db_connection)  # noqa: E731 - a session factory for the job
    db_session.commit()
    with clock.frozen(vn("2026-11-09 08:00")):
        result = sweep(factory, SweepConfig(batch_size=2))
    # Due together after a pause: the two "before" reminders are overtaken by "due today".
    assert (result.planned_tasks, result.sent, result.cancelled) == (1, 3, 2)
    assert not result.locked_out
