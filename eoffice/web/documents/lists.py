"""The registers, the work queues and search: one dense table, filters kept in the URL."""

from __future__ import annotations

from typing import Any

from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from eoffice.documents.queries import QUEUE_LABELS, DocumentFilter, Page, list_documents
from eoffice.documents.workflow import Status
from eoffice.errors import EofficeError
from eoffice.web.documents import INCOMING_QUEUES, bp
from eoffice.web.documents.common import PAGE_SIZE, show_field_errors
from eoffice.web.forms_documents import FilterForm
from eoffice.web.session import current_actor, db, settings

INCOMING_STATUSES = (
    Status.PENDING_ACCEPT,
    Status.REGISTERED,
    Status.PRESENTED,
    Status.ASSIGNED,
    Status.COMPLETED,
    Status.REJECTED,
    Status.RECALLED,
)
OUTGOING_STATUSES = (
    Status.DRAFT,
    Status.IN_REVIEW,
    Status.AWAITING_APPROVAL,
    Status.APPROVED,
    Status.SIGNED,
    Status.NUMBERED,
    Status.SEALED,
    Status.ISSUED,
    Status.WITHDRAWN,
)


@bp.get("/incoming")
@login_required
def incoming() -> tuple[str, int]:
    return _render_list(_("Sổ văn bản đến"), direction="incoming")


@bp.get("/outgoing")
@login_required
def outgoing() -> tuple[str, int]:
    return _render_list(_("Sổ văn bản đi"), direction="outgoing")


@bp.get("/queue/<name>")
@login_required
def queue(name: str) -> tuple[str, int]:
    if name not in QUEUE_LABELS:
        abort(404)
    direction = "incoming" if name in INCOMING_QUEUES else "outgoing"
    return _render_list(_(QUEUE_LABELS[name]), direction=direction, queue=name)


@bp.get("/search")
@login_required
def search() -> tuple[str, int]:
    return _render_list(_("Tìm kiếm văn bản"), direction=None, searching=True)


def _render_list(
    title: str, *, direction: str | None, queue: str | None = None, searching: bool = False
) -> tuple[str, int]:
    form = FilterForm(request.args)
    statuses = {"incoming": INCOMING_STATUSES, "outgoing": OUTGOING_STATUSES}.get(
        direction or "", INCOMING_STATUSES + OUTGOING_STATUSES
    )
    form.status.choices = [("", _("Tất cả")), *((s.value, _(s.label)) for s in statuses)]
    page, status = Page([], None), 200
    if form.validate():
        try:
            page = list_documents(
                db(),
                current_actor(),
                _filters(form, direction, queue),
                cursor=request.args.get("cursor") or None,
                limit=PAGE_SIZE,
                due_soon_days=settings().due_soon_working_days,
            )
        except EofficeError as e:
            show_field_errors(form, e)
            status = e.http_status
    else:
        status = 422
    columns = direction or (form.direction.data if searching else None) or "incoming"
    return render_template(
        "documents/list.html",
        title=title,
        form=form,
        page=page,
        columns=columns,
        searching=searching,
        queue=queue,
        next_url=_page_url(page.next_cursor) if page.next_cursor else None,
        first_url=_page_url(None) if request.args.get("cursor") else None,
    ), status


def _filters(form: FilterForm, direction: str | None, queue: str | None) -> DocumentFilter:
    return DocumentFilter(
        q=(form.q.data or "").strip(),
        direction=direction or form.direction.data or None,
        status=form.status.data or None,
        type_code=form.type.data or None,
        urgency=form.urgency.data or None,
        date_from=form.date_from.data,
        date_to=form.date_to.data,
        queue=queue,
    )


def _page_url(cursor: str | None) -> str:
    """Return this list's URL with the same filters and another page."""
    args: dict[str, Any] = {k: v for k, v in request.args.items() if k != "cursor" and v}
    if cursor:
        args["cursor"] = cursor
    return url_for(request.endpoint or "documents.search", **(request.view_args or {}), **args)
