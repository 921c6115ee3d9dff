"""Small helpers the registry views share."""

from __future__ import annotations

from typing import Any

from flask import flash
from flask_babel import gettext as _

from eoffice.documents.access import get_visible_document
from eoffice.documents.models import Document
from eoffice.errors import EofficeError, InvalidInput, NotFound
from eoffice.org.models import User
from eoffice.web.session import current_actor, db

PAGE_SIZE = 50


def show_field_errors(form: Any, error: EofficeError) -> None:
    """Put a service's per-field messages next to the form's fields; flash the whole message."""
    for name, message in error.fields.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = [*field.errors, _(message)]
    flash(error.render(_), "danger")


def to_int(value: object) -> int | None:
    """Return ``value`` as a positive int, or None (blank or unreadable form values)."""
    text = str(value or "").strip()
    return int(text) if text.isascii() and text.isdigit() and int(text) > 0 else None


def pick_user(value: object, field: str, message: str) -> User:
    """Return the user of the actor's agency a form's select names.

    :raises InvalidInput: nothing chosen, an unknown person or one of another agency (the same
        answer, so an id reveals nothing), with ``message`` on ``field``.
    """
    user_id = to_int(value)
    user = db().get(User, user_id) if user_id is not None else None
    if user is None or user.agency_id != current_actor().agency_id:
        raise InvalidInput(message, fields={field: message})
    return user


def visible(value: object) -> Document | None:
    """Return the document a form or URL value names, if the current user may see it."""
    document_id = to_int(value)
    if document_id is None:
        return None
    try:
        return get_visible_document(db(), current_actor(), document_id)
    except NotFound:
        return None


def prefill_replacement(form: Any, value: object) -> None:
    """Start a replacement draft (văn bản thay thế) from the document it replaces: the same
    form, subject, deadline and recipients; the drafter corrects what was wrong."""
    old = visible(value)
    if old is None:
        return
    form.replaces_id.data = str(old.id)
    form.type_code.data = old.type_code
    form.subject.data = old.subject
    form.due_date.data = old.due_date
    form.recipients.data = [r.organ_id for r in old.recipients]
