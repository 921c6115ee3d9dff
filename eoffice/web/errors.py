"""One place maps errors to HTTP answers: JSON under /api, friendly Vietnamese pages elsewhere."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from eoffice.errors import EofficeError

log = logging.getLogger(__name__)

_HTTP_MESSAGES = {
    400: "Yêu cầu không hợp lệ.",
    401: "Cần đăng nhập.",
    403: "Bạn không có quyền truy cập trang này.",
    404: "Không tìm thấy trang hoặc dữ liệu bạn yêu cầu.",
    405: "Phương thức không được hỗ trợ.",
    413: "Tệp tải lên vượt quá dung lượng cho phép.",
    429: "Quá nhiều yêu cầu. Vui lòng thử lại sau.",
    500: "Hệ thống gặp lỗi. Vui lòng thử lại sau.",
    503: "Hệ thống tạm thời không phục vụ được (cơ sở dữ liệu không sẵn sàng). Vui lòng thử lại sau.",
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
    return render_template("errors/error.html", status=status, message=message), status


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

    @app.errorhandler(OperationalError)
    def _database_down(e: OperationalError):
        log.error("database unavailable: %s", e)
        return error_response(503, "service_unavailable", _(_HTTP_MESSAGES[503]))

    @app.errorhandler(HTTPException)
    def _http_error(e: HTTPException):
        status = e.code or 500
        message = _(_HTTP_MESSAGES.get(status, "Yêu cầu không hợp lệ."))
        return error_response(status, _http_code(status), message)

    @app.errorhandler(Exception)
    def _unexpected(e: Exception):
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
