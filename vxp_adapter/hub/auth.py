"""Check a request's `XroadVnpt-*` signature the way a server must (vxp-edxml.md §5a).

The HMAC is verified over the `sign-header` bytes exactly as received, never over a string
rebuilt in an assumed order; then each signed entry must match its `XroadVnpt-<k>` header.
Parameters are read from the signed entries only, so an unsigned header can change nothing.
Unexpected keys are ignored (the official client leaks keys from earlier calls).
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass

from vxp_adapter.errors import VxpError
from vxp_adapter.headers import HASH_HEADER, PREFIX, SIGN_HEADER, hmac_hex

MAX_SIGN_HEADER = 16 * 1024


class HubFailure(VxpError):
    """A request the hub refuses; becomes a FAIL answer with this code and description."""

    def __init__(self, code: str, desc: str, http_status: int = 400) -> None:
        self.code = code
        self.desc = desc
        self.http_status = http_status
        super().__init__(f"{code}: {desc}")


def auth_failure(detail: str) -> HubFailure:
    """Return the failure for any authentication problem (one message, no oracle)."""
    return HubFailure("AUTH_FAILED", f"Xác thực không thành công ({detail})", 401)


@dataclass(frozen=True)
class SignedRequest:
    """What a verified request says, from its signed entries only."""

    system_id: str
    params: dict[str, str]
    """Signed keys, lower-cased, to their values."""
    hash_header: str

    def get(self, key: str) -> str | None:
        """Return a signed parameter (case-insensitive), or None."""
        return self.params.get(key.lower())

    def require(self, key: str) -> str:
        """Return a signed parameter.

        :raises HubFailure: the parameter is missing or not signed.
        """
        value = self.get(key)
        if value is None or value == "":
            raise HubFailure("BAD_REQUEST", f"Thiếu tham số được ký: {key}")
        return value


def verify_request(
    header: Callable[[str], bytes | None], secret_of: Callable[[str], str | None]
) -> SignedRequest:
    """Verify the signature of a request.

    :param header: returns a request header's raw bytes by name, or None.
    :param secret_of: returns a system's secret, or None for an unknown system.
    :raises HubFailure: AUTH_FAILED for a missing, malformed or wrong signature.
    """
    sign = header(SIGN_HEADER)
    given = header(HASH_HEADER)
    if not sign or not given:
        raise auth_failure("thiếu chữ ký")
    if len(sign) > MAX_SIGN_HEADER:
        raise auth_failure("chữ ký quá dài")
    pairs = _signed_pairs(sign)
    params: dict[str, str] = {}
    for key, value in pairs:
        if params.setdefault(key.lower(), value) != value:
            raise auth_failure(f"khóa lặp: {key}")
    system_id = params.get("systemid", "")
    secret = secret_of(system_id) if system_id else None
    if secret is None:
        raise auth_failure("hệ thống không xác định")
    expected = hmac_hex(secret, sign)
    if not hmac.compare_digest(expected, given.strip().lower().decode("ascii", "replace")):
        raise auth_failure("sai mã HMAC")
    for key, value in pairs:
        if header(PREFIX + key) != value.encode("utf-8"):
            raise auth_failure(f"tiêu đề {PREFIX}{key} không khớp phần đã ký")
    if not params.get("timestamp"):
        raise auth_failure("thiếu timestamp")
    return SignedRequest(system_id, params, expected)


def _signed_pairs(sign: bytes) -> list[tuple[str, str]]:
    if not sign.lstrip().startswith(b"{"):
        raise auth_failure("sign-header không phải đối tượng JSON")
    try:
        pairs = json.loads(sign.decode("utf-8"), object_pairs_hook=list)
    except (UnicodeDecodeError, ValueError):
        raise auth_failure("sign-header không phải JSON") from None
    if not isinstance(pairs, list):
        raise auth_failure("sign-header không phải đối tượng JSON")
    result: list[tuple[str, str]] = []
    for key, value in pairs:
        if not isinstance(value, str) or not key.startswith(PREFIX) or len(key) == len(PREFIX):
            raise auth_failure(f"mục ký không hợp lệ: {key}")
        result.append((key[len(PREFIX) :], value))
    return result
