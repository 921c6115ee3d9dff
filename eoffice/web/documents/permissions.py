"""Which actions the document page offers to the current user (the services still decide).

This mirrors the checks of eoffice.documents.{incoming,outgoing,recipients} so that a page shows
only what would succeed; a service refusing anyway is shown as an error, never hidden.
"""

from __future__ import annotations

from eoffice.documents.incoming import is_lead_handler, lead_assignment
from eoffice.documents.models import Direction, Document
from eoffice.documents.workflow import Status
from eoffice.org.actor import Actor
from eoffice.org.models import Role, User

# In page order: the usual next step first, the returns and rejections last.
INCOMING_ACTIONS = ("accept", "present", "assign", "reassign", "complete", "return", "reject")
OUTGOING_ACTIONS = (
    "submit",
    "review",
    "approve",
    "sign",
    "issue",
    "deliver",
    "replace_file",
    "update",
    "return_draft",
    "withdraw",
)
IRREVERSIBLE = frozenset(
    {"return", "reject", "return_draft", "issue", "deliver", "update", "withdraw"}
)
"""Actions that ask for an explicit confirmation (and a reason where the service needs one)."""

_DRAFT_EDITABLE = {Status.DRAFT, Status.IN_REVIEW, Status.AWAITING_APPROVAL, Status.APPROVED}


def available_actions(actor: Actor, document: Document) -> list[str]:
    """Return the action keys ``actor`` may take on ``document`` now, in page order."""
    user = actor.principal
    if user is None or user.agency_id != document.agency_id or document.cancelled_at:
        return []
    if document.direction == Direction.INCOMING.value:
        allowed = _incoming(actor, user, document)
        return [key for key in INCOMING_ACTIONS if key in allowed]
    allowed = _outgoing(user, document)
    return [key for key in OUTGOING_ACTIONS if key in allowed]


def _incoming(actor: Actor, user: User, document: Document) -> set[str]:
    status = Status(document.status)
    clerk, leader = user.has_role(Role.CLERK), user.has_role(Role.LEADER)
    allowed: set[str] = set()
    if clerk and status is Status.PENDING_ACCEPT:
        allowed |= {"accept", "reject"}
    if clerk and status is Status.REGISTERED:
        allowed.add("present")
    if leader and status in (Status.REGISTERED, Status.PRESENTED, Status.ASSIGNED):
        allowed.add("assign")
    if leader and status is Status.PRESENTED:
        allowed.add("return")
    if status is Status.ASSIGNED:
        lead = lead_assignment(document)
        if (
            lead is not None
            and lead.unit_id is not None
            and lead.unit_id == user.unit_id
            and user.has_role(Role.UNIT_HEAD)
        ):
            allowed.add("reassign")
        if is_lead_handler(actor, document):
            allowed |= {"complete", "return"}
    return allowed


def _outgoing(user: User, document: Document) -> set[str]:
    status = Status(document.status)
    drafter = document.drafter_id == user.id
    signer = document.signer_id == user.id
    unit_head = user.has_role(Role.UNIT_HEAD) and user.unit_id == document.drafting_unit_id
    allowed: set[str] = set()
    if drafter and status is Status.DRAFT:
        allowed.add("submit")
    if drafter and status in _DRAFT_EDITABLE:
        allowed.add("replace_file")
    if unit_head and status is Status.IN_REVIEW:
        allowed |= {"review", "return_draft"}
    if signer and status is Status.AWAITING_APPROVAL:
        allowed |= {"approve", "return_draft"}
    if signer and status is Status.APPROVED:
        allowed |= {"sign", "return_draft"}
    if user.has_role(Role.CLERK) and status in (Status.SIGNED, Status.NUMBERED):
        allowed.add("issue")  # number, seal and send in one step (numbered: seal not finished)
    if user.has_role(Role.CLERK) and status is Status.SEALED:
        allowed.add("deliver")  # sealed earlier (e.g. by another tool): only sending is left
    if user.has_role(Role.CLERK) and status is Status.ISSUED:
        allowed |= {"update", "withdraw"}  # after issue: correct the metadata, or take it back
    return allowed


def can_register_incoming(actor: Actor) -> bool:
    """Return whether the actor may open the registration form (clerks)."""
    return actor.has_role(Role.CLERK)


def can_draft(actor: Actor) -> bool:
    """Return whether the actor may start an outgoing draft."""
    return actor.has_role(Role.SPECIALIST, Role.UNIT_HEAD, Role.LEADER, Role.CLERK)


def can_replace(actor: Actor, document: Document) -> bool:
    """Return whether the page offers "draft a replacement" (văn bản thay thế) for an issued
    document of the actor's agency."""
    return (
        document.direction == Direction.OUTGOING.value
        and document.status == Status.ISSUED.value
        and actor.agency_id == document.agency_id
        and can_draft(actor)
    )


def can_reply(actor: Actor, document: Document) -> bool:
    """Return whether the page offers "draft a reply" (the lead handler of an incoming document)."""
    return (
        document.direction == Direction.INCOMING.value
        and document.status == Status.ASSIGNED.value
        and is_lead_handler(actor, document)
        and can_draft(actor)
    )
