"""GET /healthz: database reachable, migrations at head, last worker heartbeat."""

from __future__ import annotations

from flask import Blueprint, jsonify

from eoffice.migrate import head_revision
from eoffice.system.services import get_health
from eoffice.web.session import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    health = get_health(db(), head_revision())
    return jsonify(health.as_dict()), 200 if health.ok else 503
