"""Soạn dự thảo từ biểu mẫu: the page builds the draft PDF from typed text, or previews it."""

from __future__ import annotations

import io
import unicodedata

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from eoffice.documents.files import read_file
from eoffice.documents.models import Document
from eoffice.web.documents.register import default_signer_authority
from eoffice.web.session import file_policy
from tests.documents.conftest import make_pdf
from tests.factories import _HASH, PASSWORD
from tests.web.test_pages import csrf_from, login

URL = "/documents/outgoing/new"
PREVIEW = "/documents/outgoing/new/preview"
SUBJECT = "V/v đề nghị phối hợp kiểm tra công tác văn thư"
BODY = "Thực hiện kế hoạch công tác năm, Ủy ban đề nghị các cơ quan phối hợp kiểm tra."
BOTH = "Chỉ dùng một cách: tải lên tệp PDF hoặc soạn từ biểu mẫu"
NEITHER = "Chọn tệp PDF của dự thảo, hoặc nhập nội dung ở mục “Soạn từ biểu mẫu”."


@pytest.fixture(autouse=True)
def _fast_logins(monkeypatch):
    """Argon2 costs half a second per login by design."""
    from eoffice.org import auth

    monkeypatch.setattr(
        auth, "verify_password", lambda hashed, password: hashed == _HASH and password == PASSWORD
    )
    monkeypatch.setattr(auth, "needs_rehash", lambda hashed: False)


@pytest.fixture
def org(factory, db_session):
    parent = factory.agency()
    org = factory.org(parent=parent)
    org.leader.position = "Phó Chủ tịch"
    db_session.flush()
    return org


@pytest.fixture
def receiver(factory):
    return factory.org()


@pytest.fixture
def drafter(client, org):
    assert login(client, org.specialist.username).status_code == 302
    return client


def _form(org, receiver, **overrides) -> dict:
    values = {
        "type_code": "CV",
        "subject": SUBJECT,
        "urgency": "thuong",
        "secrecy": "thuong",
        "due_date": "",
        "description": "",
        "signer_id": str(org.leader.id),
        "recipients": [receiver.agency.code],
        "body": BODY,
        "signer_authority": "",
    }
    return values | overrides


def _post(client, url: str, data: dict):
    token = csrf_from(client.get(URL).text)
    return client.post(url, data={"csrf_token": token, **data})


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    return unicodedata.normalize("NFC", " ".join(text.split()))


def _count(session) -> int:
    return session.execute(select(func.count()).select_from(Document)).scalar_one()


def test_the_page_offers_both_ways_and_a_preview(drafter):
    page = drafter.get(URL).text
    assert "Soạn từ biểu mẫu" in page and 'name="body"' in page
    assert 'name="signer_authority"' in page
    assert f'formaction="{PREVIEW}"' in page and "Xem trước" in page


def test_a_draft_from_the_form_stores_the_built_pdf(app, drafter, org, receiver, db_session):
    response = _post(drafter, URL, _form(org, receiver))
    assert response.status_code == 302, response.text[:3000]
    document = db_session.execute(select(Document)).scalar_one()
    assert document.direction == "outgoing" and document.status == "draft"
    assert document.signer_id == org.leader.id
    with app.test_request_context():
        row, data = read_file(file_policy(), document)
    assert row.filename == "du-thao-cv.pdf" and data.startswith(b"%PDF")
    text = _text(data)
    assert SUBJECT in text and BODY in text
    assert org.leader.full_name in text and "KT. CHỦ TỊCH" in text and "PHÓ CHỦ TỊCH" in text
    assert receiver.agency.name in text and "Nơi nhận" in text
    assert org.agency.name.upper() in text and org.agency.parent.name.upper() in text


def test_a_typed_authority_and_a_heading_are_printed(app, drafter, org, receiver, db_session):
    data = _form(org, receiver, type_code="QD", subject="Về việc ban hành quy chế văn thư")
    data["signer_authority"] = "TM. ỦY BAN NHÂN DÂN\r\nCHỦ TỊCH"
    response = _post(drafter, URL, data)
    assert response.status_code == 302, response.text[:3000]
    document = db_session.execute(select(Document)).scalar_one()
    with app.test_request_context():
        row, pdf = read_file(file_policy(), document)
    text = _text(pdf)
    assert row.filename == "du-thao-qd.pdf"
    assert "QUYẾT ĐỊNH" in text and "TM. ỦY BAN NHÂN DÂN" in text and "KT." not in text


def test_preview_returns_the_pdf_and_saves_nothing(drafter, org, receiver, db_session):
    response = _post(drafter, PREVIEW, _form(org, receiver))
    assert response.status_code == 200, response.text[:3000]
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("inline")
    assert response.headers["Content-Security-Policy"] == "sandbox; frame-ancestors 'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    text = _text(response.data)
    assert SUBJECT in text and BODY in text
    assert _count(db_session) == 0


def test_preview_needs_the_typed_text(drafter, org, receiver, db_session):
    response = _post(drafter, PREVIEW, _form(org, receiver, body="  "))
    assert response.status_code == 422
    assert "Nhập nội dung văn bản để xem trước" in response.text
    assert _count(db_session) == 0


def test_preview_explains_missing_fields(drafter, org, receiver):
    response = _post(drafter, PREVIEW, _form(org, receiver, subject=""))
    assert response.status_code == 422 and "Trích yếu là bắt buộc" in response.text


@pytest.mark.parametrize("url", [URL, PREVIEW])
def test_a_file_and_typed_text_together_are_refused(drafter, org, receiver, db_session, url):
    data = _form(org, receiver, file=(io.BytesIO(make_pdf("du thao")), "du-thao.pdf"))
    response = _post(drafter, url, data)
    assert response.status_code == 422
    assert BOTH in response.text and 'id="body-err"' in response.text
    assert _count(db_session) == 0


def test_neither_a_file_nor_typed_text_is_refused(drafter, org, receiver, db_session):
    response = _post(drafter, URL, _form(org, receiver, body=""))
    assert response.status_code == 422
    assert NEITHER in response.text
    assert 'id="file-err"' in response.text and 'id="body-err"' in response.text
    assert _count(db_session) == 0


def test_a_refused_draft_from_the_form_keeps_the_typed_text(drafter, org, receiver, db_session):
    response = _post(drafter, URL, _form(org, receiver, subject=""))
    assert response.status_code == 422
    assert "Trích yếu là bắt buộc" in response.text and BODY in response.text
    assert "KT. CHỦ TỊCH" in response.text  # the default authority, shown for correction
    assert _count(db_session) == 0


@pytest.mark.parametrize(
    ("position", "expected"),
    [
        ("Phó Chủ tịch", "KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH"),
        ("Phó Giám đốc", "KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC"),
        ("Chủ tịch", "CHỦ TỊCH"),
        ("", ""),
    ],
)
def test_default_signer_authority(position, expected):
    assert default_signer_authority(position) == expected
