"""One place maps errors to HTTP answers: JSON under /api, friendly Vietnamese pages elsewhere."""

from __future__ import annotations

import contextlib
import logging

from flask import Flask, current_app, g, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from eoffice.errors import EofficeError

log = logging.getLogger(__name__)


def N_(message: str) -> str:  # noqa: N802 - the name pybabel extracts
    """Mark a message for extraction (a default pybabel keyword); it is translated where shown."""
    return message


_HTTP_MESSAGES = {
    400: N_("Yêu cầu không hợp lệ."),
    401: N_("Cần đăng nhập."),
    403: N_("Bạn không có quyền truy cập trang này."),
    404: N_("Không tìm thấy trang hoặc dữ liệu bạn yêu cầu."),
    405: N_("Phương thức không được hỗ trợ."),
    413: N_("Tệp tải lên vượt quá dung lượng cho phép."),
    429: N_("Quá nhiều yêu cầu. Vui lòng thử lại sau."),
    500: N_("Hệ thống gặp lỗi. Vui lòng thử lại sau."),
    503: N_(
        "Hệ thống tạm thời không phục vụ được (cơ sở dữ liệu không sẵn sàng). Vui lòng thử lại sau."
    ),
}


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def error_response(
    status: int, code: str, message: str, fields: dict | None = None
) -> tuple[Response | str, int]:
    """Answer an error as JSON for the API, or as a page."""
    if wants_json():
        return jsonify(
            {"error": {"code": code, "message": message, "fields": fields or {}}}
        ), status
    try:
        _rollback_request_session()  # keep nothing of the failed view; the page queries afresh
        return render_template("errors/error.html", status=status, message=message), status
    except DBAPIError as e:  # the database went away while the page was being drawn
        if not _database_unreachable(e):
            raise
        log.error("database unavailable: %s", e)
        return unavailable_response(), 503


def _rollback_request_session() -> None:
    session = g.get("db")
    if session is not None:
        session.rollback()


def _drop_request_session() -> None:
    session = g.pop("db", None)
    if session is not None:
        with contextlib.suppress(Exception):  # closing a dead connection may fail: it is dropped
            session.close()


def _database_unreachable(e: DBAPIError) -> bool:
    """A lost or refused connection (server down, restarting, locked), not a bad statement."""
    return isinstance(e, (OperationalError, InterfaceError)) or e.connection_invalidated


def _database_lost_while_serialising(e: Exception) -> bool:
    """pydantic reads ORM attributes itself and reports a lazy load that failed as a validation
    error of type ``get_attribute_error`` whose context names the exception: a connection lost
    there is a 503 like anywhere else, not a 500."""
    if not isinstance(e, ValidationError):
        return False
    lost = tuple(f"{cls.__name__}:" for cls in (OperationalError, InterfaceError))
    return any(
        error["type"] == "get_attribute_error"
        and str(error.get("ctx", {}).get("error", "")).startswith(lost)
        for error in e.errors()
    )


def unavailable_response() -> Response:
    """503 while the database is unreachable, rendered without touching the database.

    The request's session is dropped first (its connection is dead), and the page is rendered
    straight from the Jinja environment: the usual context processors (menu counts, delegations,
    the logged-in user) would query the database again and turn this answer into a bare 500.
    """
    _drop_request_session()
    message = _(_HTTP_MESSAGES[503])
    if wants_json():
        body = jsonify({"error": {"code": "service_unavailable", "message": message, "fields": {}}})
        response = make_response(body, 503)
    else:
        template = current_app.jinja_env.get_template("errors/unavailable.html")
        retry = request.path if request.method == "GET" else None  # never repeat a POST by link
        html = template.render(status=503, message=message, retry=retry)
        response = make_response(html, 503)
    response.headers["Retry-After"] = "30"
    return response


def init_app(app: Flask) -> None:
    @app.errorhandler(EofficeError)
    def _service_error(e: EofficeError):
        fields = {k: _(v) for k, v in e.fields.items()}
        return error_response(e.http_status, e.code, e.render(_), fields)

    @app.errorhandler(CSRFError)
    def _csrf_error(e: CSRFError):
        message = _(
            "Biểu mẫu đã hết hạn hoặc thiếu mã bảo vệ (CSRF). Vui lòng tải lại trang và thử lại."
        )
        return error_response(400, "csrf_failed", message)

    @app.errorhandler(DBAPIError)
    def _database_error(e: DBAPIError):
        if not _database_unreachable(e):
            log.exception("database error")
            return error_response(500, "internal_error", _(_HTTP_MESSAGES[500]))
        log.error("database unavailable: %s", e)
        return unavailable_response()

    @app.errorhandler(HTTPException)
    def _http_error(e: HTTPException):
        status = e.code or 500
        message = _(_HTTP_MESSAGES.get(status, "Yêu cầu không hợp lệ."))
        return error_response(status, _http_code(status), message)

    @app.errorhandler(Exception)
    def _unexpected(e: Exception):
        if _database_lost_while_serialising(e):
            log.error("database unavailable while an answer was serialised: %s", e)
            return unavailable_response()
        log.exception("unhandled error")
        return error_response(500, "internal_error", _(_HTTP_MESSAGES[500]))


def _http_code(status: int) -> str:
    return {
        400: "bad_request",
        401: "unauthorized",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
        413: "payload_too_large",
        429: "too_many_requests",
    }.get(status, "http_error")
