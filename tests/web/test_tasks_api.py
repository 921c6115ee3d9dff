"""/api/v1/tasks and /api/v1/reports/lateness (both engines)."""

from __future__ import annotations

import pytest

from eoffice import clock
from eoffice.org.actor import Actor
from eoffice.org.auth import create_api_token
from tests.tasks.conftest import MONDAY, vn


@pytest.fixture
def frozen():
    with clock.frozen(MONDAY):
        yield


@pytest.fixture
def api(client, factory, db_session, frozen):
    province = factory.org()
    department = factory.org(parent=province.agency)
    tokens = {}
    for name, user in [
        ("boss", province.leader),
        ("director", department.leader),
        ("clerk", department.clerk),
        ("specialist", province.specialist),
    ]:
        tokens[name] = create_api_token(db_session, Actor.system(), user)[1]
    db_session.commit()

    def call(who: str, method: str, path: str, json=None):
        headers = {"Authorization": f"Bearer {tokens[who]}"}
        return client.open(f"/api/v1{path}", method=method, json=json, headers=headers)

    call.province, call.department = province, department  # type: ignore[attr-defined]
    return call


def _create(api, **overrides):
    body = {
        "title": "Rà soát thủ tục hành chính lĩnh vực nội vụ",
        "content": "Báo cáo kết quả rà soát về UBND tỉnh.",
        "lead_agency": api.department.agency.code,
        "due_date": "2026-11-06",
    }
    body.update(overrides)
    return api("boss", "POST", "/tasks", body)


def test_create_get_and_list(api):
    created = _create(api)
    assert created.status_code == 201
    task = created.get_json()
    assert task["lead"] == {
        "kind": "agency",
        "agency": api.department.agency.code,
        "unit": None,
        "user": None,
        "name": api.department.agency.name,
    }
    assert task["due_date"] == "2026-11-06" and task["status"] == "OPEN_IN_TERM"
    assert task["state"] == "open" and task["due_soon"] is False  # 4 working days left, N = 3
    got = api("director", "GET", f"/tasks/{task['id']}").get_json()
    assert got["updates"][0]["kind"] == "created" and got["assigner"]["username"]
    listed = api(
        "director", "GET", f"/tasks?queue=leading&lead_agency={api.department.agency.code}"
    )
    assert [t["id"] for t in listed.get_json()["items"]] == [task["id"]]
    assert api("specialist", "GET", f"/tasks/{task['id']}").status_code == 404


def test_the_whole_flow_with_an_extension(api):
    task_id = _create(api).get_json()["id"]
    progress = api(
        "director",
        "POST",
        f"/tasks/{task_id}/progress",
        {"percent": 60, "text": "Đã rà soát 40 thủ tục"},
    )
    assert progress.status_code == 200 and progress.get_json()["progress_percent"] == 60
    ext = api(
        "director",
        "POST",
        f"/tasks/{task_id}/extensions",
        {"new_date": "2026-11-13", "reason": "Chờ ý kiến Bộ Nội vụ"},
    )
    assert ext.status_code == 201
    decided = api(
        "boss",
        "POST",
        f"/tasks/{task_id}/extensions/{ext.get_json()['id']}/decision",
        {"approve": True},
    )
    assert decided.get_json()["due_date"] == "2026-11-13"
    assert decided.get_json()["original_due_date"] == "2026-11-06"
    done = api(
        "director", "POST", f"/tasks/{task_id}/complete", {"result": "Đã gửi Báo cáo số 12/BC-SNV"}
    )
    assert done.get_json()["state"] == "submitted"
    confirmed = api("boss", "POST", f"/tasks/{task_id}/confirm", {})
    body = confirmed.get_json()
    assert body["state"] == "done" and body["status"] == "DONE_ON_TIME"
    assert body["done_at"] == body["submitted_at"]


def test_completing_someone_elses_task_is_a_json_403(api):
    task_id = _create(api).get_json()["id"]
    response = api("clerk", "POST", f"/tasks/{task_id}/complete", {"result": "Xong"})
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"
    assert "chủ trì" in response.get_json()["error"]["message"]


def test_approving_ones_own_extension_is_refused(api):
    boss = api.province.leader.username
    task_id = _create(api, lead_agency=None, lead_user=boss).get_json()["id"]
    ext = api(
        "boss",
        "POST",
        f"/tasks/{task_id}/extensions",
        {"new_date": "2026-11-20", "reason": "Lịch họp"},
    )
    response = api(
        "boss",
        "POST",
        f"/tasks/{task_id}/extensions/{ext.get_json()['id']}/decision",
        {"approve": True},
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"due_date": "2026-10-30"}, "due_date"),
        ({"due_date": "06/11/2026"}, "due_date"),
        ({"title": ""}, "title"),
        ({"lead_agency": None}, "lead"),
        ({"lead_unit": "VP"}, "lead"),  # two leads at once
    ],
)
def test_bad_task_input_is_422_with_fields(api, overrides, field):
    response = _create(api, **overrides)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid_input" and field in error["fields"]


def test_a_child_deadline_after_its_parents_is_refused(api):
    parent = _create(api).get_json()["id"]
    child = api(
        "director",
        "POST",
        "/tasks",
        {
            "title": "Phần việc của Văn phòng Sở",
            "lead_unit": "VP",
            "due_date": "2026-11-09",
            "parent_id": parent,
        },
    )
    assert child.status_code == 422
    assert child.get_json()["error"]["fields"]["due_date"].startswith(
        "Hạn của nhiệm vụ con không được sau"
    )
    ok = api(
        "director",
        "POST",
        "/tasks",
        {"title": "Phần việc", "lead_unit": "VP", "due_date": "2026-11-05", "parent_id": parent},
    )
    assert ok.status_code == 201 and ok.get_json()["parent_id"] == parent


def test_the_lateness_report(api):
    late_id = _create(api, due_date="2026-11-03").get_json()["id"]
    _create(api, due_date="2026-11-30")
    with clock.frozen(vn("2026-11-05 09:00")):
        response = api(
            "boss",
            "GET",
            "/reports/lateness?date_from=2026-11-01&date_to=2026-11-30&group_by=agency",
        )
    assert response.status_code == 200
    body = response.get_json()
    assert body["formula"].startswith("Tỷ lệ nhiệm vụ quá hạn = (Hoàn thành quá hạn")
    [row] = body["rows"]
    assert row == {
        "key": api.department.agency.code,
        "name": api.department.agency.name,
        "total": 2,
        "done_on_time": 0,
        "done_late": 0,
        "open_in_term": 1,
        "open_overdue": 1,
        "no_deadline": 0,
        "late_rate": 100.0,
        "completion_rate": 0.0,
    }
    with clock.frozen(vn("2026-11-05 09:00")):
        past = api(
            "boss",
            "GET",
            "/reports/lateness?date_from=2026-11-01&date_to=2026-11-30&as_of=2026-11-02",
        )
    assert past.get_json()["rows"][0]["open_overdue"] == 0 and late_id


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("date_from=2026-11-30&date_to=2026-11-01", "date_to"),
        ("date_from=2026-11-01&date_to=2026-11-30&group_by=province", "group_by"),
        ("date_from=2026-11-01", "date_to"),
        ("date_from=2026-13-01&date_to=2026-11-30", "date_from"),
    ],
)
def test_bad_report_periods_are_422(api, query, field):
    response = api("boss", "GET", f"/reports/lateness?{query}")
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]


def test_specialists_get_403_on_reports(api):
    response = api("specialist", "GET", "/reports/lateness?date_from=2026-11-01&date_to=2026-11-30")
    assert response.status_code == 403


def test_the_api_needs_a_token(client):
    response = client.get("/api/v1/tasks")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"
