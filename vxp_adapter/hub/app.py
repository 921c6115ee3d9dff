"""The local axis as a WSGI application speaking the VXP API (vxp-edxml.md §5, §5a).

Answers follow what the official Java client needs: `status`, `ErrorCode` and `ErrorDesc`
always present as strings, no JSON null, list items' `to` as a string, ASCII-only JSON.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pybase64
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Request, Response

from vxp_adapter.codes import MessageType
from vxp_adapter.dates import parse_timestamp
from vxp_adapter.headers import sdk_hex
from vxp_adapter.hub import store
from vxp_adapter.hub.auth import HubFailure, SignedRequest, verify_request
from vxp_adapter.hub.db import make_engine, upgrade
from vxp_adapter.hub.models import System, utcnow
from vxp_adapter.xmlsafe import DEFAULT_LIMITS, MB, Limits

log = logging.getLogger("vxp_adapter.hub")

Answer = dict[str, Any]
Handler = Callable[[Session, System, SignedRequest, bytes], Answer]


@dataclass(frozen=True)
class HubConfig:
    """How the local axis runs (the lead maps EOFFICE_VXP_HUB_DATABASE_URL to database_url)."""

    database_url: str
    limits: Limits = DEFAULT_LIMITS
    """Bounds applied to every edXML message sent through the hub."""
    max_request_bytes: int = 200 * MB
    replay_memory: timedelta = timedelta(days=30)
    """How long served state-changing requests are remembered (pruned at start)."""


def ok(**payload: Any) -> Answer:
    """Return a success answer with its payload."""
    return {"status": "OK", "ErrorCode": "0", "ErrorDesc": "Thành công", **payload}


def fail(code: str, desc: str) -> Answer:
    """Return a failure answer."""
    return {"status": "FAIL", "ErrorCode": code, "ErrorDesc": desc}


def _message_type(value: str | None) -> str:
    if value not in (MessageType.EDOC, MessageType.STATUS):
        raise HubFailure("BAD_REQUEST", f"messagetype không hợp lệ: {value}")
    return value


def _body_matching(body: bytes, hash_file: str) -> bytes:
    """Return the edXML bytes whose hash the client signed (the SDK appends CRLF to the body)."""
    candidates = [body[:-2], body] if body.endswith(b"\r\n") else [body]
    wanted = hash_file.strip().lower()
    for data in candidates:
        digest = hashlib.sha256(data).digest()
        if wanted in (sdk_hex(digest), digest.hex()):  # the SDK drops leading zeros per byte
            return data
    raise HubFailure("HASH_MISMATCH", "hash-file không khớp nội dung gói tin")


def _optional_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return parse_timestamp(value)
    except ValueError:
        raise HubFailure("BAD_REQUEST", f"Thời gian không hợp lệ: {value}") from None


class HubApp:
    """WSGI callable of the local axis; builds its schema (Alembic) when created."""

    STATEFUL = frozenset({"sendEdoc", "updateStatus"})

    def __init__(self, config: HubConfig, engine: Engine | None = None) -> None:
        self.config = config
        self.engine = engine or make_engine(config.database_url)
        upgrade(self.engine)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        with self.sessions.begin() as session:
            store.prune_seen(session, utcnow() - config.replay_memory)
        self.handlers: dict[str, Handler] = {
            "sendEdoc": self._send_edoc,
            "getReceivedEdocList": self._received,
            "getEdoc": self._get_edoc,
            "updateStatus": self._update_status,
            "getSentEdocList": self._sent,
            "getAgenciesList": lambda s, _sys, _r, _b: ok(data=store.list_agencies(s)),
            "countReceiveEdoc": self._counter(MessageType.EDOC),
            "countReceiveStatus": self._counter(MessageType.STATUS),
        }

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        request.max_content_length = self.config.max_request_bytes
        status, answer = self.handle(request)
        body = json.dumps(answer, ensure_ascii=True, separators=(",", ":")).encode("ascii")
        response = Response(body, status=status, content_type="application/json; charset=UTF-8")
        return response(environ, start_response)

    def handle(self, request: Request) -> tuple[int, Answer]:
        """Serve one request; every outcome is a JSON answer."""
        op = request.path.rstrip("/").rsplit("/", 1)[-1]
        handler = self.handlers.get(op)
        if handler is None:
            return 404, fail("NOT_FOUND", f"Không có dịch vụ {op}")
        if request.method != "POST":
            return 405, fail("BAD_REQUEST", "Chỉ chấp nhận phương thức POST")
        try:
            body = request.get_data(cache=False)
            return 200, self._serve(op, handler, request, body)
        except RequestEntityTooLarge:
            return 413, fail("TOO_LARGE", "Yêu cầu vượt quá dung lượng cho phép")
        except HubFailure as failure:
            log.warning("vxp-hub %s refused: %s", op, failure)
            return failure.http_status, fail(failure.code, failure.desc)
        except Exception:  # an axis answers in JSON whatever happens; the log has the cause
            log.exception("vxp-hub %s failed", op)
            return 500, fail("INTERNAL", "Lỗi hệ thống của trục")

    def _serve(self, op: str, handler: Handler, request: Request, body: bytes) -> Answer:
        def header(name: str) -> bytes | None:
            value = request.headers.get(name)
            # WSGI hands header bytes over as latin-1 text; get the bytes back.
            return value.encode("latin-1") if value is not None else None

        with self.sessions.begin() as session:
            systems: dict[str, System | None] = {}

            def secret_of(system_id: str) -> str | None:
                found = systems[system_id] = store.get_system(session, system_id)
                return found.secret if found is not None else None

            signed = verify_request(header, secret_of)
            system = systems[signed.system_id]
            assert system is not None  # verify_request found its secret
            fingerprint = ""
            if op in self.STATEFUL:
                body_hash = hashlib.sha256(body).hexdigest()
                fingerprint = hashlib.sha256(
                    f"{op}\n{signed.hash_header}\n{body_hash}".encode()
                ).hexdigest()
                stored = store.seen_answer(session, fingerprint)
                if stored is not None:
                    log.warning("vxp-hub %s: replayed request from %s", op, system.system_id)
                    return json.loads(stored)
            answer = handler(session, system, signed, body)
            if fingerprint:
                store.remember(session, fingerprint, system, op, json.dumps(answer))
            return answer

    def _send_edoc(
        self, session: Session, system: System, req: SignedRequest, body: bytes
    ) -> Answer:
        message_type = _message_type(req.require("messagetype"))
        data = _body_matching(body, req.require("hash-file"))
        to = req.get("to")
        if to:
            try:
                json.loads(to)  # JSON text: "code" or ["a","b"]; routing uses To/OrganId
            except ValueError:
                raise HubFailure("BAD_REQUEST", "Tham số to không phải JSON") from None
        doc_id = store.accept_message(
            session, system, req.require("from"), message_type, data, self.config.limits
        )
        return ok(DocId=doc_id)

    def _received(self, session: Session, system: System, req: SignedRequest, _b: bytes) -> Answer:
        message_type = _message_type(req.get("messagetype") or MessageType.EDOC)
        since = _optional_time(req.get("fromDate"))
        until = _optional_time(req.get("toDate"))
        return ok(data=store.list_received(session, system, message_type, since, until))

    def _get_edoc(self, session: Session, system: System, req: SignedRequest, _b: bytes) -> Answer:
        content = store.fetch(session, system, req.require("docId"))
        return ok(data=pybase64.b64encode(content).decode("ascii"))

    def _update_status(
        self, session: Session, system: System, req: SignedRequest, _b: bytes
    ) -> Answer:
        store.acknowledge(session, system, req.require("docId"), req.require("status"))
        return ok()

    def _sent(self, session: Session, system: System, req: SignedRequest, _b: bytes) -> Answer:
        return ok(data=store.list_sent(session, system, req.require("docId")))

    @staticmethod
    def _counter(message_type: MessageType) -> Handler:
        def count(session: Session, system: System, _r: SignedRequest, _b: bytes) -> Answer:
            return ok(count=store.count_received(session, system, message_type))

        return count


def create_app(config: HubConfig) -> HubApp:
    """Create the local axis WSGI app, migrating its database first.

    :raises sqlalchemy.exc.SQLAlchemyError: the database cannot be reached or migrated.
    """
    return HubApp(config)
