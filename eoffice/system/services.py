"""Heartbeats and the health report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from eoffice.clock import now
from eoffice.system.models import WorkerHeartbeat


def record_heartbeat(session: Session, name: str, started_at: datetime) -> None:
    """Insert or refresh the heartbeat row of worker ``name``."""
    beat = session.get(WorkerHeartbeat, name)
    if beat is None:
        session.add(WorkerHeartbeat(name=name, beat_at=now(), started_at=started_at))
    else:
        beat.beat_at = now()
    session.flush()


@dataclass(frozen=True)
class Health:
    database_ok: bool
    migrations_at_head: bool
    current_revision: str | None
    head_revision: str
    last_worker_heartbeat: datetime | None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.database_ok and self.migrations_at_head

    def as_dict(self) -> dict[str, object]:
        beat = self.last_worker_heartbeat
        return {
            "status": "ok" if self.ok else "error",
            "database": "ok" if self.database_ok else "unreachable",
            "migrations": {
                "at_head": self.migrations_at_head,
                "current": self.current_revision,
                "head": self.head_revision,
            },
            "last_worker_heartbeat": beat.isoformat() if beat else None,
            **({"error": self.error} if self.error else {}),
        }


def get_health(session: Session, head_revision: str) -> Health:
    """Check the database, the schema revision and the newest worker heartbeat."""
    try:
        session.execute(text("SELECT 1"))
        current = session.execute(text("SELECT version_num FROM alembic_version")).scalar()
        last_beat = session.execute(
            select(WorkerHeartbeat.beat_at).order_by(WorkerHeartbeat.beat_at.desc()).limit(1)
        ).scalar()
    except SQLAlchemyError as e:
        session.rollback()
        reachable = _reachable(session)
        return Health(reachable, False, None, head_revision, None, type(e).__name__)
    return Health(True, current == head_revision, current, head_revision, last_beat)


def _reachable(session: Session) -> bool:
    try:
        session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        session.rollback()
        return False
    return True
