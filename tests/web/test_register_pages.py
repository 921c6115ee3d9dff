"""The register pages: the form, the preview, and the PDF and XLSX downloads."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from eoffice import clock
from eoffice.documents.incoming import AssignmentPlan, Target, assign_document, register_incoming
from eoffice.org.actor import Actor
from tests.documents.conftest import incoming_meta
from tests.web.test_pages import login

NOW = datetime(2026, 3, 20, 2, 0, tzinfo=UTC)
PERIOD = "date_from=2026-03-01&date_to=2026-03-31"


@pytest.fixture(autouse=True)
def frozen_clock():
    with clock.frozen(NOW):
        yield


@pytest.fixture
def org(factory, db_session):
    """An agency with two registered documents; the specialist handles the first one."""
    org = factory.org()
    clerk = Actor(user=org.clerk)
    docs = [
        register_incoming(
            db_session,
            clerk,
            incoming_meta(code_number=code, subject=subject, issued_date=date(2026, 3, 1)),
            None,
            None,
            arrival_date=date(2026, 3, day),
        ).document
        for code, subject, day in (
            ("11", "V/v kế hoạch phòng chống thiên tai", 2),
            ("12", "V/v tổng kết công tác văn thư", 9),
        )
    ]
    plan = AssignmentPlan(lead=Target(user_id=org.specialist.id), deadline=date(2026, 3, 31))
    assign_document(db_session, Actor(user=org.leader), docs[0], plan)
    db_session.flush()
    return org


def test_the_page_needs_a_login(client):
    response = client.get("/registers")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_form_starts_with_this_month(client, org):
    login(client, org.clerk.username)
    page = client.get("/registers")
    assert page.status_code == 200
    assert "Sổ đăng ký văn bản đến, văn bản đi" in page.text
    assert "Loại sổ" in page.text and "Quyển số" in page.text
    assert 'value="2026-03-01"' in page.text and 'value="2026-03-20"' in page.text


def test_preview_shows_the_cover_the_rows_and_the_download_links(client, org):
    login(client, org.clerk.username)
    page = client.get(f"/registers?kind=incoming&{PERIOD}&volume=2")
    assert page.status_code == 200
    assert "SỔ ĐĂNG KÝ VĂN BẢN ĐẾN" in page.text and org.agency.name in page.text
    assert "V/v kế hoạch phòng chống thiên tai" in page.text
    assert "V/v tổng kết công tác văn thư" in page.text
    assert "02/03/2026" in page.text
    assert (
        f"/registers/incoming.pdf?series=den&amp;{PERIOD.replace('&', '&amp;')}&amp;volume=2"
        in page.text
    )


def test_a_period_ending_before_it_starts_is_shown_next_to_the_field(client, org):
    login(client, org.clerk.username)
    page = client.get("/registers?kind=incoming&date_from=2026-03-10&date_to=2026-03-01")
    assert page.status_code == 422
    assert "Khoảng thời gian không hợp lệ" in page.text
    assert '<p class="error">Đến ngày phải bằng hoặc sau từ ngày</p>' in page.text
    assert 'value="2026-03-10"' in page.text and 'value="2026-03-01"' in page.text


def test_a_series_of_the_other_register_is_refused(client, org):
    login(client, org.clerk.username)
    page = client.get(f"/registers?kind=incoming&series=di&{PERIOD}")
    assert page.status_code == 422
    assert "Sổ «di» không thuộc sổ đăng ký văn bản đến" in page.text


def test_pdf_download(client, org):
    login(client, org.clerk.username)
    response = client.get(f"/registers/incoming.pdf?{PERIOD}")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment; ")
    assert 'filename="so-dang-ky-van-ban-den-01.03.2026-31.03.2026.pdf"' in disposition
    encoded = disposition.split("filename*=UTF-8''", 1)[1]
    assert unquote(encoded) == "Sổ đăng ký văn bản đến 01.03.2026-31.03.2026.pdf"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)
    assert "V/v tổng kết công tác văn thư" in text and "Từ số 01 đến số 02" in text


def test_xlsx_download(client, org):
    login(client, org.clerk.username)
    response = client.get(f"/registers/incoming.xlsx?{PERIOD}")
    assert response.status_code == 200
    assert response.mimetype == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "filename*=UTF-8''S%E1%BB%95%20%C4%91%C4%83ng" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data))["Sổ đăng ký"]
    assert [c.value for c in sheet["B"]][1:] == [1, 2]


def test_a_specialist_gets_only_the_documents_they_handle(client, org):
    login(client, org.specialist.username)
    response = client.get(f"/registers/incoming.xlsx?{PERIOD}")
    sheet = load_workbook(io.BytesIO(response.data))["Sổ đăng ký"]
    assert sheet.max_row == 2
    assert sheet["F2"].value == "Công văn: V/v kế hoạch phòng chống thiên tai"


def test_unknown_register_kind_gets_a_vietnamese_error(client, org):
    login(client, org.clerk.username)
    response = client.get(f"/registers/linh-tinh.pdf?{PERIOD}")
    assert response.status_code == 422
    assert "Loại sổ không tồn tại" in response.text


def test_bad_period_on_a_download_gets_a_vietnamese_error(client, org):
    login(client, org.clerk.username)
    response = client.get("/registers/outgoing.xlsx?date_from=2026-03-10&date_to=2026-03-01")
    assert response.status_code == 422
    assert "Khoảng thời gian không hợp lệ" in response.text


def test_unknown_format_is_not_found(client, org):
    login(client, org.clerk.username)
    assert client.get(f"/registers/incoming.docx?{PERIOD}").status_code == 404
