"""Quản trị liên thông VXP: dead letters to re-send, quarantined messages to inspect."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from eoffice.errors import EofficeError, NotFound
from eoffice.exchange import admin as exchange_admin
from eoffice.org import services as org
from eoffice.web import files
from eoffice.web.admin import admin_required
from eoffice.web.forms import EmptyForm
from eoffice.web.session import current_actor, db

bp = Blueprint("admin_exchange", __name__, url_prefix="/admin/exchange")


def _managed_ids() -> set[int]:
    return {a.id for a in org.list_managed_agencies(db(), current_actor())}


@bp.get("/")
@admin_required
def outbox() -> Any:
    state = request.args.get("state", "")
    rows = exchange_admin.list_outbox(db(), state or None, agency_ids=_managed_ids())
    return render_template("admin/exchange_outbox.html", rows=rows, state=state, form=EmptyForm())


@bp.post("/outbox/<int:message_id>/requeue")
@admin_required
def requeue(message_id: int) -> Response:
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        exchange_admin.requeue_dead(db(), current_actor(), message_id, agency_ids=_managed_ids())
    except NotFound:
        raise  # 404: another agency's message answers as an unknown one does
    except EofficeError as e:
        db().rollback()
        flash(e.render(_), "danger")
    else:
        db().commit()
        flash(_("Đã đưa thư vào hàng đợi để gửi lại."), "success")
    return redirect(url_for("admin_exchange.outbox"))


@bp.get("/quarantine")
@admin_required
def quarantine() -> str:
    scope = exchange_admin.quarantine_scope(db(), current_actor())
    return render_template(
        "admin/exchange_quarantine.html", messages=exchange_admin.list_quarantine(db(), scope)
    )


@bp.get("/quarantine/<int:message_id>")
@admin_required
def quarantined(message_id: int) -> str:
    scope = exchange_admin.quarantine_scope(db(), current_actor())
    message = exchange_admin.get_quarantined(db(), message_id, scope)
    return render_template("admin/exchange_quarantined.html", message=message)


@bp.get("/quarantine/<int:message_id>/raw")
@admin_required
def quarantined_raw(message_id: int) -> Response:
    scope = exchange_admin.quarantine_scope(db(), current_actor())
    message = exchange_admin.get_quarantined(db(), message_id, scope)
    if message.raw is None:
        abort(404)
    return files.download(message.raw, f"vxp-quarantine-{message.id}.bin", None)
