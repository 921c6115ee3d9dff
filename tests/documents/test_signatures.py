"""The registry's signing steps with real keys (demo PKI), checked by independent verifiers."""

from __future__ import annotations

import pytest

from eoffice.documents.access import get_visible_document
from eoffice.documents.blobs import Upload
from eoffice.documents.demo import seal_image, signature_image
from eoffice.documents.files import read_file
from eoffice.documents.queries import get_issued_by_verify_code
from eoffice.documents.signatures import (
    SignatureConfig,
    SigningFailed,
    issue_with_seal,
    sign_as_leader,
)
from eoffice.errors import InvalidTransition, NotFound
from eoffice.org.actor import Actor
from eoffice.org.credentials import install_pkcs12
from tests.registry_signing import PASSPHRASE, approved_draft, pdfsig_valid_count


@pytest.fixture
def signed_setup(factory, db_session, policy, demo_pki):
    pki, trust = demo_pki
    sender, receiver = factory.org(), factory.org()
    install_pkcs12(
        db_session,
        Actor.system(),
        user=sender.leader,
        passphrase=PASSPHRASE,
        pkcs12_data=pki.path("leaders/leader.p12").read_bytes(),
        image_png=signature_image(sender.leader.full_name),
    )
    install_pkcs12(
        db_session,
        Actor.system(),
        agency=sender.agency,
        passphrase=PASSPHRASE,
        pkcs12_data=pki.path("seals/agency.p12").read_bytes(),
        image_png=seal_image(sender.agency.name),
    )
    config = SignatureConfig(base_url="https://vanban.example.vn", trust_dir=trust, online=True)
    doc = approved_draft(db_session, policy, sender, receiver, "Thử nghiệm ký số")
    return sender, receiver, doc, config, pki


def test_wrong_passphrase_is_a_clear_error_and_changes_nothing(signed_setup, db_session, policy):
    sender, _receiver, doc, config, _pki = signed_setup
    with pytest.raises(SigningFailed) as info:
        sign_as_leader(db_session, Actor(user=sender.leader), doc, "sai-mat-khau", policy, config)
    assert "passphrase" in info.value.fields
    assert doc.status == "approved" and len(doc.files) == 1


def test_issue_requires_the_leader_signature_first(signed_setup, db_session, policy):
    sender, _receiver, doc, config, _pki = signed_setup
    with pytest.raises(InvalidTransition):
        issue_with_seal(db_session, Actor(user=sender.clerk), doc, PASSPHRASE, policy, config)
    assert doc.number is None  # no number was taken


def test_whole_flow_valid_for_pdfsig_qpdf_and_the_receiver(
    signed_setup, db_session, policy, tmp_path
):
    sender, receiver, doc, config, pki = signed_setup
    sign_as_leader(db_session, Actor(user=sender.leader), doc, PASSPHRASE, policy, config)
    (recipient,) = issue_with_seal(
        db_session, Actor(user=sender.clerk), doc, PASSPHRASE, policy, config
    )
    assert doc.status == "issued" and doc.signature_status == "green", doc.signature_report
    _, issued = read_file(policy, doc)
    report = doc.signature_report
    leader_sig = report["signatures"][0]
    assert leader_sig["intact"] and leader_sig["modification_level"] == "form_filling"
    assert len([s for s in report["signatures"] if s["kind"] == "signature"]) == 2
    # Independent verifiers: qpdf's structure check and poppler's pdfsig with the root trusted.
    assert pdfsig_valid_count(issued, pki, tmp_path) == 2
    # The receiver's pending entry carries the metadata, the issued file and the validation.
    arrived = get_visible_document(
        db_session, Actor(user=receiver.clerk), recipient.incoming_document_id
    )
    assert arrived.code == doc.code and arrived.main_file_sha256 == doc.main_file_sha256
    assert arrived.signature_status == "green"
    # The QR code's page shows the issued document.
    assert get_issued_by_verify_code(db_session, doc.verify_code).id == doc.id
    with pytest.raises(NotFound):
        get_issued_by_verify_code(db_session, "khong-co-ma-nay")


def test_verify_page_is_public_and_shows_hash(signed_setup, db_session, policy, client):
    sender, _receiver, doc, config, _pki = signed_setup
    sign_as_leader(db_session, Actor(user=sender.leader), doc, PASSPHRASE, policy, config)
    issue_with_seal(db_session, Actor(user=sender.clerk), doc, PASSPHRASE, policy, config)
    db_session.commit()
    page = client.get(f"/verify/{doc.verify_code}")
    assert page.status_code == 200
    assert doc.code in page.text and doc.main_file_sha256 in page.text and "Hợp lệ" in page.text
    assert client.get("/verify/khong-co").status_code == 404


def test_unsigned_or_tampered_upload_is_flagged_not_refused(factory, db_session, policy, demo_pki):
    from eoffice.documents.incoming import register_incoming
    from tests.documents.conftest import incoming_meta, make_pdf

    _pki, trust = demo_pki
    org = factory.org()
    config = SignatureConfig(base_url="https://x.example", trust_dir=trust)
    doc = register_incoming(
        db_session,
        Actor(user=org.clerk),
        incoming_meta(),
        Upload("a.pdf", "application/pdf", make_pdf()),
        policy,
        signature_config=config,
    ).document
    assert doc.signature_status == "red" and doc.number == 1
    assert any("chữ ký" in r for r in doc.signature_report["reasons"])


def test_issued_documents_reach_b_lta_in_the_worker_and_renewal_is_idempotent(
    signed_setup, db_session, db_connection, policy, demo_pki
):
    from eoffice.documents.archive import renew_due_archives
    from signing import archive_timestamp_expiry, validate_pdf
    from tests.conftest import bind_session

    sender, _receiver, doc, config, pki = signed_setup
    with_tsa = SignatureConfig(
        base_url=config.base_url, trust_dir=config.trust_dir, tsa_url=pki.tsa_url, online=True
    )
    sign_as_leader(db_session, Actor(user=sender.leader), doc, PASSPHRASE, policy, with_tsa)
    issue_with_seal(db_session, Actor(user=sender.clerk), doc, PASSPHRASE, policy, with_tsa)
    assert doc.archive_due_at is not None  # marked in the request, done by the worker
    versions = len(doc.files)
    db_session.commit()
    worker = lambda: bind_session(db_connection)  # noqa: E731  # the worker's own sessions
    assert renew_due_archives(worker, policy, with_tsa) == 1
    db_session.expire_all()
    _, archived = read_file(policy, doc)
    assert len(doc.files) == versions + 1 and archive_timestamp_expiry(archived) is not None
    assert doc.archive_due_at is not None and doc.archive_due_at > doc.issued_at
    report = validate_pdf(archived, with_tsa.services)
    signed = [r for r in report.signatures if r.kind == "signature"]
    assert len(signed) == 2 and all(r.intact and r.trusted for r in signed)
    assert any(r.kind == "timestamp" for r in report.signatures)
    assert renew_due_archives(worker, policy, with_tsa) == 0  # not due again until then
