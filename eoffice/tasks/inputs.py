"""What a caller gives to create a task, and its parsing from a JSON body or an HTML form.

The API and the pages share this parser, so both report the same per-field messages.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from eoffice.errors import InvalidInput
from eoffice.tasks.models import Priority, SourceKind

MAX_TITLE = 500
MAX_CONTENT = 20_000


@dataclass(frozen=True)
class TargetRef:
    """A lead or co-operator as the caller names it: exactly one of the three."""

    agency_code: str | None = None
    """An agency's electronic ID (mã định danh, QCVN 102)."""
    unit: int | str | None = None
    """A unit id, or a unit's short name in the caller's agency."""
    user: int | str | None = None
    """A user id or user name."""

    @property
    def is_empty(self) -> bool:
        return self.agency_code is None and self.unit is None and self.user is None


@dataclass(frozen=True)
class TaskInput:
    """A new task (or child task when ``parent_id`` is set)."""

    title: str
    content: str = ""
    lead: TargetRef = field(default_factory=TargetRef)
    cooperators: tuple[TargetRef, ...] = ()
    due_date: date | None = None
    due_in_working_days: int | None = None
    """Instead of ``due_date``: this many working days from ``due_from`` (default today)."""
    due_from: date | None = None
    priority: str = Priority.NORMAL.value
    source_kind: str = SourceKind.NONE.value
    source_document_id: int | None = None
    source_reference: str = ""
    parent_id: int | None = None


def parse_date(value: Any, name: str, errors: dict[str, str]) -> date | None:
    """Parse YYYY-MM-DD (or a date); record an error for ``name`` otherwise."""
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        errors[name] = "Ngày phải có dạng YYYY-MM-DD"
        return None


def parse_int(value: Any, name: str, errors: dict[str, str]) -> int | None:
    """Parse an integer; record an error for ``name`` otherwise."""
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        errors[name] = "Phải là số nguyên"
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        errors[name] = "Phải là số nguyên"
        return None


def parse_target(value: Any) -> TargetRef | None:
    """Parse ``agency:<code>``, ``unit:<id or short name>`` or ``user:<id or user name>``."""
    kind, _, ref = str(value or "").partition(":")
    ref = ref.strip()
    if not ref:
        return None
    if kind == "agency":
        return TargetRef(agency_code=ref)
    if kind in ("unit", "user"):
        key: int | str = int(ref) if ref.isdigit() else ref
        return TargetRef(unit=key) if kind == "unit" else TargetRef(user=key)
    return None


def _lead(data: Mapping[str, Any], errors: dict[str, str]) -> TargetRef:
    if data.get("lead"):
        parsed = parse_target(data["lead"])
        if parsed is None:
            errors["lead"] = "Chủ trì không hợp lệ"
        return parsed or TargetRef()
    given = {k: data.get(k) for k in ("lead_agency", "lead_unit", "lead_user")}
    given = {k: v for k, v in given.items() if v not in (None, "")}
    if len(given) != 1:
        errors["lead"] = "Chọn đúng một chủ trì: cơ quan, đơn vị hoặc cá nhân"
        return TargetRef()
    ((key, value),) = given.items()
    if key == "lead_agency":
        return TargetRef(agency_code=str(value).strip())
    ref = value if isinstance(value, int) else str(value).strip()
    ref = int(ref) if isinstance(ref, str) and ref.isdigit() else ref
    return TargetRef(unit=ref) if key == "lead_unit" else TargetRef(user=ref)


def _cooperators(value: Any, errors: dict[str, str]) -> tuple[TargetRef, ...]:
    if value in (None, ""):
        return ()
    items: Sequence[Any] = value if isinstance(value, list | tuple) else [value]
    refs = []
    for item in items:
        ref = _cooperator(item)
        if ref is None:
            errors["cooperators"] = "Đơn vị phối hợp không hợp lệ"
        else:
            refs.append(ref)
    return tuple(refs)


def _cooperator(item: Any) -> TargetRef | None:
    if isinstance(item, Mapping):
        given = [(k, item.get(k)) for k in ("agency", "unit", "user") if item.get(k)]
        if len(given) != 1:
            return None
        return parse_target(f"{given[0][0]}:{given[0][1]}")
    return parse_target(item)


def parse_task_input(data: Mapping[str, Any]) -> TaskInput:
    """Turn a JSON object or form fields into a :class:`TaskInput`.

    :raises InvalidInput: with a message per malformed field.
    """
    errors: dict[str, str] = {}
    title = str(data.get("title") or "").strip()
    if not title:
        errors["title"] = "Nhập tên nhiệm vụ"
    elif len(title) > MAX_TITLE:
        errors["title"] = f"Tối đa {MAX_TITLE} ký tự"
    content = str(data.get("content") or "").strip()
    if len(content) > MAX_CONTENT:
        errors["content"] = f"Tối đa {MAX_CONTENT} ký tự"
    priority = str(data.get("priority") or Priority.NORMAL.value)
    if priority not in {p.value for p in Priority}:
        errors["priority"] = "Độ ưu tiên không hợp lệ"
    source_kind = str(data.get("source_kind") or SourceKind.NONE.value)
    if source_kind not in {s.value for s in SourceKind}:
        errors["source_kind"] = "Nguồn giao không hợp lệ"
    result = TaskInput(
        title=title,
        content=content,
        lead=_lead(data, errors),
        cooperators=_cooperators(data.get("cooperators"), errors),
        due_date=parse_date(data.get("due_date"), "due_date", errors),
        due_in_working_days=parse_int(data.get("due_in_working_days"), "due_date", errors),
        due_from=parse_date(data.get("due_from"), "due_date", errors),
        priority=priority,
        source_kind=source_kind,
        source_document_id=parse_int(data.get("source_document_id"), "source_document_id", errors),
        source_reference=str(data.get("source_reference") or "").strip()[:300],
        parent_id=parse_int(data.get("parent_id"), "parent_id", errors),
    )
    if result.due_date is not None and result.due_in_working_days is not None:
        errors["due_date"] = "Chỉ nhập hạn theo ngày hoặc theo số ngày làm việc, không cả hai"
    if errors:
        raise InvalidInput("Thông tin nhiệm vụ chưa hợp lệ", fields=errors)
    return result
