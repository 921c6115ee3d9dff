"""The registry's JSON API: every endpoint, its bad inputs, and its OpenAPI description.

Every call goes through :meth:`Api.call`, which also checks that the answer's status is
documented for that operation and that its JSON body matches the documented schema.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate as validate_spec
from PIL import Image
from sqlalchemy.orm import sessionmaker

from eoffice import clock
from eoffice.documents.blobs import BlobStore, FilePolicy, Upload
from eoffice.documents.metadata import DocumentMetadata
from eoffice.documents.models import Document, SecretGrant
from eoffice.documents.outgoing import (
    DraftInput,
    approve_draft,
    assign_number,
    create_draft,
    mark_sealed,
    mark_signed,
    review_draft,
    submit_draft,
)
from eoffice.documents.recipients import issue_document
from eoffice.org.actor import Actor
from eoffice.org.auth import create_api_token
from eoffice.org.models import CredentialKind, SigningCredential
from eoffice.settings import load_settings
from eoffice.web import create_app
from eoffice.web.api.openapi import _merge, build_spec
from signing.pki import build_demo_pki
from tests.conftest import bind_session
from tests.documents.conftest import make_pdf
from tests.factories import Org

ROLES = ("clerk", "leader", "unit_head", "specialist")
PASSPHRASE = "mat-khau-khoa-ky"
SPEC = build_spec()
OPERATIONS = {
    op["operationId"]: op for methods in SPEC["paths"].values() for op in methods.values()
}


def days(n: int) -> str:
    return (clock.today() + timedelta(days=n)).isoformat()


def incoming(**overrides: Any) -> dict[str, Any]:
    return {
        "organ_name": "Sở Tài chính tỉnh Khánh Hòa",
        "organ_id": "000.00.02.H34",
        "code_number": "123",
        "code_notation": "STC-NS",
        "issued_date": days(-3),
        "type_code": "CV",
        "subject": "V/v báo cáo tình hình thực hiện nhiệm vụ quý IV",
        "signer_name": "Trần Văn Bình",
        "signer_position": "Giám đốc",
        "urgency": "khan",
        "secrecy": "thuong",
    } | overrides


@dataclass
class Api:
    app: Any
    client: Any
    org: Org
    tokens: dict[str, str]

    def call(self, method: str, path: str, who: str | None = "clerk", **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        response = self.client.open(path, method=method, headers=headers, **kwargs)
        assert_documented(self.app, method, path, response)
        return response

    def post(self, path: str, body: Any = None, who: str = "clerk", raw: bytes | None = None):
        data = raw if raw is not None else json.dumps(body or {})
        return self.call("POST", path, who, data=data, content_type="application/json")

    def upload(self, kind: str, metadata: Any, pdf: bytes | None = None, who: str = "clerk"):
        parts: dict[str, Any] = {}
        if isinstance(metadata, bytes):  # as a file part of type application/json
            parts["metadata"] = (io.BytesIO(metadata), "metadata.json", "application/json")
        elif metadata is not None:
            parts["metadata"] = metadata if isinstance(metadata, str) else json.dumps(metadata)
        if pdf is not None:
            parts["file"] = (io.BytesIO(pdf), "công văn.pdf", "application/pdf")
        return self.call(
            "POST", f"/api/v1/documents/{kind}", who, data=parts, content_type="multipart/form-data"
        )

    def register(self, **overrides: Any) -> dict[str, Any]:
        response = self.upload("incoming", incoming(**overrides), make_pdf())
        assert response.status_code == 201, response.get_json()
        return response.get_json()


def assert_documented(app: Any, method: str, path: str, response: Any) -> None:
    """Assert the status is documented for the operation and the JSON body has its schema."""
    endpoint, _ = app.url_map.bind("localhost").match(path.split("?")[0], method)
    answers = OPERATIONS[endpoint.removeprefix("api.")]["responses"]
    answer = answers.get(str(response.status_code))
    assert answer is not None, f"{response.status_code} is not documented for {endpoint}"
    if "$ref" in answer:
        answer = SPEC["components"]["responses"][answer["$ref"].rsplit("/", 1)[-1]]
    schema = answer["content"].get("application/json", {}).get("schema")
    if schema is not None:
        validator = OAS31Validator(
            {**schema, "components": SPEC["components"]},
            format_checker=OAS31Validator.FORMAT_CHECKER,
        )
        validator.validate(response.get_json())


def error(response: Any, status: int, code: str) -> dict[str, Any]:
    body = response.get_json()
    assert response.status_code == status, body
    assert body["error"]["code"] == code, body
    assert body["error"]["message"]
    return body["error"]


def tokens_for(db_session, org: Org) -> dict[str, str]:
    tokens = {
        role: create_api_token(db_session, Actor.system(), getattr(org, role))[1] for role in ROLES
    }
    db_session.commit()
    return tokens


@pytest.fixture
def api(app, client, factory, db_session) -> Api:
    org = factory.org()
    return Api(app, client, org, tokens_for(db_session, org))


@pytest.fixture
def other(app, client, factory, db_session) -> Api:
    """The same client for a second agency."""
    org = factory.org()
    return Api(app, client, org, tokens_for(db_session, org))


# ----- the description ----------------------------------------------------------------------


@pytest.fixture
def bare_app(settings):
    """The app without a database: enough for the description and the route map."""
    return create_app(settings, session_factory=sessionmaker())


def test_openapi_is_public_valid_and_documents_auth_and_errors(bare_app):
    client = bare_app.test_client()
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    validate_spec(spec)
    assert spec["openapi"] == "3.1.0"
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    error_shape = spec["components"]["schemas"]["ErrorDetail"]
    assert set(error_shape["required"]) == {"code", "message", "fields"}


def test_every_route_is_documented_and_every_documented_route_exists(bare_app):
    routes = {
        (method.lower(), re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule), rule.endpoint)
        for rule in bare_app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1")
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }
    documented = {
        (method, path, f"api.{op['operationId']}")
        for path, methods in SPEC["paths"].items()
        for method, op in methods.items()
    }
    assert routes == documented


def test_other_parts_of_the_api_add_their_own_description_without_overwriting():
    spec: dict[str, Any] = {"paths": {"/api/v1/me": {}}, "tags": [{"name": "meta"}]}
    schemas: dict[str, Any] = {"Me": {}}
    part = {
        "paths": {"/api/v1/tasks": {"get": {"operationId": "list_tasks", "ok": [200, "Tasks"]}}},
        "components": {"schemas": {"Tasks": {"type": "object"}}},
        "tags": [{"name": "tasks"}],
    }
    _merge(spec, schemas, part, "tasks.openapi.yaml")
    assert set(spec["paths"]) == {"/api/v1/me", "/api/v1/tasks"} and "Tasks" in schemas
    assert [t["name"] for t in spec["tags"]] == ["meta", "tasks"]
    with pytest.raises(ValueError, match="/api/v1/me"):
        _merge(spec, schemas, {"paths": {"/api/v1/me": {}}}, "again.openapi.yaml")
    with pytest.raises(ValueError, match="Tasks"):
        _merge(spec, schemas, {"components": {"schemas": {"Tasks": {}}}}, "again.openapi.yaml")


# ----- registering --------------------------------------------------------------------------


def test_register_incoming_gives_the_next_number_and_refuses_duplicates(api):
    first = api.register()
    assert (first["arrival_number"], first["status"], first["warnings"]) == (1, "registered", [])
    assert first["arrival_date"] == clock.today().isoformat() and first["type_name"] == "Công văn"
    assert first["files"][0]["name"] == "công văn.pdf" and first["files"][0]["is_main"]
    conflict = api.upload("incoming", incoming(), make_pdf())
    assert "01/" in error(conflict, 409, "possible_duplicate")["message"]
    again = api.upload("incoming", incoming(allow_duplicate=True), make_pdf())
    assert again.status_code == 201 and again.headers["Location"].endswith(
        f"/api/v1/documents/{again.get_json()['id']}"
    )
    assert again.get_json()["arrival_number"] == 2 and again.get_json()["warnings"]


NOT_PDF = b"\x89PNG\r\n\x1a\n" + b"0" * 200


@pytest.mark.parametrize(
    ("metadata", "pdf", "status", "code", "field"),
    [
        (None, make_pdf(), 400, "missing_part", "metadata"),
        (incoming(), None, 400, "missing_part", "file"),
        ("{not json", make_pdf(), 400, "bad_json", "metadata"),
        ('["CV"]', make_pdf(), 400, "bad_json", "metadata"),
        (incoming(issued_date="2026-02-30"), make_pdf(), 422, "invalid_input", "issued_date"),
        (incoming(issued_date="20/11/2026"), make_pdf(), 422, "invalid_input", "issued_date"),
        (incoming(issued_date=days(1)), make_pdf(), 422, "invalid_input", "issued_date"),
        (incoming(due_date=1767225600), make_pdf(), 422, "invalid_input", "due_date"),
        (incoming(type_code="XYZ"), make_pdf(), 422, "invalid_input", "type_code"),
        (incoming(urgency="rat_khan"), make_pdf(), 422, "invalid_input", "urgency"),
        (incoming(page_amount="3"), make_pdf(), 422, "invalid_input", "page_amount"),
        (incoming(so_den=5), make_pdf(), 422, "invalid_input", "so_den"),
        ({"subject": "Thiếu gần hết"}, make_pdf(), 422, "invalid_input", "organ_name"),
        (incoming(), NOT_PDF, 422, "not_pdf", "file"),
        (incoming(), b"", 422, "file_empty", "file"),
    ],
)
def test_bad_uploads_are_refused_clearly_and_nothing_is_saved(
    api, metadata, pdf, status, code, field
):
    response = api.upload("incoming", metadata, pdf)
    assert field in error(response, status, code)["fields"]
    assert api.call("GET", "/api/v1/documents").get_json()["items"] == []
    assert api.register()["arrival_number"] == 1  # the number was not used up


def test_upload_over_the_limit_is_413(settings, db_connection, factory, db_session):
    small = load_settings(
        env="test", instance_dir=settings.instance_dir, secret_key="x" * 40, max_upload_mb=1
    )
    app = create_app(small, session_factory=lambda: bind_session(db_connection))
    org = factory.org()
    api = Api(app, app.test_client(), org, tokens_for(db_session, org))
    response = api.upload("incoming", incoming(), b"%PDF-1.4\n" + b"0" * (1024 * 1024 + 1))
    error(response, 413, "payload_too_large")
    assert api.call("GET", "/api/v1/documents").get_json()["items"] == []


def test_me_and_agencies_answer_as_documented(api):
    me = api.call("GET", "/api/v1/me").get_json()
    assert me["id"] == api.org.clerk.id and me["roles"] == ["clerk"]
    codes = [a["code"] for a in api.call("GET", "/api/v1/agencies").get_json()["items"]]
    assert api.org.agency.code in codes


def test_tokens_and_roles_are_enforced(api):
    error(api.call("GET", "/api/v1/documents", who=None), 401, "unauthorized")
    response = api.client.get("/api/v1/documents", headers={"Authorization": "Bearer eo_sai"})
    assert response.status_code == 401
    refused = api.upload("incoming", incoming(), make_pdf(), who="specialist")
    error(refused, 403, "forbidden")


def test_outgoing_draft_by_signer_id_or_user_name(api):
    by_id = api.upload(
        "outgoing",
        {
            "type_code": "QD",
            "subject": "Quyết định thành lập tổ công tác",
            "signer_id": api.org.leader.id,
        },
        make_pdf(),
        who="specialist",
    )
    body = by_id.get_json()
    assert by_id.status_code == 201 and body["status"] == "draft"
    assert (
        body["signer"]["id"] == api.org.leader.id and body["drafter"]["id"] == api.org.specialist.id
    )
    assert body["organ_name"] == api.org.agency.name and body["arrival_number"] is None
    by_name = api.upload(
        "outgoing",
        json.dumps(
            {"type_code": "CV", "subject": "V/v họp", "signer_username": api.org.leader.username}
        ).encode(),
        make_pdf(),
        who="specialist",
    )
    assert by_name.status_code == 201 and by_name.get_json()["signer"]["id"] == api.org.leader.id


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({}, "signer_id"),
        ({"signer_username": "khong.co.ai"}, "signer_username"),
        ({"signer_id": "leader"}, "signer_id"),
        ({"signer_id": "SPECIALIST"}, "signer_id"),
        ({"signer_id": "LEADER", "recipients": ["000.00.99.H99"]}, "recipients"),
        ({"signer_id": "LEADER", "in_reply_to_id": "OTHER"}, "in_reply_to_id"),
        ({"signer_id": "LEADER", "arrival_date": days(0)}, "arrival_date"),
    ],
)
def test_bad_outgoing_drafts_are_refused(api, other, changes, field):
    ids = {"LEADER": api.org.leader.id, "SPECIALIST": api.org.specialist.id}
    if "in_reply_to_id" in changes:
        ids["OTHER"] = other.register()["id"]
    changes = {k: ids.get(v, v) if isinstance(v, str) else v for k, v in changes.items()}
    metadata = {"type_code": "CV", "subject": "V/v họp giao ban"} | changes
    response = api.upload("outgoing", metadata, make_pdf(), who="specialist")
    assert field in error(response, 422, "invalid_input")["fields"]
    assert api.call("GET", "/api/v1/documents?direction=outgoing").get_json()["items"] == []


# ----- reading ------------------------------------------------------------------------------


def test_list_filters_and_cursor_pages(api):
    old = api.register(code_number="1", arrival_date=days(-2), issued_date=days(-5), type_code="QD")
    api.register(code_number="2", subject="Kế hoạch chuyển đổi số", urgency="hoa_toc")
    api.register(code_number="3")

    def ids(query: str) -> list[int]:
        response = api.call("GET", f"/api/v1/documents?{query}")
        assert response.status_code == 200
        return [item["id"] for item in response.get_json()["items"]]

    first = api.call("GET", "/api/v1/documents?limit=2").get_json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = api.call("GET", f"/api/v1/documents?limit=2&cursor={first['next_cursor']}").get_json()
    assert [i["id"] for i in rest["items"]] == [old["id"]] and rest["next_cursor"] is None
    assert {"subject", "code_number", "code_notation", "arrival_number", "due_date"} <= set(
        rest["items"][0]
    )
    assert len(ids("q=chuyen doi so")) == 1 and len(ids("urgency=hoa_toc")) == 1
    assert ids("type_code=QD") == [old["id"]] and ids(f"date_to={days(-1)}") == [old["id"]]
    assert len(ids(f"date_from={days(-1)}&direction=incoming&status=registered")) == 2
    assert len(ids("queue=to_present")) == 3 and ids("direction=outgoing") == []
    assert ids(f"handler_id={api.org.specialist.id}") == []


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=abc",
        "date_from=2026-13-01",
        "date_from=1700006400",
        "direction=sideways",
        "status=lost",
        "queue=everything",
        "cursor=%%%",
        "date_from=2026-02-01&date_to=2026-01-01",
        "sort=id",
    ],
)
def test_list_refuses_bad_parameters(api, query):
    response = api.call("GET", f"/api/v1/documents?{query}")
    assert error(response, 422, "invalid_input")["fields"]


def test_detail_has_metadata_files_and_timeline_and_hides_other_agencies(api, other):
    created = api.register()
    body = api.call("GET", f"/api/v1/documents/{created['id']}").get_json()
    assert body["organ_id"] == "000.00.02.H34" and body["signer_position"] == "Giám đốc"
    (pdf,) = body["files"]
    assert pdf["size"] > 0 and len(pdf["sha256"]) == 64
    (event,) = body["timeline"]
    assert event["action"] == "document.register_incoming"
    assert event["actor"]["full_name"] == api.org.clerk.full_name and event["at"].endswith("+07:00")
    hidden = other.call("GET", f"/api/v1/documents/{created['id']}")
    missing = other.call("GET", "/api/v1/documents/999999")
    assert error(hidden, 404, "not_found") == error(missing, 404, "not_found")
    assert created["subject"] not in hidden.text
    error(
        other.post(f"/api/v1/documents/{created['id']}/present", {"leader_id": 1}), 404, "not_found"
    )


def test_download_is_an_attachment_checked_against_its_hash(api, other, settings):
    pdf = make_pdf("Tệp gốc")
    created = api.upload("incoming", incoming(), pdf).get_json()
    response = api.call("GET", f"/api/v1/documents/{created['id']}/file")
    assert response.status_code == 200 and response.data == pdf
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    file_id = created["files"][0]["id"]
    same = api.call("GET", f"/api/v1/documents/{created['id']}/files/{file_id}")
    assert same.data == pdf
    error(api.call("GET", f"/api/v1/documents/{created['id']}/files/999999"), 404, "not_found")
    error(other.call("GET", f"/api/v1/documents/{created['id']}/file"), 404, "not_found")
    stored = BlobStore(settings.effective_blob_dir).path_for(created["files"][0]["sha256"])
    stored.write_bytes(pdf.replace(b"%PDF", b"%PDx"))
    error(api.call("GET", f"/api/v1/documents/{created['id']}/file"), 500, "blob_corrupted")


# ----- incoming actions ---------------------------------------------------------------------


def test_incoming_document_is_presented_assigned_reassigned_and_completed(api):
    doc = api.register()
    url = f"/api/v1/documents/{doc['id']}"
    error(api.post(f"{url}/complete", {"result": "Xong"}, who="specialist"), 404, "not_found")
    presented = api.post(f"{url}/present", {"leader_id": api.org.leader.id})
    twice = api.post(f"{url}/present", {"leader_id": api.org.leader.id})
    assert "Chờ cho ý kiến" in error(twice, 409, "invalid_transition")["message"]
    assert (
        presented.status_code == 200
        and presented.get_json()["presented_to"]["id"] == api.org.leader.id
    )
    returned = api.post(f"{url}/return", {"reason": "Trình nhầm lãnh đạo"}, who="leader")
    assert returned.get_json()["status"] == "registered"
    api.post(f"{url}/present", {"leader_id": api.org.leader.id})
    plan = {
        "lead": {"unit_id": api.org.unit_head.unit_id},
        "cooperate": [{"user_id": api.org.clerk.id}],
        "deadline": days(5),
        "instruction": "Giao Văn phòng chủ trì, báo cáo trước hạn.",
    }
    assigned = api.post(f"{url}/assign", plan, who="leader").get_json()
    assert assigned["status"] == "assigned" and assigned["instruction"] == plan["instruction"]
    assert [a["role"] for a in assigned["assignments"]] == ["lead", "cooperate"]
    handler = {"handler_id": api.org.specialist.id, "deadline": days(4), "note": "Anh xử lý"}
    api.post(f"{url}/reassign", handler, who="unit_head")
    done = api.post(
        f"{url}/complete", {"result": "Đã báo cáo bằng văn bản 45/VP"}, who="specialist"
    )
    body = done.get_json()
    assert body["status"] == "completed" and body["completed_at"]
    assert [e["action"] for e in body["timeline"]] == [
        "document.register_incoming",
        "document.present",
        "document.return",
        "document.present",
        "document.assign",
        "document.reassign",
        "document.complete",
    ]
    assert body["timeline"][2]["details"]["reason"] == "Trình nhầm lãnh đạo"


@pytest.mark.parametrize(
    ("action", "raw", "status", "code", "field"),
    [
        ("present", b"{bad", 400, "bad_json", "body"),
        ("present", b"[1, 2]", 400, "bad_json", "body"),
        ("present", b"{}", 422, "invalid_input", "leader_id"),
        ("present", b'{"leader_id": 999999}', 422, "invalid_input", "leader_id"),
        ("present", b'{"leader_id": "SPECIALIST"}', 422, "invalid_input", "leader_id"),
        ("assign", b'{"lead": {"unit_id": 1, "user_id": 2}}', 422, "invalid_input", "lead"),
        (
            "assign",
            b'{"lead": {"user_id": "LEADER"}, "deadline": "2020-01-01"}',
            422,
            "invalid_input",
            "deadline",
        ),
        (
            "assign",
            b'{"lead": {"user_id": "LEADER"}, "cooperate": [{}]}',
            422,
            "invalid_input",
            "cooperate.0",
        ),
        ("reject", b'{"reason": "x", "extra": 1}', 422, "invalid_input", "extra"),
        ("return", b'{"reason": "  "}', 422, "invalid_input", "reason"),
        ("complete", b"{}", 422, "invalid_input", "result"),
    ],
)
def test_action_bodies_are_checked(api, action, raw, status, code, field):
    doc = api.register()
    for name in ("SPECIALIST", "LEADER"):
        raw = raw.replace(f'"{name}"'.encode(), str(getattr(api.org, name.lower()).id).encode())
    if action == "assign":
        api.post(f"/api/v1/documents/{doc['id']}/present", {"leader_id": api.org.leader.id})
    who = "leader" if action in ("assign", "return") else "clerk"
    if action == "return":
        api.post(f"/api/v1/documents/{doc['id']}/present", {"leader_id": api.org.leader.id})
    response = api.post(f"/api/v1/documents/{doc['id']}/{action}", raw=raw, who=who)
    assert field in error(response, status, code)["fields"]


def _arrival(db_session, sender: Org, receiver: Org, policy_dir) -> int:
    """Issue a document from ``sender`` to ``receiver`` on this instance; return the arrival."""
    policy = FilePolicy(BlobStore(policy_dir), 10 * 1024 * 1024, 1024 * 1024)
    data = DraftInput(
        DocumentMetadata(type_code="CV", subject="V/v phối hợp kiểm tra"),
        signer_id=sender.leader.id,
        recipient_codes=(receiver.agency.code,),
    )
    doc = create_draft(
        db_session,
        Actor(user=sender.specialist),
        data,
        Upload("a.pdf", "application/pdf", make_pdf()),
        policy,
    )
    submit_draft(db_session, Actor(user=sender.specialist), doc)
    review_draft(db_session, Actor(user=sender.unit_head), doc)
    approve_draft(db_session, Actor(user=sender.leader), doc)
    mark_signed(db_session, Actor(user=sender.leader), doc, make_pdf("da ky"), policy)
    assign_number(db_session, Actor(user=sender.clerk), doc)
    mark_sealed(db_session, Actor(user=sender.clerk), doc, make_pdf("dong dau"), policy)
    (recipient,) = issue_document(db_session, Actor(user=sender.clerk), doc)
    db_session.commit()
    assert recipient.incoming_document_id is not None
    return recipient.incoming_document_id


def test_arrivals_are_accepted_or_rejected_with_a_reason(api, other, db_session, settings):
    first = _arrival(db_session, other.org, api.org, settings.effective_blob_dir)
    accepted = api.post(f"/api/v1/documents/{first}/accept").get_json()
    assert (accepted["status"], accepted["arrival_number"]) == ("registered", 1)
    assert accepted["organ_name"] == other.org.agency.name and accepted["source"] == "internal"
    second = _arrival(db_session, other.org, api.org, settings.effective_blob_dir)
    error(api.post(f"/api/v1/documents/{second}/reject", {"reason": ""}), 422, "invalid_input")
    rejected = api.post(f"/api/v1/documents/{second}/reject", {"reason": "Gửi nhầm cơ quan"})
    assert rejected.get_json()["status"] == "rejected"
    error(api.post(f"/api/v1/documents/{second}/accept"), 409, "invalid_transition")
    error(other.post(f"/api/v1/documents/{first}/accept"), 404, "not_found")


# ----- outgoing actions ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_pki(tmp_path_factory):
    return build_demo_pki(
        tmp_path_factory.mktemp("pki"),
        leaders=["Lãnh đạo thử nghiệm"],
        agencies=["Cơ quan thử nghiệm"],
        passphrase=PASSPHRASE,
        key_algorithm="ec-p256",
    )


def _png(color: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (120, 120), color).save(out, format="PNG")
    return out.getvalue()


def _install_keys(db_session, org: Org, pki) -> None:
    for owner, (name, image) in (
        ({"user_id": org.leader.id}, ("Lãnh đạo thử nghiệm", _png("blue"))),
        ({"agency_id": org.agency.id}, ("Cơ quan thử nghiệm", _png("red"))),
    ):
        p12 = pki.path(pki.identity(name).p12_path).read_bytes()
        db_session.add(
            SigningCredential(
                kind=CredentialKind.PKCS12.value, pkcs12=p12, image_png=image, **owner
            )
        )
    db_session.commit()


def _upload_draft(api: Api, other: Api, subject: str) -> dict[str, Any]:
    """A specialist's draft (uploaded PDF) to ``other``'s agency, signed by the leader."""
    draft = {
        "type_code": "CV",
        "subject": subject,
        "signer_id": api.org.leader.id,
        "recipients": [other.org.agency.code],
    }
    return api.upload("outgoing", draft, make_pdf("Du thao"), who="specialist").get_json()


def test_outgoing_draft_goes_through_review_signature_and_issue(api, other, db_session, demo_pki):
    _install_keys(db_session, api.org, demo_pki)
    draft = _upload_draft(api, other, "V/v triển khai chuyển đổi số")
    url = f"/api/v1/documents/{draft['id']}"
    error(api.post(f"{url}/approve", who="leader"), 409, "invalid_transition")
    error(api.post(f"{url}/submit", who="clerk"), 403, "forbidden")
    assert api.post(f"{url}/submit", who="specialist").get_json()["status"] == "in_review"
    error(api.post(f"{url}/return-draft", {}, who="unit_head"), 422, "invalid_input")
    back = api.post(f"{url}/return-draft", {"comment": "Sửa căn cứ"}, who="unit_head").get_json()
    assert back["status"] == "draft" and back["timeline"][-1]["details"]["comment"] == "Sửa căn cứ"
    api.post(f"{url}/submit", who="specialist")
    assert (
        api.post(f"{url}/review", {"comment": "Đạt"}, who="unit_head").get_json()["status"]
        == "awaiting_approval"
    )
    assert api.post(f"{url}/approve", who="leader").get_json()["status"] == "approved"
    wrong = api.post(f"{url}/sign", {"passphrase": "sai"}, who="leader")
    assert "passphrase" in error(wrong, 422, wrong.get_json()["error"]["code"])["fields"]
    assert PASSPHRASE not in wrong.text
    signed = api.post(f"{url}/sign", {"passphrase": PASSPHRASE}, who="leader").get_json()
    assert signed["status"] == "signed" and [f["kind"] for f in signed["files"]] == [
        "original",
        "signed",
    ]
    error(api.post(f"{url}/issue", {"passphrase": PASSPHRASE}, who="specialist"), 403, "forbidden")
    refused = api.post(f"{url}/issue", {"passphrase": "sai"})
    assert "passphrase" in error(refused, 422, refused.get_json()["error"]["code"])["fields"]
    issued = api.post(f"{url}/issue", {"passphrase": PASSPHRASE}).get_json()
    assert issued["status"] == "issued" and issued["code"] == f"01/{api.org.agency.short_name}-VP"
    assert issued["recipients"][0]["status"] == "arrived" and issued["signature_status"]
    arrived = other.call("GET", "/api/v1/documents?queue=pending_accept").get_json()["items"]
    assert [d["code"] for d in arrived] == [issued["code"]]


def test_issuing_a_secret_document_to_another_agency_is_refused(api, other, db_session):
    draft = _upload_draft(api, other, "V/v phương án bảo vệ bí mật")
    url = f"/api/v1/documents/{draft['id']}"
    api.post(f"{url}/submit", who="specialist")
    api.post(f"{url}/review", {"comment": "Đạt"}, who="unit_head")
    api.post(f"{url}/approve", who="leader")
    doc = db_session.get(Document, draft["id"])
    policy = FilePolicy(
        BlobStore(api.app.extensions["eoffice"]["settings"].effective_blob_dir),
        10 * 1024 * 1024,
        1024 * 1024,
    )
    mark_signed(db_session, Actor(user=api.org.leader), doc, make_pdf("da ky"), policy)
    doc.secrecy = "mat"  # marked secret after its recipients were chosen
    db_session.add(SecretGrant(document_id=doc.id, user_id=api.org.clerk.id))
    db_session.commit()
    refused = error(api.post(f"{url}/issue", {"passphrase": "x"}), 422, "secret_document")
    assert refused["message"] == "Văn bản mật không được gửi điện tử ra ngoài cơ quan"
    assert "recipients" in refused["fields"]
    after = api.call("GET", url).get_json()
    assert after["status"] == "signed" and not after["code_number"]
    assert other.call("GET", "/api/v1/documents?queue=pending_accept").get_json()["items"] == []
