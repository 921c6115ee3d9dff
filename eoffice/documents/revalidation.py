"""Validate again, online, the signatures whose revocation status a web request could not check.

Web requests validate offline (no network call in a request's transaction): revocation then
soft-fails and the badge is amber, and the document is marked due (``signature_recheck_at``).
This worker job fetches OCSP responses and CRLs between two short transactions, then stores the
new report and badge. When the responders still cannot be reached it tries again later
(``RECHECK_AFTER``), then leaves the amber badge as it is.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

import signing
from eoffice import clock
from eoffice.audit.services import record_event
from eoffice.db import transaction
from eoffice.documents.blobs import FilePolicy
from eoffice.documents.due_files import DueFile, lock_unchanged, read_due
from eoffice.documents.models import Document
from eoffice.documents.signatures import SignatureConfig, apply_validation, validate
from eoffice.org.actor import Actor

log = logging.getLogger(__name__)


def due_rechecks(
    session: Session, policy: FilePolicy, *, limit: int = 50, now: datetime | None = None
) -> list[DueFile]:
    """Return the documents due for an online re-validation, oldest first."""
    return read_due(session, policy, Document.signature_recheck_at, now or clock.now(), limit)


def store_recheck(session: Session, work: DueFile, report: signing.ValidationReport) -> bool:
    """Keep the online report unless the main file changed meanwhile; return whether kept.

    A change of badge is recorded in the document's timeline.
    """
    document = lock_unchanged(session, work)
    if document is None:
        return False  # a new version: still due, checked on the next run
    before = document.signature_status
    apply_validation(document, report, online=True)
    if document.signature_status != before:
        record_event(
            session,
            Actor.system(),
            "document.signature_recheck",
            "document",
            document.id,
            agency_id=document.agency_id,
            details={"badge_before": before, "badge": document.signature_status},
        )
    session.flush()
    return True


def recheck_due_signatures(
    factory: sessionmaker[Session],
    policy: FilePolicy,
    config: SignatureConfig,
    *,
    limit: int = 50,
    now: datetime | None = None,
) -> int:
    """The worker job: validate the due documents online; return how many reports it stored.

    ``config`` must allow fetching (``online=True``); the network calls happen outside any
    transaction.
    """
    if not config.online:
        raise ValueError("re-validation needs an online SignatureConfig")
    with transaction(factory) as session:
        work = due_rechecks(session, policy, limit=limit, now=now)
    stored = 0
    for item in work:
        report = validate(item.pdf, config)
        with transaction(factory) as session:
            stored += store_recheck(session, item, report)
    return stored
