"""The page of a signature waiting for the user's USB token: what to sign, and where to paste the
value the signing tool returns (the same service as ``/api/v1/documents/{id}/external-signatures``)."""

from __future__ import annotations

import base64
from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import Length, Optional

import signing
from eoffice.documents import external
from eoffice.documents.access import get_visible_document
from eoffice.documents.models import Document, ExternalSignature
from eoffice.errors import EofficeError
from eoffice.org.models import SigningCredential
from eoffice.web.documents import bp
from eoffice.web.documents.common import show_field_errors
from eoffice.web.session import current_actor, db, file_policy, signature_config


class FinishForm(FlaskForm):
    signature = TextAreaField(
        _l("Chữ ký do USB token trả về (Base64)"),
        validators=[Optional(), Length(max=20000)],
        render_kw={"rows": 4, "spellcheck": "false", "autocomplete": "off"},
    )


@bp.route("/<int:document_id>/external/<int:external_id>", methods=["GET", "POST"])
@login_required
def external_signature(document_id: int, external_id: int) -> Any:
    actor = current_actor()
    document = get_visible_document(db(), actor, document_id)
    row = external.get_external(db(), actor, document, external_id)
    form = FinishForm()
    if not form.validate_on_submit():
        return _page(document, row, form, 422 if form.is_submitted() else 200)
    try:
        value = external.decode_signature(form.signature.data or "")
        step = row.step
        external.finish_external(
            db(), actor, document, row, value, file_policy(), signature_config()
        )
    except EofficeError as e:
        db().rollback()
        show_field_errors(form, e)
        return _page(document, row, form, e.http_status)
    db().commit()
    flash(
        _("Đã ký số văn bản.")
        if step == external.Step.SIGN
        else _("Đã cấp số %(code)s, ký số cơ quan và phát hành.", code=document.code),
        "success",
    )
    return redirect(url_for("documents.show", document_id=document.id))


def _page(document: Document, row: ExternalSignature, form: FinishForm, status: int):
    pending = signing.PendingSignature.from_json(row.state)
    credential = db().get(SigningCredential, row.credential_id)
    return render_template(
        "documents/external.html",
        document=document,
        row=row,
        form=form,
        data_to_sign=base64.b64encode(pending.data_to_sign).decode("ascii"),
        digest_hex=pending.digest_to_sign.hex(),
        digest_b64=base64.b64encode(pending.digest_to_sign).decode("ascii"),
        algorithm=external.signature_algorithm(row),
        subject=credential.certificate_subject if credential else "",
    ), status
