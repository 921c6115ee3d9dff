"""Who may see a document: agency isolation, secret grants, and involvement for specialists.

A document another user may not see is reported as not found, so a denial leaks nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from sqlalchemy import (
    Boolean,
    ColumnElement,
    CompoundSelect,
    and_,
    exists,
    false,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal

from eoffice.documents.models import Assignment, Document, SecretGrant
from eoffice.errors import NotFound, PermissionDenied
from eoffice.org.actor import Actor
from eoffice.org.models import Role

SECRET_PLACEHOLDER = "(Văn bản mật)"  # noqa: S105 - a label, not a password
"""Shown instead of the subject, issuer, signer and people of a secret document's row to a user
without a grant."""

# Clerks register and issue everything of their agency; leaders direct it.
BROAD_ROLES = (Role.CLERK, Role.LEADER)


def visible_filter(actor: Actor, *, involvement_implied: bool = False) -> ColumnElement[bool]:
    """Return a WHERE clause selecting the documents ``actor`` may see.

    A secret document needs a grant; for a specialist or unit head a grant also counts as
    being involved (it is how a leader or clerk shows them a secret document).
    ``involvement_implied``: the caller's other conditions already keep to documents the actor
    is involved in (one of their own work queues), so the involvement set is left out.
    """
    return _filter(actor, secret_rows=False, involvement_implied=involvement_implied)


def listed_filter(actor: Actor) -> ColumnElement[bool]:
    """Return the documents that occupy a row in the actor's registers and lists: what
    :func:`visible_filter` gives, plus the secret documents the actor would see but for the
    grant. Those rows must be shown masked (:func:`ungranted_secret_ids`)."""
    return _filter(actor, secret_rows=True)


def _filter(
    actor: Actor, *, secret_rows: bool, involvement_implied: bool = False
) -> ColumnElement[bool]:
    user = actor.principal
    if user is None:
        return false()
    secrecy = [] if secret_rows else [or_(Document.secrecy == "thuong", _granted(user.id))]
    if user.has_role(*BROAD_ROLES) or involvement_implied:
        return and_(Document.agency_id == user.agency_id, *secrecy)
    # "+ 0" keeps the agency check a filter: PostgreSQL then walks the primary key over the
    # involved ids, newest first, and stops at the page's last row. As an index condition it
    # would read them all through (agency_id, id) and sort (an id list on an index's second
    # column does not come out in order before PostgreSQL 17).
    return and_(
        (Document.agency_id + 0) == user.agency_id,
        *secrecy,
        _involved(user.id, user.unit_id, user.has_role(Role.UNIT_HEAD)),
    )


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
    """``documents.id IN`` the documents the person is involved in.

    Assigned to them or their unit, drafted, signed or presented to them, granted to them (a
    secret document shown to them), and for a unit head drafted by their unit. Written as one set of ids, each part read from its own index, so
    the query starts from these few documents (a unit head's or specialist's thousands, of an
    agency's tens of thousands) instead of checking an ``EXISTS`` for every candidate row.
    The tables are aliased so the parts never correlate with the enclosing query.
    """
    assignment = Assignment.__table__.alias("involved_assignment")
    document = Document.__table__.alias("involved_document")
    parts = [select(assignment.c.document_id).where(assignment.c.user_id == user_id)]
    if unit_id is not None:
        parts.append(select(assignment.c.document_id).where(assignment.c.unit_id == unit_id))
    for column in ("drafter_id", "signer_id", "presented_to_id"):
        parts.append(select(document.c.id).where(document.c[column] == user_id))
    if is_unit_head and unit_id is not None:
        parts.append(select(document.c.id).where(document.c.drafting_unit_id == unit_id))
    grant = SecretGrant.__table__.alias("involved_grant")
    parts.append(select(grant.c.document_id).where(grant.c.user_id == user_id))
    return _IdAmong(Document.id, union_all(*parts))


class _IdAmong(ColumnElement[bool]):
    """``column IN (ids)``; on PostgreSQL ``column = ANY (ARRAY(ids))``.

    The array form lets PostgreSQL walk the primary key backwards over just those ids, so a
    newest-first page stops at its 50th match; with ``IN`` it joins them all, then sorts
    (bench/RESULTS.md "Registry": a unit head's search 120–150 ms → 15–90 ms at 1M documents).
    """

    type = Boolean()
    inherit_cache = False
    _is_implicitly_boolean = True  # a comparison: SQLite must not get "… = 1"
    _traverse_internals: ClassVar = [
        ("column", InternalTraversal.dp_clauseelement),
        ("ids", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column: ColumnElement[Any], ids: CompoundSelect) -> None:
        self.column = column
        self.ids = ids

    @property
    def _from_objects(self) -> list[Any]:
        return self.column._from_objects


@compiles(_IdAmong)
def _id_among_in(element: _IdAmong, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.column.in_(element.ids), **kw)


@compiles(_IdAmong, "postgresql")
def _id_among_array(element: _IdAmong, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    return f"{column} = ANY (ARRAY{compiler.process(element.ids.scalar_subquery(), **kw)})"


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
