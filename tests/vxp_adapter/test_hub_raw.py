"""The local axis at the HTTP level: 100-continue, answer shapes, signature rules, replays."""

from __future__ import annotations

import hashlib
import json
import socket
from typing import Any
from urllib.parse import urlsplit

import pytest

from vxp_adapter.edxml_build import build_edoc
from vxp_adapter.headers import hash_file, hmac_hex, sign_json, signed_headers
from vxp_adapter.hub import BackgroundHub, HubConfig, create_app

G22, H41 = "000.00.00.G22", "000.00.00.H41"
SEND = {"from": G22, "servicetype": "eDoc", "messagetype": "edoc"}
LIST = {"servicetype": "eDoc", "messagetype": "edoc"}
OCTETS = "application/octet-stream"


def nulls(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, dict):
        return any(nulls(v) for v in value.values())
    if isinstance(value, list):
        return any(nulls(v) for v in value)
    return False


def send(signed_post, data: bytes, params: dict[str, str] | None = None, **kw: Any):
    params = {**(params or SEND), "hash-file": hash_file(data)}
    return signed_post("a", "sendEdoc", params, data + b"\r\n", ctype=OCTETS, **kw)


def test_expect_100_continue_gets_an_interim_answer(hub) -> None:
    headers = signed_headers("sys.b", hub.secret_b, "22112026T100057+0872", "application/json", {})
    parts = urlsplit(hub.hub.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as sock:
        head = "POST /getAgenciesList HTTP/1.1\r\nHost: x\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in headers)
        head += "Content-Length: 2\r\nExpect: 100-continue\r\n\r\n"
        sock.sendall(head.encode())
        interim = sock.recv(25)  # before we send any body byte
        assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(b"{}")
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line == b"HTTP/1.1 200 OK"
    assert json.loads(rest.partition(b"\r\n\r\n")[2])["status"] == "OK"


def test_send_answer_is_ascii_with_all_fields(signed_post, edoc_factory) -> None:
    answer = send(signed_post, build_edoc(edoc_factory()))
    assert answer.status == 200
    assert all(b < 128 for b in answer.body)
    body = answer.json()
    assert set(body) == {"status", "ErrorCode", "ErrorDesc", "DocId"}
    assert (body["status"], body["ErrorCode"]) == ("OK", "0")
    assert "\\u" in answer.body.decode("ascii")  # Vietnamese ErrorDesc, escaped


def test_list_items_have_string_fields_and_no_nulls(signed_post, edoc_factory) -> None:
    send(signed_post, build_edoc(edoc_factory()))
    body = signed_post("b", "getReceivedEdocList", LIST).json()
    (item,) = body["data"]
    assert set(item) == {
        "docId", "serviceType", "messageType", "from", "to", "status", "status_desc",
        "created_time", "updated_time",
    }  # fmt: skip
    assert all(isinstance(v, str) for v in item.values())
    assert item["to"] == H41
    assert not nulls(body)
    agencies = signed_post("b", "getAgenciesList", {}).json()
    assert all(set(a) == {"id", "pid", "code", "name", "mail", "oldCode"} for a in agencies["data"])
    assert not nulls(agencies)


def test_failures_always_carry_error_desc(raw, signed_post, hub) -> None:
    answer = signed_post("b", "getEdoc", {"docId": "khong-co"}, b"{}")
    assert answer.status == 404
    body = answer.json()
    assert body == {"status": "FAIL", "ErrorCode": "NOT_FOUND", "ErrorDesc": body["ErrorDesc"]}
    assert body["ErrorDesc"]
    other = raw(hub.hub.url, "/khongCo", [])
    assert other.status == 404 and other.json()["status"] == "FAIL"
    get = raw(hub.hub.url, "/getAgenciesList", [], method="GET")
    assert get.status == 405 and get.json()["ErrorDesc"]


def _headers(system_id: str, secret: str, pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Headers signed over `pairs` in the given order (not the official client's)."""
    sign = sign_json(pairs)
    return [
        *[(f"XroadVnpt-{k}", v) for k, v in pairs],
        ("XroadVnpt-sign-header", sign),
        ("XroadVnpt-hash-header", hmac_hex(secret, sign.encode())),
    ]


def test_signature_is_checked_as_received_in_any_order_with_extra_keys(raw, hub) -> None:
    pairs = [
        ("timestamp", "01012025T000000+0001"),
        ("Content-Type", "application/json"),
        ("messagetype", "edoc"),
        ("from", G22),  # leaked from an earlier call of the official client
        ("hash-file", "abc"),
        ("systemid", "sys.b"),
    ]
    answer = raw(hub.hub.url, "/getReceivedEdocList", _headers("sys.b", hub.secret_b, pairs))
    assert answer.json()["status"] == "OK"


def test_signed_entries_must_match_their_headers(raw, hub) -> None:
    pairs = [("systemid", "sys.b"), ("timestamp", "t"), ("docId", "a")]
    headers = [
        (k, "b") if k == "XroadVnpt-docId" else (k, v)
        for k, v in _headers("sys.b", hub.secret_b, pairs)
    ]
    answer = raw(hub.hub.url, "/getEdoc", headers, b"{}")
    assert (answer.status, answer.json()["ErrorCode"]) == (401, "AUTH_FAILED")


def test_unsigned_parameters_are_ignored(raw, hub) -> None:
    pairs = [("systemid", "sys.b"), ("timestamp", "t")]
    headers = [*_headers("sys.b", hub.secret_b, pairs), ("XroadVnpt-docId", "x")]
    answer = raw(hub.hub.url, "/getEdoc", headers, b"{}")
    assert answer.json()["ErrorCode"] == "BAD_REQUEST"
    assert "docId" in answer.json()["ErrorDesc"]


@pytest.mark.parametrize(
    "mangle",
    [
        lambda h: [x for x in h if x[0] != "XroadVnpt-sign-header"],
        lambda h: [(k, "0" * 64) if k == "XroadVnpt-hash-header" else (k, v) for k, v in h],
        lambda h: [(k, "[1]") if k == "XroadVnpt-sign-header" else (k, v) for k, v in h],
        lambda h: [(k, v.replace("sys.b", "sys.z")) for k, v in h],
    ],
    ids=["no-signature", "wrong-hmac", "not-an-object", "unknown-system"],
)
def test_bad_signatures_fail(raw, hub, mangle) -> None:
    headers = signed_headers("sys.b", hub.secret_b, "t", "application/json", LIST)
    answer = raw(hub.hub.url, "/getReceivedEdocList", mangle(headers))
    assert (answer.status, answer.json()["ErrorCode"]) == (401, "AUTH_FAILED")


def test_one_timestamp_for_many_calls_is_accepted(signed_post, edoc_factory) -> None:
    # The official client keeps one timestamp per object; identical list calls are normal.
    send(signed_post, build_edoc(edoc_factory()))
    first = signed_post("b", "getReceivedEdocList", LIST).json()
    again = signed_post("b", "getReceivedEdocList", LIST).json()
    assert first["data"] == again["data"] and len(first["data"]) == 1
    doc_id = first["data"][0]["docId"]
    params = {**LIST, "docId": doc_id, "filePath": "/tmp/vxp"}  # keys leaked between calls
    assert signed_post("b", "getEdoc", params, b"{}").json()["status"] == "OK"
    assert (
        signed_post("b", "updateStatus", {**params, "status": "done"}, b"{}").json()["status"]
        == "OK"
    )


def test_a_replayed_request_changes_nothing(signed_post, edoc_factory) -> None:
    send(signed_post, build_edoc(edoc_factory()))
    doc_id = signed_post("b", "getReceivedEdocList", LIST).json()["data"][0]["docId"]
    processing = {"docId": doc_id, "status": "processing"}
    assert (
        signed_post("b", "updateStatus", processing, b"{}", timestamp="T1").json()["status"] == "OK"
    )
    done = {"docId": doc_id, "status": "done"}
    assert signed_post("b", "updateStatus", done, b"{}", timestamp="T2").json()["status"] == "OK"
    replay = signed_post("b", "updateStatus", processing, b"{}", timestamp="T1")
    assert replay.json()["status"] == "OK"  # the answer it got the first time...
    assert signed_post("b", "getReceivedEdocList", LIST).json()["data"] == []  # ...and still done
    fresh = signed_post("b", "updateStatus", processing, b"{}", timestamp="T3").json()
    assert fresh["ErrorCode"] == "INVALID_TRANSITION"


def test_a_replayed_send_is_the_same_message(signed_post, edoc_factory) -> None:
    data = build_edoc(edoc_factory())
    first = send(signed_post, data).json()
    replay = send(signed_post, data).json()
    assert first == replay
    assert len(signed_post("b", "getReceivedEdocList", LIST).json()["data"]) == 1


def test_hash_file_must_match_the_body(signed_post, edoc_factory) -> None:
    data = build_edoc(edoc_factory())
    wrong = signed_post(
        "a", "sendEdoc", {**SEND, "hash-file": hash_file(b"other")}, data + b"\r\n", ctype=OCTETS
    )
    assert wrong.json()["ErrorCode"] == "HASH_MISMATCH"
    padded = hashlib.sha256(data).hexdigest()  # other clients pad; accepted too
    plain = signed_post("a", "sendEdoc", {**SEND, "hash-file": padded}, data, ctype=OCTETS)
    assert plain.json()["status"] == "OK"


def test_oversized_requests_are_refused(raw, tmp_path) -> None:
    app = create_app(HubConfig(f"sqlite:///{tmp_path / 'small.sqlite3'}", max_request_bytes=1000))
    try:
        with BackgroundHub(app) as small:
            answer = raw(small.url, "/sendEdoc", [], b"x" * 1500)
            assert answer.status == 413
            assert answer.json()["ErrorCode"] == "TOO_LARGE"
            # Far beyond the limit, the HTTP server stops reading before the app sees it.
            assert raw(small.url, "/sendEdoc", [], b"x" * 5000).status == 413
    finally:
        app.engine.dispose()


def test_counts(signed_post, edoc_factory) -> None:
    send(signed_post, build_edoc(edoc_factory()))
    assert signed_post("b", "countReceiveEdoc", {}, b"{}").json()["count"] == 1
    assert signed_post("b", "countReceiveStatus", {}, b"{}").json()["count"] == 0
