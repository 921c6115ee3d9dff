"""Internal exchange between two demo agencies in headless Chromium.

Sở Nội vụ drafts, reviews, approves and signs a công văn addressed to Sở Tài chính and to Văn
phòng UBND tỉnh; its clerk numbers, seals and issues it. The demo data has no signing keys, so the
test installs a demo PKI's keys for the director and the agency first. Sở Tài chính's clerk
accepts the arrival, Văn phòng UBND's clerk returns it with a reason, and the sender's clerk sees
each recipient's status on the document page. Every step is done in the browser.
"""

from __future__ import annotations

import io
import re
import uuid

import pytest
from playwright.sync_api import expect

from eoffice.db import transaction
from eoffice.org.models import SigningCredential
from eoffice.org.services import get_user_by_username
from tests.browser.test_incoming_flow import log_in, open_queue, shot
from tests.documents.conftest import make_pdf

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

SENDER_CODE, STC_CODE, VPUBND_CODE = "000.00.02.H34", "000.00.03.H34", "000.00.01.H34"


KEY_PASSPHRASE = "mat-khau-khoa-thu-nghiem"


@pytest.fixture(scope="module")
def sender_keys(live_server, tmp_path_factory) -> None:
    """Give Sở Nội vụ's director and the agency PKCS#12 keys from a demo PKI."""
    from PIL import Image, ImageDraw

    from signing.pki import build_demo_pki

    pki = build_demo_pki(
        tmp_path_factory.mktemp("pki"),
        leaders=["Vũ Quang Khoa"],
        agencies=["Sở Nội vụ tỉnh Khánh Hòa"],
        passphrase=KEY_PASSPHRASE,
        base_url="http://127.0.0.1:9",  # discard port: revocation look-ups fail at once, locally
    )
    seal = Image.new("RGBA", (160, 160), (0, 0, 0, 0))
    ImageDraw.Draw(seal).ellipse((4, 4, 156, 156), outline=(220, 0, 0, 255), width=8)
    png = io.BytesIO()
    seal.save(png, format="PNG")
    with transaction(live_server.factory) as session:
        director = get_user_by_username(session, "lanhdao.snv")
        session.add_all(
            [
                SigningCredential(
                    user_id=director.id,
                    kind="pkcs12",
                    pkcs12=pki.path(pki.identity("Vũ Quang Khoa").p12_path).read_bytes(),
                ),
                SigningCredential(
                    agency_id=director.agency_id,
                    kind="pkcs12",
                    pkcs12=pki.path(pki.identity("Sở Nội vụ tỉnh Khánh Hòa").p12_path).read_bytes(),
                    image_png=png.getvalue(),
                ),
            ]
        )


def test_a_document_sent_between_two_agencies_is_accepted_and_returned(
    live_server, sender_keys, page, tmp_path
):
    marker = uuid.uuid4().hex[:6]
    subject = f"V/v góp ý dự thảo đề án vị trí việc làm năm 2027 ({marker})"
    pdf = tmp_path / "du-thao.pdf"
    pdf.write_bytes(make_pdf("Du thao cong van gop y"))
    page.set_viewport_size({"width": 1366, "height": 900})

    # The specialist of Sở Nội vụ drafts the công văn with its recipients and signer.
    log_in(page, live_server, "chuyenvien1.snv")
    page.locator("nav.sidemenu").get_by_role("link", name="Soạn dự thảo").click()
    form = page.get_by_test_id("draft-form")
    form.get_by_label("Tệp văn bản (PDF)").set_input_files(str(pdf))
    form.get_by_label("Loại văn bản").select_option("CV")
    form.get_by_label("Người ký", exact=True).select_option(label="Vũ Quang Khoa — Giám đốc")
    form.get_by_label("Trích yếu").fill(subject)
    form.get_by_label("Độ khẩn").select_option("khan")
    form.get_by_label("Lọc danh sách cơ quan").fill("so tai chinh")  # no diacritics needed
    form.get_by_label(f"Sở Tài chính tỉnh Khánh Hòa ({STC_CODE})").check()
    form.get_by_label("Lọc danh sách cơ quan").fill(VPUBND_CODE)
    form.get_by_label(re.compile(re.escape(f"({VPUBND_CODE})"))).check()
    shot(page, tmp_path, "1-draft-form")
    form.get_by_role("button", name="Lưu dự thảo").click()
    expect(page.get_by_test_id("doc-status")).to_contain_text("Dự thảo")
    expect(page.get_by_test_id("recipients")).to_contain_text("Chờ gửi")
    page.locator('details[data-action="submit"]').get_by_role("button").click()
    expect(page.get_by_test_id("doc-status")).to_contain_text("Chờ trưởng đơn vị kiểm tra")

    # The head of the drafting unit checks it, the director approves it.
    log_in(page, live_server, "truongphong.tcbc.snv")
    open_queue(page, "Chờ kiểm tra dự thảo")
    page.get_by_role("link", name=re.compile(marker)).first.click()
    review = page.locator('details[data-action="review"]')
    review.get_by_label("Ý kiến").fill("Nội dung, thể thức đã đúng.")
    review.get_by_role("button", name="Trình lãnh đạo duyệt").click()
    expect(page.get_by_test_id("doc-status")).to_contain_text("Chờ lãnh đạo duyệt")
    log_in(page, live_server, "lanhdao.snv")
    open_queue(page, "Chờ ký")
    page.get_by_role("link", name=re.compile(marker)).first.click()
    page.locator('details[data-action="approve"]').get_by_role("button", name="Duyệt").click()
    expect(page.get_by_test_id("doc-status")).to_contain_text("Chờ ký")

    # ... and signs it with the key's passphrase (the confirmation box is required).
    sign = page.locator('details[data-action="sign"]')
    expect(sign).to_have_attribute("open", "")  # the next step is open, the others folded
    sign.get_by_label("Mật khẩu khóa ký số").fill(KEY_PASSPHRASE)
    sign.get_by_label("Tôi xác nhận thực hiện thao tác này").check()
    shot(page, tmp_path, "2-sign")
    sign.get_by_role("button", name="Ký số").click()
    expect(page.get_by_role("alert").first).to_contain_text("Đã ký số văn bản.")
    expect(page.get_by_test_id("doc-status")).to_contain_text("Đã ký, chờ cấp số")

    # The clerk numbers, seals and issues it in one step.
    log_in(page, live_server, "vanthu.snv")
    open_queue(page, "Chờ phát hành")
    page.get_by_role("link", name=re.compile(marker)).first.click()
    issue = page.locator('details[data-action="issue"]')
    issue.get_by_label("Mật khẩu khóa ký số").fill(KEY_PASSPHRASE)
    issue.get_by_label("Tôi xác nhận thực hiện thao tác này").check()
    issue.get_by_role("button", name="Cấp số và phát hành").click()
    expect(page.get_by_role("alert").first).to_contain_text("ký số cơ quan và phát hành")
    expect(page.get_by_test_id("doc-status")).to_contain_text("Đã phát hành")
    expect(page.get_by_test_id("signature-badge")).to_be_visible()
    expect(page.get_by_test_id("recipients")).to_contain_text("Đã đến, chờ tiếp nhận")

    # Sở Tài chính's clerk finds it waiting, already filled in, and accepts it.
    log_in(page, live_server, "vanthu.stc")
    waiting = open_queue(page, "Chờ vào sổ")
    assert waiting >= 1
    row = page.locator("table.register tbody tr[data-id]").filter(has_text=marker)
    expect(row).to_contain_text("Sở Nội vụ tỉnh Khánh Hòa")
    expect(row.locator(".urg")).to_have_text("Khẩn")
    shot(page, tmp_path, "3-arrivals-queue")
    row.get_by_role("link", name=re.compile(marker)).click()
    expect(page.get_by_test_id("metadata")).to_contain_text("/SNV-")
    page.locator('details[data-action="accept"]').get_by_role("button", name="Tiếp nhận").click()
    expect(page.get_by_role("alert").first).to_contain_text("Đã tiếp nhận, vào sổ văn bản đến số")
    expect(page.get_by_test_id("doc-status")).to_contain_text("Đã vào sổ, chờ trình")

    # Văn phòng UBND's clerk returns it: the reason and the confirmation are required.
    log_in(page, live_server, "vanthu.vpubnd")
    open_queue(page, "Chờ vào sổ")
    page.get_by_role("link", name=re.compile(marker)).first.click()
    reject = page.locator('details[data-action="reject"]')
    reject.locator("summary").click()
    reject.get_by_label("Lý do").fill("Gửi nhầm nơi nhận, đề nghị gửi Sở Nội vụ.")
    confirm = reject.get_by_label("Tôi xác nhận thực hiện thao tác này")
    reject.get_by_role("button", name="Trả lại nơi gửi").click()  # refused: not confirmed
    assert confirm.evaluate("box => box.validity.valueMissing")
    expect(page.get_by_test_id("doc-status")).to_contain_text("Chờ tiếp nhận")
    confirm.check()
    reject.get_by_role("button", name="Trả lại nơi gửi").click()
    expect(page.get_by_test_id("doc-status")).to_contain_text("Đã trả lại nơi gửi")

    # The sender's clerk sees each recipient's status on the issued document.
    log_in(page, live_server, "vanthu.snv")
    page.locator("nav.sidemenu").get_by_role("link", name="Sổ văn bản đi").click()
    page.get_by_role("link", name=re.compile(marker)).first.click()
    expect(page.get_by_test_id("doc-status")).to_contain_text("Đã phát hành")
    recipients = page.get_by_test_id("recipients")
    expect(recipients.locator(f'[data-recipient="{STC_CODE}"]')).to_contain_text("Đã tiếp nhận")
    returned = recipients.locator(f'[data-recipient="{VPUBND_CODE}"]')
    expect(returned).to_contain_text("Đã trả lại")
    expect(returned).to_contain_text("Gửi nhầm nơi nhận")
    shot(page, tmp_path, "4-sender-recipient-status")
    assert SENDER_CODE in page.get_by_test_id("metadata").inner_text()
