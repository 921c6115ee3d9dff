"""Recipients of outgoing documents, and issuing: internal delivery with metadata, or the outbox."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from eoffice import clock
from eoffice.audit.services import record_event
from eoffice.documents.access import require_role
from eoffice.documents.amend import copy_at, mark_replaced
from eoffice.documents.grants import grant_automatically
from eoffice.documents.models import (
    Direction,
    Document,
    DocumentFile,
    Recipient,
    RecipientStatus,
)
from eoffice.documents.workflow import Action, Status, next_status
from eoffice.errors import InvalidInput
from eoffice.exchange.models import OutboxKind
from eoffice.exchange.services import queue_message
from eoffice.org.actor import Actor
from eoffice.org.models import Role
from eoffice.org.services import get_agency_by_code


def set_recipients(session: Session, document: Document, codes: Iterable[str]) -> None:
    """Replace the recipients of a not-yet-issued document by the agencies with these codes.

    :raises InvalidInput: unknown codes, the sender itself, or a secret document sent outside.
    """
    wanted = list(dict.fromkeys(c.strip() for c in codes if c.strip()))
    unknown, rows = [], []
    for code in wanted:
        agency = get_agency_by_code(session, code)
        if agency is None:
            unknown.append(code)
            continue
        rows.append(
            Recipient(
                agency_id=agency.id,
                organ_id=agency.code,
                organ_name=agency.name,
                channel="internal" if agency.is_local else "vxp",
            )
        )
    errors: dict[str, str] = {}
    if unknown:
        errors["recipients"] = "Không tìm thấy cơ quan nhận: " + ", ".join(unknown)
    if any(r.agency_id == document.agency_id for r in rows):
        errors["recipients"] = "Không gửi văn bản cho chính cơ quan mình"
    if rows and document.secrecy != "thuong":
        errors["recipients"] = "Văn bản mật không được gửi điện tử ra ngoài cơ quan"
    if errors:
        raise InvalidInput("Nơi nhận chưa hợp lệ", fields=errors)
    document.recipients = rows
    session.flush()


def issue_document(session: Session, actor: Actor, document: Document) -> list[Recipient]:
    """Issue a sealed document: deliver to agencies on this instance, queue the others for VXP.

    :raises InvalidTransition: unless numbered and sealed.
    """
    require_role(actor, Role.CLERK)
    document.status = next_status(document.status, Action.ISSUE).value
    document.issued_at = clock.now()
    document.edxml_document_id = edxml_document_id(document)  # how statuses find it again
    old = session.get(Document, document.replaces_id) if document.replaces_id else None
    for recipient in document.recipients:
        if recipient.channel == "internal":
            incoming = _deliver_internally(session, document, recipient)
            old_copy = copy_at(session, old, recipient.agency_id) if old else None
            if old_copy is not None:
                mark_replaced(session, incoming, old_copy)
        else:
            payload = {"to": recipient.organ_id}
            if old is not None:  # sent as a replacement edoc (business type 3)
                payload["replaces"] = old.edxml_document_id
            queue_message(
                session,
                OutboxKind.EDOC,
                document,
                recipient,
                payload,
                f"edoc:{document.id}:{recipient.organ_id}",
            )
    if old is not None:
        mark_replaced(session, document, old)
    session.flush()
    record_event(
        session,
        actor,
        "document.issue",
        "document",
        document.id,
        details={"code": document.code, "recipients": [r.organ_name for r in document.recipients]},
    )
    grant_automatically(session, actor, document, [actor.principal], "Văn thư phát hành")
    return list(document.recipients)


def _deliver_internally(session: Session, sent: Document, recipient: Recipient) -> Document:
    """Create the receiver's "chờ tiếp nhận" entry with every field taken from the sender."""
    incoming = Document(
        agency_id=recipient.agency_id,
        direction=Direction.INCOMING.value,
        status=Status.PENDING_ACCEPT.value,
        source="internal",
        sender_document_id=sent.id,
        code_number=sent.code_number,
        code_notation=sent.code_notation,
        type_code=sent.type_code,
        type_name=sent.type_name,
        subject=sent.subject,
        organ_name=sent.agency.name,
        organ_id=sent.agency.code,
        issued_date=sent.issued_date,
        signer_name=sent.signer_name,
        signer_position=sent.signer_position,
        urgency=sent.urgency,
        secrecy=sent.secrecy,
        language=sent.language,
        page_amount=sent.page_amount,
        description="",
        due_date=sent.due_date,
        edxml_document_id=edxml_document_id(sent),
        main_file_sha256=sent.main_file_sha256,
        search_text=sent.search_text,
        # Same bytes and same trust store as the validation done at issue: its report holds here.
        signature_status=sent.signature_status,
        signature_report=sent.signature_report,
        signature_recheck_at=sent.signature_recheck_at,
        arrival_at=clock.now(),
    )
    # The same bytes, not a copy: the store is content-addressed.
    main = next((f for f in sent.files if f.is_main), None)
    if main is not None:
        incoming.files.append(
            DocumentFile(
                sha256=main.sha256,
                filename=main.filename,
                content_type=main.content_type,
                size=main.size,
                is_main=True,
                kind="received",
            )
        )
    session.add(incoming)
    session.flush()
    recipient.incoming_document_id = incoming.id
    recipient.status, recipient.status_at = RecipientStatus.ARRIVED.value, clock.now()
    record_event(
        session,
        Actor.system(),
        "document.arrive",
        "document",
        incoming.id,
        agency_id=incoming.agency_id,
        details={"from": sent.agency.name, "code": sent.code},
    )
    return incoming


def edxml_document_id(document: Document) -> str:
    """Return ``OrganId,yyyy/mm/dd,số/ký hiệu`` (the exchange-wide identity of a document)."""
    issued = document.issued_date.strftime("%Y/%m/%d") if document.issued_date else ""
    return f"{document.agency.code},{issued},{document.code}"
