"""eoffice's web app as a real process (`eoffice run`, waitress), and clients that load it.

`prepare_site` builds the database (migrations, one agency, its users, a clerk's API token);
`Site.start` serves it; the clients speak HTTP as a browser and an API caller would.
"""

from __future__ import annotations

import json
import os
import re
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import requests
from sqlalchemy import select

from eoffice import clock
from eoffice.audit.models import AuditEvent
from eoffice.audit.services import verify_chain
from eoffice.db import make_engine, make_session_factory, transaction
from eoffice.documents.blobs import BlobStore
from eoffice.documents.models import Direction, Document, NumberSeries
from eoffice.migrate import upgrade_to_head
from eoffice.org.actor import Actor
from eoffice.org.auth import create_api_token
from tests.documents.conftest import make_pdf
from tests.exchange.test_vxp_e2e import free_port
from tests.factories import PASSWORD, Factory
from tests.faults.processes import Process, wait_for

UNAVAILABLE_VI = "Hệ thống tạm thời không phục vụ được"


@dataclass
class Site:
    env: dict[str, str]
    token: str
    clerk: str
    directory: Path
    port: int = field(default_factory=free_port)
    process: Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, wrapper: Sequence[str] = ()) -> Site:
        """Serve with `eoffice run`; ``wrapper`` is a command prefix (e.g. a mount namespace)."""
        args = [*wrapper, sys.executable, "-m", "eoffice", "run", "--port", str(self.port)]
        self.process = Process(args, self.env, self.directory / "web.log").start()
        wait_for(self._answers, "the web app to answer", context=self.process.tail)
        return self

    def _answers(self) -> bool:
        assert self.process is not None
        if not self.process.alive:
            raise AssertionError(f"the web app exited:\n{self.process.tail()}")
        try:
            return requests.get(f"{self.url}/healthz", timeout=5).status_code in (200, 503)
        except requests.ConnectionError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()

    def register(
        self, subject: str, http: requests.Session | None = None, pages: int = 1, lang: str = ""
    ) -> requests.Response:
        """POST /api/v1/documents/incoming with a PDF of its own (about 400 bytes a page)."""
        metadata = {
            "organ_name": "Sở Tài chính tỉnh Khánh Hòa",
            "organ_id": "000.00.02.H34",
            "code_number": "123",
            "code_notation": "STC-NS",
            "issued_date": (clock.today() - timedelta(days=2)).isoformat(),
            "type_code": "CV",
            "subject": subject,
            "signer_name": "Trần Văn Bình",
            "signer_position": "Giám đốc",
            "allow_duplicate": True,
        }
        files = {
            "metadata": (None, json.dumps(metadata), "application/json"),
            "file": ("cong-van.pdf", make_pdf(subject, pages), "application/pdf"),
        }
        return (http or requests).post(
            f"{self.url}/api/v1/documents/incoming" + (f"?lang={lang}" if lang else ""),
            files=files,
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=60,
        )

    def browser(self) -> requests.Session:
        """A logged-in browser session of the clerk (CSRF token read from the form)."""
        http = requests.Session()
        page = http.get(f"{self.url}/login", timeout=30).text
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        assert token is not None, page[:500]
        answer = http.post(
            f"{self.url}/login",
            data={"username": self.clerk, "password": PASSWORD, "csrf_token": token.group(1)},
            timeout=30,
        )
        assert answer.status_code == 200 and "logout" in answer.text.lower(), answer.text[:500]
        return http


def prepare_site(directory: Path, database_url: str, **env: str) -> Site:
    """Migrate the database and create an agency with a clerk who holds an API token."""
    directory.mkdir(parents=True, exist_ok=True)
    engine = make_engine(database_url)
    upgrade_to_head(engine)
    with transaction(make_session_factory(engine)) as session:
        f = Factory(session)
        org = f.org()
        _, token = create_api_token(session, Actor.system(), org.clerk)
        clerk = org.clerk.username
    engine.dispose()
    full_env = {
        **os.environ,
        "EOFFICE_DATABASE_URL": database_url,
        "EOFFICE_INSTANCE_DIR": str(directory),
        "EOFFICE_SECRET_KEY": "k" * 40,
        "EOFFICE_ENV": "test",
        **env,
    }
    full_env.pop("EOFFICE_CONFIG", None)
    return Site(full_env, token, clerk, directory)


@dataclass
class Load:
    """Clients hammering the site from threads until stopped; every answer is kept."""

    site: Site
    api_clients: int = 3
    answers: list[tuple[str, int, str, str]] = field(default_factory=list)
    """(kind, status, subject or path, body) in the order they came back."""
    errors: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self, browser: requests.Session | None = None) -> Load:
        for n in range(self.api_clients):
            self._threads.append(threading.Thread(target=self._api, args=(n,), daemon=True))
        if browser is not None:
            self._threads.append(threading.Thread(target=self._pages, args=(browser,), daemon=True))
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=120)

    def _keep(self, kind: str, status: int, what: str, body: str) -> None:
        with self._lock:
            self.answers.append((kind, status, what, body))

    def count(self, kind: str, status: int, since: int = 0) -> int:
        with self._lock:
            return sum(1 for k, s, _, _ in self.answers[since:] if k == kind and s == status)

    def mark(self) -> int:
        with self._lock:
            return len(self.answers)

    def _api(self, n: int) -> None:
        http, i = requests.Session(), 0
        while not self._stop.is_set():
            subject = f"Công văn tải thử {n}-{i}"
            i += 1
            try:
                answer = self.site.register(subject, http)
            except requests.RequestException as e:  # the server itself must never fail us
                self.errors.append(f"api {subject}: {e!r}")
                continue
            self._keep("api", answer.status_code, subject, answer.text)

    def _pages(self, http: requests.Session) -> None:
        path = "/documents/incoming"
        while not self._stop.is_set():
            try:
                answer = http.get(f"{self.site.url}{path}", timeout=60)
            except requests.RequestException as e:
                self.errors.append(f"page: {e!r}")
                continue
            self._keep("page", answer.status_code, path, answer.text)


def check_registrations(database_url: str, blob_dir: Path) -> list[str]:
    """Assert that every registration is whole; return the registered subjects.

    Whole: the document has one main file whose blob is on disk with its hash, its audit event,
    and a số đến; the numbers are exactly 1..n and the counter is at n + 1 (nothing taken by a
    registration that did not happen).
    """
    store = BlobStore(blob_dir)
    engine = make_engine(database_url)
    try:
        with transaction(make_session_factory(engine)) as session:
            docs = session.scalars(
                select(Document).where(Document.direction == Direction.INCOMING.value)
            ).all()
            audited = set(
                session.scalars(
                    select(AuditEvent.object_id).where(
                        AuditEvent.action == "document.register_incoming"
                    )
                )
            )
            for doc in docs:
                (main,) = [f for f in doc.files if f.is_main]
                store.get(main.sha256)  # raises BlobCorrupted when missing or changed
                assert str(doc.id) in audited, f"document {doc.id} has no audit event"
            numbers = sorted(doc.number for doc in docs)
            assert numbers == list(range(1, len(docs) + 1)), numbers
            counters = [s.next_number for s in session.scalars(select(NumberSeries))]
            assert counters in ([], [len(docs) + 1]), counters
            assert verify_chain(session).ok
            return [doc.subject for doc in docs]
    finally:
        engine.dispose()
