"""The pages whose behaviour comes from static/documents.js still behave under the strict
Content-Security-Policy (no inline script or style), and the browser reports no violation.

Pages: registering an incoming document (the first refused field gets the cursor), the document
page (its PDF shown in a frame of the same origin), drafting an outgoing document (the recipient
list is filtered as one types, diacritics optional).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from eoffice import clock
from tests.browser.test_incoming_flow import log_in
from tests.documents.conftest import make_pdf

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + e.blockedURI);
});
"""


@pytest.fixture
def watched(page: Page):
    """The page, with every CSP violation and console error it reports collected."""
    console: list[str] = []
    page.on(
        "console",
        lambda m: console.append(m.text) if m.type in ("error", "warning") else None,
    )
    page.add_init_script(RECORD_VIOLATIONS)
    page.console_errors = console  # type: ignore[attr-defined]
    return page


def assert_no_violation(page: Page) -> None:
    assert page.evaluate("window.__cspViolations") == []
    policy_messages = [
        m for m in page.console_errors if "Content Security Policy" in m or "Refused to" in m
    ]
    assert policy_messages == []


def _focused_is_invalid(page: Page) -> bool:
    return page.evaluate("document.activeElement.getAttribute('aria-invalid') === 'true'")


def test_pages_with_scripts_work_under_the_policy(live_server, watched: Page, tmp_path):
    page = watched
    marker = uuid.uuid4().hex[:6]
    pdf = tmp_path / "cong-van.pdf"
    pdf.write_bytes(make_pdf("Cong van kiem tra CSP"))
    today = clock.today()

    # Registering: a refused form puts the cursor in the first refused field (documents.js).
    log_in(page, live_server, "vanthu.ubnd")
    response = page.goto(live_server.url + "/documents/incoming/new")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    form = page.get_by_test_id("register-form")
    form.get_by_label("Tệp văn bản (PDF)").set_input_files(str(pdf))
    form.get_by_label("Loại văn bản").select_option("CV")
    form.get_by_label("Cơ quan ban hành").fill("Sở Tài chính tỉnh Khánh Hòa")
    form.get_by_label("Số", exact=True).fill(str(int(marker, 16) % 9000 + 1000))
    form.get_by_label("Ký hiệu").fill("STC-CSP")
    form.get_by_label("Ngày văn bản").fill((today - timedelta(days=1)).isoformat())
    form.get_by_label("Trích yếu").fill(f"V/v kiểm tra chính sách bảo mật nội dung ({marker})")
    form.get_by_label("Người ký", exact=True).fill("Đặng Hồng Ánh")
    form.get_by_label("Ngày đến").fill((today - timedelta(days=2)).isoformat())  # before the date
    form.get_by_role("button", name="Vào sổ").click()
    expect(page.get_by_test_id("register-form").locator(".has-error")).to_be_visible()
    assert _focused_is_invalid(page)
    assert_no_violation(page)

    # The document page: its PDF in a frame of the same origin, allowed by the PDF's own policy.
    page.get_by_test_id("register-form").get_by_label("Ngày đến").fill(today.isoformat())
    page.get_by_test_id("register-form").get_by_role("button", name="Vào sổ").click()
    expect(page.get_by_role("alert").first).to_contain_text("Đã vào sổ văn bản đến số")
    viewer = page.get_by_test_id("pdf-viewer")
    expect(viewer).to_be_visible()
    pdf_answer = page.request.get(live_server.url + viewer.get_attribute("src"))
    assert pdf_answer.headers["content-security-policy"] == "sandbox; frame-ancestors 'self'"
    page.wait_for_load_state("networkidle")
    assert_no_violation(page)

    # Drafting: the recipient list is filtered as one types, without diacritics.
    log_in(page, live_server, "chuyenvien1.ubnd")
    page.goto(live_server.url + "/documents/outgoing/new")
    items = page.locator("#recipients li")
    total = items.count()
    assert total > 3
    page.locator("#recipient-filter").fill("tai chinh")
    visible = page.locator("#recipients li:not([hidden])")
    expect(visible).not_to_have_count(total)
    assert visible.count() >= 1
    for text in visible.all_inner_texts():
        assert "Tài chính" in text
    page.locator("#recipient-filter").fill("")
    expect(page.locator("#recipients li:not([hidden])")).to_have_count(total)
    assert_no_violation(page)
