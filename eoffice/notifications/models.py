"""Tables of notifications: in-app messages and the e-mail outbox."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from eoffice.clock import now
from eoffice.db import Base


class Notification(Base):
    """A message shown to one user in the application (the bell), read or unread."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_unread", "user_id", "read_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str] = mapped_column(String(500), default="")
    """A path inside the application (e.g. ``/tasks/12``), never an outside address."""
    dedup_key: Mapped[str] = mapped_column(String(200), unique=True)
    """Whatever caused the message, once per user: a retried job cannot show it twice."""
    created_at: Mapped[datetime] = mapped_column(default=now)
    read_at: Mapped[datetime | None]


class MailState(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    DEAD = "dead"  # retries exhausted; the in-app notification still exists


class OutgoingMail(Base):
    """One e-mail to send after commit. The body is rendered when sending, from ``content``."""

    __tablename__ = "outgoing_mail"
    __table_args__ = (Index("ix_outgoing_mail_due", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dedup_key: Mapped[str] = mapped_column(String(200), unique=True)
    """What caused the e-mail, once per recipient; it is also the left part of the Message-ID,
    so a retry after a crash resends the same Message-ID (SMTP delivery is at least once)."""
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    to_address: Mapped[str] = mapped_column(String(200))
    to_name: Mapped[str] = mapped_column(String(100), default="")
    subject: Mapped[str] = mapped_column(String(300))
    content: Mapped[dict[str, Any]]
    """``{"heading": str, "items": [{"text": str, "link": str}], "note": str}``; links are
    paths inside the application, made absolute with the base URL when the mail is sent."""
    state: Mapped[str] = mapped_column(String(10), default=MailState.PENDING.value)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=now)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=now)
    sent_at: Mapped[datetime | None]
