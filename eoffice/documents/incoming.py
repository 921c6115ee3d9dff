"""Incoming documents: register (số đến), present, assign, re-assign, handle, complete, return."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from eoffice import clock
from eoffice.audit.services import record_event
from eoffice.documents.access import require_role
from eoffice.documents.blobs import FilePolicy, Upload
from eoffice.documents.files import attach_main_pdf, check_main_pdf
from eoffice.documents.grants import grant_automatically, grant_unit_heads
from eoffice.documents.metadata import (
    DocumentMetadata,
    apply_metadata,
    build_search_text,
    metadata_of,
    validate_metadata,
)
from eoffice.documents.models import (
    Assignment,
    AssignmentRole,
    Direction,
    Document,
    RecipientStatus,
    SeriesKind,
)
from eoffice.documents.series import allocate_number, get_series, series_code
from eoffice.documents.signatures import SignatureConfig, record_validation
from eoffice.documents.workflow import Action, Status, next_status
from eoffice.errors import Conflict, InvalidInput, PermissionDenied
from eoffice.exchange.services import report_to_sender
from eoffice.org.actor import Actor
from eoffice.org.models import Power, Role, Unit, User
from eoffice.tasks.services_documents import link_document_task


@dataclass(frozen=True)
class Registration:
    document: Document
    warnings: list[str] = field(default_factory=list)


def find_duplicates(session: Session, agency_id: int, meta: DocumentMetadata) -> list[Document]:
    """Return incoming documents that look like the same one (same số, ký hiệu and issuer, or
    the same edXML DocumentId)."""
    same_code = (
        (Document.code_number == meta.code_number)
        & (Document.code_notation == meta.code_notation)
        & (Document.organ_name == meta.organ_name)
    )
    clause = same_code
    if meta.edxml_document_id:
        clause = or_(same_code, Document.edxml_document_id == meta.edxml_document_id)
    stmt = select(Document).where(
        Document.agency_id == agency_id,
        Document.direction == Direction.INCOMING.value,
        Document.number.is_not(None),
        Document.cancelled_at.is_(None),
        clause,
    )
    return list(session.execute(stmt).scalars())


def register_incoming(
    session: Session,
    actor: Actor,
    meta: DocumentMetadata,
    upload: Upload | None,
    policy: FilePolicy,
    *,
    arrival_date: date | None = None,
    allow_duplicate: bool = False,
    signature_config: SignatureConfig | None = None,
) -> Registration:
    """Register a received document in the incoming register and give it its số đến.

    With ``signature_config``, a signed PDF is validated and the report kept with the document
    ("modified after signing" and the like are flagged for the clerk, never refused).

    :raises PermissionDenied: unless the actor is a clerk. :raises InvalidInput: bad fields or
        file. :raises Conflict: a likely duplicate, unless ``allow_duplicate``.
    """
    require_role(actor, Role.CLERK)
    meta = meta.cleaned()
    arrival = arrival_date or clock.today()
    validate_metadata(meta, incoming=True, arrival=arrival)
    page_count = check_main_pdf(upload, policy) if upload is not None else None
    agency_id = actor.agency_id
    assert agency_id is not None
    duplicates = find_duplicates(session, agency_id, meta)
    if duplicates and not allow_duplicate:
        raise Conflict(
            "Văn bản có thể đã được vào sổ (số đến {numbers}); xác nhận nếu vẫn muốn vào sổ",
            code="possible_duplicate",
            params={"numbers": ", ".join(_number(d) for d in duplicates)},
        )
    document = Document(
        agency_id=agency_id,
        direction=Direction.INCOMING.value,
        status=Status.REGISTERED.value,
        created_by_id=actor.user_id,
        source="upload",
    )
    apply_metadata(document, meta)
    document.page_amount = meta.page_amount or page_count
    session.add(document)
    pdf_text = attach_main_pdf(session, document, upload, policy) if upload is not None else ""
    if upload is not None and signature_config is not None:
        record_validation(document, upload.data, signature_config)
    _give_arrival_number(session, document, arrival)
    document.search_text = build_search_text(document, pdf_text)
    session.flush()
    record_event(
        session,
        actor,
        "document.register_incoming",
        "document",
        document.id,
        details={
            "arrival_number": document.number,
            "code": document.code,
            "duplicate_of": [d.id for d in duplicates],
        },
    )
    grant_automatically(session, actor, document, [actor.principal], "Văn thư vào sổ")
    warnings = [f"Trùng với văn bản đến số {_number(d)}" for d in duplicates]
    return Registration(document, warnings)


def _give_arrival_number(session: Session, document: Document, arrival: date) -> None:
    secret = document.secrecy != "thuong"
    series = get_series(
        session, document.agency_id, arrival.year, series_code(SeriesKind.INCOMING, secret)
    )
    document.series_id = series.id
    document.year = arrival.year
    document.number = allocate_number(session, series)
    document.arrival_date = arrival
    document.arrival_at = clock.now()
    document.registered_at = clock.now()


def _number(document: Document) -> str:
    return f"{document.number:02d}/{document.year}" if document.number else "?"


def present_to_leader(session: Session, actor: Actor, document: Document, leader: User) -> None:
    """Present a registered document to a leader for instruction (trình).

    :raises PermissionDenied: not a clerk. :raises InvalidInput: the person is not a leader here.
    """
    require_role(actor, Role.CLERK)
    if leader.agency_id != document.agency_id or not leader.has_role(Role.LEADER):
        raise InvalidInput(
            "Người nhận trình phải là lãnh đạo của cơ quan", fields={"leader_id": "Chọn lãnh đạo"}
        )
    document.status = next_status(document.status, Action.PRESENT).value
    document.presented_to_id = leader.id
    session.flush()
    record_event(
        session,
        actor,
        "document.present",
        "document",
        document.id,
        details={"leader": leader.full_name},
    )
    grant_automatically(session, actor, document, [leader], "Được trình văn bản")


@dataclass(frozen=True)
class Target:
    """A unit or a person of the agency."""

    unit_id: int | None = None
    user_id: int | None = None


@dataclass(frozen=True)
class AssignmentPlan:
    """The leader's instruction: exactly one lead, any co-operating and for-information targets."""

    lead: Target
    cooperate: tuple[Target, ...] = ()
    inform: tuple[Target, ...] = ()
    deadline: date | None = None
    instruction: str = ""


def assign_document(
    session: Session, actor: Actor, document: Document, plan: AssignmentPlan
) -> None:
    """Record the leader's instruction (bút phê) and assignment.

    :raises PermissionDenied: not a leader. :raises InvalidInput: no/unknown lead, a past deadline.
    """
    require_role(actor, Role.LEADER)
    actor.require_power(Power.ASSIGN)
    _check_plan(session, document, plan)
    document.status = next_status(document.status, Action.ASSIGN).value
    for old in document.assignments:
        old.is_active = False
    rows = [(AssignmentRole.LEAD, plan.lead)]
    rows += [(AssignmentRole.COOPERATE, t) for t in plan.cooperate]
    rows += [(AssignmentRole.INFORM, t) for t in plan.inform]
    for role, target in rows:
        document.assignments.append(
            Assignment(
                role=role.value,
                unit_id=target.unit_id,
                user_id=target.user_id,
                deadline=plan.deadline,
                note=plan.instruction.strip(),
                assigned_by_id=actor.user_id,
            )
        )
    document.instruction = plan.instruction.strip()
    if plan.deadline:
        document.due_date = plan.deadline
    session.flush()
    record_event(
        session,
        actor,
        "document.assign",
        "document",
        document.id,
        details={
            "instruction": document.instruction,
            "lead": _describe(session, plan.lead),
            "cooperate": [_describe(session, t) for t in plan.cooperate],
            "inform": [_describe(session, t) for t in plan.inform],
            "deadline": plan.deadline.isoformat() if plan.deadline else None,
        },
    )
    targets = [plan.lead, *plan.cooperate, *plan.inform]
    people = [session.get(User, t.user_id) for t in targets if t.user_id is not None]
    grant_automatically(session, actor, document, people, "Được phân công")
    grant_unit_heads(
        session,
        actor,
        document,
        [t.unit_id for t in targets if t.user_id is None],
        "Đơn vị được phân công",
    )
    report_to_sender(session, document, RecipientStatus.ASSIGNED)
    link_document_task(
        session,
        actor,
        document,
        lead=(plan.lead.unit_id, plan.lead.user_id),
        cooperators=[(t.unit_id, t.user_id) for t in plan.cooperate],
        deadline=plan.deadline,
        instruction=plan.instruction,
    )


def _check_plan(session: Session, document: Document, plan: AssignmentPlan) -> None:
    errors: dict[str, str] = {}
    targets = [plan.lead, *plan.cooperate, *plan.inform]
    if (plan.lead.unit_id is None) == (plan.lead.user_id is None):
        errors["lead"] = "Chọn đúng một đơn vị hoặc một người chủ trì"
    elif any(not _belongs(session, document.agency_id, t) for t in targets):
        errors["lead"] = "Đơn vị hoặc người nhận không thuộc cơ quan"
    if plan.lead in plan.cooperate or plan.lead in plan.inform:
        errors["cooperate"] = "Đơn vị chủ trì không đồng thời là phối hợp hoặc nhận để biết"
    if plan.deadline is not None and plan.deadline < clock.today():
        errors["deadline"] = "Hạn xử lý không được ở quá khứ"
    if len(plan.instruction) > 2000:
        errors["instruction"] = "Ý kiến chỉ đạo tối đa 2000 ký tự"
    if errors:
        raise InvalidInput("Phân công chưa hợp lệ", fields=errors)


def _belongs(session: Session, agency_id: int, target: Target) -> bool:
    if target.unit_id is not None:
        unit = session.get(Unit, target.unit_id)
        return unit is not None and unit.agency_id == agency_id
    user = session.get(User, target.user_id) if target.user_id is not None else None
    return user is not None and user.agency_id == agency_id and user.is_active


def _describe(session: Session, target: Target) -> str:
    if target.unit_id is not None:
        unit = session.get(Unit, target.unit_id)
        return unit.name if unit else "?"
    user = session.get(User, target.user_id)
    return user.full_name if user else "?"


def lead_assignment(document: Document) -> Assignment | None:
    """Return the active lead assignment (the newest one, after a unit head passed it on)."""
    leads = [a for a in document.assignments if a.is_active and a.role == AssignmentRole.LEAD.value]
    return leads[-1] if leads else None


def reassign_within_unit(
    session: Session,
    actor: Actor,
    document: Document,
    handler: User,
    deadline: date | None = None,
    note: str = "",
) -> Assignment:
    """Let the unit head pass the unit's lead to a person of the unit (phân công xử lý).

    :raises PermissionDenied: unless the actor heads the lead unit. :raises InvalidInput: the
        handler is not in the unit, or the deadline is later than the leader's.
    """
    lead = lead_assignment(document)
    principal = actor.principal
    if (
        lead is None
        or lead.unit_id is None
        or principal is None
        or not principal.has_role(Role.UNIT_HEAD)
        or principal.unit_id != lead.unit_id
    ):
        raise PermissionDenied("Chỉ trưởng đơn vị chủ trì mới phân công trong đơn vị")
    next_status(document.status, Action.ASSIGN)  # only while the document is being handled
    if handler.unit_id != lead.unit_id or not handler.is_active:
        raise InvalidInput(
            "Người xử lý phải thuộc đơn vị chủ trì",
            fields={"handler_id": "Chọn người trong đơn vị"},
        )
    if deadline is not None and (
        (lead.deadline and deadline > lead.deadline) or deadline < clock.today()
    ):
        raise InvalidInput(
            "Hạn xử lý phải trong hạn lãnh đạo giao", fields={"deadline": "Hạn không hợp lệ"}
        )
    child = Assignment(
        role=AssignmentRole.LEAD.value,
        user_id=handler.id,
        unit_id=lead.unit_id,
        deadline=deadline or lead.deadline,
        note=note.strip(),
        assigned_by_id=actor.user_id,
        parent_id=lead.id,
    )
    document.assignments.append(child)
    session.flush()
    record_event(
        session,
        actor,
        "document.reassign",
        "document",
        document.id,
        details={
            "handler": handler.full_name,
            "note": child.note,
            "deadline": child.deadline.isoformat() if child.deadline else None,
        },
    )
    grant_automatically(session, actor, document, [handler], "Được phân công xử lý")
    report_to_sender(session, document, RecipientStatus.PROCESSING)
    return child


def is_lead_handler(actor: Actor, document: Document) -> bool:
    """Return whether the actor handles the document as (or for) its lead."""
    lead = lead_assignment(document)
    user = actor.principal
    if lead is None or user is None:
        return False
    if lead.user_id is not None:
        return lead.user_id == user.id
    return lead.unit_id == user.unit_id and user.has_role(Role.UNIT_HEAD, Role.SPECIALIST)


def complete_handling(session: Session, actor: Actor, document: Document, result: str) -> None:
    """Mark the document handled by its lead.

    :raises PermissionDenied: unless the actor is the lead handler. :raises InvalidInput: no result.
    """
    if not is_lead_handler(actor, document):
        raise PermissionDenied("Chỉ người (đơn vị) chủ trì mới hoàn thành xử lý")
    actor.require_power(Power.HANDLE)
    if not result.strip():
        raise InvalidInput("Nhập kết quả xử lý", fields={"result": "Bắt buộc"})
    document.status = next_status(document.status, Action.COMPLETE).value
    now = clock.now()
    document.completed_at = now
    lead = lead_assignment(document)
    assert lead is not None
    lead.completed_at, lead.result = now, result.strip()
    session.flush()
    record_event(
        session,
        actor,
        "document.complete",
        "document",
        document.id,
        details={"result": result.strip()},
    )
    report_to_sender(session, document, RecipientStatus.COMPLETED)


def return_document(session: Session, actor: Actor, document: Document, reason: str) -> None:
    """Hand a document back one step (leader → clerk, lead → leader), with a reason.

    :raises InvalidInput: without a reason. :raises PermissionDenied: not the right person.
    """
    if not reason.strip():
        raise InvalidInput("Trả lại phải có lý do", fields={"reason": "Bắt buộc"})
    if document.status == Status.PRESENTED.value:
        require_role(actor, Role.LEADER)
    elif not is_lead_handler(actor, document):
        raise PermissionDenied("Bạn không thể trả lại văn bản này")
    document.status = next_status(document.status, Action.RETURN_TO_CLERK).value
    session.flush()
    record_event(
        session,
        actor,
        "document.return",
        "document",
        document.id,
        details={"reason": reason.strip()},
    )


def accept_arrival(
    session: Session, actor: Actor, document: Document, *, allow_duplicate: bool = False
) -> Registration:
    """Accept a document that arrived from another agency: it is registered and gets its số đến.

    Every field comes from the sender; nobody retypes anything.

    :raises PermissionDenied: not a clerk of the receiving agency. :raises Conflict: a likely
        duplicate, unless ``allow_duplicate``.
    """
    require_role(actor, Role.CLERK)
    if actor.agency_id != document.agency_id:
        raise PermissionDenied("Văn bản không gửi đến cơ quan của bạn")
    status = next_status(document.status, Action.ACCEPT)
    duplicates = [
        d
        for d in find_duplicates(session, document.agency_id, metadata_of(document))
        if d.id != document.id
    ]
    if duplicates and not allow_duplicate:
        raise Conflict(
            "Văn bản có thể đã được vào sổ (số đến {numbers}); xác nhận nếu vẫn muốn vào sổ",
            code="possible_duplicate",
            params={"numbers": ", ".join(_number(d) for d in duplicates)},
        )
    document.status = status.value
    document.created_by_id = actor.user_id
    _give_arrival_number(session, document, clock.today())
    session.flush()
    record_event(
        session,
        actor,
        "document.accept",
        "document",
        document.id,
        details={"arrival_number": document.number},
    )
    grant_automatically(session, actor, document, [actor.principal], "Văn thư tiếp nhận")
    report_to_sender(session, document, RecipientStatus.ACCEPTED)
    return Registration(document, [f"Trùng với văn bản đến số {_number(d)}" for d in duplicates])


def reject_arrival(session: Session, actor: Actor, document: Document, reason: str) -> None:
    """Return an arrived document to its sender with a reason (wrong addressee, invalid, …).

    :raises InvalidInput: without a reason. :raises PermissionDenied: not a clerk here.
    """
    require_role(actor, Role.CLERK)
    if actor.agency_id != document.agency_id:
        raise PermissionDenied("Văn bản không gửi đến cơ quan của bạn")
    if not reason.strip():
        raise InvalidInput("Trả lại phải có lý do", fields={"reason": "Bắt buộc"})
    document.status = next_status(document.status, Action.REJECT).value
    session.flush()
    record_event(
        session,
        actor,
        "document.reject",
        "document",
        document.id,
        details={"reason": reason.strip()},
    )
    report_to_sender(session, document, RecipientStatus.REJECTED, reason.strip())
