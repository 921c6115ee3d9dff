"""The registry's pages: lists and queues, registration, drafts, the document page and its actions.

The menu's work queues and their counts are computed once per request by the context processor
here, for every page of the app.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, g, request, url_for
from flask_login import current_user

from eoffice.documents.queries import QUEUE_LABELS, queue_counts
from eoffice.web.documents import display
from eoffice.web.documents.permissions import can_draft, can_register_incoming
from eoffice.web.session import current_actor, db, settings

bp = Blueprint("documents", __name__, url_prefix="/documents")

INCOMING_QUEUES = (
    "pending_accept",
    "to_present",
    "to_instruct",
    "to_reassign",
    "in_progress",
    "due_soon",
    "overdue",
)
OUTGOING_QUEUES = ("to_review", "to_sign", "to_issue", "my_drafts")


@dataclass(frozen=True)
class MenuQueue:
    """One work queue in the menu."""

    name: str
    label: str
    count: int
    url: str
    current: bool


@dataclass(frozen=True)
class Menu:
    """What the menu shows of the registry for the logged-in user."""

    incoming: list[MenuQueue]
    outgoing: list[MenuQueue]
    may_register: bool
    may_draft: bool


def _menu() -> Menu | None:
    if not current_user.is_authenticated:
        return None
    if "registry_menu" in g:
        return g.registry_menu
    actor = current_actor()
    # No error is swallowed here: a lost connection must reach the 503 handler as it is (a
    # swallowed one leaves the session unusable and the page ends as a bare 500).
    counts = queue_counts(db(), actor, settings().due_soon_working_days)
    queues = {
        name: MenuQueue(
            name=name,
            label=QUEUE_LABELS[name],
            count=count,
            url=url_for("documents.queue", name=name),
            current=request.endpoint == "documents.queue"
            and (request.view_args or {}).get("name") == name,
        )
        for name, count in counts.items()
    }
    g.registry_menu = Menu(
        incoming=[queues[n] for n in INCOMING_QUEUES if n in queues],
        outgoing=[queues[n] for n in OUTGOING_QUEUES if n in queues],
        may_register=can_register_incoming(actor),
        may_draft=can_draft(actor),
    )
    return g.registry_menu


@bp.app_context_processor
def _registry_context() -> dict[str, Any]:
    return {"registry_menu": _menu(), **display.LABELS}


display.register(bp)


from eoffice.web.documents import (  # noqa: E402,F401 - routes
    actions,
    detail,
    external_sign,
    grants,
    lists,
    register,
)
