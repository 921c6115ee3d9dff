"""Worker heartbeats (what /healthz reports)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from eoffice.db import Base


class WorkerHeartbeat(Base):
    __tablename__ = "worker_heartbeats"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    """Host and process id of the worker, e.g. ``web-1:4242``."""
    beat_at: Mapped[datetime]
    started_at: Mapped[datetime]
