"""The sync jobs against a real local axis and a real eoffice database (commits for real)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from eoffice.db import transaction
from eoffice.documents.models import Document
from eoffice.exchange.models import InboxMessage, OutboxMessage
from eoffice.org.actor import Actor
from eoffice.org.models import Agency
from eoffice.org.services import create_unit
from tests.vxp_adapter.conftest import NGHE_AN, QUANG_NINH, VPCP, make_edoc
from vxp_adapter import sync
from vxp_adapter.client import ClientConfig, VxpClient
from vxp_adapter.codes import MessageType
from vxp_adapter.edxml_build import build_edoc


class LosesFirstAck:
    """A transport whose first transport ack is lost on the way (the axis lists the item again)."""

    def __init__(self, inner: VxpClient) -> None:
        self.inner, self.lost = inner, False

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def update_status(self, doc_id, ack):
        if not self.lost:
            self.lost = True
            return None
        return self.inner.update_status(doc_id, ack)


def _count(factory, model, *where) -> int:
    with transaction(factory) as session:
        return session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def test_arrival_is_registered_once_even_when_the_ack_is_lost(hub, eoffice_db, policy):
    hub.client("a").send_edoc(
        build_edoc(make_edoc()), from_code=VPCP, message_type=MessageType.EDOC
    )
    transport = LosesFirstAck(hub.client("b"))
    assert sync.receive_edocs(eoffice_db, transport, policy) == 1
    assert sync.receive_edocs(eoffice_db, transport, policy) == 0  # listed again: only acked now
    assert hub.client("b").get_received_edoc_list(MessageType.EDOC) == []
    with transaction(eoffice_db) as session:
        (doc,) = session.execute(select(Document)).scalars()
        assert (doc.status, doc.source, doc.organ_id, doc.code) == (
            "pending_accept",
            "vxp",
            VPCP,
            "123/VPCP-TEST",
        )
        assert doc.main_file_sha256 and doc.agency.code == NGHE_AN
    # Status 01 is queued for the sender automatically.
    assert _count(eoffice_db, OutboxMessage, OutboxMessage.kind == "status") == 1


def test_unusable_messages_are_quarantined_with_their_bytes_and_failed(hub, eoffice_db, policy):
    to_elsewhere = make_edoc(
        recipients=(dataclasses.replace(make_edoc().recipients[0], organ_id=QUANG_NINH),)
    )
    raw = build_edoc(to_elsewhere)
    hub.client("a").send_edoc(raw, from_code=VPCP, message_type=MessageType.EDOC)
    sync.receive_edocs(eoffice_db, hub.client("b"), policy)
    with transaction(eoffice_db) as session:
        (row,) = session.execute(select(InboxMessage)).scalars()
        assert row.state == "quarantined" and "bad_value" in row.reason
        assert row.raw is not None and b"VPCP-TEST" in row.raw
    assert _count(eoffice_db, Document) == 0
    assert hub.client("b").get_received_edoc_list(MessageType.EDOC) == []  # acked "fail"


def test_a_quarantined_message_notes_the_local_agency_it_was_addressed_to(hub, eoffice_db, policy):
    no_pdf = make_edoc(attachments=())  # for Nghệ An, hosted here, but unusable: no PDF
    hub.client("a").send_edoc(build_edoc(no_pdf), from_code=VPCP, message_type=MessageType.EDOC)
    elsewhere = make_edoc(
        code_number="124",
        recipients=(dataclasses.replace(make_edoc().recipients[0], organ_id=QUANG_NINH),),
    )
    hub.client("a").send_edoc(build_edoc(elsewhere), from_code=VPCP, message_type=MessageType.EDOC)
    assert sync.receive_edocs(eoffice_db, hub.client("b"), policy) == 2
    with transaction(eoffice_db) as session:
        nghe_an = session.execute(select(Agency.id).where(Agency.code == NGHE_AN)).scalar_one()
        rows = session.execute(select(InboxMessage.reason, InboxMessage.agency_id)).all()
        by_reason = {reason.split(":")[0]: agency_id for reason, agency_id in rows}
        assert by_reason == {"bad_value": None, "missing_field": nghe_an}


def test_directory_refresh_adds_external_agencies_once(hub, eoffice_db):
    changed = sync.refresh_directory(eoffice_db, hub.client("b"))
    assert changed >= 2
    with transaction(eoffice_db) as session:
        agencies = {a.code: a for a in session.execute(select(Agency)).scalars()}
    assert not agencies[VPCP].is_local and agencies[VPCP].exchanges_via_vxp
    assert agencies[NGHE_AN].is_local  # ours stays ours
    assert sync.refresh_directory(eoffice_db, hub.client("b")) == 0


def test_unreachable_axis_retries_with_backoff_then_dead_letter(eoffice_db, policy, tmp_path):
    with transaction(eoffice_db) as session:
        doc = arrival(session)
        session.add(
            OutboxMessage(
                kind="status",
                document_id=doc.id,
                payload={"status_code": "03"},
                dedup_key="status:test",
            )
        )
    dead_axis = VxpClient(
        ClientConfig(f"http://127.0.0.1:{_closed_port()}", "sys.b", "x", timeout=2)
    )
    retry = sync.RetryPolicy(max_attempts=2, base_delay=timedelta(seconds=0))
    assert sync.send_pending(eoffice_db, dead_axis, policy, retry) == 0
    with transaction(eoffice_db) as session:
        message = session.execute(select(OutboxMessage)).scalar_one()
        assert (message.state, message.attempts) == ("pending", 1) and message.last_error
    sync.send_pending(eoffice_db, dead_axis, policy, retry)
    with transaction(eoffice_db) as session:
        assert session.execute(select(OutboxMessage.state)).scalar_one() == "dead"


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the block ends: nothing listens there


@pytest.mark.parametrize("registered_first", [False, True])
def test_a_recall_removes_the_arrival_and_keeps_a_given_number(
    hub, eoffice_db, policy, registered_first
):
    from datetime import datetime

    from eoffice.documents.incoming import accept_arrival
    from tests.factories import Factory
    from vxp_adapter.dates import VN_TZ
    from vxp_adapter.edxml_build import build_status
    from vxp_adapter.messages import reference_to, status
    from vxp_adapter.model import Organization

    edoc = make_edoc()
    hub.client("a").send_edoc(build_edoc(edoc), from_code=VPCP, message_type=MessageType.EDOC)
    sync.receive_edocs(eoffice_db, hub.client("b"), policy)
    if registered_first:
        with transaction(eoffice_db) as session:
            agency = session.execute(select(Agency).where(Agency.code == NGHE_AN)).scalar_one()
            create_unit(session, Actor.system(), agency, "Văn phòng", "VP")
            clerk = Factory(session).user(agency, "clerk")
            accept_arrival(
                session, Actor(user=clerk), session.execute(select(Document)).scalar_one()
            )
    recall = status(
        reference_to(edoc, NGHE_AN),
        sender=Organization(VPCP, "Văn phòng Chính phủ"),
        code="13",
        at=datetime(2024, 5, 3, 9, 0, tzinfo=VN_TZ),
        description="Gửi nhầm",
    )
    hub.client("a").send_edoc(build_status(recall), from_code=VPCP, message_type=MessageType.STATUS)
    assert sync.receive_statuses(eoffice_db, hub.client("b")) == 1
    with transaction(eoffice_db) as session:
        doc = session.execute(select(Document)).scalar_one()
        answers = [
            m.payload["status_code"] for m in session.execute(select(OutboxMessage)).scalars()
        ]
        assert doc.status == "recalled" and doc.main_file_sha256 is None and doc.files == []
        assert doc.subject == "(đã thu hồi)" and doc.cancel_reason == "Gửi nhầm"
        assert answers[-1] == "15"
        # A number once given stays with the document: the register shows the recall.
        assert doc.number == (1 if registered_first else None)


def arrival(session, n: int = 0) -> Document:
    """Arrival number ``n`` from VPCP, registered at Nghệ An (the hosted agency), flushed."""
    agency = session.execute(select(Agency).where(Agency.code == NGHE_AN)).scalar_one()
    doc = Document(
        agency_id=agency.id,
        direction="incoming",
        status="registered",
        type_code="CV",
        type_name="Công văn",
        subject=f"Văn bản {n}",
        source="vxp",
        organ_id=VPCP,
        code_number=str(100 + n),
        code_notation="VPCP-TEST",
        edxml_document_id=f"{VPCP},2024/05/02,{100 + n}/VPCP-TEST",
    )
    session.add(doc)
    session.flush()
    return doc


def _incoming_with_status_rows(factory, count: int) -> None:
    """`count` arrivals from VPCP at Nghệ An, each with a status 03 waiting in the outbox."""
    with transaction(factory) as session:
        for i in range(count):
            doc = arrival(session, i)
            session.add(
                OutboxMessage(
                    kind="status",
                    document_id=doc.id,
                    payload={"status_code": "03"},
                    dedup_key=f"status:{doc.id}:03",
                )
            )


def test_a_backlog_is_sent_batch_after_batch_in_one_run(hub, eoffice_db, policy):
    _incoming_with_status_rows(eoffice_db, 5)
    assert sync.send_pending(eoffice_db, hub.client("b"), policy, batch=2) == 5
    assert _count(eoffice_db, OutboxMessage, OutboxMessage.state == "sent") == 5
    assert len(hub.client("a").get_received_edoc_list(MessageType.STATUS)) == 5


def test_a_run_stops_after_its_time_budget_with_the_rest_still_due(hub, eoffice_db, policy):
    _incoming_with_status_rows(eoffice_db, 5)
    assert sync.send_pending(eoffice_db, hub.client("b"), policy, batch=2, max_seconds=0) == 2
    assert _count(eoffice_db, OutboxMessage, OutboxMessage.state == "pending") == 3


# PostgreSQL only: SQLite runs one writer at a time (BEGIN IMMEDIATE), so two workers never
# handle items concurrently there and the per-item lock is not taken.
@pytest.mark.parametrize("eoffice_db", ["postgresql"], indirect=True)
def test_an_item_another_worker_is_handling_is_left_to_it(hub, eoffice_db, policy):
    hub.client("a").send_edoc(
        build_edoc(make_edoc()), from_code=VPCP, message_type=MessageType.EDOC
    )
    (item,) = hub.client("b").get_received_edoc_list(MessageType.EDOC)
    with transaction(eoffice_db) as other_worker:  # holds the item's lock, as if handling it
        from eoffice.db import try_lock

        assert try_lock(other_worker, sync._item_lock(item.doc_id))
        assert sync.receive_edocs(eoffice_db, hub.client("b"), policy) == 0
        assert _count(eoffice_db, Document) == 0
    # Not acknowledged meanwhile: still listed, and handled once the lock is free.
    assert len(hub.client("b").get_received_edoc_list(MessageType.EDOC)) == 1
    assert sync.receive_edocs(eoffice_db, hub.client("b"), policy) == 1
    assert _count(eoffice_db, Document) == 1
    assert hub.client("b").get_received_edoc_list(MessageType.EDOC) == []


def test_an_item_handled_by_another_worker_since_it_was_listed_is_not_handled_again(
    hub, eoffice_db, policy
):
    hub.client("a").send_edoc(
        build_edoc(make_edoc()), from_code=VPCP, message_type=MessageType.EDOC
    )
    (item,) = hub.client("b").get_received_edoc_list(MessageType.EDOC)
    assert sync.receive_edocs(eoffice_db, hub.client("b"), policy) == 1  # the other worker
    fetched = []

    class CountingAxis:
        def get_edoc(self, doc_id):
            fetched.append(doc_id)
            return b"<edXML/>"

    def handle(session, axis_id, raw):
        raise AssertionError("handled twice")

    got = sync._fetch_and_handle(eoffice_db, CountingAxis(), item, MessageType.EDOC, handle)
    assert got == ("processed", False)
    postgres = eoffice_db.kw["bind"].dialect.name == "postgresql"
    assert len(fetched) == (0 if postgres else 1)  # SQLite fetches before its transaction
