"""Tables of the registry: number series, documents, files, assignments, recipients, grants."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eoffice.clock import now
from eoffice.db import Base
from eoffice.org.models import Agency, Unit, User


class Direction(enum.StrEnum):
    INCOMING = "incoming"
    OUTGOING = "outgoing"


class SeriesKind(enum.StrEnum):
    INCOMING = "incoming"
    OUTGOING = "outgoing"


class NumberSeries(Base):
    """A register's number series for one agency and year (sổ văn bản đến / đi, mật, QPPL).

    ``next_number`` is the counter: it is incremented in the same transaction that registers the
    document, so a rolled-back registration gives its number back and numbers stay gap-free.
    """

    __tablename__ = "number_series"
    __table_args__ = (
        UniqueConstraint("agency_id", "year", "code"),
        CheckConstraint("next_number >= 1", name="next_number_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    year: Mapped[int]
    code: Mapped[str] = mapped_column(String(40))
    """Stable key: ``den``, ``di``, ``den-mat``, ``di-mat``, ``di-qppl-QD`` …"""
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    is_secret: Mapped[bool] = mapped_column(Boolean, default=False)
    type_code: Mapped[str | None] = mapped_column(String(10))
    """Only this document type is numbered here (legal-normative series), or None for any."""
    next_number: Mapped[int] = mapped_column(Integer, default=1)


class Blob(Base):
    """A stored file, named by the SHA-256 of its bytes (the store on disk holds the bytes)."""

    __tablename__ = "blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int]
    content_type: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=now)


class Document(Base):
    """A document in an agency's registers: incoming (văn bản đến) or outgoing (văn bản đi)."""

    __tablename__ = "documents"
    __table_args__ = (
        UniqueConstraint("series_id", "number"),
        Index("ix_documents_queue", "agency_id", "direction", "status", "id"),
        Index("ix_documents_agency_arrival", "agency_id", "direction", "arrival_date", "id"),
        Index("ix_documents_duplicate", "agency_id", "code_number", "code_notation"),
        Index("ix_documents_edxml", "agency_id", "edxml_document_id"),
        # An agency's documents newest first: a search for common words stops at its 50th match.
        Index("ix_documents_agency_newest", "agency_id", "id"),
        # Who is involved (eoffice.documents.access), with the id: read from the index alone.
        Index("ix_documents_drafter", "drafter_id", "id"),
        Index("ix_documents_signer", "signer_id", "id"),
        Index("ix_documents_presented_to", "presented_to_id", "id"),
        Index("ix_documents_drafting_unit", "drafting_unit_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    direction: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20))
    series_id: Mapped[int | None] = mapped_column(ForeignKey("number_series.id"))
    number: Mapped[int | None]
    """Số đến (incoming) or số đi (outgoing) in its series; None until registered."""
    year: Mapped[int | None]

    # Phụ lục VI fields (lengths as the decree gives them).
    code_number: Mapped[str] = mapped_column(String(11), default="")
    code_notation: Mapped[str] = mapped_column(String(30), default="")
    type_code: Mapped[str] = mapped_column(String(10))
    type_name: Mapped[str] = mapped_column(String(100))
    subject: Mapped[str] = mapped_column(String(500))
    organ_name: Mapped[str] = mapped_column(String(200), default="")
    organ_id: Mapped[str] = mapped_column(String(35), default="")
    issued_date: Mapped[date | None] = mapped_column(Date)
    signer_name: Mapped[str] = mapped_column(String(50), default="")
    signer_position: Mapped[str] = mapped_column(String(100), default="")
    urgency: Mapped[str] = mapped_column(String(20), default="thuong")
    secrecy: Mapped[str] = mapped_column(String(20), default="thuong")
    language: Mapped[str] = mapped_column(String(30), default="Tiếng Việt")
    page_amount: Mapped[int | None]
    description: Mapped[str] = mapped_column(String(500), default="")
    due_date: Mapped[date | None] = mapped_column(Date)
    arrival_date: Mapped[date | None] = mapped_column(Date)
    arrival_at: Mapped[datetime | None]
    to_places: Mapped[str] = mapped_column(String(1000), default="")
    issued_amount: Mapped[int | None]
    edxml_document_id: Mapped[str] = mapped_column(String(200), default="")

    source: Mapped[str] = mapped_column(String(20), default="upload")
    """upload | internal | vxp | draft"""
    sender_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    """For an incoming document sent on this instance: the sender's outgoing document."""
    in_reply_to_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), index=True)
    """The earlier document this one replaces (văn bản thay thế, edXML business type 3): the
    sender's issued outgoing document, or at a receiver its incoming copy of that document."""
    drafting_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    drafter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    signer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    """Outgoing: the leader who approves and signs."""
    presented_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    """Incoming: the leader the clerk presented it to."""
    instruction: Mapped[str] = mapped_column(Text, default="")
    """Bút phê: the leader's instruction on an incoming document."""
    main_file_sha256: Mapped[str | None] = mapped_column(ForeignKey("blobs.sha256"))
    verify_code: Mapped[str | None] = mapped_column(String(32), index=True, unique=True)
    """Random code in the QR of an issued document: /verify/<code> shows its metadata and hash."""
    signature_status: Mapped[str] = mapped_column(String(10), default="", server_default="")
    """green | amber | red from validating the main PDF's signatures; empty when not validated."""
    signature_report: Mapped[dict[str, Any] | None]
    archive_due_at: Mapped[datetime | None] = mapped_column(index=True)
    """When the worker must add or renew the PDF's validation data and document timestamp
    (signing requests never call the TSA; see eoffice.documents.archive)."""
    signature_recheck_at: Mapped[datetime | None] = mapped_column(index=True)
    """When the worker must validate the main PDF again with OCSP/CRL fetched online (a web
    request validated it offline); None when settled."""
    signature_rechecks: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Online re-validations tried so far (the retry interval grows with it)."""
    search_text: Mapped[str] = mapped_column(Text, default="")
    """Folded (no diacritics, đ→d) subject, số/ký hiệu, agency, notes and PDF text, for search."""
    cancelled_at: Mapped[datetime | None]
    """When the document left the live register: cancelled, withdrawn by its sender (outgoing),
    or recalled by its sender (incoming). The row and its number stay; the register says so."""
    cancel_reason: Mapped[str] = mapped_column(String(500), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=now)
    updated_at: Mapped[datetime] = mapped_column(default=now, onupdate=now)
    registered_at: Mapped[datetime | None]
    issued_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]

    agency: Mapped[Agency] = relationship(foreign_keys=[agency_id])
    series: Mapped[NumberSeries | None] = relationship()
    drafting_unit: Mapped[Unit | None] = relationship()
    signer: Mapped[User | None] = relationship(foreign_keys=[signer_id])
    presented_to: Mapped[User | None] = relationship(foreign_keys=[presented_to_id])
    drafter: Mapped[User | None] = relationship(foreign_keys=[drafter_id])
    files: Mapped[list[DocumentFile]] = relationship(
        back_populates="document", order_by="DocumentFile.id", cascade="all, delete-orphan"
    )
    assignments: Mapped[list[Assignment]] = relationship(
        back_populates="document", order_by="Assignment.id", cascade="all, delete-orphan"
    )
    recipients: Mapped[list[Recipient]] = relationship(
        back_populates="document",
        order_by="Recipient.id",
        cascade="all, delete-orphan",
        foreign_keys="Recipient.document_id",
    )

    @property
    def code(self) -> str:
        """The "số, ký hiệu" string, e.g. ``15/QĐ-UBND`` (empty before numbering)."""
        if not self.code_number:
            return self.code_notation
        return (
            f"{self.code_number}/{self.code_notation}" if self.code_notation else self.code_number
        )


class DocumentFile(Base):
    __tablename__ = "document_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"))
    filename: Mapped[str] = mapped_column(String(255))
    """The uploader's file name, kept as metadata only (never used as a path)."""
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    is_main: Mapped[bool] = mapped_column(Boolean, default=False)
    kind: Mapped[str] = mapped_column(String(20), default="original")
    """original | signed | issued: successive versions of the main PDF."""
    created_at: Mapped[datetime] = mapped_column(default=now)

    document: Mapped[Document] = relationship(back_populates="files")


class ExternalSignature(Base):
    """A signature waiting for a USB token on the user's computer (interrupted signing).

    The server prepared the PDF and the bytes to sign; the user's signing tool returns the
    signature value to the same user's session or API token before ``expires_at``.
    """

    __tablename__ = "external_signatures"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    """Who started it; only they may finish it."""
    credential_id: Mapped[int] = mapped_column(ForeignKey("signing_credentials.id"))
    step: Mapped[str] = mapped_column(String(10))
    """sign (the leader's signature) | seal (the agency's signature at issue)"""
    base_sha256: Mapped[str] = mapped_column(String(64))
    """The main file it was prepared from: finishing is refused if the document changed since."""
    state: Mapped[str] = mapped_column(Text)
    """signing.PendingSignature.to_json(): the prepared PDF and the signed attributes."""
    created_at: Mapped[datetime] = mapped_column(default=now)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class AssignmentRole(enum.StrEnum):
    LEAD = "lead"  # chủ trì
    COOPERATE = "cooperate"  # phối hợp
    INFORM = "inform"  # nhận để biết


class Assignment(Base):
    """Who handles an incoming document: one lead, co-operating and for-information recipients."""

    __tablename__ = "assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(20))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    deadline: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("assignments.id"), index=True)
    """Set when a unit head passes the unit's assignment to a person of the unit."""
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    completed_at: Mapped[datetime | None]
    result: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=now)

    document: Mapped[Document] = relationship(back_populates="assignments")
    unit: Mapped[Unit | None] = relationship()
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])


class RecipientStatus(enum.StrEnum):
    PENDING = "pending"  # chờ gửi
    SENT = "sent"  # đã gửi (VXP transport done)
    ARRIVED = "arrived"  # đã đến (01)
    ACCEPTED = "accepted"  # đã tiếp nhận (03)
    REJECTED = "rejected"  # từ chối (02)
    ASSIGNED = "assigned"  # đã phân công (04)
    PROCESSING = "processing"  # đang xử lý (05)
    COMPLETED = "completed"  # hoàn thành (06)
    RECALL_REQUESTED = "recall_requested"  # đã gửi yêu cầu thu hồi (13), chờ trả lời
    RECALLED = "recalled"  # đã thu hồi (15, or applied at once on this instance)
    RECALL_REFUSED = "recall_refused"  # nơi nhận từ chối thu hồi (16)


class ChangeStatus(enum.StrEnum):
    """Where the latest metadata update (edXML business type 2) stands at one recipient."""

    NONE = ""
    PENDING = "update_pending"  # sent through VXP, no answer yet
    APPLIED = "update_applied"  # 15, or applied at once on this instance
    REFUSED = "update_refused"  # 16


class Recipient(Base):
    """One recipient of an issued document, with its delivery and handling status."""

    __tablename__ = "recipients"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    """The recipient agency when it is known on this instance (internal or directory)."""
    organ_id: Mapped[str] = mapped_column(String(35))
    organ_name: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(10))
    """internal (same instance) | vxp (national axis)."""
    status: Mapped[str] = mapped_column(String(20), default=RecipientStatus.PENDING.value)
    status_at: Mapped[datetime] = mapped_column(default=now)
    reason: Mapped[str] = mapped_column(String(500), default="")
    incoming_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    """The receiver's incoming document (internal exchange)."""
    change_status: Mapped[str] = mapped_column(String(20), default="", server_default="")
    """The latest metadata update's outcome at this recipient (`ChangeStatus`)."""

    document: Mapped[Document] = relationship(
        back_populates="recipients", foreign_keys=[document_id]
    )
    agency: Mapped[Agency | None] = relationship()


class SecretGrant(Base):
    """A user explicitly allowed to see one secret document."""

    __tablename__ = "secret_grants"

    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    granted_at: Mapped[datetime] = mapped_column(default=now)


Index("ix_assignments_user_active", Assignment.user_id, Assignment.is_active)
Index("ix_assignments_unit_active", Assignment.unit_id, Assignment.is_active)
# A unit's documents (eoffice.documents.access involvement), read from the index alone.
Index("ix_assignments_unit_document", Assignment.unit_id, Assignment.document_id)
# A user's secret grants (eoffice.documents.access involvement), read from the index alone.
Index("ix_secret_grants_user_document", SecretGrant.user_id, SecretGrant.document_id)
