"""Extensions (gia hạn): requests, decisions, and which deadline lateness is measured against."""

from __future__ import annotations

from datetime import date

import pytest

from eoffice import clock
from eoffice.errors import Conflict, InvalidInput, PermissionDenied
from eoffice.org.actor import Actor
from eoffice.tasks.inputs import TargetRef
from eoffice.tasks.policy import TaskPolicy
from eoffice.tasks.rules import ExtensionPolicy
from eoffice.tasks.services_extensions import decide_extension, request_extension
from tests.tasks.conftest import give, vn

D = date.fromisoformat


@pytest.fixture
def task(db_session, now, province, calendar):
    org = province.province
    return give(
        db_session,
        org.leader,
        calendar,
        lead=TargetRef(user=org.specialist.id),
        due=D("2026-11-06"),
    )


def test_an_approved_extension_moves_the_deadline_and_keeps_the_history(db_session, province, task):
    org = province.province
    ext = request_extension(
        db_session,
        Actor(user=org.specialist),
        task,
        D("2026-11-13"),
        "Chờ số liệu của Sở Tài chính",
    )
    assert ext.old_date == D("2026-11-06") and task.due_date == D("2026-11-06")
    with clock.frozen(vn("2026-11-03 10:00")):
        decide_extension(db_session, Actor(user=org.leader), task, ext.id, True, "Đồng ý")
    assert task.original_due_date == D("2026-11-06")
    assert task.due_date == task.measured_due_date == D("2026-11-13")
    assert task.deadline_at == vn("2026-11-14 00:00")
    assert task.extensions_decided_at == vn("2026-11-03 10:00")
    assert ext.decision == "approved" and ext.decided_by_id == org.leader.id
    assert task.replan_reminders_at is not None  # the reminders follow the new deadline


def test_a_late_request_moves_the_deadline_but_not_the_lateness(db_session, province, task):
    org = province.province
    with clock.frozen(vn("2026-11-09 08:00")):  # after the deadline of Fri 06/11
        ext = request_extension(
            db_session, Actor(user=org.specialist), task, D("2026-11-16"), "Quên báo cáo"
        )
        decide_extension(db_session, Actor(user=org.leader), task, ext.id, True)
    assert task.due_date == D("2026-11-16")
    assert task.measured_due_date == D("2026-11-06")


def test_the_lenient_policy_measures_against_the_latest_deadline(db_session, province, task):
    org = province.province
    lenient = TaskPolicy(extension_policy=ExtensionPolicy.LATEST_APPROVED)
    with clock.frozen(vn("2026-11-09 08:00")):
        ext = request_extension(
            db_session, Actor(user=org.specialist), task, D("2026-11-16"), "Lý do"
        )
        decide_extension(db_session, Actor(user=org.leader), task, ext.id, True, policy=lenient)
    assert task.measured_due_date == D("2026-11-16")


def test_a_refusal_changes_nothing(db_session, province, task):
    org = province.province
    ext = request_extension(db_session, Actor(user=org.specialist), task, D("2026-11-13"), "Lý do")
    decide_extension(db_session, Actor(user=org.leader), task, ext.id, False, "Không có căn cứ")
    assert ext.decision == "refused" and task.due_date == D("2026-11-06")
    with pytest.raises(Conflict):
        decide_extension(db_session, Actor(user=org.leader), task, ext.id, True)


def test_approving_ones_own_extension_is_refused(db_session, now, province, calendar):
    leader = province.province.leader
    own = give(db_session, leader, calendar, lead=TargetRef(user=leader.id), due=D("2026-11-06"))
    ext = request_extension(db_session, Actor(user=leader), own, D("2026-11-13"), "Lịch công tác")
    with pytest.raises(PermissionDenied) as e:
        decide_extension(db_session, Actor(user=leader), own, ext.id, True)
    assert e.value.render() == "Không được tự quyết định đề nghị gia hạn của chính mình"


def test_only_the_assigner_decides(db_session, province, task):
    org = province.province
    ext = request_extension(db_session, Actor(user=org.specialist), task, D("2026-11-13"), "Lý do")
    with pytest.raises(PermissionDenied):
        decide_extension(db_session, Actor(user=org.unit_head), task, ext.id, True)


@pytest.mark.parametrize(
    ("new_date", "reason", "field"),
    [
        (D("2026-11-05"), "Lý do", "new_date"),  # not after the current deadline
        (D("2026-11-13"), "   ", "reason"),
        (None, "Lý do", "new_date"),
    ],
)
def test_bad_extension_requests(db_session, province, task, new_date, reason, field):
    with pytest.raises(InvalidInput) as e:
        request_extension(
            db_session, Actor(user=province.province.specialist), task, new_date, reason
        )
    assert field in e.value.fields


def test_one_pending_request_at_a_time_and_only_by_the_lead(db_session, province, task):
    org = province.province
    with pytest.raises(PermissionDenied):
        request_extension(db_session, Actor(user=org.clerk), task, D("2026-11-13"), "Lý do")
    request_extension(db_session, Actor(user=org.specialist), task, D("2026-11-13"), "Lý do")
    with pytest.raises(Conflict):
        request_extension(db_session, Actor(user=org.specialist), task, D("2026-11-20"), "Lý do")


def test_a_child_cannot_be_extended_past_its_parent(db_session, now, province, calendar):
    dept = province.department
    parent = give(
        db_session,
        province.province.leader,
        calendar,
        lead=TargetRef(agency_code=dept.agency.code),
        due=D("2026-11-20"),
    )
    child = give(
        db_session,
        dept.leader,
        calendar,
        lead=TargetRef(user=dept.specialist.id),
        due=D("2026-11-13"),
        parent=parent,
    )
    with pytest.raises(InvalidInput) as e:
        request_extension(db_session, Actor(user=dept.specialist), child, D("2026-11-27"), "Lý do")
    assert e.value.fields["new_date"] == "Hạn mới không được sau hạn của nhiệm vụ cha (20/11/2026)"
