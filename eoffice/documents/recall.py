"""Withdrawal of an issued document by its sender (thu hồi), and the recall at each receiver.

NĐ 30 Phụ lục VI III.8: the receiver deletes the electronic document and tells the sender; the
system freezes the sender's outgoing record with its metadata, destroys the recalled incoming copy
with its metadata, and logs it. Here:

- the sender's record stays in the outgoing register with its số đi, marked withdrawn (status
  ``withdrawn``, ``cancelled_at``/``cancel_reason``), and takes no further action;
- a receiver's copy keeps only what the register and later messages need (its số đến, arrival
  date, số/ký hiệu, issuing agency, edXML DocumentId): the subject, signer, notes, instruction
  and files are removed, open assignments end. The audit trail (append-only) keeps what was
  removed, in the ``document.recalled`` event. A number once given is never given again.
- The recall binds the receiver (QĐ 28/2018 Art. 9), so eoffice applies it in every state,
  without waiting for a clerk, and answers 15. Receivers elsewhere may answer 16 (refused);
  the sender's per-recipient view shows either answer.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from eoffice import clock
from eoffice.audit.services import record_event
from eoffice.documents.access import require_role
from eoffice.documents.models import Direction, Document, Recipient, RecipientStatus
from eoffice.documents.workflow import Action, Status, next_status
from eoffice.errors import InvalidInput, PermissionDenied
from eoffice.exchange.models import OutboxKind
from eoffice.exchange.services import RECALL_CODE, advance_recipient, queue_message
from eoffice.notifications.services import Message, notify_users
from eoffice.org.actor import Actor
from eoffice.org.models import Role, User
from eoffice.org.services import users_with_role

RECALLED_SUBJECT = "(đã thu hồi)"
REASON_MAX = 500


def require_reason(reason: str, field: str = "reason") -> str:
    """Return the stripped reason.

    :raises InvalidInput: when it is empty or longer than 500 characters.
    """
    text = reason.strip()
    if not text:
        raise InvalidInput("Phải nêu lý do", fields={field: "Bắt buộc"})
    if len(text) > REASON_MAX:
        raise InvalidInput("Lý do quá dài", fields={field: f"Tối đa {REASON_MAX} ký tự"})
    return text


def require_own_outgoing(actor: Actor, document: Document) -> None:
    """:raises PermissionDenied: unless a clerk of the issuing agency acts on an outgoing one."""
    require_role(actor, Role.CLERK)
    if actor.agency_id != document.agency_id or document.direction != Direction.OUTGOING.value:
        raise PermissionDenied("Chỉ văn thư cơ quan ban hành mới thực hiện thao tác này")


def withdraw_document(
    session: Session, actor: Actor, document: Document, reason: str
) -> list[Recipient]:
    """Withdraw an issued outgoing document (thu hồi văn bản đã phát hành).

    Recipients on this instance have the recall applied at once; recipients elsewhere are sent a
    status 13 (lấy lại) through the outbox and their 15/16 answer comes back later. Recipients
    that returned the document (02) hold nothing of it and are left alone.

    :raises PermissionDenied: not a clerk of the issuing agency. :raises InvalidInput: no
        reason. :raises InvalidTransition: not issued (a draft) or already withdrawn.
    """
    require_own_outgoing(actor, document)
    text = require_reason(reason)
    document.status = next_status(document.status, Action.WITHDRAW).value
    document.cancelled_at, document.cancel_reason = clock.now(), text
    session.flush()
    record_event(
        session,
        actor,
        "document.withdraw",
        "document",
        document.id,
        details={
            "code": document.code,
            "reason": text,
            "recipients": [r.organ_name for r in document.recipients],
        },
    )
    for recipient in document.recipients:
        if recipient.status == RecipientStatus.REJECTED.value:
            continue
        if recipient.channel == "internal" and recipient.incoming_document_id is not None:
            copy = session.get(Document, recipient.incoming_document_id)
            assert copy is not None
            apply_recall(session, copy, text)
            advance_recipient(recipient, RecipientStatus.RECALLED, text)
        else:
            advance_recipient(recipient, RecipientStatus.RECALL_REQUESTED, text)
            queue_message(
                session,
                OutboxKind.STATUS,
                document,
                recipient,
                {"status_code": RECALL_CODE, "description": text},
                f"recall:{document.id}:{recipient.organ_id}",
            )
    session.flush()
    return list(document.recipients)


def apply_recall(session: Session, document: Document, reason: str) -> None:
    """Apply the sender's recall to an incoming copy (idempotent: a second recall changes
    nothing). The audit event keeps what is removed; the register keeps the number."""
    if document.status == Status.RECALLED.value:
        return
    status = next_status(document.status, Action.RECALL)
    record_event(
        session,
        Actor.system(),
        "document.recalled",
        "document",
        document.id,
        agency_id=document.agency_id,
        details={
            "code": document.code,
            "from": document.organ_name,
            "subject": document.subject,
            "arrival_number": document.number,
            "reason": reason[:REASON_MAX],
        },
    )
    _tell_people(session, document, reason)
    for row in list(document.files):
        document.files.remove(row)
    for assignment in document.assignments:
        assignment.is_active = False
    document.status = status.value
    document.main_file_sha256 = None
    document.subject = RECALLED_SUBJECT
    document.signer_name = document.signer_position = ""
    document.description = document.instruction = document.to_places = ""
    document.signature_status, document.signature_report = "", None
    document.search_text = ""
    document.cancelled_at = clock.now()
    document.cancel_reason = reason[:REASON_MAX]
    session.flush()


def _tell_people(session: Session, document: Document, reason: str) -> None:
    """Tell those working on a registered copy (clerks, leader, handlers) that it is gone."""
    if document.number is None:
        return  # nobody had started on it: it only left the "chờ tiếp nhận" queue
    people: dict[int, User] = {
        u.id: u for u in users_with_role(session, document.agency_id, Role.CLERK)
    }
    if document.presented_to is not None:
        people[document.presented_to.id] = document.presented_to
    for assignment in document.assignments:
        if assignment.is_active and assignment.user is not None:
            people[assignment.user.id] = assignment.user
    message = Message(
        kind="document.recalled",
        title=f"Văn bản đến số {document.number:02d} ({document.code}) đã bị nơi gửi thu hồi",
        body=f"Lý do: {reason[:REASON_MAX]}",
        link=f"/documents/{document.id}",
    )
    notify_users(session, list(people.values()), message, f"document:{document.id}:recalled")
