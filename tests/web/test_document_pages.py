"""The registry's HTML pages through the Flask test client: every page, every action, bad input.

Assertions are on what the user sees (Vietnamese messages, statuses) and on what was saved.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from eoffice import clock
from eoffice.documents.blobs import BlobStore, FilePolicy, Upload
from eoffice.documents.incoming import AssignmentPlan, Target, assign_document, present_to_leader
from eoffice.documents.incoming import register_incoming as register_service
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
from eoffice.org.models import Power
from eoffice.settings import load_settings
from tests.conftest import bind_session
from tests.documents.conftest import incoming_meta, make_pdf
from tests.factories import _HASH, PASSWORD
from tests.web.test_pages import csrf_from, login

TODAY = clock.today()


@dataclass
class Env:
    """An agency with one user per role, its file store, and the test client."""

    app: object
    client: object
    session: object
    org: object
    policy: FilePolicy
    factory: object

    def as_user(self, user) -> None:
        """Continue as ``user`` in a fresh browser (cookie jar)."""
        self.client = self.app.test_client()
        response = login(self.client, user.username)
        assert response.status_code == 302

    def get(self, url: str, status: int = 200):
        response = self.client.get(url)
        assert response.status_code == status, response.text[:2000]
        return response

    def post(self, url: str, data: dict, *, page: str | None = None, status: int = 302):
        """POST with the CSRF token of ``page`` (default: the same URL)."""
        token = csrf_from(self.client.get(page or url).text)
        response = self.client.post(url, data={"csrf_token": token, **data})
        assert response.status_code == status, _flashes(response.text) or response.text[:3000]
        return response

    def act(self, document: Document, action: str, data: dict, status: int = 302):
        """Post one action form of the document page (fields get the action's prefix)."""
        url = f"/documents/{document.id}"
        token = csrf_from(self.client.get(url).text)
        fields = {f"{action}-{k}": v for k, v in data.items()}
        response = self.client.post(
            f"{url}/{action}", data={f"{action}-csrf_token": token, **fields}
        )
        assert response.status_code == status, _flashes(response.text) or response.text[:3000]
        return response

    def reload(self, document: Document) -> Document:
        self.session.expire_all()
        return self.session.get(Document, document.id)


def _flashes(html: str) -> str:
    return " | ".join(re.findall(r'class="(?:flash[^"]*|error)"[^>]*>([^<]+)<', html))


@pytest.fixture(scope="module")
def shared_app(tmp_path_factory):
    """One app for the module: compiling the templates again for every test would dominate."""
    from eoffice.web import create_app

    settings = load_settings(
        env="test",
        instance_dir=tmp_path_factory.mktemp("pages") / "instance",
        secret_key="x" * 40,
        base_url="http://127.0.0.1:5000",
    )
    return create_app(settings, session_factory=lambda: None)


@pytest.fixture
def app(shared_app, db_connection, monkeypatch):
    """The shared app, bound to this test's rolled-back connection."""
    monkeypatch.setitem(
        shared_app.extensions["eoffice"], "session_factory", lambda: bind_session(db_connection)
    )
    return shared_app


@pytest.fixture
def settings(shared_app):
    return shared_app.extensions["eoffice"]["settings"]


@pytest.fixture(autouse=True)
def _fast_logins(monkeypatch):
    """Argon2 costs half a second per login by design; these tests log in often."""
    from eoffice.org import auth

    monkeypatch.setattr(
        auth, "verify_password", lambda hashed, password: hashed == _HASH and password == PASSWORD
    )
    monkeypatch.setattr(auth, "needs_rehash", lambda hashed: False)


@pytest.fixture
def env(app, client, db_session, factory, settings) -> Env:
    org = factory.org()
    policy = FilePolicy(
        BlobStore(settings.effective_blob_dir),
        max_main_bytes=settings.max_upload_mb * 1024 * 1024,
        max_attachment_bytes=settings.max_attachment_mb * 1024 * 1024,
    )
    login(client, org.clerk.username)
    return Env(app, client, db_session, org, policy, factory)


def _pdf_file(text: str = "Cong van so 123", name: str = "cong-van.pdf"):
    return (io.BytesIO(make_pdf(text)), name)


def _register_form(**overrides) -> dict:
    values = {
        "type_code": "CV",
        "organ_name": "Sở Tài chính tỉnh Khánh Hòa",
        "code_number": "123",
        "code_notation": "STC-NS",
        "issued_date": (TODAY - timedelta(days=2)).isoformat(),
        "arrival_date": TODAY.isoformat(),
        "subject": "V/v báo cáo tình hình thực hiện nhiệm vụ quý IV",
        "signer_name": "Trần Văn Bình",
        "signer_position": "Giám đốc",
        "urgency": "thuong",
        "secrecy": "thuong",
        "due_date": "",
        "description": "",
        "file": _pdf_file(),
    }
    values.update(overrides)
    return values


def _count(session, **where) -> int:
    stmt = select(func.count()).select_from(Document).filter_by(**where)
    return session.execute(stmt).scalar_one()


def _registered(env: Env, **meta) -> Document:
    """An incoming document registered through the service (fixture data for action tests)."""
    values = {"issued_date": TODAY - timedelta(days=1)} | meta
    registration = register_service(
        env.session,
        Actor(user=env.org.clerk),
        incoming_meta(**values),
        Upload("den.pdf", "application/pdf", make_pdf("van ban den")),
        env.policy,
    )
    return registration.document


# --- menu and home --------------------------------------------------------------------------


def test_menu_shows_the_clerks_queues_with_live_counts(env):
    _registered(env)
    _registered(env, code_number="124")
    home = env.get("/")
    assert re.search(r"Chờ trình\s*<span[^>]*>\(2\)", home.text)
    assert re.search(r"Chờ vào sổ\s*<span[^>]*>\(0\)", home.text)
    assert "Vào sổ văn bản đến" in home.text and "Sổ văn bản đến" in home.text
    assert "Chờ cho ý kiến" not in home.text  # a leader's queue, not the clerk's
    cards = re.search(r'data-testid="home-queues">(.*?)</div>', home.text, re.S).group(1)
    assert re.search(r'<span class="n">2</span>Chờ trình', cards)


def test_menu_of_a_leader_has_the_leaders_queues(env):
    document = _registered(env)
    present_to_leader(env.session, Actor(user=env.org.clerk), document, env.org.leader)
    env.as_user(env.org.leader)
    home = env.get("/")
    assert re.search(r"Chờ cho ý kiến\s*<span[^>]*>\(1\)", home.text)
    assert re.search(r"Chờ ký\s*<span[^>]*>\(0\)", home.text)
    assert "Chờ vào sổ" not in home.text
    queue = env.get("/documents/queue/to_instruct")
    assert document.subject in queue.text


# --- registering an incoming document ------------------------------------------------------


def test_clerk_registers_an_incoming_document(env):
    page = env.get("/documents/incoming/new")
    assert "Vào sổ văn bản đến" in page.text
    types = re.search(r'<select[^>]*name="type_code".*?</select>', page.text, re.S).group(0)
    assert types.count("<option") == 1 + 29  # "choose" and the 29 types of Điều 7
    assert 'list="known-agencies"' in page.text and env.org.agency.name in page.text
    response = env.post("/documents/incoming/new", _register_form())
    document = env.session.execute(select(Document)).scalars().all()[-1]
    assert response.headers["Location"] == f"/documents/{document.id}"
    shown = env.get(response.headers["Location"])
    assert "Đã vào sổ văn bản đến số 01/" in shown.text
    assert "Đã vào sổ, chờ trình" in shown.text and "123/STC-NS" in shown.text
    assert document.number == 1 and document.organ_name == "Sở Tài chính tỉnh Khánh Hòa"


def test_registration_form_keeps_input_and_lists_every_missing_field(env):
    data = _register_form(organ_name="", code_number="", subject="", issued_date="")
    response = env.post("/documents/incoming/new", data, status=422)
    page = response.text
    for message in (
        "Cơ quan ban hành là bắt buộc",
        "Số văn bản là bắt buộc",
        "Ngày văn bản là bắt buộc",
        "Trích yếu là bắt buộc",
    ):
        assert message in page
    assert 'value="STC-NS"' in page and "Trần Văn Bình" in page  # what was typed stays
    assert "Đã giữ tệp: cong-van.pdf" in page  # the PDF need not be chosen again
    assert _count(env.session) == 0


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"arrival_date": (TODAY + timedelta(days=1)).isoformat()},
            "Ngày đến không được sau hôm nay",
        ),
        (
            {
                "issued_date": (TODAY - timedelta(days=1)).isoformat(),
                "arrival_date": (TODAY - timedelta(days=3)).isoformat(),
            },
            "Ngày văn bản không được sau ngày đến",
        ),
        ({"issued_date": "31/02/2026"}, "Ngày không hợp lệ (dd/mm/yyyy)"),
        (
            {"due_date": (TODAY - timedelta(days=1)).isoformat()},
            "Hạn giải quyết không được trước ngày đến",
        ),
        ({"type_code": "XYZ"}, "Loại văn bản không hợp lệ"),
        ({"subject": "x" * 501}, "Tối đa 500 ký tự"),
    ],
)
def test_registration_refuses_bad_dates_and_values(env, overrides, message):
    response = env.post("/documents/incoming/new", _register_form(**overrides), status=422)
    assert message in response.text
    assert "Đã giữ tệp: cong-van.pdf" in response.text
    assert _count(env.session) == 0


def test_registration_refuses_a_file_that_is_not_a_pdf(env):
    fake = (io.BytesIO(b"<html><script>alert(1)</script></html>"), "cong-van.pdf")
    response = env.post("/documents/incoming/new", _register_form(file=fake), status=422)
    assert "Tệp chính phải là PDF" in response.text and "Không phải tệp PDF" in response.text
    assert "Đã giữ tệp" not in response.text  # a bad file is not kept for the next try
    assert _count(env.session) == 0


def test_registration_without_a_file_asks_for_one(env):
    data = _register_form()
    del data["file"]
    response = env.post("/documents/incoming/new", data, status=422)
    assert "Chọn tệp PDF của văn bản" in response.text
    assert _count(env.session) == 0


def test_an_oversized_upload_is_refused_with_a_message(env, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 64 * 1024)
    big = (io.BytesIO(b"%PDF-1.4\n" + b"0" * 100 * 1024), "lon.pdf")
    token = csrf_from(env.get("/documents/incoming/new").text)
    response = env.client.post(
        "/documents/incoming/new", data={"csrf_token": token, **_register_form(file=big)}
    )
    assert response.status_code == 413
    assert "Tệp tải lên vượt quá dung lượng cho phép" in response.text
    assert _count(env.session) == 0


def test_a_possible_duplicate_is_confirmed_with_the_kept_file(env):
    env.post("/documents/incoming/new", _register_form())
    response = env.post("/documents/incoming/new", _register_form(), status=409)
    assert "Văn bản có thể đã được vào sổ (số đến 01/" in response.text
    assert 'data-testid="duplicate-warning"' in response.text and "Vẫn vào sổ" in response.text
    assert _count(env.session) == 1
    token = re.search(r'name="kept_file" type="hidden" value="([^"]+)"', response.text).group(1)
    data = _register_form(allow_duplicate="y", kept_file=token)
    del data["file"]  # the browser cannot re-send it; the kept file is used
    confirmed = env.post("/documents/incoming/new", data)
    page = env.get(confirmed.headers["Location"])
    assert (
        "Đã vào sổ văn bản đến số 02/" in page.text and "Trùng với văn bản đến số 01/" in page.text
    )
    assert _count(env.session) == 2


def test_a_kept_file_token_works_only_for_the_user_it_was_given_to(env):
    response = env.post("/documents/incoming/new", _register_form(subject=""), status=422)
    token = re.search(r'name="kept_file" type="hidden" value="([^"]+)"', response.text).group(1)
    other_clerk = env.factory.user(env.org.agency, "clerk")
    env.as_user(other_clerk)
    data = _register_form(kept_file=token)
    del data["file"]
    refused = env.post("/documents/incoming/new", data, status=422)
    assert "Chọn tệp PDF của văn bản" in refused.text
    assert _count(env.session) == 0


def test_only_clerks_open_the_registration_form(env):
    env.as_user(env.org.specialist)
    env.get("/documents/incoming/new", status=403)


def test_a_form_without_csrf_token_is_refused(env):
    response = env.client.post("/documents/incoming/new", data=_register_form())
    assert response.status_code == 400 and "CSRF" in response.text
    document = _registered(env)
    refused = env.client.post(f"/documents/{document.id}/present", data={"present-leader_id": "1"})
    assert refused.status_code == 400 and "CSRF" in refused.text
    assert env.reload(document).status == "registered"


# --- lists, queues, search -----------------------------------------------------------------


def test_the_incoming_register_lists_documents_with_the_paper_columns(env):
    urgent = _registered(env, urgency="hoa_toc", subject="Về phòng chống bão số 13")
    _registered(env, code_number="200", urgency="khan")
    overdue = register_service(
        env.session,
        Actor(user=env.org.clerk),
        incoming_meta(
            code_number="300",
            issued_date=TODAY - timedelta(days=12),
            due_date=TODAY - timedelta(days=2),
        ),
        Upload("qh.pdf", "application/pdf", make_pdf("qua han")),
        env.policy,
        arrival_date=TODAY - timedelta(days=10),
    ).document
    page = env.get("/documents/incoming").text
    for column in (
        "Số đến",
        "Ngày đến",
        "Số/Ký hiệu",
        "Ngày văn bản",
        "Cơ quan ban hành",
        "Trích yếu",
        "Người xử lý",
        "Hạn xử lý",
        "Trạng thái",
    ):
        assert f"<th>{column}</th>" in page
    assert '<span class="urg urg-hoa_toc">Hỏa tốc</span>' in page
    assert '<span class="urg urg-khan">Khẩn</span>' in page
    assert re.search(rf'<tr class="overdue" data-id="{overdue.id}">', page)
    assert re.search(rf'<tr class="" data-id="{urgent.id}">', page)
    assert "Quá hạn" in page and clock.format_date(TODAY - timedelta(days=2)) in page


def test_search_forgives_missing_diacritics_and_keeps_filters(env, monkeypatch):
    from eoffice.web.documents import lists

    monkeypatch.setattr(lists, "PAGE_SIZE", 2)
    for n in range(3):
        _registered(env, code_number=f"4{n}", subject=f"Quyết định về đất đai số {n}")
    _registered(env, code_number="99", subject="Mời họp giao ban tháng")
    first = env.get("/documents/search?q=quyet+dinh+dat+dai&urgency=thuong")
    rows = re.findall(r'<tr class="[^"]*" data-id="(\d+)">', first.text)
    assert len(rows) == 2 and "họp giao ban" not in first.text
    assert 'value="quyet dinh dat dai"' in first.text  # the filter stays in the box
    next_url = re.search(r'<a href="([^"]+)" rel="next">Trang sau', first.text).group(1)
    assert "q=quyet+dinh+dat+dai" in next_url and "urgency=thuong" in next_url
    second = env.get(next_url.replace("&amp;", "&"))
    more = re.findall(r'<tr class="[^"]*" data-id="(\d+)">', second.text)
    assert len(more) == 1 and not set(more) & set(rows)
    assert "Trang sau" not in second.text and "Trang đầu" in second.text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("date_from=2026-13-45", "Ngày không hợp lệ (dd/mm/yyyy)"),
        ("date_from=2026-05-10&date_to=2026-05-01", "Trước ngày bắt đầu"),
        ("cursor=khong-hop-le", "Con trỏ trang không hợp lệ"),
    ],
)
def test_bad_filters_are_explained(env, query, message):
    response = env.get(f"/documents/incoming?{query}", status=422)
    assert message in response.text


def test_queues_outgoing_register_and_unknown_queue(env):
    env.get("/documents/queue/khong-co", status=404)
    env.as_user(env.org.specialist)
    draft = _draft(env)
    mine = env.get("/documents/queue/my_drafts").text
    assert draft.subject in mine and "<th>Người ký</th>" in mine
    register = env.get("/documents/outgoing").text
    assert draft.subject in register and "Dự thảo" in register


# --- the document page ---------------------------------------------------------------------


def test_document_page_shows_metadata_pdf_timeline_and_only_allowed_actions(env):
    document = _registered(env, urgency="khan")
    page = env.get(f"/documents/{document.id}").text
    assert "123/STC-NS" in page and "Sở Tài chính tỉnh Khánh Hòa" in page
    assert f'src="/documents/{document.id}/file"' in page and "<iframe" in page
    assert "Vào sổ văn bản đến" in page and env.org.clerk.full_name in page  # timeline
    assert 'data-action="present"' in page and 'data-action="assign"' not in page
    env.as_user(env.org.leader)
    leader_page = env.get(f"/documents/{document.id}").text
    assert 'data-action="assign"' in leader_page and 'data-action="present"' not in leader_page
    env.as_user(env.org.specialist)
    env.get(f"/documents/{document.id}", status=404)  # not involved: not visible


def test_the_pdf_is_served_inline_only_sandboxed(env):
    document = _registered(env)
    response = env.get(f"/documents/{document.id}/file")
    assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF-")
    assert response.headers["Content-Disposition"].startswith("inline")
    # Sandboxed, and framed only by the document's own page (the viewer's iframe).
    assert response.headers["Content-Security-Policy"] == "sandbox; frame-ancestors 'self'"
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    file_id = document.files[0].id
    download = env.get(f"/documents/{document.id}/files/{file_id}")
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["Content-Security-Policy"] == "sandbox; frame-ancestors 'none'"
    assert download.headers["X-Frame-Options"] == "DENY"
    page = env.get(f"/documents/{document.id}")
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    env.get(f"/documents/{document.id}/files/999999", status=404)


def test_another_agencys_document_is_not_found(env):
    other = env.factory.org()
    theirs = register_service(
        env.session,
        Actor(user=other.clerk),
        incoming_meta(issued_date=TODAY - timedelta(days=1)),
        Upload("x.pdf", "application/pdf", make_pdf()),
        env.policy,
    ).document
    for url in (f"/documents/{theirs.id}", f"/documents/{theirs.id}/file"):
        assert "Không tìm thấy văn bản" in env.get(url, status=404).text
    token = csrf_from(env.get("/").text)
    response = env.client.post(
        f"/documents/{theirs.id}/present",
        data={"present-csrf_token": token, "present-leader_id": str(other.leader.id)},
    )
    assert response.status_code == 404
    env.session.expire_all()
    assert env.session.get(Document, theirs.id).status == "registered"


def test_the_timeline_says_on_whose_behalf_and_with_what_instruction(env):
    from eoffice.org.delegations import create_delegation

    document = _registered(env)
    present_to_leader(env.session, Actor(user=env.org.clerk), document, env.org.leader)
    deputy = env.factory.user(env.org.agency, "unit_head")
    create_delegation(
        env.session,
        Actor.system(),
        env.org.leader,
        deputy,
        ["assign"],
        clock.now() - timedelta(hours=1),
        clock.now() + timedelta(days=1),
    )
    plan = AssignmentPlan(
        lead=Target(unit_id=env.org.specialist.unit_id),
        deadline=TODAY + timedelta(days=5),
        instruction="Giao Văn phòng tham mưu, báo cáo trước hạn.",
    )
    assign_document(
        env.session,
        Actor(user=deputy, on_behalf_of=env.org.leader, powers=frozenset({Power.ASSIGN})),
        document,
        plan,
    )
    page = env.get(f"/documents/{document.id}").text
    assert f"thay mặt {env.org.leader.full_name}" in page
    assert "Giao Văn phòng tham mưu, báo cáo trước hạn." in page
    assert clock.format_date(TODAY + timedelta(days=5)) in page and "Chủ trì" in page


# --- incoming actions ------------------------------------------------------------------------


def _presented(env: Env) -> Document:
    document = _registered(env)
    present_to_leader(env.session, Actor(user=env.org.clerk), document, env.org.leader)
    return document


def _assigned_to_unit(env: Env) -> Document:
    document = _presented(env)
    plan = AssignmentPlan(lead=Target(unit_id=env.org.unit_head.unit_id))
    assign_document(env.session, Actor(user=env.org.leader), document, plan)
    return document


def test_clerk_presents_to_a_leader(env):
    document = _registered(env)
    missing = env.act(document, "present", {"leader_id": ""}, status=422)
    assert "Chọn lãnh đạo" in missing.text and env.reload(document).status == "registered"
    not_leader = env.act(document, "present", {"leader_id": str(env.org.specialist.id)}, status=422)
    assert "Người nhận trình phải là lãnh đạo của cơ quan" in not_leader.text
    response = env.act(document, "present", {"leader_id": str(env.org.leader.id)})
    page = env.get(response.headers["Location"]).text
    assert f"Đã trình lãnh đạo {env.org.leader.full_name}." in page and "Chờ cho ý kiến" in page
    assert env.reload(document).presented_to_id == env.org.leader.id


def test_leader_instructs_and_assigns_in_one_form(env):
    document = _presented(env)
    env.as_user(env.org.leader)
    form = env.get(f"/documents/{document.id}").text
    unit = f"unit:{env.org.unit_head.unit_id}"
    assert f'value="{unit}"' in form and f'value="user:{env.org.specialist.id}"' in form
    response = env.act(
        document,
        "assign",
        {
            "lead": unit,
            "cooperate": f"user:{env.org.specialist.id}",
            "inform": f"user:{env.org.clerk.id}",
            "deadline": (TODAY + timedelta(days=7)).isoformat(),
            "instruction": "Đề nghị Văn phòng chủ trì, báo cáo kết quả.",
        },
    )
    page = env.get(response.headers["Location"]).text
    assert "Đã cho ý kiến và phân công xử lý." in page and "Đang xử lý" in page
    assert "Đề nghị Văn phòng chủ trì, báo cáo kết quả." in page
    document = env.reload(document)
    roles = sorted(a.role for a in document.assignments if a.is_active)
    assert roles == ["cooperate", "inform", "lead"]
    assert document.due_date == TODAY + timedelta(days=7)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"lead": ""}, "Bắt buộc"),
        ({"lead": "user:999999"}, "Đơn vị hoặc người nhận không thuộc cơ quan"),
        ({"deadline": (TODAY - timedelta(days=1)).isoformat()}, "Hạn xử lý không được ở quá khứ"),
    ],
)
def test_a_bad_assignment_is_explained_and_nothing_is_saved(env, data, message):
    document = _presented(env)
    env.as_user(env.org.leader)
    values = {"lead": f"unit:{env.org.unit_head.unit_id}", "instruction": "Giữ lại"} | data
    response = env.act(document, "assign", values, status=422)
    assert message in response.text and "Giữ lại" in response.text
    document = env.reload(document)
    assert document.status == "presented" and document.assignments == []


def test_only_a_leader_may_assign(env):
    document = _presented(env)
    response = env.act(
        document, "assign", {"lead": f"unit:{env.org.unit_head.unit_id}"}, status=403
    )
    assert "Bạn không có quyền thực hiện thao tác này" in response.text
    assert env.reload(document).status == "presented"


def test_leader_returns_with_a_reason_and_an_explicit_confirmation(env):
    document = _presented(env)
    env.as_user(env.org.leader)
    unconfirmed = env.act(document, "return", {"reason": "Trình nhầm người"}, status=422)
    assert "Đánh dấu xác nhận để tiếp tục" in unconfirmed.text
    no_reason = env.act(document, "return", {"reason": " ", "confirm": "y"}, status=422)
    assert "Trả lại phải có lý do" in no_reason.text
    assert env.reload(document).status == "presented"
    response = env.act(document, "return", {"reason": "Trình nhầm người", "confirm": "y"})
    page = env.get(response.headers["Location"]).text
    assert "Đã trả lại văn bản." in page and "Trình nhầm người" in page
    assert env.reload(document).status == "registered"


def test_unit_head_passes_on_and_specialist_completes(env):
    document = _assigned_to_unit(env)
    env.as_user(env.org.unit_head)
    page = env.get(f"/documents/{document.id}").text
    assert 'data-action="reassign"' in page and 'data-action="assign"' not in page
    outsider = env.factory.user(env.factory.agency(), "specialist")
    unknown = env.act(document, "reassign", {"handler_id": str(outsider.id)}, status=422)
    assert "Chọn người xử lý" in unknown.text  # another agency's person reads as unknown
    locked = env.factory.user(env.org.agency, "specialist")
    locked.is_active = False
    env.session.flush()
    wrong = env.act(document, "reassign", {"handler_id": str(locked.id)}, status=422)
    assert "Người xử lý phải thuộc đơn vị chủ trì" in wrong.text
    late = env.act(
        document,
        "reassign",
        {"handler_id": str(env.org.specialist.id), "deadline": "2020-01-01"},
        status=422,
    )
    assert "Hạn xử lý phải trong hạn lãnh đạo giao" in late.text
    env.act(document, "reassign", {"handler_id": str(env.org.specialist.id), "note": "Xử lý gấp"})
    env.as_user(env.org.specialist)
    assert document.subject in env.get("/documents/queue/in_progress").text
    empty = env.act(document, "complete", {"result": "  "}, status=422)
    assert "Nhập kết quả xử lý" in empty.text
    response = env.act(document, "complete", {"result": "Đã báo cáo UBND tỉnh."})
    page = env.get(response.headers["Location"]).text
    assert "Đã hoàn thành xử lý văn bản." in page and "Hoàn thành" in page
    assert "Đã báo cáo UBND tỉnh." in page and "Xử lý gấp" in page
    assert env.reload(document).status == "completed"


def test_unknown_action_is_not_found(env):
    document = _registered(env)
    token = csrf_from(env.get(f"/documents/{document.id}").text)
    response = env.client.post(f"/documents/{document.id}/xoa", data={"csrf_token": token})
    assert response.status_code == 404


# --- outgoing: drafts and the internal exchange ------------------------------------------------


def _draft(env: Env, recipients: tuple[str, ...] = (), drafter=None, **meta) -> Document:
    values = {"type_code": "CV", "subject": "V/v triển khai chuyển đổi số năm 2027"} | meta
    return create_draft(
        env.session,
        Actor(user=drafter or env.org.specialist),
        DraftInput(
            meta=DocumentMetadata(**values),
            signer_id=env.org.leader.id,
            recipient_codes=recipients,
        ),
        Upload("du-thao.pdf", "application/pdf", make_pdf("du thao")),
        env.policy,
    )


def _draft_form(**overrides) -> dict:
    values = {
        "type_code": "CV",
        "subject": "V/v đề nghị phối hợp kiểm tra công tác văn thư",
        "urgency": "thuong",
        "secrecy": "thuong",
        "due_date": "",
        "description": "",
        "file": _pdf_file("Du thao", "du-thao.pdf"),
    }
    return values | overrides


def test_specialist_creates_a_draft_with_signer_and_recipients(env):
    receiver = env.factory.org()
    env.as_user(env.org.specialist)
    form = env.get("/documents/outgoing/new").text
    assert f"{env.org.leader.full_name}" in form and receiver.agency.code in form
    assert env.org.agency.code not in re.findall(r'name="recipients"[^>]*value="([^"]+)"', form)
    response = env.post(
        "/documents/outgoing/new",
        _draft_form(signer_id=str(env.org.leader.id), recipients=[receiver.agency.code]),
    )
    page = env.get(response.headers["Location"]).text
    assert "Đã tạo dự thảo." in page and "Dự thảo" in page
    assert receiver.agency.name in page and "Chờ gửi" in page
    document = env.session.execute(
        select(Document).where(Document.direction == "outgoing")
    ).scalar_one()
    assert document.signer_id == env.org.leader.id and document.drafter_id == env.org.specialist.id


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"signer_id": ""}, "Người ký phải là lãnh đạo của cơ quan"),
        ({"recipients": ["999.99.99.X99"]}, "Không tìm thấy cơ quan nhận: 999.99.99.X99"),
        ({"subject": ""}, "Trích yếu là bắt buộc"),
        ({"file": b"not a pdf"}, "Không phải tệp PDF"),
    ],
)
def test_a_bad_draft_is_explained_and_not_saved(env, overrides, message):
    env.as_user(env.org.specialist)
    data = _draft_form(signer_id=str(env.org.leader.id)) | overrides
    if isinstance(data["file"], bytes):  # a fresh stream per run: werkzeug closes it after use
        data["file"] = (io.BytesIO(data["file"]), "du-thao.pdf")
    response = env.post("/documents/outgoing/new", data, page="/documents/outgoing/new", status=422)
    assert message in response.text
    assert _count(env.session, direction="outgoing") == 0


def test_draft_goes_through_review_approval_and_returns(env):
    document = _draft(env)
    env.as_user(env.org.specialist)
    env.act(document, "submit", {})
    env.as_user(env.org.unit_head)
    no_comment = env.act(document, "return_draft", {"comment": "", "confirm": "y"}, status=422)
    assert "Trả lại dự thảo phải có ý kiến" in no_comment.text
    env.act(document, "return_draft", {"comment": "Sửa căn cứ pháp lý", "confirm": "y"})
    assert env.reload(document).status == "draft"
    env.as_user(env.org.specialist)
    page = env.get(f"/documents/{document.id}").text
    assert "Sửa căn cứ pháp lý" in page and 'data-action="replace_file"' in page
    token = csrf_from(page)
    replaced = env.client.post(
        f"/documents/{document.id}/replace_file",
        data={
            "replace_file-csrf_token": token,
            "replace_file-file": _pdf_file("ban sua", "v2.pdf"),
        },
    )
    assert replaced.status_code == 302
    assert "v2.pdf" in env.get(f"/documents/{document.id}").text
    env.act(document, "submit", {})
    env.as_user(env.org.unit_head)
    env.act(document, "review", {"comment": "Đã kiểm tra thể thức"})
    env.as_user(env.org.leader)
    response = env.act(document, "approve", {"comment": "Đồng ý"})
    page = env.get(response.headers["Location"]).text
    assert "Đã duyệt dự thảo." in page and "Đồng ý" in page and "Đã kiểm tra thể thức" in page
    assert env.reload(document).status == "approved"
    assert 'data-action="sign"' in page


def test_replacing_a_draft_file_refuses_a_non_pdf(env):
    document = _draft(env)
    env.as_user(env.org.specialist)
    token = csrf_from(env.get(f"/documents/{document.id}").text)
    response = env.client.post(
        f"/documents/{document.id}/replace_file",
        data={
            "replace_file-csrf_token": token,
            "replace_file-file": (io.BytesIO(b"GIF89a"), "x.pdf"),
        },
    )
    assert response.status_code == 422 and "Không phải tệp PDF" in response.text
    assert len(env.reload(document).files) == 1


def _sealed(env: Env, receiver, **meta) -> Document:
    """A draft to ``receiver`` taken through signature, number and seal (made elsewhere)."""
    document = _draft(env, recipients=(receiver.agency.code,), **meta)
    submit_draft(env.session, Actor(user=env.org.specialist), document)
    review_draft(env.session, Actor(user=env.org.unit_head), document)
    approve_draft(env.session, Actor(user=env.org.leader), document)
    mark_signed(env.session, Actor(user=env.org.leader), document, make_pdf("ky"), env.policy)
    assign_number(env.session, Actor(user=env.org.clerk), document)
    mark_sealed(env.session, Actor(user=env.org.clerk), document, make_pdf("dau"), env.policy)
    return document


def test_a_document_sealed_elsewhere_is_delivered_after_confirmation(env):
    receiver = env.factory.org()
    document = _sealed(env, receiver)
    unconfirmed = env.act(document, "deliver", {}, status=422)
    assert "Đánh dấu xác nhận để tiếp tục" in unconfirmed.text
    assert env.reload(document).status == "sealed"
    response = env.act(document, "deliver", {"confirm": "y"})
    page = env.get(response.headers["Location"]).text
    assert "Đã phát hành văn bản." in page and "Đã đến, chờ tiếp nhận" in page


def test_issuing_before_signing_is_refused(env):
    document = _draft(env)
    response = env.act(document, "deliver", {"confirm": "y"}, status=409)
    assert (
        "Không thể thực hiện «Phát hành» khi văn bản đang ở trạng thái «Dự thảo»" in response.text
    )
    assert env.reload(document).status == "draft"


def test_a_secret_document_is_not_delivered_to_another_agency(env):
    receiver = env.factory.org()
    document = _sealed(env, receiver)
    document.secrecy = "mat"  # marked secret after its recipients were chosen
    env.session.add(SecretGrant(document_id=document.id, user_id=env.org.clerk.id))
    env.session.commit()
    refused = env.act(document, "deliver", {"confirm": "y"}, status=422)
    assert "Văn bản mật không được gửi điện tử ra ngoài cơ quan" in refused.text
    assert env.reload(document).status == "sealed" and document.issued_at is None


def _issued(env: Env, receiver) -> Document:
    document = _sealed(env, receiver, urgency="thuong_khan")
    issue_document(env.session, Actor(user=env.org.clerk), document)
    return document


def test_receiving_clerk_accepts_and_the_sender_sees_it(env):
    receiver = env.factory.org()
    sent = _issued(env, receiver)
    arrived = sent.recipients[0].incoming_document_id
    env.as_user(receiver.clerk)
    queue = env.get("/documents/queue/pending_accept").text
    assert sent.subject in queue and env.org.agency.name in queue
    page = env.get(f"/documents/{arrived}").text
    assert 'data-action="accept"' in page and 'data-action="reject"' in page
    response = env.client.post(
        f"/documents/{arrived}/accept", data={"accept-csrf_token": csrf_from(page)}
    )
    assert response.status_code == 302
    assert "Đã tiếp nhận, vào sổ văn bản đến số 01." in env.get(f"/documents/{arrived}").text
    env.as_user(env.org.clerk)
    sender_page = env.get(f"/documents/{sent.id}").text
    assert re.search(r'data-recipient="[^"]+">.*?Đã tiếp nhận', sender_page, re.S)


def test_receiving_clerk_returns_with_a_reason(env):
    receiver = env.factory.org()
    sent = _issued(env, receiver)
    arrived = env.session.get(Document, sent.recipients[0].incoming_document_id)
    env.as_user(receiver.clerk)
    unconfirmed = env.act(arrived, "reject", {"reason": "Sai nơi nhận"}, status=422)
    assert "Đánh dấu xác nhận để tiếp tục" in unconfirmed.text
    env.act(arrived, "reject", {"reason": "Sai nơi nhận", "confirm": "y"})
    assert env.reload(arrived).status == "rejected"
    env.as_user(env.org.clerk)
    page = env.get(f"/documents/{sent.id}").text
    assert "Đã trả lại" in page and "Sai nơi nhận" in page


def test_accepting_a_possible_duplicate_needs_confirmation(env):
    receiver = env.factory.org()
    sent = _issued(env, receiver)
    arrived = env.session.get(Document, sent.recipients[0].incoming_document_id)
    register_service(  # the clerk had already registered the paper copy
        env.session,
        Actor(user=receiver.clerk),
        incoming_meta(
            code_number=sent.code_number,
            code_notation=sent.code_notation,
            organ_name=sent.organ_name,
            issued_date=sent.issued_date,
        ),
        Upload("giay.pdf", "application/pdf", make_pdf("ban giay")),
        env.policy,
    )
    env.as_user(receiver.clerk)
    warned = env.act(arrived, "accept", {}, status=409)
    assert "Văn bản có thể đã được vào sổ (số đến 01/" in warned.text
    assert 'data-testid="duplicate-warning"' in warned.text
    assert env.reload(arrived).status == "pending_accept"
    env.act(arrived, "accept", {"allow_duplicate": "y"})
    assert env.reload(arrived).status == "registered"


# --- signing: the leader's signature, the clerk's number, seal and issue ----------------------

KEY_PASSPHRASE = "mat-khau-khoa-ky-so"


@dataclass(frozen=True)
class Keys:
    leader_p12: bytes
    seal_p12: bytes
    seal_png: bytes


@pytest.fixture(scope="module")
def demo_keys(tmp_path_factory) -> Keys:
    """A leader's and an agency's PKCS#12 from the demo PKI (built once for the module)."""
    from PIL import Image, ImageDraw

    from signing.pki import build_demo_pki

    # Port 9 (discard): revocation look-ups are refused at once, nothing leaves the machine.
    pki = build_demo_pki(
        tmp_path_factory.mktemp("pki"),
        leaders=["Lãnh đạo thử nghiệm"],
        agencies=["Cơ quan thử nghiệm"],
        passphrase=KEY_PASSPHRASE,
        base_url="http://127.0.0.1:9",
    )
    seal = Image.new("RGBA", (160, 160), (0, 0, 0, 0))
    ImageDraw.Draw(seal).ellipse((4, 4, 156, 156), outline=(220, 0, 0, 255), width=8)
    png = io.BytesIO()
    seal.save(png, format="PNG")
    return Keys(
        leader_p12=pki.path(pki.identity("Lãnh đạo thử nghiệm").p12_path).read_bytes(),
        seal_p12=pki.path(pki.identity("Cơ quan thử nghiệm").p12_path).read_bytes(),
        seal_png=png.getvalue(),
    )


def _install_keys(env: Env, keys: Keys) -> None:
    from eoffice.org.models import SigningCredential

    env.session.add_all(
        [
            SigningCredential(user_id=env.org.leader.id, kind="pkcs12", pkcs12=keys.leader_p12),
            SigningCredential(
                agency_id=env.org.agency.id,
                kind="pkcs12",
                pkcs12=keys.seal_p12,
                image_png=keys.seal_png,
            ),
        ]
    )
    env.session.flush()


def _approved(env: Env, recipients: tuple[str, ...] = ()) -> Document:
    document = _draft(env, recipients=recipients)
    submit_draft(env.session, Actor(user=env.org.specialist), document)
    review_draft(env.session, Actor(user=env.org.unit_head), document)
    approve_draft(env.session, Actor(user=env.org.leader), document)
    return document


def test_leader_signs_then_clerk_numbers_seals_and_issues(env, demo_keys):
    _install_keys(env, demo_keys)
    receiver = env.factory.org()
    document = _approved(env, recipients=(receiver.agency.code,))
    env.as_user(env.org.leader)
    page = env.get(f"/documents/{document.id}").text
    assert 'data-action="sign"' in page and 'type="password"' in page
    wrong = env.act(document, "sign", {"passphrase": "sai-mat-khau", "confirm": "y"}, status=422)
    assert "Mật khẩu của tệp khóa ký số (PKCS#12) không đúng." in wrong.text
    assert "sai-mat-khau" not in wrong.text  # the passphrase is never written back
    assert env.reload(document).status == "approved"
    unconfirmed = env.act(document, "sign", {"passphrase": KEY_PASSPHRASE}, status=422)
    assert "Đánh dấu xác nhận để tiếp tục" in unconfirmed.text
    signed = env.act(document, "sign", {"passphrase": KEY_PASSPHRASE, "confirm": "y"})
    assert "Đã ký số văn bản." in env.get(signed.headers["Location"]).text
    assert env.reload(document).status == "signed"
    env.as_user(env.org.clerk)
    assert document.subject in env.get("/documents/queue/to_issue").text
    issued = env.act(document, "issue", {"passphrase": KEY_PASSPHRASE, "confirm": "y"})
    page = env.get(issued.headers["Location"]).text
    document = env.reload(document)
    assert document.status == "issued" and document.code.startswith("01/")
    assert f"Đã cấp số {document.code}, ký số cơ quan và phát hành." in page
    assert 'data-testid="signature-badge"' in page and "Bản phát hành" in page
    assert re.search(r"Đã đến, chờ tiếp nhận", page)  # delivered inside the instance


def test_issuing_before_the_signature_is_refused_and_uses_no_number(env, demo_keys):
    _install_keys(env, demo_keys)
    document = _approved(env)
    response = env.act(
        document, "issue", {"passphrase": KEY_PASSPHRASE, "confirm": "y"}, status=409
    )
    assert (
        "Không thể thực hiện «Cấp số, ngày» khi văn bản đang ở trạng thái «Chờ ký»" in response.text
    )
    document = env.reload(document)
    assert document.status == "approved" and document.number is None
