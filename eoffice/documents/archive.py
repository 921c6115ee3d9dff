"""Timestamps and long-term validation data, added by the worker after the request committed.

Signing requests make PAdES B-B signatures and call no network service; with a TSA configured
they only mark the document due (``archive_due_at``). This job then embeds the certificates and
revocation data of the new signatures (B-LT) and adds a document timestamp over everything
(B-LTA; the document timestamp is also the B-T proof of time), and renews that timestamp
before the authority's certificate expires. Levels at each moment: docs/architecture.md.

The TSA and OCSP/CRL calls happen between two short transactions, never inside one: the
first reads what is due, the second stores the result only if the document's main file is
still the one that was stamped (a signing step may have replaced it meanwhile; it is then due
again and the next run stamps the new version).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

import signing
from eoffice import clock
from eoffice.db import transaction
from eoffice.documents.blobs import FilePolicy, Upload
from eoffice.documents.due_files import DueFile, lock_unchanged, read_due
from eoffice.documents.files import attach_main_pdf
from eoffice.documents.models import Document
from eoffice.documents.signatures import SignatureConfig

log = logging.getLogger(__name__)

RETRY_AFTER = timedelta(hours=1)
"""How long a document whose stamping failed (TSA or OCSP down) waits before the next try."""
SHORT_LIVED_RETRY = timedelta(days=1)
"""The wait when the authority's certificate is itself about to expire."""


def due_archives(
    session: Session, policy: FilePolicy, *, limit: int = 50, now: datetime | None = None
) -> list[DueFile]:
    """Return the documents whose validation data and archive timestamp are due."""
    return read_due(session, policy, Document.archive_due_at, now or clock.now(), limit)


def stamp(work: DueFile, config: SignatureConfig, now: datetime) -> bytes | None:
    """Return the PDF with validation data and a new archive timestamp (network; no session).

    :raises signing.SigningError: the TSA or the revocation services failed.
    """
    return signing.renew_archive_timestamp(work.pdf, config.services, now=now, force=True)


def store_archive(
    session: Session,
    policy: FilePolicy,
    work: DueFile,
    new_pdf: bytes | None,
    now: datetime | None = None,
) -> bool:
    """Keep ``new_pdf`` as the main file unless the document changed since it was read.

    Returns whether it was stored. The next due date is that of the newest timestamp; when the
    authority's own certificate already expires within the renewal margin, renewing again at
    once would only add another short-lived timestamp, so the next try waits a day.
    """
    document = lock_unchanged(session, work)
    if document is None:
        return False  # replaced by a signing step meanwhile: still due, stamped next run
    pdf = work.pdf
    if new_pdf is not None:
        upload = Upload("luu-tru.pdf", "application/pdf", new_pdf)
        attach_main_pdf(session, document, upload, policy, kind="archived")
        pdf = new_pdf
    due = signing.renewal_due_at(pdf)
    moment = now or clock.now()
    if due is not None and due <= moment:
        log.warning(
            "document %s: the TSA certificate expires %s, within the renewal margin; "
            "configure an authority with a newer certificate",
            document.id,
            signing.archive_timestamp_expiry(pdf),
        )
        due = moment + SHORT_LIVED_RETRY
    document.archive_due_at = due.astimezone(clock.LOCAL_TZ) if due else None
    session.flush()
    return new_pdf is not None


def renew_due_archives(
    factory: sessionmaker[Session],
    policy: FilePolicy,
    config: SignatureConfig,
    *,
    limit: int = 50,
    now: datetime | None = None,
) -> int:
    """The worker job: stamp every due document; return how many got a new version.

    A document whose stamping fails stays due and is tried again after :data:`RETRY_AFTER`.
    """
    moment = now or clock.now()
    with transaction(factory) as session:
        work = due_archives(session, policy, limit=limit, now=moment)
    stored = 0
    for item in work:
        try:
            new_pdf = stamp(item, config, moment)
        except signing.SigningError as e:
            log.warning("archive timestamp of document %s not added: %s", item.document_id, e.vi)
            with transaction(factory) as session:
                _postpone(session, item, moment + RETRY_AFTER)
            continue
        with transaction(factory) as session:
            stored += store_archive(session, policy, item, new_pdf, moment)
    return stored


def _postpone(session: Session, work: DueFile, until: datetime) -> None:
    document = lock_unchanged(session, work)
    if document is not None:  # else a signing step made it due anew
        document.archive_due_at = until
