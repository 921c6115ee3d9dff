"""The incoming flow in headless Chromium with the demo province: clerk registers a PDF, presents
it; the leader instructs and assigns a unit; the unit head passes it to a specialist, who completes.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from eoffice import clock
from tests.documents.conftest import make_pdf

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def log_in(page: Page, live_server, username: str) -> None:
    """Log in as a demo user in a clean session."""
    # Let the PDF viewer finish first: a late response would set the old session cookie again.
    page.wait_for_load_state("networkidle")
    page.goto("about:blank")
    page.context.clear_cookies()
    page.goto(live_server.url + "/login")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(live_server.demo_password)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(live_server.url + "/")


def open_queue(page: Page, label: str) -> int:
    """Open a work queue from the menu; return the count the menu showed."""
    link = page.locator("nav.sidemenu a", has_text=re.compile(rf"^\s*{label}\s*\(\d+\)"))
    count = int(re.search(r"\((\d+)\)", link.inner_text()).group(1))
    link.click()
    expect(page.locator("h1")).to_have_text(label)
    return count


def shot(page: Page, tmp_path, name: str) -> None:
    page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)


def test_clerk_registers_leader_assigns_unit_head_passes_on_specialist_completes(
    live_server, page, tmp_path
):
    marker = uuid.uuid4().hex[:6]
    subject = f"V/v triển khai chuyển đổi số trong cơ quan nhà nước ({marker})"
    pdf = tmp_path / "cong-van-den.pdf"
    pdf.write_bytes(make_pdf("Cong van ve chuyen doi so"))
    today = clock.today()
    page.set_viewport_size({"width": 1366, "height": 900})

    # 1. The clerk registers the PDF with the Phụ lục VI fields.
    log_in(page, live_server, "vanthu.ubnd")
    page.locator("nav.sidemenu").get_by_role("link", name="Vào sổ văn bản đến").click()
    form = page.get_by_test_id("register-form")
    form.get_by_label("Tệp văn bản (PDF)").set_input_files(str(pdf))
    form.get_by_label("Loại văn bản").select_option("CV")
    form.get_by_label("Cơ quan ban hành").fill("Sở Tài chính tỉnh Khánh Hòa")
    form.get_by_label("Số", exact=True).fill(str(int(marker, 16) % 9000 + 1000))
    form.get_by_label("Ký hiệu").fill("STC-NS")
    form.get_by_label("Ngày văn bản").fill((today - timedelta(days=1)).isoformat())
    form.get_by_label("Trích yếu").fill(subject)
    form.get_by_label("Người ký", exact=True).fill("Đặng Hồng Ánh")
    form.get_by_label("Độ khẩn").select_option("thuong_khan")
    form.get_by_label("Ngày đến").fill((today - timedelta(days=2)).isoformat())  # a typo
    form.get_by_role("button", name="Vào sổ").click()
    # The server refuses it: the message sits next to the field, the input and the PDF are kept.
    form = page.get_by_test_id("register-form")
    expect(form.locator(".has-error")).to_contain_text("Ngày văn bản không được sau ngày đến")
    expect(form.get_by_test_id("kept-file")).to_contain_text("cong-van-den.pdf")
    expect(form.get_by_label("Trích yếu")).to_have_value(subject)
    shot(page, tmp_path, "1-register-form-error")
    form.get_by_label("Ngày đến").fill(today.isoformat())
    form.get_by_role("button", name="Vào sổ").click()
    expect(page.get_by_role("alert").first).to_contain_text("Đã vào sổ văn bản đến số")
    expect(page.get_by_test_id("doc-status")).to_contain_text("Đã vào sổ, chờ trình")
    expect(page.get_by_test_id("doc-status")).to_contain_text("Thượng khẩn")
    document_url = page.url
    shot(page, tmp_path, "2-document-registered")

    # ... and presents it to the chairwoman.
    present = page.locator('details[data-action="present"]')
    present.get_by_label("Trình lãnh đạo").select_option(label="Hoàng Thu Lan — Chủ tịch")
    present.get_by_role("button", name="Trình").click()
    expect(page.get_by_test_id("doc-status")).to_contain_text("Chờ cho ý kiến")
    expect(page.get_by_test_id("timeline")).to_contain_text("Trình lãnh đạo")

    # 2. The leader finds it in "Chờ cho ý kiến" and gives her instruction in one screen.
    log_in(page, live_server, "lanhdao.ubnd")
    count = open_queue(page, "Chờ cho ý kiến")
    rows = page.locator("table.register tbody tr[data-id]")
    expect(rows).to_have_count(count)
    row = rows.filter(has_text=marker)
    expect(row.locator(".urg")).to_have_text("Thượng khẩn")
    shot(page, tmp_path, "3-leader-queue")
    row.get_by_role("link", name=re.compile(marker)).click()
    assign = page.locator('details[data-action="assign"]')
    expect(assign).to_have_attribute("open", "")
    assign.get_by_label("Chủ trì").select_option(label="Phòng Kinh tế")
    assign.locator("fieldset, .field").filter(has_text="Phối hợp").get_by_label(
        "Phòng Khoa giáo - Văn xã"
    ).check()
    assign.get_by_label("Hạn xử lý").fill((today + timedelta(days=10)).isoformat())
    assign.get_by_label("Ý kiến chỉ đạo (bút phê)").fill(
        "Giao Phòng Kinh tế chủ trì, phối hợp Phòng Khoa giáo - Văn xã tham mưu."
    )
    shot(page, tmp_path, "4-leader-instruction")
    page.set_viewport_size({"width": 375, "height": 800})  # between meetings, on a phone
    expect(assign.get_by_role("button", name="Giao xử lý")).to_be_visible()
    shot(page, tmp_path, "4-leader-instruction-phone")
    page.set_viewport_size({"width": 1366, "height": 900})
    assign.get_by_role("button", name="Giao xử lý").click()
    expect(page.get_by_test_id("doc-status")).to_contain_text("Đang xử lý")
    expect(page.get_by_test_id("assignments")).to_contain_text("Phòng Kinh tế")
    expect(page.get_by_test_id("timeline")).to_contain_text("Giao Phòng Kinh tế chủ trì")

    # 3. The head of Phòng Kinh tế passes it to a specialist of the unit.
    log_in(page, live_server, "truongphong.kt.ubnd")
    open_queue(page, "Chờ phân công trong đơn vị")
    page.get_by_role("link", name=re.compile(marker)).first.click()
    reassign = page.locator('details[data-action="reassign"]')
    reassign.get_by_label("Người xử lý").select_option(label="Lê Minh Loan — Chuyên viên")
    reassign.get_by_label("Ghi chú").fill("Đồng chí Loan dự thảo văn bản trả lời.")
    reassign.get_by_role("button", name="Giao").click()
    expect(page.get_by_role("alert").first).to_contain_text("Đã giao Lê Minh Loan xử lý")

    # 4. The specialist finds it in "Đang xử lý" and completes it with a result.
    log_in(page, live_server, "chuyenvien1.ubnd")
    open_queue(page, "Đang xử lý")
    page.get_by_role("link", name=re.compile(marker)).first.click()
    assert page.url == document_url
    complete = page.locator('details[data-action="complete"]')
    complete.get_by_label("Kết quả xử lý").fill("Đã tham mưu văn bản trả lời số 15/UBND-KT.")
    complete.get_by_role("button", name="Hoàn thành").click()
    expect(page.get_by_test_id("doc-status")).to_contain_text("Hoàn thành")
    timeline = page.get_by_test_id("timeline")
    for step in ("Vào sổ văn bản đến", "Trình lãnh đạo", "Cho ý kiến, phân công"):
        expect(timeline).to_contain_text(step)
    expect(timeline).to_contain_text("Phân công trong đơn vị")
    expect(timeline).to_contain_text("Đã tham mưu văn bản trả lời số 15/UBND-KT.")
    expect(page.locator("details[data-action]")).to_have_count(0)  # nothing left to do
    shot(page, tmp_path, "5-document-completed")

    # The register lists it, found without diacritics.
    page.locator("#menu-q").fill(f"chuyen doi so {marker}")
    page.locator("#menu-q").press("Enter")
    expect(page.locator("table.register tbody tr[data-id]")).to_have_count(1)
    expect(page.locator("table.register")).to_contain_text("Hoàn thành")
    shot(page, tmp_path, "6-search")

    # On a phone the leader's screens stay usable.
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(document_url)
    shot(page, tmp_path, "7-document-phone")
