"""E-mail over SMTP against a real server (aiosmtpd on 127.0.0.1), on both engines."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from eoffice import clock
from eoffice.notifications.mail import message_id
from eoffice.notifications.models import OutgoingMail
from eoffice.notifications.services import Message, notify_users
from reminders.notify import LEASE, SmtpConfig, send_mail
from tests.conftest import bind_session

BASE_URL = "https://eoffice.khanhhoa.example.vn"


class Inbox:
    """An aiosmtpd handler keeping what it receives."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(parsed)  # type: ignore[arg-type]
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
def session_factory(db_connection):
    return lambda: bind_session(db_connection)


def _config(port: int) -> SmtpConfig:
    return SmtpConfig(
        host="127.0.0.1", port=port, sender="eoffice@khanhhoa.example.vn", base_url=BASE_URL
    )


def _queue(db_session, factory_) -> object:
    org = factory_.org()
    org.specialist.email = "le.minh.loan@ubnd.khanhhoa.example.vn"
    org.specialist.full_name = "Lê Minh Loan"
    message = Message(
        kind="reminder.due_today",
        title="Đến hạn hôm nay (06/11/2026): Báo cáo tình hình kinh tế - xã hội",
        body="Hạn xử lý là hôm nay, 06/11/2026.",
        link="/tasks/42",
        note="Mở nhiệm vụ để báo cáo tiến độ.",
    )
    notify_users(db_session, [org.specialist], message, "reminder.7")
    db_session.commit()
    return org


def test_an_outbox_email_arrives_with_vietnamese_text_and_html(
    db_session, session_factory, smtp_server, factory
):
    inbox, port = smtp_server
    _queue(db_session, factory)
    run = send_mail(session_factory, _config(port))
    assert (run.sent, run.failed) == (1, 0)
    [received] = inbox.messages
    assert inbox.envelopes == [
        ("eoffice@khanhhoa.example.vn", ["le.minh.loan@ubnd.khanhhoa.example.vn"])
    ]
    assert received["Subject"] == "Đến hạn hôm nay (06/11/2026): Báo cáo tình hình kinh tế - xã hội"
    assert received["To"].addresses[0].display_name == "Lê Minh Loan"
    assert received["Message-ID"] == message_id(
        "reminder.7.u" + str(_user_id(db_session)), BASE_URL
    )
    assert received.get_content_type() == "multipart/alternative"
    text = received.get_body(preferencelist=("plain",)).get_content()
    html = received.get_body(preferencelist=("html",)).get_content()
    assert "Kính gửi Lê Minh Loan," in text
    assert "Hạn xử lý là hôm nay, 06/11/2026." in text
    assert f"{BASE_URL}/tasks/42" in text
    assert '<html lang="vi">' in html and "Kính gửi Lê Minh Loan," in html
    assert f'<a href="{BASE_URL}/tasks/42">' in html
    row = db_session.execute(select(OutgoingMail)).scalar_one()
    db_session.refresh(row)
    assert row.state == "sent" and row.sent_at is not None and row.attempts == 1
    assert send_mail(session_factory, _config(port)).sent == 0  # nothing twice


def _user_id(db_session) -> int:
    return db_session.execute(select(OutgoingMail.user_id)).scalar_one()


def test_a_retry_after_a_lost_commit_resends_the_same_message_id(
    db_session, session_factory, smtp_server, factory
):
    inbox, port = smtp_server
    _queue(db_session, factory)
    send_mail(session_factory, _config(port))
    row = db_session.execute(select(OutgoingMail)).scalar_one()
    db_session.refresh(row)
    row.state, row.sent_at = "pending", None  # as if the worker died before marking it sent
    db_session.commit()
    with clock.frozen(clock.now() + LEASE + timedelta(seconds=1)):
        send_mail(session_factory, _config(port))
    assert len(inbox.messages) == 2
    assert inbox.messages[0]["Message-ID"] == inbox.messages[1]["Message-ID"]


def test_an_unreachable_server_leaves_the_email_for_later(db_session, session_factory, factory):
    _queue(db_session, factory)
    run = send_mail(session_factory, _config(_free_port()))  # nobody listens there
    assert (run.sent, run.failed) == (0, 1)
    row = db_session.execute(select(OutgoingMail)).scalar_one()
    db_session.refresh(row)
    assert row.state == "pending" and row.attempts == 1 and row.last_error
    assert row.next_attempt_at > clock.now()


def test_html_escapes_what_users_typed(db_session, session_factory, smtp_server, factory):
    inbox, port = smtp_server
    org = factory.org()
    org.specialist.email = "cv@example.vn"
    message = Message(
        kind="task.assigned", title="Nhiệm vụ <b>mới</b>", body="a & b <script>", link="/tasks/1"
    )
    notify_users(db_session, [org.specialist], message, "task:1:created")
    db_session.commit()
    send_mail(session_factory, _config(port))
    html = inbox.messages[0].get_body(preferencelist=("html",)).get_content()
    assert "<script>" not in html and "a &amp; b &lt;script&gt;" in html
