"""The outbox: messages a request decided to send, sent by a worker after commit."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from eoffice.clock import now
from eoffice.db import Base


class OutboxKind(enum.StrEnum):
    EDOC = "edoc"  # send an issued document to an external recipient
    STATUS = "status"  # report a business status (01…16) to an external sender


class OutboxState(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    DEAD = "dead"  # retries exhausted: shown to admins, can be re-queued
    CANCELLED = "cancelled"  # not sent: the document was withdrawn before it went out


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("recipients.id"))
    payload: Mapped[dict[str, Any]]
    """What the sender needs beyond the document: status code and description, target code."""
    dedup_key: Mapped[str] = mapped_column(String(200), unique=True)
    """One message per document, recipient and purpose, however often the request is retried."""
    state: Mapped[str] = mapped_column(String(10), default=OutboxState.PENDING.value)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=now)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=now)
    sent_at: Mapped[datetime | None]
    remote_id: Mapped[str] = mapped_column(String(100), default="")
    """The axis' id for what we sent (docId)."""


Index("ix_outbox_due", OutboxMessage.state, OutboxMessage.next_attempt_at)


class InboxState(enum.StrEnum):
    PROCESSED = "processed"
    QUARANTINED = "quarantined"  # unreadable or unusable: kept with its raw bytes for admins


class InboxMessage(Base):
    """A message received from the axis, remembered by its axis id so it is handled once."""

    __tablename__ = "inbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    axis_doc_id: Mapped[str] = mapped_column(String(100), unique=True)
    message_type: Mapped[str] = mapped_column(String(10))
    state: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str] = mapped_column(Text, default="")
    raw: Mapped[bytes | None] = mapped_column(LargeBinary)
    """The message as received, kept only when quarantined."""
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="SET NULL"))
    agency_id: Mapped[int | None] = mapped_column(
        ForeignKey("agencies.id", ondelete="SET NULL"), index=True
    )
    """The local agency the axis addressed it to, when it is one: its admins see it quarantined."""
    received_at: Mapped[datetime] = mapped_column(default=now)
