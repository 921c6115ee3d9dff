"""Tables of Nhắc việc: tasks, their updates, extensions and reminders; the calendar; snapshots."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eoffice.clock import now
from eoffice.db import Base
from eoffice.org.models import Agency, Unit, User


class TaskState(enum.StrEnum):
    """Where a task is in its workflow (its report status comes from ``rules.classify_task``)."""

    OPEN = "open"
    SUBMITTED = "submitted"
    DONE = "done"

    @property
    def label(self) -> str:
        """Return the Vietnamese label."""
        return _STATE_LABELS[self]


_STATE_LABELS = {
    TaskState.OPEN: "Đang thực hiện",
    TaskState.SUBMITTED: "Chờ xác nhận hoàn thành",
    TaskState.DONE: "Đã hoàn thành",
}


class LeadKind(enum.StrEnum):
    """Who leads (chủ trì) a task: an agency, a unit or a person (exactly one, NĐ 39/2022)."""

    AGENCY = "agency"
    UNIT = "unit"
    USER = "user"


class SourceKind(enum.StrEnum):
    """Where a task comes from."""

    NONE = "none"
    DOCUMENT = "document"
    MEETING = "meeting"

    @property
    def label(self) -> str:
        """Return the Vietnamese label."""
        return {
            SourceKind.NONE: "Không có",
            SourceKind.DOCUMENT: "Văn bản đến",
            SourceKind.MEETING: "Kết luận cuộc họp",
        }[self]


class Priority(enum.StrEnum):
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"

    @property
    def label(self) -> str:
        """Return the Vietnamese label."""
        return {
            Priority.NORMAL: "Bình thường",
            Priority.HIGH: "Quan trọng",
            Priority.URGENT: "Khẩn",
        }[self]


class UpdateKind(enum.StrEnum):
    """One line of a task's history."""

    CREATED = "created"
    PROGRESS = "progress"
    SUBMITTED = "submitted"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    EXTENSION_REQUESTED = "extension_requested"
    EXTENSION_APPROVED = "extension_approved"
    EXTENSION_REFUSED = "extension_refused"
    REASSIGNED = "reassigned"

    @property
    def label(self) -> str:
        """Return the Vietnamese label."""
        return UPDATE_LABELS[self.value]


UPDATE_LABELS = {
    "created": "Giao nhiệm vụ",
    "progress": "Báo cáo tiến độ",
    "submitted": "Báo cáo hoàn thành",
    "confirmed": "Xác nhận hoàn thành",
    "rejected": "Yêu cầu thực hiện lại",
    "extension_requested": "Đề nghị gia hạn",
    "extension_approved": "Đồng ý gia hạn",
    "extension_refused": "Không đồng ý gia hạn",
    "reassigned": "Giao lại",
}


class Task(Base):
    """A task (nhiệm vụ) given by an assigner to exactly one lead, with an optional deadline."""

    __tablename__ = "tasks"
    __table_args__ = (
        CheckConstraint(
            "(lead_kind = 'agency' AND lead_unit_id IS NULL AND lead_user_id IS NULL)"
            " OR (lead_kind = 'unit' AND lead_unit_id IS NOT NULL AND lead_user_id IS NULL)"
            " OR (lead_kind = 'user' AND lead_user_id IS NOT NULL)",
            name="one_lead",
        ),
        CheckConstraint("progress_percent BETWEEN 0 AND 100", name="percent_range"),
        CheckConstraint(
            "(state = 'done') = (done_at IS NOT NULL AND confirmed_at IS NOT NULL)",
            name="done_has_times",
        ),
        Index("ix_tasks_agency_assigned", "lead_agency_id", "assigned_at"),
        Index("ix_tasks_assigned_at", "assigned_at"),
        # The work queues: who x unfinished state x due date (due soon, overdue).
        Index("ix_tasks_assigner_queue", "assigner_id", "state", "due_date"),
        Index("ix_tasks_lead_user_queue", "lead_user_id", "state", "due_date"),
        Index("ix_tasks_lead_unit_queue", "lead_unit_id", "state", "due_date"),
        Index("ix_tasks_lead_agency_queue", "lead_agency_id", "state", "due_date"),
        Index("ix_tasks_state_due", "state", "due_date"),
        Index(
            "ix_tasks_replan",
            "replan_reminders_at",
            postgresql_where=text("replan_reminders_at IS NOT NULL"),
            sqlite_where=text("replan_reminders_at IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    content: Mapped[str] = mapped_column(Text, default="")
    source_kind: Mapped[str] = mapped_column(String(10), default=SourceKind.NONE.value)
    source_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), index=True)
    source_reference: Mapped[str] = mapped_column(String(300), default="")
    """Free text: e.g. "Thông báo kết luận số 12/TB-UBND ngày 03/11/2026"."""
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("tasks.id", ondelete="CASCADE"), index=True
    )
    assigner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    assigner_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    lead_kind: Mapped[str] = mapped_column(String(10))
    lead_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    """The agency answerable for the task (for a unit or a person: their agency)."""
    lead_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    """The lead unit, or the lead person's unit (so reports group people's tasks by unit)."""
    lead_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    counts_for_agency: Mapped[bool] = mapped_column(Boolean, default=True)
    """False for a child split inside its parent's lead agency: the agency already answers for
    the parent, so per-agency reports must not count the task twice."""
    priority: Mapped[str] = mapped_column(String(10), default=Priority.NORMAL.value)
    state: Mapped[str] = mapped_column(String(10), default=TaskState.OPEN.value)
    progress_percent: Mapped[int] = mapped_column(Integer, default=0)
    original_due_date: Mapped[date | None] = mapped_column(Date)
    due_date: Mapped[date | None] = mapped_column(Date)
    """The deadline in force (the latest approved one): shown to the lead, drives reminders."""
    measured_due_date: Mapped[date | None] = mapped_column(Date)
    """The deadline lateness is measured against, per the deployment's extension policy."""
    deadline_at: Mapped[datetime | None]
    """24:00 Asia/Ho_Chi_Minh on due_date (exclusive end), for queries."""
    measured_deadline_at: Mapped[datetime | None]
    """24:00 Asia/Ho_Chi_Minh on measured_due_date, for the report queries."""
    extensions_decided_at: Mapped[datetime | None]
    """The latest extension decision: reports "as of" an earlier time re-resolve the deadline."""
    replan_reminders_at: Mapped[datetime | None]
    """Set when the reminder plan must be redone (new task, moved deadline, state change):
    reminders due before this instant are not created. The reminder job clears it."""
    assigned_at: Mapped[datetime] = mapped_column(default=now)
    submitted_at: Mapped[datetime | None]
    """When the lead last reported the task complete (cleared by a rejection)."""
    done_at: Mapped[datetime | None]
    """The completion time: the confirmed submission's time."""
    confirmed_at: Mapped[datetime | None]
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    result: Mapped[str] = mapped_column(Text, default="")
    rework_count: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=now, onupdate=now)

    assigner: Mapped[User] = relationship(foreign_keys=[assigner_id])
    assigner_agency: Mapped[Agency] = relationship(foreign_keys=[assigner_agency_id])
    lead_agency: Mapped[Agency] = relationship(foreign_keys=[lead_agency_id])
    lead_unit: Mapped[Unit | None] = relationship(foreign_keys=[lead_unit_id])
    lead_user: Mapped[User | None] = relationship(foreign_keys=[lead_user_id])
    parent: Mapped[Task | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Task]] = relationship(
        back_populates="parent", order_by="Task.id", passive_deletes=True
    )
    cooperators: Mapped[list[TaskCooperator]] = relationship(
        cascade="all, delete-orphan", order_by="TaskCooperator.id"
    )
    updates: Mapped[list[TaskUpdate]] = relationship(
        cascade="all, delete-orphan", order_by="TaskUpdate.id"
    )
    attachments: Mapped[list[TaskAttachment]] = relationship(
        cascade="all, delete-orphan", order_by="TaskAttachment.id"
    )
    extensions: Mapped[list[TaskExtension]] = relationship(
        cascade="all, delete-orphan", order_by="TaskExtension.id"
    )

    @property
    def lead_name(self) -> str:
        """Return the lead's display name."""
        if self.lead_kind == LeadKind.USER.value and self.lead_user is not None:
            return self.lead_user.full_name
        if self.lead_kind == LeadKind.UNIT.value and self.lead_unit is not None:
            return f"{self.lead_unit.name} — {self.lead_agency.short_name}"
        return self.lead_agency.name

    @property
    def source_kind_label(self) -> str:
        """Return where the task comes from, in Vietnamese."""
        return SourceKind(self.source_kind).label

    @property
    def state_label(self) -> str:
        """Return the workflow state in Vietnamese."""
        return TaskState(self.state).label


class TaskCooperator(Base):
    """A co-operating agency, unit or person (phối hợp)."""

    __tablename__ = "task_cooperators"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)

    agency: Mapped[Agency] = relationship()
    unit: Mapped[Unit | None] = relationship()
    user: Mapped[User | None] = relationship()

    @property
    def name(self) -> str:
        """Return the display name."""
        if self.user is not None:
            return self.user.full_name
        if self.unit is not None:
            return f"{self.unit.name} — {self.agency.short_name}"
        return self.agency.name


class TaskUpdate(Base):
    """One step of a task's history: progress report, submission, decision…"""

    __tablename__ = "task_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    percent: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    on_behalf_of_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=now)

    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    on_behalf_of: Mapped[User | None] = relationship(foreign_keys=[on_behalf_of_id])
    attachments: Mapped[list[TaskAttachment]] = relationship(
        order_by="TaskAttachment.id", viewonly=True
    )


class TaskAttachment(Base):
    """A file attached to a task or to one of its progress reports (bytes in the blob store)."""

    __tablename__ = "task_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    update_id: Mapped[int | None] = mapped_column(ForeignKey("task_updates.id"))
    sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=now)


class TaskExtension(Base):
    """A request by the lead to move the deadline (gia hạn), and the assigner's decision."""

    __tablename__ = "task_extensions"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(default=now)
    old_date: Mapped[date] = mapped_column(Date)
    """The deadline in force when the request was made."""
    new_date: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    decision: Mapped[str] = mapped_column(String(10), default="pending")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str] = mapped_column(Text, default="")

    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])


class TaskReminder(Base):
    """One planned reminder; sent exactly once (``sent_at``) or cancelled (``cancelled_at``)."""

    __tablename__ = "task_reminders"
    __table_args__ = (
        UniqueConstraint("task_id", "dedup_key"),
        Index(
            "ix_task_reminders_due",
            "due_at",
            postgresql_where=text("sent_at IS NULL AND cancelled_at IS NULL"),
            sqlite_where=text("sent_at IS NULL AND cancelled_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    recipient_role: Mapped[str] = mapped_column(String(10))
    deadline: Mapped[date] = mapped_column(Date)
    """The deadline the reminder was planned for; a moved deadline cancels it."""
    due_at: Mapped[datetime]
    dedup_key: Mapped[str] = mapped_column(String(120))
    """kind|role|deadline|day (``reminders.rules.plan_reminders``): one row per task and key."""
    sent_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=now)


class CalendarEntry(Base):
    """One row of the yearly calendar table admins edit (Tết days, làm bù, nghỉ bù)."""

    __tablename__ = "calendar_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    """holiday | working_day | day_off (``calendar.OverrideKind``)."""
    name: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=now)


class ReportSnapshot(Base):
    """A lateness report frozen at the end of a month, so corrections do not rewrite the past."""

    __tablename__ = "report_snapshots"
    __table_args__ = (UniqueConstraint("year", "month", "group_by"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    month: Mapped[int]
    """The report covers the tasks given from 1 January to the month's end (lũy kế từ đầu
    năm), with their status at 24:00 on the month's last day."""
    group_by: Mapped[str] = mapped_column(String(10))
    as_of: Mapped[datetime]
    frozen_at: Mapped[datetime] = mapped_column(default=now)
    rows: Mapped[dict[str, Any]]
    """``{"rows": [{"key", "name", "agency", "counts": {bucket: n}}]}``: counts, not rates, so
    the rate formula can be read from the report settings when shown."""
