"""POST /documents/<id>/grants and /documents/<id>/grants/<user_id>/revoke: a leader or clerk
holding a grant gives a secret document to a colleague, or takes it back with a reason. Both
need the confirmation box; a refusal shows the page again with the form open."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import login_required
from flask_wtf import FlaskForm

from eoffice.documents.access import get_visible_document
from eoffice.documents.grants import grant_access, revoke_access
from eoffice.errors import EofficeError, InvalidInput
from eoffice.web.documents import bp
from eoffice.web.documents.common import show_field_errors, to_int
from eoffice.web.documents.detail import render_document
from eoffice.web.forms_documents import GrantForm, RevokeGrantForm
from eoffice.web.session import current_actor, db


@bp.post("/<int:document_id>/grants")
@login_required
def grant(document_id: int) -> Any:
    form = GrantForm(prefix="grant")
    form.user_id.choices = []  # checked by the service, which names the field

    def perform() -> str:
        user_id = to_int(form.user_id.data)
        if user_id is None:
            raise InvalidInput("Chọn người được xem", fields={"user_id": "Chọn người"})
        document = get_visible_document(db(), current_actor(), document_id)
        grant_access(db(), current_actor(), document, user_id)
        return _("Đã cấp quyền xem văn bản mật.")

    return _submit(document_id, "grant", form, perform)


@bp.post("/<int:document_id>/grants/<int:user_id>/revoke")
@login_required
def revoke(document_id: int, user_id: int) -> Any:
    form = RevokeGrantForm(prefix=f"revoke-{user_id}")

    def perform() -> str:
        document = get_visible_document(db(), current_actor(), document_id)
        revoke_access(db(), current_actor(), document, user_id, form.reason.data or "")
        return _("Đã thu hồi quyền xem văn bản mật.")

    return _submit(document_id, f"revoke-{user_id}", form, perform)


def _submit(document_id: int, key: str, form: FlaskForm, perform: Any) -> Any:
    document = get_visible_document(db(), current_actor(), document_id)
    if not form.validate_on_submit():
        flash(_("Thông tin chưa hợp lệ, xem các ô được đánh dấu."), "danger")
        return render_document(document, grant_failed=(key, form), status=422)
    try:
        message = perform()
    except EofficeError as e:
        db().rollback()
        show_field_errors(form, e)
        document = get_visible_document(db(), current_actor(), document_id)
        return render_document(document, grant_failed=(key, form), status=e.http_status)
    db().commit()
    flash(message, "success")
    return redirect(url_for("documents.show", document_id=document_id) + "#grants")
