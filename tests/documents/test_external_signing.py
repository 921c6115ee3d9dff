"""Signing with a USB token that stays on the user's computer: the server prepares, a test plays
the user's signing tool, the server finishes; for the leader's signature and the issue step."""

from __future__ import annotations

import shutil
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from eoffice import clock
from eoffice.documents.blobs import Upload
from eoffice.documents.external import (
    Step,
    decode_signature,
    finish_external,
    get_external,
    signature_algorithm,
    start_external,
)
from eoffice.documents.files import read_file
from eoffice.documents.models import ExternalSignature
from eoffice.documents.outgoing import replace_draft_file
from eoffice.documents.signatures import sign_as_leader
from eoffice.documents.signing_keys import ExternalSigningRequired
from eoffice.errors import Conflict, InvalidInput, InvalidTransition, NotFound, PermissionDenied
from eoffice.org.actor import Actor
from eoffice.org.credentials import install_external, install_pkcs12
from signing import PendingSignature, validate_pdf
from signing.pki import DemoPki, issue_identity
from tests.documents.conftest import make_pdf
from tests.registry_signing import (
    AGENCY_P12,
    LEADER_P12,
    PASSPHRASE,
    UsbToken,
    approved_draft,
    config_for,
    install_usb_tokens,
    pdfsig_valid_count,
)


@pytest.fixture(scope="module")
def tokens(demo_pki):
    pki, _trust = demo_pki
    return UsbToken(pki.path(LEADER_P12).read_bytes()), UsbToken(pki.path(AGENCY_P12).read_bytes())


@pytest.fixture
def setup(factory, db_session, policy, demo_pki, tokens):
    _pki, trust = demo_pki
    leader_token, agency_token = tokens
    sender, receiver = factory.org(), factory.org()
    install_usb_tokens(db_session, sender, leader_token, agency_token)
    doc = approved_draft(db_session, policy, sender, receiver)
    return sender, receiver, doc, config_for(trust)


def _play_token(token: UsbToken, row: ExternalSignature) -> bytes:
    """What the user's signing tool does: sign the bytes it is shown, with the key it holds."""
    return token.sign(PendingSignature.from_json(row.state).data_to_sign)


def test_leader_then_clerk_sign_with_usb_tokens(
    setup, tokens, db_session, policy, demo_pki, tmp_path
):
    sender, _receiver, doc, config = setup
    leader_token, agency_token = tokens
    leader = Actor(user=sender.leader)
    row = start_external(db_session, leader, doc, Step.SIGN, policy, config)
    assert doc.status == "approved" and signature_algorithm(row) == "ecdsa-sha256"
    assert row.expires_at - row.created_at == timedelta(minutes=15)
    assert get_external(db_session, leader, doc, row.id) is row
    finish_external(db_session, leader, doc, row, _play_token(leader_token, row), policy, config)
    assert doc.status == "signed"
    assert db_session.scalar(select(func.count()).select_from(ExternalSignature)) == 0

    clerk = Actor(user=sender.clerk)
    seal = start_external(db_session, clerk, doc, Step.SEAL, policy, config)
    assert doc.status == "numbered" and doc.code.startswith("01/")  # numbered in step one
    (recipient,) = finish_external(
        db_session, clerk, doc, seal, _play_token(agency_token, seal), policy, config
    )
    assert doc.status == "issued" and recipient.incoming_document_id is not None
    assert doc.signature_status in ("green", "amber")  # offline: revocation may be unknown
    _, issued = read_file(policy, doc)
    report = validate_pdf(issued, config_for(demo_pki[1], online=True).services)
    signed = [s for s in report.signatures if s.kind == "signature"]
    assert [s.signer for s in signed] == ["Lãnh đạo Thử", "Cơ quan Thử"]
    assert all(s.intact and s.valid and s.trusted for s in signed), report.reasons
    assert pdfsig_valid_count(issued, demo_pki[0], tmp_path) == 2


def test_a_wrong_value_is_refused_and_the_request_stays(setup, tokens, db_session, policy):
    sender, _receiver, doc, config = setup
    leader = Actor(user=sender.leader)
    row = start_external(db_session, leader, doc, Step.SIGN, policy, config)
    with pytest.raises(InvalidInput) as info:
        finish_external(db_session, leader, doc, row, tokens[0].sign(b"khac"), policy, config)
    assert "signature" in info.value.fields and doc.status == "approved"
    assert get_external(db_session, leader, doc, row.id) is row  # still there, try again


def test_expired_foreign_and_changed_requests(setup, tokens, db_session, policy):
    sender, _receiver, doc, config = setup
    leader = Actor(user=sender.leader)
    row = start_external(db_session, leader, doc, Step.SIGN, policy, config)
    with pytest.raises(NotFound):
        get_external(db_session, Actor(user=sender.clerk), doc, row.id)
    with clock.frozen(row.expires_at + timedelta(seconds=1)), pytest.raises(Conflict) as late:
        get_external(db_session, leader, doc, row.id)
    assert late.value.code == "external_signature_expired"
    # The drafter replaces the approved draft meanwhile: the prepared signature no longer fits.
    replace_draft_file(
        db_session,
        Actor(user=sender.specialist),
        doc,
        Upload("moi.pdf", "application/pdf", make_pdf("Ban moi")),
        policy,
    )
    with pytest.raises(Conflict) as changed:
        finish_external(db_session, leader, doc, row, _play_token(tokens[0], row), policy, config)
    assert changed.value.code == "document_changed"


def test_an_unfinished_seal_keeps_its_number_and_a_new_one_reuses_it(
    setup, tokens, db_session, policy
):
    sender, _receiver, doc, config = setup
    leader = Actor(user=sender.leader)
    row = start_external(db_session, leader, doc, Step.SIGN, policy, config)
    finish_external(db_session, leader, doc, row, _play_token(tokens[0], row), policy, config)
    clerk = Actor(user=sender.clerk)
    first = start_external(db_session, clerk, doc, Step.SEAL, policy, config)
    code = doc.code
    second = start_external(db_session, clerk, doc, Step.SEAL, policy, config)  # token was away
    assert doc.code == code and doc.status == "numbered"
    assert first is not second  # the first was replaced (SQLite may reuse its id)
    assert db_session.scalar(select(func.count()).select_from(ExternalSignature)) == 1
    finish_external(db_session, clerk, doc, second, _play_token(tokens[1], second), policy, config)
    assert doc.status == "issued" and doc.code == code


def test_steps_and_kinds_are_checked(setup, factory, db_session, policy, demo_pki):
    sender, _receiver, doc, config = setup
    with pytest.raises(PermissionDenied):
        start_external(db_session, Actor(user=sender.clerk), doc, Step.SIGN, policy, config)
    with pytest.raises(InvalidTransition):
        start_external(db_session, Actor(user=sender.clerk), doc, Step.SEAL, policy, config)
    with pytest.raises(ExternalSigningRequired):  # a USB token cannot sign in one request
        sign_as_leader(db_session, Actor(user=sender.leader), doc, "x", policy, config)
    pki, _trust = demo_pki
    install_pkcs12(
        db_session,
        Actor.system(),
        user=sender.leader,
        pkcs12_data=pki.path(LEADER_P12).read_bytes(),
        passphrase=PASSPHRASE,
        image_png=None,
    )
    with pytest.raises(Conflict) as info:
        start_external(db_session, Actor(user=sender.leader), doc, Step.SIGN, policy, config)
    assert info.value.code == "not_external_credential"


def test_install_and_decode_refuse_bad_input(factory, db_session, demo_pki, tmp_path):
    org = factory.org()
    with pytest.raises(InvalidInput) as info:
        install_external(
            db_session, Actor.system(), user=org.leader, certificate_data=b"xx", image_png=None
        )
    assert "certificate" in info.value.fields
    # An expired certificate would only fail at signing time: refused at install already.
    pki, _trust = demo_pki
    copy = tmp_path / "pki"
    shutil.copytree(pki.directory, copy)  # the shared PKI stays as it is
    old = issue_identity(
        DemoPki.load(copy),
        "Người hết hạn",
        kind="leader",
        passphrase=PASSPHRASE,
        file_stem="expired",
        not_before=clock.now() - timedelta(days=400),
        not_after=clock.now() - timedelta(days=1),
        key_algorithm="ec-p256",
    )
    pem = old.path("leaders/expired.pem").read_bytes()
    with pytest.raises(InvalidInput) as expired:
        install_external(
            db_session, Actor.system(), user=org.leader, certificate_data=pem, image_png=None
        )
    assert expired.value.code == "certificate_expired"
    for bad in ("", "  ", "khong phai base64!"):
        with pytest.raises(InvalidInput):
            decode_signature(bad)
    assert decode_signature("AAEC\nAw==") == b"\x00\x01\x02\x03"
