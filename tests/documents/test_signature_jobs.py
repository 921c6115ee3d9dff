"""The worker's signature jobs: timestamps and validation data after the request (never in it),
archive-timestamp renewal driven by the authority's certificate expiry, and online
re-validation of what requests validated offline."""

from __future__ import annotations

import shutil
from datetime import timedelta

import pytest
from sqlalchemy import select

from eoffice import clock
from eoffice.audit.models import AuditEvent
from eoffice.documents.archive import due_archives, renew_due_archives, stamp, store_archive
from eoffice.documents.blobs import Upload
from eoffice.documents.demo import seal_image, signature_image
from eoffice.documents.files import read_file
from eoffice.documents.incoming import register_incoming
from eoffice.documents.revalidation import recheck_due_signatures
from eoffice.documents.signatures import RECHECK_AFTER, issue_with_seal, sign_as_leader
from eoffice.org.actor import Actor
from eoffice.org.credentials import install_pkcs12
from signing import (
    Level,
    Revocation,
    archive_timestamp_expiry,
    load_pkcs12,
    sign_invisible,
    validate_pdf,
)
from signing._pdf import open_reader
from signing.pki import DemoPki, build_demo_pki, issue_identity, renew_tsa
from signing.services import start_local_services
from tests.conftest import bind_session
from tests.documents.conftest import incoming_meta, make_pdf
from tests.registry_signing import (
    AGENCY_P12,
    LEADER_P12,
    PASSPHRASE,
    approved_draft,
    config_for,
)

NO_TSA_HERE = "http://127.0.0.1:9/tsa"  # nothing listens: a request that called it would fail


def _timestamps(pdf: bytes) -> int:
    return len(open_reader(pdf).embedded_timestamp_signatures)


@pytest.fixture
def worker(db_connection):
    """The worker's own sessions (joined to the test's transaction)."""
    return lambda: bind_session(db_connection)


@pytest.fixture
def sender(factory, db_session, demo_pki):
    pki, _trust = demo_pki
    org = factory.org()
    for owner, path, image in (
        ({"user": org.leader}, LEADER_P12, signature_image("Lãnh đạo Thử")),
        ({"agency": org.agency}, AGENCY_P12, seal_image("Cơ quan Thử")),
    ):
        install_pkcs12(
            db_session,
            Actor.system(),
            pkcs12_data=pki.path(path).read_bytes(),
            passphrase=PASSPHRASE,
            image_png=image,
            **owner,
        )
    return org


def _issue(db_session, policy, sender, receiver, config):
    doc = approved_draft(db_session, policy, sender, receiver)
    sign_as_leader(db_session, Actor(user=sender.leader), doc, PASSPHRASE, policy, config)
    return doc


def test_requests_sign_at_b_b_and_the_worker_adds_timestamps_and_validation_data(
    sender, factory, db_session, policy, demo_pki, worker
):
    pki, trust = demo_pki
    in_request = config_for(trust, tsa_url=NO_TSA_HERE)  # the request must not reach it
    in_worker = config_for(trust, tsa_url=pki.tsa_url, online=True)
    doc = _issue(db_session, policy, sender, factory.org(), in_request)
    _, signed = read_file(policy, doc)
    assert _timestamps(signed) == 0 and doc.archive_due_at is not None  # B-B, due
    (sig,) = validate_pdf(signed, in_worker.services).signatures
    assert sig.timestamp is None
    db_session.commit()

    assert renew_due_archives(worker, policy, in_worker) == 1
    db_session.expire_all()
    _, stamped = read_file(policy, doc)
    assert _timestamps(stamped) == 1 and doc.status == "signed"
    offline = validate_pdf(stamped, config_for(trust).services)  # DSS data only, no fetching
    (leader_sig,) = [s for s in offline.signatures if s.kind == "signature"]
    assert leader_sig.revocation is Revocation.GOOD and offline.bottom_line.value == "green"

    issue_with_seal(db_session, Actor(user=sender.clerk), doc, PASSPHRASE, policy, in_request)
    _, sealed = read_file(policy, doc)
    assert sealed.startswith(stamped) and _timestamps(sealed) == 1  # the seal is B-B
    db_session.commit()
    assert renew_due_archives(worker, policy, in_worker) == 1
    db_session.expire_all()
    _, archived = read_file(policy, doc)
    assert _timestamps(archived) == 2 and doc.files[-1].kind == "archived"
    report = validate_pdf(archived, config_for(trust).services)
    signed_ = [s for s in report.signatures if s.kind == "signature"]
    assert all(s.revocation is Revocation.GOOD and s.intact for s in signed_), report.reasons
    assert report.bottom_line.value == "green"


def test_a_file_replaced_while_the_worker_stamped_is_stamped_again_next_run(
    sender, factory, db_session, policy, demo_pki, worker
):
    pki, trust = demo_pki
    in_request = config_for(trust, tsa_url=NO_TSA_HERE)
    in_worker = config_for(trust, tsa_url=pki.tsa_url, online=True)
    doc = _issue(db_session, policy, sender, factory.org(), in_request)
    (work,) = due_archives(db_session, policy)
    issue_with_seal(db_session, Actor(user=sender.clerk), doc, PASSPHRASE, policy, in_request)
    issued_sha = doc.main_file_sha256
    stale = stamp(work, in_worker, clock.now())  # made from the leader-signed version
    assert stale is not None
    assert store_archive(db_session, policy, work, stale) is False  # not over the seal
    assert doc.main_file_sha256 == issued_sha and doc.archive_due_at is not None
    db_session.commit()
    assert renew_due_archives(worker, policy, in_worker) == 1
    db_session.expire_all()
    _, archived = read_file(policy, doc)
    assert len(open_reader(archived).embedded_regular_signatures) == 2
    assert _timestamps(archived) == 1


@pytest.fixture
def short_lived_tsa(demo_pki, tmp_path):
    """The demo authority with a certificate that expires in 200 days, on its own server, and
    a way to re-key it the way an authority does before its certificate runs out."""
    pki, _trust = demo_pki
    copy = tmp_path / "tsa-pki"
    shutil.copytree(pki.directory, copy)
    copied = DemoPki(copy, pki.base_url, pki.identities, pki.revoked)
    renew_tsa(copied, passphrase=PASSPHRASE, not_after=clock.now() + timedelta(days=200))
    services = start_local_services(copy, PASSPHRASE)
    yield copied, f"{services.base_url}/tsa"
    services.stop()


def test_archive_timestamps_are_renewed_when_the_authoritys_certificate_nears_expiry(
    sender, factory, db_session, policy, demo_pki, worker, short_lived_tsa, caplog
):
    _pki, trust = demo_pki
    tsa_pki, tsa_url = short_lived_tsa
    in_worker = config_for(trust, tsa_url=tsa_url, online=True)
    doc = _issue(db_session, policy, sender, factory.org(), config_for(trust, tsa_url=tsa_url))
    issue_with_seal(
        db_session, Actor(user=sender.clerk), doc, PASSPHRASE, policy, config_for(trust)
    )
    db_session.commit()
    assert renew_due_archives(worker, policy, in_worker) == 1
    db_session.expire_all()
    _, first = read_file(policy, doc)
    expiry = archive_timestamp_expiry(first)
    assert expiry is not None and expiry - clock.now() < timedelta(days=201)
    due = doc.archive_due_at
    assert due == expiry - timedelta(days=180)  # about 20 days from now
    assert renew_due_archives(worker, policy, in_worker, now=due - timedelta(days=1)) == 0

    # Due, but the authority still has its short-lived certificate: one more timestamp, then a
    # day's wait instead of renewing on every run.
    after_due = due + timedelta(minutes=1)
    assert renew_due_archives(worker, policy, in_worker, now=after_due) == 1
    db_session.expire_all()
    assert doc.archive_due_at == after_due + timedelta(days=1)
    assert "within the renewal margin" in caplog.text

    # The authority re-keys with a certificate for five years: the next renewal moves on.
    later = after_due + timedelta(days=1, minutes=1)
    renew_tsa(tsa_pki, passphrase=PASSPHRASE, not_after=clock.now() + timedelta(days=5 * 365))
    assert renew_due_archives(worker, policy, in_worker, now=later) == 1
    db_session.expire_all()
    _, renewed = read_file(policy, doc)
    assert _timestamps(renewed) == 3 and renewed.startswith(first)
    assert archive_timestamp_expiry(renewed) > expiry + timedelta(days=4 * 365)
    assert doc.archive_due_at > clock.now() + timedelta(days=3 * 365)
    report = validate_pdf(renewed, config_for(trust).services)
    assert report.bottom_line.value == "green", report.reasons
    assert [s.kind for s in report.signatures].count("timestamp") == 3


@pytest.fixture(scope="module")
def unreachable_pki(tmp_path_factory):
    """A PKI whose OCSP and CRL addresses answer nothing (the revocation status stays unknown)."""
    pki = build_demo_pki(
        tmp_path_factory.mktemp("offline-pki"),
        leaders=[],
        agencies=[],
        passphrase=PASSPHRASE,
        key_algorithm="ec-p256",
        base_url="http://127.0.0.1:9",
    )
    return issue_identity(
        pki, "Người ký xa", kind="leader", passphrase=PASSPHRASE, key_algorithm="ec-p256"
    )


def _arrival(db_session, org, policy, trust, pdf: bytes):
    return register_incoming(
        db_session,
        Actor(user=org.clerk),
        incoming_meta(),
        Upload("den.pdf", "application/pdf", pdf),
        policy,
        signature_config=config_for(trust),  # a web request: offline
    ).document


def test_offline_amber_arrivals_turn_green_when_the_worker_checks_revocation_online(
    factory, db_session, policy, demo_pki, worker
):
    pki, trust = demo_pki
    key = load_pkcs12(pki.path(LEADER_P12).read_bytes(), PASSPHRASE)
    pdf = sign_invisible(make_pdf("Van ban den"), key, level=Level.B_B).pdf
    org = factory.org()
    doc = _arrival(db_session, org, policy, trust, pdf)
    assert doc.signature_status == "amber" and doc.signature_recheck_at is not None
    db_session.commit()

    assert recheck_due_signatures(worker, policy, config_for(trust, online=True)) == 1
    db_session.expire_all()
    assert doc.signature_status == "green" and doc.signature_recheck_at is None
    assert doc.signature_report["signatures"][0]["revocation"] == "good"
    event = db_session.scalars(
        select(AuditEvent).where(
            AuditEvent.object_id == str(doc.id),
            AuditEvent.action == "document.signature_recheck",
        )
    ).one()
    assert event.details == {"badge_before": "amber", "badge": "green"}
    assert recheck_due_signatures(worker, policy, config_for(trust, online=True)) == 0


def test_unreachable_responders_are_retried_then_left_amber(
    factory, db_session, policy, demo_pki, unreachable_pki, worker, tmp_path
):
    trust = tmp_path / "trust"
    trust.mkdir()
    shutil.copyfile(unreachable_pki.root_cert_path, trust / "root.pem")
    ident = unreachable_pki.identities[0]
    key = load_pkcs12(unreachable_pki.path(ident.p12_path).read_bytes(), PASSPHRASE)
    pdf = sign_invisible(make_pdf("Khong tra cuu duoc"), key, level=Level.B_B).pdf
    doc = _arrival(db_session, factory.org(), policy, trust, pdf)
    db_session.commit()
    online = config_for(trust, online=True)
    moment = clock.now()
    for tries, wait in enumerate(RECHECK_AFTER[1:], start=1):
        assert recheck_due_signatures(worker, policy, online, now=moment) == 1
        db_session.expire_all()
        assert doc.signature_rechecks == tries and doc.signature_status == "amber"
        assert doc.signature_recheck_at is not None
        assert doc.signature_recheck_at - clock.now() <= wait
        moment = doc.signature_recheck_at
    assert recheck_due_signatures(worker, policy, online, now=moment) == 1
    db_session.expire_all()
    assert doc.signature_recheck_at is None and doc.signature_status == "amber"


def test_an_edoc_sent_again_after_archiving_is_the_same_bytes(
    sender, factory, db_session, policy, demo_pki, worker
):
    from eoffice.exchange.models import OutboxMessage
    from vxp_adapter.edxml_build import build_edoc
    from vxp_adapter.outgoing import edoc_for

    pki, trust = demo_pki
    external = factory.org()
    external.agency.is_local = False  # reached through the national axis
    doc = _issue(db_session, policy, sender, external, config_for(trust, tsa_url=NO_TSA_HERE))
    issue_with_seal(
        db_session, Actor(user=sender.clerk), doc, PASSPHRASE, policy, config_for(trust)
    )
    (message,) = db_session.scalars(
        select(OutboxMessage).where(OutboxMessage.document_id == doc.id)
    )
    first = build_edoc(edoc_for(db_session, message, doc, policy))
    doc.archive_due_at = clock.now()
    db_session.commit()
    in_worker = config_for(trust, tsa_url=pki.tsa_url, online=True)
    assert renew_due_archives(worker, policy, in_worker) == 1
    db_session.expire_all()
    assert doc.files[-1].kind == "archived" and doc.files[-1].is_main
    assert build_edoc(edoc_for(db_session, message, doc, policy)) == first
