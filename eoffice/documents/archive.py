"""Keep issued documents verifiable for the archive: PAdES B-LTA, renewed before it expires.

The issue step runs inside a web request, where no network call belongs; it only marks the
document due. The worker then embeds the validation data (B-LT) and a document timestamp (B-LTA),
and renews that timestamp before the authority's certificate expires.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

import signing
from eoffice import clock
from eoffice.documents.blobs import FilePolicy, Upload
from eoffice.documents.files import attach_main_pdf, read_file
from eoffice.documents.models import Document
from eoffice.documents.signatures import SignatureConfig

log = logging.getLogger(__name__)


def renew_due_archives(
    session: Session,
    policy: FilePolicy,
    config: SignatureConfig,
    *,
    limit: int = 50,
    now: datetime | None = None,
) -> int:
    """Add or renew the archive timestamp of issued documents that are due; return how many.

    A document whose renewal fails stays due and is tried again on the next run.
    """
    moment = now or clock.now()
    stmt = (
        select(Document)
        .where(Document.archive_due_at.is_not(None), Document.archive_due_at <= moment)
        .order_by(Document.archive_due_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    renewed = 0
    for document in session.execute(stmt).scalars():
        _, pdf = read_file(policy, document)
        try:
            new_pdf = signing.renew_archive_timestamp(pdf, config.services, now=moment, force=True)
        except signing.SigningError as e:
            log.warning("archive timestamp of document %s not renewed: %s", document.id, e.vi)
            continue
        if new_pdf is not None:
            attach_main_pdf(
                session,
                document,
                Upload("luu-tru.pdf", "application/pdf", new_pdf),
                policy,
                kind="archived",
            )
            renewed += 1
            pdf = new_pdf
        due = signing.renewal_due_at(pdf)
        document.archive_due_at = due.astimezone(clock.LOCAL_TZ) if due else None
    session.flush()
    return renewed
