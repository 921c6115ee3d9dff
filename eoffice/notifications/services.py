"""Write in-app notifications and outbox e-mails; list and mark them read.

Writers only add rows (in the caller's transaction); a worker sends the e-mails after commit.
Every row carries a dedup key, so a retried request or job never shows or mails anything twice.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import JSON, func, select, text, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from eoffice.clock import now
from eoffice.db import Base, is_postgres
from eoffice.errors import NotFound
from eoffice.notifications.models import Notification, OutgoingMail
from eoffice.org.actor import Actor
from eoffice.org.models import User

MAX_TITLE = 300


@dataclass(frozen=True)
class MailItem:
    """One line of an e-mail, with an optional link (a path inside the application)."""

    text: str
    link: str = ""


@dataclass(frozen=True)
class Message:
    """What to tell a user: in the application and, if they have an address, by e-mail."""

    kind: str
    """Machine kind, e.g. ``task.assigned`` or ``reminder.overdue``."""
    title: str
    """The in-app title and the e-mail subject."""
    body: str = ""
    link: str = ""
    """A path inside the application (``/tasks/12``)."""
    items: tuple[MailItem, ...] = field(default=())
    """The e-mail's lines; empty means one line made of ``body`` and ``link``."""
    note: str = ""
    """A closing line of the e-mail."""


class Recipient(Protocol):
    """Who a message goes to: a ``User``, or a lighter row with the same attributes."""

    id: int
    email: str
    full_name: str
    is_active: bool


def insert_ignore_many(
    session: Session, model: type[Base], rows: Sequence[Mapping[str, Any]]
) -> None:
    """INSERT many rows, skipping those whose unique key exists (both engines).

    PostgreSQL: COPY into a temporary table, then one ``INSERT … SELECT … ON CONFLICT DO
    NOTHING`` (row-by-row executemany, long multi-row VALUES and big array parameters all cost
    seconds per 10,000 rows). SQLite: executemany, which is cheap in process. Every row has
    the same keys.
    """
    if not rows:
        return
    if is_postgres(session):
        _insert_by_copy(session, model.__table__, rows)
    else:
        session.execute(sqlite_insert(model).on_conflict_do_nothing(), [dict(r) for r in rows])


def _insert_by_copy(session: Session, table: Any, rows: Sequence[Mapping[str, Any]]) -> None:
    keys = list(rows[0])
    jsons = {k for k in keys if isinstance(table.c[k].type, JSON)}
    names = ", ".join(f'"{k}"' for k in keys)
    scratch = f"copy_{table.name}_{uuid.uuid4().hex[:12]}"
    # Names come from our metadata and a random suffix; values travel through COPY.
    session.execute(
        text(
            f'CREATE TEMPORARY TABLE "{scratch}" ON COMMIT DROP AS '  # noqa: S608
            f'SELECT {names} FROM "{table.name}" WITH NO DATA'
        )
    )
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f'COPY "{scratch}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(
                [json.dumps(row[k], ensure_ascii=False) if k in jsons else row[k] for k in keys]
            )
    session.execute(
        text(
            f'INSERT INTO "{table.name}" ({names}) SELECT {names} FROM "{scratch}" '  # noqa: S608
            "ON CONFLICT DO NOTHING"
        )
    )
    session.execute(text(f'DROP TABLE "{scratch}"'))


def notification_row(
    user_id: int, message: Message, dedup_key: str, at: datetime | None = None
) -> dict[str, Any]:
    """Return the values of one in-app notification."""
    return {
        "user_id": user_id,
        "kind": message.kind,
        "title": message.title[:MAX_TITLE],
        "body": message.body,
        "link": message.link,
        "dedup_key": f"{dedup_key}:u{user_id}"[:200],
        "created_at": at or now(),
    }


def mail_row(
    user: Recipient, message: Message, dedup_key: str, at: datetime | None = None
) -> dict[str, Any] | None:
    """Return the values of one outbox e-mail, or None when the user has no address."""
    if not user.email:
        return None
    items = message.items or (MailItem(message.body, message.link),)
    moment = at or now()
    return {
        "dedup_key": f"{dedup_key}.u{user.id}"[:200],
        "user_id": user.id,
        "to_address": user.email,
        "to_name": user.full_name,
        "subject": message.title[:MAX_TITLE],
        "content": {
            "heading": message.title,
            "items": [{"text": i.text, "link": i.link} for i in items],
            "note": message.note,
        },
        "state": "pending",
        "attempts": 0,
        "next_attempt_at": moment,
        "last_error": "",
        "created_at": moment,
    }


def notify_users(
    session: Session,
    users: Iterable[User],
    message: Message,
    dedup_key: str,
    *,
    email: bool = True,
) -> int:
    """Tell each active user ``message`` in the application and by e-mail; return how many.

    ``dedup_key`` names the cause (e.g. ``task:12:created``); each user gets it at most once.
    """
    recipients = {u.id: u for u in users if u.is_active}
    notifications = [notification_row(uid, message, dedup_key) for uid in recipients]
    insert_ignore_many(session, Notification, notifications)
    if email:
        mails = [mail_row(user, message, dedup_key) for user in recipients.values()]
        insert_ignore_many(session, OutgoingMail, [m for m in mails if m is not None])
    return len(recipients)


def list_notifications(session: Session, user: User, limit: int = 50) -> list[Notification]:
    """Return the user's newest notifications."""
    stmt = (
        select(Notification)
        .where(Notification.user_id == user.id)
        .order_by(Notification.id.desc())
        .limit(limit)
    )
    return list(session.execute(stmt).scalars())


def unread_count(session: Session, user: User) -> int:
    """Return how many of the user's notifications are unread."""
    stmt = select(func.count()).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)
    )
    return int(session.execute(stmt).scalar_one())


def mark_read(session: Session, actor: Actor, notification_id: int) -> Notification:
    """Mark one of the actor's notifications read.

    :raises NotFound: when it is not the actor's.
    """
    row = session.get(Notification, notification_id)
    if row is None or actor.user is None or row.user_id != actor.user.id:
        raise NotFound("Không tìm thấy thông báo")
    if row.read_at is None:
        row.read_at = now()
        session.flush()
    return row


def mark_all_read(session: Session, actor: Actor) -> None:
    """Mark every notification of the actor read."""
    if actor.user is None:
        return
    session.execute(
        update(Notification)
        .where(Notification.user_id == actor.user.id, Notification.read_at.is_(None))
        .values(read_at=now())
    )
