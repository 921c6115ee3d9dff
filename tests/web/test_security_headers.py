"""Security headers on every response, no inline script or style in any template, and every route
that answers with a file goes through ``eoffice.web.files`` (attachment, or a sandboxed PDF)."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from eoffice.settings import load_settings
from eoffice.web import create_app, files
from eoffice.web.security_headers import CONTENT_SECURITY_POLICY

WEB = Path(files.__file__).parent


@pytest.fixture(scope="module")
def bare_app(tmp_path_factory):
    """An app without a database: enough for pages that never query it."""
    settings = load_settings(
        env="test", instance_dir=tmp_path_factory.mktemp("sec") / "i", secret_key="x" * 40
    )
    return create_app(settings, session_factory=lambda: None)


def _directives(policy: str) -> dict[str, str]:
    return dict([*part.strip().split(" ", 1), ""][:2] for part in policy.split(";") if part.strip())


def test_the_policy_allows_only_this_origin_and_nothing_inline():
    d = _directives(CONTENT_SECURITY_POLICY)
    assert d["default-src"] == "'self'" and d["script-src"] == "'self'"
    assert d["style-src"] == "'self'" and d["object-src"] == "'none'"
    assert d["frame-ancestors"] == "'none'" and d["base-uri"] == "'self'"
    assert d["form-action"] == "'self'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/login", 200),  # a page
        ("/static/app.css", 200),  # a static file
        ("/no-such-page", 404),  # an error page
        ("/api/v1/openapi.json", 200),  # JSON
    ],
)
def test_every_response_carries_the_headers(bare_app, path, status):
    response = bare_app.test_client().get(path)
    assert response.status_code == status
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP


def test_hsts_only_over_https(bare_app, tmp_path):
    client = bare_app.test_client()
    assert (
        "Strict-Transport-Security" in client.get("/login", base_url="https://eoffice.test").headers
    )
    # Without a trusted proxy, a client's X-Forwarded-Proto does not switch HSTS on.
    spoofed = client.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in spoofed.headers

    proxied = create_app(
        load_settings(env="test", instance_dir=tmp_path, secret_key="x" * 40, proxy_count=1),
        session_factory=lambda: None,
    ).test_client()
    https = proxied.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert https.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "Strict-Transport-Security" not in proxied.get("/login").headers


_INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "inline event handler"),
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"<style", re.I), "<style> block"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


def test_no_template_holds_inline_script_or_style():
    found = [
        f"{path.relative_to(WEB)}: {what}"
        for path in sorted((WEB / "templates").rglob("*.html"))
        for pattern, what in _INLINE
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert found == []


# Routes that answer with a file. Inline: only PDFs checked on arrival or built here, sandboxed.
INLINE_PDF_ROUTES = {"documents.main_file", "documents.preview_draft"}
DOWNLOAD_ROUTES = {
    "documents.download",
    "api.download_main_file",
    "api.download_file",
    "tasks.attachment",
    "reports.export",
    "registers.download",
    "admin_signing.image",
    "admin_exchange.quarantined_raw",
}


def _code_of(view) -> str:
    """The view's source and that of the same-module functions it calls (one level)."""
    view = inspect.unwrap(view)
    source = inspect.getsource(view)
    called = set(re.findall(r"\b(_\w+)\(", source))
    helpers = [view.__globals__.get(name) for name in sorted(called)]
    return "\n".join([source] + [inspect.getsource(h) for h in helpers if inspect.isfunction(h)])


def test_every_file_route_is_known_and_answers_through_the_files_module(bare_app):
    inline, download = set(), set()
    for endpoint, view in bare_app.view_functions.items():
        code = _code_of(view)
        if "files.pdf_inline(" in code:
            inline.add(endpoint)
        if "files.download(" in code:
            download.add(endpoint)
    assert inline == INLINE_PDF_ROUTES
    assert download == DOWNLOAD_ROUTES


def test_only_the_files_module_builds_file_answers():
    offenders = [
        str(path.relative_to(WEB))
        for path in WEB.rglob("*.py")
        if path.name != "files.py"
        and re.search(r"send_file|Content-Disposition", path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_a_download_is_an_attachment_sandboxed_and_never_sniffed(bare_app):
    with bare_app.test_request_context("/"):
        response = files.download(b"<html><script>alert(1)</script>", "Tờ trình.html", "text/html")
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=\"to-trinh.html\"; filename*=UTF-8''T%E1%BB%9D%20tr%C3%ACnh.html"
    )
    assert response.headers["Content-Security-Policy"] == "sandbox"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "private, no-store"


def test_an_inline_pdf_is_sandboxed_and_framed_only_by_its_own_page(bare_app):
    with bare_app.test_request_context("/"):
        alone = files.pdf_inline(b"%PDF-1.7\n", "a.pdf")
        framed = files.pdf_inline(b"%PDF-1.7\n", "a.pdf", framed_by_self=True)
    assert alone.mimetype == "application/pdf"
    assert alone.headers["Content-Disposition"].startswith("inline")
    assert alone.headers["Content-Security-Policy"] == "sandbox"
    assert framed.headers["Content-Security-Policy"] == "sandbox; frame-ancestors 'self'"
    assert framed.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert framed.headers["X-Content-Type-Options"] == "nosniff"
