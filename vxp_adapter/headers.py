"""The VXP request signature: `XroadVnpt-*` headers signed with HMAC-SHA256 (vxp-edxml.md §5, §5a)."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import datetime

from vxp_adapter.dates import VN_TZ
from vxp_adapter.javamap import hashmap_order

PREFIX = "XroadVnpt-"
USER_AGENT = "JAVASDKAgent/1.0.0 XRoad/VPCP"
PROTOCOL_VERSION = "3.0.201608"
SIGN_HEADER_KEY = f"{PREFIX}sign-header-key"
SIGN_HEADER = f"{PREFIX}sign-header"
HASH_HEADER = f"{PREFIX}hash-header"


def sdk_timestamp(now: datetime) -> str:
    """Format the SDK timestamp `ddMMyyyy'T'HHmmss+SSSS` (local time; the 4 digits are ms)."""
    t = now.astimezone(VN_TZ) if now.tzinfo else now
    return (
        f"{t.day:02d}{t.month:02d}{t.year:04d}T{t.hour:02d}{t.minute:02d}{t.second:02d}"
        f"+{t.microsecond // 1000:04d}"
    )


def sdk_hex(digest: bytes) -> str:
    """Hex as the SDK writes it: `Integer.toHexString(b & 0xff)`, so bytes < 16 lose their 0."""
    return "".join(format(b, "x") for b in digest)


def hash_file(data: bytes) -> str:
    """Return the `hash-file` value the SDK computes for an edXML file (unpadded SHA-256 hex)."""
    return sdk_hex(hashlib.sha256(data).digest())


def sign_json(pairs: list[tuple[str, str]]) -> str:
    """Return the compact JSON object `{"XroadVnpt-<k>":"<v>",…}` in the order given."""
    items = (
        f"{json.dumps(PREFIX + k, ensure_ascii=False)}:{json.dumps(v, ensure_ascii=False)}"
        for k, v in pairs
    )
    return "{" + ",".join(items) + "}"


def hmac_hex(secret: str, message: bytes) -> str:
    """Return lowercase hex HMAC-SHA256 of a message under the system's secret."""
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def signed_headers(
    system_id: str,
    secret: str,
    timestamp: str,
    content_type: str,
    params: Mapping[str, str],
    *,
    upload: bool = False,
) -> list[tuple[str, str]]:
    """Return the request headers, in the official client's order, for one call.

    The map is filled as the SDK fills it (systemid, timestamp, Content-Type, then the call's
    json-header keys, `hash-file` last) and iterated in Java HashMap order. The plain
    Content-Type comes first for an upload (sendEdoc) and just before `XroadVnpt-Content-Type`
    otherwise, as recorded from the official client.
    """
    values = {"systemid": system_id, "timestamp": timestamp, "Content-Type": content_type}
    values.update(params)
    order = hashmap_order(["systemid", "timestamp", "Content-Type", *params])
    pairs = [(k, values[k]) for k in order]
    sign = sign_json(pairs)
    headers = [("Content-Type", content_type)] if upload else []
    for k, v in pairs:
        if k == "Content-Type" and not upload:
            headers.append(("Content-Type", content_type))
        headers.append((PREFIX + k, v))
    headers += [
        (SIGN_HEADER_KEY, ";".join(order)),
        (SIGN_HEADER, sign),
        (HASH_HEADER, hmac_hex(secret, sign.encode("utf-8"))),
        ("User-Agent", USER_AGENT),
        (f"{PREFIX}version", PROTOCOL_VERSION),
    ]
    return headers
