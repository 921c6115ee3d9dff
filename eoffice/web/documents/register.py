"""Vào sổ văn bản đến (clerk) and soạn dự thảo văn bản đi (drafters): upload forms."""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from eoffice import clock
from eoffice.documents import drafting
from eoffice.documents import incoming as incoming_services
from eoffice.documents import outgoing as outgoing_services
from eoffice.documents.blobs import Upload
from eoffice.documents.files import check_main_pdf
from eoffice.documents.metadata import DocumentMetadata, validate_metadata
from eoffice.documents.models import Document
from eoffice.documents.types import get_document_type
from eoffice.errors import EofficeError, NotFound
from eoffice.org.models import Agency, Role, User
from eoffice.org.services import list_agencies, users_with_role
from eoffice.web import files
from eoffice.web.documents import bp
from eoffice.web.documents.common import prefill_replacement, show_field_errors, to_int, visible
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
    missing: str | None = None,
) -> Upload | None:
    """Return the new file, else the kept one.

    Without either, the form gets "choose a file" (or ``missing``) and every other field error at
    once, so the user fixes everything in one go.
    """
    actor = current_actor()
    upload = upload_from(form.file.data) or kept_upload(
        form.kept_file.data, file_policy(), actor.user_id
    )
    if upload is not None:
        return upload
    form.kept_file.data = ""
    form.file.errors = [*form.file.errors, missing or _("Chọn tệp PDF của văn bản")]
    _check_other_fields(
        form, meta, missing or _("Chưa chọn tệp văn bản."), incoming=incoming, arrival=arrival
    )
    return None


def _check_other_fields(
    form: IncomingForm | DraftForm,
    meta: DocumentMetadata,
    message: str,
    *,
    incoming: bool,
    arrival: date | None = None,
) -> None:
    """Put the metadata's errors next to their fields too; else flash ``message`` (the file's)."""
    try:
        validate_metadata(meta.cleaned(), incoming=incoming, arrival=arrival or clock.today())
    except EofficeError as e:
        show_field_errors(form, e)
    else:
        flash(message, "danger")


def _keep_for_next_try(
    form: IncomingForm | DraftForm, upload: Upload | None, *, keep: bool
) -> None:
    """Keep a new upload for the next try (``keep``: the refusal was not about the file)."""
    if upload is None:
        return  # nothing new chosen: a file kept earlier stays kept
    if keep:
        try:
            check_main_pdf(upload, file_policy())
        except EofficeError as e:  # the file would be refused too: say so now, store nothing
            keep = False
            form.file.errors = [*form.file.errors, *(_(v) for v in e.fields.values())]
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
        prefill_replacement(form, request.args.get("replaces"))
        return _draft_page(form, reply_to, status=200)
    if not form.validate_on_submit():
        _keep_for_next_try(form, upload_from(form.file.data), keep=True)
        return _draft_page(form, reply_to, status=422)
    meta = _draft_meta(form)
    upload, built = _draft_upload(form, meta)
    if upload is None:
        return _draft_page(form, reply_to, status=422)
    data = outgoing_services.DraftInput(
        meta=meta,
        signer_id=to_int(form.signer_id.data) or 0,
        recipient_codes=tuple(form.recipients.data or ()),
        in_reply_to_id=reply_to.id if reply_to else None,
        replaces_id=to_int(form.replaces_id.data),
    )
    try:
        document = outgoing_services.create_draft(db(), actor, data, upload, file_policy())
    except EofficeError as e:
        db().rollback()
        show_field_errors(form, e)
        if built:  # the typed text stays in the form; the PDF is built again next time
            form.body.errors = [*form.body.errors, *form.file.errors]
            form.file.errors = []
        else:
            _keep_for_next_try(form, upload, keep="file" not in e.fields)
        return _draft_page(form, reply_to, status=e.http_status)
    db().commit()
    flash(_("Đã tạo dự thảo. Trình kiểm tra khi dự thảo hoàn chỉnh."), "success")
    return redirect(url_for("documents.show", document_id=document.id))


@bp.post("/outgoing/new/preview")
@login_required
def preview_draft() -> Any:
    """Return the PDF "Soạn từ biểu mẫu" would save, without saving anything."""
    actor = current_actor()
    if not can_draft(actor):
        abort(403)
    form = DraftForm()
    reply_to = _reply_to(form.in_reply_to_id.data)
    form.in_reply_to_id.data = str(reply_to.id) if reply_to else ""
    if not form.validate_on_submit():
        return _draft_page(form, reply_to, status=422)
    meta = _draft_meta(form)
    body = _text(form.body.data)
    if body and upload_from(form.file.data) is not None:
        flash(_both_given(form), "danger")
    elif not body:
        message = _("Nhập nội dung văn bản để xem trước bản soạn từ biểu mẫu.")
        _field_error(form.body, message)
        flash(message, "danger")
    else:
        try:
            validate_metadata(meta.cleaned(), incoming=False)
        except EofficeError as e:
            show_field_errors(form, e)
        else:
            data = _build_draft_pdf(form, meta, body)
            return files.pdf_inline(data, _built_filename(meta))
    return _draft_page(form, reply_to, status=422)


def _draft_meta(form: DraftForm) -> DocumentMetadata:
    return DocumentMetadata(
        type_code=form.type_code.data or "",
        subject=form.subject.data or "",
        urgency=form.urgency.data or "",
        secrecy=form.secrecy.data or "",
        due_date=form.due_date.data,
        description=form.description.data or "",
    )


def _draft_upload(form: DraftForm, meta: DocumentMetadata) -> tuple[Upload | None, bool]:
    """Return the draft's PDF and whether the page built it from the typed text.

    Exactly one way must be used: a PDF (new, or kept from a refused attempt) or the text typed
    under "Soạn từ biểu mẫu". Typed text wins over a kept file the user no longer sees as chosen.
    """
    body = _text(form.body.data)
    new_file = upload_from(form.file.data)
    if body and new_file is not None:
        message = _both_given(form)
        form.kept_file.data = ""
        _check_other_fields(form, meta, message, incoming=False)
        return None, False
    if body:
        form.kept_file.data = ""
        data = _build_draft_pdf(form, meta, body)
        return Upload(_built_filename(meta), "application/pdf", data), True
    if new_file is not None:  # its stream is read: _chosen_file would find it empty
        return new_file, False
    missing = _("Chọn tệp PDF của dự thảo, hoặc nhập nội dung ở mục “Soạn từ biểu mẫu”.")
    upload = _chosen_file(form, meta, incoming=False, missing=missing)
    if upload is None:
        form.body.errors = [*form.body.errors, missing]
    return upload, False


def _both_given(form: DraftForm) -> str:
    message = _(
        "Chỉ dùng một cách: tải lên tệp PDF hoặc soạn từ biểu mẫu, không dùng cả hai. "
        "Bỏ chọn tệp hoặc xóa nội dung đã nhập."
    )
    _field_error(form.file, message)
    _field_error(form.body, message)
    return message


def _field_error(field: Any, message: str) -> None:
    field.errors = [*field.errors, message]


def _text(value: str | None) -> str:
    """Return a textarea's text with the browser's CRLF line ends as LF, trimmed."""
    return (value or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def _built_filename(meta: DocumentMetadata) -> str:
    code = (meta.type_code or "").strip().lower()
    return f"du-thao-{code}.pdf" if code.isascii() and code.isalnum() else "du-thao.pdf"


def _build_draft_pdf(form: DraftForm, meta: DocumentMetadata, body: str) -> bytes:
    """Build the draft PDF (NĐ 30/2020 layout) from the typed text and the chosen fields.

    An unknown type or signer builds anyway (no heading, no name): create_draft refuses them with
    its own messages, so the page says what to fix the same way for both ways.
    """
    actor = current_actor()
    agency = db().get(Agency, actor.agency_id) if actor.agency_id else None
    signer = _chosen_signer(form)
    if not _text(form.signer_authority.data) and signer is not None:
        form.signer_authority.data = default_signer_authority(signer.position)
    by_code = {a.code: a.name for a in list_agencies(db())}
    chosen = dict.fromkeys(form.recipients.data or ())
    return drafting.build_draft_pdf(
        drafting.DraftForm(
            agency_name=agency.name if agency else "",
            parent_agency_name=agency.parent.name if agency and agency.parent else "",
            type_heading=_type_heading(meta.type_code),
            subject=" ".join((meta.subject or "").split()),
            body=body,
            recipients=tuple(by_code[code] for code in chosen if code in by_code),
            signer_authority=_text(form.signer_authority.data),
            signer_name=signer.full_name if signer else "",
        )
    )


def _type_heading(type_code: str) -> str | None:
    try:
        return get_document_type(type_code.strip()).heading
    except NotFound:
        return None


def _chosen_signer(form: DraftForm) -> User | None:
    """Return the chosen signer if they are a leader of the user's agency."""
    signer_id = to_int(form.signer_id.data)
    if signer_id is None:
        return None
    leaders = users_with_role(db(), current_actor().agency_id or 0, Role.LEADER)
    return next((u for u in leaders if u.id == signer_id), None)


def default_signer_authority(position: str) -> str:
    """Return the authority line(s) for a signer's position (NĐ 30/2020 Phụ lục I, mục 7).

    "Phó Chủ tịch" signs on behalf of the head: "KT. CHỦ TỊCH" over "PHÓ CHỦ TỊCH"; a head signs
    with the position alone. The drafter corrects it for TM., TL., TUQ. or Q. as needed.
    """
    position = " ".join(unicodedata.normalize("NFC", position or "").split())
    if not position:
        return ""
    head, deputy = position, position.casefold().startswith("phó ")
    if deputy:
        head = position[4:].strip()
    return f"KT. {head.upper()}\n{position.upper()}" if deputy and head else position.upper()


_reply_to = visible  # the incoming document this draft answers, if the user may see it


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
        replaces=visible(form.replaces_id.data),
        kept=kept_file(form.kept_file.data, actor.user_id),
    ), status
