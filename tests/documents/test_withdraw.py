"""Withdrawal (thu hồi), update and replacement of issued documents between agencies here."""

from datetime import date

import pytest

from eoffice.audit.services import list_events_for
from eoffice.documents.amend import MetadataUpdate, replaced_by, update_issued_document
from eoffice.documents.blobs import Upload
from eoffice.documents.incoming import (
    AssignmentPlan,
    Target,
    accept_arrival,
    assign_document,
    reject_arrival,
)
from eoffice.documents.metadata import DocumentMetadata
from eoffice.documents.models import Document
from eoffice.documents.outgoing import (
    DraftInput,
    assign_number,
    create_draft,
    mark_sealed,
)
from eoffice.documents.queries import queue_counts
from eoffice.documents.recall import withdraw_document
from eoffice.documents.recipients import issue_document
from eoffice.documents.registers import build_register, parse_query
from eoffice.errors import InvalidInput, InvalidTransition, PermissionDenied
from eoffice.exchange.models import OutboxMessage
from eoffice.notifications.models import Notification
from eoffice.org.actor import Actor
from tests.documents.conftest import make_pdf
from tests.documents.test_outgoing_exchange import _draft, _through_signature


def _issue(db_session, org, policy, doc):
    _through_signature(db_session, org, policy, doc)
    clerk = Actor(user=org.clerk)
    assign_number(db_session, clerk, doc)
    mark_sealed(db_session, clerk, doc, make_pdf("ban phat hanh"), policy)
    return issue_document(db_session, clerk, doc)


def _issued(db_session, sender, policy, *receivers, **meta):
    doc = _draft(
        db_session, sender, policy, recipients=tuple(r.agency.code for r in receivers), **meta
    )
    return doc, _issue(db_session, sender, policy, doc)


def test_withdrawal_recalls_every_copy_here_and_freezes_the_record(factory, db_session, policy):
    sender, waiting, working, returned = factory.org(), factory.org(), factory.org(), factory.org()
    doc, recipients = _issued(db_session, sender, policy, waiting, working, returned)
    copies = {r.agency_id: db_session.get(Document, r.incoming_document_id) for r in recipients}
    registered = copies[working.agency.id]
    accept_arrival(db_session, Actor(user=working.clerk), registered)
    assign_document(
        db_session,
        Actor(user=working.leader),
        registered,
        AssignmentPlan(lead=Target(user_id=working.specialist.id), deadline=date(2099, 1, 1)),
    )
    reject_arrival(db_session, Actor(user=returned.clerk), copies[returned.agency.id], "Gửi nhầm")

    withdraw_document(db_session, Actor(user=sender.clerk), doc, "  Ban hành nhầm đối tượng  ")

    assert (doc.status, doc.cancel_reason) == ("withdrawn", "Ban hành nhầm đối tượng")
    assert doc.files and doc.subject.startswith("V/v")  # the sender's record is kept, frozen
    states = {r.agency_id: r.status for r in recipients}
    assert states == {
        waiting.agency.id: "recalled",
        working.agency.id: "recalled",
        returned.agency.id: "rejected",  # it returned the document: nothing to recall
    }
    pending = copies[waiting.agency.id]
    assert (pending.status, pending.files, pending.main_file_sha256) == ("recalled", [], None)
    assert queue_counts(db_session, Actor(user=waiting.clerk))["pending_accept"] == 0
    # The registered copy keeps its số đến; content, files and assignments are gone.
    assert (registered.status, registered.number, registered.subject) == (
        "recalled",
        1,
        "(đã thu hồi)",
    )
    assert registered.files == [] and not any(a.is_active for a in registered.assignments)
    assert registered.search_text == "" and registered.cancel_reason == "Ban hành nhầm đối tượng"
    event = list_events_for(db_session, "document", registered.id)[-1]
    assert event.action == "document.recalled" and event.details["subject"] == doc.subject
    told = db_session.query(Notification).filter_by(user_id=working.specialist.id).all()
    assert any("thu hồi" in n.title for n in told)
    today = registered.arrival_date
    query = parse_query("incoming", today.isoformat(), today.isoformat())
    report = build_register(db_session, Actor(user=working.clerk), query)
    (row,) = report.rows
    assert row.number == 1 and row.cancelled and "ĐÃ THU HỒI ngày" in row.values["note"]
    assert db_session.query(OutboxMessage).count() == 0  # nothing leaves for copies here


def test_withdrawal_refuses_drafts_repeats_others_and_no_reason(factory, db_session, policy):
    sender, other, receiver = factory.org(), factory.org(), factory.org()
    draft = _draft(db_session, sender, policy)
    with pytest.raises(InvalidTransition):
        withdraw_document(db_session, Actor(user=sender.clerk), draft, "Nhầm")
    doc, _ = _issued(db_session, sender, policy, receiver)
    with pytest.raises(InvalidInput) as info:
        withdraw_document(db_session, Actor(user=sender.clerk), doc, "   ")
    assert "reason" in info.value.fields
    with pytest.raises(InvalidInput):
        withdraw_document(db_session, Actor(user=sender.clerk), doc, "x" * 501)
    with pytest.raises(PermissionDenied):  # a clerk of another agency
        withdraw_document(db_session, Actor(user=other.clerk), doc, "Nhầm")
    with pytest.raises(PermissionDenied):  # not a clerk
        withdraw_document(db_session, Actor(user=sender.leader), doc, "Nhầm")
    assert doc.status == "issued"
    withdraw_document(db_session, Actor(user=sender.clerk), doc, "Nhầm")
    with pytest.raises(InvalidTransition):
        withdraw_document(db_session, Actor(user=sender.clerk), doc, "Lần nữa")
    with pytest.raises(InvalidTransition):  # frozen: no update after withdrawal
        update_issued_document(
            db_session, Actor(user=sender.clerk), doc, MetadataUpdate(subject="Khác"), "Sửa"
        )


def test_an_update_corrects_each_copy_here_and_is_recorded(factory, db_session, policy):
    sender, receiver, assigned, returned = (
        factory.org(),
        factory.org(),
        factory.org(),
        factory.org(),
    )
    doc, recipients = _issued(
        db_session, sender, policy, receiver, assigned, returned, due_date=date(2099, 1, 31)
    )
    by_agency = {r.agency_id: r for r in recipients}
    copy = db_session.get(Document, by_agency[receiver.agency.id].incoming_document_id)
    handled = db_session.get(Document, by_agency[assigned.agency.id].incoming_document_id)
    accept_arrival(db_session, Actor(user=assigned.clerk), handled)
    assign_document(
        db_session,
        Actor(user=assigned.leader),
        handled,
        AssignmentPlan(lead=Target(user_id=assigned.specialist.id), deadline=date(2099, 1, 15)),
    )
    reject_arrival(
        db_session,
        Actor(user=returned.clerk),
        db_session.get(Document, by_agency[returned.agency.id].incoming_document_id),
        "Không thuộc thẩm quyền",
    )
    clerk = Actor(user=sender.clerk)
    update = MetadataUpdate(
        subject="V/v triển khai chuyển đổi số (sửa)", due_date=date(2099, 2, 28)
    )
    changes = update_issued_document(db_session, clerk, doc, update, "Sai trích yếu")
    assert set(changes) == {"subject", "due_date"} and doc.subject.endswith("(sửa)")
    assert (copy.subject, copy.due_date) == (doc.subject, date(2099, 2, 28))
    assert handled.subject == doc.subject
    assert handled.due_date == date(2099, 1, 15)  # the leader's deadline stands
    assert [by_agency[o.agency.id].change_status for o in (receiver, assigned, returned)] == [
        "update_applied",
        "update_applied",
        "",
    ]
    sent_event = list_events_for(db_session, "document", doc.id)[-1]
    assert (
        sent_event.action == "document.update" and sent_event.details["reason"] == "Sai trích yếu"
    )
    got = list_events_for(db_session, "document", copy.id)[-1]
    assert got.action == "document.updated_by_sender" and "Trích yếu" in got.details["changed"]
    with pytest.raises(InvalidInput):  # nothing changes
        update_issued_document(db_session, clerk, doc, update, "Lại")
    with pytest.raises(InvalidInput) as info:
        update_issued_document(db_session, clerk, doc, MetadataUpdate(subject=" "), "Xóa")
    assert "subject" in info.value.fields
    with pytest.raises(PermissionDenied):
        update_issued_document(
            db_session, Actor(user=receiver.clerk), doc, MetadataUpdate(subject="A"), "B"
        )


def test_a_replacement_links_the_new_document_to_the_old_everywhere(factory, db_session, policy):
    sender, receiver = factory.org(), factory.org()
    old, (old_row,) = _issued(db_session, sender, policy, receiver)
    accept_arrival(
        db_session,
        Actor(user=receiver.clerk),
        db_session.get(Document, old_row.incoming_document_id),
    )
    data = DraftInput(
        meta=DocumentMetadata(type_code="CV", subject="V/v triển khai (thay thế)"),
        signer_id=sender.leader.id,
        recipient_codes=(receiver.agency.code,),
        replaces_id=old.id,
    )
    upload = Upload("thay-the.pdf", "application/pdf", make_pdf("thay the"))
    specialist = Actor(user=sender.specialist)
    new = create_draft(db_session, specialist, data, upload, policy)
    assert new.replaces_id == old.id
    (new_row,) = _issue(db_session, sender, policy, new)
    assert replaced_by(db_session, old) == [new]
    new_copy = db_session.get(Document, new_row.incoming_document_id)
    old_copy = db_session.get(Document, old_row.incoming_document_id)
    assert new_copy.replaces_id == old_copy.id and new_copy.status == "pending_accept"
    assert replaced_by(db_session, old_copy) == [new_copy]
    assert list_events_for(db_session, "document", old_copy.id)[-1].action == "document.replaced"
    wrong_form = DraftInput(
        meta=DocumentMetadata(type_code="QD", subject="Quyết định"),
        signer_id=sender.leader.id,
        replaces_id=old.id,
    )
    with pytest.raises(InvalidInput) as info:
        create_draft(db_session, specialist, wrong_form, upload, policy)
    assert "type_code" in info.value.fields
    draft = _draft(db_session, sender, policy)
    for target in (draft.id, old_copy.id, 10**9):  # not issued, not ours, unknown
        bad = DraftInput(
            meta=DocumentMetadata(type_code="CV", subject="x"),
            signer_id=sender.leader.id,
            replaces_id=target,
        )
        with pytest.raises(InvalidInput) as info:
            create_draft(db_session, specialist, bad, upload, policy)
        assert "replaces_id" in info.value.fields
