"""The local axis driven by our client: routing, queues, traces, acknowledgements, refusals."""

from __future__ import annotations

import http.server
import socket
import threading
from datetime import datetime

import pytest

from tests.vxp_adapter.conftest import ARRIVAL_PDF
from vxp_adapter.client import ClientConfig, VxpClient
from vxp_adapter.codes import MessageType, TransportAck
from vxp_adapter.dates import VN_TZ
from vxp_adapter.edxml_build import build_edoc, build_status
from vxp_adapter.edxml_parse import parse_edoc, parse_status
from vxp_adapter.errors import RemoteError, TransportError
from vxp_adapter.messages import reference_to, status
from vxp_adapter.model import Organization

G22, H41, H49 = "000.00.00.G22", "000.00.00.H41", "000.00.00.H49"
AT = datetime(2024, 5, 2, 10, 0, tzinfo=VN_TZ)


def two_recipients(edoc_factory):
    return edoc_factory(recipients=(Organization(H41, "Nghệ An"), Organization(H49, "Quảng Ninh")))


def test_edoc_travels_to_each_recipient_and_is_acknowledged(hub, edoc_factory) -> None:
    a, b = hub.client("a"), hub.client("b")
    data = build_edoc(two_recipients(edoc_factory))
    doc_id = a.send_edoc(data, from_code=G22, message_type=MessageType.EDOC)
    items = b.get_received_edoc_list(MessageType.EDOC)
    assert sorted(i.to_codes for i in items) == [(H41,), (H49,)]
    assert {i.from_code for i in items} == {G22}
    assert {i.status for i in items} == {"initial"}
    assert all(i.doc_id != doc_id for i in items)  # receivers get their own ids
    assert b.get_edoc(items[0].doc_id) == data
    assert parse_edoc(b.get_edoc(items[1].doc_id)).attachments[0].data == ARRIVAL_PDF
    assert a.get_received_edoc_list(MessageType.EDOC) == []
    assert b.get_received_edoc_list(MessageType.STATUS) == []

    b.update_status(items[0].doc_id, TransportAck.DONE)
    b.update_status(items[1].doc_id, TransportAck.PROCESSING)
    left = b.get_received_edoc_list(MessageType.EDOC)
    assert [(i.doc_id, i.status) for i in left] == [(items[1].doc_id, "processing")]

    traces = {t.to_code: t for t in a.get_sent_edoc_list(doc_id, MessageType.EDOC)}
    assert traces[items[0].to_codes[0]].receive_status == "done"
    assert traces[items[1].to_codes[0]].receive_status == "processing"
    assert all(t.sender_doc_id == doc_id and t.notation == "123/VPCP-TEST" for t in traces.values())
    assert traces[items[0].to_codes[0]].received_time  # set once final


def test_the_same_message_sent_twice_is_one_message(hub, edoc_factory) -> None:
    a, b = hub.client("a"), hub.client("b")
    data = build_edoc(edoc_factory())
    first = a.send_edoc(data, from_code=G22, message_type=MessageType.EDOC)
    second = a.send_edoc(data, from_code=G22, message_type=MessageType.EDOC, to=[H41])
    assert first == second
    assert len(b.get_received_edoc_list(MessageType.EDOC)) == 1


def test_statuses_are_routed_by_response_for(hub, edoc_factory) -> None:
    a, b = hub.client("a"), hub.client("b")
    original = edoc_factory()
    a.send_edoc(build_edoc(original), from_code=G22, message_type=MessageType.EDOC)
    accepted = status(reference_to(original), sender=Organization(H41), code="03", at=AT)
    b.send_edoc(build_status(accepted), from_code=H41, message_type=MessageType.STATUS)
    (item,) = a.get_received_edoc_list(MessageType.STATUS)
    assert item.message_type == "status" and item.to_codes == (G22,)
    assert parse_status(a.get_edoc(item.doc_id)).status_code == "03"
    assert b.get_received_edoc_list(MessageType.STATUS) == []
    # 13 (take back) goes the other way: ResponseFor names the receiver.
    take_back = status(reference_to(original, H41), sender=original.sender, code="13", at=AT)
    a.send_edoc(build_status(take_back), from_code=G22, message_type=MessageType.STATUS)
    (back,) = b.get_received_edoc_list(MessageType.STATUS)
    assert back.to_codes == (H41,)


def test_unknown_agency_is_refused_and_nothing_is_queued(hub, edoc_factory) -> None:
    a, b = hub.client("a"), hub.client("b")
    edoc = edoc_factory(recipients=(Organization(H41), Organization("000.00.00.H99")))
    with pytest.raises(RemoteError) as e:
        a.send_edoc(build_edoc(edoc), from_code=G22, message_type=MessageType.EDOC)
    assert e.value.error_code == "UNKNOWN_AGENCY"
    assert "000.00.00.H99" in e.value.error_desc
    assert b.get_received_edoc_list(MessageType.EDOC) == []


def test_a_system_sends_only_for_its_agencies(hub, edoc_factory) -> None:
    a = hub.client("a")
    data = build_edoc(edoc_factory())
    with pytest.raises(RemoteError) as e:
        a.send_edoc(data, from_code=H41, message_type=MessageType.EDOC)
    assert e.value.error_code == "FORBIDDEN"
    forged = build_edoc(edoc_factory(sender=Organization(H49), recipients=(Organization(G22),)))
    with pytest.raises(RemoteError) as e:
        a.send_edoc(forged, from_code=G22, message_type=MessageType.EDOC)
    assert e.value.error_code == "FORBIDDEN"


def test_invalid_messages_and_wrong_message_type_are_refused(
    hub, edoc_factory, fixture_bytes
) -> None:
    a = hub.client("a")
    with pytest.raises(RemoteError) as e:
        a.send_edoc(
            fixture_bytes("bad_doctype_bomb.edxml"), from_code=G22, message_type=MessageType.EDOC
        )
    assert e.value.error_code == "INVALID_MESSAGE"
    assert "doctype_forbidden" in e.value.error_desc
    with pytest.raises(RemoteError) as e:
        a.send_edoc(build_edoc(edoc_factory()), from_code=G22, message_type=MessageType.STATUS)
    assert e.value.error_code == "BAD_REQUEST"


def test_wrong_secret_and_unknown_system_fail_authentication(hub) -> None:
    for system_id, secret in (("sys.a", "wrong"), ("sys.x", hub.secret_a)):
        client = VxpClient(ClientConfig(hub.hub.url, system_id, secret, timeout=5))
        with pytest.raises(RemoteError) as e:
            client.get_received_edoc_list(MessageType.EDOC)
        assert e.value.error_code == "AUTH_FAILED"


def test_documents_of_other_systems_are_not_found(hub, edoc_factory) -> None:
    a, b = hub.client("a"), hub.client("b")
    doc_id = a.send_edoc(build_edoc(edoc_factory()), from_code=G22, message_type=MessageType.EDOC)
    (item,) = b.get_received_edoc_list(MessageType.EDOC)
    for call in (
        lambda: a.get_edoc(item.doc_id),
        lambda: a.update_status(item.doc_id, TransportAck.DONE),
    ):
        with pytest.raises(RemoteError) as e:
            call()
        assert e.value.error_code == "NOT_FOUND"
    with pytest.raises(RemoteError) as e:
        b.get_sent_edoc_list(doc_id, MessageType.EDOC)
    assert e.value.error_code == "NOT_FOUND"


def test_done_and_fail_are_final(hub, edoc_factory) -> None:
    a, b = hub.client("a"), hub.client("b")
    a.send_edoc(build_edoc(edoc_factory()), from_code=G22, message_type=MessageType.EDOC)
    (item,) = b.get_received_edoc_list(MessageType.EDOC)
    b.update_status(item.doc_id, TransportAck.FAIL)
    b.update_status(item.doc_id, TransportAck.FAIL)  # repeating the same ack is fine
    with pytest.raises(RemoteError) as e:
        b.update_status(item.doc_id, TransportAck.PROCESSING)
    assert e.value.error_code == "INVALID_TRANSITION"
    assert b.get_edoc(item.doc_id)  # still downloadable


def test_agency_directory(hub) -> None:
    agencies = {a.code: a for a in hub.client("b").get_agencies_list()}
    assert set(agencies) == {G22, H41, H49}
    assert agencies[H41].name == "UBND tỉnh Nghệ An"
    assert agencies[H49].name == H49  # registered without a name
    assert all(a.id for a in agencies.values())


class _Html(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = b"<html>maintenance</html>"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_a_non_json_answer_is_an_error_not_an_empty_inbox() -> None:
    server = http.server.HTTPServer(("127.0.0.1", 0), _Html)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        client = VxpClient(
            ClientConfig(f"http://127.0.0.1:{server.server_port}", "s", "k", timeout=5)
        )
        with pytest.raises(TransportError):
            client.get_received_edoc_list(MessageType.EDOC)
    finally:
        server.shutdown()
        server.server_close()


def test_unreachable_and_silent_axes_are_transport_errors() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)  # accepts connections, never answers
        port = silent.getsockname()[1]
        client = VxpClient(ClientConfig(f"http://127.0.0.1:{port}", "s", "k", timeout=0.3))
        with pytest.raises(TransportError):
            client.get_agencies_list()
    closed = VxpClient(ClientConfig(f"http://127.0.0.1:{port}", "s", "k", timeout=1))
    with pytest.raises(TransportError):
        closed.get_agencies_list()


def test_endpoint_must_be_http() -> None:
    with pytest.raises(ValueError, match="http"):
        VxpClient(ClientConfig("ftp://x", "s", "k"))


def test_the_client_is_a_transport() -> None:
    from vxp_adapter.client import Transport

    assert isinstance(VxpClient(ClientConfig("http://127.0.0.1:9", "s", "k")), Transport)


def test_old_served_requests_are_forgotten(hub_app) -> None:
    from datetime import timedelta

    from vxp_adapter.hub import store
    from vxp_adapter.hub.models import SeenRequest, utcnow

    with hub_app.sessions.begin() as s:
        store.add_system(s, "sys.p", [store.AgencySpec("X")])
        system = store.get_system(s, "sys.p")
        store.remember(s, "a" * 64, system, "updateStatus", "{}")
        store.remember(s, "b" * 64, system, "updateStatus", "{}")
        s.get(SeenRequest, "a" * 64).created_at = utcnow() - timedelta(days=40)
    with hub_app.sessions.begin() as s:
        assert store.prune_seen(s, utcnow() - timedelta(days=30)) == 1
        assert store.seen_answer(s, "a" * 64) is None
        assert store.seen_answer(s, "b" * 64) == "{}"
