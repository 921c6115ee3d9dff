"""Outbox rows → edXML messages, built the same way byte for byte on every retry."""

from __future__ import annotations

from sqlalchemy.orm import Session

from eoffice.documents.blobs import FilePolicy
from eoffice.documents.files import read_file
from eoffice.documents.models import Document, Recipient
from eoffice.documents.recipients import edxml_document_id
from eoffice.exchange.models import OutboxMessage
from vxp_adapter.codes import Secrecy, Urgency
from vxp_adapter.model import Attachment, Organization, ResponseFor, StatusMessage
from vxp_adapter.phuluc import OutgoingRecord, to_edoc
from vxp_adapter.phuluc import Recipient as EdxmlRecipient


def edoc_for(session: Session, message: OutboxMessage, document: Document, policy: FilePolicy):
    """Return the new-document edoc for one external recipient of an issued document."""
    recipient = session.get(Recipient, message.recipient_id)
    assert recipient is not None
    assert document.issued_date is not None
    assert document.issued_at
    main, pdf = read_file(policy, document)
    record = OutgoingRecord(
        organ_id=document.agency.code,
        organ_name=document.agency.name,
        type_name=document.type_name,
        code_number=document.code_number,
        code_notation=document.code_notation,
        issued_date=document.issued_date,
        subject=document.subject,
        recipients=(EdxmlRecipient(recipient.organ_id, recipient.organ_name),),
        signer_position=document.signer_position,
        signer_full_name=document.signer_name,
        urgency=Urgency(document.urgency),
        secrecy=Secrecy.KHONG_MAT if document.secrecy == "thuong" else Secrecy(document.secrecy),
        due_date=document.due_date,
        page_amount=document.page_amount,
        document_id=edxml_document_id(document),
    )
    # The content id comes from the file's hash: a retry builds exactly the same bytes.
    attachment = Attachment(
        name=f"{document.code_number}-{main.filename}"[:200],
        data=pdf,
        content_type="application/pdf",
        content_id=main.sha256[:36],
    )
    return to_edoc(record, attachments=(attachment,), sent_at=document.issued_at)


def status_for(message: OutboxMessage, document: Document) -> StatusMessage:
    """Return the status message an outbox row reports about an incoming document."""
    about = ResponseFor(
        organ_id=document.organ_id,
        document_id=document.edxml_document_id,
        code=document.code,
        promulgation_date=document.issued_date,
    )
    return StatusMessage(
        sender=Organization(document.agency.code, document.agency.name),
        response_for=about,
        status_code=message.payload["status_code"],
        description=message.payload.get("description", ""),
        timestamp=message.created_at,
    )
