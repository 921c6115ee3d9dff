"""The metadata of a document as typed or received, its validation, and the search text."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date

from eoffice import clock
from eoffice.documents.models import Document
from eoffice.documents.text import fold_vietnamese
from eoffice.documents.types import Secrecy, Urgency, get_document_type
from eoffice.errors import InvalidInput, NotFound


@dataclass(frozen=True)
class DocumentMetadata:
    """Phụ lục VI fields a clerk types (or another agency's register supplies)."""

    type_code: str
    subject: str
    organ_name: str = ""
    organ_id: str = ""
    code_number: str = ""
    code_notation: str = ""
    issued_date: date | None = None
    signer_name: str = ""
    signer_position: str = ""
    urgency: str = Urgency.THUONG.value
    secrecy: str = Secrecy.THUONG.value
    due_date: date | None = None
    page_amount: int | None = None
    description: str = ""
    language: str = "Tiếng Việt"
    to_places: str = ""
    edxml_document_id: str = ""

    def cleaned(self) -> DocumentMetadata:
        """Return a copy with surrounding white space removed from every text field."""
        changes = {
            f.name: getattr(self, f.name).strip()
            for f in fields(self)
            if isinstance(getattr(self, f.name), str)
        }
        return replace(self, **changes)


_LIMITS = {
    "subject": 500,
    "organ_name": 200,
    "organ_id": 35,
    "code_number": 11,
    "code_notation": 30,
    "signer_name": 50,
    "signer_position": 100,
    "description": 500,
    "language": 30,
    "to_places": 1000,
    "edxml_document_id": 200,
}


def validate_metadata(
    meta: DocumentMetadata, *, incoming: bool, arrival: date | None = None
) -> None:
    """Check required fields, lengths, codes and dates.

    :raises InvalidInput: with one Vietnamese message per bad field.
    """
    errors: dict[str, str] = {}
    try:
        get_document_type(meta.type_code)
    except NotFound:
        errors["type_code"] = "Loại văn bản không hợp lệ"
    if not meta.subject:
        errors["subject"] = "Trích yếu là bắt buộc"
    if incoming:
        for name, label in (
            ("organ_name", "Cơ quan ban hành"),
            ("code_number", "Số văn bản"),
            ("issued_date", "Ngày văn bản"),
        ):
            if not getattr(meta, name):
                errors[name] = f"{label} là bắt buộc"
    for name, limit in _LIMITS.items():
        if len(getattr(meta, name)) > limit:
            errors[name] = f"Tối đa {limit} ký tự"
    if meta.urgency not in {u.value for u in Urgency}:
        errors["urgency"] = "Mức độ khẩn không hợp lệ"
    if meta.secrecy not in {s.value for s in Secrecy}:
        errors["secrecy"] = "Độ mật không hợp lệ"
    if meta.page_amount is not None and not 0 < meta.page_amount < 1000:
        errors["page_amount"] = "Số trang từ 1 đến 999"
    _check_dates(meta, arrival, errors)
    if errors:
        raise InvalidInput("Thông tin văn bản chưa hợp lệ", fields=errors)


def _check_dates(meta: DocumentMetadata, arrival: date | None, errors: dict[str, str]) -> None:
    today = clock.today()
    if arrival is not None and arrival > today:
        errors["arrival_date"] = "Ngày đến không được sau hôm nay"
    if meta.issued_date is not None:
        if meta.issued_date > today:
            errors["issued_date"] = "Ngày văn bản không được sau hôm nay"
        elif arrival is not None and meta.issued_date > arrival:
            errors["issued_date"] = "Ngày văn bản không được sau ngày đến"
    if meta.due_date is not None and meta.due_date < (arrival or today):
        errors["due_date"] = "Hạn giải quyết không được trước ngày đến"


def apply_metadata(document: Document, meta: DocumentMetadata) -> None:
    """Copy the metadata onto the document row."""
    doc_type = get_document_type(meta.type_code)
    for f in fields(meta):
        setattr(document, f.name, getattr(meta, f.name))
    document.type_name = doc_type.name


def build_search_text(document: Document, pdf_text: str = "") -> str:
    """Return the folded text the search index covers."""
    parts = [
        document.subject,
        document.code,
        document.organ_name,
        document.description,
        document.type_name,
        document.signer_name,
        document.instruction,
        pdf_text,
    ]
    return fold_vietnamese(" ".join(p for p in parts if p))[:1_000_000]


def metadata_of(document: Document) -> DocumentMetadata:
    """Return the metadata of an existing document (what another agency's register receives)."""
    return DocumentMetadata(**{f.name: getattr(document, f.name) for f in fields(DocumentMetadata)})
