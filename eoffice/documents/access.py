"""Who may see a document: agency isolation, secret grants, and involvement for specialists.

A document another user may not see is reported as not found, so a denial leaks nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, and_, exists, false, or_, select
from sqlalchemy.orm import Session

from eoffice.documents.models import Assignment, Document, SecretGrant
from eoffice.errors import NotFound, PermissionDenied
from eoffice.org.actor import Actor
from eoffice.org.models import Role

SECRET_PLACEHOLDER = "(Văn bản mật)"  # noqa: S105 - a label, not a password
"""Shown instead of the subject, issuer, signer and people of a secret document's row to a user
without a grant."""

# Clerks register and issue everything of their agency; leaders direct it.
BROAD_ROLES = (Role.CLERK, Role.LEADER)


def visible_filter(actor: Actor) -> ColumnElement[bool]:
    """Return a WHERE clause selecting the documents ``actor`` may see.

    A secret document needs a grant; for a specialist or unit head a grant also counts as
    being involved (it is how a leader or clerk shows them a secret document).
    """
    return _filter(actor, secret_rows=False)


def listed_filter(actor: Actor) -> ColumnElement[bool]:
    """Return the documents that occupy a row in the actor's registers and lists: what
    :func:`visible_filter` gives, plus the secret documents the actor would see but for the
    grant. Those rows must be shown masked (:func:`ungranted_secret_ids`)."""
    return _filter(actor, secret_rows=True)


def _filter(actor: Actor, *, secret_rows: bool) -> ColumnElement[bool]:
    user = actor.principal
    if user is None:
        return false()
    granted = _granted(user.id)
    clauses = [Document.agency_id == user.agency_id]
    if not secret_rows:
        clauses.append(or_(Document.secrecy == "thuong", granted))
    if not user.has_role(*BROAD_ROLES):
        involved = _involved(user.id, user.unit_id, user.has_role(Role.UNIT_HEAD))
        clauses.append(or_(involved, granted))
    return and_(*clauses)


def _granted(user_id: int) -> ColumnElement[bool]:
    return exists(
        select(SecretGrant.document_id).where(
            SecretGrant.document_id == Document.id, SecretGrant.user_id == user_id
        )
    )


def ungranted_secret_ids(
    session: Session, actor: Actor, documents: Iterable[Document]
) -> frozenset[int]:
    """Return the ids of the secret documents among ``documents`` the actor holds no grant for
    (one query): their rows show a placeholder instead of subject, issuer and people."""
    secret = {d.id for d in documents if d.secrecy != "thuong"}
    user = actor.principal
    if not secret:
        return frozenset()
    if user is None:
        return frozenset(secret)
    held = session.execute(
        select(SecretGrant.document_id).where(
            SecretGrant.user_id == user.id, SecretGrant.document_id.in_(secret)
        )
    ).scalars()
    return frozenset(secret - set(held))


def _involved(user_id: int, unit_id: int | None, is_unit_head: bool) -> ColumnElement[bool]:
    mine = Assignment.user_id == user_id
    if unit_id is not None:
        mine = or_(mine, Assignment.unit_id == unit_id)
    assigned = exists(select(Assignment.id).where(Assignment.document_id == Document.id, mine))
    options = [
        assigned,
        Document.drafter_id == user_id,
        Document.signer_id == user_id,
        Document.presented_to_id == user_id,
    ]
    if is_unit_head and unit_id is not None:
        options.append(Document.drafting_unit_id == unit_id)
    return or_(*options)


def get_visible_document(session: Session, actor: Actor, document_id: int) -> Document:
    """Return the document if ``actor`` may see it.

    :raises NotFound: when it does not exist or is not visible (the same answer, on purpose).
    """
    stmt = select(Document).where(Document.id == document_id, visible_filter(actor))
    document = session.execute(stmt).scalar_one_or_none()
    if document is None:
        raise NotFound("Không tìm thấy văn bản")
    return document


def require_role(actor: Actor, *roles: Role) -> None:
    """:raises PermissionDenied: unless the acting principal holds one of ``roles``."""
    if not actor.has_role(*roles):
        raise PermissionDenied("Bạn không có quyền thực hiện thao tác này")
