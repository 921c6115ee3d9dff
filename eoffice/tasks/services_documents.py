"""The bridge from the registry: assigning an incoming document with a deadline gives a task."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from eoffice.audit.services import record_event
from eoffice.documents.models import Document
from eoffice.errors import PermissionDenied
from eoffice.org.actor import Actor
from eoffice.org.models import Unit, User
from eoffice.tasks.inputs import TaskInput
from eoffice.tasks.models import (
    LeadKind,
    Priority,
    SourceKind,
    Task,
    TaskCooperator,
    TaskState,
    UpdateKind,
)
from eoffice.tasks.services import (
    add_update,
    cancel_pending_reminders,
    new_task,
    set_deadlines,
    tell,
)
from eoffice.tasks.targets import Target, lead_recipients

_PRIORITY_BY_URGENCY = {
    "khan": Priority.HIGH,
    "thuong_khan": Priority.URGENT,
    "hoa_toc": Priority.URGENT,
}


def _target(session: Session, unit_id: int | None, user_id: int | None) -> Target:
    if user_id is not None:
        user = session.get(User, user_id)
        assert user is not None  # checked by the assignment
        return Target(LeadKind.USER, user.agency, user.unit, user)
    unit = session.get(Unit, unit_id)
    assert unit is not None
    return Target(LeadKind.UNIT, unit.agency, unit)


def document_task(session: Session, document: Document) -> Task | None:
    """Return the newest task given from ``document`` in its own agency, if any."""
    stmt = (
        select(Task)
        .where(
            Task.source_document_id == document.id,
            Task.parent_id.is_(None),
            Task.assigner_agency_id == document.agency_id,
        )
        .order_by(Task.id.desc())
        .limit(1)
    )
    return session.execute(stmt).scalar_one_or_none()


def link_document_task(
    session: Session,
    actor: Actor,
    document: Document,
    *,
    lead: tuple[int | None, int | None],
    cooperators: Sequence[tuple[int | None, int | None]] = (),
    deadline: date | None,
    instruction: str = "",
) -> Task | None:
    """Create the lead's task for an assigned incoming document, or re-point the one it has.

    ``lead`` and ``cooperators`` are ``(unit_id, user_id)`` pairs already checked by the
    assignment. Without a deadline nothing is created. An open task that has no extension and
    no child follows the new assignment; otherwise it is left to its page.

    :raises PermissionDenied: when nobody is logged in.
    """
    giver = actor.principal
    if giver is None:
        raise PermissionDenied("Cần đăng nhập để giao nhiệm vụ")
    lead_target = _target(session, *lead)
    coop_targets = [_target(session, u, p) for u, p in cooperators]
    existing = document_task(session, document)
    if existing is not None and existing.state != TaskState.DONE.value:
        if not existing.extensions and not existing.children and deadline is not None:
            _repoint(session, actor, existing, lead_target, coop_targets, deadline)
        return existing
    if deadline is None:
        return None
    reference = f"Văn bản đến số {document.number or '?'}"
    title, content = document.subject[:500], instruction.strip()
    if document.secrecy != "thuong":
        # Tasks are seen by people without the document's grant (a unit's members, reports):
        # a secret document's task names it by its number only.
        title, content = f"Xử lý văn bản mật ({reference.lower()})", ""
    else:
        reference = f"{reference} — {document.code}"
    data = TaskInput(
        title=title,
        content=content,
        priority=_PRIORITY_BY_URGENCY.get(document.urgency, Priority.NORMAL).value,
        source_kind=SourceKind.DOCUMENT.value,
        source_document_id=document.id,
        source_reference=reference[:300],
    )
    return new_task(session, actor, giver, data, lead_target, coop_targets, deadline, None)


def _repoint(
    session: Session,
    actor: Actor,
    task: Task,
    lead: Target,
    cooperators: Sequence[Target],
    deadline: date,
) -> None:
    task.lead_kind = lead.kind.value
    task.lead_agency_id = lead.agency.id
    task.lead_unit_id = lead.unit.id if lead.unit else None
    task.lead_user_id = lead.user.id if lead.user else None
    task.cooperators = [
        TaskCooperator(
            agency_id=c.agency.id,
            unit_id=c.unit.id if c.unit else None,
            user_id=c.user.id if c.user else None,
        )
        for c in cooperators
    ]
    task.original_due_date = deadline
    set_deadlines(task, deadline, deadline)
    cancel_pending_reminders(session, task)
    session.flush()
    session.expire(task, ["lead_agency", "lead_unit", "lead_user"])
    tell(
        session,
        lead_recipients(session, task),
        task,
        "task.assigned",
        f"Nhiệm vụ được giao lại: {task.title}",
        "Theo phân công mới của văn bản đến",
        f"relinked:{len(task.updates)}",
    )
    add_update(session, actor, task, UpdateKind.REASSIGNED, "Phân công lại theo văn bản đến")
    record_event(
        session,
        actor,
        "task.relink_document",
        "task",
        task.id,
        details={
            "lead": f"{task.lead_kind}:{task.lead_user_id or task.lead_unit_id}",
            "due_date": deadline.isoformat(),
        },
    )
