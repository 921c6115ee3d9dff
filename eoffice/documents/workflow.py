"""The document state machines (pure): statuses, their labels, and which action moves where.

Incoming (NĐ 30 Điều 20–24): chờ tiếp nhận → vào sổ → trình → phân công → xử lý → hoàn thành.
Outgoing (Điều 10–19): dự thảo → trưởng đơn vị kiểm tra → lãnh đạo duyệt → ký → cấp số →
đóng dấu (ký số cơ quan) → phát hành. No step can be skipped.
"""

from __future__ import annotations

import enum

from eoffice.errors import InvalidTransition


class Status(enum.StrEnum):
    # incoming
    PENDING_ACCEPT = "pending_accept"
    REGISTERED = "registered"
    PRESENTED = "presented"
    ASSIGNED = "assigned"
    COMPLETED = "completed"
    REJECTED = "rejected"
    RECALLED = "recalled"
    # outgoing
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    AWAITING_APPROVAL = "awaiting_approval"
    APPROVED = "approved"
    SIGNED = "signed"
    NUMBERED = "numbered"
    SEALED = "sealed"
    ISSUED = "issued"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS = {
    Status.PENDING_ACCEPT: "Chờ tiếp nhận",
    Status.REGISTERED: "Đã vào sổ, chờ trình",
    Status.PRESENTED: "Chờ cho ý kiến",
    Status.ASSIGNED: "Đang xử lý",
    Status.COMPLETED: "Hoàn thành",
    Status.REJECTED: "Đã trả lại nơi gửi",
    Status.RECALLED: "Đã bị thu hồi",
    Status.DRAFT: "Dự thảo",
    Status.IN_REVIEW: "Chờ trưởng đơn vị kiểm tra",
    Status.AWAITING_APPROVAL: "Chờ lãnh đạo duyệt",
    Status.APPROVED: "Chờ ký",
    Status.SIGNED: "Đã ký, chờ cấp số",
    Status.NUMBERED: "Đã cấp số, chờ ký số cơ quan",
    Status.SEALED: "Chờ phát hành",
    Status.ISSUED: "Đã phát hành",
    Status.WITHDRAWN: "Đã thu hồi",
}


class Action(enum.StrEnum):
    ACCEPT = "accept"
    REJECT = "reject"
    PRESENT = "present"
    ASSIGN = "assign"
    RETURN_TO_CLERK = "return_to_clerk"
    COMPLETE = "complete"
    RECALL = "recall"
    SUBMIT = "submit"
    REVIEW = "review"
    APPROVE = "approve"
    RETURN_DRAFT = "return_draft"
    SIGN = "sign"
    NUMBER = "number"
    SEAL = "seal"
    ISSUE = "issue"
    WITHDRAW = "withdraw"
    UPDATE = "update"


TRANSITIONS: dict[tuple[Status, Action], Status] = {
    (Status.PENDING_ACCEPT, Action.ACCEPT): Status.REGISTERED,
    (Status.PENDING_ACCEPT, Action.REJECT): Status.REJECTED,
    # The sender's recall binds the receiver in every state (NĐ 30 Phụ lục VI III.8): a copy
    # returned to the sender (rejected) or already handled (completed) is recalled as well.
    (Status.PENDING_ACCEPT, Action.RECALL): Status.RECALLED,
    (Status.REJECTED, Action.RECALL): Status.RECALLED,
    (Status.REGISTERED, Action.RECALL): Status.RECALLED,
    (Status.PRESENTED, Action.RECALL): Status.RECALLED,
    (Status.ASSIGNED, Action.RECALL): Status.RECALLED,
    (Status.COMPLETED, Action.RECALL): Status.RECALLED,
    (Status.REGISTERED, Action.PRESENT): Status.PRESENTED,
    (Status.REGISTERED, Action.ASSIGN): Status.ASSIGNED,
    (Status.PRESENTED, Action.ASSIGN): Status.ASSIGNED,
    (Status.PRESENTED, Action.RETURN_TO_CLERK): Status.REGISTERED,
    (Status.ASSIGNED, Action.ASSIGN): Status.ASSIGNED,  # re-assignment by the leader
    (Status.ASSIGNED, Action.RETURN_TO_CLERK): Status.PRESENTED,  # the lead hands it back
    (Status.ASSIGNED, Action.COMPLETE): Status.COMPLETED,
    (Status.DRAFT, Action.SUBMIT): Status.IN_REVIEW,
    (Status.IN_REVIEW, Action.REVIEW): Status.AWAITING_APPROVAL,
    (Status.IN_REVIEW, Action.RETURN_DRAFT): Status.DRAFT,
    (Status.AWAITING_APPROVAL, Action.APPROVE): Status.APPROVED,
    (Status.AWAITING_APPROVAL, Action.RETURN_DRAFT): Status.DRAFT,
    (Status.APPROVED, Action.RETURN_DRAFT): Status.DRAFT,
    (Status.APPROVED, Action.SIGN): Status.SIGNED,
    (Status.SIGNED, Action.NUMBER): Status.NUMBERED,
    (Status.NUMBERED, Action.SEAL): Status.SEALED,
    (Status.SEALED, Action.ISSUE): Status.ISSUED,
    (Status.ISSUED, Action.WITHDRAW): Status.WITHDRAWN,
    (Status.ISSUED, Action.UPDATE): Status.ISSUED,  # corrected metadata, sent to the recipients
}


def next_status(current: str, action: Action) -> Status:
    """Return where ``action`` takes a document in status ``current``.

    :raises InvalidTransition: when the action is not allowed now (a step would be skipped).
    """
    target = TRANSITIONS.get((Status(current), action))
    if target is None:
        raise InvalidTransition(
            "Không thể thực hiện «{action}» khi văn bản đang ở trạng thái «{status}»",
            params={"action": ACTION_LABELS[action], "status": Status(current).label},
        )
    return target


def allowed_actions(current: str) -> list[Action]:
    """Return the actions the state machine allows from ``current`` (roles are checked elsewhere)."""
    status = Status(current)
    return [action for (state, action) in TRANSITIONS if state is status]


ACTION_LABELS = {
    Action.ACCEPT: "Tiếp nhận",
    Action.REJECT: "Trả lại nơi gửi",
    Action.PRESENT: "Trình lãnh đạo",
    Action.ASSIGN: "Cho ý kiến, phân công",
    Action.RETURN_TO_CLERK: "Trả lại",
    Action.COMPLETE: "Hoàn thành xử lý",
    Action.RECALL: "Thu hồi",
    Action.SUBMIT: "Trình kiểm tra",
    Action.REVIEW: "Trình lãnh đạo duyệt",
    Action.APPROVE: "Duyệt",
    Action.RETURN_DRAFT: "Trả lại dự thảo",
    Action.SIGN: "Ký số",
    Action.NUMBER: "Cấp số, ngày",
    Action.SEAL: "Ký số cơ quan",
    Action.ISSUE: "Phát hành",
    Action.WITHDRAW: "Thu hồi văn bản đã phát hành",
    Action.UPDATE: "Cập nhật thông tin văn bản đã phát hành",
}
