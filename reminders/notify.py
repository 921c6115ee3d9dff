"""What a reminder says (Vietnamese), and the job that sends the e-mail outbox over SMTP.

Sending is at least once: a row is leased in a short transaction, sent, then marked sent. A
crash between sending and marking resends it after the lease with the same Message-ID, which the
receiving side can recognise. Two workers never lease the same row (SKIP LOCKED on PostgreSQL;
the database lock on SQLite).
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from eoffice import clock
from eoffice.db import transaction
from eoffice.notifications.mail import build_email
from eoffice.notifications.models import MailState, OutgoingMail
from eoffice.notifications.services import MailItem, Message
from eoffice.settings import Settings
from eoffice.tasks.calendar import format_vn_date
from reminders.rules import RecipientRole, ReminderKind

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 8
MAX_AGE = timedelta(days=3)
"""A reminder older than this is stale news: it is given up rather than sent late."""


# --- Reminder texts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReminderFacts:
    """What a reminder message needs to know about its task."""

    task_id: int
    title: str
    deadline: date
    lead_name: str
    working_days: int
    """Working days to the deadline (0 = today); negative when late."""


def reminder_title(kind: ReminderKind, facts: ReminderFacts) -> str:
    """Return the subject line."""
    due = format_vn_date(facts.deadline)
    if kind is ReminderKind.BEFORE_DUE:
        return f"Sắp đến hạn ({due}): {facts.title}"
    if kind is ReminderKind.DUE_TODAY:
        return f"Đến hạn hôm nay ({due}): {facts.title}"
    if kind is ReminderKind.OVERDUE:
        return f"Quá hạn {-facts.working_days} ngày làm việc: {facts.title}"
    return f"Nhiệm vụ đã giao quá hạn: {facts.title}"


def reminder_body(kind: ReminderKind, role: RecipientRole, facts: ReminderFacts) -> str:
    """Return the one-line explanation."""
    due = format_vn_date(facts.deadline)
    if kind is ReminderKind.BEFORE_DUE:
        return f"Còn {facts.working_days} ngày làm việc đến hạn {due}."
    if kind is ReminderKind.DUE_TODAY:
        return f"Hạn xử lý là hôm nay, {due}."
    if role is RecipientRole.ASSIGNER:
        return (
            f"Nhiệm vụ ông/bà giao cho {facts.lead_name} đã quá hạn {due} "
            f"{-facts.working_days} ngày làm việc và chưa hoàn thành."
        )
    return f"Hạn xử lý {due} đã qua {-facts.working_days} ngày làm việc; đề nghị khẩn trương hoàn thành hoặc đề nghị gia hạn."


def reminder_message(kind: ReminderKind, role: RecipientRole, facts: ReminderFacts) -> Message:
    """Return the in-app and e-mail message of one reminder."""
    link = f"/tasks/{facts.task_id}"
    title = reminder_title(kind, facts)
    body = reminder_body(kind, role, facts)
    return Message(
        kind=f"reminder.{kind.value}",
        title=title,
        body=body,
        link=link,
        items=(MailItem(f"{facts.title} — {body}", link),),
        note="Mở nhiệm vụ để báo cáo tiến độ, báo cáo hoàn thành hoặc đề nghị gia hạn.",
    )


def digest_message(messages: list[Message], day: date) -> Message:
    """Return one e-mail gathering a day's reminders for one person."""
    return Message(
        kind="reminder.digest",
        title=f"Tổng hợp nhắc việc ngày {format_vn_date(day)} ({len(messages)} nhiệm vụ)",
        items=tuple(MailItem(f"{m.title} — {m.body}", m.link) for m in messages),
        note="Mở từng nhiệm vụ để báo cáo tiến độ, hoàn thành hoặc đề nghị gia hạn.",
    )


# --- SMTP -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to send (from the settings)."""

    host: str
    port: int = 25
    username: str = ""
    password: str = ""
    starttls: bool = False
    use_ssl: bool = False
    sender: str = "eoffice@localhost"
    base_url: str = "http://127.0.0.1:5000"
    timeout: float = 30.0

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpConfig:
        """Return the SMTP settings of the deployment."""
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value(),
            starttls=settings.smtp_starttls,
            use_ssl=settings.smtp_ssl,
            sender=settings.mail_sender,
            base_url=settings.base_url,
        )


@dataclass(frozen=True)
class MailRun:
    sent: int = 0
    failed: int = 0


@contextmanager
def smtp_connection(config: SmtpConfig) -> Iterator[smtplib.SMTP]:
    """Open an SMTP session (SSL, STARTTLS or plain) and log in when a user name is set."""
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if config.use_ssl:
        smtp = smtplib.SMTP_SSL(config.host, config.port, timeout=config.timeout, context=context)
    else:
        smtp = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
    try:
        if config.starttls:
            smtp.starttls(context=context)
        if config.username:
            smtp.login(config.username, config.password)
        yield smtp
    finally:
        try:
            smtp.quit()
        except smtplib.SMTPException:
            smtp.close()


def give_up_stale(session: Session) -> None:
    """Mark e-mails pending for longer than ``MAX_AGE`` dead (e.g. SMTP was configured late)."""
    session.execute(
        update(OutgoingMail)
        .where(
            OutgoingMail.state == MailState.PENDING.value,
            OutgoingMail.created_at < clock.now() - MAX_AGE,
        )
        .values(state=MailState.DEAD.value, last_error="Quá 3 ngày chưa gửi được, bỏ qua")
    )


def lease_mail(session: Session, limit: int) -> list[OutgoingMail]:
    """Claim up to ``limit`` due rows for this worker (they come back after ``LEASE``)."""
    now = clock.now()
    stmt = (
        select(OutgoingMail)
        .where(OutgoingMail.state == MailState.PENDING.value, OutgoingMail.next_attempt_at <= now)
        .order_by(OutgoingMail.next_attempt_at, OutgoingMail.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = list(session.execute(stmt).scalars())
    for row in rows:
        row.next_attempt_at = now + LEASE
        row.attempts += 1
    session.flush()
    return rows


def send_mail(factory: sessionmaker[Session], config: SmtpConfig, limit: int = 200) -> MailRun:
    """Send due outbox e-mails; a failure is retried later with backoff, then given up (dead)."""
    if not config.host:
        return MailRun()
    with transaction(factory) as session:
        give_up_stale(session)
        leased = lease_mail(session, limit)
    if not leased:
        return MailRun()
    sent = failed = 0
    batch = [(row.id, row.attempts, row) for row in leased]
    try:
        with smtp_connection(config) as smtp:
            for row_id, attempts, row in batch:
                try:
                    message = build_email(row, config.sender, config.base_url)
                except (ValueError, TypeError) as e:  # e.g. a malformed address: never sendable
                    _mark_failed(factory, row_id, MAX_ATTEMPTS, f"Địa chỉ không hợp lệ: {e}")
                    failed += 1
                    continue
                try:
                    smtp.send_message(message)
                except (smtplib.SMTPException, OSError) as e:
                    _mark_failed(factory, row_id, attempts, str(e))
                    failed += 1
                else:
                    _mark_sent(factory, row_id)
                    sent += 1
    except (smtplib.SMTPException, OSError) as e:
        log.warning("SMTP server %s:%s unavailable: %s", config.host, config.port, e)
        for row_id, attempts, _ in batch[sent + failed :]:
            _mark_failed(factory, row_id, attempts, str(e))
            failed += 1
    return MailRun(sent, failed)


def _mark_sent(factory: sessionmaker[Session], row_id: int) -> None:
    with transaction(factory) as session:
        session.execute(
            update(OutgoingMail)
            .where(OutgoingMail.id == row_id)
            .values(state=MailState.SENT.value, sent_at=clock.now(), last_error="")
        )


def _mark_failed(factory: sessionmaker[Session], row_id: int, attempts: int, error: str) -> None:
    state = MailState.DEAD.value if attempts >= MAX_ATTEMPTS else MailState.PENDING.value
    retry_at = clock.now() + timedelta(minutes=2 ** min(attempts, 10))
    with transaction(factory) as session:
        session.execute(
            update(OutgoingMail)
            .where(OutgoingMail.id == row_id)
            .values(state=state, next_attempt_at=retry_at, last_error=error[:2000])
        )
