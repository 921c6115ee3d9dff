"""The Báo cáo pages: dashboard with SVG charts, the report, drill-down, XLSX and PDF exports."""

from __future__ import annotations

import io
import re
import subprocess
from datetime import date

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from eoffice import clock
from eoffice.org.actor import Actor
from eoffice.tasks.calendar import WorkingCalendar
from eoffice.tasks.inputs import TargetRef
from eoffice.tasks.models import Task
from eoffice.tasks.services_work import confirm_completion, submit_completion
from tests.tasks.conftest import MONDAY, give, vn
from tests.web.test_pages import login

D = date.fromisoformat
LATER = vn("2026-11-10 09:00")


@pytest.fixture
def data(factory, db_session):
    """A province, a late department (1 overdue, 1 in term) and an on-time commune."""
    calendar = WorkingCalendar()
    province = factory.org()
    dept = factory.org(parent=province.agency)
    commune = factory.org(parent=province.agency)
    with clock.frozen(MONDAY):
        for title, code, due in [
            ("Kế hoạch chuyển đổi số năm 2027", dept.agency.code, "2026-11-04"),
            ("Báo cáo biên chế quý IV", dept.agency.code, "2026-11-30"),
            ("Rà soát hộ nghèo", commune.agency.code, "2026-11-04"),
        ]:
            task = give(
                db_session,
                province.leader,
                calendar,
                lead=TargetRef(agency_code=code),
                due=D(due),
                title=title,
            )
        submit_completion(db_session, Actor(user=commune.leader), task, "Đã rà soát")
        confirm_completion(db_session, Actor(user=province.leader), task)
    db_session.commit()
    return province, dept, commune


@pytest.fixture
def later():
    with clock.frozen(LATER):
        yield


def test_the_dashboard_draws_the_bar_chart_with_the_goal_line(client, data, later):
    province, dept, commune = data
    login(client, province.leader.username)
    page = client.get("/reports/")
    assert page.status_code == 200
    html = page.text
    assert "<script" not in html
    svg = re.search(r'<svg class="chart"[^>]*data-testid="bar-chart".*?</svg>', html, re.S).group(0)
    assert 'data-testid="goal-line"' in svg and "Mục tiêu 3%" in svg
    assert 'data-rag="red"' in svg and 'data-rag="green"' in svg
    # Worst first: the department (100%) before the commune (0%).
    assert svg.index(dept.agency.name[:30]) < svg.index(commune.agency.name[:30])
    assert 'data-testid="trend-chart"' in html
    assert "Kế hoạch chuyển đổi số năm 2027" not in html  # not due this week (04/11 is last week)
    assert "(Hoàn thành quá hạn + Chưa hoàn thành quá hạn)" in html


def test_every_number_drills_down_to_its_tasks(client, data, later):
    province, dept, _ = data
    login(client, province.leader.username)
    report = client.get("/reports/lateness?date_from=2026-11-01&date_to=2026-11-30&group_by=agency")
    link = re.search(
        rf'<tr data-key="{re.escape(dept.agency.code)}">.*?href="([^"]*status=OPEN_OVERDUE[^"]*)"',
        report.text,
        re.S,
    ).group(1)
    tasks = client.get(link.replace("&amp;", "&"))
    assert "Kế hoạch chuyển đổi số năm 2027" in tasks.text
    assert "Báo cáo biên chế quý IV" not in tasks.text


def test_xlsx_export(client, data, later):
    province, dept, _ = data
    login(client, province.leader.username)
    response = client.get("/reports/lateness.xlsx?date_from=2026-11-01&date_to=2026-11-30")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Content-Security-Policy"].startswith("sandbox")
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "BÁO CÁO TÌNH HÌNH THỰC HIỆN NHIỆM VỤ ĐƯỢC GIAO"
    header = next(r for r in rows if r[0] == "Cơ quan chủ trì")
    assert header[1:3] == ("Tổng số", "Hoàn thành đúng hạn")
    dept_row = next(r for r in rows if r[0] == dept.agency.name)
    assert (
        dept_row[1:7] == (2, 0, 0, 1, 1, 0) and dept_row[7] == 1.0
    )  # (0 late + 1 overdue) / (0 done + 1 overdue)
    assert any(str(r[0]).startswith("Công thức: Tỷ lệ nhiệm vụ quá hạn") for r in rows if r[0])


def test_pdf_export_has_vietnamese_text(client, data, later, tmp_path):
    province, *_ = data
    login(client, province.leader.username)
    response = client.get("/reports/lateness.pdf?date_from=2026-11-01&date_to=2026-11-30")
    assert response.status_code == 200 and response.data.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(response.data))
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "BÁO CÁO TÌNH HÌNH THỰC HIỆN NHIỆM VỤ ĐƯỢC GIAO" in text
    assert "100,00%" in text and "Tổng cộng" in text
    path = tmp_path / "report.pdf"
    path.write_bytes(response.data)
    # qpdf (installed with the signing tools) checks the file's structure.
    assert subprocess.run(["qpdf", "--check", str(path)], capture_output=True).returncode == 0


def test_a_period_that_ends_before_it_starts_is_an_error_page(client, data, later):
    province, *_ = data
    login(client, province.leader.username)
    response = client.get("/reports/lateness?date_from=2026-11-30&date_to=2026-11-01")
    assert response.status_code == 422
    assert "Tham số báo cáo chưa hợp lệ" in response.text


def test_specialists_cannot_open_reports(client, data, later):
    province, *_ = data
    login(client, province.specialist.username)
    assert client.get("/reports/").status_code == 403
    assert client.get("/reports/lateness").status_code == 403
    assert "Không có báo cáo cho vai trò này" in client.get("/").text


def _cell(html: str, code: str, status: str) -> int:
    row = re.search(rf'<tr data-key="{re.escape(code)}">(.*?)</tr>', html, re.S).group(1)
    return int(re.search(rf'status={status}"[^>]*>(\d+)<', row).group(1))


def test_the_dashboard_is_up_to_date_right_after_a_task_changes(client, data, later, db_session):
    province, dept, _ = data
    login(client, province.leader.username)
    html = client.get("/reports/").text
    assert (
        _cell(html, dept.agency.code, "OPEN_OVERDUE"),
        _cell(html, dept.agency.code, "DONE_LATE"),
    ) == (1, 0)
    # Its drill-down links (one route built per table) lead to the tasks behind each number.
    link = re.search(
        rf'<tr data-key="{re.escape(dept.agency.code)}">.*?href="([^"]*status=OPEN_OVERDUE[^"]*)"',
        html,
        re.S,
    ).group(1)
    assert "Kế hoạch chuyển đổi số năm 2027" in client.get(link.replace("&amp;", "&")).text
    task = db_session.scalars(
        select(Task).where(Task.title == "Kế hoạch chuyển đổi số năm 2027")
    ).one()
    submit_completion(db_session, Actor(user=dept.leader), task, "Đã trình kế hoạch")
    confirm_completion(db_session, Actor(user=province.leader), task)
    db_session.commit()
    html = client.get("/reports/").text
    assert (
        _cell(html, dept.agency.code, "OPEN_OVERDUE"),
        _cell(html, dept.agency.code, "DONE_LATE"),
    ) == (0, 1)
    total = re.search(r'<tr class="total" data-key="">(.*?)</tr>', html, re.S).group(1)
    assert re.search(r'status=DONE_LATE"[^>]*>1<', total)
