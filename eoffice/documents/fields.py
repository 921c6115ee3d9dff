"""The electronic input fields of NĐ 30 Phụ lục VI Phần II and the register columns of Phụ lục IV.

Field keys are dotted paths of the Phụ lục VI names (``FileCode.OrganId``, ``To.OrganId``) because
the bare names repeat. The decree misprints ``Organld`` and ``Signerlnfo``; we use the real names.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any


class FieldType(StrEnum):
    """Kiểu dữ liệu of Phụ lục VI."""

    GROUP = "group"
    STRING = "string"
    NUMBER = "number"
    DATE = "date"
    LONG_TEXT = "long_text"


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One input field of Phụ lục VI Phần II."""

    number: str
    """Số thứ tự in the decree's table, e.g. ``"1.1"``."""
    key: str
    """Dotted path of Phụ lục VI names, e.g. ``"FileCode.OrganId"``."""
    label: str
    """Vietnamese label (the decree's "Trường thông tin")."""
    type: FieldType
    max_length: int | None = None
    """Độ dài: characters for strings, digits for numbers; None when the decree gives none."""
    repeated: bool = False
    """Whether the field holds one value per recipient (the "To" group of an outgoing document)."""
    system_filled: bool = False
    """Whether the system fills it in automatically (Phần I §III.1g, §III.4b)."""


@dataclass(frozen=True, slots=True)
class FieldSet:
    """The input fields of one kind of record."""

    code: str
    title: str
    fields: tuple[FieldSpec, ...]

    def get(self, key: str) -> FieldSpec | None:
        """Return the field with this key, or None."""
        return next((f for f in self.fields if f.key == key), None)

    @property
    def value_fields(self) -> tuple[FieldSpec, ...]:
        """Return the fields that hold a value (groups excluded)."""
        return tuple(f for f in self.fields if f.type is not FieldType.GROUP)


_G, _S, _N, _D, _L = (
    FieldType.GROUP,
    FieldType.STRING,
    FieldType.NUMBER,
    FieldType.DATE,
    FieldType.LONG_TEXT,
)

_FILE_CODE = (
    FieldSpec("1", "FileCode", "Mã hồ sơ", _G),
    FieldSpec(
        "1.1",
        "FileCode.OrganId",
        "Mã định danh của cơ quan, tổ chức lập danh mục hồ sơ",
        _S,
        13,
    ),
    FieldSpec("1.2", "FileCode.FileCatalog", "Năm hình thành hồ sơ", _N, 4),
    FieldSpec("1.3", "FileCode.FileNotation", "Số và ký hiệu hồ sơ", _S, 20),
)

_COMMON = (
    *_FILE_CODE,
    FieldSpec("2", "DocOrdinal", "Số thứ tự văn bản trong hồ sơ", _N, 3),
    FieldSpec("3", "TypeName", "Tên loại văn bản", _S, 100),
    FieldSpec("4", "CodeNumber", "Số của văn bản", _S, 11),
    FieldSpec("5", "CodeNotation", "Ký hiệu của văn bản", _S, 30),
    FieldSpec("6", "IssuedDate", "Ngày, tháng, năm văn bản", _D, 10),
    FieldSpec("7", "OrganName", "Tên cơ quan, tổ chức ban hành văn bản", _S, 200),
    FieldSpec("8", "Subject", "Trích yếu nội dung", _S, 500),
    FieldSpec("9", "Language", "Ngôn ngữ", _S, 30),
    FieldSpec("10", "PageAmount", "Số trang của văn bản", _N, 3),
    FieldSpec("11", "Description", "Ghi chú", _S, 500),
)


def _signer(number: str) -> tuple[FieldSpec, ...]:
    return (
        FieldSpec(number, "SignerInfo", "Chức vụ, họ tên người ký", _G),
        FieldSpec(f"{number}.1", "SignerInfo.Position", "Chức vụ của người ký văn bản", _S, 100),
        FieldSpec(f"{number}.2", "SignerInfo.FullName", "Họ và tên người ký văn bản", _S, 50),
    )


def _mark_system_filled(
    fields: Sequence[FieldSpec], numbers: Collection[str]
) -> tuple[FieldSpec, ...]:
    return tuple(replace(f, system_filled=f.number in numbers) for f in fields)


OUTGOING_FIELDS = FieldSet(
    code="outgoing",
    title="Thông tin đầu vào của dữ liệu quản lý văn bản đi",
    fields=_mark_system_filled(
        (
            *_COMMON,
            *_signer("12"),
            FieldSpec("13", "To", "Nơi nhận", _G, repeated=True),
            FieldSpec(
                "13.1",
                "To.OrganId",
                "Mã định danh của cơ quan, tổ chức nhận văn bản",
                _S,
                13,
                repeated=True,
            ),
            FieldSpec(
                "13.2", "To.OrganName", "Tên cơ quan, tổ chức nhận văn bản", _S, 200, repeated=True
            ),
            FieldSpec("14", "Priority", "Mức độ khẩn, độ mật", _N, 1),
            FieldSpec("15", "IssuedAmount", "Số lượng bản phát hành", _N, 3),
            FieldSpec("16", "DueDate", "Hạn trả lời văn bản", _D, 10),
        ),
        {"1.1", "1.2", "2", "4", "6", "10", "13.1"},
    ),
)

INCOMING_FIELDS = FieldSet(
    code="incoming",
    title="Thông tin đầu vào của dữ liệu quản lý văn bản đến",
    fields=_mark_system_filled(
        (
            *_COMMON,
            FieldSpec("12", "ArrivalDate", "Ngày, tháng, năm đến", _D, 10),
            FieldSpec("13", "ArrivalNumber", "Số đến", _N, 10),
            *_signer("14"),
            FieldSpec("15", "Priority", "Mức độ khẩn, độ mật", _N, 1),
            FieldSpec("16", "ToPlaces", "Đơn vị hoặc người nhận", _S, 1000),
            FieldSpec(
                "17",
                "TraceHeaderList",
                "Ý kiến phân phối, chỉ đạo, trạng thái xử lý văn bản",
                _L,
            ),
            FieldSpec("18", "DueDate", "Thời hạn giải quyết", _D, 10),
        ),
        {"1.1", "1.2", "2", "10", "12", "13"},
    ),
)

DOSSIER_FIELDS = FieldSet(
    code="dossier",
    title="Thông tin đầu vào của dữ liệu quản lý hồ sơ",
    fields=_mark_system_filled(
        (
            *_FILE_CODE,
            FieldSpec("2", "Title", "Tiêu đề hồ sơ", _S, 500),
            FieldSpec("3", "Maintenance", "Thời hạn bảo quản", _S, 30),
            FieldSpec("4", "Rights", "Chế độ sử dụng", _S, 30),
            FieldSpec("5", "Creator", "Người lập hồ sơ", _S, 30),
            FieldSpec("6", "Language", "Ngôn ngữ", _S, 50),
            FieldSpec("7", "StartDate", "Thời gian bắt đầu", _D, 10),
            FieldSpec("8", "EndDate", "Thời gian kết thúc", _D, 10),
            FieldSpec("9", "DocTotal", "Tổng số văn bản trong hồ sơ", _N, 4),
            FieldSpec("10", "PageTotal", "Tổng số trang của hồ sơ", _N, 4),
            FieldSpec("11", "Description", "Ghi chú", _S, 500),
        ),
        {"1.1", "1.2", "9", "10"},
    ),
)

# re.ASCII: \d would otherwise accept Arabic-Indic and other Unicode digits.
_DATE_VN = re.compile(r"^(\d{2})/(\d{2})/(\d{4})$", re.ASCII)
_DATE_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$", re.ASCII)

MSG_REQUIRED = "Chưa nhập {label}."
MSG_UNKNOWN = "Trường thông tin không có trong danh mục."
MSG_GROUP = "{label} là nhóm trường, không nhận giá trị trực tiếp."
MSG_NOT_TEXT = "{label} phải là chuỗi ký tự."
MSG_TOO_LONG = "{label} dài quá {max} ký tự (hiện có {length})."
MSG_NOT_NUMBER = "{label} phải là số nguyên không âm."
MSG_TOO_MANY_DIGITS = "{label} không được quá {max} chữ số."
MSG_BAD_DATE = "{label} không phải ngày hợp lệ (định dạng dd/mm/yyyy)."
MSG_NOT_LIST = "{label} phải là danh sách (mỗi nơi nhận một giá trị)."
MSG_ITEM = "Nơi nhận thứ {index}: {message}"


def parse_date_value(value: object) -> date | None:
    """Return the date in ``value`` (a date, "dd/mm/yyyy" or "yyyy-mm-dd"), or None if invalid."""
    if isinstance(value, datetime):
        return None  # a timestamp is not a date field's value; convert to local date first
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip()
    if match := _DATE_VN.match(text):
        day, month, year = (int(g) for g in match.groups())
    elif match := _DATE_ISO.match(text):
        year, month, day = (int(g) for g in match.groups())
    else:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _check_number(spec: FieldSpec, value: object) -> str | None:
    if type(value) is int:
        digits = str(value) if value >= 0 else None
    elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        digits = value.strip()
    else:
        digits = None
    if digits is None:
        return MSG_NOT_NUMBER.format(label=spec.label)
    if spec.max_length is not None and len(digits.lstrip("0") or "0") > spec.max_length:
        return MSG_TOO_MANY_DIGITS.format(label=spec.label, max=spec.max_length)
    return None


def _check_text(spec: FieldSpec, value: object) -> str | None:
    if not isinstance(value, str):
        return MSG_NOT_TEXT.format(label=spec.label)
    if spec.max_length is not None and len(value) > spec.max_length:
        return MSG_TOO_LONG.format(label=spec.label, max=spec.max_length, length=len(value))
    return None


def check_value(spec: FieldSpec, value: object) -> str | None:
    """Return the Vietnamese error for one non-empty value of ``spec``, or None if it is valid."""
    if spec.type is FieldType.GROUP:
        return MSG_GROUP.format(label=spec.label)
    if spec.type is FieldType.NUMBER:
        return _check_number(spec, value)
    if spec.type is FieldType.DATE:
        valid = parse_date_value(value) is not None
        return None if valid else MSG_BAD_DATE.format(label=spec.label)
    return _check_text(spec, value)


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _check_repeated(spec: FieldSpec, value: object) -> str | None:
    if isinstance(value, str) or not isinstance(value, Sequence):
        return MSG_NOT_LIST.format(label=spec.label)
    for index, item in enumerate(value, start=1):
        if _is_empty(item):
            continue
        if (message := check_value(spec, item)) is not None:
            return MSG_ITEM.format(index=index, message=message)
    return None


def validate_fields(
    field_set: FieldSet, values: Mapping[str, object], required: Collection[str] = ()
) -> dict[str, str]:
    """Return a Vietnamese error message per invalid field key; empty when all values are valid.

    Phụ lục VI makes no field mandatory, so only keys in ``required`` must be filled. Empty values
    (None, blank strings) are otherwise skipped. Values of repeated fields are lists.
    """
    errors: dict[str, str] = {}
    for key in sorted(values.keys() - {f.key for f in field_set.fields}):
        errors[key] = MSG_UNKNOWN
    for spec in field_set.fields:
        value = values.get(spec.key)
        if _is_empty(value) or (spec.repeated and value == []):
            if spec.key in required:
                errors[spec.key] = MSG_REQUIRED.format(label=spec.label.lower())
            continue
        if spec.type is FieldType.GROUP:
            errors[spec.key] = MSG_GROUP.format(label=spec.label)
            continue
        check = _check_repeated if spec.repeated else check_value
        if (message := check(spec, value)) is not None:
            errors[spec.key] = message
    return errors


@dataclass(frozen=True, slots=True)
class RegisterColumn:
    """One column of a printed register."""

    key: str
    """ASCII key the report code fills the column from."""
    label: str
    """Column heading as printed (Phụ lục IV)."""


@dataclass(frozen=True, slots=True)
class Register:
    """A printable register of Phụ lục IV with its minimum columns, in the decree's order."""

    code: str
    title: str
    columns: tuple[RegisterColumn, ...]


def _columns(*pairs: tuple[str, str]) -> tuple[RegisterColumn, ...]:
    return tuple(RegisterColumn(key, label) for key, label in pairs)


OUTGOING_REGISTER = Register(
    code="outgoing",
    title="SỔ ĐĂNG KÝ VĂN BẢN ĐI",
    columns=_columns(
        ("code", "Số, ký hiệu văn bản"),
        ("issued_date", "Ngày tháng văn bản"),
        ("type_and_subject", "Tên loại và trích yếu nội dung văn bản"),
        ("signer", "Người ký"),
        ("recipients", "Nơi nhận văn bản"),
        ("archive_copy_holder", "Đơn vị, người nhận bản lưu"),
        ("copies", "Số lượng bản"),
        ("transferred_on", "Ngày chuyển"),
        ("received_signature", "Ký nhận"),
        ("note", "Ghi chú"),
    ),
)

INCOMING_REGISTER = Register(
    code="incoming",
    title="SỔ ĐĂNG KÝ VĂN BẢN ĐẾN",
    columns=_columns(
        ("arrival_date", "Ngày đến"),
        ("arrival_number", "Số đến"),
        ("author", "Tác giả"),
        ("code", "Số, ký hiệu văn bản"),
        ("issued_date", "Ngày tháng văn bản"),
        ("type_and_subject", "Tên loại và trích yếu nội dung văn bản"),
        ("assignees", "Đơn vị hoặc người nhận"),
        ("transferred_on", "Ngày chuyển"),
        ("received_signature", "Ký nhận"),
        ("note", "Ghi chú"),
    ),
)

HANDLING_REGISTER = Register(
    code="handling",
    title="SỔ THEO DÕI GIẢI QUYẾT VĂN BẢN ĐẾN",
    columns=_columns(
        ("arrival_number", "Số đến"),
        (
            "document",
            "Tên loại, số, ký hiệu, ngày, tháng và tên cơ quan, tổ chức ban hành văn bản",
        ),
        ("assignees", "Đơn vị hoặc người nhận"),
        ("due_date", "Thời hạn giải quyết"),
        ("progress", "Tiến độ giải quyết"),
        ("reply_code", "Số, ký hiệu văn bản trả lời"),
        ("note", "Ghi chú"),
    ),
)

POSTAL_REGISTER = Register(
    code="postal",
    title="SỔ GỬI VĂN BẢN ĐI BƯU ĐIỆN",
    columns=_columns(
        ("transferred_on", "Ngày chuyển"),
        ("code", "Số, ký hiệu văn bản"),
        ("recipients", "Nơi nhận văn bản"),
        ("envelopes", "Số lượng bì"),
        ("postal_signature", "Ký nhận và dấu bưu điện"),
        ("note", "Ghi chú"),
    ),
)

ARCHIVE_USE_REGISTER = Register(
    code="archive_use",
    title="SỔ SỬ DỤNG BẢN LƯU",
    columns=_columns(
        ("used_on", "Ngày tháng"),
        ("user_name", "Họ tên người sử dụng"),
        ("code_and_date", "Số, ký hiệu ngày tháng văn bản"),
        ("type_and_subject", "Tên loại và trích yếu nội dung văn bản"),
        ("dossier_code", "Số và ký hiệu HS"),
        ("received_signature", "Ký nhận"),
        ("returned_on", "Ngày trả"),
        ("approved_by", "Người cho phép sử dụng"),
        ("note", "Ghi chú"),
    ),
)

REGISTERS = {
    r.code: r
    for r in (
        OUTGOING_REGISTER,
        INCOMING_REGISTER,
        HANDLING_REGISTER,
        POSTAL_REGISTER,
        ARCHIVE_USE_REGISTER,
    )
}
"""Every register of Phụ lục IV by code."""
