"""What an edXML message says, as plain frozen dataclasses (no XML here)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime

from vxp_adapter.codes import BusinessDocType


@dataclass(frozen=True)
class Organization:
    """An agency as edXML names it (`From`, `To`)."""

    organ_id: str
    """Mã định danh (QCVN 102 form, e.g. `000.00.00.G22`; not enforced by the axis)."""
    organ_name: str = ""
    organization_in_charge: str = ""
    organ_add: str = ""
    email: str = ""
    telephone: str = ""
    fax: str = ""
    website: str = ""


@dataclass(frozen=True)
class DocumentType:
    """`DocumentType`: the type code list is disputed, so the name is what matters."""

    type: int = 1
    type_detail: int = 0
    type_name: str = ""


@dataclass(frozen=True)
class SignerInfo:
    """Người ký."""

    competence: str = ""
    """Thẩm quyền ký, e.g. `KT. BỘ TRƯỞNG`."""
    position: str = ""
    full_name: str = ""


@dataclass(frozen=True)
class OtherInfo:
    """`OtherInfo`."""

    priority: int = 0
    """0 thường, 1 khẩn, 2 thượng khẩn, 3 hỏa tốc, 4 hỏa tốc hẹn giờ (legacy)."""
    sphere_of_promulgation: str = ""
    typer_notation: str = ""
    promulgation_amount: int | None = None
    page_amount: int | None = None
    direction: bool = False
    appendixes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ResponseFor:
    """A reference to another document (the one answered, revoked, or a status is about)."""

    organ_id: str
    document_id: str
    code: str = ""
    """`số/ký hiệu` of the referenced document, e.g. `7816/VPCP-TTĐT`."""
    promulgation_date: date | None = None


@dataclass(frozen=True)
class TraceHeader:
    """One hop of the route trace."""

    organ_id: str
    timestamp: datetime | None
    """Aware; edXML writes it in local time (UTC+07:00)."""


@dataclass(frozen=True)
class StaffInfo:
    """The clerk or officer behind a message."""

    department: str = ""
    staff: str = ""
    email: str = ""
    mobile: str = ""
    department_id: str = ""
    staff_id: str = ""


@dataclass(frozen=True)
class Receiver:
    """One entry of an update's receiver list (`ReceiverType` meaning is unverified)."""

    organ_id: str
    receiver_type: int = 0


@dataclass(frozen=True)
class DocumentUpdate:
    """`BussinessDocumentInfo` of an update (type 2)."""

    document_info: bool = False
    """The document's metadata changed."""
    document_receiver: bool = False
    """The receiver list changed."""
    receivers: tuple[Receiver, ...] = ()


@dataclass(frozen=True)
class Replacement:
    """`ReplacementInfo` of a replacement (type 3): which document is replaced, for whom."""

    document_id: str
    organ_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Business:
    """The `Bussiness` block: what the edoc does to the exchange."""

    doc_type: BusinessDocType = BusinessDocType.NEW
    reason: str = ""
    paper: bool = False
    """A paper copy is also sent."""
    document_id: str = ""
    """The document revoked or updated, when given."""
    staff: StaffInfo = field(default_factory=StaffInfo)
    update: DocumentUpdate | None = None
    replacements: tuple[Replacement, ...] = ()


@dataclass(frozen=True)
class Attachment:
    """An attached file, always as the file itself (decoded, unzipped)."""

    name: str
    data: bytes = field(repr=False)
    content_type: str = ""
    """MIME type of the file; guessed from the name when empty."""
    description: str = ""
    content_id: str = ""
    """Link between manifest and attachment, without any `cid:`; generated when empty."""
    transfer_zipped: bool = False
    """The file travelled zipped (set by the parser; the builder decides by itself)."""

    @property
    def size(self) -> int:
        """Size of the file in bytes."""
        return len(self.data)

    @property
    def sha256(self) -> str:
        """Hex SHA-256 of the file."""
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class Edoc:
    """An edoc message: a new document, or a revocation, update or replacement of one."""

    sender: Organization
    recipients: tuple[Organization, ...]
    code_number: str
    code_notation: str
    promulgation_date: date
    subject: str
    document_id: str = ""
    """`{OrganId},{yyyy/MM/dd},{số}/{ký hiệu}` by convention; see `default_document_id`."""
    place: str = ""
    document_type: DocumentType = field(default_factory=DocumentType)
    content: str = ""
    signer: SignerInfo = field(default_factory=SignerInfo)
    due_date: date | None = None
    other: OtherInfo = field(default_factory=OtherInfo)
    response_for: tuple[ResponseFor, ...] = ()
    steering_type: int | None = None
    to_places: tuple[str, ...] = ()
    traces: tuple[TraceHeader, ...] = ()
    business: Business = field(default_factory=Business)
    attachments: tuple[Attachment, ...] = ()
    has_signature: bool = False
    """An XML signature was present (parsed only; it is not verified, see vxp-edxml.md §5a)."""
    warnings: tuple[str, ...] = ()
    """What the parser tolerated (odd OrganIds, unreadable optional dates, duplicates)."""

    @property
    def notation(self) -> str:
        """`số/ký hiệu`, e.g. `123/VPCP-TEST`."""
        return f"{self.code_number}/{self.code_notation}"

    @property
    def target_document_id(self) -> str:
        """The document a revocation, update or replacement acts on, as senders give it."""
        if self.business.document_id:
            return self.business.document_id
        if self.response_for:
            return self.response_for[0].document_id
        if self.business.replacements:
            return self.business.replacements[0].document_id
        return ""


@dataclass(frozen=True)
class StatusMessage:
    """A status message (gói tin trạng thái) about a document."""

    sender: Organization
    """The agency reporting the status."""
    response_for: ResponseFor
    """The document the status is about; `organ_id` is the counterparty."""
    status_code: str
    """01…16 as a string; unknown codes are kept as they are."""
    description: str = ""
    timestamp: datetime | None = None
    staff: StaffInfo = field(default_factory=StaffInfo)
    warnings: tuple[str, ...] = ()


def default_document_id(organ_id: str, issued: date, code_number: str, notation: str) -> str:
    """Return the conventional DocumentId `{OrganId},{yyyy/MM/dd},{số}/{ký hiệu}`."""
    return (
        f"{organ_id},{issued.year:04d}/{issued.month:02d}/{issued.day:02d},{code_number}/{notation}"
    )
