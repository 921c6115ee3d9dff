"""The document page's section on a secret document's grants: who holds one, and the grant and
revoke forms for the leaders and clerks who may manage them (routes in ``grants.py``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_wtf import FlaskForm

from eoffice.documents.grants import GrantHolder, is_secret, list_grants, may_manage_grants
from eoffice.documents.models import Document
from eoffice.org.services import list_users
from eoffice.web.forms_documents import GrantForm, RevokeGrantForm
from eoffice.web.session import current_actor, db


@dataclass
class GrantSection:
    holders: list[GrantHolder]
    may_manage: bool
    grant_form: GrantForm | None = None
    revoke_forms: dict[int, RevokeGrantForm] = field(default_factory=dict)
    open_form: str = ""
    """The form that failed, shown open: "grant" or "revoke-<user id>"."""


def grant_section(
    document: Document, failed: tuple[str, FlaskForm] | None = None
) -> GrantSection | None:
    """Return the section for a secret document (None for an ordinary one).

    Only grant holders ever reach a secret document's page, so listing the holders is safe.
    """
    if not is_secret(document):
        return None
    session, actor = db(), current_actor()
    holders = list_grants(session, document)
    section = GrantSection(holders, may_manage_grants(session, actor, document))
    if not section.may_manage:
        return section
    failed_key, failed_form = failed if failed else ("", None)
    grant_form = failed_form if failed_key == "grant" else None
    if not isinstance(grant_form, GrantForm):
        grant_form = GrantForm(prefix="grant", formdata=None)
    held = {h.user.id for h in holders}
    grant_form.user_id.choices = [("", "—")] + [
        (str(u.id), f"{u.full_name} ({u.username})")
        for u in sorted(list_users(session, [document.agency_id]), key=lambda u: u.full_name)
        if u.is_active and u.id not in held
    ]
    section.grant_form = grant_form
    me = actor.principal.id if actor.principal else None
    for holder in holders:
        if holder.protected or holder.user.id == me:
            continue
        key = f"revoke-{holder.user.id}"
        revoke = failed_form if failed_key == key else None
        if not isinstance(revoke, RevokeGrantForm):
            revoke = RevokeGrantForm(prefix=key, formdata=None)
        section.revoke_forms[holder.user.id] = revoke
    section.open_form = failed_key
    return section
