"""Tables of the organisation slice."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eoffice.clock import now
from eoffice.db import Base


class AdminLevel(enum.StrEnum):
    """Administrative level of an agency (two-level local government since 01/07/2025)."""

    TRUNG_UONG = "trung_uong"
    TINH = "tinh"
    XA = "xa"
    HUYEN = "huyen"  # only for records dated up to 30/06/2025

    @property
    def label(self) -> str:
        return _LEVEL_LABELS[self]


_LEVEL_LABELS = {
    AdminLevel.TRUNG_UONG: "Trung ương",
    AdminLevel.TINH: "Tỉnh",
    AdminLevel.XA: "Xã",
    AdminLevel.HUYEN: "Huyện (dữ liệu cũ)",
}


class Role(enum.StrEnum):
    ADMIN = "admin"
    CLERK = "clerk"
    LEADER = "leader"
    UNIT_HEAD = "unit_head"
    SPECIALIST = "specialist"

    @property
    def label(self) -> str:
        return _ROLE_LABELS[self]


_ROLE_LABELS = {
    Role.ADMIN: "Quản trị",
    Role.CLERK: "Văn thư",
    Role.LEADER: "Lãnh đạo",
    Role.UNIT_HEAD: "Trưởng đơn vị",
    Role.SPECIALIST: "Chuyên viên",
}


class Power(enum.StrEnum):
    """What a delegation lets the delegate do on the delegator's behalf."""

    ASSIGN = "assign"  # cho ý kiến, phân công văn bản đến
    SIGN = "sign"  # ký văn bản đi
    APPROVE = "approve"  # duyệt dự thảo
    HANDLE = "handle"  # xử lý văn bản, nhiệm vụ

    @property
    def label(self) -> str:
        return _POWER_LABELS[self]


_POWER_LABELS = {
    Power.ASSIGN: "Cho ý kiến, phân công",
    Power.SIGN: "Ký văn bản",
    Power.APPROVE: "Duyệt dự thảo",
    Power.HANDLE: "Xử lý văn bản, nhiệm vụ",
}


class Agency(Base):
    """A state agency (cơ quan), identified by its QCVN 102 electronic ID."""

    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(35), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    short_name: Mapped[str] = mapped_column(String(20))
    level: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    exchanges_via_vxp: Mapped[bool] = mapped_column(Boolean, default=False)
    is_local: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    """Hosted on this instance (documents are delivered internally); False for directory entries
    of other systems, reached through VXP."""
    address: Mapped[str] = mapped_column(String(250), default="")
    email: Mapped[str] = mapped_column(String(100), default="")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=now)

    parent: Mapped[Agency | None] = relationship(remote_side=[id])
    units: Mapped[list[Unit]] = relationship(back_populates="agency", order_by="Unit.name")


class Unit(Base):
    """A unit (đơn vị, phòng ban) inside an agency."""

    __tablename__ = "units"
    __table_args__ = (UniqueConstraint("agency_id", "short_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    short_name: Mapped[str] = mapped_column(String(20))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    agency: Mapped[Agency] = relationship(back_populates="units")


class User(Base):
    """A person who logs in; belongs to one agency and optionally one unit."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(50))
    position: Mapped[str] = mapped_column(String(100), default="")
    email: Mapped[str] = mapped_column(String(100), default="")
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(255), default="")
    has_demo_password: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=now)
    session_epoch: Mapped[int] = mapped_column(default=0, server_default="0")
    """Raised at logout: a login session remembers the epoch it began in and dies with it."""

    agency: Mapped[Agency] = relationship()
    unit: Mapped[Unit | None] = relationship()
    role_rows: Mapped[list[UserRole]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(Role(r.role) for r in self.role_rows)

    def has_role(self, *roles: Role) -> bool:
        """Return whether the user holds any of ``roles``."""
        return bool(self.roles.intersection(roles))


class UserRole(Base):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(20), primary_key=True)


class Delegation(Base):
    """Ủy quyền: the delegate may act for the delegator, for some powers, within a period."""

    __tablename__ = "delegations"

    id: Mapped[int] = mapped_column(primary_key=True)
    delegator_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    delegate_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    powers: Mapped[str] = mapped_column(String(200))
    """Comma-separated :class:`Power` values."""
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=now)
    revoked_at: Mapped[datetime | None]

    delegator: Mapped[User] = relationship(foreign_keys=[delegator_id])
    delegate: Mapped[User] = relationship(foreign_keys=[delegate_id])

    @property
    def power_set(self) -> frozenset[Power]:
        return frozenset(Power(p) for p in self.powers.split(",") if p)


class ApiToken(Base):
    """A machine client's bearer token; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=now)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class LoginThrottle(Base):
    """Failed logins per user name (known or not), for throttling across processes."""

    __tablename__ = "login_throttles"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    first_failure_at: Mapped[datetime]
    locked_until: Mapped[datetime | None]


class RateCounter(Base):
    """Events (failed logins, bad API tokens) counted per scope and key in a fixed window.

    Kept in the database so that every web process shares the count; see ``org/throttle.py``.
    """

    __tablename__ = "rate_counters"

    scope: Mapped[str] = mapped_column(String(20), primary_key=True)
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    window_start: Mapped[datetime]
    count: Mapped[int] = mapped_column(default=0)


class CredentialKind(enum.StrEnum):
    PKCS12 = "pkcs12"  # a passphrase-protected file kept here; unlocked per signature
    PKCS11 = "pkcs11"  # a token or HSM reached through a PKCS#11 module
    EXTERNAL = "external"  # a USB token on the user's computer (interrupted signing)


class SigningCredential(Base):
    """A person's signing key and handwritten-signature image, or an agency's seal key and image.

    A PKCS#12 file is stored as it came: encrypted with its passphrase, which is never stored.
    A PKCS#11 key is found by token and key label in the module of ``signing_pkcs11_module``;
    its PIN is asked at each signature. An external key stays on the user's USB token.
    """

    __tablename__ = "signing_credentials"
    __table_args__ = (
        CheckConstraint("(user_id IS NULL) <> (agency_id IS NULL)", name="one_owner"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    pkcs12: Mapped[bytes | None] = mapped_column(LargeBinary)
    pkcs11_token_label: Mapped[str] = mapped_column(String(100), default="")
    pkcs11_key_label: Mapped[str] = mapped_column(String(100), default="")
    certificate_pem: Mapped[str] = mapped_column(Text, default="", server_default="")
    """PKCS#11 and external: the signer's certificate then its chain (PEM). The server needs it
    to prepare a signature whose key it never holds, and tokens often lack the intermediates."""
    image_png: Mapped[bytes | None] = mapped_column(LargeBinary)
    """Blue handwritten signature (person) or red seal at actual size (agency), transparent PNG."""
    certificate_subject: Mapped[str] = mapped_column(String(300), default="")
    certificate_not_after: Mapped[datetime | None]
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=now)


Index("ix_delegations_active", Delegation.delegate_id, Delegation.ends_at)
