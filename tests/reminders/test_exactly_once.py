"""Exactly once with real commits: two concurrent sweeps on PostgreSQL, and a crashed sweep."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import func, select

from eoffice import clock
from eoffice.db import make_engine, make_session_factory, transaction
from eoffice.migrate import upgrade_to_head
from eoffice.notifications.models import Notification, OutgoingMail
from eoffice.org.actor import Actor
from eoffice.tasks.calendar import WorkingCalendar
from eoffice.tasks.inputs import TargetRef, TaskInput
from eoffice.tasks.models import TaskReminder
from eoffice.tasks.services import create_task
from reminders import jobs
from reminders.jobs import SweepConfig, sweep
from tests.conftest import ENGINES, drop_postgres_database, fresh_database_url
from tests.factories import Factory
from tests.tasks.conftest import MONDAY, vn

TASKS = 60
# The days each task's five reminders fall due (see test_sweep): -3, -1, due day, then overdue
# and escalation together.
DAYS = ("2026-11-03", "2026-11-05", "2026-11-06", "2026-11-09")
DUE_TIME = vn("2026-11-09 08:00")


def _database(engine_name, tmp_path, worker_name) -> Iterator:
    url = fresh_database_url(engine_name, tmp_path, worker_name, "remind")
    engine = make_engine(url)
    upgrade_to_head(engine)
    factory = make_session_factory(engine)
    with clock.frozen(MONDAY), transaction(factory) as session:
        org = Factory(session).org()
        for user in (org.specialist, org.leader):
            user.email = f"{user.username}@example.vn"
        for i in range(TASKS):
            data = TaskInput(
                title=f"Nhiệm vụ số {i + 1}",
                lead=TargetRef(user=org.specialist.id),
                due_date=date(2026, 11, 6),
            )
            create_task(session, Actor(user=org.leader), data, WorkingCalendar())
    yield factory
    engine.dispose()
    if engine_name == "postgresql":
        drop_postgres_database(url)


@pytest.fixture
def postgres_factory(tmp_path, worker_name):
    yield from _database("postgresql", tmp_path, worker_name)


@pytest.fixture(params=ENGINES)
def any_factory(request, tmp_path, worker_name):
    yield from _database(request.param, tmp_path, worker_name)


def _counts(factory) -> tuple[int, int, int, int]:
    with factory() as session:
        sent = session.execute(
            select(func.count()).select_from(TaskReminder).where(TaskReminder.sent_at.is_not(None))
        ).scalar_one()
        notes = session.execute(
            select(func.count(), func.count(func.distinct(Notification.dedup_key))).where(
                Notification.kind.like("reminder.%")
            )
        ).one()
        mails = session.execute(
            select(func.count())
            .select_from(OutgoingMail)
            .where(OutgoingMail.dedup_key.like("reminder.%"))
        ).scalar_one()
    return sent, notes[0], notes[1], mails


@pytest.mark.postgres_only
@pytest.mark.parametrize("use_lock", [True, False], ids=["with-lock", "skip-locked-only"])
def test_two_concurrent_sweeps_send_each_reminder_once(postgres_factory, use_lock):
    config = SweepConfig(batch_size=7, use_lock=use_lock)
    with clock.frozen(MONDAY):
        sweep(postgres_factory, config)  # plan every task
    results, errors = [], []

    def worker(barrier: threading.Barrier) -> None:
        try:
            barrier.wait()
            # Keep sweeping until nothing is left: a locked-out sweep simply tries again.
            for _ in range(200):
                result = sweep(postgres_factory, config)
                results.append(result)
                if not result.locked_out and result.sent == 0:
                    break
        except Exception as e:  # surfaced below: a thread's exception is otherwise lost
            errors.append(e)

    for day in DAYS:
        barrier = threading.Barrier(2)
        with clock.frozen(vn(f"{day} 07:35")):
            threads = [threading.Thread(target=worker, args=(barrier,)) for _ in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=120)
    assert not errors
    all_sent = [i for r in results for i in r.sent_ids]
    assert len(all_sent) == len(set(all_sent)) == TASKS * 5
    sent, notes, distinct_notes, mails = _counts(postgres_factory)
    assert sent == notes == distinct_notes == mails == TASKS * 5


def test_a_crashed_sweep_sends_nothing_and_the_next_one_sends_once(any_factory, monkeypatch):
    with clock.frozen(MONDAY):
        sweep(any_factory)
    with clock.frozen(DUE_TIME):
        with monkeypatch.context() as patch:

            def crash(*args, **kwargs):
                raise RuntimeError("worker killed")

            patch.setattr(jobs, "record_event", crash)  # fails after the rows were written
            with pytest.raises(RuntimeError):
                sweep(any_factory)
        assert _counts(any_factory) == (0, 0, 0, 0)
        first, second = sweep(any_factory), sweep(any_factory)
    # Due together: "due today", overdue and escalation go; the two "before" ones are overtaken.
    assert (first.sent, first.cancelled, second.sent) == (TASKS * 3, TASKS * 2, 0)
    assert _counts(any_factory) == (TASKS * 3,) * 4
