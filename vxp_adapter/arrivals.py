"""An edoc from the axis becomes a "chờ tiếp nhận" entry in each local recipient's register."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from eoffice import clock
from eoffice.audit.services import record_event
from eoffice.documents.amend import mark_replaced
from eoffice.documents.blobs import FilePolicy, Upload, is_pdf
from eoffice.documents.files import (
    attach_file,
    attach_main_pdf,
    check_attachment,
    check_main_pdf,
)
from eoffice.documents.metadata import build_search_text
from eoffice.documents.models import Direction, Document, RecipientStatus
from eoffice.documents.types import find_by_abbreviation
from eoffice.documents.workflow import Status
from eoffice.exchange.services import report_to_sender
from eoffice.org.actor import Actor
from eoffice.org.models import Agency
from vxp_adapter.changes import find_copies
from vxp_adapter.codes import BusinessDocType
from vxp_adapter.errors import InvalidMessage, Problem
from vxp_adapter.model import Edoc
from vxp_adapter.phuluc import from_edoc


def register_arrival(
    session: Session,
    edoc: Edoc,
    policy: FilePolicy,
    validate: Callable[[Document, bytes], object] | None = None,
) -> list[Document]:
    """Create the arrival at every recipient hosted here; skip those that already have it.

    :raises InvalidMessage: when no recipient is hosted here, or it carries no PDF.
    """
    codes = [r.organ_id for r in edoc.recipients]
    local = list(
        session.execute(select(Agency).where(Agency.code.in_(codes), Agency.is_local)).scalars()
    )
    if not local:
        raise InvalidMessage(Problem.BAD_VALUE, "không có cơ quan nhận nào trên hệ thống này")
    pdfs = [a for a in edoc.attachments if is_pdf(a.data)]
    if not pdfs:
        raise InvalidMessage(Problem.MISSING_FIELD, "văn bản không kèm tệp PDF")
    _check_files(edoc, pdfs, policy)  # before anything is stored: a refusal leaves no file
    record = from_edoc(edoc)
    arrivals = []
    for agency in local:
        if _already_here(session, agency.id, record.document_id):
            continue
        document = _create(session, agency, edoc, record, pdfs, policy, validate)
        for old in _replaced_here(session, edoc, agency.code):
            mark_replaced(session, document, old)
        arrivals.append(document)
    return arrivals


def _replaced_here(session: Session, edoc: Edoc, agency_code: str) -> list[Document]:
    """Return this agency's copies of what a replacement edoc (type 3) replaces."""
    if edoc.business.doc_type != BusinessDocType.REPLACE:
        return []
    ids = [
        r.document_id
        for r in edoc.business.replacements
        if not r.organ_ids or agency_code in r.organ_ids
    ]
    if not edoc.business.replacements and edoc.target_document_id:
        ids = [edoc.target_document_id]
    found: list[Document] = []
    for document_id in ids:
        found += find_copies(session, document_id, edoc.sender.organ_id, [agency_code])
    return found[:1]  # one link: a document replaces one earlier document


def _check_files(edoc: Edoc, pdfs: list, policy: FilePolicy) -> None:
    """:raises InvalidInput: the main PDF or an attachment would be refused on upload."""
    main = pdfs[0]
    check_main_pdf(Upload(main.name, "application/pdf", main.data), policy)
    for extra in edoc.attachments:
        if extra is not main:
            check_attachment(Upload(extra.name, extra.content_type, extra.data), policy)


def _already_here(session: Session, agency_id: int, document_id: str) -> bool:
    stmt = select(Document.id).where(
        Document.agency_id == agency_id,
        Document.edxml_document_id == document_id[:200],  # stored cut to the column
        Document.direction == Direction.INCOMING.value,
    )
    return session.execute(stmt.limit(1)).first() is not None


def _create(session, agency: Agency, edoc: Edoc, record, pdfs, policy, validate) -> Document:
    doc_type = find_by_abbreviation(record.code_notation.split("-")[0])
    document = Document(
        agency_id=agency.id,
        direction=Direction.INCOMING.value,
        status=Status.PENDING_ACCEPT.value,
        source="vxp",
        code_number=record.code_number[:11],
        code_notation=record.code_notation[:30],
        type_code=doc_type.code if doc_type else "CV",
        type_name=(record.type_name or (doc_type.name if doc_type else "Công văn"))[:100],
        subject=record.subject[:500],
        organ_name=(record.organ_name or record.organ_id)[:200],
        organ_id=record.organ_id[:35],
        issued_date=record.issued_date,
        signer_name=record.signer_full_name[:50],
        signer_position=record.signer_position[:100],
        urgency=record.urgency.value,
        due_date=record.due_date,
        page_amount=record.page_amount,
        to_places=record.to_places,
        edxml_document_id=record.document_id[:200],
        description=record.trace[:500],
        arrival_at=clock.now(),
    )
    session.add(document)
    session.flush()
    main, *others = pdfs
    text = attach_main_pdf(
        session, document, Upload(main.name, "application/pdf", main.data), policy, kind="received"
    )
    for extra in [*others, *(a for a in edoc.attachments if a not in pdfs)]:
        attach_file(session, document, Upload(extra.name, extra.content_type, extra.data), policy)
    document.search_text = build_search_text(document, text)
    if validate is not None:
        validate(document, main.data)
    record_event(
        session,
        Actor.system(),
        "document.arrive",
        "document",
        document.id,
        agency_id=agency.id,
        details={"from": record.organ_name, "code": record.notation, "via": "vxp"},
    )
    report_to_sender(session, document, RecipientStatus.ARRIVED)  # status 01, automatically
    return document
