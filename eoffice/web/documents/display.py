"""How documents read on a page: labels, the handler, overdue marks (template filters)."""

from __future__ import annotations

from flask import Blueprint

from eoffice import clock
from eoffice.documents.incoming import lead_assignment
from eoffice.documents.models import (
    AssignmentRole,
    ChangeStatus,
    Direction,
    Document,
    RecipientStatus,
)
from eoffice.documents.types import Secrecy, Urgency
from eoffice.documents.workflow import Status

RECIPIENT_STATUS_LABELS = {
    RecipientStatus.PENDING: "Chờ gửi",
    RecipientStatus.SENT: "Đã gửi",
    RecipientStatus.ARRIVED: "Đã đến, chờ tiếp nhận",
    RecipientStatus.ACCEPTED: "Đã tiếp nhận",
    RecipientStatus.REJECTED: "Đã trả lại",
    RecipientStatus.ASSIGNED: "Đã phân công",
    RecipientStatus.PROCESSING: "Đang xử lý",
    RecipientStatus.COMPLETED: "Đã hoàn thành",
    RecipientStatus.RECALL_REQUESTED: "Đã yêu cầu thu hồi, chờ trả lời",
    RecipientStatus.RECALLED: "Đã thu hồi",
    RecipientStatus.RECALL_REFUSED: "Từ chối thu hồi",
}
CHANGE_STATUS_LABELS = {
    ChangeStatus.PENDING: "Đã gửi cập nhật, chờ trả lời",
    ChangeStatus.APPLIED: "Đã cập nhật",
    ChangeStatus.REFUSED: "Từ chối cập nhật",
}
CHANNEL_LABELS = {"internal": "Nội bộ hệ thống", "vxp": "Trục liên thông quốc gia"}
ROLE_LABELS = {
    AssignmentRole.LEAD: "Chủ trì",
    AssignmentRole.COOPERATE: "Phối hợp",
    AssignmentRole.INFORM: "Nhận để biết",
}
FILE_KIND_LABELS = {
    "original": "Bản tải lên",
    "signed": "Bản đã ký",
    "issued": "Bản phát hành",
    "received": "Bản nhận được",
    "attachment": "Tệp đính kèm",
}
# Incoming documents still being handled: a past deadline makes them overdue.
OPEN_INCOMING = frozenset(
    {Status.PENDING_ACCEPT, Status.REGISTERED, Status.PRESENTED, Status.ASSIGNED}
)


def status_label(status: str) -> str:
    """Return the Vietnamese label of a document status."""
    try:
        return Status(status).label
    except ValueError:
        return status


def urgency(value: str) -> Urgency | None:
    """Return the urgency when it deserves a tag (anything but "thường")."""
    try:
        level = Urgency(value)
    except ValueError:
        return None
    return level if level.is_urgent else None


def secrecy(value: str) -> Secrecy | None:
    """Return the secrecy level when the document is secret."""
    try:
        level = Secrecy(value)
    except ValueError:
        return None
    return level if level.is_secret else None


def is_overdue(document: Document) -> bool:
    """Return whether an incoming document still being handled is past its deadline."""
    return (
        document.direction == Direction.INCOMING.value
        and document.due_date is not None
        and document.due_date < clock.today()
        and document.status in OPEN_INCOMING
    )


def handler_name(document: Document) -> str:
    """Return who handles the document now: the lead person or unit, or the drafter."""
    if document.direction == Direction.OUTGOING.value:
        return document.drafter.full_name if document.drafter else ""
    lead = lead_assignment(document)
    if lead is None:
        return document.presented_to.full_name if document.presented_to else ""
    if lead.user is not None:
        return lead.user.full_name
    return lead.unit.name if lead.unit else ""


def number_label(document: Document) -> str:
    """Return the register number (số đến / số đi) zero-padded as in the paper register."""
    return f"{document.number:02d}" if document.number else ""


def file_size(size: int) -> str:
    """Return a size for people: bytes, KB or MB with a Vietnamese decimal comma."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB".replace(".", ",")


def recipient_status_label(status: str) -> str:
    """Return the label of a recipient's status, or of its latest update's outcome."""
    try:
        return RECIPIENT_STATUS_LABELS[RecipientStatus(status)]
    except ValueError:
        pass
    try:
        return CHANGE_STATUS_LABELS[ChangeStatus(status)]
    except ValueError:
        return status


def register(bp: Blueprint) -> None:
    """Make the helpers available to every template as filters."""
    for function in (
        status_label,
        urgency,
        secrecy,
        is_overdue,
        handler_name,
        number_label,
        recipient_status_label,
        file_size,
    ):
        bp.add_app_template_filter(function)


LABELS = {
    "channel_labels": CHANNEL_LABELS,
    "assignment_role_labels": ROLE_LABELS,
    "file_kind_labels": FILE_KIND_LABELS,
}
"""Label tables the document page reads (given to templates by the blueprint's context)."""
