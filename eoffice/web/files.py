"""The only way the web app answers with a file: stored uploads, received files, exports.

A file is someone's content, never a page of this site:

- :func:`download` answers ``Content-Disposition: attachment`` with a ``sandbox`` policy, so even a
  browser that opened it would run nothing with this origin's rights;
- :func:`pdf_inline` is for the one inline case, a PDF that was checked on arrival
  (``pdfsafety``) or that we built: ``Content-Type: application/pdf``, ``nosniff``, and
  ``Content-Security-Policy: sandbox`` (an opaque origin: no script reaches this site's cookies or
  pages). ``framed_by_self`` lets the document's own page show it in an iframe.

Every response is ``private, no-store``: these files are behind a login.
"""

from __future__ import annotations

import io
from urllib.parse import quote

from flask import request, send_file
from werkzeug.wrappers import Response

from eoffice.documents import exports

PDF = "application/pdf"


def attachment_header(filename: str) -> str:
    """Return a Content-Disposition for a download named ``filename`` (RFC 6266 / RFC 5987).

    Browsers use ``filename*`` (UTF-8, so the Vietnamese name survives); old clients fall back
    to the plain-ASCII ``filename``.
    """
    fallback = exports.ascii_filename(filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def download(
    data: bytes, filename: str, content_type: str | None, *, etag: str | None = None
) -> Response:
    """Answer ``data`` as a download named ``filename``."""
    response = Response(data, mimetype=content_type or "application/octet-stream")
    response.headers["Content-Disposition"] = attachment_header(filename)
    if etag:
        response.set_etag(etag)
        response.make_conditional(request)
    return _harden(response)


def pdf_inline(data: bytes, filename: str, *, framed_by_self: bool = False) -> Response:
    """Answer a checked or self-built PDF for the browser's viewer."""
    response = send_file(
        io.BytesIO(data), mimetype=PDF, as_attachment=False, download_name=filename, max_age=0
    )
    _harden(response)
    if framed_by_self:
        response.headers["Content-Security-Policy"] = "sandbox; frame-ancestors 'self'"
        response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


def _harden(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = "sandbox"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
