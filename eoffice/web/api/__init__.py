"""JSON API under /api/v1: bearer tokens only; errors as {"error": {code, message, fields}}."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from flask import Blueprint, current_app, g, jsonify, make_response, request
from flask_babel import gettext as _

from eoffice import clock
from eoffice.org import throttle
from eoffice.org.auth import authenticate_token
from eoffice.org.services import list_agencies
from eoffice.org.throttle import Limit
from eoffice.web.errors import error_response
from eoffice.web.ratelimit import PerMinute
from eoffice.web.session import client_ip, db, settings

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.before_request
def _authenticate():
    if request.endpoint == "api.openapi_json":  # the description itself is public
        return None
    conf = settings()
    bad_tokens = Limit(
        conf.api_token_ip_max_failures, timedelta(minutes=conf.api_token_lockout_minutes)
    )
    ip = client_ip()
    wait = throttle.retry_after(db(), throttle.API_IP, ip, bad_tokens)
    if wait:  # this address sent too many bad tokens: not even a good one is looked at now
        return too_many_requests(wait)
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    user = authenticate_token(db(), token) if scheme.lower() == "bearer" else None
    if user is None:
        db().rollback()
        throttle.count_event(db(), throttle.API_IP, ip, bad_tokens)
        db().commit()  # the count must persist
        return error_response(
            401, "unauthorized", "Thiếu hoặc sai mã truy cập (Authorization: Bearer)"
        )
    db().commit()  # last_used_at
    per_token = current_app.extensions["eoffice"].setdefault(
        "api_rate", PerMinute(conf.api_requests_per_minute)
    )
    wait = per_token.hit(hashlib.sha256(token.encode()).hexdigest(), clock.now().timestamp())
    if wait:
        return too_many_requests(wait)
    g.api_user = user
    return None


def too_many_requests(wait: int):
    """429 ``too_many_requests`` with Retry-After (seconds)."""
    message = _("Quá nhiều yêu cầu. Vui lòng thử lại sau %(seconds)s giây.", seconds=wait)
    body, status = error_response(429, "too_many_requests", message)
    response = make_response(body, status)
    response.headers["Retry-After"] = str(wait)
    return response


@bp.get("/me")
def me():
    user = g.api_user
    return jsonify(
        {
            "id": user.id,
            "username": user.username,
            "full_name": user.full_name,
            "agency": {"code": user.agency.code, "name": user.agency.name},
            "roles": sorted(r.value for r in user.roles),
        }
    )


@bp.get("/agencies")
def agencies():
    items = [
        {
            "code": a.code,
            "name": a.name,
            "short_name": a.short_name,
            "level": a.level,
            "exchanges_via_vxp": a.exchanges_via_vxp,
        }
        for a in list_agencies(db())
    ]
    return jsonify({"items": items})


from eoffice.web.api import documents, grants, openapi, signing  # noqa: E402,F401 - register their routes
from eoffice.web.api import tasks as _tasks  # noqa: E402,F401 - registers the task routes on bp
