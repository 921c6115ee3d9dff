"""Nhắc việc end to end in Chromium on the demo province: assign → remind → complete → report."""

from __future__ import annotations

import secrets
from contextlib import contextmanager

import pytest

from eoffice import clock
from reminders.jobs import sweep
from tests.browser.conftest import LiveServer
from tests.tasks.conftest import vn

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@contextmanager
def signed_in(browser, live: LiveServer, username: str):
    """Open a fresh browser session logged in as ``username``."""
    context = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        page.goto(live.url + "/login")
        page.get_by_label("Tên đăng nhập").fill(username)
        page.get_by_label("Mật khẩu").fill(live.demo_password)
        page.get_by_role("button", name="Đăng nhập").click()
        page.wait_for_url(live.url + "/")
        yield page
    finally:
        context.close()


def test_assign_remind_complete_report(live_server, browser, tmp_path):
    title = f"Báo cáo kết quả cải cách hành chính quý IV ({secrets.token_hex(3)})"
    # The province's chairwoman gives the Department of Home Affairs a task due Wednesday.
    with (
        clock.frozen(vn("2026-11-02 09:00")),
        signed_in(browser, live_server, "lanhdao.ubnd") as page,
    ):
        page.get_by_role("link", name="+ Giao nhiệm vụ").first.click()
        page.get_by_label("Tên nhiệm vụ").fill(title)
        page.get_by_label("Nội dung, yêu cầu").fill("Tổng hợp số liệu, gửi Văn phòng UBND tỉnh.")
        page.get_by_label("Chủ trì (một cơ quan, đơn vị hoặc cá nhân)").select_option(
            label="Sở Nội vụ tỉnh Khánh Hòa"
        )
        page.get_by_label("Ngày (để trống nếu không thời hạn)").fill("2026-11-04")
        page.get_by_role("button", name="Giao nhiệm vụ").click()
        page.wait_for_url("**/tasks/*")
        assert page.get_by_role("heading", name=title).is_visible()
        assert page.get_by_test_id("task-lead").inner_text() == "Sở Nội vụ tỉnh Khánh Hòa"
        assert "04/11/2026" in page.get_by_test_id("task-due").inner_text()
        task_url = page.url
        page.screenshot(path=str(tmp_path / "task.png"), full_page=True)

    # The reminder job runs on the due day: the department's leaders are reminded once.
    with clock.frozen(vn("2026-11-04 07:45")):
        sweep(live_server.factory)  # type: ignore[arg-type]
        sweep(live_server.factory)  # type: ignore[arg-type]

    with (
        clock.frozen(vn("2026-11-04 10:00")),
        signed_in(browser, live_server, "lanhdao.snv") as page,
    ):
        menu = page.get_by_test_id("menu-tasks")
        assert "Sắp đến hạn (1)" in " ".join(menu.inner_text().split())
        menu.get_by_role("link", name="Thông báo").click()
        row = (
            page.get_by_test_id("notifications")
            .get_by_role("row")
            .filter(has_text="Đến hạn hôm nay")
        )
        assert row.count() == 1  # sent exactly once, though the job ran twice
        assert title in row.inner_text()
        row.get_by_role("button", name="Xem").click()
        page.wait_for_url(task_url)
        page.screenshot(path=str(tmp_path / "lead.png"), full_page=True)
        page.get_by_label("Kết quả thực hiện").fill("Đã gửi Báo cáo số 215/BC-SNV ngày 04/11/2026.")
        page.get_by_role("button", name="Báo cáo hoàn thành").click()
        assert "chờ người giao xác nhận" in page.get_by_role("alert").inner_text()

    with (
        clock.frozen(vn("2026-11-04 11:00")),
        signed_in(browser, live_server, "lanhdao.ubnd") as page,
    ):
        page.get_by_test_id("menu-tasks").get_by_role("link", name="Chờ tôi xác nhận").click()
        page.get_by_role("link", name=title).click()
        page.get_by_role("button", name="Xác nhận hoàn thành").click()
        assert "Hoàn thành đúng hạn" in page.get_by_test_id("task-status").inner_text()

        page.get_by_test_id("menu-reports").get_by_role("link", name="Bảng điều hành").click()
        chart = page.get_by_test_id("bar-chart")
        assert chart.is_visible() and page.get_by_test_id("goal-line").count() == 1
        assert "Sở Nội vụ tỉnh Khánh Hòa" in (chart.text_content() or "")
        assert page.locator("script").count() == 0
        page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
        row = (
            page.get_by_test_id("report-table")
            .get_by_role("row")
            .filter(has_text="Sở Nội vụ tỉnh Khánh Hòa")
        )
        row.get_by_role("link").nth(1).click()  # the "Hoàn thành đúng hạn" count
        assert title in page.get_by_test_id("drill-down").inner_text()
        page.screenshot(path=str(tmp_path / "drill-down.png"), full_page=True)
