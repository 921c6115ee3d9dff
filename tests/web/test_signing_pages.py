"""The document page's signing forms for each kind of key, and the USB-token pending page."""

from __future__ import annotations

import re

import pytest

from eoffice.documents.external import Step, start_external
from eoffice.org.actor import Actor
from eoffice.org.credentials import install_pkcs11
from tests.registry_signing import (
    AGENCY_P12,
    LEADER_P12,
    TOKEN_PIN,
    UsbToken,
    approved_draft,
    chain_pem,
    config_for,
    install_usb_tokens,
)
from tests.softhsm import MODULE
from tests.web.test_document_pages import (  # noqa: F401 - the shared page fixtures
    Env,
    _fast_logins,
    app,
    env,
    settings,
    shared_app,
)


@pytest.fixture
def tokens(demo_pki):
    pki, _trust = demo_pki
    return UsbToken(pki.path(LEADER_P12).read_bytes()), UsbToken(pki.path(AGENCY_P12).read_bytes())


def test_a_usb_token_signature_is_prepared_shown_and_finished(
    env: Env,  # noqa: F811 - the fixture imported above
    factory,
    tokens,
    demo_pki,
):
    leader_token, agency_token = tokens
    install_usb_tokens(env.session, env.org, leader_token, agency_token)
    doc = approved_draft(env.session, env.policy, env.org, factory.org())
    env.session.commit()
    env.as_user(env.org.leader)
    page = env.get(f"/documents/{doc.id}").text
    assert 'data-testid="usb-token-hint"' in page and "Chuẩn bị ký bằng USB token" in page
    assert 'name="sign-passphrase"' not in page

    response = env.act(doc, "sign", {"confirm": "y"})
    pending_url = response.headers["Location"]
    assert re.fullmatch(rf"/documents/{doc.id}/external/\d+", pending_url)
    shown = env.get(pending_url).text
    data_b64 = re.search(r'data-testid="data-to-sign">([^<]+)<', shown).group(1)
    assert "ecdsa-sha256" in shown and env.org.leader.full_name not in data_b64

    bad = env.post(pending_url, {"signature": "khong phai base64"}, status=422)
    assert "Không phải Base64" in bad.text
    env.post(pending_url, {"signature": leader_token.sign_b64(data_b64)})
    assert env.reload(doc).status == "signed"
    assert env.client.get(pending_url).status_code == 404  # used up

    env.as_user(env.org.specialist)  # sees the document, but the request was not theirs
    config = config_for(demo_pki[1])
    other = start_external(
        env.session, Actor(user=env.org.clerk), doc, Step.SEAL, env.policy, config
    )
    env.session.commit()
    assert env.client.get(f"/documents/{doc.id}/external/{other.id}").status_code == 404
    env.as_user(env.org.clerk)  # a numbered document (seal not finished) offers the step again
    issue_page = env.get(f"/documents/{doc.id}").text
    assert env.reload(doc).status == "numbered"
    assert 'data-action="issue"' in issue_page and "Chuẩn bị ký bằng USB token" in issue_page


def test_a_pkcs11_key_asks_for_the_pin(env: Env, factory, demo_pki, registry_token):  # noqa: F811
    pki, _trust = demo_pki
    install_pkcs11(
        env.session,
        Actor.system(),
        user=env.org.leader,
        module_path=MODULE,
        token_label=registry_token,
        key_label="leader",
        pin=TOKEN_PIN,
        chain_pem=chain_pem(pki),
        image_png=None,
    )
    doc = approved_draft(env.session, env.policy, env.org, factory.org())
    env.session.commit()
    env.as_user(env.org.leader)
    page = env.get(f"/documents/{doc.id}").text
    assert "Mã PIN của thiết bị ký số" in page and "usb-token-hint" not in page
    # The app's settings name no PKCS#11 module: a clear error, nothing signed.
    response = env.act(doc, "sign", {"passphrase": TOKEN_PIN, "confirm": "y"}, status=422)
    assert "thiết bị ký số" in response.text and env.reload(doc).status == "approved"
