"""The reminder jobs as the worker schedules them: fixed ids, coalesced, one instance at a time."""

from __future__ import annotations

from datetime import time

from eoffice.worker import build_scheduler, default_jobs
from reminders.jobs import SweepConfig
from reminders.rules import ReminderSchedule


def test_the_worker_schedules_the_reminder_mail_and_snapshot_jobs(settings):
    ids = [job.id for job in default_jobs(settings)]
    assert ids == [
        "heartbeat",
        "reminders.sweep",
        "mail.send",
        "reports.snapshots",
        "signing.recheck",
    ]
    scheduler = build_scheduler(settings, background=True, factory=lambda: None)  # type: ignore[arg-type]
    jobs = {job.id: job for job in scheduler.get_jobs()}
    for job_id in ids[1:]:
        assert jobs[job_id].coalesce is True and jobs[job_id].max_instances == 1


def test_sweep_settings_follow_the_deployment(settings):
    assert SweepConfig.from_settings(settings).email is False  # no SMTP host configured
    with_mail = settings.model_copy(update={"smtp_host": "127.0.0.1"})
    config = SweepConfig.from_settings(with_mail)
    assert config.email is True and config.digest is False
    assert config.schedule == ReminderSchedule()  # the default schedule, 07:30
    assert config.schedule.send_at == time(7, 30)
