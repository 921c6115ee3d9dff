"""Giving, splitting, reporting on, completing and confirming tasks (both engines)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from eoffice import clock
from eoffice.audit.models import AuditEvent
from eoffice.errors import InvalidInput, InvalidTransition, NotFound, PermissionDenied
from eoffice.notifications.models import Notification, OutgoingMail
from eoffice.org.actor import Actor
from eoffice.org.services import create_unit
from eoffice.tasks.access import get_visible_task
from eoffice.tasks.inputs import TargetRef, TaskInput
from eoffice.tasks.models import LeadKind, TaskState, UpdateKind
from eoffice.tasks.services import create_task
from eoffice.tasks.services_work import (
    confirm_completion,
    reject_completion,
    report_progress,
    submit_completion,
)
from tests.tasks.conftest import give, vn

D = date.fromisoformat


def test_a_leader_gives_a_task_to_a_department(db_session, now, province, calendar):
    dept = province.department
    dept.leader.email = "giamdoc@so.example.vn"
    task = give(
        db_session,
        province.province.leader,
        calendar,
        lead=TargetRef(agency_code=dept.agency.code),
        due=D("2026-11-20"),
    )
    assert task.lead_kind == LeadKind.AGENCY.value
    assert task.lead_agency_id == dept.agency.id and task.lead_user_id is None
    assert task.state == TaskState.OPEN.value and task.counts_for_agency
    assert task.original_due_date == task.due_date == task.measured_due_date == D("2026-11-20")
    assert task.deadline_at == vn("2026-11-21 00:00")  # 24:00 local on the due date
    assert task.replan_reminders_at == now  # the reminder job will plan it
    assert [u.kind for u in task.updates] == [UpdateKind.CREATED.value]
    told = db_session.execute(select(Notification).where(Notification.user_id == dept.leader.id))
    assert [n.title for n in told.scalars()] == [f"Nhiệm vụ mới: {task.title}"]
    mail = db_session.execute(select(OutgoingMail)).scalar_one()
    assert mail.to_address == "giamdoc@so.example.vn" and mail.state == "pending"
    assert mail.content["items"][0]["link"] == f"/tasks/{task.id}"
    audit = db_session.execute(
        select(AuditEvent).where(AuditEvent.action == "task.create")
    ).scalar_one()
    assert audit.object_id == str(task.id) and audit.details["due_date"] == "2026-11-20"


def test_deadline_in_working_days_skips_weekends_and_holidays(db_session, province, calendar):
    friday = vn("2026-08-28 10:00")  # Fri; 31/08, 01/09 and 02/09 are days off in 2026
    with clock.frozen(friday):
        task = give(
            db_session,
            province.province.leader,
            calendar,
            lead=TargetRef(agency_code=province.department.agency.code),
            due=None,
            due_in_working_days=2,
        )
    assert task.due_date == D("2026-09-04")  # Thu 03/09, Fri 04/09


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"due": D("2026-11-01")}, "due_date", "Hạn xử lý không được ở quá khứ"),
        (
            {"lead": TargetRef(agency_code="000.99.99.H99")},
            "lead",
            "Không có cơ quan mã 000.99.99.H99",
        ),
        ({"title": "  "}, "title", "Nhập tên nhiệm vụ"),
    ],
)
def test_bad_task_input_gets_a_field_message(
    db_session, now, province, calendar, change, field, message
):
    values = {
        "lead": TargetRef(agency_code=province.department.agency.code),
        "due": D("2026-11-20"),
    }
    values.update(change)
    data = TaskInput(
        title=values.get("title", "Nhiệm vụ"), lead=values["lead"], due_date=values["due"]
    )
    with pytest.raises(InvalidInput) as e:
        create_task(db_session, Actor(user=province.province.leader), data, calendar)
    assert e.value.fields[field] == message


def test_only_agencies_below_may_be_given_tasks(db_session, now, province, calendar):
    with pytest.raises(InvalidInput) as e:
        give(
            db_session,
            province.department.leader,
            calendar,
            lead=TargetRef(agency_code=province.province.agency.code),
            due=D("2026-11-20"),
        )
    assert "cấp dưới" in e.value.fields["lead"]


def test_a_specialist_cannot_give_tasks(db_session, now, province, calendar):
    with pytest.raises(PermissionDenied):
        give(
            db_session,
            province.province.specialist,
            calendar,
            lead=TargetRef(user=province.province.clerk.id),
            due=D("2026-11-20"),
        )


def test_the_lead_cannot_also_cooperate(db_session, now, province, calendar):
    dept = province.department.agency.code
    with pytest.raises(InvalidInput) as e:
        give(
            db_session,
            province.province.leader,
            calendar,
            lead=TargetRef(agency_code=dept),
            due=D("2026-11-20"),
            cooperators=(TargetRef(agency_code=dept),),
        )
    assert e.value.fields == {"cooperators": "Chủ trì không đồng thời là đơn vị phối hợp"}


def test_cascade_province_department_unit_and_commune(db_session, now, province, calendar, factory):
    dept = province.department
    commune = factory.org(parent=dept.agency)
    parent = give(
        db_session,
        province.province.leader,
        calendar,
        lead=TargetRef(agency_code=dept.agency.code),
        due=D("2026-11-20"),
    )
    unit = create_unit(db_session, Actor.system(), dept.agency, "Phòng Tổng hợp", "TH")
    inside = give(
        db_session,
        dept.leader,
        calendar,
        lead=TargetRef(unit=unit.id),
        due=D("2026-11-18"),
        parent=parent,
    )
    below = give(
        db_session,
        dept.leader,
        calendar,
        lead=TargetRef(agency_code=commune.agency.code),
        due=D("2026-11-20"),
        parent=parent,
    )
    assert inside.parent_id == below.parent_id == parent.id
    # The department answers for the parent: its own split must not count twice per agency.
    assert inside.counts_for_agency is False and below.counts_for_agency is True
    with pytest.raises(InvalidInput) as e:
        give(
            db_session,
            dept.leader,
            calendar,
            lead=TargetRef(unit=unit.id),
            due=D("2026-11-23"),
            parent=parent,
        )
    assert e.value.fields["due_date"] == (
        "Hạn của nhiệm vụ con không được sau hạn của nhiệm vụ cha (20/11/2026)"
    )
    db_session.refresh(parent)
    assert [c.id for c in parent.children] == [inside.id, below.id]


def test_only_the_lead_may_split_a_task(db_session, now, province, calendar):
    parent = give(
        db_session,
        province.province.leader,
        calendar,
        lead=TargetRef(agency_code=province.department.agency.code),
        due=D("2026-11-20"),
    )
    with pytest.raises(PermissionDenied):
        give(
            db_session,
            province.province.leader,
            calendar,
            lead=TargetRef(user=province.province.specialist.id),
            due=D("2026-11-18"),
            parent=parent,
        )


def test_unit_heads_give_only_to_people_of_their_unit(db_session, now, province, calendar, factory):
    org = province.province
    task = give(
        db_session,
        org.unit_head,
        calendar,
        lead=TargetRef(user=org.specialist.id),
        due=D("2026-11-20"),
    )
    assert task.lead_kind == LeadKind.USER.value and task.lead_unit_id == org.specialist.unit_id
    other = create_unit(db_session, Actor.system(), org.agency, "Phòng Kinh tế", "KT")
    outsider = factory.user(org.agency, "specialist")
    outsider.unit_id = other.id
    with pytest.raises(InvalidInput) as e:
        give(
            db_session,
            org.unit_head,
            calendar,
            lead=TargetRef(user=outsider.id),
            due=D("2026-11-20"),
        )
    assert e.value.fields["lead"] == "Trưởng đơn vị chỉ giao nhiệm vụ cho người trong đơn vị"


def _personal_task(db_session, province, calendar):
    org = province.province
    return give(
        db_session,
        org.leader,
        calendar,
        lead=TargetRef(user=org.specialist.id),
        due=D("2026-11-06"),
    )


def test_progress_completion_and_confirmation(db_session, now, province, calendar):
    org = province.province
    task = _personal_task(db_session, province, calendar)
    lead, assigner = Actor(user=org.specialist), Actor(user=org.leader)
    report_progress(db_session, lead, task, 40, "Đã thu thập số liệu của 10/15 đơn vị")
    assert task.progress_percent == 40
    with pytest.raises(InvalidInput) as e:
        report_progress(db_session, lead, task, 100, "Xong")
    assert "percent" in e.value.fields
    submitted_at = vn("2026-11-06 16:00")
    with clock.frozen(submitted_at):
        submit_completion(db_session, lead, task, "Đã gửi báo cáo số 45/BC-VP")
    assert task.state == TaskState.SUBMITTED.value and task.submitted_at == submitted_at
    with pytest.raises(PermissionDenied):
        confirm_completion(db_session, lead, task)
    with clock.frozen(vn("2026-11-09 08:00")):  # confirmed after the deadline…
        confirm_completion(db_session, assigner, task, "Đạt yêu cầu")
    assert task.state == TaskState.DONE.value
    assert task.done_at == submitted_at  # …but done when the lead submitted: on time
    assert task.confirmed_by_id == org.leader.id
    with pytest.raises(InvalidTransition):
        report_progress(db_session, lead, task, 50, "Thêm")


def test_completing_someone_elses_task_is_refused(db_session, now, province, calendar):
    task = _personal_task(db_session, province, calendar)
    with pytest.raises(PermissionDenied) as e:
        submit_completion(db_session, Actor(user=province.province.clerk), task, "Xong")
    assert e.value.render() == "Chỉ người (đơn vị) chủ trì nhiệm vụ mới được báo cáo hoàn thành"


def test_rejection_sends_the_task_back_for_rework(db_session, now, province, calendar):
    org = province.province
    task = _personal_task(db_session, province, calendar)
    submit_completion(db_session, Actor(user=org.specialist), task, "Xong")
    with pytest.raises(InvalidInput):
        reject_completion(db_session, Actor(user=org.leader), task, " ")
    reject_completion(db_session, Actor(user=org.leader), task, "Thiếu số liệu xã Cam Lâm")
    assert task.state == TaskState.OPEN.value and task.submitted_at is None
    assert task.rework_count == 1 and task.replan_reminders_at is not None
    told = db_session.execute(
        select(Notification.title).where(Notification.user_id == org.specialist.id)
    ).scalars()
    assert f"Yêu cầu thực hiện lại: {task.title}" in list(told)


def test_outsiders_do_not_see_a_task(db_session, now, province, calendar, factory):
    task = _personal_task(db_session, province, calendar)
    stranger = factory.org().leader
    with pytest.raises(NotFound):
        get_visible_task(db_session, Actor(user=stranger), task.id)
    assert get_visible_task(db_session, Actor(user=province.province.specialist), task.id) is task
    # The province's leaders oversee the department's work too.
    dept_task = give(
        db_session,
        province.department.leader,
        calendar,
        lead=TargetRef(user=province.department.specialist.id),
        due=now.date() + timedelta(days=3),
    )
    assert get_visible_task(db_session, Actor(user=province.province.leader), dept_task.id)
