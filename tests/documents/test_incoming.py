from datetime import date, timedelta

import pytest

from eoffice import clock
from eoffice.audit.services import list_events_for
from eoffice.documents.access import get_visible_document
from eoffice.documents.blobs import Upload
from eoffice.documents.incoming import (
    AssignmentPlan,
    Target,
    assign_document,
    complete_handling,
    present_to_leader,
    reassign_within_unit,
    register_incoming,
    return_document,
)
from eoffice.documents.queries import DocumentFilter, list_documents, queue_counts
from eoffice.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from eoffice.org.actor import Actor
from tests.documents.conftest import incoming_meta, make_pdf


def test_registration_numbers_start_at_01_and_run_without_gaps(
    factory, db_session, policy, pdf_upload
):
    org = factory.org()
    clerk = Actor(user=org.clerk)
    numbers = [
        register_incoming(
            db_session, clerk, incoming_meta(code_number=str(n)), pdf_upload, policy
        ).document.number
        for n in range(1, 6)
    ]
    assert numbers == [1, 2, 3, 4, 5]
    doc = get_visible_document(db_session, clerk, _last_id(db_session))
    assert doc.arrival_date == clock.today() and doc.type_name == "Công văn"
    assert doc.main_file_sha256 and policy.store.get(doc.main_file_sha256) == pdf_upload.data


def test_secret_documents_have_their_own_series_and_are_hidden(
    factory, db_session, policy, pdf_upload
):
    org = factory.org()
    clerk = Actor(user=org.clerk)
    register_incoming(db_session, clerk, incoming_meta(), pdf_upload, policy)
    secret = register_incoming(
        db_session, clerk, incoming_meta(code_number="9", secrecy="mat"), pdf_upload, policy
    ).document
    assert secret.number == 1 and secret.series.code == "den-mat"
    assert get_visible_document(db_session, clerk, secret.id) is secret  # registered: granted
    with pytest.raises(NotFound):  # another clerk needs a grant
        get_visible_document(db_session, Actor(user=factory.user(org.agency, "clerk")), secret.id)


def test_duplicate_is_refused_unless_confirmed(factory, db_session, policy, pdf_upload):
    org = factory.org()
    clerk = Actor(user=org.clerk)
    first = register_incoming(db_session, clerk, incoming_meta(), pdf_upload, policy).document
    with pytest.raises(Conflict) as info:
        register_incoming(db_session, clerk, incoming_meta(), pdf_upload, policy)
    assert info.value.code == "possible_duplicate" and "01/" in info.value.render()
    again = register_incoming(
        db_session, clerk, incoming_meta(), pdf_upload, policy, allow_duplicate=True
    )
    assert again.document.number == first.number + 1 and again.warnings


@pytest.mark.parametrize(
    ("overrides", "arrival", "field"),
    [
        ({"subject": ""}, None, "subject"),
        ({"type_code": "XYZ"}, None, "type_code"),
        ({"subject": "x" * 501}, None, "subject"),
        ({"code_notation": "x" * 31}, None, "code_notation"),
        ({}, "future", "arrival_date"),
        ({"issued_date": date(2026, 11, 21)}, date(2026, 11, 20), "issued_date"),
        ({"urgency": "rat_khan"}, None, "urgency"),
    ],
)
def test_bad_metadata_is_refused_and_nothing_saved(
    factory, db_session, policy, pdf_upload, overrides, arrival, field
):
    org = factory.org()
    if arrival == "future":
        arrival = clock.today() + timedelta(days=1)
    with pytest.raises(InvalidInput) as info:
        register_incoming(
            db_session,
            Actor(user=org.clerk),
            incoming_meta(**overrides),
            pdf_upload,
            policy,
            arrival_date=arrival,
        )
    assert field in info.value.fields
    page = list_documents(db_session, Actor(user=org.clerk), DocumentFilter())
    assert page.items == []


def test_non_pdf_named_pdf_and_oversized_upload_are_refused(factory, db_session, policy):
    org = factory.org()
    fake = Upload("that-ra-la-anh.pdf", "application/pdf", b"\x89PNG\r\n\x1a\n" + b"0" * 100)
    with pytest.raises(InvalidInput) as info:
        register_incoming(db_session, Actor(user=org.clerk), incoming_meta(), fake, policy)
    assert info.value.code == "not_pdf"
    huge = Upload("lon.pdf", "application/pdf", b"%PDF-1.4\n" + b"0" * (3 * 1024 * 1024))
    with pytest.raises(InvalidInput) as info:
        register_incoming(db_session, Actor(user=org.clerk), incoming_meta(), huge, policy)
    assert info.value.code == "file_too_large"


def test_only_clerks_register(factory, db_session, policy, pdf_upload):
    org = factory.org()
    with pytest.raises(PermissionDenied):
        register_incoming(
            db_session, Actor(user=org.specialist), incoming_meta(), pdf_upload, policy
        )


def test_full_incoming_flow_with_timeline(factory, db_session, policy, pdf_upload):
    org = factory.org()
    clerk, leader = Actor(user=org.clerk), Actor(user=org.leader)
    doc = register_incoming(db_session, clerk, incoming_meta(), pdf_upload, policy).document
    present_to_leader(db_session, clerk, doc, org.leader)
    assert queue_counts(db_session, leader)["to_instruct"] == 1
    deadline = clock.today() + timedelta(days=5)
    plan = AssignmentPlan(
        lead=Target(unit_id=org.unit_head.unit_id),
        cooperate=(Target(user_id=org.clerk.id),),
        deadline=deadline,
        instruction="Giao Văn phòng chủ trì, báo cáo trước hạn.",
    )
    assign_document(db_session, leader, doc, plan)
    unit_head = Actor(user=org.unit_head)
    assert queue_counts(db_session, unit_head)["to_reassign"] == 1
    reassign_within_unit(db_session, unit_head, doc, org.specialist, deadline - timedelta(days=1))
    specialist = Actor(user=org.specialist)
    assert queue_counts(db_session, specialist)["in_progress"] == 1
    assert get_visible_document(db_session, specialist, doc.id).id == doc.id
    complete_handling(db_session, specialist, doc, "Đã báo cáo bằng văn bản số 45/VP")
    assert doc.status == "completed" and doc.completed_at is not None
    actions = [e.action for e in list_events_for(db_session, "document", doc.id)]
    assert actions == [
        "document.register_incoming",
        "document.present",
        "document.assign",
        "document.reassign",
        "document.complete",
    ]


def test_assignment_rules(factory, db_session, policy, pdf_upload):
    org, other = factory.org(), factory.org()
    clerk, leader = Actor(user=org.clerk), Actor(user=org.leader)
    doc = register_incoming(db_session, clerk, incoming_meta(), pdf_upload, policy).document
    with pytest.raises(PermissionDenied):
        assign_document(
            db_session, clerk, doc, AssignmentPlan(lead=Target(user_id=org.specialist.id))
        )
    for plan, field in [
        (AssignmentPlan(lead=Target()), "lead"),
        (AssignmentPlan(lead=Target(unit_id=1, user_id=1)), "lead"),
        (AssignmentPlan(lead=Target(user_id=other.specialist.id)), "lead"),
        (
            AssignmentPlan(lead=Target(user_id=org.specialist.id), deadline=date(2020, 1, 1)),
            "deadline",
        ),
    ]:
        with pytest.raises(InvalidInput) as info:
            assign_document(db_session, leader, doc, plan)
        assert field in info.value.fields
    with pytest.raises(InvalidInput):
        return_document(db_session, leader, doc, "   ")


def test_return_needs_reason_and_goes_back_one_step(factory, db_session, policy, pdf_upload):
    org = factory.org()
    clerk, leader = Actor(user=org.clerk), Actor(user=org.leader)
    doc = register_incoming(db_session, clerk, incoming_meta(), pdf_upload, policy).document
    present_to_leader(db_session, clerk, doc, org.leader)
    return_document(db_session, leader, doc, "Sai đối tượng trình")
    assert doc.status == "registered"
    with pytest.raises(PermissionDenied):  # the leader is not the lead handler
        complete_handling(db_session, leader, doc, "x")


def test_other_agency_cannot_see_documents(factory, db_session, policy, pdf_upload):
    org, other = factory.org(), factory.org()
    doc = register_incoming(
        db_session, Actor(user=org.clerk), incoming_meta(), pdf_upload, policy
    ).document
    with pytest.raises(NotFound):
        get_visible_document(db_session, Actor(user=other.clerk), doc.id)
    with pytest.raises(NotFound):  # a specialist not involved sees nothing either
        get_visible_document(db_session, Actor(user=org.specialist), doc.id)


def test_search_ignores_diacritics_and_finds_pdf_text(factory, db_session, policy):
    org = factory.org()
    clerk = Actor(user=org.clerk)
    upload = Upload(
        "qd.pdf", "application/pdf", make_pdf("Ke hoach phong chong thien tai nam 2027")
    )
    register_incoming(
        db_session,
        clerk,
        incoming_meta(type_code="QD", subject="Quyết định về đê điều"),
        upload,
        policy,
    )
    register_incoming(
        db_session,
        clerk,
        incoming_meta(code_number="7", subject="Báo cáo tài chính"),
        Upload("b.pdf", "application/pdf", make_pdf("bao cao")),
        policy,
    )

    def found(q):
        return [d.subject for d in list_documents(db_session, clerk, DocumentFilter(q=q)).items]

    assert found("quyet dinh") == ["Quyết định về đê điều"]
    assert found("QUYẾT ĐỊNH đê") == ["Quyết định về đê điều"]
    assert found("de dieu") == ["Quyết định về đê điều"]
    assert found("thien tai") == ["Quyết định về đê điều"]  # from the PDF's text
    assert found("bao cao tai chinh") == ["Báo cáo tài chính"]
    assert len(found("so tai chinh")) == 2  # the issuing agency is searched too
    assert found("khong co gi") == []


def test_keyset_pagination_visits_everything_once(factory, db_session, policy, pdf_upload):
    org = factory.org()
    clerk = Actor(user=org.clerk)
    for n in range(7):
        register_incoming(
            db_session, clerk, incoming_meta(code_number=str(n + 1)), pdf_upload, policy
        )
    seen, cursor = [], None
    while True:
        page = list_documents(
            db_session, clerk, DocumentFilter(direction="incoming"), cursor, limit=3
        )
        seen += [d.number for d in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == [7, 6, 5, 4, 3, 2, 1]
    with pytest.raises(InvalidInput):
        list_documents(db_session, clerk, DocumentFilter(), "not-a-cursor")


def _last_id(session):
    from sqlalchemy import func, select

    from eoffice.documents.models import Document

    return session.execute(select(func.max(Document.id))).scalar_one()


def test_short_words_still_narrow_the_search(factory, db_session, policy):
    org = factory.org()
    clerk = Actor(user=org.clerk)
    for n, subject in enumerate(("Đề án 06 về dữ liệu dân cư", "Đề án phát triển du lịch")):
        upload = Upload(f"{n}.pdf", "application/pdf", make_pdf("x"))
        register_incoming(
            db_session,
            clerk,
            incoming_meta(code_number=str(n + 1), subject=subject),
            upload,
            policy,
        )
    found = [
        d.subject for d in list_documents(db_session, clerk, DocumentFilter(q="đề án 06")).items
    ]
    assert found == ["Đề án 06 về dữ liệu dân cư"]
