"""Helpers for the backup tests: instances on disk, writes that commit, comparisons of state."""

from __future__ import annotations

import io
import itertools
import json
import tarfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

import eoffice.models  # noqa: F401 - every table in the metadata
import signing
from eoffice import clock
from eoffice.db import Base, make_engine, make_session_factory, transaction
from eoffice.documents.blobs import Upload
from eoffice.documents.incoming import register_incoming
from eoffice.documents.models import Blob, Document
from eoffice.documents.registers import (
    RegisterKind,
    RegisterQuery,
    build_register,
    list_register_series,
)
from eoffice.org.actor import Actor
from eoffice.org.models import User
from eoffice.settings import Settings, load_settings
from eoffice.system.backup import Instance
from eoffice.wiring import file_policy, signature_config
from tests.documents.conftest import incoming_meta, make_pdf

CLERKS = ("vanthu.ubnd", "vanthu.vpubnd")
_serial = itertools.count(1)


@dataclass
class Site:
    """One eoffice instance: settings, an engine on its database, and what backup sees."""

    settings: Settings
    engine: Engine

    @classmethod
    def at(cls, url: str, instance_dir: Path) -> Site:
        settings = load_settings(
            env="test", database_url=url, instance_dir=instance_dir, secret_key="s" * 40
        )
        return cls(settings, make_engine(url))

    @property
    def instance(self) -> Instance:
        return Instance(
            self.settings.effective_database_url,
            file_policy(self.settings).store,
            self.settings.effective_trust_dir,
        )

    def register_document(self, note: str = "") -> int:
        """Register one incoming document with a PDF of its own (a new blob), and commit."""
        n = next(_serial)
        text = f"Cong van so {n} {note}"
        upload = Upload(f"cv-{n}.pdf", "application/pdf", make_pdf(text))
        with transaction(make_session_factory(self.engine)) as session:
            clerk = session.execute(select(User).where(User.username == CLERKS[0])).scalar_one()
            meta = incoming_meta(code_number=str(1000 + n), subject=f"V/v thử nghiệm sao lưu {n}")
            registration = register_incoming(
                session,
                Actor(user=clerk),
                meta,
                upload,
                file_policy(self.settings),
                allow_duplicate=True,
            )
            return registration.document.id


def table_rows(engine: Engine, *, skip: tuple[str, ...] = ()) -> dict[str, list[tuple]]:
    """Every row of every eoffice table, ordered by primary key."""
    rows = {}
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name in skip:
                continue
            order = list(table.primary_key.columns)
            rows[table.name] = [tuple(r) for r in conn.execute(table.select().order_by(*order))]
    return rows


def registers(engine: Engine) -> dict[tuple[str, str], list]:
    """The printable registers of the demo clerks' agencies for this year (rows and cover)."""
    today = clock.today()
    found = {}
    with Session(engine) as session:
        for username in CLERKS:
            clerk = session.execute(select(User).where(User.username == username)).scalar_one()
            actor = Actor(user=clerk)
            for kind, code, _name in list_register_series(session, actor):
                query = RegisterQuery(
                    RegisterKind(kind), today.replace(month=1, day=1), today, code
                )
                report = build_register(session, actor, query)
                found[(username, code)] = [report.cover, report.rows]
    return found


def assert_every_blob_is_stored(site: Site) -> int:
    """Every blob row has its file in the store, with the right bytes; return how many."""
    store = file_policy(site.settings).store
    with Session(site.engine) as session:
        hashes = session.execute(select(Blob.sha256)).scalars().all()
    for sha in hashes:
        store.get(sha)  # raises BlobCorrupted when missing or altered
    return len(hashes)


def assert_issued_signatures_validate(site: Site) -> int:
    """Every issued document's PDF validates: each signature intact, valid and trusted."""
    store = file_policy(site.settings).store
    services = signature_config(site.settings).services
    with Session(site.engine) as session:
        issued = session.execute(select(Document).where(Document.issued_at.is_not(None))).scalars()
        hashes = [d.main_file_sha256 for d in issued]
    assert hashes, "the demo has an issued document"
    for sha in hashes:
        report = signing.validate_pdf(store.get(sha), services, at=clock.now())
        signatures = [s for s in report.signatures if s.kind == "signature"]
        assert len(signatures) == 2, report.to_dict()
        assert all(s.intact and s.valid and s.trusted for s in signatures), report.to_dict()
        assert report.bottom_line != signing.BottomLine.RED
    return len(hashes)


def members(archive: Path) -> list[tuple[tarfile.TarInfo, bytes]]:
    with tarfile.open(archive) as tar:
        return [(info, tar.extractfile(info).read()) for info in tar.getmembers()]  # type: ignore[union-attr]


def rewrite(archive: Path, out: Path, change, extra=()) -> Path:
    """Copy an archive member by member; ``change(name, data)`` returns new bytes or None to
    drop the member. The manifest is passed as a dict and returned as one. ``extra`` members
    (name, bytes) are appended."""
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as tar:
        for info, data in [*members(archive), *[(tarfile.TarInfo(n), d) for n, d in extra]]:
            if info.name == "manifest.json":
                data = json.dumps(change(info.name, json.loads(data))).encode()
            else:
                data = change(info.name, data)
            if data is None:
                continue
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out


def tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` with its bytes (to show a refused restore changed nothing)."""
    if not root.exists():
        return {}
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}
