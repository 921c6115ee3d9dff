"""Assigning an incoming document with a deadline creates (or re-points) the lead's task."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from eoffice.documents.incoming import (
    AssignmentPlan,
    Target,
    assign_document,
    present_to_leader,
    register_incoming,
)
from eoffice.documents.metadata import DocumentMetadata
from eoffice.org.actor import Actor
from eoffice.tasks.models import LeadKind, SourceKind, Task
from eoffice.tasks.services_documents import document_task

D = date.fromisoformat


def _document(db_session, org):
    meta = DocumentMetadata(
        type_code="CV",
        subject="V/v báo cáo tình hình thực hiện nhiệm vụ quý IV",
        organ_name="Sở Tài chính tỉnh Khánh Hòa",
        organ_id="000.00.03.H34",
        code_number="123",
        code_notation="STC-NS",
        issued_date=D("2026-10-30"),
        urgency="khan",
    )
    doc = register_incoming(db_session, Actor(user=org.clerk), meta, None, None).document
    present_to_leader(db_session, Actor(user=org.clerk), doc, org.leader)
    return doc


def test_assignment_with_a_deadline_gives_the_lead_a_task(db_session, now, province):
    org = province.province
    doc = _document(db_session, org)
    plan = AssignmentPlan(
        lead=Target(user_id=org.specialist.id),
        cooperate=(Target(user_id=org.unit_head.id),),
        deadline=D("2026-11-13"),
        instruction="Đồng chí Loan chủ trì, tham mưu báo cáo.",
    )
    assign_document(db_session, Actor(user=org.leader), doc, plan)
    task = document_task(db_session, doc)
    assert task is not None
    assert task.source_kind == SourceKind.DOCUMENT.value and task.source_document_id == doc.id
    assert task.title == doc.subject and task.content == plan.instruction
    assert task.lead_kind == LeadKind.USER.value and task.lead_user_id == org.specialist.id
    assert task.assigner_id == org.leader.id and task.due_date == D("2026-11-13")
    assert task.priority == "high"  # the document is "khẩn"
    assert [c.user_id for c in task.cooperators] == [org.unit_head.id]
    assert task.source_reference.startswith(f"Văn bản đến số {doc.number}")


def test_reassignment_repoints_the_same_task(db_session, now, province):
    org = province.province
    doc = _document(db_session, org)
    leader = Actor(user=org.leader)
    assign_document(
        db_session,
        leader,
        doc,
        AssignmentPlan(lead=Target(user_id=org.specialist.id), deadline=D("2026-11-13")),
    )
    first = document_task(db_session, doc)
    assign_document(
        db_session,
        leader,
        doc,
        AssignmentPlan(lead=Target(user_id=org.unit_head.id), deadline=D("2026-11-20")),
    )
    tasks = (
        db_session.execute(select(Task).where(Task.source_document_id == doc.id)).scalars().all()
    )
    assert tasks == [first]
    assert first.lead_user_id == org.unit_head.id and first.due_date == D("2026-11-20")


def test_assignment_without_a_deadline_gives_no_task(db_session, now, province):
    org = province.province
    doc = _document(db_session, org)
    assign_document(
        db_session,
        Actor(user=org.leader),
        doc,
        AssignmentPlan(lead=Target(user_id=org.specialist.id)),
    )
    assert document_task(db_session, doc) is None
