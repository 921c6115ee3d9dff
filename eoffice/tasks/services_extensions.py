"""Extensions (gia hạn): the lead asks with a reason, the assigner approves or refuses.

The original deadline and every request are kept; the deadline in force and the one lateness is
measured against come from ``rules.resolve_deadline`` under the deployment's policy.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy.orm import Session

from eoffice import clock
from eoffice.audit.services import record_event
from eoffice.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from eoffice.notifications.services import Message, notify_users
from eoffice.org.actor import Actor
from eoffice.tasks.access import require_assigner, require_lead_handler
from eoffice.tasks.calendar import format_vn_date
from eoffice.tasks.models import Task, TaskExtension, TaskState, UpdateKind
from eoffice.tasks.policy import DEFAULT_POLICY, TaskPolicy
from eoffice.tasks.rules import (
    DeadlineResolution,
    ExtensionDecision,
    ExtensionPolicy,
    ExtensionRequest,
    resolve_deadline,
)
from eoffice.tasks.services import add_update, cancel_pending_reminders, set_deadlines, task_link
from eoffice.tasks.targets import lead_recipients

MAX_REASON = 5000


def as_requests(extensions: Iterable[TaskExtension]) -> list[ExtensionRequest]:
    """Return the rule module's view of stored extension rows."""
    return [
        ExtensionRequest(
            requested_at=e.requested_at,
            new_date=e.new_date,
            decision=ExtensionDecision(e.decision),
            decided_at=e.decided_at,
        )
        for e in extensions
    ]


def resolve_task_deadline(
    task: Task, policy: ExtensionPolicy, as_of: datetime | None = None
) -> DeadlineResolution | None:
    """Return the task's deadlines after its extensions (decisions after ``as_of`` ignored)."""
    if task.original_due_date is None:
        return None
    return resolve_deadline(
        task.original_due_date, as_requests(task.extensions), policy, as_of=as_of
    )


def pending_extension(task: Task) -> TaskExtension | None:
    """Return the request awaiting a decision, if any."""
    return next((e for e in task.extensions if e.decision == ExtensionDecision.PENDING.value), None)


def request_extension(
    session: Session, actor: Actor, task: Task, new_date: date | None, reason: str
) -> TaskExtension:
    """Ask the assigner to move the deadline to ``new_date`` (the lead).

    A request after the deadline is accepted but, by default policy, does not erase lateness.

    :raises PermissionDenied: not the lead. :raises Conflict: a request is already pending.
        :raises InvalidInput: no deadline to move, no reason, a date not after the deadline, in
        the past, or after the parent task's deadline.
    """
    user = require_lead_handler(
        actor, task, "Chỉ người (đơn vị) chủ trì nhiệm vụ mới được đề nghị gia hạn"
    )
    if task.state != TaskState.OPEN.value or task.due_date is None:
        raise InvalidInput("Nhiệm vụ này không có hạn đang chạy để gia hạn", code="no_deadline")
    if pending_extension(task) is not None:
        raise Conflict("Đã có một đề nghị gia hạn đang chờ quyết định")
    errors: dict[str, str] = {}
    if not reason.strip() or len(reason) > MAX_REASON:
        errors["reason"] = "Nêu lý do đề nghị gia hạn"
    if new_date is None:
        errors["new_date"] = "Chọn hạn mới"
    elif new_date <= task.due_date:
        errors["new_date"] = f"Hạn mới phải sau hạn hiện tại ({format_vn_date(task.due_date)})"
    elif new_date < clock.today():
        errors["new_date"] = "Hạn mới không được ở quá khứ"
    elif task.parent is not None and task.parent.due_date and new_date > task.parent.due_date:
        errors["new_date"] = (
            f"Hạn mới không được sau hạn của nhiệm vụ cha ({format_vn_date(task.parent.due_date)})"
        )
    if errors or new_date is None:
        raise InvalidInput("Đề nghị gia hạn chưa hợp lệ", fields=errors)
    extension = TaskExtension(
        requested_by_id=user.id,
        requested_at=clock.now(),
        old_date=task.due_date,
        new_date=new_date,
        reason=reason.strip(),
    )
    task.extensions.append(extension)
    session.flush()
    add_update(session, actor, task, UpdateKind.EXTENSION_REQUESTED, reason.strip())
    message = Message(
        kind="task.extension_requested",
        title=f"Đề nghị gia hạn: {task.title}",
        body=f"Từ {format_vn_date(task.due_date)} đến {format_vn_date(new_date)}: {reason.strip()}",
        link=task_link(task),
    )
    notify_users(session, [task.assigner], message, f"task:{task.id}:ext:{extension.id}")
    record_event(
        session,
        actor,
        "task.extension_request",
        "task",
        task.id,
        details={
            "extension_id": extension.id,
            "new_date": new_date.isoformat(),
            "late": extension.requested_at >= task.deadline_at if task.deadline_at else False,
        },
    )
    return extension


def decide_extension(
    session: Session,
    actor: Actor,
    task: Task,
    extension_id: int,
    approve: bool,
    note: str = "",
    *,
    policy: TaskPolicy = DEFAULT_POLICY,
) -> TaskExtension:
    """Approve or refuse a pending request (the assigner); an approval moves the deadline.

    :raises PermissionDenied: not the assigner, or deciding one's own request. :raises NotFound:
        no such request on the task. :raises Conflict: already decided.
    """
    decider = require_assigner(actor, task, "Chỉ người giao nhiệm vụ mới được quyết định gia hạn")
    extension = next((e for e in task.extensions if e.id == extension_id), None)
    if extension is None:
        raise NotFound("Không tìm thấy đề nghị gia hạn")
    if decider.id == extension.requested_by_id or actor.user_id == extension.requested_by_id:
        raise PermissionDenied("Không được tự quyết định đề nghị gia hạn của chính mình")
    if extension.decision != ExtensionDecision.PENDING.value:
        raise Conflict("Đề nghị gia hạn này đã được quyết định")
    now = clock.now()
    extension.decision = (
        ExtensionDecision.APPROVED if approve else ExtensionDecision.REFUSED
    ).value
    extension.decided_at, extension.decided_by_id = now, decider.id
    extension.decision_note = note.strip()
    if approve:
        resolution = resolve_task_deadline(task, policy.extension_policy)
        assert resolution is not None  # a request needs a deadline
        set_deadlines(task, resolution.current, resolution.measured)
        task.extensions_decided_at = now
        cancel_pending_reminders(session, task)
    kind = UpdateKind.EXTENSION_APPROVED if approve else UpdateKind.EXTENSION_REFUSED
    add_update(session, actor, task, kind, note.strip())
    verb = "Đồng ý gia hạn" if approve else "Không đồng ý gia hạn"
    message = Message(
        kind=f"task.{kind.value}",
        title=f"{verb}: {task.title}",
        body=f"Hạn đề nghị {format_vn_date(extension.new_date)}. {note.strip()}".strip(),
        link=task_link(task),
    )
    notify_users(
        session,
        lead_recipients(session, task),
        message,
        f"task:{task.id}:ext:{extension.id}:decision",
    )
    record_event(
        session,
        actor,
        "task.extension_decide",
        "task",
        task.id,
        details={
            "extension_id": extension.id,
            "approved": approve,
            "due_date": task.due_date.isoformat() if task.due_date else None,
            "measured_due_date": task.measured_due_date.isoformat()
            if task.measured_due_date
            else None,
        },
    )
    return extension
