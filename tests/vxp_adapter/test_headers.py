"""Java hashing, HashMap order and the request signature, against values seen on the wire."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime

import pytest

from vxp_adapter.dates import VN_TZ
from vxp_adapter.headers import (
    hash_file,
    hmac_hex,
    sdk_hex,
    sdk_timestamp,
    sign_json,
    signed_headers,
)
from vxp_adapter.javamap import hashmap_order, java_string_hash

BASE = ["systemid", "timestamp", "Content-Type"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", 0),
        ("a", 97),
        ("hello", 99162322),
        # Values printed by a JVM (OpenJDK 17) for the same strings.
        ("systemid", 1976086410),
        ("Content-Type", 949037134),
        ("Việt", 2907296),
        ("😀", 1772899),  # a surrogate pair: hashed as two UTF-16 units, as Java does
        ("Aa", 2112),
    ],
)
def test_java_string_hash(text: str, expected: int) -> None:
    assert java_string_hash(text) == expected


# sign-header-key values observed from a fresh official client object (vxp-edxml.md §5a).
@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        (BASE, "systemid;timestamp;Content-Type"),
        (
            [*BASE, "servicetype", "messagetype"],
            "systemid;servicetype;messagetype;timestamp;Content-Type",
        ),
        ([*BASE, "docId", "filePath"], "systemid;docId;filePath;timestamp;Content-Type"),
        ([*BASE, "docId", "status"], "systemid;docId;timestamp;Content-Type;status"),
        (
            [*BASE, "from", "servicetype", "messagetype", "hash-file"],
            "systemid;servicetype;messagetype;hash-file;from;timestamp;Content-Type",
        ),
        (
            [*BASE, "from", "servicetype", "messagetype", "to", "hash-file"],
            "systemid;servicetype;messagetype;hash-file;from;to;timestamp;Content-Type",
        ),
    ],
)
def test_hashmap_order_matches_official_client(keys: list[str], expected: str) -> None:
    assert ";".join(hashmap_order(keys)) == expected


KEYS13 = [
    "systemid", "timestamp", "Content-Type", "from", "servicetype", "messagetype", "to",
    "hash-file", "docId", "filePath", "status", "fromDate", "toDate",
]  # fmt: skip


def test_hashmap_order_matches_a_jvm_below_and_above_the_resize() -> None:
    # keySet() of a java.util.HashMap filled with these keys, printed by OpenJDK 17:
    # 12 keys stay in 16 buckets, the 13th resizes the table to 32.
    assert ";".join(hashmap_order(KEYS13[:12])) == (
        "fromDate;systemid;servicetype;messagetype;hash-file;docId;filePath;from;to;"
        "timestamp;Content-Type;status"
    )
    assert ";".join(hashmap_order(KEYS13)) == (
        "systemid;messagetype;docId;filePath;toDate;fromDate;servicetype;hash-file;from;to;"
        "timestamp;Content-Type;status"
    )


def test_hashmap_keeps_insertion_order_within_a_bucket_and_first_position_of_repeats() -> None:
    # "Aa" and "BB" have the same Java hash.
    assert java_string_hash("Aa") == java_string_hash("BB")
    assert hashmap_order(["BB", "Aa", "BB"]) == ["BB", "Aa"]
    assert hashmap_order(["Aa", "BB"]) == ["Aa", "BB"]


def test_sdk_timestamp_has_milliseconds_not_a_zone() -> None:
    when = datetime(2025, 10, 24, 15, 30, 12, 456_000, tzinfo=VN_TZ)
    assert sdk_timestamp(when) == "24102025T153012+0456"
    assert sdk_timestamp(when.replace(microsecond=7_000)) == "24102025T153012+0007"


def test_sdk_hex_drops_leading_zero_of_each_byte() -> None:
    assert sdk_hex(bytes([0x00, 0x0A, 0xFF, 0x10])) == "0aff10"
    data = b"abc"
    digest = hashlib.sha256(data).digest()
    assert hash_file(data) == "".join(f"{b:x}" for b in digest)
    assert len(hash_file(data)) < 64  # sha256("abc") has bytes below 0x10


def test_sign_json_escapes_quotes_but_keeps_non_ascii_and_brackets() -> None:
    text = sign_json([("to", '["a","b"]'), ("name", "Hà <Nội>=")])
    assert text == '{"XroadVnpt-to":"[\\"a\\",\\"b\\"]","XroadVnpt-name":"Hà <Nội>="}'
    assert json.loads(text) == {"XroadVnpt-to": '["a","b"]', "XroadVnpt-name": "Hà <Nội>="}


# Recorded from the official client (SDKVXP 2.0.1) on loopback, systemid vxp.saas.01,
# secret "secret-x": the timestamp, the sign-header and the HMAC it sent.
RECORDED = [
    (
        {"servicetype": "eDoc", "messagetype": "edoc"},
        "application/json",
        "22112026T100057+0872",
        "5785f13e0b62646d09ffb1d5b5f84299d05fd0a676d9f6f26e5c71338ae3e79e",
    ),
    (
        {},
        "application/json",
        "22112026T100058+0320",
        "a9f8db42a2f591bd8f058bef20cee18982af794257a1744a97af6d3aa8860974",
    ),
    (
        {
            "from": "000.00.00.G22",
            "servicetype": "eDoc",
            "messagetype": "edoc",
            "to": '"000.00.00.H41"',
            "hash-file": "1ca4346a2e9fa127e59d2b4d5a6f92c5cf3ae9fa3759330812b29189b6139e",
        },
        "application/octet-stream",
        "22112026T100058+0314",
        "f2102f3c6f95fe5e36f0bd0bbbf1dbf333102ade745c9a2cea6cc46648b942c1",
    ),
    (
        {
            "from": "000.00.00.G22",
            "servicetype": "eDoc",
            "messagetype": "edoc",
            "to": '["000.00.00.H41","000.00.00.H42"]',
            "hash-file": "1ca4346a2e9fa127e59d2b4d5a6f92c5cf3ae9fa3759330812b29189b6139e",
        },
        "application/octet-stream",
        "22112026T100058+0318",
        "1364ac05ad258582079b5f18cc0084ce03f7d0c0082eff4db665163047d35d4a",
    ),
]


@pytest.mark.parametrize(("params", "ctype", "timestamp", "expected"), RECORDED)
def test_signature_equals_the_official_clients(
    params: dict[str, str], ctype: str, timestamp: str, expected: str
) -> None:
    headers = signed_headers(
        "vxp.saas.01", "secret-x", timestamp, ctype, params, upload=ctype != "application/json"
    )
    values = dict(headers)
    assert values["XroadVnpt-hash-header"] == expected
    sign = values["XroadVnpt-sign-header"]
    assert hmac.compare_digest(hmac_hex("secret-x", sign.encode()), expected)


def test_header_layout_matches_the_official_client() -> None:
    json_call = [n for n, _ in signed_headers("s", "k", "t", "application/json", {"docId": "d"})]
    assert json_call == [
        "XroadVnpt-systemid",
        "XroadVnpt-docId",
        "XroadVnpt-timestamp",
        "Content-Type",
        "XroadVnpt-Content-Type",
        "XroadVnpt-sign-header-key",
        "XroadVnpt-sign-header",
        "XroadVnpt-hash-header",
        "User-Agent",
        "XroadVnpt-version",
    ]
    upload = [
        n for n, _ in signed_headers("s", "k", "t", "application/octet-stream", {}, upload=True)
    ]
    assert upload[0] == "Content-Type"
    assert upload.count("Content-Type") == 1


def test_hash_file_of_a_file_the_official_client_sent(fixture_bytes) -> None:
    # The official client signed this value for this file (recorded on loopback).
    data = fixture_bytes("eoffice_built_new.edxml")
    assert hash_file(data) == "1ca4346a2e9fa127e59d2b4d5a6f92c5cf3ae9fa3759330812b29189b6139e"
