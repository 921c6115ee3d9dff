"""The local axis's own tables (own MetaData; schema from vxp_adapter/hub_migrations)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class HubBase(DeclarativeBase):
    """Declarative base of the hub; its metadata is separate from eoffice's."""

    metadata = MetaData(naming_convention=NAMING)


def utcnow() -> datetime:
    """Return the current time in UTC (the hub is its own program, with its own clock)."""
    return datetime.now(UTC)


class System(HubBase):
    """A client system (mã trung tâm) with its HMAC secret."""

    __tablename__ = "vxp_hub_system"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    system_id: Mapped[str] = mapped_column(String(100), unique=True)
    # The HMAC key itself is needed to verify requests, so it cannot be stored hashed.
    secret: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    agencies: Mapped[list[Agency]] = relationship(secondary="vxp_hub_system_agency")


class Agency(HubBase):
    """An agency of the hub's directory."""

    __tablename__ = "vxp_hub_agency"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(500), default="")
    mail: Mapped[str] = mapped_column(String(200), default="")
    parent_code: Mapped[str] = mapped_column(String(100), default="")
    old_code: Mapped[str] = mapped_column(String(100), default="")


class SystemAgency(HubBase):
    """Which agencies a system may send and receive for."""

    __tablename__ = "vxp_hub_system_agency"

    system_pk: Mapped[int] = mapped_column(ForeignKey("vxp_hub_system.id"), primary_key=True)
    agency_pk: Mapped[int] = mapped_column(ForeignKey("vxp_hub_agency.id"), primary_key=True)


class Message(HubBase):
    """A message as received by sendEdoc (its id is the sender's DocId)."""

    __tablename__ = "vxp_hub_message"
    __table_args__ = (UniqueConstraint("from_code", "message_type", "sha256"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    system_pk: Mapped[int] = mapped_column(ForeignKey("vxp_hub_system.id"))
    from_code: Mapped[str] = mapped_column(String(100))
    message_type: Mapped[str] = mapped_column(String(10))
    service_type: Mapped[str] = mapped_column(String(20))
    document_id: Mapped[str] = mapped_column(String(500))
    """edXML DocumentId of an edoc, ResponseFor/DocumentId of a status."""
    subject: Mapped[str] = mapped_column(Text, default="")
    notation: Mapped[str] = mapped_column(String(100), default="")
    status_code: Mapped[str] = mapped_column(String(10), default="")
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Delivery(HubBase):
    """One message queued for one recipient (its id is the receiver's docId)."""

    __tablename__ = "vxp_hub_delivery"
    __table_args__ = (
        UniqueConstraint("message_id", "to_code"),
        Index("ix_vxp_hub_delivery_queue", "to_code", "state"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    message_id: Mapped[str] = mapped_column(ForeignKey("vxp_hub_message.id"))
    to_code: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(20))
    """initial, processing, done or fail (transport acknowledgement, not business status)."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    message: Mapped[Message] = relationship()


class SeenRequest(HubBase):
    """A state-changing request already served: a replay gets the same answer, no new effect."""

    __tablename__ = "vxp_hub_request"

    fingerprint: Mapped[str] = mapped_column(String(64), primary_key=True)
    system_pk: Mapped[int] = mapped_column(ForeignKey("vxp_hub_system.id"))
    operation: Mapped[str] = mapped_column(String(40))
    answer: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
