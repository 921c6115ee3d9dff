"""The Nhắc việc menu counts (one query for the four queues) equal the lists they open."""

from __future__ import annotations

from datetime import date

from eoffice import clock
from eoffice.org.actor import Actor
from eoffice.tasks.inputs import TargetRef
from eoffice.tasks.policy import DEFAULT_POLICY
from eoffice.tasks.queries import MENU_QUEUES, Queue, TaskFilter, list_tasks, queue_counts
from eoffice.tasks.services_work import confirm_completion, submit_completion
from tests.tasks.conftest import MONDAY, give

D = date.fromisoformat


def test_menu_counts_equal_the_lists_they_open(db_session, province, calendar):
    org, dept = province.province, province.department
    leader, specialist = org.leader, org.specialist
    with clock.frozen(MONDAY):  # 02/11/2026
        mine = {
            due: give(db_session, leader, calendar, lead=TargetRef(user=specialist.id), due=D(due))
            for due in ("2026-11-03", "2026-11-20", "2026-11-25")
        }
        give(db_session, leader, calendar, lead=TargetRef(user=specialist.id), due=None)
        for due in ("2026-11-04", "2026-11-05"):
            give(
                db_session,
                leader,
                calendar,
                lead=TargetRef(agency_code=dept.agency.code),
                due=D(due),
            )
        done = give(db_session, leader, calendar, lead=TargetRef(user=specialist.id), due=None)
        submit_completion(db_session, Actor(user=specialist), mine["2026-11-25"], "Xong")
        submit_completion(db_session, Actor(user=specialist), done, "Xong")
        confirm_completion(db_session, Actor(user=leader), done)
    expected = {
        # 10/11: 03/11 is overdue; 20/11 is open, due in 8 working days; 25/11 is submitted.
        specialist: {"leading": 3, "due_soon": 0, "overdue": 1, "awaiting": 0},
        # The leader gave them all: overdue 03/11, 04/11, 05/11; awaiting the submitted one.
        leader: {"leading": 0, "due_soon": 0, "overdue": 3, "awaiting": 1},
        dept.leader: {"leading": 2, "due_soon": 0, "overdue": 2, "awaiting": 0},
    }
    with clock.frozen(MONDAY.replace(day=10)):
        for user, numbers in expected.items():
            actor = Actor(user=user)
            counts = queue_counts(db_session, actor, calendar, DEFAULT_POLICY.status)
            listed = {
                q: len(
                    list_tasks(
                        db_session, actor, TaskFilter(queue=q), calendar, DEFAULT_POLICY.status
                    ).items
                )
                for q in MENU_QUEUES
            }
            assert counts == listed
            assert {q.value: n for q, n in counts.items()} == numbers
        # Due soon: within the policy's working days of today.
        with clock.frozen(MONDAY.replace(day=18)):
            counts = queue_counts(
                db_session, Actor(user=specialist), calendar, DEFAULT_POLICY.status
            )
            assert counts[Queue.DUE_SOON] == 1
