"""POST /documents/<id>/<action>: validate the action's form, call its service, commit.

On a refusal the document page is shown again with the form as typed and the messages next to
its fields; nothing of the refused action is kept (the session is rolled back).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy.orm import Session

from eoffice.documents import (
    amend,
    external,
    incoming,
    outgoing,
    recall,
    recipients,
    signatures,
)
from eoffice.documents.access import get_visible_document
from eoffice.documents.external import Step
from eoffice.documents.models import Document
from eoffice.errors import EofficeError, InvalidInput
from eoffice.org.actor import Actor
from eoffice.org.models import CredentialKind
from eoffice.web.documents import bp
from eoffice.web.documents.common import pick_user, show_field_errors
from eoffice.web.documents.detail import FORM_CLASSES, new_form, render_document, signing_kind
from eoffice.web.documents.uploads import upload_from
from eoffice.web.forms_documents import decode_target
from eoffice.web.session import current_actor, db, file_policy, signature_config

Perform = Callable[[Session, Actor, Document, Any], str | tuple[str, str]]
"""Runs one action's service and returns the success message (and where to go next, when it is
not the document page)."""


@bp.post("/<int:document_id>/<action>")
@login_required
def act(document_id: int, action: str) -> Any:
    perform = _PERFORM.get(action)
    if perform is None or action not in FORM_CLASSES:
        abort(404)
    actor = current_actor()
    document = get_visible_document(db(), actor, document_id)
    form = new_form(action)
    if not form.validate_on_submit():
        flash(_("Thông tin chưa hợp lệ, xem các ô được đánh dấu."), "danger")
        return render_document(document, (action, form), status=422)
    try:
        result = perform(db(), actor, document, form)
    except EofficeError as e:
        db().rollback()
        show_field_errors(form, e)
        duplicate = e.code == "possible_duplicate"
        return render_document(document, (action, form), status=e.http_status, duplicate=duplicate)
    db().commit()
    message, target = result if isinstance(result, tuple) else (result, None)
    flash(message, "success")
    return redirect(target or url_for("documents.show", document_id=document.id))


def _accept(session: Session, actor: Actor, document: Document, form: Any) -> str:
    registration = incoming.accept_arrival(
        session, actor, document, allow_duplicate=bool(form.allow_duplicate.data)
    )
    for warning in registration.warnings:
        flash(warning, "warning")
    return _("Đã tiếp nhận, vào sổ văn bản đến số %(number)02d.", number=document.number or 0)


def _reject(session: Session, actor: Actor, document: Document, form: Any) -> str:
    incoming.reject_arrival(session, actor, document, form.reason.data or "")
    return _("Đã trả lại văn bản cho nơi gửi.")


def _present(session: Session, actor: Actor, document: Document, form: Any) -> str:
    leader = pick_user(form.leader_id.data, "leader_id", "Chọn lãnh đạo")
    incoming.present_to_leader(session, actor, document, leader)
    return _("Đã trình lãnh đạo %(name)s.", name=leader.full_name)


def _assign(session: Session, actor: Actor, document: Document, form: Any) -> str:
    plan = incoming.AssignmentPlan(
        lead=decode_target(form.lead.data or ""),
        cooperate=tuple(decode_target(v) for v in form.cooperate.data or ()),
        inform=tuple(decode_target(v) for v in form.inform.data or ()),
        deadline=form.deadline.data,
        instruction=form.instruction.data or "",
    )
    incoming.assign_document(session, actor, document, plan)
    return _("Đã cho ý kiến và phân công xử lý.")


def _reassign(session: Session, actor: Actor, document: Document, form: Any) -> str:
    handler = pick_user(form.handler_id.data, "handler_id", "Chọn người xử lý")
    incoming.reassign_within_unit(
        session, actor, document, handler, form.deadline.data, form.note.data or ""
    )
    return _("Đã giao %(name)s xử lý.", name=handler.full_name)


def _complete(session: Session, actor: Actor, document: Document, form: Any) -> str:
    incoming.complete_handling(session, actor, document, form.result.data or "")
    return _("Đã hoàn thành xử lý văn bản.")


def _return(session: Session, actor: Actor, document: Document, form: Any) -> str:
    incoming.return_document(session, actor, document, form.reason.data or "")
    return _("Đã trả lại văn bản.")


def _submit(session: Session, actor: Actor, document: Document, form: Any) -> str:
    outgoing.submit_draft(session, actor, document)
    return _("Đã trình trưởng đơn vị kiểm tra dự thảo.")


def _review(session: Session, actor: Actor, document: Document, form: Any) -> str:
    outgoing.review_draft(session, actor, document, form.comment.data or "")
    return _("Đã kiểm tra, trình lãnh đạo duyệt.")


def _approve(session: Session, actor: Actor, document: Document, form: Any) -> str:
    outgoing.approve_draft(session, actor, document, form.comment.data or "")
    return _("Đã duyệt dự thảo.")


def _return_draft(session: Session, actor: Actor, document: Document, form: Any) -> str:
    outgoing.return_draft(session, actor, document, form.comment.data or "")
    return _("Đã trả lại dự thảo cho người soạn thảo.")


def _replace_file(session: Session, actor: Actor, document: Document, form: Any) -> str:
    upload = upload_from(form.file.data)
    if upload is None:
        raise InvalidInput("Chọn tệp PDF của văn bản", fields={"file": "Chọn tệp PDF"})
    outgoing.replace_draft_file(session, actor, document, upload, file_policy())
    return _("Đã thay tệp dự thảo.")


def _sign(session: Session, actor: Actor, document: Document, form: Any) -> str | tuple[str, str]:
    if signing_kind(session, user_id=actor.user_id) == CredentialKind.EXTERNAL:
        return _start_external(session, actor, document, Step.SIGN)
    signatures.sign_as_leader(
        session, actor, document, form.passphrase.data or "", file_policy(), signature_config()
    )
    return _("Đã ký số văn bản.")


def _issue(session: Session, actor: Actor, document: Document, form: Any) -> str | tuple[str, str]:
    if signing_kind(session, agency_id=document.agency_id) == CredentialKind.EXTERNAL:
        return _start_external(session, actor, document, Step.SEAL)
    signatures.issue_with_seal(
        session, actor, document, form.passphrase.data or "", file_policy(), signature_config()
    )
    return _("Đã cấp số %(code)s, ký số cơ quan và phát hành.", code=document.code)


def _start_external(
    session: Session, actor: Actor, document: Document, step: Step
) -> tuple[str, str]:
    row = external.start_external(session, actor, document, step, file_policy(), signature_config())
    target = url_for("documents.external_signature", document_id=document.id, external_id=row.id)
    return _("Đã chuẩn bị dữ liệu cần ký; ký bằng USB token rồi gửi lại chữ ký."), target


def _deliver(session: Session, actor: Actor, document: Document, form: Any) -> str:
    recipients.issue_document(session, actor, document)
    return _("Đã phát hành văn bản.")


def _withdraw(session: Session, actor: Actor, document: Document, form: Any) -> str:
    recall.withdraw_document(session, actor, document, form.reason.data or "")
    return _("Đã thu hồi văn bản; các nơi nhận được thông báo thu hồi.")


def _update(session: Session, actor: Actor, document: Document, form: Any) -> str:
    change = amend.MetadataUpdate(
        subject=form.subject.data,
        due_date=form.due_date.data,
        urgency=form.urgency.data or None,
        signer_name=form.signer_name.data,
        signer_position=form.signer_position.data,
    )
    amend.update_issued_document(session, actor, document, change, form.reason.data or "")
    return _("Đã cập nhật thông tin văn bản và gửi cho các nơi nhận.")


_PERFORM: dict[str, Perform] = {
    "accept": _accept,
    "reject": _reject,
    "present": _present,
    "assign": _assign,
    "reassign": _reassign,
    "complete": _complete,
    "return": _return,
    "submit": _submit,
    "review": _review,
    "approve": _approve,
    "return_draft": _return_draft,
    "replace_file": _replace_file,
    "sign": _sign,
    "issue": _issue,
    "deliver": _deliver,
    "update": _update,
    "withdraw": _withdraw,
}
