"""Secret documents in the API: 404 without a grant, masked list rows, grant and revoke."""

from __future__ import annotations

from tests.web import test_api_documents as documents_api
from tests.web.test_api_documents import Api, error

api, other = documents_api.api, documents_api.other  # the registry API's fixtures

SUBJECT = "Phương án bảo vệ mục tiêu trọng yếu"


def test_secret_documents_follow_the_grants(api: Api, other: Api):
    doc = api.register(secrecy="mat", subject=SUBJECT, code_notation="CA-PV")
    plain = api.register(code_number="2", subject="Lịch họp giao ban")
    # The registering clerk holds a grant: the detail and the whole row.
    assert api.call("GET", f"/api/v1/documents/{doc['id']}").get_json()["subject"] == SUBJECT
    rows = api.call("GET", "/api/v1/documents?direction=incoming").get_json()["items"]
    assert [(r["id"], r["masked"]) for r in rows] == [(plain["id"], False), (doc["id"], False)]
    # The leader holds none yet: 404 on the detail, its file and its grants; a masked row.
    for path in ("", "/file", "/grants"):
        error(api.call("GET", f"/api/v1/documents/{doc['id']}{path}", "leader"), 404, "not_found")
    listed = api.call("GET", "/api/v1/documents?direction=incoming", who="leader").get_json()
    masked = next(r for r in listed["items"] if r["id"] == doc["id"])
    assert masked["masked"] and masked["subject"] == "(Văn bản mật)"
    assert masked["organ_name"] == "(Văn bản mật)" and masked["code"] == "123"
    assert masked["arrival_number"] == 1 and SUBJECT not in str(listed)
    assert "CA-PV" not in str(listed)
    for q in ("bao ve muc tieu", "Phương án"):
        found = api.call("GET", f"/api/v1/documents?q={q}", who="leader").get_json()
        assert found["items"] == []
    other_rows = other.call("GET", "/api/v1/documents").get_json()["items"]
    assert all(r["id"] != doc["id"] for r in other_rows)

    # Grant, read, refuse the bad ones, revoke.
    granted = api.post(f"/api/v1/documents/{doc['id']}/grants", {"user_id": api.org.leader.id})
    assert granted.status_code == 201
    body = granted.get_json()
    assert body["may_manage"] is True
    assert [h["user"]["id"] for h in body["items"]] == [api.org.clerk.id, api.org.leader.id]
    assert body["items"][1]["granted_by"]["id"] == api.org.clerk.id
    assert api.call("GET", f"/api/v1/documents/{doc['id']}", "leader").status_code == 200
    again = api.post(f"/api/v1/documents/{doc['id']}/grants", {"user_id": api.org.leader.id})
    error(again, 409, "already_granted")
    stranger = api.post(f"/api/v1/documents/{doc['id']}/grants", {"user_id": other.org.leader.id})
    assert error(stranger, 422, "invalid_grantee")["fields"] == {
        "user_id": "Chọn người của cơ quan"
    }
    error(api.post(f"/api/v1/documents/{doc['id']}/grants", {"user": 1}), 422, "invalid_input")
    not_secret = api.post(f"/api/v1/documents/{plain['id']}/grants", {"user_id": 1})
    error(not_secret, 422, "not_secret")
    revoke = f"/api/v1/documents/{doc['id']}/grants/{api.org.leader.id}/revoke"
    error(api.post(revoke, {"reason": "  "}), 422, "invalid_input")
    error(api.post(revoke, {"reason": "Tự thu hồi"}, who="leader"), 409, "own_grant")
    done = api.post(revoke, {"reason": "Không còn liên quan"})
    assert done.status_code == 200
    assert [h["user"]["id"] for h in done.get_json()["items"]] == [api.org.clerk.id]
    error(api.call("GET", f"/api/v1/documents/{doc['id']}", "leader"), 404, "not_found")
    error(api.post(revoke, {"reason": "Lần nữa"}), 404, "not_found")
    # A specialist never manages grants, even holding one.
    api.post(f"/api/v1/documents/{doc['id']}/grants", {"user_id": api.org.specialist.id})
    refused = api.post(
        f"/api/v1/documents/{doc['id']}/grants", {"user_id": api.org.unit_head.id}, "specialist"
    )
    error(refused, 403, "forbidden")
    listing = api.call("GET", f"/api/v1/documents/{doc['id']}/grants", "specialist").get_json()
    assert listing["may_manage"] is False


def test_an_ordinary_document_has_no_grants(api: Api):
    plain = api.register()
    answer = api.call("GET", f"/api/v1/documents/{plain['id']}/grants").get_json()
    assert answer == {"items": [], "may_manage": False}
