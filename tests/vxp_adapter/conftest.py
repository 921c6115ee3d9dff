"""Fixtures of the vxp_adapter tests: sample messages, fixture files, a hub on loopback."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from eoffice.db import make_engine as eoffice_engine
from eoffice.db import make_session_factory, transaction
from eoffice.documents.blobs import BlobStore, FilePolicy
from eoffice.migrate import upgrade_to_head
from eoffice.org.actor import Actor
from eoffice.org.services import AgencyInput, create_agency
from tests.conftest import ENGINES, drop_postgres_database, fresh_database_url
from tests.data.hostile import pdfs
from vxp_adapter.client import ClientConfig, VxpClient
from vxp_adapter.dates import VN_TZ
from vxp_adapter.hub import BackgroundHub, HubConfig, store
from vxp_adapter.hub.app import HubApp
from vxp_adapter.hub.db import make_engine, upgrade
from vxp_adapter.hub.models import HubBase
from vxp_adapter.model import (
    Attachment,
    DocumentType,
    Edoc,
    Organization,
    OtherInfo,
    SignerInfo,
    TraceHeader,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "edxml"
# The PDF embedded (raw, zipped, or wrapped) in the hand-written fixtures.
FIXTURE_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
# What make_edoc sends: a real one-page PDF, since arrivals pass the same PDF check as uploads.
ARRIVAL_PDF = pdfs.valid()

VPCP = "000.00.00.G22"
NGHE_AN = "000.00.00.H41"
QUANG_NINH = "000.00.00.H49"


@pytest.fixture
def fixture_bytes() -> Callable[[str], bytes]:
    """Return a function reading tests/data/edxml/<name>."""
    return lambda name: (DATA / name).read_bytes()


@pytest.fixture
def fixture_pdf() -> bytes:
    return FIXTURE_PDF


def make_edoc(**changes: object) -> Edoc:
    """Return a plausible new-document edoc, with some fields replaced."""
    base = Edoc(
        sender=Organization(VPCP, "Văn phòng Chính phủ", email="vanthu@chinhphu.vn"),
        recipients=(Organization(NGHE_AN, "UBND tỉnh Nghệ An"),),
        code_number="123",
        code_notation="VPCP-TEST",
        promulgation_date=date(2024, 5, 2),
        subject="V/v triển khai kết nối trục liên thông văn bản",
        place="Hà Nội",
        document_type=DocumentType(1, 0, "Công văn"),
        signer=SignerInfo("KT. BỘ TRƯỞNG", "Thứ trưởng", "Nguyễn Văn An"),
        other=OtherInfo(priority=1, page_amount=2),
        steering_type=0,
        traces=(TraceHeader(VPCP, datetime(2024, 5, 2, 9, 15, tzinfo=VN_TZ)),),
        attachments=(Attachment("cv123.pdf", ARRIVAL_PDF, description="Công văn"),),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


@pytest.fixture
def edoc_factory() -> Callable[..., Edoc]:
    return make_edoc


@dataclass
class HubSetup:
    """A running hub with two systems: A (VPCP) and B (Nghệ An, Quảng Ninh)."""

    hub: BackgroundHub
    app: HubApp
    secret_a: str
    secret_b: str

    def client(self, system: str = "a", **kw: object) -> VxpClient:
        secret = self.secret_a if system == "a" else self.secret_b
        system_id = "sys.a" if system == "a" else "sys.b"
        return VxpClient(ClientConfig(self.hub.url, system_id, secret, timeout=10, **kw))  # type: ignore[arg-type]


@pytest.fixture(scope="session", params=("sqlite", "postgresql"))
def hub_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, worker_name: str
) -> Iterator[Engine]:
    """The hub's database on each engine, migrated once per test session."""
    url = fresh_database_url(request.param, tmp_path_factory.mktemp("hub"), worker_name, "vxphub")
    engine = make_engine(url)
    upgrade(engine)
    yield engine
    engine.dispose()
    if request.param == "postgresql":
        drop_postgres_database(url)


@pytest.fixture
def hub_app(hub_engine: Engine) -> Iterator[HubApp]:
    """A hub app on an empty database (the hub commits for real, so tables are emptied after)."""
    app = HubApp(HubConfig(hub_engine.url.render_as_string(hide_password=False)), engine=hub_engine)
    yield app
    with hub_engine.begin() as connection:
        for table in reversed(HubBase.metadata.sorted_tables):
            connection.execute(table.delete())


@pytest.fixture
def hub(hub_app: HubApp) -> Iterator[HubSetup]:
    with hub_app.sessions.begin() as s:
        secret_a = store.add_system(s, "sys.a", [store.AgencySpec(VPCP, "Văn phòng Chính phủ")])
        secret_b = store.add_system(
            s,
            "sys.b",
            [store.AgencySpec(NGHE_AN, "UBND tỉnh Nghệ An"), store.AgencySpec(QUANG_NINH)],
        )
    with BackgroundHub(hub_app) as running:
        yield HubSetup(running, hub_app, secret_a, secret_b)


@dataclass
class RawAnswer:
    status: int
    body: bytes

    def json(self) -> dict:
        import json

        return json.loads(self.body)


def raw_post(
    url: str, path: str, headers: list[tuple[str, str]], body: bytes = b"", method: str = "POST"
) -> RawAnswer:
    """POST with exactly these headers (plus Content-Length) through http.client."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for name, value in headers:
            conn.putheader(name, value.encode("utf-8"))
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        response = conn.getresponse()
        return RawAnswer(response.status, response.read())
    finally:
        conn.close()


@pytest.fixture
def signed_post(hub: HubSetup) -> Callable[..., RawAnswer]:
    """Send a request signed like the official client: (system, method, params, body, ...)."""
    from vxp_adapter.headers import signed_headers

    def send(
        system: str,
        method: str,
        params: dict[str, str],
        body: bytes = b"",
        *,
        ctype: str = "application/json",
        timestamp: str = "22112026T100057+0872",
    ) -> RawAnswer:
        secret = hub.secret_a if system == "a" else hub.secret_b
        system_id = "sys.a" if system == "a" else "sys.b"
        headers = signed_headers(
            system_id, secret, timestamp, ctype, params, upload=ctype != "application/json"
        )
        return raw_post(hub.hub.url, f"/{method}", headers, body)

    return send


@pytest.fixture
def raw() -> Callable[..., RawAnswer]:
    """Return `raw_post(url, path, headers, body=b"", method="POST")`."""
    return raw_post


# ----- an eoffice database hosting Nghệ An (VPCP is not hosted here), committing for real -----


@pytest.fixture(params=ENGINES)
def eoffice_db(request, tmp_path, worker_name):
    url = fresh_database_url(request.param, tmp_path, worker_name, "sync")
    engine = eoffice_engine(url)
    upgrade_to_head(engine)
    factory = make_session_factory(engine)
    with transaction(factory) as session:  # Nghệ An is hosted here; VPCP is not
        create_agency(
            session,
            Actor.system(),
            AgencyInput(NGHE_AN, "UBND tỉnh Nghệ An", "UBND", "tinh", exchanges_via_vxp=True),
        )
    yield factory
    engine.dispose()
    if request.param == "postgresql":
        drop_postgres_database(url)


@pytest.fixture
def policy(tmp_path) -> FilePolicy:
    return FilePolicy(BlobStore(tmp_path / "blobs"), 50 * 1024 * 1024, 20 * 1024 * 1024)
