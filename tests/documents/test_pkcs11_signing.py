"""Keys on a PKCS#11 token (SoftHSM2) through the registry: installed by an administrator with
the PIN once, then the leader's signature and the clerk's issue with the seal, PIN at each step."""

from __future__ import annotations

import pytest

from eoffice.documents.demo import seal_image, signature_image
from eoffice.documents.files import read_file
from eoffice.documents.signatures import SigningFailed, issue_with_seal, sign_as_leader
from eoffice.errors import InvalidInput
from eoffice.org.actor import Actor
from eoffice.org.credentials import install_pkcs11
from eoffice.org.models import CredentialKind
from signing import validate_pdf
from tests.registry_signing import (
    TOKEN_PIN,
    approved_draft,
    chain_pem,
    config_for,
    pdfsig_valid_count,
)
from tests.softhsm import MODULE


def _install(session, pki, token, *, user=None, agency=None, **changes):
    values = dict(
        module_path=MODULE,
        token_label=token,
        key_label="leader" if user is not None else "agency",
        pin=TOKEN_PIN,
        chain_pem=chain_pem(pki),
        image_png=signature_image("Lãnh đạo Thử") if user is not None else seal_image("Cơ quan"),
    )
    values.update(changes)
    return install_pkcs11(session, Actor.system(), user=user, agency=agency, **values)


@pytest.fixture
def token_setup(factory, db_session, policy, demo_pki, registry_token):
    pki, trust = demo_pki
    sender, receiver = factory.org(), factory.org()
    leader_key = _install(db_session, pki, registry_token, user=sender.leader)
    _install(db_session, pki, registry_token, agency=sender.agency)
    doc = approved_draft(db_session, policy, sender, receiver)
    config = config_for(trust, pkcs11_module=MODULE)
    return sender, doc, config, pki, leader_key


def test_install_reads_the_certificate_from_the_token_and_keeps_no_pin(token_setup):
    _sender, _doc, _config, _pki, credential = token_setup
    assert credential.kind == CredentialKind.PKCS11 and credential.pkcs12 is None
    assert "Lãnh đạo Thử" in credential.certificate_subject
    assert credential.certificate_pem.count("BEGIN CERTIFICATE") == 2  # token cert + chain
    assert TOKEN_PIN not in credential.certificate_pem


def test_leader_signs_and_clerk_issues_with_the_token(token_setup, db_session, policy, tmp_path):
    sender, doc, config, pki, _ = token_setup
    sign_as_leader(db_session, Actor(user=sender.leader), doc, TOKEN_PIN, policy, config)
    assert doc.status == "signed"
    issue_with_seal(db_session, Actor(user=sender.clerk), doc, TOKEN_PIN, policy, config)
    assert doc.status == "issued" and doc.code.startswith("01/")
    _, issued = read_file(policy, doc)
    report = validate_pdf(issued, config.services)
    signed = [s for s in report.signatures if s.kind == "signature"]
    assert [s.signer for s in signed] == ["Lãnh đạo Thử", "Cơ quan Thử"]
    assert all(s.intact and s.valid and s.trusted for s in signed)
    assert signed[0].modification_level.value == "form_filling"
    assert pdfsig_valid_count(issued, pki, tmp_path) == 2


def test_a_wrong_pin_is_a_clear_error_and_changes_nothing(token_setup, db_session, policy):
    sender, doc, config, _pki, _ = token_setup
    with pytest.raises(SigningFailed) as info:
        sign_as_leader(db_session, Actor(user=sender.leader), doc, "000000", policy, config)
    assert info.value.code == "token_login_failed" and "passphrase" in info.value.fields
    assert doc.status == "approved" and len(doc.files) == 1
    with pytest.raises(InvalidInput) as empty:
        sign_as_leader(db_session, Actor(user=sender.leader), doc, "", policy, config)
    assert "PIN" in empty.value.message


def test_an_unplugged_token_is_a_clear_error(token_setup, db_session, policy):
    sender, doc, config, _pki, credential = token_setup
    credential.pkcs11_token_label = "token-da-rut-ra"
    with pytest.raises(SigningFailed) as info:
        sign_as_leader(db_session, Actor(user=sender.leader), doc, TOKEN_PIN, policy, config)
    assert info.value.code == "token_unavailable"
    assert doc.status == "approved" and len(doc.files) == 1


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"pin": "111111"}, "pin", "token_login_failed"),
        ({"key_label": "khong-co"}, "key_label", "token_key_not_found"),
        ({"token_label": "khong-co"}, "token_label", "token_unavailable"),
        ({"module_path": ""}, "token_label", "pkcs11_not_configured"),
        ({"pin": ""}, "pin", "invalid_input"),
        ({"chain_pem": b"not a certificate"}, "chain", "invalid_input"),
    ],
)
def test_install_refuses_what_does_not_open(
    factory, db_session, demo_pki, registry_token, changes, field, code
):
    pki, _trust = demo_pki
    org = factory.org()
    with pytest.raises(InvalidInput) as info:
        _install(db_session, pki, registry_token, user=org.leader, **changes)
    assert field in info.value.fields and info.value.code == code
