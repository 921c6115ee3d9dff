"""The document's timeline for people: who did what, when, for whom, with what words."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from eoffice import clock
from eoffice.audit.models import AuditEvent
from eoffice.org.models import User

EVENT_LABELS = {
    "document.register_incoming": "Vào sổ văn bản đến",
    "document.arrive": "Văn bản đến qua hệ thống",
    "document.accept": "Tiếp nhận, vào sổ",
    "document.reject": "Trả lại nơi gửi",
    "document.present": "Trình lãnh đạo",
    "document.assign": "Cho ý kiến, phân công",
    "document.reassign": "Phân công trong đơn vị",
    "document.complete": "Hoàn thành xử lý",
    "document.return": "Trả lại",
    "document.draft": "Tạo dự thảo",
    "document.replace_draft": "Thay tệp dự thảo",
    "document.submit": "Trình kiểm tra",
    "document.review": "Kiểm tra, trình lãnh đạo duyệt",
    "document.approve": "Duyệt dự thảo",
    "document.return_draft": "Trả lại dự thảo",
    "document.sign": "Ký số",
    "document.number": "Cấp số, ngày",
    "document.seal": "Ký số cơ quan (đóng dấu)",
    "document.issue": "Phát hành",
    "document.withdraw": "Thu hồi văn bản đã phát hành",
    "document.recalled": "Nơi gửi thu hồi văn bản",
    "document.update": "Cập nhật thông tin, gửi nơi nhận",
    "document.updated_by_sender": "Nơi gửi cập nhật thông tin văn bản",
    "document.replaced": "Được thay thế bởi văn bản khác",
    "document.remote_status": "Nơi nhận báo trạng thái",
    "document.external_prepare": "Chuẩn bị ký bằng USB token",
    "document.signature_recheck": "Kiểm tra lại chữ ký số (có tra cứu thu hồi)",
    "document.secret_grant": "Cấp quyền xem văn bản mật",
    "document.secret_revoke": "Thu hồi quyền xem văn bản mật",
}
BADGE_LABELS = {"green": "Hợp lệ", "amber": "Cần kiểm tra", "red": "Không hợp lệ"}

# Detail keys worth showing, in display order, with their labels.
DETAIL_LABELS = (
    ("instruction", "Ý kiến chỉ đạo"),
    ("lead", "Chủ trì"),
    ("cooperate", "Phối hợp"),
    ("inform", "Nhận để biết"),
    ("handler", "Người xử lý"),
    ("deadline", "Hạn xử lý"),
    ("leader", "Trình"),
    ("comment", "Ý kiến"),
    ("status", "Trạng thái"),
    ("user", "Người được xem"),
    ("why", "Cấp theo quy trình"),
    ("reason", "Lý do"),
    ("changed", "Thông tin thay đổi"),
    ("result", "Kết quả"),
    ("note", "Ghi chú"),
    ("arrival_number", "Số đến"),
    ("code", "Số, ký hiệu"),
    ("issued_date", "Ngày văn bản"),
    ("from", "Nơi gửi"),
    ("recipients", "Nơi nhận"),
    ("signer", "Người ký"),
    ("step", "Bước"),
    ("badge", "Chữ ký số"),
)
STEP_LABELS = {"sign": "Ký số", "seal": "Ký số cơ quan (đóng dấu)"}


@dataclass(frozen=True)
class TimelineEntry:
    """One line of the timeline."""

    at: datetime
    action: str
    """Vietnamese label of what was done."""
    actor: str
    """Who did it ("Hệ thống" for the system)."""
    on_behalf_of: str = ""
    """Whom they acted for under a delegation, or empty."""
    details: list[tuple[str, str]] = field(default_factory=list)
    """(label, text) pairs: instruction, comment, reason, deadline …"""


def build_timeline(
    events: Iterable[AuditEvent], user_by_id: Callable[[int], User | None]
) -> list[TimelineEntry]:
    """Return the entries of ``events`` (oldest first), naming people through ``user_by_id``."""
    return [
        TimelineEntry(
            at=event.at,
            action=EVENT_LABELS.get(event.action, event.action),
            actor=_name(user_by_id, event.actor_id) or "Hệ thống",
            on_behalf_of=_name(user_by_id, event.on_behalf_of_id),
            details=_details(event.details or {}),
        )
        for event in events
    ]


def _name(user_by_id: Callable[[int], User | None], user_id: int | None) -> str:
    if user_id is None:
        return ""
    user = user_by_id(user_id)
    return user.full_name if user is not None else f"#{user_id}"


def _details(details: dict[str, Any]) -> list[tuple[str, str]]:
    rows = []
    for key, label in DETAIL_LABELS:
        text = _text(key, details.get(key))
        if text:
            rows.append((label, text))
    return rows


def _text(key: str, value: Any) -> str:
    if value is None or value == "" or value == []:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if key in ("deadline", "issued_date") and isinstance(value, str):
        try:
            return clock.format_date(date.fromisoformat(value))
        except ValueError:
            return value
    if key == "badge" and isinstance(value, str):
        return BADGE_LABELS.get(value, value)
    if key == "step" and isinstance(value, str):
        return STEP_LABELS.get(value, value)
    if key == "arrival_number" and isinstance(value, int):
        return f"{value:02d}"
    return str(value)
