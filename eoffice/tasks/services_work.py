"""Doing a task: progress reports and completion by the lead, confirmation or rework by the
assigner (a task is done when the assigner confirms; its completion time is the submission)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from eoffice import clock
from eoffice.audit.services import record_event
from eoffice.documents.blobs import FilePolicy, Upload
from eoffice.errors import InvalidInput, InvalidTransition
from eoffice.org.actor import Actor
from eoffice.tasks.access import require_assigner
from eoffice.tasks.access import require_lead_handler as _require_lead
from eoffice.tasks.models import Task, TaskState, TaskUpdate, UpdateKind
from eoffice.tasks.services import (
    MAX_TEXT,
    add_update,
    attach_files,
    cancel_pending_reminders,
    tell,
)
from eoffice.tasks.targets import lead_recipients


def _require_open(task: Task) -> None:
    if task.state != TaskState.OPEN.value:
        raise InvalidTransition(
            "Nhiệm vụ đang ở trạng thái “{state}”, không thực hiện được thao tác này",
            params={"state": TaskState(task.state).label},
        )


def report_progress(
    session: Session,
    actor: Actor,
    task: Task,
    percent: int,
    text: str,
    *,
    uploads: Sequence[Upload] = (),
    files: FilePolicy | None = None,
) -> TaskUpdate:
    """Record a progress report (percent, text, files) by the lead.

    :raises PermissionDenied: not the lead. :raises InvalidTransition: not open.
        :raises InvalidInput: percent outside 0–100 (or 100: use completion), no text.
    """
    _require_lead(actor, task, "Chỉ người (đơn vị) chủ trì nhiệm vụ mới được báo cáo tiến độ")
    _require_open(task)
    errors = {}
    if not 0 <= percent < 100:
        errors["percent"] = "Tiến độ từ 0 đến 99%; khi xong, dùng “Báo cáo hoàn thành”"
    if not text.strip() or len(text) > MAX_TEXT:
        errors["text"] = "Nhập nội dung báo cáo (tối đa 20.000 ký tự)"
    if errors:
        raise InvalidInput("Báo cáo tiến độ chưa hợp lệ", fields=errors)
    task.progress_percent = percent
    row = add_update(session, actor, task, UpdateKind.PROGRESS, text.strip(), percent)
    attach_files(session, actor, task, uploads, files, row)
    record_event(session, actor, "task.progress", "task", task.id, details={"percent": percent})
    return row


def submit_completion(
    session: Session,
    actor: Actor,
    task: Task,
    result: str,
    *,
    uploads: Sequence[Upload] = (),
    files: FilePolicy | None = None,
) -> TaskUpdate:
    """Report the task complete (the lead); the assigner then confirms or sends it back.

    :raises PermissionDenied: not the lead (e.g. someone else's task). :raises InvalidTransition:
        not open. :raises InvalidInput: without a result.
    """
    _require_lead(actor, task, "Chỉ người (đơn vị) chủ trì nhiệm vụ mới được báo cáo hoàn thành")
    _require_open(task)
    if not result.strip() or len(result) > MAX_TEXT:
        raise InvalidInput(
            "Nhập kết quả thực hiện", fields={"result": "Bắt buộc (tối đa 20.000 ký tự)"}
        )
    task.state = TaskState.SUBMITTED.value
    task.submitted_at = clock.now()
    task.result = result.strip()
    task.progress_percent = 100
    cancel_pending_reminders(session, task)
    row = add_update(session, actor, task, UpdateKind.SUBMITTED, task.result, 100)
    attach_files(session, actor, task, uploads, files, row)
    tell(
        session,
        [task.assigner],
        task,
        "task.submitted",
        f"Chờ xác nhận hoàn thành: {task.title}",
        task.lead_name,
        f"submitted:{row.id}",
    )
    record_event(
        session, actor, "task.submit", "task", task.id, details={"result": task.result[:500]}
    )
    return row


def _require_submitted(task: Task) -> None:
    if task.state != TaskState.SUBMITTED.value:
        raise InvalidTransition("Nhiệm vụ chưa được báo cáo hoàn thành")


def confirm_completion(session: Session, actor: Actor, task: Task, note: str = "") -> TaskUpdate:
    """Accept the lead's result (the assigner): the task is done as of the lead's submission.

    :raises PermissionDenied: not the assigner. :raises InvalidTransition: nothing submitted.
    """
    require_assigner(actor, task, "Chỉ người giao nhiệm vụ mới được xác nhận hoàn thành")
    _require_submitted(task)
    task.state = TaskState.DONE.value
    task.done_at = task.submitted_at
    task.confirmed_at = clock.now()
    task.confirmed_by_id = actor.principal.id if actor.principal else None
    task.replan_reminders_at = clock.now()
    row = add_update(session, actor, task, UpdateKind.CONFIRMED, note.strip())
    tell(
        session,
        lead_recipients(session, task),
        task,
        "task.confirmed",
        f"Đã xác nhận hoàn thành: {task.title}",
        note.strip(),
        f"confirmed:{row.id}",
    )
    record_event(
        session,
        actor,
        "task.confirm",
        "task",
        task.id,
        details={"done_at": task.done_at.isoformat() if task.done_at else None},
    )
    return row


def reject_completion(session: Session, actor: Actor, task: Task, reason: str) -> TaskUpdate:
    """Send the result back for rework ("thực hiện lại") with a reason (the assigner).

    :raises PermissionDenied: not the assigner. :raises InvalidTransition: nothing submitted.
        :raises InvalidInput: without a reason.
    """
    require_assigner(actor, task, "Chỉ người giao nhiệm vụ mới được yêu cầu thực hiện lại")
    _require_submitted(task)
    if not reason.strip():
        raise InvalidInput("Nêu lý do yêu cầu thực hiện lại", fields={"reason": "Bắt buộc"})
    task.state = TaskState.OPEN.value
    task.submitted_at = None
    task.rework_count += 1
    task.replan_reminders_at = clock.now()
    row = add_update(session, actor, task, UpdateKind.REJECTED, reason.strip())
    tell(
        session,
        lead_recipients(session, task),
        task,
        "task.rejected",
        f"Yêu cầu thực hiện lại: {task.title}",
        reason.strip(),
        f"rejected:{row.id}",
    )
    record_event(session, actor, "task.reject", "task", task.id, details={"reason": reason.strip()})
    return row
