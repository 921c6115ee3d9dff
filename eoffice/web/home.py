"""The home page: who I am and my work queues."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from eoffice.org.delegations import active_delegations_for
from eoffice.web.session import db

bp = Blueprint("home", __name__)


@bp.get("/")
@login_required
def index() -> str:
    delegations = active_delegations_for(db(), current_user.model)
    return render_template("home.html", delegations=delegations)
