"""The registers of Phụ lục IV (sổ đăng ký văn bản đến / đi): the rows of a period and the cover.

A register is one number series of one agency in one year, printed for a date range: incoming
documents by their arrival date, outgoing ones by their date (the day they got their number).
Rows are what the actor may see, ordered by number; cancelled documents stay in the register
(numbers are never reused) and say so in "Ghi chú". A secret document the actor holds no grant
for keeps its row (its number is taken) with its number, dates and marks only: subject, issuer,
people and description read "(Văn bản mật)".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from eoffice import clock
from eoffice.documents.access import SECRET_PLACEHOLDER, listed_filter, ungranted_secret_ids
from eoffice.documents.fields import (
    INCOMING_REGISTER,
    OUTGOING_REGISTER,
    Register,
    parse_date_value,
)
from eoffice.documents.models import (
    Assignment,
    AssignmentRole,
    Document,
    NumberSeries,
)
from eoffice.documents.series import DEFAULT_SERIES
from eoffice.documents.types import Secrecy, Urgency
from eoffice.documents.workflow import Status
from eoffice.errors import InvalidInput, PermissionDenied
from eoffice.org.actor import Actor

MAX_ROWS = 20_000
"""Most rows printed at once: a busy province committee registers about this many in a year."""
MAX_VOLUME = 999

CellValue = str | int | date | None
"""What a register cell holds: text, a number, a date, or nothing (left blank for a signature)."""

_SERIES_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$", re.ASCII)
_ROLE_PREFIX = {
    AssignmentRole.LEAD.value: "Chủ trì",
    AssignmentRole.COOPERATE.value: "Phối hợp",
    AssignmentRole.INFORM.value: "Để biết",
}


class RegisterKind(StrEnum):
    """Which register: văn bản đến or văn bản đi."""

    INCOMING = "incoming"
    OUTGOING = "outgoing"

    @property
    def register(self) -> Register:
        """Return the Phụ lục IV register with its columns."""
        return INCOMING_REGISTER if self is RegisterKind.INCOMING else OUTGOING_REGISTER

    @property
    def default_series(self) -> str:
        """Return the code of the agency's main series for this register."""
        return "den" if self is RegisterKind.INCOMING else "di"

    @property
    def label(self) -> str:
        """Return the Vietnamese name of the register."""
        return (
            "Sổ đăng ký văn bản đến" if self is RegisterKind.INCOMING else "Sổ đăng ký văn bản đi"
        )


@dataclass(frozen=True, slots=True)
class RegisterQuery:
    """What to print: a register, one of its series, a period within one year, the volume."""

    kind: RegisterKind
    date_from: date
    date_to: date
    series_code: str
    """Series code (``den``, ``den-mat``, ``di``, ``di-qppl-QD`` …)."""
    volume: int = 1
    """Quyển số printed on the cover."""


@dataclass(frozen=True, slots=True)
class RegisterCover:
    """The cover and first page of a register (Phụ lục IV, "Bìa và trang đầu")."""

    parent_agency_name: str
    """Tên cơ quan chủ quản trực tiếp (empty for an agency without a parent)."""
    agency_name: str
    """Tên cơ quan/đơn vị."""
    title: str
    """E.g. "SỔ ĐĂNG KÝ VĂN BẢN ĐẾN"."""
    series_name: str
    """The number series printed, e.g. "Sổ văn bản đến mật"."""
    year: int
    date_from: date
    date_to: date
    first_number: int | None
    """Từ số: the lowest number in the period (None when the period is empty)."""
    last_number: int | None
    """Đến số: the highest number in the period."""
    volume: int
    """Quyển số."""


@dataclass(frozen=True, slots=True)
class RegisterRow:
    """One registered document as the register prints it."""

    document_id: int
    number: int
    values: Mapping[str, CellValue]
    """Cell per column key of :attr:`RegisterKind.register` (``fields.RegisterColumn.key``)."""
    cancelled: bool
    """The document was cancelled; it stays in the register, marked in "Ghi chú"."""


@dataclass(frozen=True, slots=True)
class RegisterReport:
    """A register ready to render: its columns, cover facts and rows."""

    kind: RegisterKind
    register: Register
    cover: RegisterCover
    rows: tuple[RegisterRow, ...]
    printed_at: datetime
    """When it was produced (printed on every page: "in từ Hệ thống")."""


def parse_query(
    kind: str,
    date_from: object,
    date_to: object,
    series_code: str | None = None,
    volume: object = None,
) -> RegisterQuery:
    """Return the register query for raw form or URL values (dates dd/mm/yyyy or yyyy-mm-dd).

    :raises InvalidInput: unknown register, missing or invalid dates, a period ending before it
        starts or spanning two years, a malformed series code or volume (one message per field).
    """
    errors: dict[str, str] = {}
    register_kind = _parse_kind(kind, errors)
    start = _parse_day(date_from, "date_from", "Từ ngày", errors)
    end = _parse_day(date_to, "date_to", "Đến ngày", errors)
    if start and end and end < start:
        errors["date_to"] = "Đến ngày phải bằng hoặc sau từ ngày"
    elif start and end and start.year != end.year:
        errors["date_to"] = "Sổ đăng ký ghi theo từng năm: từ ngày và đến ngày phải cùng một năm"
    code = (series_code or "").strip() or (register_kind.default_series if register_kind else "")
    if register_kind and not _SERIES_CODE.match(code):
        errors["series"] = "Mã sổ không hợp lệ"
    number = _parse_volume(volume, errors)
    if errors:
        raise InvalidInput(_summary(errors), code="invalid_register_query", fields=errors)
    assert register_kind is not None
    assert start is not None
    assert end is not None
    return RegisterQuery(register_kind, start, end, code, number)


def _parse_kind(kind: str, errors: dict[str, str]) -> RegisterKind | None:
    try:
        return RegisterKind(kind)
    except ValueError:
        errors["kind"] = "Loại sổ không tồn tại: chọn sổ đăng ký văn bản đến hoặc văn bản đi"
        return None


def _parse_day(value: object, key: str, label: str, errors: dict[str, str]) -> date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        errors[key] = f"Chưa nhập {label.lower()}"
        return None
    day = parse_date_value(value)
    if day is None:
        errors[key] = f"{label} không phải ngày hợp lệ (dd/mm/yyyy)"
    return day


def _parse_volume(value: object, errors: dict[str, str]) -> int:
    if value is None or value == "":
        return 1
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_VOLUME:
        errors["volume"] = f"Quyển số là số nguyên từ 1 đến {MAX_VOLUME}"
        return 1
    return int(text)


def _summary(errors: Mapping[str, str]) -> str:
    if "kind" in errors:
        return errors["kind"]
    if "date_to" in errors and "date_from" not in errors:
        return "Khoảng thời gian không hợp lệ: " + errors["date_to"].lower()
    return "Thông tin in sổ chưa hợp lệ"


def list_register_series(session: Session, actor: Actor) -> list[tuple[str, str, str]]:
    """Return (kind, code, name) of every series the actor's agency has had, defaults first."""
    agency_id = actor.agency_id
    found: dict[str, tuple[str, str, str]] = {
        code: (kind.value, code, name) for code, (name, kind, _secret) in DEFAULT_SERIES.items()
    }
    if agency_id is not None:
        stmt = (
            select(NumberSeries.kind, NumberSeries.code, func.max(NumberSeries.name))
            .where(NumberSeries.agency_id == agency_id)
            .group_by(NumberSeries.kind, NumberSeries.code)
            .order_by(NumberSeries.kind, NumberSeries.code)
        )
        for kind, code, name in session.execute(stmt):
            found.setdefault(code, (kind, code, name))
    return sorted(found.values(), key=lambda s: (s[0], s[1]))


def build_register(session: Session, actor: Actor, query: RegisterQuery) -> RegisterReport:
    """Return the register for the actor's agency: cover facts and the rows the actor may see.

    :raises PermissionDenied: the actor belongs to no agency. :raises InvalidInput: the series
        belongs to the other register or does not exist, or the period holds more than
        :data:`MAX_ROWS` documents.
    """
    principal = actor.principal
    if principal is None:
        raise PermissionDenied("Bạn không có quyền thực hiện thao tác này")
    series, series_name = _find_series(session, principal.agency_id, query)
    documents = _load_documents(session, actor, series, query) if series else []
    masked = ungranted_secret_ids(session, actor, documents)
    rows = tuple(_row(query.kind, d, masked=d.id in masked) for d in documents)
    numbers = [r.number for r in rows]
    agency = principal.agency
    cover = RegisterCover(
        parent_agency_name=_nfc(agency.parent.name) if agency.parent else "",
        agency_name=_nfc(agency.name),
        title=query.kind.register.title,
        series_name=_nfc(series_name),
        year=query.date_from.year,
        date_from=query.date_from,
        date_to=query.date_to,
        first_number=min(numbers, default=None),
        last_number=max(numbers, default=None),
        volume=query.volume,
    )
    return RegisterReport(query.kind, query.kind.register, cover, rows, clock.now())


def _find_series(
    session: Session, agency_id: int, query: RegisterQuery
) -> tuple[NumberSeries | None, str]:
    """Return the series of that year (None before its first number) and its name.

    :raises InvalidInput: the code is not a series of this register in the agency.
    """
    rows = session.execute(
        select(NumberSeries).where(
            NumberSeries.agency_id == agency_id, NumberSeries.code == query.series_code
        )
    ).scalars()
    by_year = {s.year: s for s in rows}
    default = DEFAULT_SERIES.get(query.series_code)
    kinds = {s.kind for s in by_year.values()} | ({default[1].value} if default else set())
    if query.kind.value not in kinds:
        message = (
            "Sổ «{code}» không thuộc {register}"
            if kinds
            else "Cơ quan chưa có sổ «{code}» trong {register}"
        )
        raise InvalidInput(
            message,
            code="unknown_series",
            fields={"series": "Chọn sổ của " + query.kind.label.lower()},
            params={"code": query.series_code, "register": query.kind.label.lower()},
        )
    series = by_year.get(query.date_from.year)
    if series is not None:
        return series, series.name
    any_year = next(iter(by_year.values()), None)
    return None, any_year.name if any_year else default[0] if default else query.series_code


def _load_documents(
    session: Session, actor: Actor, series: NumberSeries, query: RegisterQuery
) -> list[Document]:
    day = Document.arrival_date if query.kind is RegisterKind.INCOMING else Document.issued_date
    where = (
        Document.series_id == series.id,
        Document.number.is_not(None),
        day.between(query.date_from, query.date_to),
        listed_filter(actor),
    )
    count = session.execute(select(func.count()).select_from(Document).where(*where)).scalar_one()
    if count > MAX_ROWS:
        raise InvalidInput(
            "Khoảng thời gian có {count} văn bản, quá {max} văn bản của một lần in; "
            "hãy chọn khoảng ngắn hơn",
            code="register_too_large",
            fields={"date_to": "Chọn khoảng thời gian ngắn hơn"},
            params={"count": count, "max": MAX_ROWS},
        )
    stmt = (
        select(Document)
        .where(*where)
        .order_by(Document.number)
        .options(
            selectinload(Document.assignments).options(
                joinedload(Assignment.unit), joinedload(Assignment.user)
            ),
            selectinload(Document.recipients),
            joinedload(Document.drafting_unit),
            joinedload(Document.drafter),
        )
    )
    return list(session.execute(stmt).scalars().unique())


# The cells a row of an ungranted secret document shows as the placeholder.
_MASKED = ("type_and_subject", "author", "assignees", "signer", "recipients", "archive_copy_holder")


def _row(kind: RegisterKind, document: Document, *, masked: bool = False) -> RegisterRow:
    assert document.number is not None
    common: dict[str, CellValue] = {
        "code": _nfc(document.code),
        "issued_date": document.issued_date,
        "type_and_subject": _type_and_subject(document),
        "received_signature": None,
        "note": _note(document, masked=masked),
    }
    if kind is RegisterKind.INCOMING:
        specific: dict[str, CellValue] = {
            "arrival_date": document.arrival_date,
            "arrival_number": document.number,
            "author": _nfc(document.organ_name),
            "assignees": _assignees(document),
            "transferred_on": _transferred_on(document),
        }
    else:
        specific = {
            "signer": _signer(document),
            "recipients": _recipients(document),
            "archive_copy_holder": _archive_copy_holder(document),
            "copies": document.issued_amount,
            "transferred_on": _local_date(document.issued_at),
        }
    values = {**common, **specific}
    if masked:
        values |= {key: SECRET_PLACEHOLDER for key in _MASKED if key in values}
        values["code"] = _nfc(document.code_number)  # the number; the notation names the issuer
    ordered = {c.key: values[c.key] for c in kind.register.columns}
    cancelled = document.cancelled_at is not None
    return RegisterRow(document.id, document.number, ordered, cancelled)


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _type_and_subject(document: Document) -> str:
    """E.g. "Công văn: V/v …"; a subject that already starts with its type stays as it is."""
    type_name = document.type_name.split(" (")[0]  # "Quyết định (cá biệt)" → "Quyết định"
    subject = document.subject.strip()
    if not type_name or subject.casefold().startswith(type_name.casefold()):
        return _nfc(subject)
    return _nfc(f"{type_name}: {subject}")


def _note(document: Document, *, masked: bool = False) -> str:
    parts: list[str] = []
    if document.cancelled_at is not None:
        recalled = document.status in (Status.WITHDRAWN.value, Status.RECALLED.value)
        word = "ĐÃ THU HỒI" if recalled else "ĐÃ HỦY"
        cancelled = f"{word} ngày {clock.format_date(document.cancelled_at)}"
        reason = document.cancel_reason.strip()
        parts.append(f"{cancelled} ({reason})" if reason else cancelled)
    elif document.status == Status.WITHDRAWN.value:
        parts.append(Status.WITHDRAWN.label)
    if document.urgency != Urgency.THUONG.value:
        parts.append(Urgency(document.urgency).label)
    if document.secrecy != Secrecy.THUONG.value:
        parts.append(Secrecy(document.secrecy).label)
    if document.description.strip() and not masked:
        parts.append(document.description.strip())
    return _nfc("; ".join(parts))


def _active_assignments(document: Document) -> list[Assignment]:
    return [a for a in document.assignments if a.is_active]


def _target_name(assignment: Assignment) -> str:
    if assignment.unit is not None and assignment.user is not None:
        return f"{assignment.unit.name} ({assignment.user.full_name})"
    if assignment.unit is not None:
        return assignment.unit.name
    return assignment.user.full_name if assignment.user is not None else ""


def _assignees(document: Document) -> str:
    """Who the leader sent it to: the lead (and the person its unit head chose), then others."""
    active = _active_assignments(document)
    passed_on = {a.parent_id for a in active if a.parent_id is not None}
    shown = [a for a in active if a.id not in passed_on]
    if not shown:
        return _nfc(document.to_places)
    groups: dict[str, list[str]] = {}
    for assignment in shown:
        groups.setdefault(assignment.role, []).append(_target_name(assignment))
    text = "; ".join(
        f"{prefix}: {', '.join(groups[role])}"
        for role, prefix in _ROLE_PREFIX.items()
        if role in groups
    )
    return _nfc(text)


def _transferred_on(document: Document) -> date | None:
    """The day the document went to its handlers (the leader's assignment)."""
    top = [a.created_at for a in _active_assignments(document) if a.parent_id is None]
    return _local_date(min(top)) if top else None


def _local_date(moment: datetime | None) -> date | None:
    return clock.to_local(moment).date() if moment is not None else None


def _signer(document: Document) -> str:
    name, position = document.signer_name.strip(), document.signer_position.strip()
    return _nfc(f"{name} ({position})" if name and position else name)


def _recipients(document: Document) -> str:
    names = [r.organ_name for r in document.recipients]
    return _nfc("; ".join(names) if names else document.to_places)


def _archive_copy_holder(document: Document) -> str:
    """Bản gốc stays with the clerk; the copy goes to the drafting unit's file (Đ19)."""
    unit = document.drafting_unit.name if document.drafting_unit else ""
    drafter = document.drafter.full_name if document.drafter else ""
    if unit and drafter:
        return _nfc(f"Văn thư; {unit} ({drafter})")
    return _nfc("; ".join(p for p in ("Văn thư", unit or drafter) if p))
