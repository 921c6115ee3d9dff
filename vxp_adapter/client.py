"""A client for the VXP HTTP API, byte-compatible with the official Java client (§5, §5a)."""

from __future__ import annotations

import base64
import binascii
import http.client
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlsplit

import pybase64

from vxp_adapter.codes import SERVICE_TYPE, MessageType, TransportAck
from vxp_adapter.dates import VN_TZ
from vxp_adapter.errors import RemoteError, TransportError
from vxp_adapter.headers import hash_file, sdk_timestamp, signed_headers

JSON = "application/json"
OCTETS = "application/octet-stream"


@dataclass(frozen=True)
class ReceivedItem:
    """An entry of `getReceivedEdocList`: something waiting for us on the axis."""

    doc_id: str
    """The axis id to fetch and acknowledge (not the edXML DocumentId)."""
    message_type: str
    service_type: str = ""
    from_code: str = ""
    to_codes: tuple[str, ...] = ()
    status: str = ""
    status_desc: str = ""
    created_time: str = ""
    updated_time: str = ""


@dataclass(frozen=True)
class SentTrace:
    """An entry of `getSentEdocList`: the delivery of one sent message to one recipient."""

    sender_doc_id: str
    receiver_doc_id: str
    from_code: str
    to_code: str
    send_status: str = ""
    send_status_desc: str = ""
    receive_status: str = ""
    receive_status_desc: str = ""
    title: str = ""
    notation: str = ""
    message_type: str = ""
    service_type: str = ""
    sent_time: str = ""
    received_time: str = ""


@dataclass(frozen=True)
class Agency:
    """An entry of the axis directory (`getAgenciesList`)."""

    code: str
    name: str
    id: str = ""
    pid: str = ""
    mail: str = ""
    old_code: str = ""


@runtime_checkable
class Transport(Protocol):
    """What the sync jobs need from an exchange hub (VXP, a province's LGSP, ...)."""

    def send_edoc(
        self, edxml: bytes, *, from_code: str, message_type: MessageType, to: Sequence[str] = ()
    ) -> str:
        """Send an edoc or status message; return the hub's id for it."""
        ...

    def get_received_edoc_list(self, message_type: MessageType) -> list[ReceivedItem]:
        """List what waits for us (not yet acknowledged done or fail)."""
        ...

    def get_edoc(self, doc_id: str) -> bytes:
        """Return the edXML bytes of a waiting message."""
        ...

    def update_status(self, doc_id: str, ack: TransportAck) -> None:
        """Acknowledge a received message at transport level (not a business status)."""
        ...

    def get_sent_edoc_list(self, doc_id: str, message_type: MessageType) -> list[SentTrace]:
        """Return the per-recipient delivery of something we sent."""
        ...

    def get_agencies_list(self) -> list[Agency]:
        """Return the hub's agency directory."""
        ...


@dataclass(frozen=True)
class ClientConfig:
    """How to reach the axis (the lead maps EOFFICE_VXP_* settings to this)."""

    endpoint: str
    """Base URL, e.g. `http://vxpdungchung.vnpt.vn`; calls go to `<endpoint>/<method>`."""
    system_id: str
    secret: str = field(repr=False)
    timeout: float = 60.0
    """Seconds for connecting and for each read."""
    file_path: str = "edxml"
    """Sent (and signed) as `filePath` with getEdoc, as the SDK sends its store directory."""
    max_response_bytes: int = 300 * 1024 * 1024


class VxpClient:
    """The VXP API over HTTP(S). Each call opens its own connection; nothing is retried here."""

    def __init__(self, config: ClientConfig, now: Callable[[], datetime] | None = None) -> None:
        self.config = config
        self._now = now or (lambda: datetime.now(VN_TZ))
        parts = urlsplit(config.endpoint)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"endpoint must be an http(s) URL: {config.endpoint!r}")
        self._scheme = parts.scheme
        self._host = parts.hostname
        self._port = parts.port
        self._base = parts.path.rstrip("/")
        self._host_header = parts.netloc.rsplit("@", 1)[-1]

    def send_edoc(
        self, edxml: bytes, *, from_code: str, message_type: MessageType, to: Sequence[str] = ()
    ) -> str:
        """Send raw edXML; return the axis DocId.

        :raises TransportError: the axis cannot be reached or answers nonsense.
        :raises RemoteError: the axis refuses the message.
        """
        params = {"from": from_code, "servicetype": SERVICE_TYPE, "messagetype": str(message_type)}
        if to:
            params["to"] = json.dumps(
                to[0] if len(to) == 1 else list(to), ensure_ascii=False, separators=(",", ":")
            )
        params["hash-file"] = hash_file(edxml)
        answer = self._call("sendEdoc", params, edxml + b"\r\n", OCTETS)
        doc_id = answer.get("DocId") or answer.get("docId")
        if not isinstance(doc_id, str) or not doc_id:
            raise TransportError("sendEdoc: câu trả lời không có DocId")
        return doc_id

    def get_received_edoc_list(self, message_type: MessageType) -> list[ReceivedItem]:
        """List waiting messages of one type.

        :raises TransportError: as `send_edoc`; also for a non-JSON answer (the SDK reads
            that as an empty list, which hides outages).
        :raises RemoteError: as `send_edoc`.
        """
        params = {"servicetype": SERVICE_TYPE, "messagetype": str(message_type)}
        answer = self._call("getReceivedEdocList", params, b"", JSON)
        return [_received(item) for item in _list(answer, "getReceivedEdocList")]

    def get_edoc(self, doc_id: str) -> bytes:
        """Download a waiting message.

        :raises TransportError: as `send_edoc`, or `data` is not base64.
        :raises RemoteError: as `send_edoc`.
        """
        params = {"docId": doc_id, "filePath": self.config.file_path}
        answer = self._call("getEdoc", params, b"{}", JSON)
        data = answer.get("data")
        if not isinstance(data, str):
            raise TransportError("getEdoc: câu trả lời không có data")
        try:  # fast path first: the answer is one unwrapped line (pybase64 is SIMD)
            return pybase64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            pass
        try:
            return base64.b64decode("".join(data.split()), validate=True)
        except (binascii.Error, ValueError) as e:
            raise TransportError(f"getEdoc: data không phải base64: {e}") from e

    def update_status(self, doc_id: str, ack: TransportAck) -> None:
        """Acknowledge a message (done, fail or processing).

        :raises TransportError: as `send_edoc`.
        :raises RemoteError: as `send_edoc`.
        """
        self._call("updateStatus", {"docId": doc_id, "status": str(ack)}, b"{}", JSON)

    def get_sent_edoc_list(self, doc_id: str, message_type: MessageType) -> list[SentTrace]:
        """Return the per-recipient trace of a sent message.

        :raises TransportError: as `send_edoc`.
        :raises RemoteError: as `send_edoc`.
        """
        params = {"servicetype": SERVICE_TYPE, "messagetype": str(message_type), "docId": doc_id}
        answer = self._call("getSentEdocList", params, b"", JSON)
        return [_sent(item) for item in _list(answer, "getSentEdocList")]

    def get_agencies_list(self) -> list[Agency]:
        """Return the axis directory.

        :raises TransportError: as `send_edoc`.
        :raises RemoteError: as `send_edoc`.
        """
        answer = self._call("getAgenciesList", {}, b"", JSON)
        return [
            Agency(
                code=_s(item, "code"),
                name=_s(item, "name"),
                id=_s(item, "id"),
                pid=_s(item, "pid"),
                mail=_s(item, "mail"),
                old_code=_s(item, "oldCode"),
            )
            for item in _list(answer, "getAgenciesList")
        ]

    def _call(self, method: str, params: dict[str, str], body: bytes, ctype: str) -> dict[str, Any]:
        cfg = self.config
        headers = signed_headers(
            cfg.system_id,
            cfg.secret,
            sdk_timestamp(self._now()),
            ctype,
            params,
            upload=ctype == OCTETS,
        )
        raw = self._post(f"{self._base}/{method}", headers, body)
        try:
            answer = json.loads(raw)
        except ValueError as e:
            raise TransportError(f"{method}: câu trả lời không phải JSON") from e
        if not isinstance(answer, dict):
            raise TransportError(f"{method}: câu trả lời không phải đối tượng JSON")
        code = str(answer.get("ErrorCode", ""))
        if answer.get("status") == "FAIL" or code != "0":
            raise RemoteError(method, code, str(answer.get("ErrorDesc", "")))
        return answer

    def _post(self, path: str, headers: list[tuple[str, str]], body: bytes) -> bytes:
        cls = http.client.HTTPSConnection if self._scheme == "https" else http.client.HTTPConnection
        conn = cls(self._host, self._port, timeout=self.config.timeout)
        try:
            # Host after the signed headers, as the official client writes it.
            conn.putrequest("POST", path, skip_host=True, skip_accept_encoding=True)
            for name, value in headers:
                conn.putheader(name, value.encode("utf-8"))
            conn.putheader("Content-Length", str(len(body)))
            conn.putheader("Host", self._host_header)
            conn.endheaders(body)
            response = conn.getresponse()
            data = response.read(self.config.max_response_bytes + 1)
        except (OSError, http.client.HTTPException) as e:
            raise TransportError(f"{path}: không kết nối được trục: {e}") from e
        except ValueError as e:  # http.client refuses a header value with CR/LF
            raise TransportError(f"{path}: giá trị tiêu đề không hợp lệ: {e}") from e
        finally:
            conn.close()
        if len(data) > self.config.max_response_bytes:
            raise TransportError(f"{path}: câu trả lời quá lớn")
        return data


def _s(item: dict[str, Any], key: str) -> str:
    value = item.get(key)
    return "" if value is None else str(value)


def _list(answer: dict[str, Any], method: str) -> list[dict[str, Any]]:
    data = answer.get("data", [])
    if not isinstance(data, list) or not all(isinstance(x, dict) for x in data):
        raise TransportError(f"{method}: data không phải danh sách")
    return data


def _received(item: dict[str, Any]) -> ReceivedItem:
    to = item.get("to")
    codes = to if isinstance(to, list) else str(to or "").split(",")
    return ReceivedItem(
        doc_id=_s(item, "docId"),
        message_type=_s(item, "messageType"),
        service_type=_s(item, "serviceType"),
        from_code=_s(item, "from"),
        to_codes=tuple(str(c).strip() for c in codes if str(c).strip()),
        status=_s(item, "status"),
        status_desc=_s(item, "status_desc"),
        created_time=_s(item, "created_time"),
        updated_time=_s(item, "updated_time"),
    )


def _sent(item: dict[str, Any]) -> SentTrace:
    return SentTrace(
        sender_doc_id=_s(item, "senderDocId"),
        receiver_doc_id=_s(item, "receiverDocId"),
        from_code=_s(item, "fromCode"),
        to_code=_s(item, "toCode"),
        send_status=_s(item, "sendStatus"),
        send_status_desc=_s(item, "sendStatusDesc"),
        receive_status=_s(item, "receiveStatus"),
        receive_status_desc=_s(item, "receiveStatusDesc"),
        title=_s(item, "title"),
        notation=_s(item, "notation"),
        message_type=_s(item, "messageType"),
        service_type=_s(item, "serviceType"),
        sent_time=_s(item, "sentTime"),
        received_time=_s(item, "receivedTime"),
    )
