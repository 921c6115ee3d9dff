"""Local TSA, OCSP responder and CRL/certificate server for a demo PKI, as one WSGI app.

With it, B-T and B-LT signatures run end to end on loopback, without internet:

    POST /tsa                     RFC 3161 timestamps (pyHanko's test timestamper, signed by the
                                  demo TSA certificate)
    POST /ocsp, GET /ocsp/<b64>   RFC 6960 responses for certificates of the issuing CA
    GET  /crl/<name>.crl          freshly signed CRLs (root-ca, intermediate-ca)
    GET  /certs/<name>.cer        CA certificates (for AIA chasing)

The app re-reads the PKI manifest on each request, so a revocation shows up at once.
Demo use only: there is no access control and the keys sit next to the app.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from pyhanko_certvalidator.registry import SimpleCertificateStore

from signing.pki import DemoPki, load_ca_key, write_crls

__all__ = ["LocalServices", "make_app", "start_local_services"]

Environ = dict
StartResponse = Callable[..., object]
_MAX_BODY = 64 * 1024


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


class _Responder:
    """Answers requests for one PKI directory."""

    def __init__(self, directory: Path, passphrase: str) -> None:
        self.directory = directory
        self.passphrase = passphrase
        self._lock = threading.Lock()

    def pki(self) -> DemoPki:
        return DemoPki.load(self.directory)

    def timestamp(self, body: bytes) -> tuple[str, bytes]:
        from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

        pki = self.pki()
        key, cert = load_ca_key(pki, "tsa", self.passphrase)
        inter = load_ca_key(pki, "intermediate-ca", self.passphrase)[1]
        key_der = key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        stamper = DummyTimeStamper(
            tsa_cert=asn1_x509.Certificate.load(_der(cert)),
            tsa_key=asn1_keys.PrivateKeyInfo.load(key_der),
            certs_to_embed=SimpleCertificateStore.from_certs(
                [asn1_x509.Certificate.load(_der(inter))]
            ),
        )
        response = stamper.request_tsa_response(tsp.TimeStampReq.load(body))
        return "application/timestamp-reply", response.dump()

    def ocsp(self, body: bytes) -> tuple[str, bytes]:
        pki = self.pki()
        request = ocsp.load_der_ocsp_request(body)
        key, responder = load_ca_key(pki, "ocsp", self.passphrase)
        inter = load_ca_key(pki, "intermediate-ca", self.passphrase)[1]
        builder = ocsp.OCSPResponseBuilder()
        now = datetime.now(UTC).replace(microsecond=0)
        status, revoked_at = self._status(pki, request, inter)
        builder = builder.add_response_by_hash(
            request.issuer_name_hash,
            request.issuer_key_hash,
            request.serial_number,
            request.hash_algorithm,
            status,
            now - timedelta(minutes=1),
            now + timedelta(hours=12),
            revoked_at,
            x509.ReasonFlags.key_compromise if revoked_at else None,
        )
        builder = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, responder)
        builder = builder.certificates([responder])
        for ext in request.extensions:
            if isinstance(ext.value, x509.OCSPNonce):
                builder = builder.add_extension(ext.value, critical=False)
        response = builder.sign(key, hashes.SHA256())
        return "application/ocsp-response", response.public_bytes(serialization.Encoding.DER)

    @staticmethod
    def _status(pki: DemoPki, request, inter: x509.Certificate):
        digest = hashes.Hash(request.hash_algorithm)
        digest.update(_subject_public_key(inter))
        if digest.finalize() != request.issuer_key_hash:
            return ocsp.OCSPCertStatus.UNKNOWN, None
        revoked = dict(pki.revoked)
        if request.serial_number in revoked:
            return ocsp.OCSPCertStatus.REVOKED, datetime.fromisoformat(
                revoked[request.serial_number]
            )
        return ocsp.OCSPCertStatus.GOOD, None

    def crl(self, name: str) -> tuple[str, bytes] | None:
        if name not in {"root-ca", "intermediate-ca"}:
            return None
        with self._lock:  # rewriting the files from several threads at once would interleave
            write_crls(self.pki(), self.passphrase, None)
            return "application/pkix-crl", (self.directory / "crl" / f"{name}.crl").read_bytes()

    def cert(self, name: str) -> tuple[str, bytes] | None:
        if name == "root-ca":
            data = (self.directory / "root-ca.pem").read_bytes()
        elif name == "intermediate-ca":
            data = (self.directory / "ca" / "intermediate-ca.pem").read_bytes()
        else:
            return None
        return "application/pkix-cert", _der(x509.load_pem_x509_certificate(data))


def _subject_public_key(cert: x509.Certificate) -> bytes:
    """Return the BIT STRING contents of the subjectPublicKey (what OCSP's issuerKeyHash hashes)."""
    spki = asn1_x509.Certificate.load(_der(cert))["tbs_certificate"]["subject_public_key_info"]
    return spki["public_key"].contents[1:]  # drop the "unused bits" byte


def make_app(
    directory: Path, passphrase: str
) -> Callable[[Environ, StartResponse], Iterable[bytes]]:
    """Return the WSGI app serving TSA, OCSP, CRLs and CA certificates for a demo PKI directory."""
    responder = _Responder(directory, passphrase)

    def app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "/")
        try:
            result = _route(responder, method, path, _body(environ))
        except Exception as e:  # a bad request must not kill the demo server
            start_response("400 Bad Request", [("Content-Type", "text/plain; charset=utf-8")])
            return [f"{type(e).__name__}: {e}".encode()]
        if result is None:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found"]
        content_type, payload = result
        start_response(
            "200 OK", [("Content-Type", content_type), ("Content-Length", str(len(payload)))]
        )
        return [payload]

    return app


def _body(environ: Environ) -> bytes:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    return environ["wsgi.input"].read(min(length, _MAX_BODY)) if length else b""


def _route(responder: _Responder, method: str, path: str, body: bytes):
    if method == "POST" and path == "/tsa":
        return responder.timestamp(body)
    if method == "POST" and path.rstrip("/") == "/ocsp":
        return responder.ocsp(body)
    if method == "GET" and path.startswith("/ocsp/"):
        return responder.ocsp(base64.b64decode(path[len("/ocsp/") :] + "=="))
    if method == "GET" and path.startswith("/crl/") and path.endswith(".crl"):
        return responder.crl(path[len("/crl/") : -len(".crl")])
    if method == "GET" and path.startswith("/certs/") and path.endswith(".cer"):
        return responder.cert(path[len("/certs/") : -len(".cer")])
    return None


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # stdlib signature
        pass


@dataclass
class LocalServices:
    """A running local services server (see :func:`start_local_services`)."""

    server: _Server
    thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        host_text = host.decode() if isinstance(host, bytes) else host
        return f"http://{host_text}:{port}"

    def serve_in_thread(self) -> LocalServices:
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        if self.thread is not None:
            self.thread.join(timeout=5)

    def __enter__(self) -> LocalServices:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_local_services(
    directory: Path, passphrase: str, *, host: str = "127.0.0.1", port: int = 0, serve: bool = True
) -> LocalServices:
    """Bind the services on ``host:port`` (0: a free port) and serve them in a daemon thread.

    With ``serve=False`` the socket is bound but not served yet: read :attr:`base_url`, build the
    PKI with it (the URL goes into the certificates), then call ``serve_in_thread()``.
    """
    server = make_server(
        host,
        port,
        make_app(directory, passphrase),
        server_class=_Server,
        handler_class=_QuietHandler,
    )
    services = LocalServices(server)
    return services.serve_in_thread() if serve else services
