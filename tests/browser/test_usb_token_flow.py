"""A leader whose key is on a USB token signs in headless Chromium: the document page prepares
the signature, the pending page shows what to sign, the test plays the signing tool on the
leader's computer and pastes the value back, and the document is signed."""

from __future__ import annotations

import base64
import uuid

import pytest
from cryptography.hazmat.primitives import hashes
from playwright.sync_api import expect

from eoffice.db import transaction
from eoffice.documents.blobs import Upload
from eoffice.documents.demo import signature_image
from eoffice.documents.drafting import DraftForm, build_draft_pdf
from eoffice.documents.metadata import DocumentMetadata
from eoffice.documents.outgoing import (
    DraftInput,
    approve_draft,
    create_draft,
    review_draft,
    submit_draft,
)
from eoffice.org.actor import Actor
from eoffice.org.credentials import install_external
from eoffice.org.services import get_user_by_username
from eoffice.wiring import file_policy
from tests.browser.test_incoming_flow import log_in, shot
from tests.registry_signing import PASSPHRASE, UsbToken

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

SIGNER = "lanhdao2.snv"


@pytest.fixture(scope="module")
def usb_token(tmp_path_factory) -> UsbToken:
    from signing.pki import build_demo_pki, issue_identity

    pki = build_demo_pki(
        tmp_path_factory.mktemp("usb-pki"),
        leaders=[],
        agencies=[],
        passphrase=PASSPHRASE,
        key_algorithm="ec-p256",
        base_url="http://127.0.0.1:9",  # nothing listens: validation stays local and quick
    )
    pki = issue_identity(
        pki, "Lý Tấn Nhân", kind="leader", passphrase=PASSPHRASE, key_algorithm="ec-p256"
    )
    return UsbToken(pki.path(pki.identity("Lý Tấn Nhân").p12_path).read_bytes())


@pytest.fixture
def approved(live_server, usb_token) -> tuple[int, str]:
    """An approved công văn of Sở Nội vụ for lanhdao2.snv, whose key is on a USB token."""
    marker = uuid.uuid4().hex[:6]
    subject = f"V/v thử ký bằng USB token ({marker})"
    policy = file_policy(live_server.settings)
    with transaction(live_server.factory) as session:
        users = {
            name: get_user_by_username(session, name)
            for name in ("chuyenvien1.snv", "truongphong.tcbc.snv", SIGNER)
        }
        signer = users[SIGNER]
        install_external(
            session,
            Actor.system(),
            user=signer,
            certificate_data=usb_token.certificate_pem,
            image_png=signature_image(signer.full_name),
        )
        form = DraftForm(signer.agency.name, "", None, subject, "Nội dung.", (), "GIÁM ĐỐC", "")
        data = DraftInput(DocumentMetadata(type_code="CV", subject=subject), signer.id)
        upload = Upload("du-thao.pdf", "application/pdf", build_draft_pdf(form))
        doc = create_draft(session, Actor(user=users["chuyenvien1.snv"]), data, upload, policy)
        submit_draft(session, Actor(user=users["chuyenvien1.snv"]), doc)
        review_draft(session, Actor(user=users["truongphong.tcbc.snv"]), doc)
        approve_draft(session, Actor(user=signer), doc)
        return doc.id, marker


def test_leader_signs_with_a_usb_token_through_the_pending_page(
    live_server, approved, usb_token, page, tmp_path
):
    document_id, _marker = approved
    page.set_viewport_size({"width": 1366, "height": 900})
    log_in(page, live_server, SIGNER)
    page.goto(f"{live_server.url}/documents/{document_id}")
    sign = page.locator('details[data-action="sign"]')
    expect(sign.get_by_test_id("usb-token-hint")).to_be_visible()
    expect(sign.get_by_label("Mật khẩu khóa ký số")).to_have_count(0)  # no key here to unlock
    sign.get_by_label("Tôi xác nhận thực hiện thao tác này").check()
    sign.get_by_role("button", name="Chuẩn bị ký bằng USB token").click()

    expect(page.locator("h1")).to_have_text("Ký bằng USB token")
    expect(page.get_by_test_id("external-pending")).to_contain_text("Lý Tấn Nhân")
    data = base64.b64decode(page.get_by_test_id("data-to-sign").input_value())
    digest = hashes.Hash(hashes.SHA256())
    digest.update(data)
    assert page.get_by_test_id("digest-hex").inner_text() == digest.finalize().hex()
    shot(page, tmp_path, "1-pending")

    # A value from the wrong data is refused next to the field; the request stays.
    field = page.get_by_label("Chữ ký do USB token trả về (Base64)")
    field.fill(base64.b64encode(usb_token.sign(b"du lieu khac")).decode())
    page.get_by_role("button", name="Hoàn tất ký số").click()
    expect(page.locator(".has-error")).to_contain_text("Chữ ký không khớp với chứng thư số")

    # The signing tool on the leader's computer signs the bytes shown; the value is pasted back.
    value = usb_token.sign(data)  # ECDSA with SHA-256, DER-encoded
    page.get_by_label("Chữ ký do USB token trả về (Base64)").fill(base64.b64encode(value).decode())
    page.get_by_role("button", name="Hoàn tất ký số").click()
    expect(page.get_by_role("alert").first).to_contain_text("Đã ký số văn bản.")
    expect(page.get_by_test_id("doc-status")).to_contain_text("Đã ký, chờ cấp số")
    expect(page.get_by_test_id("timeline")).to_contain_text("Chuẩn bị ký bằng USB token")
    shot(page, tmp_path, "2-signed")
