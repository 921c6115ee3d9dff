import pytest

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_demo_clerk_logs_in_and_sees_the_vietnamese_home(live_server, page, tmp_path):
    page.goto(live_server.url + "/")
    assert "/login" in page.url
    page.get_by_label("Tên đăng nhập").fill("vanthu.ubnd")
    page.get_by_label("Mật khẩu").fill(live_server.demo_password)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(live_server.url + "/")
    who = page.get_by_test_id("who").inner_text()
    assert "Ủy ban nhân dân tỉnh Khánh Hòa" in who
    body = page.locator("body").inner_text()
    for heading in ("Văn bản đến", "Văn bản đi", "Nhắc việc", "Báo cáo"):
        assert heading.upper() in body.upper()
    assert "Văn thư" in body
    page.screenshot(path=str(tmp_path / "home.png"), full_page=True)


def test_wrong_password_shows_the_error_in_place(live_server, page):
    page.goto(live_server.url + "/login")
    page.get_by_label("Tên đăng nhập").fill("vanthu.ubnd")
    page.get_by_label("Mật khẩu").fill("sai-mat-khau")
    page.get_by_role("button", name="Đăng nhập").click()
    assert (
        page.get_by_role("alert").inner_text().strip() == "Tên đăng nhập hoặc mật khẩu không đúng"
    )
    assert page.get_by_label("Tên đăng nhập").input_value() == "vanthu.ubnd"  # input kept
