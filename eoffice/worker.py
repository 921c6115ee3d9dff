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
from datetime import datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy.orm import Session, sessionmaker

from eoffice import clock
from eoffice.db import make_engine, make_session_factory, transaction
from eoffice.settings import Settings
from eoffice.system.services import record_heartbeat
from eoffice.tasks.policy import TaskPolicy
from reminders.jobs import SweepConfig, sweep
from reminders.notify import SmtpConfig, send_mail
from reminders.reports import freeze_snapshots

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
    smtp = SmtpConfig.from_settings(settings)
    policy = TaskPolicy.from_settings(settings)
    reminders = SweepConfig.from_settings(settings)

    def remind(factory: sessionmaker[Session]) -> None:
        sweep(factory, reminders)

    def mail(factory: sessionmaker[Session]) -> None:
        send_mail(factory, smtp)

    def snapshots(factory: sessionmaker[Session]) -> None:
        freeze_snapshots(factory, policy)

    vxp = vxp_jobs(settings) if settings.vxp_endpoint else []
    archive = [archive_job(settings)] if settings.signing_tsa_url else []
    return [
        *vxp,
        *archive,
        heartbeat_job(name, clock.now()),
        Job(id="reminders.sweep", seconds=60, run=remind),
        Job(id="mail.send", seconds=30, run=mail),
        Job(id="reports.snapshots", seconds=3600, run=snapshots),
        recheck_job(settings),
    ]


def archive_job(settings: Settings) -> Job:
    """Timestamp what signing requests left at B-B, then keep the archive timestamps renewed
    (B-T … B-LTA; needs a TSA). Every minute, so a signature is timestamped soon after."""
    from eoffice.documents.archive import renew_due_archives
    from eoffice.wiring import file_policy, signature_config

    policy, config = file_policy(settings), signature_config(settings, online=True)
    return Job("signing.archive", 60, lambda f: renew_due_archives(f, policy, config))


def recheck_job(settings: Settings) -> Job:
    """Validate again with OCSP/CRL fetched online what web requests validated offline."""
    from eoffice.documents.revalidation import recheck_due_signatures
    from eoffice.wiring import file_policy, signature_config

    policy, config = file_policy(settings), signature_config(settings, online=True)
    return Job("signing.recheck", 60, lambda f: recheck_due_signatures(f, policy, config))


def vxp_jobs(settings: Settings) -> list[Job]:
    """The exchange with the national axis: outbox, received edocs and statuses, directory."""
    from eoffice.documents.signatures import record_validation
    from eoffice.wiring import file_policy, signature_config
    from vxp_adapter import sync
    from vxp_adapter.client import ClientConfig, VxpClient

    client = VxpClient(
        ClientConfig(
            endpoint=settings.vxp_endpoint,
            system_id=settings.vxp_system_id,
            secret=settings.vxp_secret.get_secret_value(),
            timeout=settings.vxp_timeout_seconds,
        )
    )
    policy, signatures = file_policy(settings), signature_config(settings, online=True)

    def validate(document, pdf: bytes) -> None:
        record_validation(document, pdf, signatures)

    retry = sync.RetryPolicy(
        max_attempts=settings.vxp_retry_attempts,
        base_delay=timedelta(seconds=settings.vxp_retry_base_seconds),
        max_delay=timedelta(seconds=settings.vxp_retry_max_seconds),
    )
    every = settings.vxp_poll_seconds
    return [
        Job("vxp.send", every, lambda f: sync.send_pending(f, client, policy, retry)),
        Job("vxp.receive_edocs", every, lambda f: sync.receive_edocs(f, client, policy, validate)),
        Job("vxp.receive_statuses", every, lambda f: sync.receive_statuses(f, client)),
        Job("vxp.directory", 24 * 3600, lambda f: sync.refresh_directory(f, client)),
    ]


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
