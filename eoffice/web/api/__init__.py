"""JSON API under /api/v1: bearer tokens only; errors as {"error": {code, message, fields}}."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from eoffice.org.auth import authenticate_token
from eoffice.org.services import list_agencies
from eoffice.web.errors import error_response
from eoffice.web.session import db

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.before_request
def _authenticate():
    if request.endpoint == "api.openapi_json":  # the description itself is public
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    user = authenticate_token(db(), token.strip()) if scheme.lower() == "bearer" else None
    if user is None:
        db().rollback()
        return error_response(
            401, "unauthorized", "Thiếu hoặc sai mã truy cập (Authorization: Bearer)"
        )
    db().commit()  # last_used_at
    g.api_user = user
    return None


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
