"""Lists, search and work queues, keyset-paginated, always within what the actor may see."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import ColumnElement, and_, exists, func, select, text
from sqlalchemy.orm import Session, selectinload

from eoffice import clock
from eoffice.db import is_postgres
from eoffice.documents.access import listed_filter, ungranted_secret_ids, visible_filter
from eoffice.documents.models import Assignment, AssignmentRole, Direction, Document
from eoffice.documents.text import search_terms
from eoffice.documents.workflow import Status
from eoffice.errors import InvalidInput, NotFound
from eoffice.org.actor import Actor
from eoffice.org.models import Role

MAX_PAGE = 200


@dataclass(frozen=True)
class DocumentFilter:
    q: str = ""
    direction: str | None = None
    status: str | None = None
    type_code: str | None = None
    urgency: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    handler_id: int | None = None
    queue: str | None = None


@dataclass(frozen=True)
class Page:
    items: list[Document]
    next_cursor: str | None
    masked: frozenset[int] = frozenset()
    """Ids of secret rows the actor holds no grant for: show them with the placeholder only."""


def search_clause(session: Session, query: str) -> ColumnElement[bool] | None:
    """Return the full-text condition for ``query`` using the engine's index, or None if empty.

    SQLite: FTS5 prefix match over the folded text. PostgreSQL: ILIKE per word, served by the
    trigram GIN index. Words are folded first, so "quyet dinh" finds "Quyết định".
    """
    terms = search_terms(query)[:10]
    if not terms:
        return None
    if is_postgres(session):
        # Words under 3 letters have no trigram: as an index condition they make PostgreSQL read
        # the whole index. Give the index the longer words, and check short ones with strpos(),
        # which the planner can only apply as a filter on the rows the index found.
        long_terms = [t for t in terms if len(t) >= 3] or terms[:1]
        return and_(
            *(Document.search_text.like(f"%{t}%") for t in long_terms),
            *(func.strpos(Document.search_text, t) > 0 for t in terms if t not in long_terms),
        )
    expression = " AND ".join(f'"{t}"*' for t in terms)
    matching = text("SELECT rowid FROM documents_fts WHERE documents_fts MATCH :q").bindparams(
        q=expression
    )
    return Document.id.in_(matching)


def queue_clause(name: str, actor: Actor, due_soon_days: int = 3) -> ColumnElement[bool]:
    """Return the condition of a named work queue for ``actor``.

    :raises InvalidInput: for an unknown queue name.
    """
    user = actor.principal
    assert user is not None
    incoming, outgoing = Document.direction == "incoming", Document.direction == "outgoing"
    mine = _handled_by(user.id)
    today = clock.today()
    queues: dict[str, ColumnElement[bool]] = {
        "pending_accept": incoming & (Document.status == Status.PENDING_ACCEPT.value),
        "to_present": incoming & (Document.status == Status.REGISTERED.value),
        "to_issue": outgoing
        & Document.status.in_([Status.SIGNED.value, Status.NUMBERED.value, Status.SEALED.value]),
        "to_instruct": incoming
        & (Document.status == Status.PRESENTED.value)
        & (Document.presented_to_id == user.id),
        "to_sign": outgoing
        & Document.status.in_([Status.AWAITING_APPROVAL.value, Status.APPROVED.value])
        & (Document.signer_id == user.id),
        "to_review": outgoing
        & (Document.status == Status.IN_REVIEW.value)
        & (Document.drafting_unit_id == user.unit_id),
        "to_reassign": incoming
        & (Document.status == Status.ASSIGNED.value)
        & _unit_lead_unpassed(user.unit_id),
        "in_progress": incoming & (Document.status == Status.ASSIGNED.value) & mine,
        "due_soon": incoming
        & (Document.status == Status.ASSIGNED.value)
        & mine
        & Document.due_date.between(today, today + timedelta(days=due_soon_days)),
        "overdue": incoming
        & (Document.status == Status.ASSIGNED.value)
        & mine
        & (Document.due_date < today),
        "my_drafts": outgoing
        & (Document.drafter_id == user.id)
        & Document.status.in_(
            [Status.DRAFT.value, Status.IN_REVIEW.value, Status.AWAITING_APPROVAL.value]
        ),
    }
    if name not in queues:
        raise InvalidInput("Hàng đợi không tồn tại", fields={"queue": name})
    return queues[name]


ROLE_QUEUES = {
    Role.CLERK: ("pending_accept", "to_present", "to_issue"),
    Role.LEADER: ("to_instruct", "to_sign"),
    Role.UNIT_HEAD: ("to_reassign", "to_review"),
    Role.SPECIALIST: ("in_progress", "due_soon", "overdue", "my_drafts"),
}

QUEUE_LABELS = {
    "pending_accept": "Chờ vào sổ",
    "to_present": "Chờ trình",
    "to_issue": "Chờ phát hành",
    "to_instruct": "Chờ cho ý kiến",
    "to_sign": "Chờ ký",
    "to_review": "Chờ kiểm tra dự thảo",
    "to_reassign": "Chờ phân công trong đơn vị",
    "in_progress": "Đang xử lý",
    "due_soon": "Sắp đến hạn",
    "overdue": "Quá hạn",
    "my_drafts": "Dự thảo của tôi",
}


def _handled_by(user_id: int) -> ColumnElement[bool]:
    return exists(
        select(Assignment.id).where(
            Assignment.document_id == Document.id,
            Assignment.user_id == user_id,
            Assignment.is_active,
            Assignment.role == AssignmentRole.LEAD.value,
            Assignment.completed_at.is_(None),
        )
    )


def _unit_lead_unpassed(unit_id: int | None) -> ColumnElement[bool]:
    parent = Assignment.__table__.alias("parent")
    child_q = select(Assignment.id).where(Assignment.parent_id == parent.c.id)
    return exists(
        select(parent.c.id).where(
            parent.c.document_id == Document.id,
            parent.c.unit_id == unit_id,
            parent.c.user_id.is_(None),
            parent.c.is_active,
            parent.c.role == AssignmentRole.LEAD.value,
            ~exists(child_q),
        )
    )


def queues_for(actor: Actor) -> list[str]:
    """Return the queue names the actor's roles give, in menu order."""
    names: list[str] = []
    for role, queue_names in ROLE_QUEUES.items():
        if actor.has_role(role):
            names.extend(n for n in queue_names if n not in names)
    return names


def queue_counts(session: Session, actor: Actor, due_soon_days: int = 3) -> dict[str, int]:
    """Return {queue: count} for the actor's queues (one query per queue, each on an index)."""
    counts = {}
    for name in queues_for(actor):
        stmt = (
            select(func.count())
            .select_from(Document)
            .where(
                visible_filter(actor),
                queue_clause(name, actor, due_soon_days),
                Document.cancelled_at.is_(None),
            )
        )
        counts[name] = session.execute(stmt).scalar_one()
    return counts


def list_documents(
    session: Session,
    actor: Actor,
    filters: DocumentFilter,
    cursor: str | None = None,
    limit: int = 50,
    due_soon_days: int = 3,
) -> Page:
    """Return one page of documents, newest first, and the cursor of the next page.

    A plain register list (by direction, status and dates) keeps the rows of secret documents
    the actor holds no grant for, listed in :attr:`Page.masked` (their number stays in its
    series); a search, a queue or a filter on content shows only what the actor may see.

    :raises InvalidInput: bad filter values or cursor.
    """
    limit = max(1, min(limit, MAX_PAGE))
    plain = (
        not (filters.q.strip() or filters.queue or filters.type_code or filters.urgency)
        and not filters.handler_id
    )
    access = listed_filter(actor) if plain else visible_filter(actor)
    stmt = select(Document).where(access, *_filter_clauses(session, actor, filters, due_soon_days))
    if cursor:
        stmt = stmt.where(Document.id < _decode_cursor(cursor))
    # Lists show each row's handlers: load the assignments in one query, not one per row.
    stmt = stmt.options(selectinload(Document.assignments))
    rows = list(session.execute(stmt.order_by(Document.id.desc()).limit(limit + 1)).scalars())
    next_cursor = _encode_cursor(rows[limit - 1].id) if len(rows) > limit else None
    items = rows[:limit]
    masked = ungranted_secret_ids(session, actor, items) if plain else frozenset()
    return Page(items, next_cursor, masked)


def _filter_clauses(session: Session, actor: Actor, f: DocumentFilter, due_soon_days: int) -> list:
    clauses: list = []
    if f.direction:
        if f.direction not in {d.value for d in Direction}:
            raise InvalidInput(
                "Chiều văn bản không hợp lệ", fields={"direction": "incoming hoặc outgoing"}
            )
        clauses.append(Document.direction == f.direction)
    if f.status:
        clauses.append(Document.status == f.status)
    if f.type_code:
        clauses.append(Document.type_code == f.type_code)
    if f.urgency:
        clauses.append(Document.urgency == f.urgency)
    if f.date_from and f.date_to and f.date_to < f.date_from:
        raise InvalidInput("Khoảng ngày không hợp lệ", fields={"date_to": "Trước ngày bắt đầu"})
    day = func.coalesce(Document.arrival_date, Document.issued_date)
    if f.date_from:
        clauses.append(day >= f.date_from)
    if f.date_to:
        clauses.append(day <= f.date_to)
    if f.handler_id:
        clauses.append(_handled_by(f.handler_id))
    if f.queue:
        clauses.append(queue_clause(f.queue, actor, due_soon_days))
    searched = search_clause(session, f.q)
    if searched is not None:
        clauses.append(searched)
    return clauses


def _encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"id": last_id}).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))["id"]
        if not isinstance(value, int):
            raise TypeError
        return value
    except (ValueError, KeyError, TypeError) as e:
        raise InvalidInput("Con trỏ trang không hợp lệ", fields={"cursor": "Không hợp lệ"}) from e


def get_issued_by_verify_code(session: Session, code: str) -> Document:
    """Return the issued, non-secret document a printed QR code points to.

    :raises NotFound: for an unknown code, a document not issued yet, or a secret one.
    """
    stmt = select(Document).where(Document.verify_code == code[:32])
    document = session.execute(stmt).scalar_one_or_none()
    if document is None or document.issued_at is None or document.secrecy != "thuong":
        raise NotFound("Không tìm thấy văn bản có mã xác minh này")
    return document
