"""Two provinces exchange a signed document through a local axis: all real processes on loopback.

Province A and province B each have their own database and blob store and run `eoffice worker`
(with the VXP jobs); `eoffice vxp-hub` is the axis. People's actions (issue, accept, assign,
return) are made through the services on each instance's own database, with real commits.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from eoffice import clock
from eoffice.db import make_engine, make_session_factory, transaction
from eoffice.documents.amend import MetadataUpdate, update_issued_document
from eoffice.documents.blobs import Upload
from eoffice.documents.demo import seal_image, signature_image
from eoffice.documents.drafting import DraftForm, build_draft_pdf
from eoffice.documents.incoming import (
    AssignmentPlan,
    Target,
    accept_arrival,
    assign_document,
    reject_arrival,
)
from eoffice.documents.metadata import DocumentMetadata
from eoffice.documents.models import Document, Recipient
from eoffice.documents.outgoing import (
    DraftInput,
    approve_draft,
    create_draft,
    review_draft,
    submit_draft,
)
from eoffice.documents.recall import withdraw_document
from eoffice.documents.signatures import issue_with_seal, sign_as_leader
from eoffice.migrate import upgrade_to_head
from eoffice.org.actor import Actor
from eoffice.org.credentials import install_pkcs12
from eoffice.org.services import AgencyInput, create_agency, get_user_by_username
from eoffice.settings import load_settings
from eoffice.wiring import file_policy, signature_config
from signing.pki import build_demo_pki, issue_identity
from tests.factories import Factory

pytestmark = pytest.mark.xdist_group("vxp-e2e")

A_CODE, B_CODE = "000.00.00.H34", "000.00.00.H36"
PASSPHRASE = "Mat-khau-ky-so-2026"
TIMEOUT = 60


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def eoffice(*args: str, env: dict[str, str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "eoffice", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        **kwargs,
    )


@dataclass
class Instance:
    code: str
    env: dict[str, str]
    factory: sessionmaker[Session]
    usernames: dict[str, str]

    @property
    def settings(self):
        saved = dict(os.environ)
        os.environ.update(self.env)
        try:
            return load_settings()
        finally:
            os.environ.clear()
            os.environ.update(saved)

    def actor(self, session: Session, role: str) -> Actor:
        return Actor(user=get_user_by_username(session, self.usernames[role]))


def wait_for(check: Callable[[], object], what: str) -> object:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def _make_instance(
    tmp: Path,
    code: str,
    other: str,
    name: str,
    hub_url: str,
    system: str,
    secret: str,
    pki_dir: Path,
) -> Instance:
    instance_dir = tmp / code
    url = f"sqlite:///{instance_dir / 'eoffice.sqlite3'}"
    instance_dir.mkdir()
    env = {
        **os.environ,
        "EOFFICE_DATABASE_URL": url,
        "EOFFICE_INSTANCE_DIR": str(instance_dir),
        "EOFFICE_VXP_ENDPOINT": hub_url,
        "EOFFICE_VXP_SYSTEM_ID": system,
        "EOFFICE_VXP_SECRET": secret,
        "EOFFICE_VXP_POLL_SECONDS": "1",
        "EOFFICE_ENV": "test",
    }
    env.pop("EOFFICE_CONFIG", None)
    engine = make_engine(url)
    upgrade_to_head(engine)
    factory = make_session_factory(engine)
    with transaction(factory) as session:
        system_actor = Actor.system()
        agency, _ = create_agency(
            session,
            system_actor,
            AgencyInput(
                code=code, name=name, short_name="UBND", level="tinh", exchanges_via_vxp=True
            ),
        )
        peer, _ = create_agency(
            session,
            system_actor,
            AgencyInput(
                code=other,
                name=f"Cơ quan {other}",
                short_name="UBND",
                level="tinh",
                exchanges_via_vxp=True,
            ),
        )
        peer.is_local = False
        from eoffice.org.services import create_unit

        create_unit(session, system_actor, agency, "Văn phòng", "VP")
        f = Factory(session)
        users = {
            role: f.user(agency, role) for role in ("clerk", "leader", "unit_head", "specialist")
        }
        install_pkcs12(
            session,
            system_actor,
            user=users["leader"],
            passphrase=PASSPHRASE,
            pkcs12_data=(pki_dir / "leaders/leader.p12").read_bytes(),
            image_png=signature_image(users["leader"].full_name),
        )
        install_pkcs12(
            session,
            system_actor,
            agency=agency,
            passphrase=PASSPHRASE,
            pkcs12_data=(pki_dir / "seals/seal.p12").read_bytes(),
            image_png=seal_image(name),
        )
        usernames = {role: u.username for role, u in users.items()}
    trust = instance_dir / "trust"
    trust.mkdir()
    shutil.copyfile(pki_dir / "root-ca.pem", trust / "root.pem")
    return Instance(code, env, factory, usernames)


@pytest.fixture(scope="module")
def provinces(tmp_path_factory) -> Iterator[tuple[Instance, Instance]]:
    tmp = tmp_path_factory.mktemp("vxp-e2e")
    pki = build_demo_pki(
        tmp / "pki", leaders=[], agencies=[], passphrase=PASSPHRASE, key_algorithm="ec-p256"
    )
    pki = issue_identity(
        pki,
        "Lãnh đạo A",
        kind="leader",
        passphrase=PASSPHRASE,
        file_stem="leader",
        key_algorithm="ec-p256",
    )
    pki = issue_identity(
        pki,
        "UBND tỉnh A",
        kind="seal",
        passphrase=PASSPHRASE,
        file_stem="seal",
        key_algorithm="ec-p256",
    )
    port = free_port()
    hub_env = {
        **os.environ,
        "EOFFICE_INSTANCE_DIR": str(tmp / "hub"),
        "EOFFICE_VXP_HUB_DATABASE_URL": f"sqlite:///{tmp / 'hub.sqlite3'}",
    }
    secrets = {}
    for system, code, _other in (("sys-a", A_CODE, B_CODE), ("sys-b", B_CODE, A_CODE)):
        out = eoffice(
            "vxp-hub",
            "add-system",
            system,
            "--agency",
            code,
            "--name-of",
            f"{code}=Tỉnh {code}",
            env=hub_env,
        )
        secrets[system] = out.stdout.strip().splitlines()[-1]
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "eoffice", "vxp-hub", "--port", str(port)],
            env=hub_env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    ]
    hub_url = f"http://127.0.0.1:{port}"
    a = _make_instance(
        tmp,
        A_CODE,
        B_CODE,
        "Ủy ban nhân dân tỉnh A",
        hub_url,
        "sys-a",
        secrets["sys-a"],
        pki.directory,
    )
    b = _make_instance(
        tmp,
        B_CODE,
        A_CODE,
        "Ủy ban nhân dân tỉnh B",
        hub_url,
        "sys-b",
        secrets["sys-b"],
        pki.directory,
    )
    for instance in (a, b):
        processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "eoffice", "worker"],
                env=instance.env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
    try:
        yield a, b
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=20)


def _issue_from_a(a: Instance, subject: str) -> int:
    settings = a.settings
    policy, config = file_policy(settings), signature_config(settings)
    with transaction(a.factory) as session:
        specialist = a.actor(session, "specialist")
        form = DraftForm(
            "Ủy ban nhân dân tỉnh A",
            "",
            None,
            subject,
            "Nội dung.",
            (f"UBND {B_CODE}",),
            "KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH",
            "Lãnh đạo A",
        )
        data = DraftInput(
            meta=DocumentMetadata(
                type_code="CV", subject=subject, due_date=clock.today() + timedelta(days=10)
            ),
            signer_id=a.actor(session, "leader").user.id,
            recipient_codes=(B_CODE,),
        )
        doc = create_draft(
            session,
            specialist,
            data,
            Upload("d.pdf", "application/pdf", build_draft_pdf(form)),
            policy,
        )
        submit_draft(session, specialist, doc)
        review_draft(session, a.actor(session, "unit_head"), doc)
        approve_draft(session, a.actor(session, "leader"), doc)
        sign_as_leader(session, a.actor(session, "leader"), doc, PASSPHRASE, policy, config)
        issue_with_seal(session, a.actor(session, "clerk"), doc, PASSPHRASE, policy, config)
        return doc.id


def _arrival_at_b(b: Instance, subject: str) -> int | None:
    with transaction(b.factory) as session:
        return session.execute(select(Document.id).where(Document.subject == subject)).scalar()


def _statuses_at_a(a: Instance, document_id: int) -> tuple[str, str]:
    with transaction(a.factory) as session:
        row = session.execute(
            select(Recipient).where(Recipient.document_id == document_id)
        ).scalar_one()
        return row.status, row.reason


def _recipient_at_a(a: Instance, document_id: int) -> Recipient:
    with transaction(a.factory) as session:
        row = session.execute(
            select(Recipient).where(Recipient.document_id == document_id)
        ).scalar_one()
        session.expunge(row)
        return row


def _copy_at_b(b: Instance, document_id: int) -> Document:
    with transaction(b.factory) as session:
        document = session.get(Document, document_id)
        session.expunge(document)
        return document


def test_a_issues_b_accepts_and_assigns_a_sees_every_status(provinces):
    a, b = provinces
    subject = "Phối hợp triển khai trục liên thông văn bản giữa hai tỉnh"
    sent_id = _issue_from_a(a, subject)
    arrived_id = wait_for(lambda: _arrival_at_b(b, subject), "the edoc to arrive at B")
    with transaction(b.factory) as session:
        arrived = session.get(Document, arrived_id)
        assert arrived.status == "pending_accept" and arrived.source == "vxp"
        assert arrived.organ_id == A_CODE and arrived.code_notation == "UBND-VP"
        # Validated on arrival: intact and trusted (amber only because no OCSP/CRL runs here).
        assert arrived.due_date is not None and arrived.signature_status in ("green", "amber")
        signatures = [x for x in arrived.signature_report["signatures"] if x["kind"] == "signature"]
        assert len(signatures) == 2 and all(x["intact"] and x["trusted"] for x in signatures)
    wait_for(lambda: _statuses_at_a(a, sent_id)[0] == "arrived", "status 01 at A")
    with transaction(b.factory) as session:
        arrived = session.get(Document, arrived_id)
        accept_arrival(session, b.actor(session, "clerk"), arrived)
        assert arrived.number == 1
    wait_for(lambda: _statuses_at_a(a, sent_id)[0] == "accepted", "status 03 at A")
    with transaction(b.factory) as session:
        arrived = session.get(Document, arrived_id)
        lead = b.actor(session, "specialist").user
        assign_document(
            session,
            b.actor(session, "leader"),
            arrived,
            AssignmentPlan(lead=Target(user_id=lead.id)),
        )
    wait_for(lambda: _statuses_at_a(a, sent_id)[0] == "assigned", "status 04 at A")


def test_b_returns_a_document_with_a_reason(provinces):
    a, b = provinces
    subject = "Văn bản gửi nhầm để thử trả lại"
    sent_id = _issue_from_a(a, subject)
    arrived_id = wait_for(lambda: _arrival_at_b(b, subject), "the edoc to arrive at B")
    with transaction(b.factory) as session:
        reject_arrival(
            session,
            b.actor(session, "clerk"),
            session.get(Document, arrived_id),
            "Gửi nhầm cơ quan",
        )
    _status, reason = wait_for(
        lambda: (lambda s: s if s[0] == "rejected" else None)(_statuses_at_a(a, sent_id)),
        "status 02 at A",
    )
    assert reason == "Gửi nhầm cơ quan"


def test_a_updates_then_withdraws_and_b_applies_both(provinces):
    a, b = provinces
    subject = "Văn bản để thử cập nhật rồi thu hồi"
    sent_id = _issue_from_a(a, subject)
    arrived_id = wait_for(lambda: _arrival_at_b(b, subject), "the edoc to arrive at B")
    wait_for(lambda: _statuses_at_a(a, sent_id)[0] == "arrived", "status 01 at A")
    corrected = "Văn bản để thử cập nhật rồi thu hồi (đã sửa trích yếu)"
    new_due = clock.today() + timedelta(days=20)
    with transaction(a.factory) as session:
        update_issued_document(
            session,
            a.actor(session, "clerk"),
            session.get(Document, sent_id),
            MetadataUpdate(subject=corrected, due_date=new_due),
            "Sai trích yếu",
        )
    wait_for(lambda: _copy_at_b(b, arrived_id).subject == corrected, "the update at B")
    assert _copy_at_b(b, arrived_id).due_date == new_due
    wait_for(
        lambda: _recipient_at_a(a, sent_id).change_status == "update_applied", "15 (update) at A"
    )
    with transaction(a.factory) as session:
        withdraw_document(
            session, a.actor(session, "clerk"), session.get(Document, sent_id), "Ban hành nhầm"
        )
    wait_for(lambda: _copy_at_b(b, arrived_id).status == "recalled", "the recall at B")
    copy = _copy_at_b(b, arrived_id)
    assert copy.main_file_sha256 is None and copy.cancel_reason == "Ban hành nhầm"
    wait_for(lambda: _statuses_at_a(a, sent_id)[0] == "recalled", "15 (recall) at A")
