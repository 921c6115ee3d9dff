"""Format and parse số, ký hiệu, the date line and the edXML DocumentId.

Rules from NĐ 30/2020 Phụ lục I §II.3–4 and Phần II §II.1c; lengths from Phụ lục VI. Pure: which
number comes next is the registry service's business, not this module's.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from eoffice.documents.types import DocumentType
from eoffice.errors import InvalidInput

MAX_NUMBER_LENGTH = 11
"""Phụ lục VI field 4, CodeNumber: String(11)."""
MAX_NOTATION_LENGTH = 30
"""Phụ lục VI field 5, CodeNotation: String(30)."""
COPY_ABBREVIATIONS = ("SY", "TrS", "SL")
"""Copy forms sharing one number series (Phụ lục I Phần II §II.1c)."""

# [0-9], not \d: \d also matches Arabic-Indic and other Unicode digits.
_QCVN102_CODE = re.compile(r"^[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2}$")
_DATE_LINE = re.compile(
    r"^(?P<place>[^,]+),\s*ngày\s+(?P<day>[0-9]{1,2})\s+tháng\s+(?P<month>[0-9]{1,2})"
    r"\s+năm\s+(?P<year>[0-9]{4})$",
    re.IGNORECASE,
)
_EDXML_DATE = re.compile(r"^[0-9]{4}/[0-9]{2}/[0-9]{2}$")
_SO_PREFIX = re.compile(r"^số\s*:?", re.IGNORECASE)
# Hyphen look-alikes that word processors substitute for "-" in typed notations.
_DASHES = str.maketrans({"\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2212": "-"})


class NumberingError(InvalidInput):
    """A number, notation, date line or document ID that breaks the format rules."""

    code = "numbering_invalid"


class InvalidAbbreviation(NumberingError):
    """An agency, unit or type abbreviation that cannot go into a ký hiệu."""

    code = "invalid_abbreviation"


class InvalidDocumentCode(NumberingError):
    """A "số, ký hiệu" that cannot be built or split."""

    code = "invalid_document_code"


class InvalidDateLine(NumberingError):
    """A place-and-date line that cannot be built or read."""

    code = "invalid_date_line"


class InvalidDocumentId(NumberingError):
    """An edXML DocumentId that is not ``OrganId,yyyy/mm/dd,số/ký hiệu``."""

    code = "invalid_document_id"


@dataclass(frozen=True, slots=True)
class DocumentCode:
    """A document's "số, ký hiệu" split in two."""

    number: str
    """Số as written, e.g. ``"05"``; edXML ``CodeNumber``."""
    notation: str
    """Ký hiệu, e.g. ``"QĐ-UBND"`` or ``"2020/NĐ-CP"``; edXML ``CodeNotation``."""

    @property
    def text(self) -> str:
        """Return the joined form, e.g. ``"05/QĐ-UBND"``."""
        return f"{self.number}/{self.notation}"

    @property
    def number_value(self) -> int:
        """Return the number as an integer (``"05"`` → 5)."""
        return int(self.number)


@dataclass(frozen=True, slots=True)
class DocumentIdParts:
    """The parts of an edXML DocumentId."""

    organ_id: str
    """Issuer's electronic ID, e.g. ``000.00.00.H34``."""
    issued_on: date
    """Date of issue."""
    code: DocumentCode
    """Số and ký hiệu."""


def format_number(number: int) -> str:
    """Return ``number`` as written in a số: Arabic digits, a leading zero below 10.

    :raises InvalidDocumentCode: the number is below 1 or longer than CodeNumber allows.
    """
    if type(number) is not int or number < 1:
        raise InvalidDocumentCode(
            "Số văn bản phải là số nguyên dương, nhận được «{value}».", params={"value": number}
        )
    text = f"{number:02d}"
    if len(text) > MAX_NUMBER_LENGTH:
        raise InvalidDocumentCode(
            "Số văn bản dài quá {max} chữ số.", params={"max": MAX_NUMBER_LENGTH}
        )
    return text


def check_abbreviation(abbreviation: str) -> str:
    """Return ``abbreviation`` if it can be one group of a ký hiệu.

    Letters (Vietnamese included), digits and ``&`` only: ``/`` and ``-`` are the notation's own
    separators, spaces are forbidden by Phụ lục I, and ``,`` separates the parts of a DocumentId.

    :raises InvalidAbbreviation: it is empty or contains another character.
    """
    if not isinstance(abbreviation, str) or not abbreviation:
        raise InvalidAbbreviation("Chữ viết tắt không được để trống.")
    normalized = unicodedata.normalize("NFC", abbreviation)
    bad = sorted({ch for ch in normalized if not (ch.isalnum() or ch == "&")})
    if bad or normalized != abbreviation:
        shown = " ".join(repr(ch) for ch in bad) if bad else "dạng Unicode chưa chuẩn hóa"
        raise InvalidAbbreviation(
            "Chữ viết tắt «{value}» có ký tự không hợp lệ: {bad}.",
            params={"value": abbreviation, "bad": shown},
        )
    return abbreviation


def _join_groups(*groups: str) -> str:
    notation = "-".join(check_abbreviation(group) for group in groups)
    _check_notation_length(notation)
    return notation


def _check_notation_length(notation: str) -> None:
    if len(notation) > MAX_NOTATION_LENGTH:
        raise InvalidDocumentCode(
            "Ký hiệu «{value}» dài quá {max} ký tự.",
            params={"value": notation, "max": MAX_NOTATION_LENGTH},
        )


def typed_notation(type_abbreviation: str, org_abbreviation: str) -> str:
    """Return the ký hiệu of a typed document, e.g. ``QĐ-UBND``.

    :raises InvalidAbbreviation: an abbreviation has a forbidden character.
    :raises InvalidDocumentCode: the result is longer than CodeNotation allows.
    """
    return _join_groups(type_abbreviation, org_abbreviation)


def cong_van_notation(org_abbreviation: str, unit_abbreviation: str) -> str:
    """Return the ký hiệu of a công văn: agency then drafting unit or subject area, ``UBND-VX``.

    :raises InvalidAbbreviation: an abbreviation has a forbidden character.
    :raises InvalidDocumentCode: the result is longer than CodeNotation allows.
    """
    return _join_groups(org_abbreviation, unit_abbreviation)


def copy_notation(copy_abbreviation: str, org_abbreviation: str) -> str:
    """Return the ký hiệu of a copy made by ``org_abbreviation``, e.g. ``SY-UBND``.

    :raises InvalidAbbreviation: the copy form is not SY, TrS or SL, or an abbreviation is bad.
    :raises InvalidDocumentCode: the result is longer than CodeNotation allows.
    """
    if copy_abbreviation not in COPY_ABBREVIATIONS:
        raise InvalidAbbreviation(
            "Hình thức sao «{value}» không hợp lệ (SY, TrS hoặc SL).",
            params={"value": copy_abbreviation},
        )
    return _join_groups(copy_abbreviation, org_abbreviation)


def legal_notation(year: int, type_abbreviation: str, org_abbreviation: str) -> str:
    """Return the ký hiệu of a legal normative document (VBQPPL), with its year: ``2020/NĐ-CP``.

    :raises InvalidAbbreviation: an abbreviation has a forbidden character.
    :raises InvalidDocumentCode: the year is not four digits or the result is too long.
    """
    if type(year) is not int or not 1000 <= year <= 9999:
        raise InvalidDocumentCode(
            "Năm trong ký hiệu phải có 4 chữ số, nhận được «{value}».", params={"value": year}
        )
    notation = f"{year}/{_join_groups(type_abbreviation, org_abbreviation)}"
    _check_notation_length(notation)
    return notation


def notation_for(
    doc_type: DocumentType, org_abbreviation: str, unit_abbreviation: str | None = None
) -> str:
    """Return the ký hiệu a document of ``doc_type`` gets from this agency (and drafting unit).

    Công văn and thư công have no type abbreviation, so they take the công văn form and need the unit.

    :raises InvalidAbbreviation: an abbreviation is bad, or the unit is missing for a công văn.
    :raises InvalidDocumentCode: the result is longer than CodeNotation allows.
    """
    if doc_type.abbreviation is None:
        if not unit_abbreviation:
            raise InvalidAbbreviation(
                "{type} cần chữ viết tắt của đơn vị soạn thảo.", params={"type": doc_type.name}
            )
        return cong_van_notation(org_abbreviation, unit_abbreviation)
    if doc_type.is_copy:
        return copy_notation(doc_type.abbreviation, org_abbreviation)
    return typed_notation(doc_type.abbreviation, org_abbreviation)


def format_code(number: int, notation: str) -> str:
    """Return the "số, ký hiệu" string, e.g. ``15/QĐ-UBND``.

    :raises InvalidDocumentCode: the number is not positive or the notation is empty or too long.
    """
    # Reject what split_code would rewrite, so that split_code(format_code(n, x)) gives back x.
    if not notation or _clean_code_text(notation) != notation:
        raise InvalidDocumentCode("Ký hiệu «{value}» không hợp lệ.", params={"value": notation})
    _check_notation_length(notation)
    return f"{format_number(number)}/{notation}"


def split_code(text: str) -> DocumentCode:
    """Split a "số, ký hiệu" string such as ``Số: 15/QĐ-UBND`` into number and notation.

    Tolerates what clerks type: a leading "Số:", spaces (Phụ lục I forbids them anyway), typographic
    dashes and decomposed Unicode. The number keeps its leading zero as written.

    :raises InvalidDocumentCode: there is no ``/`` after a run of digits, or nothing after it.
    """
    cleaned = _SO_PREFIX.sub("", unicodedata.normalize("NFC", text).strip())
    number, slash, notation = _clean_code_text(cleaned).partition("/")
    valid_number = number.isascii() and number.isdigit() and len(number) <= MAX_NUMBER_LENGTH
    if not slash or not notation or not valid_number:
        raise InvalidDocumentCode(
            "Số, ký hiệu «{value}» không đúng dạng số/ký hiệu (ví dụ 15/QĐ-UBND).",
            params={"value": text},
        )
    return DocumentCode(number=number, notation=notation)


def _clean_code_text(text: str) -> str:
    """Return ``text`` in NFC with ASCII hyphens and no whitespace."""
    return "".join(unicodedata.normalize("NFC", text).translate(_DASHES).split())


def format_issue_date(issued_on: date) -> str:
    """Return "ngày dd tháng m năm yyyy": day padded below 10, only months 1 and 2 padded."""
    month = f"{issued_on.month:02d}" if issued_on.month <= 2 else str(issued_on.month)
    return f"ngày {issued_on.day:02d} tháng {month} năm {issued_on.year}"


def date_line(place: str, issued_on: date) -> str:
    """Return the place-and-date line, e.g. "Khánh Hòa, ngày 05 tháng 01 năm 2020".

    :raises InvalidDateLine: the place is empty or contains a comma, or the year is not four
        digits (the line could not be read back).
    """
    place = " ".join(unicodedata.normalize("NFC", place).split())
    if not place or "," in place:
        raise InvalidDateLine("Địa danh «{value}» không hợp lệ.", params={"value": place})
    if issued_on.year < 1000:
        raise InvalidDateLine(
            "Năm {value} không hợp lệ (cần 4 chữ số).", params={"value": issued_on.year}
        )
    return f"{place}, {format_issue_date(issued_on)}"


def parse_date_line(text: str) -> tuple[str, date]:
    """Read a place-and-date line back into (place, date).

    :raises InvalidDateLine: the text is not "<Địa danh>, ngày d tháng m năm yyyy" or the date
        does not exist.
    """
    match = _DATE_LINE.match(" ".join(unicodedata.normalize("NFC", text).split()))
    error = InvalidDateLine(
        "«{value}» không đúng dạng “Địa danh, ngày … tháng … năm …”.", params={"value": text}
    )
    if match is None:
        raise error
    try:
        issued_on = date(int(match["year"]), int(match["month"]), int(match["day"]))
    except ValueError:
        raise error from None
    return match["place"].strip(), issued_on


def format_document_id(organ_id: str, issued_on: date, code: str) -> str:
    """Return the edXML DocumentId ``OrganId,yyyy/mm/dd,số/ký hiệu``.

    :raises InvalidDocumentId: the organ ID is empty or has a comma or space.
    :raises InvalidDocumentCode: ``code`` is not a "số/ký hiệu".
    """
    if not organ_id or any(ch == "," or ch.isspace() for ch in organ_id):
        raise InvalidDocumentId(
            "Mã định danh cơ quan «{value}» không hợp lệ.", params={"value": organ_id}
        )
    parts = split_code(code)
    day = f"{issued_on.year:04d}/{issued_on.month:02d}/{issued_on.day:02d}"
    return f"{organ_id},{day},{parts.text}"


def parse_document_id(text: str) -> DocumentIdParts:
    """Split an edXML DocumentId into issuer ID, date of issue and "số, ký hiệu".

    Some senders use UUIDs as DocumentId; those raise, and the caller keeps the raw value.

    :raises InvalidDocumentId: the text does not have that form.
    """
    organ_id, _, rest = text.strip().partition(",")
    day, _, code = rest.partition(",")
    error = InvalidDocumentId(
        "Mã văn bản «{value}» không đúng dạng OrganId,yyyy/mm/dd,số/ký hiệu.",
        params={"value": text},
    )
    if not organ_id or not _EDXML_DATE.match(day):
        raise error
    try:
        issued_on = date.fromisoformat(day.replace("/", "-"))
        parts = split_code(code)
    except (ValueError, InvalidDocumentCode):
        raise error from None
    return DocumentIdParts(organ_id=organ_id, issued_on=issued_on, code=parts)


def is_qcvn102_code(organ_id: str) -> bool:
    """Return whether ``organ_id`` has the strict QCVN 102 form ``000.00.00.H34``.

    The VXP axis does not enforce this form, so callers warn on False rather than reject.
    """
    return _QCVN102_CODE.fullmatch(organ_id) is not None
