"""Data for bench/vxp_sync_bench.py: two provinces' databases, a hub, N issued signed documents.

Every document carries its own signed PDF (the same draft sealed at a different second, so the
bytes differ and B stores, indexes and validates each one). The PDFs are made once and kept in
A's blob store under the work directory; later runs reuse them.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, insert, make_url, text
from sqlalchemy.orm import Session

from eoffice.db import make_engine, make_session_factory, transaction
from eoffice.documents.blobs import BlobStore
from eoffice.documents.drafting import DraftForm, build_draft_pdf
from eoffice.documents.models import Blob, Document, DocumentFile, Recipient
from eoffice.exchange.models import OutboxMessage
from eoffice.migrate import upgrade_to_head
from eoffice.org.actor import Actor
from eoffice.org.models import Agency
from eoffice.org.services import AgencyInput, create_agency
from signing.keys import load_pkcs12
from signing.pades import sign_invisible
from signing.pki import build_demo_pki, issue_identity

A_CODE, B_CODE = "000.00.00.H34", "000.00.00.H36"
NAMES = {A_CODE: "Ủy ban nhân dân tỉnh A", B_CODE: "Ủy ban nhân dân tỉnh B"}
PASSPHRASE = "Mat-khau-ky-so-2026"
NOTATION = "UBND-VP"
FAR_FUTURE = datetime(2100, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Pdf:
    sha256: str
    size: int


def database_url(admin_url: str, name: str) -> str:
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def recreate_database(admin_url: str, name: str) -> str:
    """Drop and create a PostgreSQL database; return its URL."""
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return database_url(admin_url, name)


def demo_pki(work: Path) -> Path:
    """Build (once) a demo PKI with an agency seal; return its directory."""
    directory = work / "pki"
    if not (directory / "seals" / "seal.p12").exists():
        pki = build_demo_pki(
            directory, leaders=[], agencies=[], passphrase=PASSPHRASE, key_algorithm="ec-p256"
        )
        issue_identity(
            pki,
            NAMES[A_CODE],
            kind="seal",
            passphrase=PASSPHRASE,
            file_stem="seal",
            key_algorithm="ec-p256",
        )
    return directory


def signed_pdfs(work: Path, store: BlobStore, count: int) -> list[Pdf]:
    """Return `count` distinct sealed PDFs in `store`, making the missing ones."""
    listing = work / "pdfs.txt"
    pdfs = [Pdf(s, int(n)) for s, n in (ln.split() for ln in _lines(listing))]
    if len(pdfs) >= count:
        return pdfs[:count]
    key = load_pkcs12((demo_pki(work) / "seals" / "seal.p12").read_bytes(), PASSPHRASE)
    draft = build_draft_pdf(
        DraftForm(
            NAMES[A_CODE],
            "",
            None,
            "V/v thử nghiệm liên thông văn bản qua trục",
            "Nội dung thử nghiệm. " * 80,
            (NAMES[B_CODE],),
            "KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH",
            "Lãnh đạo A",
        )
    )
    start = datetime.now(UTC)  # the seal certificate is valid from when it was made
    with listing.open("a") as out:
        for i in range(len(pdfs), count):
            signed = sign_invisible(draft, key, at=start + timedelta(seconds=i)).pdf
            pdf = Pdf(store.put(signed), len(signed))
            out.write(f"{pdf.sha256} {pdf.size}\n")
            pdfs.append(pdf)
            if (i + 1) % 1000 == 0:
                print(f"  {i + 1} signed PDFs", flush=True)
    return pdfs


def _lines(path: Path) -> list[str]:
    return path.read_text().split("\n")[:-1] if path.exists() else []


def province(url: str, local: str, peer: str) -> dict[str, int]:
    """Migrate a province's database; add its agency and the peer's (external); return ids."""
    engine = make_engine(url)
    upgrade_to_head(engine)
    factory = make_session_factory(engine)
    with transaction(factory) as session:
        for code in (local, peer):
            create_agency(
                session,
                Actor.system(),
                AgencyInput(code, NAMES[code], "UBND", "tinh", exchanges_via_vxp=True),
            )
        session.execute(text("UPDATE agencies SET is_local = (code = :c)"), {"c": local})
        ids = {a.code: a.id for a in session.query(Agency)}
    engine.dispose()
    return ids


def issued_documents(url: str, agencies: dict[str, int], pdfs: list[Pdf]) -> None:
    """Insert one issued outgoing document per PDF for B, each with an outbox row not yet due."""
    engine = make_engine(url)
    today, now = date.today(), datetime.now(UTC)
    n = len(pdfs)
    with Session(engine) as session, session.begin():
        session.execute(
            insert(Blob),
            [{"sha256": p.sha256, "size": p.size, "content_type": "application/pdf"} for p in pdfs],
        )
        session.execute(
            insert(Document), [_document(i, p, agencies, today, now) for i, p in _ids(pdfs)]
        )
        session.execute(
            insert(DocumentFile),
            [
                {
                    "id": i,
                    "document_id": i,
                    "sha256": p.sha256,
                    "filename": "phat-hanh.pdf",
                    "content_type": "application/pdf",
                    "size": p.size,
                    "is_main": True,
                    "kind": "issued",
                }
                for i, p in _ids(pdfs)
            ],
        )
        session.execute(
            insert(Recipient),
            [
                {
                    "id": i,
                    "document_id": i,
                    "agency_id": agencies[B_CODE],
                    "organ_id": B_CODE,
                    "organ_name": NAMES[B_CODE],
                    "channel": "vxp",
                    "status": "pending",
                }
                for i in range(1, n + 1)
            ],
        )
        session.execute(
            insert(OutboxMessage),
            [
                {
                    "id": i,
                    "kind": "edoc",
                    "document_id": i,
                    "recipient_id": i,
                    "payload": {"to": B_CODE},
                    "dedup_key": f"edoc:{i}:{B_CODE}",
                    "next_attempt_at": FAR_FUTURE,
                }
                for i in range(1, n + 1)
            ],
        )
        for table in ("documents", "document_files", "recipients", "outbox_messages"):
            session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {n})"))
    engine.dispose()


def _ids(pdfs: list[Pdf]):
    return enumerate(pdfs, 1)


def _document(i: int, pdf: Pdf, agencies: dict[str, int], today: date, now: datetime) -> dict:
    return {
        "id": i,
        "agency_id": agencies[A_CODE],
        "direction": "outgoing",
        "status": "issued",
        "number": i,
        "year": today.year,
        "code_number": str(i),
        "code_notation": NOTATION,
        "type_code": "CV",
        "type_name": "Công văn",
        "subject": f"V/v thử nghiệm liên thông văn bản số {i}",
        "organ_name": NAMES[A_CODE],
        "organ_id": A_CODE,
        "issued_date": today,
        "issued_at": now,
        "signer_name": "Lãnh đạo A",
        "signer_position": "Phó Chủ tịch",
        "source": "draft",
        "edxml_document_id": f"{A_CODE},{today:%Y/%m/%d},{i}/{NOTATION}",
        "main_file_sha256": pdf.sha256,
    }


def hub_system(env: dict[str, str], system: str, code: str) -> str:
    """Register a client system on the hub; return its secret."""
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "eoffice",
            "vxp-hub",
            "add-system",
            system,
            "--agency",
            code,
            "--name-of",
            f"{code}={NAMES[code]}",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip().splitlines()[-1]
