"""The typed errors services raise; `eoffice.web.errors` maps them to HTTP answers and pages.

Messages are Vietnamese templates (the i18n msgids); ``params`` fill them in after translation.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class EofficeError(Exception):
    """Base of every error a service raises on purpose."""

    code: str = "error"
    http_status: int = 400

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        fields: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.fields = dict(fields or {})
        self.params = dict(params or {})

    def render(self, translate=lambda s: s) -> str:
        """Return the message translated by ``translate`` with its parameters filled in."""
        text = translate(self.message)
        return text.format(**self.params) if self.params else text


class InvalidInput(EofficeError):
    code = "invalid_input"
    http_status = 422


class NotFound(EofficeError):
    code = "not_found"
    http_status = 404


class PermissionDenied(EofficeError):
    code = "forbidden"
    http_status = 403


class Conflict(EofficeError):
    code = "conflict"
    http_status = 409


class InvalidTransition(EofficeError):
    code = "invalid_transition"
    http_status = 409


class AuthenticationFailed(EofficeError):
    code = "authentication_failed"
    http_status = 401


class TooManyAttempts(EofficeError):
    code = "too_many_attempts"
    http_status = 429

    def __init__(self, message: str, *, retry_after: int = 60, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = max(1, retry_after)
        """Seconds until trying again makes sense (the Retry-After header)."""


class ServiceUnavailable(EofficeError):
    code = "service_unavailable"
    http_status = 503
