"""Two provinces and the local axis as real processes, for the exchange fault tests.

Province A runs on SQLite, province B on PostgreSQL (one database each), so one run covers both
engines; `eoffice vxp-hub` is the axis with its own SQLite database. People's actions (issue at A,
accept or return at B) go through the services on each instance's database with real commits;
everything between the two goes through the `eoffice worker` processes and the axis.

Documents are issued without cryptographic signatures (the unsigned PDF stands for the signed
one at the signing steps): the signing is covered by tests/exchange/test_vxp_e2e.py, and skipping
it lets hundreds of documents flow in a bounded time.
"""

from __future__ import annotations

import os
import socket
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from eoffice import clock
from eoffice.audit.services import verify_chain
from eoffice.db import make_engine, make_session_factory, transaction
from eoffice.documents.blobs import Upload
from eoffice.documents.files import read_file
from eoffice.documents.incoming import accept_arrival, reject_arrival
from eoffice.documents.metadata import DocumentMetadata
from eoffice.documents.models import Direction, Document, Recipient
from eoffice.documents.outgoing import (
    DraftInput,
    approve_draft,
    assign_number,
    create_draft,
    mark_sealed,
    mark_signed,
    review_draft,
    submit_draft,
)
from eoffice.documents.recipients import issue_document
from eoffice.exchange.models import InboxMessage, OutboxMessage
from eoffice.migrate import upgrade_to_head
from eoffice.org.actor import Actor
from eoffice.org.services import AgencyInput, create_agency, create_unit
from eoffice.system.models import WorkerHeartbeat
from eoffice.wiring import file_policy
from tests.documents.conftest import make_pdf
from tests.exchange.test_vxp_e2e import A_CODE, B_CODE, Instance, free_port
from tests.factories import Factory
from tests.faults.processes import Process, wait_for
from vxp_adapter.hub import store
from vxp_adapter.hub.app import HubApp, HubConfig
from vxp_adapter.hub.models import Delivery, Message

__all__ = ["A_CODE", "B_CODE", "Exchange", "Hub", "Province", "start_exchange"]

RETURN_REASON = "Gửi nhầm cơ quan"


@dataclass
class Hub:
    """The local axis: a process on a fixed port, restartable on the same database."""

    process: Process
    port: int
    factory: sessionmaker[Session]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def messages(self, message_type: str) -> list[Message]:
        with transaction(self.factory) as session:
            return list(
                session.scalars(select(Message).where(Message.message_type == message_type))
            )

    def answers(self) -> bool:
        """Whether the axis accepts connections (it takes seconds to start on a loaded machine)."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=2):
                return True
        except OSError:
            return False

    def delivery_states(self) -> Counter[str]:
        with transaction(self.factory) as session:
            rows = session.execute(select(Delivery.state, func.count()).group_by(Delivery.state))
            return Counter(dict(rows.all()))


@dataclass
class Province:
    """An eoffice instance (database, blob store, users) and its worker process."""

    instance: Instance
    worker: Process
    name: str

    @property
    def factory(self) -> sessionmaker[Session]:
        return self.instance.factory

    def actor(self, session: Session, role: str) -> Actor:
        return self.instance.actor(session, role)

    def worker_ready(self) -> bool:
        """Whether the current worker process runs its jobs (its first heartbeat is in)."""
        if not self.worker.alive:
            return False
        name = f"{socket.gethostname()}:{self.worker.pid}"
        with transaction(self.factory) as session:
            return session.get(WorkerHeartbeat, name) is not None


@dataclass
class Exchange:
    hub: Hub
    a: Province
    b: Province
    processes: list[Process] = field(default_factory=list)

    def logs(self) -> str:
        """The tails of every process' log, for assertion messages."""
        return "\n".join(
            f"--- {p.log.name} (pid {p.popen.pid if p.popen else '-'}, {p.kills} kills)\n{p.tail()}"
            for p in self.processes
        )

    def stop(self) -> None:
        for process in self.processes:
            process.stop()


def start_exchange(
    tmp: Path, b_url: str, *, retry_base: int = 1, retry_max: int = 4, timeout: int = 10
) -> Exchange:
    """Start the axis and both workers; A on SQLite under ``tmp``, B on ``b_url``."""
    port = free_port()
    hub_env = {
        **os.environ,
        "EOFFICE_INSTANCE_DIR": str(tmp / "hub"),
        "EOFFICE_VXP_HUB_DATABASE_URL": f"sqlite:///{tmp / 'hub.sqlite3'}",
    }
    hub_app = HubApp(HubConfig(hub_env["EOFFICE_VXP_HUB_DATABASE_URL"]))  # migrates
    with hub_app.sessions.begin() as session:
        secrets = {
            system: store.add_system(session, system, [store.AgencySpec(code, f"Tỉnh {code}")])
            for system, code in (("sys-a", A_CODE), ("sys-b", B_CODE))
        }
    hub_process = Process.eoffice(
        "vxp-hub", "--port", str(port), env=hub_env, log=tmp / "hub.log"
    ).start()
    hub = Hub(hub_process, port, make_session_factory(hub_app.engine))
    wait_for(hub.answers, "the axis to listen", context=hub_process.tail)
    common = {
        "EOFFICE_VXP_ENDPOINT": hub.url,
        "EOFFICE_VXP_POLL_SECONDS": "1",
        "EOFFICE_VXP_TIMEOUT_SECONDS": str(timeout),
        "EOFFICE_VXP_RETRY_BASE_SECONDS": str(retry_base),
        "EOFFICE_VXP_RETRY_MAX_SECONDS": str(retry_max),
        "EOFFICE_VXP_RETRY_ATTEMPTS": "100",
    }
    provinces = []
    for name, code, other, url in (
        ("a", A_CODE, B_CODE, f"sqlite:///{tmp / 'a' / 'eoffice.sqlite3'}"),
        ("b", B_CODE, A_CODE, b_url),
    ):
        env = {
            **common,
            "EOFFICE_VXP_SYSTEM_ID": f"sys-{name}",
            "EOFFICE_VXP_SECRET": secrets[f"sys-{name}"],
        }
        instance = make_instance(tmp / name, code, other, url, env)
        worker = Process.eoffice("worker", env=instance.env, log=tmp / f"worker-{name}.log")
        provinces.append(Province(instance, worker.start(), name))
    a, b = provinces
    exchange = Exchange(hub, a, b, [hub_process, a.worker, b.worker])
    wait_for(lambda: a.worker_ready() and b.worker_ready(), "both workers to run their jobs",
             context=exchange.logs)  # fmt: skip
    return exchange


def make_instance(
    directory: Path, code: str, other: str, url: str, extra_env: dict[str, str]
) -> Instance:
    """A migrated database with the local agency, its peer (external) and one user per role."""
    directory.mkdir(parents=True)
    env = {
        **os.environ,
        **extra_env,
        "EOFFICE_DATABASE_URL": url,
        "EOFFICE_INSTANCE_DIR": str(directory),
        "EOFFICE_ENV": "test",
    }
    env.pop("EOFFICE_CONFIG", None)
    engine = make_engine(url)
    upgrade_to_head(engine)
    factory = make_session_factory(engine)
    with transaction(factory) as session:
        system = Actor.system()
        agency, _ = create_agency(
            session,
            system,
            AgencyInput(code, f"UBND tỉnh {code}", "UBND", "tinh", exchanges_via_vxp=True),
        )
        peer, _ = create_agency(
            session,
            system,
            AgencyInput(other, f"UBND tỉnh {other}", "UBND", "tinh", exchanges_via_vxp=True),
        )
        peer.is_local = False
        create_unit(session, system, agency, "Văn phòng", "VP")
        f = Factory(session)
        roles = ("clerk", "leader", "unit_head", "specialist")
        usernames = {role: f.user(agency, role).username for role in roles}
    return Instance(code, env, factory, usernames)


def issue(a: Province, subjects: list[str]) -> list[int]:
    """Issue one document per subject from A to B, through every step of the real workflow."""
    policy = file_policy(a.instance.settings)
    ids = []
    with transaction(a.factory) as session:
        specialist, unit_head = a.actor(session, "specialist"), a.actor(session, "unit_head")
        leader, clerk = a.actor(session, "leader"), a.actor(session, "clerk")
        for subject in subjects:
            pdf = make_pdf(subject)
            data = DraftInput(
                meta=DocumentMetadata(
                    type_code="CV", subject=subject, due_date=clock.today() + timedelta(days=10)
                ),
                signer_id=leader.user.id,
                recipient_codes=(B_CODE,),
            )
            doc = create_draft(
                session, specialist, data, Upload("d.pdf", "application/pdf", pdf), policy
            )
            submit_draft(session, specialist, doc)
            review_draft(session, unit_head, doc)
            approve_draft(session, leader, doc)
            mark_signed(session, leader, doc, pdf, policy)
            assign_number(session, clerk, doc)
            mark_sealed(session, clerk, doc, pdf, policy)
            issue_document(session, clerk, doc)
            ids.append(doc.id)
    return ids


def handle_arrivals(b: Province, returned: set[str]) -> int:
    """B's clerk accepts what arrived, or returns it when its subject is in ``returned``."""
    with transaction(b.factory) as session:
        clerk = b.actor(session, "clerk")
        waiting = session.scalars(
            select(Document).where(
                Document.direction == Direction.INCOMING.value,
                Document.status == "pending_accept",
            )
        ).all()
        for doc in waiting:
            if doc.subject in returned:
                reject_arrival(session, clerk, doc, RETURN_REASON)
            else:
                accept_arrival(session, clerk, doc, allow_duplicate=True)
        return len(waiting)


def recipient_statuses(a: Province) -> dict[str, tuple[str, str]]:
    """Subject → (status, reason) of B's row on each document A issued."""
    with transaction(a.factory) as session:
        rows = session.execute(
            select(Document.subject, Recipient.status, Recipient.reason).join(
                Recipient, Recipient.document_id == Document.id
            )
        )
        return {subject: (status, reason) for subject, status, reason in rows}


def outbox_states(p: Province) -> Counter[str]:
    with transaction(p.factory) as session:
        rows = session.execute(
            select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
        )
        return Counter(dict(rows.all()))


def check_files_and_audit(p: Province) -> None:
    """Every document's main file is on disk and intact; the audit chain is unbroken."""
    policy = file_policy(p.instance.settings)
    with transaction(p.factory) as session:
        for doc in session.scalars(select(Document)):
            read_file(policy, doc)  # raises BlobCorrupted when missing or changed
        report = verify_chain(session)
    assert report.ok, f"audit chain of {p.name} broken: {report}"


def expected_statuses(subjects: list[str], returned: set[str]) -> dict[str, tuple[str, str]]:
    """What A must finally see of each document: accepted, or returned with the reason."""
    return {s: ("rejected", RETURN_REASON) if s in returned else ("accepted", "") for s in subjects}


def quiet(ex: Exchange, expected: dict[str, tuple[str, str]], returned: set[str]) -> bool:
    """Whether everything went through: every status at A, nothing waiting anywhere."""
    handle_arrivals(ex.b, returned)  # what arrives late is handled like the rest
    return (
        recipient_statuses(ex.a) == expected
        and set(outbox_states(ex.a)) == {"sent"}
        and set(outbox_states(ex.b)) == {"sent"}
        and set(ex.hub.delivery_states()) == {"done"}
    )


def check_exactly_once(ex: Exchange, subjects: list[str], returned: set[str]) -> None:
    """Each document registered once at B (số đến 1..n), one axis message per document and
    status, every delivery acknowledged, files intact and audit chains unbroken."""
    n = len(subjects)
    with transaction(ex.b.factory) as session:
        arrivals = session.execute(
            select(Document.subject, Document.status, Document.number).where(
                Document.direction == Direction.INCOMING.value
            )
        ).all()
        inbox = session.scalar(select(func.count()).select_from(InboxMessage))
    by_subject: dict[str, tuple[str, int | None]] = {}
    for subject, status, number in arrivals:
        assert subject not in by_subject, f"{subject} registered twice at B"
        by_subject[subject] = (status, number)
    assert set(by_subject) == set(subjects)
    accepted = sorted(number or 0 for status, number in by_subject.values() if status != "rejected")
    assert accepted == list(range(1, n - len(returned) + 1))  # số đến gap-free, none twice
    assert {s for s, (status, _) in by_subject.items() if status == "rejected"} == returned
    assert inbox == n  # one axis message per document: none re-sent as a new message
    assert outbox_states(ex.a) == {"sent": n}
    assert outbox_states(ex.b) == {"sent": 2 * n}  # 01, then 03 or 02
    edocs, statuses = ex.hub.messages("edoc"), ex.hub.messages("status")
    assert len(edocs) == len({m.document_id for m in edocs}) == n
    assert len(statuses) == 2 * n
    assert ex.hub.delivery_states() == {"done": 3 * n}
    for province in (ex.a, ex.b):
        check_files_and_audit(province)
