"""Tasks: give (and split) them, and the helpers every task service shares.

Services take ``(session, actor, …)``, flush and never commit; each change is audited and tells
the people concerned through ``eoffice.notifications`` (in-app and e-mail outbox rows).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from eoffice import clock
from eoffice.audit.services import record_event
from eoffice.documents.access import visible_filter as document_visible_filter
from eoffice.documents.blobs import FilePolicy, Upload, safe_filename, store_blob
from eoffice.documents.models import Document
from eoffice.errors import InvalidInput, NotFound, PermissionDenied
from eoffice.notifications.services import Message, notify_users
from eoffice.org.actor import Actor
from eoffice.org.models import Role, User
from eoffice.tasks.access import can_assign_root, is_lead_handler, visible_filter
from eoffice.tasks.calendar import CalendarError, WorkingCalendar, deadline_end, format_vn_date
from eoffice.tasks.inputs import TaskInput
from eoffice.tasks.models import (
    SourceKind,
    Task,
    TaskAttachment,
    TaskCooperator,
    TaskReminder,
    TaskState,
    TaskUpdate,
    UpdateKind,
)
from eoffice.tasks.targets import (
    Target,
    TargetError,
    check_assignable,
    lead_recipients,
    resolve_target,
)

MAX_TEXT = 20_000
MAX_TITLE = 500


def task_link(task: Task) -> str:
    """Return the task page's path."""
    return f"/tasks/{task.id}"


def set_deadlines(task: Task, current: date | None, measured: date | None) -> None:
    """Set the deadline in force and the one lateness is measured against (with their instants)."""
    task.due_date, task.measured_due_date = current, measured
    task.deadline_at = deadline_end(current) if current else None
    task.measured_deadline_at = deadline_end(measured) if measured else None


def cancel_pending_reminders(session: Session, task: Task) -> None:
    """Cancel the task's unsent reminders and ask the reminder job to plan again."""
    session.execute(
        update(TaskReminder)
        .where(
            TaskReminder.task_id == task.id,
            TaskReminder.sent_at.is_(None),
            TaskReminder.cancelled_at.is_(None),
        )
        .values(cancelled_at=clock.now())
    )
    task.replan_reminders_at = clock.now()


def add_update(
    session: Session,
    actor: Actor,
    task: Task,
    kind: UpdateKind,
    text: str = "",
    percent: int | None = None,
) -> TaskUpdate:
    """Append a line to the task's history."""
    row = TaskUpdate(
        kind=kind.value,
        text=text,
        percent=percent,
        author_id=actor.user_id,
        on_behalf_of_id=actor.on_behalf_of.id if actor.on_behalf_of else None,
        at=clock.now(),
    )
    task.updates.append(row)
    session.flush()
    return row


def attach_files(
    session: Session,
    actor: Actor,
    task: Task,
    uploads: Sequence[Upload],
    policy: FilePolicy | None,
    update_row: TaskUpdate | None = None,
) -> None:
    """Store files on the task (and the update they came with).

    :raises InvalidInput: an empty or too large file, or files without a store.
    """
    if not uploads:
        return
    if policy is None:
        raise InvalidInput("Không lưu được tệp đính kèm", fields={"attachments": "Không có kho"})
    for upload in uploads:  # every file first: a refusal must leave no stored file behind
        if not upload.data or len(upload.data) > policy.max_attachment_bytes:
            raise InvalidInput(
                "Tệp đính kèm rỗng hoặc vượt quá dung lượng cho phép",
                code="file_too_large",
                fields={"attachments": "Tệp không hợp lệ"},
            )
    for upload in uploads:
        blob = store_blob(
            session, policy.store, upload.data, upload.content_type or "application/octet-stream"
        )
        task.attachments.append(
            TaskAttachment(
                sha256=blob.sha256,
                filename=safe_filename(upload.filename),
                content_type=blob.content_type,
                size=blob.size,
                uploaded_by_id=actor.user_id,
                update_id=update_row.id if update_row else None,
            )
        )
    session.flush()


def tell(
    session: Session, users: Sequence[User], task: Task, kind: str, title: str, body: str, key: str
) -> None:
    message = Message(kind=kind, title=title, body=body, link=task_link(task))
    notify_users(session, users, message, f"task:{task.id}:{key}")


# --- Giving a task ---------------------------------------------------------------------------------


def _resolve(
    session: Session, giver: User, data: TaskInput, *, as_leader: bool
) -> tuple[Target | None, list[Target], dict[str, str]]:
    errors: dict[str, str] = {}
    lead: Target | None = None
    try:
        lead = resolve_target(session, giver.agency_id, data.lead)
        check_assignable(session, giver, lead, as_leader=as_leader)
    except TargetError as e:
        errors["lead"] = e.message
    cooperators: list[Target] = []
    for ref in data.cooperators:
        try:
            target = resolve_target(session, giver.agency_id, ref)
        except TargetError as e:
            errors["cooperators"] = e.message
            continue
        if lead is not None and target.key == lead.key:
            errors["cooperators"] = "Chủ trì không đồng thời là đơn vị phối hợp"
        elif target.key not in {c.key for c in cooperators}:
            cooperators.append(target)
    return lead, cooperators, errors


def _due_date(data: TaskInput, calendar: WorkingCalendar, errors: dict[str, str]) -> date | None:
    due = data.due_date
    if data.due_in_working_days is not None:
        if data.due_in_working_days < 1:
            errors["due_date"] = "Số ngày làm việc phải từ 1 trở lên"
            return None
        try:
            due = calendar.add_working_days(
                data.due_from or clock.today(), data.due_in_working_days
            )
        except CalendarError as e:
            errors["due_date"] = str(e)
            return None
    if due is not None and due < clock.today():
        errors["due_date"] = "Hạn xử lý không được ở quá khứ"
    return due


def _check_parent(parent: Task | None, due: date | None, errors: dict[str, str]) -> None:
    if parent is None:
        return
    if parent.state != TaskState.OPEN.value:
        errors["parent_id"] = "Nhiệm vụ cha đã báo hoàn thành, không chia thêm được"
    if parent.due_date is not None:
        if due is None:
            errors["due_date"] = (
                f"Nhiệm vụ con phải có hạn (nhiệm vụ cha có hạn {format_vn_date(parent.due_date)})"
            )
        elif due > parent.due_date:
            errors["due_date"] = (
                f"Hạn của nhiệm vụ con không được sau hạn của nhiệm vụ cha ({format_vn_date(parent.due_date)})"
            )


def _giver(session: Session, actor: Actor, data: TaskInput) -> tuple[User, Task | None, bool]:
    """Return who gives, the parent, and whether they give as a leader (any target)."""
    user = actor.principal
    if user is None:
        raise PermissionDenied("Cần đăng nhập để giao nhiệm vụ")
    if data.parent_id is None:
        if not can_assign_root(actor):
            raise PermissionDenied("Chỉ lãnh đạo hoặc trưởng đơn vị mới được giao nhiệm vụ")
        return user, None, user.has_role(Role.LEADER)
    parent = session.execute(
        select(Task).where(Task.id == data.parent_id, visible_filter(session, actor))
    ).scalar_one_or_none()
    if parent is None:  # another agency's task is as unknown as one that does not exist
        raise NotFound("Không tìm thấy nhiệm vụ cha")
    if not is_lead_handler(actor, parent) or not user.has_role(Role.LEADER, Role.UNIT_HEAD):
        raise PermissionDenied(
            "Chỉ lãnh đạo, trưởng đơn vị chủ trì nhiệm vụ mới chia được nhiệm vụ con"
        )
    return user, parent, user.has_role(Role.LEADER)


def create_task(
    session: Session,
    actor: Actor,
    data: TaskInput,
    calendar: WorkingCalendar,
    *,
    uploads: Sequence[Upload] = (),
    files: FilePolicy | None = None,
) -> Task:
    """Give a task (or, with ``parent_id``, a child of a task the actor leads).

    :raises PermissionDenied: not a leader/unit head, or not the parent's lead. :raises NotFound:
        unknown parent. :raises InvalidInput: bad lead or co-operators, a past deadline, a
        child's deadline after its parent's.
    """
    giver, parent, as_leader = _giver(session, actor, data)
    lead, cooperators, errors = _resolve(session, giver, data, as_leader=as_leader)
    if not data.title.strip() or len(data.title) > MAX_TITLE:
        errors["title"] = "Nhập tên nhiệm vụ" if not data.title.strip() else "Tối đa 500 ký tự"
    if len(data.content) > MAX_TEXT:
        errors["content"] = "Tối đa 20.000 ký tự"
    due = _due_date(data, calendar, errors)
    _check_parent(parent, due, errors)
    document_id = data.source_document_id if data.source_kind == SourceKind.DOCUMENT.value else None
    if document_id is not None:
        # Only a document the giver may see (agency, involvement, secret grant): any other id
        # reads as unknown, so the field reveals nothing.
        visible = select(Document.id).where(
            Document.id == document_id,
            Document.agency_id == giver.agency_id,
            document_visible_filter(actor),
        )
        if session.execute(visible).scalar_one_or_none() is None:
            errors["source_document_id"] = "Không có văn bản này trong cơ quan"
    if errors or lead is None:
        raise InvalidInput("Thông tin nhiệm vụ chưa hợp lệ", fields=errors)
    task = new_task(session, actor, giver, data, lead, cooperators, due, parent)
    attach_files(session, actor, task, uploads, files)
    return task


def new_task(
    session: Session,
    actor: Actor,
    giver: User,
    data: TaskInput,
    lead: Target,
    cooperators: Sequence[Target],
    due: date | None,
    parent: Task | None,
) -> Task:
    """Insert a checked task with its history, notify its lead, audit it."""
    now = clock.now()
    task = Task(
        title=data.title.strip(),
        content=data.content.strip(),
        source_kind=data.source_kind,
        source_document_id=data.source_document_id
        if data.source_kind == SourceKind.DOCUMENT.value
        else None,
        source_reference=data.source_reference,
        parent_id=parent.id if parent else None,
        assigner_id=giver.id,
        assigner_agency_id=giver.agency_id,
        lead_kind=lead.kind.value,
        lead_agency_id=lead.agency.id,
        lead_unit_id=lead.unit.id if lead.unit else None,
        lead_user_id=lead.user.id if lead.user else None,
        counts_for_agency=parent is None or parent.lead_agency_id != lead.agency.id,
        priority=data.priority,
        state=TaskState.OPEN.value,
        original_due_date=due,
        assigned_at=now,
        replan_reminders_at=now,
        created_by_id=actor.user_id,
    )
    set_deadlines(task, due, due)
    task.cooperators = [
        TaskCooperator(
            agency_id=c.agency.id,
            unit_id=c.unit.id if c.unit else None,
            user_id=c.user.id if c.user else None,
        )
        for c in cooperators
    ]
    session.add(task)
    session.flush()
    add_update(session, actor, task, UpdateKind.CREATED, data.content)
    due_text = f" — hạn {format_vn_date(due)}" if due else ""
    tell(
        session,
        lead_recipients(session, task),
        task,
        "task.assigned",
        f"Nhiệm vụ mới: {task.title}",
        f"{giver.full_name} giao{due_text}",
        "created",
    )
    record_event(
        session,
        actor,
        "task.create",
        "task",
        task.id,
        details={
            "title": task.title,
            "lead": f"{task.lead_kind}:{task.lead_user_id or task.lead_unit_id or task.lead_agency_id}",
            "due_date": due.isoformat() if due else None,
            "parent_id": task.parent_id,
        },
    )
    return task
