"""Counters of unwelcome events (failed logins per address, bad API tokens per address) in fixed
windows, kept in the database so that every web process shares them.

A counter is one row per (scope, key). Counting is a single ``INSERT … ON CONFLICT DO UPDATE`` on
both engines, so two processes counting at once never lose a count nor collide on the key; a row
whose window has passed starts again at 1. The caller commits (also after a refusal: the count
must persist).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from eoffice.clock import now
from eoffice.org.models import RateCounter

LOGIN_IP = "login_ip"
API_IP = "api_ip"  # requests with a bad bearer token


@dataclass(frozen=True)
class Limit:
    """At most ``count`` events per ``window``; ``count`` 0 means no limit."""

    count: int
    window: timedelta


def retry_after(session: Session, scope: str, key: str, limit: Limit) -> int | None:
    """Return the seconds until ``key`` may try again, or None while it is under the limit."""
    if not limit.count:
        return None
    # A Core query, not session.get: the row may have changed under the ORM (count_event).
    table = RateCounter.__table__
    stmt = select(table.c.count, table.c.window_start).where(
        table.c.scope == scope, table.c.key == key[:100]
    )
    row = session.execute(stmt).first()
    if row is None or row.count < limit.count:
        return None
    left = (row.window_start + limit.window - now()).total_seconds()
    return math.ceil(left) if left > 0 else None


def count_event(session: Session, scope: str, key: str, limit: Limit) -> None:
    """Count one event for ``key``; a counter whose window has passed starts again."""
    if not limit.count:
        return
    moment = now()
    table = RateCounter.__table__
    expired = table.c.window_start <= moment - limit.window
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = insert(table).values(scope=scope, key=key[:100], window_start=moment, count=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.scope, table.c.key],
        set_={
            "count": case((expired, 1), else_=table.c.count + 1),
            "window_start": case((expired, moment), else_=table.c.window_start),
        },
    )
    session.execute(stmt)


def clear(session: Session, scope: str, key: str) -> None:
    """Forget ``key``'s counter."""
    table = RateCounter.__table__
    session.execute(delete(table).where(table.c.scope == scope, table.c.key == key[:100]))
