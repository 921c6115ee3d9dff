"""Phụ lục VI (NĐ 30/2020) fields ↔ edXML: what the registry gives and gets (domain-rules §1.4).

Plain dataclasses; the lead maps them to eoffice's models. Fields the exchange does not carry
(FileCode, DocOrdinal, Language, Description, ArrivalDate, ArrivalNumber) stay in the registry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from vxp_adapter.codes import Secrecy, Urgency, priority_of, require_sendable, urgency_of
from vxp_adapter.dates import VN_TZ
from vxp_adapter.model import (
    Attachment,
    Business,
    DocumentType,
    Edoc,
    Organization,
    OtherInfo,
    SignerInfo,
    StaffInfo,
    TraceHeader,
)

TO_PLACES_MAX = 1000
"""Phụ lục VI văn bản đến field 16 (ToPlaces) length."""


@dataclass(frozen=True)
class Recipient:
    """Nơi nhận (văn bản đi field 13)."""

    organ_id: str
    """13.1 Mã định danh cơ quan nhận."""
    organ_name: str = ""
    """13.2 Tên cơ quan nhận."""


@dataclass(frozen=True)
class OutgoingRecord:
    """An issued document as the registry holds it (văn bản đi), ready to send."""

    organ_id: str
    """Mã định danh of the issuing agency (From/OrganId)."""
    organ_name: str
    """7 Tên cơ quan ban hành."""
    type_name: str
    """3 Tên loại văn bản, e.g. Công văn."""
    code_number: str
    """4 Số của văn bản."""
    code_notation: str
    """5 Ký hiệu của văn bản."""
    issued_date: date
    """6 Ngày tháng năm văn bản."""
    subject: str
    """8 Trích yếu."""
    recipients: tuple[Recipient, ...]
    """13 Nơi nhận (electronic)."""
    signer_position: str = ""
    """12.1 Chức vụ người ký."""
    signer_full_name: str = ""
    """12.2 Họ tên người ký."""
    urgency: Urgency = Urgency.THUONG
    """14 Mức độ khẩn."""
    secrecy: Secrecy = Secrecy.KHONG_MAT
    """14 Độ mật: a secret document is never sent electronically."""
    issued_amount: int | None = None
    """15 Số lượng bản phát hành."""
    due_date: date | None = None
    """16 Hạn trả lời."""
    page_amount: int | None = None
    """10 Số trang."""
    place: str = ""
    """Địa danh (PromulgationInfo/Place)."""
    signer_competence: str = ""
    """Thẩm quyền ký, e.g. `KT. BỘ TRƯỞNG`."""
    type_code: int = 1
    """DocumentType/Type (code list disputed)."""
    content: str = ""
    to_places: tuple[str, ...] = ()
    """Nơi nhận as printed on the document, including paper recipients."""
    document_id: str = ""
    """edXML DocumentId; the conventional one is built when empty."""


@dataclass(frozen=True)
class IncomingRecord:
    """What an arriving edoc fills in the registry (văn bản đến; numbers per Phụ lục VI)."""

    organ_id: str
    """Mã định danh of the issuing agency."""
    organ_name: str
    """7 Tên cơ quan ban hành."""
    type_name: str
    """3 Tên loại văn bản."""
    code_number: str
    """4 Số của văn bản."""
    code_notation: str
    """5 Ký hiệu của văn bản."""
    issued_date: date
    """6 Ngày tháng năm văn bản."""
    subject: str
    """8 Trích yếu."""
    page_amount: int | None
    """10 Số trang."""
    signer_position: str
    """14 Người ký: chức vụ."""
    signer_full_name: str
    """14 Người ký: họ tên."""
    urgency: Urgency
    """15 Mức độ khẩn."""
    to_places: str
    """16 Đơn vị hoặc người nhận (≤ 1000 characters)."""
    trace: str
    """17 TraceHeaderList as text, one hop per line."""
    due_date: date | None
    """18 Thời hạn giải quyết."""
    document_id: str
    """edXML DocumentId, the key of later statuses and revocations."""

    @property
    def notation(self) -> str:
        """Số, ký hiệu as printed: `123/VPCP-TEST`."""
        return f"{self.code_number}/{self.code_notation}"


def to_edoc(
    record: OutgoingRecord,
    *,
    attachments: Sequence[Attachment],
    sent_at: datetime,
    staff: StaffInfo | None = None,
    sender: Organization | None = None,
) -> Edoc:
    """Return the new-document edoc for an issued document.

    :param sender: full sender details; by default only the record's id and name.
    :raises InvalidMessage: the document is secret (never sent electronically).
    """
    require_sendable(record.secrecy)
    return Edoc(
        sender=sender or Organization(record.organ_id, record.organ_name),
        recipients=tuple(Organization(r.organ_id, r.organ_name) for r in record.recipients),
        code_number=record.code_number,
        code_notation=record.code_notation,
        promulgation_date=record.issued_date,
        subject=record.subject,
        document_id=record.document_id,
        place=record.place,
        document_type=DocumentType(type=record.type_code, type_name=record.type_name),
        content=record.content,
        signer=SignerInfo(
            record.signer_competence, record.signer_position, record.signer_full_name
        ),
        due_date=record.due_date,
        other=OtherInfo(
            priority=priority_of(record.urgency),
            promulgation_amount=record.issued_amount,
            page_amount=record.page_amount,
        ),
        to_places=record.to_places,
        traces=(TraceHeader(record.organ_id, sent_at),),
        business=Business(staff=staff or StaffInfo()),
        attachments=tuple(attachments),
    )


def from_edoc(edoc: Edoc) -> IncomingRecord:
    """Return the registry fields an arriving edoc fills."""
    return IncomingRecord(
        organ_id=edoc.sender.organ_id,
        organ_name=edoc.sender.organ_name,
        type_name=edoc.document_type.type_name,
        code_number=edoc.code_number,
        code_notation=edoc.code_notation,
        issued_date=edoc.promulgation_date,
        subject=edoc.subject,
        page_amount=_page_amount(edoc.other.page_amount),
        signer_position=edoc.signer.position,
        signer_full_name=edoc.signer.full_name,
        urgency=urgency_of(edoc.other.priority),
        to_places="; ".join(edoc.to_places)[:TO_PLACES_MAX],
        trace="\n".join(_hop(t) for t in edoc.traces),
        due_date=edoc.due_date,
        document_id=edoc.document_id,
    )


def _page_amount(value: int | None) -> int | None:
    """Return the page count if the register can hold it (Phụ lục VI: three digits), else None."""
    return value if value is not None and 0 < value < 1000 else None


def _hop(trace: TraceHeader) -> str:
    if trace.timestamp is None:
        return trace.organ_id
    t = trace.timestamp.astimezone(VN_TZ)
    return f"{t:%d/%m/%Y %H:%M:%S} {trace.organ_id}".strip()
