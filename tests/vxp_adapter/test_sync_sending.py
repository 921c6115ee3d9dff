"""Sending the outbox: no transaction open while the axis is called, one probe per round when the
axis is unreachable, a send cut short after the axis took it repeated harmlessly, and no message,
sent or received, that blocks the others."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select, text, update

from eoffice.db import is_postgres, transaction
from eoffice.documents.models import Blob, Document, DocumentFile, Recipient
from eoffice.exchange.models import InboxMessage, InboxState, OutboxMessage
from eoffice.org.models import Agency
from tests.vxp_adapter import test_sync
from tests.vxp_adapter.conftest import VPCP, make_edoc
from vxp_adapter import sync
from vxp_adapter.client import ClientConfig, VxpClient
from vxp_adapter.codes import MessageType
from vxp_adapter.edxml_build import build_edoc
from vxp_adapter.hub.models import Message

NOW = sync.RetryPolicy(max_attempts=5, base_delay=timedelta(seconds=0))
"""Retries due at once, so that one test can play several rounds."""


def _queue_statuses(factory, count: int) -> list[int]:
    """``count`` status messages (03) about one arrival from VPCP, waiting in the outbox."""
    with transaction(factory) as session:
        doc = test_sync.arrival(session)
        rows = [
            OutboxMessage(
                kind="status",
                document_id=doc.id,
                payload={"status_code": "03", "description": f"lần {i}"},
                dedup_key=f"status:test:{i}",
            )
            for i in range(count)
        ]
        session.add_all(rows)
        session.flush()
        return [row.id for row in rows]


def _outbox(factory) -> list[tuple[str, int]]:
    with transaction(factory) as session:
        rows = session.execute(
            select(OutboxMessage.state, OutboxMessage.attempts).order_by(OutboxMessage.id)
        )
        return [tuple(row) for row in rows]


class ChecksTheDatabaseIsFree:
    """Delivers through the real axis, but first writes every outbox row from another
    connection: that blocks (SQLite: the whole file; PostgreSQL: the claimed rows) if the
    sender still holds a transaction while it calls the axis."""

    def __init__(self, inner: VxpClient, factory) -> None:
        self.inner, self.factory, self.checked = inner, factory, 0

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def send_edoc(self, data, **kwargs):
        with transaction(self.factory) as session:
            if is_postgres(session):
                session.execute(text("SET LOCAL lock_timeout = '5s'"))
            session.execute(update(OutboxMessage).values(last_error=OutboxMessage.last_error))
        self.checked += 1
        return self.inner.send_edoc(data, **kwargs)


def test_no_transaction_is_open_while_the_axis_is_called(hub, eoffice_db, policy):
    _queue_statuses(eoffice_db, 3)
    transport = ChecksTheDatabaseIsFree(hub.client("b"), eoffice_db)
    assert sync.send_pending(eoffice_db, transport, policy) == 3
    assert transport.checked == 3
    assert _outbox(eoffice_db) == [("sent", 1)] * 3


def test_an_unreachable_axis_is_probed_once_per_round(eoffice_db, policy):
    _queue_statuses(eoffice_db, 3)
    dead_axis = VxpClient(
        ClientConfig(f"http://127.0.0.1:{test_sync._closed_port()}", "sys.b", "x", timeout=2)
    )
    assert sync.send_pending(eoffice_db, dead_axis, policy, NOW) == 0
    assert _outbox(eoffice_db) == [("pending", 1), ("pending", 0), ("pending", 0)]
    assert sync.send_pending(eoffice_db, dead_axis, policy, NOW) == 0
    assert _outbox(eoffice_db) == [("pending", 2), ("pending", 0), ("pending", 0)]


class Killed(BaseException):
    """Stands for the worker dying (SIGKILL) right after the axis took the message."""


class DiesAfterSending:
    def __init__(self, inner: VxpClient) -> None:
        self.inner, self.died = inner, False

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def send_edoc(self, data, **kwargs):
        remote_id = self.inner.send_edoc(data, **kwargs)
        if not self.died:
            self.died = True
            raise Killed
        return remote_id


def test_a_send_cut_short_after_the_axis_took_it_is_repeated_once_harmlessly(
    hub, eoffice_db, policy
):
    (message_id,) = _queue_statuses(eoffice_db, 1)
    transport = DiesAfterSending(hub.client("b"))
    with contextlib.suppress(Killed):
        sync.send_pending(eoffice_db, transport, policy, NOW)
    assert _outbox(eoffice_db) == [("pending", 1)]  # claimed, attempt counted, not marked sent
    assert sync.send_pending(eoffice_db, transport, policy, NOW) == 1
    assert _outbox(eoffice_db) == [("sent", 2)]
    with hub.app.sessions() as session:  # the axis recognised the repeat: one message only
        messages = session.scalars(select(Message)).all()
    assert [m.message_type for m in messages] == [MessageType.STATUS.value]
    with transaction(eoffice_db) as session:
        assert session.get(OutboxMessage, message_id).remote_id == messages[0].id


def _queue_edoc_whose_file_is_lost(factory) -> int:
    """An issued document for VPCP whose main PDF's blob row exists but whose file does not."""
    with transaction(factory) as session:
        agency = session.execute(select(Agency)).scalar_one()
        doc = Document(
            agency_id=agency.id,
            direction="outgoing",
            status="issued",
            type_code="CV",
            type_name="Công văn",
            subject="Tệp đã mất",
            source="draft",
            code_number="07",
            code_notation="UBND-VP",
            issued_date=date(2024, 5, 2),
            issued_at=datetime(2024, 5, 2, 8, 0, tzinfo=UTC),
        )
        session.add(doc)
        session.flush()
        sha = "ab" * 32
        session.add(Blob(sha256=sha, size=10, content_type="application/pdf"))
        session.flush()
        session.add(
            DocumentFile(
                document_id=doc.id,
                sha256=sha,
                filename="mat.pdf",
                content_type="application/pdf",
                size=10,
                is_main=True,
            )
        )
        recipient = Recipient(
            document_id=doc.id, organ_id=VPCP, organ_name="Văn phòng Chính phủ", channel="vxp"
        )
        session.add(recipient)
        session.flush()
        row = OutboxMessage(
            kind="edoc",
            document_id=doc.id,
            recipient_id=recipient.id,
            payload={"to": VPCP},
            dedup_key="edoc:lost",
        )
        session.add(row)
        session.flush()
        return row.id


def test_a_row_that_cannot_be_built_becomes_a_dead_letter_and_blocks_nothing(
    hub, eoffice_db, policy
):
    lost = _queue_edoc_whose_file_is_lost(eoffice_db)
    _queue_statuses(eoffice_db, 2)
    assert sync.send_pending(eoffice_db, hub.client("b"), policy) == 2
    assert _outbox(eoffice_db) == [("dead", 1), ("sent", 1), ("sent", 1)]
    with transaction(eoffice_db) as session:
        assert session.get(OutboxMessage, lost).last_error.startswith("blob_corrupted")


def test_a_message_that_fails_unexpectedly_is_quarantined_and_blocks_nothing(
    hub, eoffice_db, policy
):
    for number, subject in (("1", "hỏng"), ("2", "bình thường")):
        edoc = make_edoc(code_number=number, subject=subject)
        hub.client("a").send_edoc(build_edoc(edoc), from_code=VPCP, message_type=MessageType.EDOC)

    def validate(document, pdf):  # stands for a bug met by one message
        if document.subject == "hỏng":
            raise RuntimeError("lỗi bất ngờ")

    assert sync.receive_edocs(eoffice_db, hub.client("b"), policy, validate) == 2
    assert hub.client("b").get_received_edoc_list(MessageType.EDOC) == []  # both acked
    with transaction(eoffice_db) as session:
        subjects = sorted(session.scalars(select(Document.subject)))
        kept = session.scalars(
            select(InboxMessage).where(InboxMessage.state == InboxState.QUARANTINED.value)
        ).all()
    assert subjects == ["bình thường"]  # nothing of the failed one was half-registered
    assert [m.reason for m in kept] == ["internal_error: RuntimeError: lỗi bất ngờ"]
    assert kept[0].raw  # its bytes are kept for an admin
