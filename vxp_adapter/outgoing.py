"""Outbox rows → edXML messages, built the same way byte for byte on every retry."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from eoffice.documents.blobs import FilePolicy
from eoffice.documents.files import read_file
from eoffice.documents.models import Document, Recipient
from eoffice.documents.recipients import edxml_document_id
from eoffice.exchange.models import OutboxMessage
from vxp_adapter.codes import Secrecy, Urgency
from vxp_adapter.messages import replacement, update
from vxp_adapter.model import (
    Attachment,
    Edoc,
    Organization,
    Replacement,
    ResponseFor,
    StatusMessage,
)
from vxp_adapter.phuluc import OutgoingRecord, to_edoc
from vxp_adapter.phuluc import Recipient as EdxmlRecipient


def edoc_for(
    session: Session, message: OutboxMessage, document: Document, policy: FilePolicy
) -> Edoc:
    """Return the edoc an outbox row sends to one external recipient of an issued document:
    the new document (type 0), its replacement of an earlier one (3), or an update (2)."""
    recipient = session.get(Recipient, message.recipient_id)
    assert recipient is not None
    assert document.issued_date is not None
    assert document.issued_at
    payload = message.payload
    if payload.get("business") == "update":
        # The values sent are those of the request, kept in the row: a retry is the same bytes.
        edoc = to_edoc(
            _record(document, recipient, payload["metadata"]),
            attachments=(),
            sent_at=message.created_at,
        )
        return update(
            edoc,
            original_document_id=document.edxml_document_id,
            at=message.created_at,
            reason=payload.get("reason", ""),
        )
    # The version issued, not a newer one the archive job may add between two tries (validation
    # data and timestamps): every try sends the same bytes, and what the recipients here got.
    issued = next((f for f in document.files if f.kind == "issued"), None)
    main, pdf = read_file(policy, document, issued.id if issued else None)
    # The content id comes from the file's hash: a retry builds exactly the same bytes.
    attachment = Attachment(
        name=f"{document.code_number}-{main.filename}"[:200],
        data=pdf,
        content_type="application/pdf",
        content_id=main.sha256[:36],
    )
    edoc = to_edoc(
        _record(document, recipient), attachments=(attachment,), sent_at=document.issued_at
    )
    if payload.get("replaces"):
        replaced = (Replacement(payload["replaces"], (recipient.organ_id,)),)
        return replacement(edoc, replaced=replaced, at=document.issued_at)
    return edoc


def _record(document: Document, recipient: Recipient, values: dict | None = None) -> OutgoingRecord:
    """Return the registry's record of ``document``, with ``values`` (an update's) replacing it."""
    v = {
        "subject": document.subject,
        "due_date": document.due_date,
        "urgency": document.urgency,
        "signer_name": document.signer_name,
        "signer_position": document.signer_position,
        "page_amount": document.page_amount,
    }
    if values:
        v |= values
        v["due_date"] = date.fromisoformat(v["due_date"]) if v["due_date"] else None
    assert document.issued_date is not None
    return OutgoingRecord(
        organ_id=document.agency.code,
        organ_name=document.agency.name,
        type_name=document.type_name,
        code_number=document.code_number,
        code_notation=document.code_notation,
        issued_date=document.issued_date,
        subject=v["subject"],
        recipients=(EdxmlRecipient(recipient.organ_id, recipient.organ_name),),
        signer_position=v["signer_position"],
        signer_full_name=v["signer_name"],
        urgency=Urgency(v["urgency"]),
        secrecy=Secrecy.KHONG_MAT if document.secrecy == "thuong" else Secrecy(document.secrecy),
        due_date=v["due_date"],
        page_amount=v["page_amount"],
        document_id=edxml_document_id(document),
    )


def status_for(session: Session, message: OutboxMessage, document: Document) -> StatusMessage:
    """Return the status message an outbox row sends.

    About an incoming document (01–06, 15, 16): the counterparty is its sender. About one of our
    outgoing documents (13, the sender's recall): the counterparty is the recipient it goes to.
    """
    recipient = session.get(Recipient, message.recipient_id) if message.recipient_id else None
    about = ResponseFor(
        organ_id=recipient.organ_id if recipient is not None else document.organ_id,
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
