"""Secret documents: the workflow's automatic grants, explicit grant and revocation, and what
lists, queues and search show to users without a grant."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from eoffice.audit.services import list_events_for
from eoffice.documents.access import get_visible_document
from eoffice.documents.grants import (
    grant_access,
    holds_grant,
    list_grants,
    revoke_access,
)
from eoffice.documents.incoming import (
    AssignmentPlan,
    Target,
    assign_document,
    complete_handling,
    present_to_leader,
    reassign_within_unit,
    register_incoming,
)
from eoffice.documents.models import SecretGrant
from eoffice.documents.outgoing import assign_number, mark_sealed
from eoffice.documents.queries import DocumentFilter, list_documents, queue_counts
from eoffice.documents.recipients import issue_document
from eoffice.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from eoffice.org.actor import Actor
from tests.documents.conftest import incoming_meta, make_pdf
from tests.documents.test_outgoing_exchange import _draft, _through_signature

SUBJECT = "Kế hoạch bảo vệ mục tiêu quan trọng"


def _holders(db_session, document) -> set[int]:
    return set(
        db_session.execute(
            select(SecretGrant.user_id).where(SecretGrant.document_id == document.id)
        ).scalars()
    )


def _secret_incoming(db_session, org, policy, pdf_upload, **meta):
    values = {"code_number": "7", "secrecy": "mat", "subject": SUBJECT} | meta
    return register_incoming(
        db_session, Actor(user=org.clerk), incoming_meta(**values), pdf_upload, policy
    ).document


def _grant_events(db_session, document) -> list[tuple[str, str]]:
    return [
        (e.action, e.details["user"])
        for e in list_events_for(db_session, "document", document.id)
        if e.action.startswith("document.secret_")
    ]


def test_incoming_workflow_grants_everyone_it_reaches(factory, db_session, policy, pdf_upload):
    org = factory.org()
    doc = _secret_incoming(db_session, org, policy, pdf_upload)
    assert _holders(db_session, doc) == {org.clerk.id}
    assert get_visible_document(db_session, Actor(user=org.clerk), doc.id) is doc
    with pytest.raises(NotFound):  # not presented yet
        get_visible_document(db_session, Actor(user=org.leader), doc.id)
    present_to_leader(db_session, Actor(user=org.clerk), doc, org.leader)
    assert get_visible_document(db_session, Actor(user=org.leader), doc.id) is doc
    plan = AssignmentPlan(lead=Target(unit_id=org.unit_head.unit_id))
    assign_document(db_session, Actor(user=org.leader), doc, plan)
    assert _holders(db_session, doc) == {org.clerk.id, org.leader.id, org.unit_head.id}
    with pytest.raises(NotFound):  # the unit's specialist: not yet
        get_visible_document(db_session, Actor(user=org.specialist), doc.id)
    reassign_within_unit(db_session, Actor(user=org.unit_head), doc, org.specialist)
    specialist = Actor(user=org.specialist)
    assert get_visible_document(db_session, specialist, doc.id) is doc
    complete_handling(db_session, specialist, doc, "Đã triển khai")
    names = [org.clerk, org.leader, org.unit_head, org.specialist]
    assert _grant_events(db_session, doc) == [("document.secret_grant", u.full_name) for u in names]


def test_assigning_a_person_grants_them_and_inform_targets_too(
    factory, db_session, policy, pdf_upload
):
    org = factory.org()
    other_leader = factory.user(org.agency, "leader")
    doc = _secret_incoming(db_session, org, policy, pdf_upload)
    present_to_leader(db_session, Actor(user=org.clerk), doc, org.leader)
    plan = AssignmentPlan(
        lead=Target(user_id=org.specialist.id), inform=(Target(user_id=other_leader.id),)
    )
    assign_document(db_session, Actor(user=org.leader), doc, plan)
    assert {org.specialist.id, other_leader.id} <= _holders(db_session, doc)
    assert org.unit_head.id not in _holders(db_session, doc)


def test_a_non_secret_document_gets_no_grants(factory, db_session, policy, pdf_upload):
    org = factory.org()
    doc = register_incoming(
        db_session, Actor(user=org.clerk), incoming_meta(), pdf_upload, policy
    ).document
    present_to_leader(db_session, Actor(user=org.clerk), doc, org.leader)
    assert _holders(db_session, doc) == set()


def test_outgoing_workflow_grants_drafter_signer_unit_head_and_clerks(factory, db_session, policy):
    org = factory.org()
    second_clerk = factory.user(org.agency, "clerk")
    doc = _draft(db_session, org, policy, secrecy="mat", subject=SUBJECT)
    assert _holders(db_session, doc) == {org.specialist.id, org.leader.id}
    _through_signature(db_session, org, policy, doc)
    assert _holders(db_session, doc) == {
        org.specialist.id,
        org.leader.id,
        org.unit_head.id,
        org.clerk.id,
        second_clerk.id,
    }
    clerk = Actor(user=org.clerk)
    assert queue_counts(db_session, clerk)["to_issue"] == 1
    assign_number(db_session, clerk, doc)
    assert doc.series.code == "di-mat"
    mark_sealed(db_session, clerk, doc, make_pdf("da dong dau"), policy)
    issue_document(db_session, clerk, doc)
    assert doc.status == "issued"


def test_a_clerk_chosen_before_the_signature_is_the_only_clerk(factory, db_session, policy):
    org = factory.org()
    second_clerk = factory.user(org.agency, "clerk")
    doc = _draft(db_session, org, policy, secrecy="mat", subject=SUBJECT)
    grant_access(db_session, Actor(user=org.leader), doc, second_clerk.id)
    _through_signature(db_session, org, policy, doc)
    assert second_clerk.id in _holders(db_session, doc)
    assert org.clerk.id not in _holders(db_session, doc)
    assert queue_counts(db_session, Actor(user=org.clerk))["to_issue"] == 0
    assert queue_counts(db_session, Actor(user=second_clerk))["to_issue"] == 1


def test_explicit_grant_and_revocation(factory, db_session, policy, pdf_upload):
    org = factory.org()
    colleague = factory.user(org.agency, "specialist")
    doc = _secret_incoming(db_session, org, policy, pdf_upload)
    clerk = Actor(user=org.clerk)
    grant_access(db_session, clerk, doc, colleague.id)
    # A granted specialist sees it although no assignment involves them.
    assert get_visible_document(db_session, Actor(user=colleague), doc.id) is doc
    with pytest.raises(Conflict) as info:
        grant_access(db_session, clerk, doc, colleague.id)
    assert info.value.code == "already_granted"
    with pytest.raises(InvalidInput):
        revoke_access(db_session, clerk, doc, colleague.id, "   ")
    revoke_access(db_session, clerk, doc, colleague.id, "Không còn liên quan")
    assert not holds_grant(db_session, colleague.id, doc.id)
    with pytest.raises(NotFound):
        get_visible_document(db_session, Actor(user=colleague), doc.id)
    revoked = [e for e in list_events_for(db_session, "document", doc.id)][-1]
    assert revoked.action == "document.secret_revoke"
    assert revoked.details["reason"] == "Không còn liên quan"
    assert revoked.details["user"] == colleague.full_name


def test_who_may_grant_and_to_whom(factory, db_session, policy, pdf_upload):
    org, other = factory.org(), factory.org()
    doc = _secret_incoming(db_session, org, policy, pdf_upload)
    clerk = Actor(user=org.clerk)
    with pytest.raises(InvalidInput) as info:  # never another agency
        grant_access(db_session, clerk, doc, other.leader.id)
    assert info.value.code == "invalid_grantee"
    with pytest.raises(PermissionDenied):  # a leader without a grant
        grant_access(db_session, Actor(user=org.leader), doc, org.specialist.id)
    grant_access(db_session, clerk, doc, org.specialist.id)
    with pytest.raises(PermissionDenied):  # a specialist holding a grant cannot pass it on
        grant_access(db_session, Actor(user=org.specialist), doc, org.unit_head.id)
    with pytest.raises(PermissionDenied):  # nor may a leader of another agency
        grant_access(db_session, Actor(user=other.leader), doc, org.leader.id)
    plain = register_incoming(
        db_session, clerk, incoming_meta(code_number="8"), pdf_upload, policy
    ).document
    with pytest.raises(InvalidInput) as info:
        grant_access(db_session, clerk, plain, org.specialist.id)
    assert info.value.code == "not_secret"
    assert _holders(db_session, doc) == {org.clerk.id, org.specialist.id}


def test_revocation_rule(factory, db_session, policy, pdf_upload):
    org = factory.org()
    doc = _secret_incoming(db_session, org, policy, pdf_upload)
    clerk, leader = Actor(user=org.clerk), Actor(user=org.leader)
    present_to_leader(db_session, clerk, doc, org.leader)
    with pytest.raises(Conflict) as info:  # never one's own
        revoke_access(db_session, clerk, doc, org.clerk.id, "Tự thu hồi")
    assert info.value.code == "own_grant"
    with pytest.raises(Conflict) as info:  # the leader it is presented to is needed
        revoke_access(db_session, clerk, doc, org.leader.id, "Nhầm người")
    assert info.value.code == "grant_needed"
    # The clerk's grant is not needed by the workflow: the leader may revoke it…
    revoke_access(db_session, leader, doc, org.clerk.id, "Văn thư đã bàn giao")
    plan = AssignmentPlan(lead=Target(user_id=org.specialist.id))
    assign_document(db_session, leader, doc, plan)
    complete_handling(db_session, Actor(user=org.specialist), doc, "Xong")
    # …and once the work is done, the last leader or clerk holding a grant must stay.
    with pytest.raises(Conflict) as info:
        revoke_access(db_session, leader, doc, org.leader.id, "Không cần nữa")
    assert info.value.code == "own_grant"
    second = factory.user(org.agency, "leader")
    grant_access(db_session, leader, doc, second.id)
    revoke_access(db_session, Actor(user=second), doc, org.leader.id, "Chuyển công tác")
    with pytest.raises(Conflict) as info:
        grant_access(db_session, Actor(user=second), doc, org.specialist.id)
    revoke_access(db_session, Actor(user=second), doc, org.specialist.id, "Đã xử lý xong")
    assert _holders(db_session, doc) == {second.id}
    holders = list_grants(db_session, doc)
    assert [(h.user.id, h.granted_by.id, h.protected) for h in holders] == [
        (second.id, org.leader.id, False)
    ]
    with pytest.raises(NotFound):
        revoke_access(db_session, Actor(user=second), doc, org.specialist.id, "Lần nữa")


def test_heads_of_an_assigned_unit_keep_their_grant_while_it_is_handled(
    factory, db_session, policy, pdf_upload
):
    org = factory.org()
    doc = _secret_incoming(db_session, org, policy, pdf_upload)
    leader = Actor(user=org.leader)
    present_to_leader(db_session, Actor(user=org.clerk), doc, org.leader)
    assign_document(
        db_session, leader, doc, AssignmentPlan(lead=Target(unit_id=org.unit_head.unit_id))
    )
    with pytest.raises(Conflict) as info:
        revoke_access(db_session, leader, doc, org.unit_head.id, "Nhầm đơn vị")
    assert info.value.code == "grant_needed"
    assert [h.protected for h in list_grants(db_session, doc)] == [False, True, True]
    complete_handling(db_session, Actor(user=org.unit_head), doc, "Đã xong")
    revoke_access(db_session, leader, doc, org.unit_head.id, "Đã xử lý xong")
    assert _holders(db_session, doc) == {org.clerk.id, org.leader.id}


def test_lists_show_a_masked_row_queues_and_search_hide_it(factory, db_session, policy, pdf_upload):
    org = factory.org()
    doc = _secret_incoming(db_session, org, policy, pdf_upload)
    other_clerk = Actor(user=factory.user(org.agency, "clerk"))
    assert queue_counts(db_session, Actor(user=org.clerk))["to_present"] == 1
    assert queue_counts(db_session, other_clerk)["to_present"] == 0
    present_to_leader(db_session, Actor(user=org.clerk), doc, org.leader)
    register_list = list_documents(db_session, other_clerk, DocumentFilter(direction="incoming"))
    assert [d.id for d in register_list.items] == [doc.id]
    assert register_list.masked == {doc.id}
    mine = list_documents(db_session, Actor(user=org.clerk), DocumentFilter(direction="incoming"))
    assert mine.masked == frozenset()
    for q in ("bao ve muc tieu", "Kế hoạch", "quyet dinh"):  # subject and PDF text
        assert list_documents(db_session, other_clerk, DocumentFilter(q=q)).items == []
    assert [
        d.id
        for d in list_documents(db_session, Actor(user=org.leader), DocumentFilter(q=SUBJECT)).items
    ] == [doc.id]
    typed = list_documents(
        db_session, other_clerk, DocumentFilter(direction="incoming", type_code="CV")
    )
    assert typed.items == []


def test_the_task_of_a_secret_document_does_not_carry_its_subject(
    factory, db_session, policy, pdf_upload
):
    from datetime import timedelta

    from eoffice import clock
    from eoffice.tasks.services_documents import document_task

    org = factory.org()
    doc = _secret_incoming(db_session, org, policy, pdf_upload)
    present_to_leader(db_session, Actor(user=org.clerk), doc, org.leader)
    plan = AssignmentPlan(
        lead=Target(user_id=org.specialist.id),
        deadline=clock.today() + timedelta(days=5),
        instruction="Rà soát lực lượng bảo vệ mục tiêu",
    )
    assign_document(db_session, Actor(user=org.leader), doc, plan)
    task = document_task(db_session, doc)
    assert task is not None and task.source_document_id == doc.id
    assert task.title == "Xử lý văn bản mật (văn bản đến số 1)"
    assert task.content == "" and "STC" not in task.source_reference


def test_the_last_clerk_keeps_the_grant_while_a_clerks_step_comes_next(factory, db_session, policy):
    org = factory.org()
    second_clerk = factory.user(org.agency, "clerk")
    doc = _draft(db_session, org, policy, secrecy="mat", subject=SUBJECT)
    _through_signature(db_session, org, policy, doc)  # signed: the clerks number it next
    leader = Actor(user=org.leader)
    revoke_access(db_session, leader, doc, second_clerk.id, "Một văn thư là đủ")
    with pytest.raises(Conflict) as info:
        revoke_access(db_session, leader, doc, org.clerk.id, "Nhầm người")
    assert info.value.code == "grant_needed"
    clerk = Actor(user=org.clerk)
    assign_number(db_session, clerk, doc)
    mark_sealed(db_session, clerk, doc, make_pdf("da dong dau"), policy)
    issue_document(db_session, clerk, doc)
    revoke_access(db_session, leader, doc, org.clerk.id, "Đã phát hành")
    assert not holds_grant(db_session, org.clerk.id, doc.id)
