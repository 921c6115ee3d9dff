"""Background jobs: the wiring of APScheduler to the jobs of each part (a boundary, like the CLI).

Job state lives in our tables (due_at, sent_at); APScheduler only keeps in-memory triggers, with
fixed ids, ``coalesce`` and ``max_instances=1``.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy.orm import Session, sessionmaker

from eoffice import clock
from eoffice.db import make_engine, make_session_factory, transaction
from eoffice.settings import Settings
from eoffice.system.services import record_heartbeat

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """A periodic job: ``run`` opens its own transactions through the session factory."""

    id: str
    seconds: int
    run: Callable[[sessionmaker[Session]], None]


def heartbeat_job(name: str, started_at: datetime) -> Job:
    def run(factory: sessionmaker[Session]) -> None:
        with transaction(factory) as session:
            record_heartbeat(session, name, started_at)

    return Job(id="heartbeat", seconds=30, run=run)


def default_jobs(settings: Settings) -> list[Job]:
    """Every job this deployment runs (the other parts add theirs here as they land)."""
    name = f"{socket.gethostname()}:{os.getpid()}"
    return [heartbeat_job(name, clock.now())]


def build_scheduler(
    settings: Settings, *, background: bool, factory: sessionmaker[Session] | None = None
) -> BaseScheduler:
    """Create a scheduler with every job; the caller starts it."""
    factory = factory or make_session_factory(make_engine(settings.effective_database_url))
    scheduler: BaseScheduler = (
        BackgroundScheduler(timezone=settings.timezone)
        if background
        else BlockingScheduler(timezone=settings.timezone)
    )
    for job in default_jobs(settings):
        scheduler.add_job(
            _guarded(job, factory),
            "interval",
            seconds=job.seconds,
            id=job.id,
            coalesce=True,
            max_instances=1,
            replace_existing=True,
            next_run_time=clock.now(),  # first run at once, then every interval
        )
    return scheduler


def _guarded(job: Job, factory: sessionmaker[Session]) -> Callable[[], None]:
    def run() -> None:
        try:
            job.run(factory)
        except Exception:  # a failing job must not kill the scheduler; it runs again next time
            log.exception("job %s failed", job.id)

    return run
