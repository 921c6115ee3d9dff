"""Vào sổ văn bản đến (clerk) and soạn dự thảo văn bản đi (drafters): upload forms."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from eoffice import clock
from eoffice.documents import incoming as incoming_services
from eoffice.documents import outgoing as outgoing_services
from eoffice.documents.access import get_visible_document
from eoffice.documents.blobs import Upload
from eoffice.documents.metadata import DocumentMetadata, validate_metadata
from eoffice.documents.models import Document
from eoffice.errors import EofficeError, NotFound
from eoffice.org.models import Agency, Role
from eoffice.org.services import list_agencies, users_with_role
from eoffice.web.documents import bp
from eoffice.web.documents.common import show_field_errors, to_int
from eoffice.web.documents.permissions import can_draft, can_register_incoming
from eoffice.web.documents.uploads import keep_upload, kept_file, kept_upload, upload_from
from eoffice.web.forms_documents import DraftForm, IncomingForm
from eoffice.web.session import current_actor, db, file_policy, signature_config


@bp.route("/incoming/new", methods=["GET", "POST"])
@login_required
def register_incoming() -> Any:
    actor = current_actor()
    if not can_register_incoming(actor):
        abort(403)
    form = IncomingForm()
    agencies = list_agencies(db())
    if request.method == "GET":
        form.arrival_date.data = clock.today()
        return _incoming_page(form, agencies)
    if not form.validate_on_submit():
        _keep_for_next_try(form, upload_from(form.file.data), keep=True)
        return _incoming_page(form, agencies, status=422)
    meta = _incoming_meta(form, agencies)
    upload = _chosen_file(form, meta, incoming=True, arrival=form.arrival_date.data)
    if upload is None:
        return _incoming_page(form, agencies, status=422)
    try:
        registration = incoming_services.register_incoming(
            db(),
            actor,
            meta,
            upload,
            file_policy(),
            arrival_date=form.arrival_date.data,
            allow_duplicate=form.allow_duplicate.data,
            signature_config=signature_config(),
        )
    except EofficeError as e:
        db().rollback()
        show_field_errors(form, e)
        _keep_for_next_try(form, upload, keep="file" not in e.fields)
        duplicate = e.code == "possible_duplicate"
        return _incoming_page(form, agencies, duplicate=duplicate, status=e.http_status)
    db().commit()
    document = registration.document
    flash(
        _(
            "Đã vào sổ văn bản đến số %(number)02d/%(year)s.",
            number=document.number,
            year=document.year,
        ),
        "success",
    )
    for warning in registration.warnings:
        flash(warning, "warning")
    return redirect(url_for("documents.show", document_id=document.id))


def _incoming_page(
    form: IncomingForm, agencies: list[Agency], *, duplicate: bool = False, status: int = 200
) -> tuple[str, int]:
    kept = kept_file(form.kept_file.data, current_actor().user_id)
    return render_template(
        "documents/register_incoming.html",
        form=form,
        agencies=agencies,
        duplicate=duplicate or bool(form.allow_duplicate.data),
        kept=kept,
    ), status


def _incoming_meta(form: IncomingForm, agencies: list[Agency]) -> DocumentMetadata:
    organ_name = (form.organ_name.data or "").strip()
    known = {a.name: a.code for a in agencies}
    return DocumentMetadata(
        type_code=form.type_code.data or "",
        subject=form.subject.data or "",
        organ_name=organ_name,
        organ_id=known.get(organ_name, ""),
        code_number=form.code_number.data or "",
        code_notation=form.code_notation.data or "",
        issued_date=form.issued_date.data,
        signer_name=form.signer_name.data or "",
        signer_position=form.signer_position.data or "",
        urgency=form.urgency.data or "",
        secrecy=form.secrecy.data or "",
        due_date=form.due_date.data,
        description=form.description.data or "",
    )


def _chosen_file(
    form: IncomingForm | DraftForm,
    meta: DocumentMetadata,
    *,
    incoming: bool,
    arrival: date | None = None,
) -> Upload | None:
    """Return the new file, else the kept one.

    Without either, the form gets "choose a file" and every other field error at once, so the
    user fixes everything in one go.
    """
    actor = current_actor()
    upload = upload_from(form.file.data) or kept_upload(
        form.kept_file.data, file_policy(), actor.user_id
    )
    if upload is not None:
        return upload
    form.kept_file.data = ""
    form.file.errors = [*form.file.errors, _("Chọn tệp PDF của văn bản")]
    try:
        validate_metadata(meta.cleaned(), incoming=incoming, arrival=arrival or clock.today())
    except EofficeError as e:
        show_field_errors(form, e)
    else:
        flash(_("Chưa chọn tệp văn bản."), "danger")
    return None


def _keep_for_next_try(
    form: IncomingForm | DraftForm, upload: Upload | None, *, keep: bool
) -> None:
    """Keep a new upload for the next try (``keep``: the refusal was not about the file)."""
    if upload is None:
        return  # nothing new chosen: a file kept earlier stays kept
    kept = keep_upload(upload, file_policy(), current_actor().user_id) if keep else None
    form.kept_file.data = kept.token if kept else ""


@bp.route("/outgoing/new", methods=["GET", "POST"])
@login_required
def create_draft() -> Any:
    actor = current_actor()
    if not can_draft(actor):
        abort(403)
    form = DraftForm()
    reply_to = _reply_to(form.in_reply_to_id.data or request.args.get("reply_to"))
    form.in_reply_to_id.data = str(reply_to.id) if reply_to else ""
    if request.method == "GET":
        return _draft_page(form, reply_to, status=200)
    if not form.validate_on_submit():
        _keep_for_next_try(form, upload_from(form.file.data), keep=True)
        return _draft_page(form, reply_to, status=422)
    meta = DocumentMetadata(
        type_code=form.type_code.data or "",
        subject=form.subject.data or "",
        urgency=form.urgency.data or "",
        secrecy=form.secrecy.data or "",
        due_date=form.due_date.data,
        description=form.description.data or "",
    )
    upload = _chosen_file(form, meta, incoming=False)
    if upload is None:
        return _draft_page(form, reply_to, status=422)
    data = outgoing_services.DraftInput(
        meta=meta,
        signer_id=to_int(form.signer_id.data) or 0,
        recipient_codes=tuple(form.recipients.data or ()),
        in_reply_to_id=reply_to.id if reply_to else None,
    )
    try:
        document = outgoing_services.create_draft(db(), actor, data, upload, file_policy())
    except EofficeError as e:
        db().rollback()
        show_field_errors(form, e)
        _keep_for_next_try(form, upload, keep="file" not in e.fields)
        return _draft_page(form, reply_to, status=e.http_status)
    db().commit()
    flash(_("Đã tạo dự thảo. Trình kiểm tra khi dự thảo hoàn chỉnh."), "success")
    return redirect(url_for("documents.show", document_id=document.id))


def _reply_to(value: object) -> Document | None:
    """Return the incoming document this draft answers, if the user may see it."""
    document_id = to_int(value)
    if document_id is None:
        return None
    try:
        return get_visible_document(db(), current_actor(), document_id)
    except NotFound:
        return None


def _draft_page(form: DraftForm, reply_to: Document | None, *, status: int) -> tuple[str, int]:
    actor = current_actor()
    agency_id = actor.agency_id or 0
    leaders = users_with_role(db(), agency_id, Role.LEADER)
    form.signer_id.choices = [
        ("", _("— Chọn người ký —")),
        *((str(u.id), f"{u.full_name} — {u.position}") for u in leaders),
    ]
    agencies = [a for a in list_agencies(db()) if a.id != agency_id and a.is_active]
    form.recipients.choices = [(a.code, f"{a.name} ({a.code})") for a in agencies]
    return render_template(
        "documents/create_draft.html",
        form=form,
        reply_to=reply_to,
        kept=kept_file(form.kept_file.data, actor.user_id),
    ), status
