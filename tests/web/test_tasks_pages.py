"""The Nhắc việc pages: give, act, notifications, calendar (both engines)."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from eoffice import clock
from eoffice.notifications.models import Notification
from eoffice.tasks.models import Task
from tests.tasks.conftest import MONDAY
from tests.web.test_pages import csrf_from, login


@pytest.fixture
def frozen():
    with clock.frozen(MONDAY):
        yield


@pytest.fixture
def people(factory, db_session, frozen):
    org = factory.org()
    db_session.commit()
    return org


def _give(client, people, **overrides):
    page = client.get("/tasks/new")
    form = {
        "csrf_token": csrf_from(page.text),
        "title": "Chuẩn bị nội dung họp giao ban tháng 11",
        "content": "Tổng hợp ý kiến các sở.",
        "lead": f"user:{people.specialist.id}",
        "due_date": "2026-11-06",
        "priority": "high",
        "source_kind": "meeting",
        "source_reference": "Thông báo kết luận số 12/TB-UBND",
    }
    form.update(overrides)
    return client.post("/tasks/new", data=form)


def _logout(client):
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/").text)})


def test_a_leader_gives_a_task_and_the_lead_sees_it(client, people, db_session):
    login(client, people.leader.username)
    response = _give(client, people)
    assert response.status_code == 302
    task_id = int(response.headers["Location"].rsplit("/", 1)[1])
    page = client.get(f"/tasks/{task_id}")
    assert "Chuẩn bị nội dung họp giao ban tháng 11" in page.text
    assert "Thông báo kết luận số 12/TB-UBND" in page.text and "06/11/2026" in page.text
    _logout(client)
    login(client, people.specialist.username)
    queue = client.get("/tasks/?queue=leading")
    assert "Chuẩn bị nội dung họp giao ban tháng 11" in queue.text
    assert re.search(
        r'data-queue="task-leading">\s*Đang thực hiện <span class="count">\(1\)', queue.text
    )
    assert "Báo cáo hoàn thành" in client.get(f"/tasks/{task_id}").text


def test_a_wrong_form_keeps_the_input_and_shows_the_error_in_place(client, people):
    login(client, people.leader.username)
    response = _give(client, people, due_date="2026-10-01")
    assert response.status_code == 422
    assert 'value="Chuẩn bị nội dung họp giao ban tháng 11"' in response.text
    assert (
        '<p class="error" id="due_date-error">Hạn xử lý không được ở quá khứ</p>' in response.text
    )


def test_progress_completion_and_confirmation_through_the_pages(client, people, db_session):
    login(client, people.leader.username)
    task_id = int(_give(client, people).headers["Location"].rsplit("/", 1)[1])
    _logout(client)
    login(client, people.specialist.username)
    page = client.get(f"/tasks/{task_id}")
    token = csrf_from(page.text)
    client.post(
        f"/tasks/{task_id}/progress",
        data={"csrf_token": token, "percent": "50", "text": "Đã có 8/15 ý kiến"},
    )
    missing = client.post(f"/tasks/{task_id}/complete", data={"csrf_token": token, "result": " "})
    assert missing.status_code == 422 and "Nhập kết quả thực hiện" in missing.text
    done = client.post(
        f"/tasks/{task_id}/complete", data={"csrf_token": token, "result": "Đã trình dự thảo"}
    )
    assert done.status_code == 302
    _logout(client)
    login(client, people.leader.username)
    awaiting = client.get("/tasks/?queue=awaiting")
    assert "Chuẩn bị nội dung họp giao ban tháng 11" in awaiting.text
    token = csrf_from(awaiting.text)
    client.post(f"/tasks/{task_id}/confirm", data={"csrf_token": token, "note": "Tốt"})
    task = db_session.get(Task, task_id)
    db_session.refresh(task)
    assert task.state == "done" and task.progress_percent == 100
    timeline = client.get(f"/tasks/{task_id}").text
    for step in (
        "Giao nhiệm vụ",
        "Báo cáo tiến độ (50%)",
        "Báo cáo hoàn thành",
        "Xác nhận hoàn thành",
    ):
        assert step in timeline


def test_someone_else_cannot_complete_the_task(client, people):
    login(client, people.leader.username)
    task_id = int(_give(client, people).headers["Location"].rsplit("/", 1)[1])
    token = csrf_from(client.get(f"/tasks/{task_id}").text)
    response = client.post(
        f"/tasks/{task_id}/complete", data={"csrf_token": token, "result": "Xong"}
    )
    assert response.status_code == 403
    assert "Chỉ người (đơn vị) chủ trì nhiệm vụ mới được báo cáo hoàn thành" in response.text


def test_refusal_reads_as_one_english_sentence(client, people):
    login(client, people.leader.username)
    task_id = int(_give(client, people).headers["Location"].rsplit("/", 1)[1])
    page = client.get(f"/tasks/{task_id}").text
    client.post("/lang/en", data={"csrf_token": csrf_from(page), "next": "/"})
    token = csrf_from(client.get(f"/tasks/{task_id}").text)
    response = client.post(
        f"/tasks/{task_id}/complete", data={"csrf_token": token, "result": "Done"}
    )
    assert response.status_code == 403
    assert "Only the task lead (person or unit) may report completion" in response.text
    assert "báo cáo" not in response.text


def test_notifications_are_listed_and_opened(client, people, db_session):
    login(client, people.leader.username)
    task_id = int(_give(client, people).headers["Location"].rsplit("/", 1)[1])
    _logout(client)
    login(client, people.specialist.username)
    inbox = client.get("/tasks/notifications")
    assert "Nhiệm vụ mới: Chuẩn bị nội dung họp giao ban tháng 11" in inbox.text
    note = db_session.execute(
        select(Notification).where(Notification.user_id == people.specialist.id)
    ).scalar_one()
    opened = client.post(
        f"/tasks/notifications/{note.id}", data={"csrf_token": csrf_from(inbox.text)}
    )
    assert opened.headers["Location"].endswith(f"/tasks/{task_id}")
    db_session.refresh(note)
    assert note.read_at is not None


def test_the_calendar_table_page(client, people):
    login(client, people.admin.username)
    page = client.get("/tasks/calendar?year=2027")
    assert page.status_code == 200
    token = csrf_from(page.text)
    added = client.post(
        "/tasks/calendar?year=2027",
        data={
            "csrf_token": token,
            "first_day": "2027-02-08",
            "last_day": "2027-02-12",
            "kind": "holiday",
            "name": "Tết Đinh Mùi",
        },
    )
    assert added.status_code == 302
    again = client.post(
        "/tasks/calendar?year=2027",
        data={"csrf_token": token, "first_day": "2027-02-12", "kind": "day_off", "name": "Nghỉ bù"},
    )
    assert again.status_code == 422 and "12/02/2027 đã có trong bảng lịch" in again.text
    assert "Tết Đinh Mùi" in client.get("/tasks/calendar?year=2027").text


def test_only_admins_open_the_calendar_table(client, people):
    login(client, people.leader.username)
    assert client.get("/tasks/calendar").status_code == 403


def test_an_attachment_is_served_as_a_download_never_as_a_page(client, people, db_session):
    login(client, people.leader.username)
    task_id = int(_give(client, people).headers["Location"].rsplit("/", 1)[1])
    _logout(client)
    login(client, people.specialist.username)
    token = csrf_from(client.get(f"/tasks/{task_id}").text)
    hostile = b"<html><script>alert(document.cookie)</script></html>"
    client.post(
        f"/tasks/{task_id}/progress",
        data={
            "csrf_token": token,
            "percent": "20",
            "text": "Gửi kèm tài liệu",
            "attachments": (io.BytesIO(hostile), "bao-cao.html", "text/html"),
        },
        content_type="multipart/form-data",
    )
    (row,) = db_session.get(Task, task_id).attachments
    response = client.get(f"/tasks/{task_id}/files/{row.id}")
    assert response.status_code == 200 and response.data == hostile
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Content-Security-Policy"].startswith("sandbox")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
