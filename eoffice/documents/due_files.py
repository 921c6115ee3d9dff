"""What the signature jobs share: read due documents' main files in one short transaction, and
find them again, locked and unchanged, in another (the network work happens in between)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session

from eoffice.documents.blobs import FilePolicy
from eoffice.documents.files import read_file
from eoffice.documents.models import Document
from eoffice.documents.signing_keys import lock_document


@dataclass(frozen=True)
class DueFile:
    """A due document's main PDF as it was when read."""

    document_id: int
    sha256: str
    pdf: bytes


def read_due(
    session: Session,
    policy: FilePolicy,
    due_at: InstrumentedAttribute,
    now: datetime,
    limit: int,
) -> list[DueFile]:
    """Return the main files of the documents whose ``due_at`` column has passed, oldest first."""
    stmt = (
        select(Document)
        .where(due_at.is_not(None), due_at <= now)
        .order_by(due_at, Document.id)
        .limit(limit)
    )
    due = []
    for document in session.execute(stmt).scalars():
        row, pdf = read_file(policy, document)
        due.append(DueFile(document.id, row.sha256, pdf))
    return due


def lock_unchanged(session: Session, due: DueFile) -> Document | None:
    """Return the document locked for this transaction, or None when it is gone or its main
    file was replaced since it was read (it is then still due, and read again next run)."""
    document = session.get(Document, due.document_id)
    if document is None:
        return None
    lock_document(session, document)
    return document if document.main_file_sha256 == due.sha256 else None
