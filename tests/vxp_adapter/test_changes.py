"""Withdrawal, update and replacement through a real local axis and a real eoffice database.

Nghệ An is hosted here (client "b" of the axis); VPCP is elsewhere (client "a"), so it plays the
other end: it receives what we send and answers, or it sends and we receive.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from eoffice import clock
from eoffice.audit.services import list_events_for
from eoffice.db import transaction
from eoffice.documents.amend import MetadataUpdate, update_issued_document
from eoffice.documents.blobs import Upload
from eoffice.documents.files import attach_main_pdf
from eoffice.documents.models import Document, Recipient
from eoffice.documents.recall import withdraw_document
from eoffice.documents.recipients import issue_document, set_recipients
from eoffice.exchange.models import InboxMessage, OutboxMessage
from eoffice.org.actor import Actor
from eoffice.org.models import Agency, User
from eoffice.org.services import AgencyInput, create_agency, create_unit, get_agency_by_code
from tests.documents.conftest import make_pdf
from tests.factories import Factory
from tests.vxp_adapter.conftest import NGHE_AN, VPCP, make_edoc
from vxp_adapter import sync
from vxp_adapter.codes import BusinessDocType, MessageType
from vxp_adapter.dates import VN_TZ
from vxp_adapter.edxml_build import build_edoc, build_status
from vxp_adapter.edxml_parse import parse_edoc, parse_status
from vxp_adapter.messages import reference_to, replacement, revocation, status, update
from vxp_adapter.model import Organization, Replacement

AT = datetime(2024, 5, 3, 9, 0, tzinfo=VN_TZ)


def _issue_to_vpcp(factory, policy) -> tuple[int, int]:
    """Issue a document from Nghệ An to VPCP (external): return its id and the clerk's id."""
    with transaction(factory) as session:
        here = get_agency_by_code(session, NGHE_AN)
        create_unit(session, Actor.system(), here, "Văn phòng", "VP")
        clerk = Factory(session).user(here, "clerk")
        vpcp, _ = create_agency(
            session,
            Actor.system(),
            AgencyInput(VPCP, "Văn phòng Chính phủ", "VPCP", "tinh", exchanges_via_vxp=True),
        )
        vpcp.is_local = False
        doc = Document(
            agency_id=here.id,
            direction="outgoing",
            status="sealed",
            type_code="CV",
            type_name="Công văn",
            subject="V/v báo cáo kết nối trục liên thông",
            code_number="05",
            code_notation="UBND-VP",
            issued_date=clock.today(),
        )
        session.add(doc)
        session.flush()
        attach_main_pdf(session, doc, Upload("cv.pdf", "application/pdf", make_pdf()), policy)
        set_recipients(session, doc, [VPCP])
        issue_document(session, Actor(user=clerk), doc)
        return doc.id, clerk.id


def _withdraw(factory, doc_id: int, clerk_id: int, reason: str = "Ban hành nhầm") -> None:
    with transaction(factory) as session:
        doc = session.get(Document, doc_id)
        withdraw_document(session, Actor(user=session.get(User, clerk_id)), doc, reason)


def _recipient(factory, doc_id: int) -> tuple[str, str, str]:
    with transaction(factory) as session:
        row = session.execute(select(Recipient).where(Recipient.document_id == doc_id)).scalar_one()
        return row.status, row.change_status, row.reason


def _outbox(factory) -> list[tuple[str, str]]:
    with transaction(factory) as session:
        rows = session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars()
        return [
            (m.payload.get("status_code") or m.payload.get("business", "edoc"), m.state)
            for m in rows
        ]


def _received_by_vpcp(hub, kind: MessageType) -> list[bytes]:
    client = hub.client("a")
    items = client.get_received_edoc_list(kind)
    data = [client.get_edoc(i.doc_id) for i in items]
    for item in items:
        client.update_status(item.doc_id, "done")
    return data


def test_the_13_waits_while_the_edoc_is_still_due(hub, eoffice_db, policy):
    doc_id, clerk_id = _issue_to_vpcp(eoffice_db, policy)
    with transaction(eoffice_db) as session:  # the edoc is in backoff (an earlier failure)
        edoc_row = session.execute(select(OutboxMessage)).scalar_one()
        edoc_row.next_attempt_at = clock.now() + timedelta(hours=1)
    _withdraw(eoffice_db, doc_id, clerk_id)
    assert sync.send_pending(eoffice_db, hub.client("b"), policy) == 0
    assert _outbox(eoffice_db) == [("edoc", "pending"), ("13", "pending")]
    with transaction(eoffice_db) as session:
        recall_row = (
            session.execute(select(OutboxMessage).order_by(OutboxMessage.id.desc()))
            .scalars()
            .first()
        )
        assert recall_row.next_attempt_at > clock.now()  # looked at again later, not sent
    assert _recipient(eoffice_db, doc_id)[0] == "recall_requested"


def test_a_replacement_goes_out_as_type_3_naming_the_old_document(hub, eoffice_db, policy):
    old_id, clerk_id = _issue_to_vpcp(eoffice_db, policy)
    with transaction(eoffice_db) as session:
        old = session.get(Document, old_id)
        new = Document(
            agency_id=old.agency_id,
            direction="outgoing",
            status="sealed",
            type_code="CV",
            type_name="Công văn",
            subject="V/v báo cáo kết nối (thay thế)",
            code_number="06",
            code_notation="UBND-VP",
            issued_date=clock.today(),
            replaces_id=old.id,
        )
        session.add(new)
        session.flush()
        attach_main_pdf(session, new, Upload("tt.pdf", "application/pdf", make_pdf("tt")), policy)
        set_recipients(session, new, [VPCP])
        issue_document(session, Actor(user=session.get(User, clerk_id)), new)
        old_document_id = old.edxml_document_id
    assert sync.send_pending(eoffice_db, hub.client("b"), policy) == 2
    first, second = (parse_edoc(raw) for raw in _received_by_vpcp(hub, MessageType.EDOC))
    assert first.business.doc_type == BusinessDocType.NEW
    assert second.business.doc_type == BusinessDocType.REPLACE and second.code_number == "06"
    (replaced,) = second.business.replacements
    assert (replaced.document_id, replaced.organ_ids) == (old_document_id, (VPCP,))


def test_withdrawn_before_it_went_out_nothing_is_sent(hub, eoffice_db, policy):
    doc_id, clerk_id = _issue_to_vpcp(eoffice_db, policy)
    _withdraw(eoffice_db, doc_id, clerk_id)
    assert _recipient(eoffice_db, doc_id)[0] == "recall_requested"
    assert sync.send_pending(eoffice_db, hub.client("b"), policy) == 0
    assert _outbox(eoffice_db) == [("edoc", "cancelled"), ("13", "cancelled")]
    assert _recipient(eoffice_db, doc_id)[0] == "recalled"
    assert hub.client("a").get_received_edoc_list(MessageType.EDOC) == []


@pytest.mark.parametrize(("answer", "outcome"), [("15", "recalled"), ("16", "recall_refused")])
def test_withdrawal_sends_13_and_the_answer_updates_the_recipient(
    hub, eoffice_db, policy, answer, outcome
):
    doc_id, clerk_id = _issue_to_vpcp(eoffice_db, policy)
    assert sync.send_pending(eoffice_db, hub.client("b"), policy) == 1
    (sent,) = _received_by_vpcp(hub, MessageType.EDOC)
    original = parse_edoc(sent)
    _withdraw(eoffice_db, doc_id, clerk_id, "Sai nơi nhận")
    assert sync.send_pending(eoffice_db, hub.client("b"), policy) == 1
    (raw,) = _received_by_vpcp(hub, MessageType.STATUS)
    recall = parse_status(raw)
    assert (recall.status_code, recall.description) == ("13", "Sai nơi nhận")
    assert recall.sender.organ_id == NGHE_AN and recall.response_for.organ_id == VPCP
    assert recall.response_for.document_id == original.document_id
    reply = status(
        reference_to(original),
        sender=Organization(VPCP, "Văn phòng Chính phủ"),
        code=answer,
        at=AT,
        description="" if answer == "15" else "Đã xử lý xong",
    )
    hub.client("a").send_edoc(build_status(reply), from_code=VPCP, message_type=MessageType.STATUS)
    assert sync.receive_statuses(eoffice_db, hub.client("b")) == 1
    state, _change, reason = _recipient(eoffice_db, doc_id)
    assert state == outcome and reason == reply.description
    with transaction(eoffice_db) as session:
        doc = session.get(Document, doc_id)
        assert doc.status == "withdrawn" and doc.cancel_reason == "Sai nơi nhận"
        assert doc.code == "05/UBND-VP" and doc.files  # the record stays, frozen


def test_an_update_goes_out_as_type_2_and_a_refusal_is_shown(hub, eoffice_db, policy):
    doc_id, clerk_id = _issue_to_vpcp(eoffice_db, policy)
    sync.send_pending(eoffice_db, hub.client("b"), policy)
    (sent,) = _received_by_vpcp(hub, MessageType.EDOC)
    with transaction(eoffice_db) as session:
        doc = session.get(Document, doc_id)
        clerk = Actor(user=session.get(User, clerk_id))
        update_issued_document(
            session,
            clerk,
            doc,
            MetadataUpdate(
                subject="V/v báo cáo kết nối trục (sửa trích yếu)", due_date=date(2099, 1, 2)
            ),
            "Sửa trích yếu",
        )
    assert _recipient(eoffice_db, doc_id)[1] == "update_pending"
    assert sync.send_pending(eoffice_db, hub.client("b"), policy) == 1
    (raw,) = _received_by_vpcp(hub, MessageType.EDOC)
    updated = parse_edoc(raw)
    assert updated.business.doc_type == BusinessDocType.UPDATE
    assert updated.business.document_id == parse_edoc(sent).document_id
    assert updated.subject == "V/v báo cáo kết nối trục (sửa trích yếu)"
    assert updated.due_date == date(2099, 1, 2) and updated.attachments == ()
    refusal = status(
        reference_to(updated),
        sender=Organization(VPCP, "Văn phòng Chính phủ"),
        code="16",
        at=AT,
        description="Không cập nhật được",
    )
    hub.client("a").send_edoc(
        build_status(refusal), from_code=VPCP, message_type=MessageType.STATUS
    )
    sync.receive_statuses(eoffice_db, hub.client("b"))
    state, change, reason = _recipient(eoffice_db, doc_id)
    assert (state, change, reason) == ("sent", "update_refused", "Không cập nhật được")


# ----- receiving: VPCP sends to Nghệ An, hosted here -----------------------------------------


def _arrive(hub, eoffice_db, policy, edoc=None):
    edoc = edoc or make_edoc()
    hub.client("a").send_edoc(build_edoc(edoc), from_code=VPCP, message_type=MessageType.EDOC)
    sync.receive_edocs(eoffice_db, hub.client("b"), policy)
    return edoc


def _send_from_vpcp(hub, edoc) -> None:
    hub.client("a").send_edoc(build_edoc(edoc), from_code=VPCP, message_type=MessageType.EDOC)


def _answers(factory) -> list[tuple[str, str]]:
    with transaction(factory) as session:
        rows = session.execute(
            select(OutboxMessage).where(OutboxMessage.kind == "status").order_by(OutboxMessage.id)
        ).scalars()
        return [(m.payload["status_code"], m.payload.get("description", "")) for m in rows]


def test_a_revocation_edoc_recalls_the_arrival_and_is_answered_15(hub, eoffice_db, policy):
    edoc = _arrive(hub, eoffice_db, policy)
    _send_from_vpcp(hub, revocation(edoc, at=AT, reason="Thu hồi do sai sót"))
    assert sync.receive_edocs(eoffice_db, hub.client("b"), policy) == 1
    with transaction(eoffice_db) as session:
        (doc,) = session.execute(select(Document)).scalars()
        assert doc.status == "recalled" and doc.files == [] and doc.subject == "(đã thu hồi)"
        recalled = [
            e
            for e in list_events_for(session, "document", doc.id)
            if e.action == "document.recalled"
        ]
        assert recalled[0].details["subject"] == edoc.subject  # the log keeps what was removed
    assert _answers(eoffice_db)[-1] == ("15", "")


def test_an_update_edoc_corrects_the_arrival_then_a_recalled_one_refuses(hub, eoffice_db, policy):
    edoc = _arrive(hub, eoffice_db, policy)
    corrected = dataclasses.replace(
        edoc, subject="V/v kết nối trục (đã sửa)", due_date=date(2099, 3, 1)
    )
    _send_from_vpcp(hub, update(corrected, original_document_id=edoc.document_id or "", at=AT))
    sync.receive_edocs(eoffice_db, hub.client("b"), policy)
    with transaction(eoffice_db) as session:
        (doc,) = session.execute(select(Document)).scalars()
        assert (doc.subject, doc.due_date, doc.status) == (
            "V/v kết nối trục (đã sửa)",
            date(2099, 3, 1),
            "pending_accept",
        )
        events = [e for e in list_events_for(session, "document", doc.id)]
        assert events[-1].action == "document.updated_by_sender"
        assert "Trích yếu" in events[-1].details["changed"]
    assert _answers(eoffice_db)[-1] == ("15", "")
    _send_from_vpcp(hub, revocation(edoc, at=AT))
    sync.receive_edocs(eoffice_db, hub.client("b"), policy)
    later = dataclasses.replace(corrected, subject="Lần sửa thứ hai")
    _send_from_vpcp(hub, update(later, original_document_id=edoc.document_id or "", at=AT))
    sync.receive_edocs(eoffice_db, hub.client("b"), policy)
    assert _answers(eoffice_db)[-1] == ("16", "Văn bản đã bị thu hồi")


def test_a_replacement_arrives_linked_to_the_document_it_replaces(hub, eoffice_db, policy):
    old = _arrive(hub, eoffice_db, policy)
    new = make_edoc(code_number="130", subject="V/v kết nối trục (thay thế)")
    old_id = old.document_id or f"{VPCP},2024/05/02,123/VPCP-TEST"
    _send_from_vpcp(hub, replacement(new, replaced=(Replacement(old_id, (NGHE_AN,)),), at=AT))
    sync.receive_edocs(eoffice_db, hub.client("b"), policy)
    with transaction(eoffice_db) as session:
        first, second = session.execute(select(Document).order_by(Document.id)).scalars()
        assert second.replaces_id == first.id and second.status == "pending_accept"
        assert second.code == "130/VPCP-TEST"
        events = list_events_for(session, "document", first.id)
        assert events[-1].action == "document.replaced"


def test_a_recall_or_update_for_an_unknown_document_is_quarantined(hub, eoffice_db, policy):
    edoc = make_edoc(code_number="999")
    _send_from_vpcp(hub, update(edoc, original_document_id="khong-co", at=AT))
    recall = status(reference_to(edoc, NGHE_AN), sender=Organization(VPCP), code="13", at=AT)
    hub.client("a").send_edoc(build_status(recall), from_code=VPCP, message_type=MessageType.STATUS)
    sync.receive_edocs(eoffice_db, hub.client("b"), policy)
    sync.receive_statuses(eoffice_db, hub.client("b"))
    with transaction(eoffice_db) as session:
        rows = session.execute(select(InboxMessage)).scalars().all()
        assert [r.state for r in rows] == ["quarantined", "quarantined"]
        assert all(r.reason.startswith("unknown_document") for r in rows)
        assert session.execute(select(Document)).first() is None
        assert session.execute(select(Agency).where(Agency.code == NGHE_AN)).scalar_one()
