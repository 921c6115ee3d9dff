"""Security headers on every response: a Content-Security-Policy without inline script or style,
frame denial, a same-origin referrer, no MIME sniffing, and HSTS when the request came over HTTPS.

Every page uses only files under ``static/``: scripts are ``static/*.js`` (no inline ``<script>``,
no ``on…=`` attributes) and styles are ``static/app.css`` (no ``style=`` attributes), so the
policy allows neither inline script nor inline style. Responses that already carry a policy of
their own (stored files served with ``sandbox``, see ``web/files.py``) keep it, with
``frame-ancestors 'none'`` added unless they say otherwise.
"""

from __future__ import annotations

from flask import Flask, request
from werkzeug.wrappers import Response

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    )
)
# As nginx sends it (deploy/nginx); includeSubDomains would bind the domain's other hosts.
HSTS = "max-age=31536000"


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    if "Content-Security-Policy" in headers:  # a stored file's sandbox: add frame denial to it
        if "frame-ancestors" not in headers["Content-Security-Policy"]:
            headers["Content-Security-Policy"] += "; frame-ancestors 'none'"
    else:
        headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    # DENY, except the document's PDF, which its own page frames (it says SAMEORIGIN itself).
    headers.setdefault("X-Frame-Options", "DENY")
    headers["Referrer-Policy"] = "same-origin"
    headers["X-Content-Type-Options"] = "nosniff"
    # request.is_secure follows X-Forwarded-Proto only when ProxyFix trusts the proxy
    # (EOFFICE_PROXY_COUNT): a client cannot switch HSTS on over plain HTTP by sending the header.
    if request.is_secure:
        headers["Strict-Transport-Security"] = HSTS
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)
