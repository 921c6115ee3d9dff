"""Outgoing documents: draft → review → approval → signature → number → agency seal → issue.

The signing steps go through :mod:`eoffice.documents.signatures`, which calls ``signing/``.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from eoffice import clock
from eoffice.audit.services import record_event
from eoffice.documents.access import require_role
from eoffice.documents.blobs import FilePolicy, Upload
from eoffice.documents.files import attach_main_pdf, check_main_pdf
from eoffice.documents.grants import (
    grant_automatically,
    grant_clerks_unless_one_holds,
    grant_unit_heads,
)
from eoffice.documents.metadata import (
    DocumentMetadata,
    apply_metadata,
    build_search_text,
    validate_metadata,
)
from eoffice.documents.models import Direction, Document, SeriesKind
from eoffice.documents.numbering import format_number, notation_for
from eoffice.documents.series import allocate_number, get_series, series_code
from eoffice.documents.types import get_document_type
from eoffice.documents.workflow import Action, Status, next_status
from eoffice.errors import InvalidInput, PermissionDenied
from eoffice.org.actor import Actor
from eoffice.org.models import Power, Role, User

DRAFTER_ROLES = (Role.SPECIALIST, Role.UNIT_HEAD, Role.LEADER, Role.CLERK)


@dataclass(frozen=True)
class DraftInput:
    meta: DocumentMetadata
    signer_id: int
    recipient_codes: tuple[str, ...] = ()
    """Electronic IDs of the agencies it will be sent to."""
    in_reply_to_id: int | None = None
    replaces_id: int | None = None
    """The issued document of the same form this one replaces (văn bản thay thế)."""


def create_draft(
    session: Session, actor: Actor, data: DraftInput, upload: Upload, policy: FilePolicy
) -> Document:
    """Create a draft outgoing document with its PDF.

    :raises InvalidInput: bad metadata, file, signer or recipients.
    """
    require_role(actor, *DRAFTER_ROLES)
    user = actor.principal
    assert user is not None
    meta = data.meta.cleaned()
    validate_metadata(meta, incoming=False)
    check_main_pdf(upload, policy)
    signer = _check_signer(session, user, data.signer_id)
    replaces_id = None
    if data.replaces_id is not None:
        from eoffice.documents.amend import check_replaceable

        replaces_id = check_replaceable(session, actor, data.replaces_id, meta.type_code)
    document = Document(
        agency_id=user.agency_id,
        direction=Direction.OUTGOING.value,
        status=Status.DRAFT.value,
        source="draft",
        drafter_id=user.id,
        drafting_unit_id=user.unit_id,
        signer_id=signer.id,
        created_by_id=actor.user_id,
        in_reply_to_id=data.in_reply_to_id,
        replaces_id=replaces_id,
    )
    apply_metadata(document, meta)
    document.organ_name = user.agency.name
    document.organ_id = user.agency.code
    document.signer_name, document.signer_position = signer.full_name, signer.position
    session.add(document)
    session.flush()
    from eoffice.documents.recipients import set_recipients

    set_recipients(session, document, data.recipient_codes)
    text = attach_main_pdf(session, document, upload, policy)
    document.search_text = build_search_text(document, text)
    session.flush()
    record_event(
        session,
        actor,
        "document.draft",
        "document",
        document.id,
        details={
            "subject": document.subject,
            "signer": signer.full_name,
            **({"replaces": replaces_id} if replaces_id else {}),
        },
    )
    grant_automatically(session, actor, document, [user], "Người soạn thảo")
    grant_automatically(session, actor, document, [signer], "Người ký")
    return document


def _check_signer(session: Session, drafter: User, signer_id: int) -> User:
    signer = session.get(User, signer_id)
    if signer is None or signer.agency_id != drafter.agency_id or not signer.has_role(Role.LEADER):
        raise InvalidInput(
            "Người ký phải là lãnh đạo của cơ quan", fields={"signer_id": "Chọn lãnh đạo"}
        )
    return signer


def replace_draft_file(
    session: Session, actor: Actor, document: Document, upload: Upload, policy: FilePolicy
) -> None:
    """Put a new PDF in a draft; an approved draft that changes goes back to the signer (Đ11.2).

    :raises PermissionDenied: not the drafter. :raises InvalidTransition: already signed.
    """
    if actor.principal is None or document.drafter_id != actor.principal.id:
        raise PermissionDenied("Chỉ người soạn thảo mới thay tệp dự thảo")
    if document.status not in (
        Status.DRAFT,
        Status.IN_REVIEW,
        Status.AWAITING_APPROVAL,
        Status.APPROVED,
    ):
        next_status(document.status, Action.SUBMIT)  # raises: signed documents cannot change
    check_main_pdf(upload, policy)
    text = attach_main_pdf(session, document, upload, policy)
    document.search_text = build_search_text(document, text)
    if document.status == Status.APPROVED:
        document.status = Status.AWAITING_APPROVAL.value
    record_event(
        session,
        actor,
        "document.replace_draft",
        "document",
        document.id,
        details={"status": document.status},
    )


def submit_draft(session: Session, actor: Actor, document: Document) -> None:
    """Send the draft to the head of the drafting unit for checking."""
    if actor.principal is None or document.drafter_id != actor.principal.id:
        raise PermissionDenied("Chỉ người soạn thảo mới trình dự thảo")
    _move(session, actor, document, Action.SUBMIT)
    grant_unit_heads(
        session, actor, document, [document.drafting_unit_id], "Trưởng đơn vị kiểm tra dự thảo"
    )


def review_draft(session: Session, actor: Actor, document: Document, comment: str = "") -> None:
    """The unit head has checked content and form: forward to the signer."""
    user = actor.principal
    if (
        user is None
        or not user.has_role(Role.UNIT_HEAD)
        or user.unit_id != document.drafting_unit_id
    ):
        raise PermissionDenied("Chỉ trưởng đơn vị soạn thảo mới kiểm tra dự thảo")
    _move(session, actor, document, Action.REVIEW, comment=comment)


def approve_draft(session: Session, actor: Actor, document: Document, comment: str = "") -> None:
    """The competent signer approves the draft (Đ11)."""
    _require_signer(actor, document, Power.APPROVE)
    _move(session, actor, document, Action.APPROVE, comment=comment)


def return_draft(session: Session, actor: Actor, document: Document, comment: str) -> None:
    """Send the draft back to its drafter with comments (unit head or signer).

    :raises InvalidInput: without a comment.
    """
    if not comment.strip():
        raise InvalidInput("Trả lại dự thảo phải có ý kiến", fields={"comment": "Bắt buộc"})
    user = actor.principal
    is_unit_head = (
        user is not None
        and user.has_role(Role.UNIT_HEAD)
        and user.unit_id == document.drafting_unit_id
    )
    is_signer = user is not None and document.signer_id == user.id
    if not (is_unit_head or is_signer):
        raise PermissionDenied("Bạn không thể trả lại dự thảo này")
    _move(session, actor, document, Action.RETURN_DRAFT, comment=comment)


def check_can_sign(actor: Actor, document: Document) -> None:
    """:raises PermissionDenied: not the signer. :raises InvalidTransition: not approved."""
    _require_signer(actor, document)
    next_status(document.status, Action.SIGN)


def check_can_seal(actor: Actor, document: Document) -> None:
    """The clerk's seal step starts from a signed (or an already numbered) document.

    :raises PermissionDenied: not a clerk. :raises InvalidTransition: otherwise.
    """
    require_role(actor, Role.CLERK)
    if document.status != Status.NUMBERED:
        next_status(document.status, Action.NUMBER)


def _require_signer(actor: Actor, document: Document, power: Power = Power.SIGN) -> None:
    actor.require_power(power)
    if actor.principal is None or document.signer_id != actor.principal.id:
        raise PermissionDenied("Chỉ người ký được giao mới thực hiện bước này")


def _move(
    session: Session, actor: Actor, document: Document, action: Action, comment: str = ""
) -> None:
    document.status = next_status(document.status, action).value
    session.flush()
    record_event(
        session,
        actor,
        f"document.{action.value}",
        "document",
        document.id,
        details={"comment": comment.strip()} if comment.strip() else {},
    )


def mark_signed(
    session: Session, actor: Actor, document: Document, signed_pdf: bytes, policy: FilePolicy
) -> None:
    """Store the signer's signed PDF and move to "signed" (called by the signing step)."""
    _require_signer(actor, document)
    status = next_status(document.status, Action.SIGN)
    attach_main_pdf(
        session, document, Upload("ky-so.pdf", "application/pdf", signed_pdf), policy, kind="signed"
    )
    document.status = status.value
    session.flush()
    record_event(session, actor, "document.sign", "document", document.id)
    grant_clerks_unless_one_holds(session, actor, document)


def assign_number(session: Session, actor: Actor, document: Document) -> str:
    """Give the signed document its số đi and ký hiệu, and today's date (clerk, Đ15).

    :raises InvalidTransition: unless signed.
    """
    require_role(actor, Role.CLERK)
    status = next_status(document.status, Action.NUMBER)
    today = clock.today()
    doc_type = get_document_type(document.type_code)
    secret = document.secrecy != "thuong"
    series = get_series(
        session, document.agency_id, today.year, series_code(SeriesKind.OUTGOING, secret)
    )
    number = allocate_number(session, series)
    unit_short = document.drafting_unit.short_name if document.drafting_unit else None
    document.series_id, document.number, document.year = series.id, number, today.year
    document.code_number = format_number(number)
    document.code_notation = notation_for(doc_type, document.agency.short_name, unit_short)
    document.issued_date = today
    document.registered_at = clock.now()
    document.status = status.value
    document.search_text = build_search_text(document, document.search_text)
    session.flush()
    record_event(
        session,
        actor,
        "document.number",
        "document",
        document.id,
        details={"code": document.code, "issued_date": today.isoformat()},
    )
    grant_automatically(session, actor, document, [actor.principal], "Văn thư cấp số")
    return document.code


def mark_sealed(
    session: Session, actor: Actor, document: Document, sealed_pdf: bytes, policy: FilePolicy
) -> None:
    """Store the PDF with the number, date and agency signature (clerk, Đ17)."""
    require_role(actor, Role.CLERK)
    status = next_status(document.status, Action.SEAL)
    attach_main_pdf(
        session,
        document,
        Upload("phat-hanh.pdf", "application/pdf", sealed_pdf),
        policy,
        kind="issued",
    )
    document.status = status.value
    session.flush()
    record_event(session, actor, "document.seal", "document", document.id)
    grant_automatically(session, actor, document, [actor.principal], "Văn thư phát hành")
