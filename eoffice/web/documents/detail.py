"""The document page (metadata beside the PDF, timeline, assignments, recipients, actions) and
the file downloads."""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import cache

from flask import render_template, send_file
from flask_babel import gettext as _
from flask_login import login_required
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from eoffice.audit.services import list_events_for
from eoffice.documents.access import get_visible_document
from eoffice.documents.amend import FIELD_LABELS, replaced_by
from eoffice.documents.files import read_file
from eoffice.documents.incoming import lead_assignment
from eoffice.documents.models import Document
from eoffice.errors import NotFound
from eoffice.org.actor import Actor
from eoffice.org.credentials import active_credential
from eoffice.org.models import CredentialKind, Role, User
from eoffice.org.services import get_user_or_raise, list_users, users_with_role
from eoffice.web.documents import bp
from eoffice.web.documents.common import visible
from eoffice.web.documents.grant_section import grant_section
from eoffice.web.documents.permissions import (
    IRREVERSIBLE,
    available_actions,
    can_replace,
    can_reply,
)
from eoffice.web.documents.timeline import build_timeline
from eoffice.web.forms import EmptyForm
from eoffice.web.forms_documents import (
    AcceptForm,
    AssignForm,
    CommentForm,
    CompleteForm,
    ConfirmForm,
    PresentForm,
    ReasonForm,
    ReassignForm,
    ReplaceFileForm,
    ReturnDraftForm,
    SignForm,
    UpdateForm,
    encode_target,
)
from eoffice.web.session import current_actor, db, file_policy

FORM_CLASSES: dict[str, type[FlaskForm]] = {
    "accept": AcceptForm,
    "reject": ReasonForm,
    "present": PresentForm,
    "assign": AssignForm,
    "reassign": ReassignForm,
    "complete": CompleteForm,
    "return": ReasonForm,
    "submit": EmptyForm,
    "review": CommentForm,
    "approve": CommentForm,
    "return_draft": ReturnDraftForm,
    "replace_file": ReplaceFileForm,
    "sign": SignForm,
    "issue": SignForm,
    "deliver": ConfirmForm,
    "update": UpdateForm,
    "withdraw": ReasonForm,
}


@bp.get("/<int:document_id>")
@login_required
def show(document_id: int) -> tuple[str, int]:
    document = get_visible_document(db(), current_actor(), document_id)
    return render_document(document)


def render_document(
    document: Document,
    failed: tuple[str, FlaskForm] | None = None,
    *,
    status: int = 200,
    duplicate: bool = False,
    grant_failed: tuple[str, FlaskForm] | None = None,
) -> tuple[str, int]:
    """Render the document page; ``failed`` is the action form to show again with its errors
    (``grant_failed`` the same for the secret document's grant and revoke forms)."""
    actor = current_actor()
    actions = available_actions(actor, document)
    kinds = _signing_kinds(actor, document, actions)
    forms = {key: _form_for(key, document, failed, kinds.get(key)) for key in actions}
    user_by_id = _user_lookup()
    main = next((f for f in document.files if f.is_main), None)
    return render_template(
        "documents/show.html",
        document=document,
        main_file=main,
        other_files=[f for f in reversed(document.files) if not f.is_main],
        lead=lead_assignment(document),
        assignments=[a for a in document.assignments if a.is_active],
        timeline=build_timeline(list_events_for(db(), "document", document.id), user_by_id),
        user_by_id=user_by_id,
        actions=actions,
        forms=forms,
        irreversible=IRREVERSIBLE,
        may_reply=can_reply(actor, document),
        may_replace=can_replace(actor, document),
        replaces=visible(document.replaces_id),
        replaced_by=[d for d in replaced_by(db(), document) if visible(d.id)],
        duplicate=duplicate,
        signing_kinds=kinds,
        grants=grant_section(document, grant_failed),
    ), status


def new_form(key: str) -> FlaskForm:
    """Return the action's form bound to the submitted data."""
    return FORM_CLASSES[key](prefix=key)


def _form_for(
    key: str, document: Document, failed: tuple[str, FlaskForm] | None, kind: str | None
) -> FlaskForm:
    if failed is not None and failed[0] == key:
        form = failed[1]
    else:
        # formdata=None: a form re-shown after another action failed must not read that POST.
        form = FORM_CLASSES[key](prefix=key, formdata=None, data=_initial(key, document))
    _CHOICES.get(key, _no_choices)(form, document)
    if kind == CredentialKind.PKCS11:
        form.passphrase.label.text = _("Mã PIN của thiết bị ký số")
    return form


def signing_kind(
    session: Session, *, user_id: int | None = None, agency_id: int | None = None
) -> str | None:
    """Return the kind of the person's or agency's active key (None: none installed)."""
    credential = active_credential(session, user_id=user_id, agency_id=agency_id)
    return credential.kind if credential is not None else None


def _signing_kinds(actor: Actor, document: Document, actions: list[str]) -> dict[str, str | None]:
    """Which key the sign and issue forms will use: the signer's own, the agency's."""
    kinds: dict[str, str | None] = {}
    if "sign" in actions:
        kinds["sign"] = signing_kind(db(), user_id=actor.user_id)
    if "issue" in actions:
        kinds["issue"] = signing_kind(db(), agency_id=document.agency_id)
    return kinds


def _initial(key: str, document: Document) -> dict:
    if key == "assign":
        current = [a for a in document.assignments if a.is_active and a.parent_id is None]
        targets = {
            role: [encode_target(a.unit_id, a.user_id) for a in current if a.role == role]
            for role in ("lead", "cooperate", "inform")
        }
        return {
            "lead": (targets["lead"] or [""])[0],
            "cooperate": targets["cooperate"],
            "inform": targets["inform"],
            "deadline": document.due_date,
            "instruction": document.instruction,
        }
    if key == "reassign":
        lead = lead_assignment(document)
        return {"deadline": lead.deadline if lead else None}
    if key == "update":
        return {name: getattr(document, name) for name in FIELD_LABELS if name != "page_amount"}
    return {}


def _no_choices(form: FlaskForm, document: Document) -> None:
    return None


def _present_choices(form: FlaskForm, document: Document) -> None:
    leaders = users_with_role(db(), document.agency_id, Role.LEADER)
    form.leader_id.choices = [
        ("", _("— Chọn lãnh đạo —")),
        *((str(u.id), f"{u.full_name} — {u.position}") for u in leaders),
    ]


def _assign_choices(form: FlaskForm, document: Document) -> None:
    units = [u for u in document.agency.units if u.is_active]
    people = [u for u in list_users(db(), [document.agency_id]) if u.is_active]
    unit_choices = [(encode_target(unit_id=u.id), u.name) for u in units]
    person_choices = [
        (encode_target(user_id=u.id), _person_label(u))
        for u in sorted(people, key=lambda u: u.full_name)
    ]
    # The template adds the empty "choose" option before these groups.
    form.lead.choices = {
        _("Đơn vị"): unit_choices,
        _("Cá nhân"): person_choices,
    }
    form.cooperate.choices = unit_choices + person_choices
    form.inform.choices = unit_choices + person_choices


def _person_label(user: User) -> str:
    parts = [user.position, user.unit.short_name if user.unit else ""]
    details = ", ".join(p for p in parts if p)
    return f"{user.full_name} — {details}" if details else user.full_name


def _reassign_choices(form: FlaskForm, document: Document) -> None:
    lead = lead_assignment(document)
    unit_id = lead.unit_id if lead else None
    members = [
        u for u in list_users(db(), [document.agency_id]) if u.unit_id == unit_id and u.is_active
    ]
    form.handler_id.choices = [
        ("", _("— Chọn người xử lý —")),
        *((str(u.id), f"{u.full_name} — {u.position}") for u in members),
    ]


_CHOICES: dict[str, Callable[[FlaskForm, Document], None]] = {
    "present": _present_choices,
    "assign": _assign_choices,
    "reassign": _reassign_choices,
}


def _user_lookup() -> Callable[[int], User | None]:
    @cache
    def user_by_id(user_id: int) -> User | None:
        try:
            return get_user_or_raise(db(), user_id)
        except NotFound:
            return None

    return user_by_id


@bp.get("/<int:document_id>/file")
@login_required
def main_file(document_id: int) -> Response:
    """Serve the main PDF for the inline viewer: sandboxed, never sniffed."""
    document = get_visible_document(db(), current_actor(), document_id)
    row, data = read_file(file_policy(), document)
    response = send_file(
        io.BytesIO(data),
        mimetype="application/pdf",
        as_attachment=False,
        download_name=row.filename,
        max_age=0,
    )
    return _harden(response)


@bp.get("/<int:document_id>/files/<int:file_id>")
@login_required
def download(document_id: int, file_id: int) -> Response:
    """Serve any file of the document as a download."""
    document = get_visible_document(db(), current_actor(), document_id)
    row, data = read_file(file_policy(), document, file_id)
    response = send_file(
        io.BytesIO(data),
        mimetype=row.content_type or "application/octet-stream",
        as_attachment=True,
        download_name=row.filename,
        max_age=0,
    )
    return _harden(response)


def _harden(response: Response) -> Response:
    # A file is the uploader's content: it must never run as a page of this site.
    response.headers["Content-Security-Policy"] = "sandbox"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
