from datetime import date

import pytest

from eoffice import clock
from eoffice.audit.services import list_events_for
from eoffice.documents.access import get_visible_document
from eoffice.documents.blobs import Upload
from eoffice.documents.incoming import (
    AssignmentPlan,
    Target,
    accept_arrival,
    assign_document,
    reject_arrival,
)
from eoffice.documents.metadata import DocumentMetadata
from eoffice.documents.outgoing import (
    DraftInput,
    approve_draft,
    assign_number,
    create_draft,
    mark_sealed,
    mark_signed,
    replace_draft_file,
    return_draft,
    review_draft,
    submit_draft,
)
from eoffice.documents.queries import queue_counts
from eoffice.documents.recipients import issue_document
from eoffice.errors import InvalidInput, InvalidTransition, PermissionDenied
from eoffice.exchange.models import OutboxMessage
from eoffice.org.actor import Actor
from tests.documents.conftest import make_pdf


def _draft(db_session, org, policy, recipients=(), **meta):
    values = {"type_code": "CV", "subject": "V/v triển khai chuyển đổi số năm 2027"} | meta
    data = DraftInput(
        meta=DocumentMetadata(**values), signer_id=org.leader.id, recipient_codes=recipients
    )
    return create_draft(
        db_session,
        Actor(user=org.specialist),
        data,
        Upload("du-thao.pdf", "application/pdf", make_pdf("du thao")),
        policy,
    )


def _through_signature(db_session, org, policy, doc):
    submit_draft(db_session, Actor(user=org.specialist), doc)
    review_draft(db_session, Actor(user=org.unit_head), doc)
    approve_draft(db_session, Actor(user=org.leader), doc)
    mark_signed(db_session, Actor(user=org.leader), doc, make_pdf("da ky"), policy)


def test_outgoing_flow_numbers_with_the_drafting_unit(factory, db_session, policy):
    org = factory.org()
    doc = _draft(db_session, org, policy)
    _through_signature(db_session, org, policy, doc)
    clerk = Actor(user=org.clerk)
    assert queue_counts(db_session, clerk)["to_issue"] == 1
    code = assign_number(db_session, clerk, doc)
    assert code == f"01/{org.agency.short_name}-VP"  # công văn: agency-unit, zero-padded
    assert doc.issued_date == clock.today()
    mark_sealed(db_session, clerk, doc, make_pdf("da dong dau"), policy)
    issue_document(db_session, clerk, doc)
    assert doc.status == "issued"
    typed = _draft(
        db_session, org, policy, type_code="QD", subject="Quyết định thành lập tổ công tác"
    )
    _through_signature(db_session, org, policy, typed)
    assert assign_number(db_session, clerk, typed) == f"02/QĐ-{org.agency.short_name}"


def test_steps_cannot_be_skipped_or_done_by_others(factory, db_session, policy):
    org = factory.org()
    doc = _draft(db_session, org, policy)
    with pytest.raises(InvalidTransition):
        assign_number(db_session, Actor(user=org.clerk), doc)
    with pytest.raises(InvalidTransition):
        issue_document(db_session, Actor(user=org.clerk), doc)
    with pytest.raises(PermissionDenied):
        submit_draft(db_session, Actor(user=org.clerk), doc)
    submit_draft(db_session, Actor(user=org.specialist), doc)
    with pytest.raises(PermissionDenied):
        approve_draft(db_session, Actor(user=org.unit_head), doc)
    with pytest.raises(InvalidTransition):  # the signer cannot approve before the unit head checks
        approve_draft(db_session, Actor(user=org.leader), doc)


def test_returned_draft_and_changed_approved_draft_go_back(factory, db_session, policy):
    org = factory.org()
    doc = _draft(db_session, org, policy)
    submit_draft(db_session, Actor(user=org.specialist), doc)
    with pytest.raises(InvalidInput):
        return_draft(db_session, Actor(user=org.unit_head), doc, "")
    return_draft(db_session, Actor(user=org.unit_head), doc, "Sửa căn cứ pháp lý")
    assert doc.status == "draft"
    submit_draft(db_session, Actor(user=org.specialist), doc)
    review_draft(db_session, Actor(user=org.unit_head), doc)
    approve_draft(db_session, Actor(user=org.leader), doc)
    replace_draft_file(
        db_session,
        Actor(user=org.specialist),
        doc,
        Upload("v2.pdf", "application/pdf", make_pdf("ban sua")),
        policy,
    )
    assert doc.status == "awaiting_approval"  # a changed approved draft goes back to the signer
    comments = [e.details.get("comment") for e in list_events_for(db_session, "document", doc.id)]
    assert "Sửa căn cứ pháp lý" in comments


def test_internal_exchange_fills_the_receivers_register(factory, db_session, policy):
    sender, receiver = factory.org(), factory.org()
    doc = _draft(
        db_session,
        sender,
        policy,
        recipients=(receiver.agency.code,),
        due_date=date(2099, 1, 31),
        urgency="khan",
    )
    _through_signature(db_session, sender, policy, doc)
    clerk = Actor(user=sender.clerk)
    assign_number(db_session, clerk, doc)
    mark_sealed(db_session, clerk, doc, make_pdf("ban phat hanh"), policy)
    (recipient,) = issue_document(db_session, clerk, doc)
    assert recipient.status == "arrived"
    their_clerk = Actor(user=receiver.clerk)
    assert queue_counts(db_session, their_clerk)["pending_accept"] == 1
    arrived = get_visible_document(db_session, their_clerk, recipient.incoming_document_id)
    for name in (
        "code_number",
        "code_notation",
        "subject",
        "type_code",
        "issued_date",
        "urgency",
        "due_date",
        "signer_name",
        "main_file_sha256",
    ):
        assert getattr(arrived, name) == getattr(doc, name), name
    assert arrived.organ_name == sender.agency.name and arrived.organ_id == sender.agency.code
    assert arrived.edxml_document_id.startswith(f"{sender.agency.code},")
    accept_arrival(db_session, their_clerk, arrived)
    assert arrived.number == 1 and recipient.status == "accepted"
    assign_document(
        db_session,
        Actor(user=receiver.leader),
        arrived,
        AssignmentPlan(lead=Target(user_id=receiver.specialist.id)),
    )
    assert recipient.status == "assigned"


def test_receiver_returns_with_reason(factory, db_session, policy):
    sender, receiver = factory.org(), factory.org()
    doc = _draft(db_session, sender, policy, recipients=(receiver.agency.code,))
    _through_signature(db_session, sender, policy, doc)
    clerk = Actor(user=sender.clerk)
    assign_number(db_session, clerk, doc)
    mark_sealed(db_session, clerk, doc, make_pdf("x"), policy)
    (recipient,) = issue_document(db_session, clerk, doc)
    arrived = get_visible_document(
        db_session, Actor(user=receiver.clerk), recipient.incoming_document_id
    )
    with pytest.raises(InvalidInput):
        reject_arrival(db_session, Actor(user=receiver.clerk), arrived, " ")
    reject_arrival(db_session, Actor(user=receiver.clerk), arrived, "Gửi nhầm cơ quan")
    assert (recipient.status, recipient.reason) == ("rejected", "Gửi nhầm cơ quan")
    with pytest.raises(PermissionDenied):  # the sender's clerk cannot accept for the receiver
        accept_arrival(db_session, clerk, arrived)


def test_external_recipients_go_to_the_outbox_and_secret_never_leaves(factory, db_session, policy):
    sender = factory.org()
    external = factory.agency()
    external.is_local = False
    doc = _draft(db_session, sender, policy, recipients=(external.code,))
    _through_signature(db_session, sender, policy, doc)
    clerk = Actor(user=sender.clerk)
    assign_number(db_session, clerk, doc)
    mark_sealed(db_session, clerk, doc, make_pdf("x"), policy)
    issue_document(db_session, clerk, doc)
    rows = db_session.query(OutboxMessage).filter_by(document_id=doc.id).all()
    assert [(r.kind, r.payload["to"], r.state) for r in rows] == [
        ("edoc", external.code, "pending")
    ]
    with pytest.raises(InvalidInput) as info:
        _draft(db_session, sender, policy, recipients=(external.code,), secrecy="mat")
    assert "mật" in info.value.fields["recipients"]


def _sealed_to(db_session, sender, policy, codes):
    doc = _draft(db_session, sender, policy, recipients=codes)
    _through_signature(db_session, sender, policy, doc)
    clerk = Actor(user=sender.clerk)
    assign_number(db_session, clerk, doc)
    mark_sealed(db_session, clerk, doc, make_pdf("x"), policy)
    return doc


def test_a_secret_document_never_leaves_the_agency(factory, db_session, policy):
    sender, receiver = factory.org(), factory.org()
    external = factory.agency()
    external.is_local = False
    doc = _sealed_to(db_session, sender, policy, (receiver.agency.code, external.code))
    doc.secrecy = "mat"  # marked secret after its recipients were chosen
    db_session.flush()
    events_before = len(list_events_for(db_session, "document", doc.id))
    with pytest.raises(InvalidInput) as info:
        issue_document(db_session, Actor(user=sender.clerk), doc)
    assert info.value.code == "secret_document"
    assert info.value.render() == "Văn bản mật không được gửi điện tử ra ngoài cơ quan"
    assert doc.status == "sealed" and doc.issued_at is None  # nothing half-done
    assert db_session.query(OutboxMessage).filter_by(document_id=doc.id).count() == 0
    assert queue_counts(db_session, Actor(user=receiver.clerk))["pending_accept"] == 0
    assert len(list_events_for(db_session, "document", doc.id)) == events_before


def test_the_issue_steps_refuse_a_secret_document_before_numbering_it(factory, db_session, policy):
    from eoffice.documents.external import Step, start_external
    from eoffice.documents.signatures import issue_with_seal

    sender, receiver = factory.org(), factory.org()
    doc = _draft(db_session, sender, policy, recipients=(receiver.agency.code,))
    _through_signature(db_session, sender, policy, doc)
    doc.secrecy = "mat"
    clerk = Actor(user=sender.clerk)
    with pytest.raises(InvalidInput, match="mật"):  # key file or token on the server
        issue_with_seal(db_session, clerk, doc, "", policy, None)
    with pytest.raises(InvalidInput, match="mật"):  # USB token: its first request numbers it
        start_external(db_session, clerk, doc, Step.SEAL, policy, None)
    assert doc.status == "signed" and not doc.code_number


def test_internal_delivery_refuses_a_secret_document(factory, db_session, policy):
    from eoffice.documents.recipients import _deliver_internally

    sender, receiver = factory.org(), factory.org()
    doc = _sealed_to(db_session, sender, policy, (receiver.agency.code,))
    doc.secrecy = "toi_mat"
    with pytest.raises(InvalidInput, match="mật"):
        _deliver_internally(db_session, doc, doc.recipients[0])
    assert queue_counts(db_session, Actor(user=receiver.clerk))["pending_accept"] == 0


def test_a_secret_document_without_recipients_is_issued(factory, db_session, policy):
    sender = factory.org()
    doc = _sealed_to(db_session, sender, policy, ())
    doc.secrecy = "tuyet_mat"
    assert issue_document(db_session, Actor(user=sender.clerk), doc) == []
    assert doc.status == "issued"


def test_the_vxp_edoc_of_a_secret_document_is_never_built(factory, db_session, policy):
    """The last line of defence: an outbox row whose document became secret is not built."""
    from vxp_adapter.errors import InvalidMessage, Problem
    from vxp_adapter.outgoing import edoc_for

    sender = factory.org()
    external = factory.agency()
    external.is_local = False
    doc = _sealed_to(db_session, sender, policy, (external.code,))
    issue_document(db_session, Actor(user=sender.clerk), doc)
    (message,) = db_session.query(OutboxMessage).filter_by(document_id=doc.id).all()
    assert edoc_for(db_session, message, doc, policy).subject == doc.subject
    doc.secrecy = "mat"
    with pytest.raises(InvalidMessage) as info:
        edoc_for(db_session, message, doc, policy)
    assert info.value.code is Problem.SECRET_DOCUMENT
