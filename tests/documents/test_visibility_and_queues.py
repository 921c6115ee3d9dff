"""Who sees which document, and what each work queue holds, with rows set up directly.

The visibility rule of unit heads and specialists is written as "id IN (documents they are
involved in)" for speed at a million documents; these tests pin what that set is, on both engines.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from eoffice import clock
from eoffice.documents.access import get_visible_document, visible_filter
from eoffice.documents.models import Assignment, Document, SecretGrant
from eoffice.documents.queries import (
    QUEUE_LABELS,
    DocumentFilter,
    list_documents,
    queue_clause,
    queue_counts,
    queues_for,
)
from eoffice.errors import NotFound
from eoffice.org.actor import Actor
from eoffice.org.services import create_unit


def _doc(session, org, subject, direction="incoming", status="registered", **values):
    document = Document(
        agency_id=org.agency.id,
        direction=direction,
        status=status,
        type_code="CV",
        type_name="Công văn",
        subject=subject,
        search_text=subject.lower(),
        **values,
    )
    session.add(document)
    session.flush()
    return document


def _assign(session, document, role="lead", **values):
    assignment = Assignment(document_id=document.id, role=role, **values)
    session.add(assignment)
    session.flush()
    return assignment


def _visible(session, user):
    stmt = select(Document.subject).where(visible_filter(Actor(user=user)))
    return sorted(session.execute(stmt).scalars())


@pytest.fixture
def involvement(factory, db_session):
    """One agency where every way of being involved is used once, plus a second unit."""
    org, other = factory.org(), factory.org()
    kt = create_unit(db_session, Actor.system(), org.agency, "Phòng Kinh tế", "KT")
    kt_head = factory.user(org.agency, "unit_head")
    kt_head.unit_id = kt.id
    db_session.flush()
    s = db_session
    _assign(s, _doc(s, org, "giao chuyen vien"), user_id=org.specialist.id)
    _assign(s, _doc(s, org, "giao don vi VP"), unit_id=org.unit_head.unit_id)
    _assign(s, _doc(s, org, "giao don vi KT"), unit_id=kt.id, role="cooperate")
    _assign(
        s, _doc(s, org, "da thoi giao"), user_id=org.specialist.id, is_active=False, role="inform"
    )
    _doc(s, org, "chuyen vien soan", "outgoing", "draft", drafter_id=org.specialist.id)
    _doc(s, org, "VP soan", "outgoing", "in_review", drafting_unit_id=org.unit_head.unit_id)
    _doc(s, org, "trinh truong phong", "incoming", "presented", presented_to_id=kt_head.id)
    _doc(s, org, "truong phong ky", "outgoing", "approved", signer_id=org.unit_head.id)
    _doc(s, org, "khong ai")
    secret = _doc(s, org, "mat giao chuyen vien", secrecy="mat")
    _assign(s, secret, user_id=org.specialist.id)
    granted = _doc(s, org, "mat duoc phep", secrecy="mat", drafter_id=org.specialist.id)
    s.add(SecretGrant(document_id=granted.id, user_id=org.specialist.id))
    _assign(s, _doc(s, other, "co quan khac"), user_id=org.specialist.id)
    s.flush()
    return org, kt_head


def test_specialist_sees_what_they_or_their_unit_handle_or_drafted(involvement, db_session):
    org, _ = involvement
    assert _visible(db_session, org.specialist) == [
        "chuyen vien soan",
        "da thoi giao",  # an inactive assignment still shows the document
        "giao chuyen vien",
        "giao don vi VP",
        "mat duoc phep",  # secret: only with a grant
    ]


def test_unit_head_also_sees_the_unit_drafts_and_what_they_sign_or_are_shown(
    involvement, db_session
):
    org, kt_head = involvement
    assert _visible(db_session, org.unit_head) == [
        "VP soan",
        "giao don vi VP",
        "truong phong ky",
    ]
    assert _visible(db_session, kt_head) == ["giao don vi KT", "trinh truong phong"]


def test_a_specialist_does_not_see_the_unit_drafts(involvement, db_session):
    org, _ = involvement
    vp_draft = db_session.execute(
        select(Document).where(Document.subject == "VP soan")
    ).scalar_one()
    with pytest.raises(NotFound):
        get_visible_document(db_session, Actor(user=org.specialist), vp_draft.id)
    assert get_visible_document(db_session, Actor(user=org.unit_head), vp_draft.id) is vp_draft


def test_clerks_and_leaders_see_the_whole_agency_but_secrets(involvement, db_session):
    org, _ = involvement
    everything = _visible(db_session, org.clerk)
    assert everything == _visible(db_session, org.leader)
    assert "khong ai" in everything and "co quan khac" not in everything
    assert not {"mat giao chuyen vien", "mat duoc phep"} & set(everything)


def test_search_keeps_to_the_involved_documents(involvement, db_session):
    org, _ = involvement

    def found(user, q):
        page = list_documents(db_session, Actor(user=user), DocumentFilter(q=q))
        return sorted(d.subject for d in page.items)

    assert found(org.specialist, "giao") == ["da thoi giao", "giao chuyen vien", "giao don vi VP"]
    assert found(org.unit_head, "giao don vi") == ["giao don vi VP"]
    assert found(org.clerk, "giao don vi") == ["giao don vi KT", "giao don vi VP"]


@pytest.fixture
def queue_org(factory, db_session):
    """An agency with a document in (and just out of) every work queue."""
    org = factory.org()
    s, today = db_session, clock.today()
    unit_id = org.unit_head.unit_id

    # Unit head, "chờ phân công": the unit leads, nobody of the unit was given it yet.
    waiting = _doc(s, org, "cho phan cong", status="assigned")
    _assign(s, waiting, unit_id=unit_id)
    passed = _doc(s, org, "da phan cong", status="assigned", due_date=today + timedelta(days=2))
    parent = _assign(s, passed, unit_id=unit_id)
    _assign(s, passed, user_id=org.specialist.id, unit_id=unit_id, parent_id=parent.id)
    old = _doc(s, org, "giao lai", status="assigned")
    _assign(s, old, unit_id=unit_id, is_active=False)
    _assign(s, _doc(s, org, "phoi hop", status="assigned"), unit_id=unit_id, role="cooperate")
    # Specialist: leads, one overdue; one done; one only co-operating.
    late = _doc(s, org, "qua han", status="assigned", due_date=today - timedelta(days=1))
    _assign(s, late, user_id=org.specialist.id)
    done = _doc(s, org, "xong", status="assigned")
    _assign(s, done, user_id=org.specialist.id, completed_at=clock.now())
    _assign(s, _doc(s, org, "chi phoi hop", status="assigned"), user_id=org.specialist.id,
            role="cooperate")  # fmt: skip
    _doc(s, org, "du thao", "outgoing", "draft", drafter_id=org.specialist.id)
    _doc(s, org, "kiem tra", "outgoing", "in_review", drafting_unit_id=unit_id)
    # Leader and clerk.
    _doc(s, org, "xin y kien", status="presented", presented_to_id=org.leader.id)
    _doc(s, org, "cho ky", "outgoing", "awaiting_approval", signer_id=org.leader.id)
    _doc(s, org, "cho trinh")
    return org


def test_queue_contents_for_each_role(queue_org, db_session):
    org, s = queue_org, db_session

    def queue(user, name):
        page = list_documents(s, Actor(user=user), DocumentFilter(queue=name))
        return sorted(d.subject for d in page.items)

    expected = {
        org.unit_head: {"to_reassign": ["cho phan cong"], "to_review": ["kiem tra"]},
        org.specialist: {
            "in_progress": ["da phan cong", "qua han"],
            "due_soon": ["da phan cong"],
            "overdue": ["qua han"],
            "my_drafts": ["du thao"],
        },
        org.leader: {"to_instruct": ["xin y kien"], "to_sign": ["cho ky"]},
        org.clerk: {"pending_accept": [], "to_present": ["cho trinh"], "to_issue": []},
    }
    for user, queues in expected.items():
        actor = Actor(user=user)
        assert queues_for(actor) == list(queues)
        assert {name: queue(user, name) for name in queues} == queues
        assert queue_counts(s, actor) == {name: len(subjects) for name, subjects in queues.items()}


def test_every_queue_keeps_to_what_the_user_may_see(queue_org, db_session):
    """Queues of one's own skip the involvement check; any queue asked for by anyone gives
    exactly the documents of that queue the full visibility rule allows."""
    org = queue_org
    for user in (org.clerk, org.leader, org.unit_head, org.specialist):
        actor = Actor(user=user)
        for name in QUEUE_LABELS:
            page = list_documents(db_session, actor, DocumentFilter(queue=name))
            full_rule = select(Document.id).where(
                visible_filter(actor), queue_clause(name, actor), Document.cancelled_at.is_(None)
            )
            assert sorted(d.id for d in page.items) == sorted(db_session.scalars(full_rule))
    # The unit's drafts are the unit head's to review; a specialist asking sees none.
    specialist = Actor(user=org.specialist)
    assert list_documents(db_session, specialist, DocumentFilter(queue="to_review")).items == []
