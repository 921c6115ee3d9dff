"""The monthly snapshot job: freeze each finished month's reports once (see eoffice.tasks.snapshots).

The report computation itself lives in ``eoffice.tasks.reports`` because the web reads it, and
``eoffice`` may not import ``reminders``.
"""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from eoffice import clock
from eoffice.audit.services import record_event
from eoffice.db import transaction, try_lock
from eoffice.org.actor import Actor
from eoffice.tasks.policy import DEFAULT_POLICY, TaskPolicy
from eoffice.tasks.snapshots import freeze_due

SNAPSHOT_LOCK_KEY = 0x0E0FF1CE_0005


def freeze_snapshots(factory: sessionmaker[Session], policy: TaskPolicy = DEFAULT_POLICY) -> int:
    """Freeze the finished months that lack a snapshot; return how many reports were frozen."""
    with transaction(factory) as session:
        if not try_lock(session, SNAPSHOT_LOCK_KEY):
            return 0
        made = freeze_due(session, clock.today(), policy)
        if made:
            record_event(
                session,
                Actor.system(),
                "reports.freeze",
                "report_snapshots",
                clock.today(),
                details={"frozen": made},
            )
        return made
