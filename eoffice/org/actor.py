"""Who is acting: the user, on whose behalf (delegation), and from where."""

from __future__ import annotations

from dataclasses import dataclass

from eoffice.errors import PermissionDenied
from eoffice.org.models import Power, Role, User


@dataclass(frozen=True)
class Actor:
    """The caller of a service. ``user`` is None for the system (CLI, worker jobs)."""

    user: User | None
    ip: str = ""
    on_behalf_of: User | None = None
    """The delegator when the user acts under a delegation ("X thay mặt Y")."""
    powers: frozenset[Power] | None = None
    """What the delegation allows; None when the user acts in their own right."""

    @classmethod
    def system(cls) -> Actor:
        return cls(user=None, ip="")

    @property
    def user_id(self) -> int | None:
        return self.user.id if self.user else None

    @property
    def agency_id(self) -> int | None:
        principal = self.principal
        return principal.agency_id if principal else None

    @property
    def principal(self) -> User | None:
        """The user whose powers are being used: the delegator if acting on behalf, else the user."""
        return self.on_behalf_of or self.user

    def has_role(self, *roles: Role) -> bool:
        """Return whether the principal holds one of ``roles`` (system actors hold none)."""
        return bool(self.principal and self.principal.has_role(*roles))

    def require_power(self, power: Power) -> None:
        """:raises PermissionDenied: when acting on behalf without ``power`` in the delegation."""
        if self.on_behalf_of is not None and (self.powers is None or power not in self.powers):
            raise PermissionDenied("Ủy quyền của bạn không bao gồm việc này")

    @property
    def is_admin(self) -> bool:
        return bool(self.user and self.user.has_role(Role.ADMIN))
