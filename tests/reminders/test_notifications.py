"""In-app notifications: once per cause and user, read by their owner only (both engines)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from eoffice.errors import NotFound
from eoffice.notifications.models import Notification, OutgoingMail
from eoffice.notifications.services import (
    Message,
    insert_ignore_many,
    list_notifications,
    mark_all_read,
    mark_read,
    notification_row,
    notify_users,
    unread_count,
)
from eoffice.org.actor import Actor


def test_a_cause_notifies_each_user_once(db_session, factory):
    org = factory.org()
    org.leader.email = "lanhdao@example.vn"
    message = Message(kind="task.assigned", title="Nhiệm vụ mới", link="/tasks/1")
    for _ in range(2):  # a retried request
        notify_users(db_session, [org.leader, org.specialist], message, "task:1:created")
    assert (
        unread_count(db_session, org.leader) == 1 and unread_count(db_session, org.specialist) == 1
    )
    mails = db_session.execute(select(func.count()).select_from(OutgoingMail)).scalar_one()
    assert mails == 1  # the specialist has no address


def test_inactive_users_are_not_notified(db_session, factory):
    org = factory.org()
    org.clerk.is_active = False
    assert notify_users(db_session, [org.clerk], Message(kind="k", title="t"), "cause") == 0


def test_only_the_owner_reads_a_notification(db_session, factory):
    org = factory.org()
    notify_users(db_session, [org.leader, org.clerk], Message(kind="k", title="Một"), "c1")
    notify_users(db_session, [org.leader], Message(kind="k", title="Hai"), "c2")
    first = list_notifications(db_session, org.leader)[-1]
    with pytest.raises(NotFound):
        mark_read(db_session, Actor(user=org.clerk), first.id)
    mark_read(db_session, Actor(user=org.leader), first.id)
    assert unread_count(db_session, org.leader) == 1
    mark_all_read(db_session, Actor(user=org.leader))
    assert unread_count(db_session, org.leader) == 0 and unread_count(db_session, org.clerk) == 1


def test_bulk_insert_skips_existing_keys_on_both_engines(db_session, factory):
    org = factory.org()
    rows = [
        notification_row(org.leader.id, Message(kind="k", title=f"T{i}"), f"bulk:{i}")
        for i in range(1200)
    ]
    insert_ignore_many(db_session, Notification, rows[:700])
    insert_ignore_many(db_session, Notification, rows)
    stored = db_session.execute(
        select(func.count()).select_from(Notification).where(Notification.dedup_key.like("bulk:%"))
    ).scalar_one()
    assert stored == 1200
