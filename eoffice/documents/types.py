"""Document types, copy forms, urgency and secrecy levels of NĐ 30/2020 (Điều 7, Phụ lục III).

The types are data (``document_types.yaml``); this module loads them once and looks them up.
"""

from __future__ import annotations

import functools
import importlib.resources
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any

import yaml

from eoffice.errors import InvalidInput, NotFound

_DATA_FILE = "document_types.yaml"
ADMINISTRATIVE_TYPE_COUNT = 29
"""Điều 7 lists exactly 29 administrative document types."""


class DocumentTypeDataError(RuntimeError):
    """``document_types.yaml`` is malformed: a packaging or editing mistake, not user input."""


class UnknownDocumentType(NotFound):
    """No document type has the requested code."""

    code = "unknown_document_type"


class InvalidPriority(InvalidInput):
    """An edXML ``Priority`` value outside 0–4."""

    code = "invalid_priority"


class DocumentCategory(StrEnum):
    """Whether a type is an administrative document or a copy form."""

    ADMINISTRATIVE = "administrative"
    COPY = "copy"


@dataclass(frozen=True, slots=True)
class DocumentType:
    """One document type or copy form."""

    code: str
    """ASCII key used by the API and stored in the database, e.g. ``QD``, ``TTR``, ``TRS``."""
    name: str
    """Official Vietnamese name, e.g. "Quyết định (cá biệt)"; edXML ``TypeName``."""
    abbreviation: str | None
    """Case-sensitive chữ viết tắt of Phụ lục III (``QĐ``, ``TTr``); None for công văn, thư công."""
    heading: str | None
    """Title printed on the document ("QUYẾT ĐỊNH") or the copy form ("SAO Y"); None if none."""
    category: DocumentCategory

    @property
    def is_copy(self) -> bool:
        """Return whether this is a copy form (SY, TrS, SL)."""
        return self.category is DocumentCategory.COPY

    @property
    def notation_uses_unit(self) -> bool:
        """Return whether the ký hiệu is agency + drafting unit (công văn form) instead of a type."""
        return self.abbreviation is None


@dataclass(frozen=True, slots=True)
class _Catalog:
    administrative: tuple[DocumentType, ...]
    copies: tuple[DocumentType, ...]
    by_code: Mapping[str, DocumentType]
    by_abbreviation: Mapping[str, DocumentType]


def _build_type(raw: Any, category: DocumentCategory) -> DocumentType:
    if not isinstance(raw, dict) or set(raw) != {"code", "name", "abbreviation", "heading"}:
        raise DocumentTypeDataError(f"bad document type entry: {raw!r}")
    code = raw["code"]
    if not (isinstance(code, str) and code.isascii() and code.isupper()):
        raise DocumentTypeDataError(f"document type code must be uppercase ASCII: {code!r}")
    return DocumentType(
        code=code,
        name=str(raw["name"]),
        abbreviation=raw["abbreviation"],
        heading=raw["heading"],
        category=category,
    )


def _index(types: tuple[DocumentType, ...], key: str) -> dict[str, DocumentType]:
    index: dict[str, DocumentType] = {}
    for doc_type in types:
        value = getattr(doc_type, key)
        if value is None:
            continue
        if value in index:
            raise DocumentTypeDataError(f"duplicate {key} {value!r} in {_DATA_FILE}")
        index[value] = doc_type
    return index


@functools.cache
def _catalog() -> _Catalog:
    text = importlib.resources.files(__package__).joinpath(_DATA_FILE).read_text("utf-8")
    raw = yaml.safe_load(text)
    administrative = tuple(
        _build_type(item, DocumentCategory.ADMINISTRATIVE) for item in raw["administrative"]
    )
    copies = tuple(_build_type(item, DocumentCategory.COPY) for item in raw["copies"])
    if len(administrative) != ADMINISTRATIVE_TYPE_COUNT:
        raise DocumentTypeDataError(
            f"{_DATA_FILE} lists {len(administrative)} administrative types, "
            f"Điều 7 has {ADMINISTRATIVE_TYPE_COUNT}"
        )
    if any(t.abbreviation is None for t in copies):
        raise DocumentTypeDataError("every copy form needs an abbreviation")
    everything = administrative + copies
    return _Catalog(
        administrative=administrative,
        copies=copies,
        by_code=MappingProxyType(_index(everything, "code")),
        by_abbreviation=MappingProxyType(_index(everything, "abbreviation")),
    )


def administrative_types() -> tuple[DocumentType, ...]:
    """Return the 29 administrative document types in the order of Điều 7."""
    return _catalog().administrative


def copy_types() -> tuple[DocumentType, ...]:
    """Return the copy forms: bản sao y (SY), trích sao (TrS), sao lục (SL)."""
    return _catalog().copies


def get_document_type(code: str) -> DocumentType:
    """Return the document type or copy form with this ASCII code.

    :raises UnknownDocumentType: no type has that code.
    """
    try:
        return _catalog().by_code[code]
    except KeyError:
        raise UnknownDocumentType(
            "Không có loại văn bản mã «{code}».", params={"code": code}
        ) from None


def find_by_abbreviation(abbreviation: str) -> DocumentType | None:
    """Return the type whose chữ viết tắt is ``abbreviation``, or None.

    An exact (case-sensitive) match wins; otherwise a case-insensitive one, since notations typed
    by hand often come all in capitals ("TTR" for "TTr"). The abbreviations stay distinct when
    upper-cased, so the fallback is never ambiguous.
    """
    by_abbreviation = _catalog().by_abbreviation
    exact = by_abbreviation.get(abbreviation)
    if exact is not None:
        return exact
    wanted = abbreviation.upper()
    for abbr, doc_type in by_abbreviation.items():
        if abbr.upper() == wanted:
            return doc_type
    return None


class Urgency(StrEnum):
    """Mức độ khẩn (NĐ 30 Điều 4.2c, Phụ lục I §III.2b)."""

    THUONG = "thuong"
    KHAN = "khan"
    THUONG_KHAN = "thuong_khan"
    HOA_TOC = "hoa_toc"

    @property
    def label(self) -> str:
        """Return the Vietnamese label shown in lists and forms."""
        return _URGENCY_LABELS[self]

    @property
    def stamp(self) -> str | None:
        """Return the text of the red urgency stamp, or None for a normal document."""
        return None if self is Urgency.THUONG else self.label.upper()

    @property
    def stamp_size_mm(self) -> tuple[int, int] | None:
        """Return the stamp's (width, height) in millimetres per Phụ lục I, or None."""
        return _URGENCY_STAMP_SIZES.get(self)

    @property
    def is_urgent(self) -> bool:
        """Return whether NĐ 30 requires handling "ngay" (immediately)."""
        return self is not Urgency.THUONG

    @property
    def edxml_priority(self) -> int:
        """Return the edXML ``OtherInfo/Priority`` value (0 normal … 3 hỏa tốc)."""
        return _URGENCY_TO_PRIORITY[self]

    @classmethod
    def from_edxml_priority(cls, priority: int) -> Urgency:
        """Return the urgency of an edXML priority; 4 (legacy "hỏa tốc hẹn giờ") is hỏa tốc.

        :raises InvalidPriority: the priority is not an integer 0–4.
        """
        # type() rather than isinstance(): True == 1 must not read as "khẩn"
        if type(priority) is int:
            if priority == _LEGACY_TIMED_HOA_TOC:
                return cls.HOA_TOC
            for urgency, value in _URGENCY_TO_PRIORITY.items():
                if value == priority:
                    return urgency
        raise InvalidPriority(
            "Mức độ khẩn (Priority) phải là số từ 0 đến 4, nhận được «{value}».",
            params={"value": priority},
        )


_URGENCY_LABELS = {
    Urgency.THUONG: "Thường",
    Urgency.KHAN: "Khẩn",
    Urgency.THUONG_KHAN: "Thượng khẩn",
    Urgency.HOA_TOC: "Hỏa tốc",
}
_URGENCY_STAMP_SIZES = {
    Urgency.KHAN: (20, 8),
    Urgency.THUONG_KHAN: (40, 8),
    Urgency.HOA_TOC: (30, 8),
}
_URGENCY_TO_PRIORITY = {
    Urgency.THUONG: 0,
    Urgency.KHAN: 1,
    Urgency.THUONG_KHAN: 2,
    Urgency.HOA_TOC: 3,
}
_LEGACY_TIMED_HOA_TOC = 4


class Secrecy(StrEnum):
    """Độ mật (Luật Bảo vệ bí mật nhà nước 2018); not carried by edXML ``Priority``."""

    THUONG = "thuong"
    MAT = "mat"
    TOI_MAT = "toi_mat"
    TUYET_MAT = "tuyet_mat"

    @property
    def label(self) -> str:
        """Return the Vietnamese label shown in lists and forms."""
        return _SECRECY_LABELS[self]

    @property
    def stamp(self) -> str | None:
        """Return the text of the secrecy stamp, or None for a non-secret document."""
        return None if self is Secrecy.THUONG else self.label.upper()

    @property
    def is_secret(self) -> bool:
        """Return whether the document is secret (own number series, own registration rules)."""
        return self is not Secrecy.THUONG


_SECRECY_LABELS = {
    Secrecy.THUONG: "Thường",
    Secrecy.MAT: "Mật",
    Secrecy.TOI_MAT: "Tối mật",
    Secrecy.TUYET_MAT: "Tuyệt mật",
}
