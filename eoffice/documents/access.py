"""Who may see a document: agency isolation, secret grants, and involvement for specialists.

A document another user may not see is reported as not found, so a denial leaks nothing.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, false, or_, select
from sqlalchemy.orm import Session

from eoffice.documents.models import Assignment, Document, SecretGrant
from eoffice.errors import NotFound, PermissionDenied
from eoffice.org.actor import Actor
from eoffice.org.models import Role

# Clerks register and issue everything of their agency; leaders direct it.
BROAD_ROLES = (Role.CLERK, Role.LEADER)


def visible_filter(actor: Actor) -> ColumnElement[bool]:
    """Return a WHERE clause selecting the documents ``actor`` may see."""
    user = actor.principal
    if user is None:
        return false()
    not_secret = Document.secrecy == "thuong"
    granted = exists(
        select(SecretGrant.document_id).where(
            SecretGrant.document_id == Document.id, SecretGrant.user_id == user.id
        )
    )
    clauses = [Document.agency_id == user.agency_id, or_(not_secret, granted)]
    if not user.has_role(*BROAD_ROLES):
        clauses.append(_involved(user.id, user.unit_id, user.has_role(Role.UNIT_HEAD)))
    return and_(*clauses)


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
