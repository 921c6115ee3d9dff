"""The authorization matrix: who may call each route, and what a refusal looks like.

This is the declared contract, not the enforcement. The checks live where they always did: the
``login_required``/``admin_required`` decorators and the API's bearer-token guard in
:mod:`eoffice.web`, the role checks of the services (``require_role``, the workflow steps), and
the visibility filters (:func:`eoffice.documents.access.get_visible_document`,
:func:`eoffice.tasks.access.get_visible_task`, the managed agencies of an admin). The app never
reads this table; ``tests/web/test_authz_matrix.py`` enumerates every rule of ``app.url_map``,
fails for one that has no entry here, and makes the real request for every (route, actor,
relation) cell to check that the code does what the table says.

How a refusal looks, in order of the checks:

1. Not logged in: an HTML page redirects (302) to ``/login?next=…``; the API answers 401 JSON
   (``unauthorized``).
2. Logged in without one of the route's roles: 403 (HTML page or JSON ``forbidden``).
3. Holding a role but not the relation to the object the URL names: 404, the same answer, byte
   for byte, as for an id that does not exist — a denial never tells that the object exists.

A route marked ``step`` has a further check in its service: the workflow step's own role and
state (only the signer approves, only a clerk issues, a finished task takes no progress…). Its
refusal is 403 or 409 from the service and is tested with the workflows themselves
(``tests/documents``, ``tests/tasks``); here only the guard before it is checked: a caller that
may see the object is never told "not found", one that may not is never told anything else.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from eoffice.org.models import Role


class Who(enum.StrEnum):
    """Who may reach the route at all."""

    PUBLIC = "public"
    """Anyone, logged in or not (the login page, the QR verification page, health, metrics)."""
    USER = "user"
    """Any logged-in user (HTML) or any valid API token."""
    ROLES = "roles"
    """A logged-in user holding one of :attr:`Rule.roles`."""
    OPERATOR = "operator"
    """The operator's bearer token (``EOFFICE_METRICS_TOKEN``), not a user: no login or API
    token opens it (401); without the setting the route does not exist (404)."""


class Relation(enum.StrEnum):
    """What the caller must be to the object the URL names (its id in the path)."""

    DOCUMENT = "document"
    """The document belongs to the caller's agency (another agency's document, including the
    sender's record of a document sent to the caller's agency, is never visible: the recipient
    has its own copy); the caller is a clerk or leader, or is involved (assigned to it or to
    their unit, its drafter, signer or presentee, the unit head of its drafting unit, or holding
    a secret grant to it); and a secret document (mật and above) also needs a secret grant to
    the caller (``documents/grants.py``; lists show such a document as a masked row)."""
    TASK = "task"
    """The caller assigned, created, leads or co-operates on the task (themselves, their unit,
    or their agency as its leader), heads the lead's unit, or oversees it (leader, clerk or admin of the lead's or
    assigner's agency or an agency above it)."""
    MANAGED_AGENCY = "managed_agency"
    """An agency the admin administers: their own and every agency under it."""
    MANAGED_USER = "managed_user"
    """A user of an agency the admin administers."""
    MANAGED_OBJECT = "managed_object"
    """A delegation, outbox message, quarantined message or signing credential belonging to an
    agency the admin administers (quarantined messages: see ``quarantine_scope``)."""
    PENDING_SIGNATURE = "pending_signature"
    """A USB-token signature the caller started (and has not finished) on a document they may
    see: another user's, or one on another document, is "not found"."""
    ISSUED_CODE = "issued_code"
    """The verification code printed on an issued, non-secret document; any other code (a
    secret document's, one not issued yet, none) is "not found"."""
    OWN = "own"
    """The caller's own object (a notification addressed to them)."""


@dataclass(frozen=True)
class Rule:
    """Who may call one (endpoint, method)."""

    who: Who
    roles: frozenset[Role] = frozenset()
    relation: Relation | None = None
    step: bool = False
    """The service checks the workflow step's role and state after this guard (403/409)."""
    note: str = ""

    @property
    def role_denial(self) -> int:
        return 403

    @property
    def relation_denial(self) -> int:
        return 404


PUBLIC = Rule(Who.PUBLIC)
USER = Rule(Who.USER)
ADMIN = frozenset({Role.ADMIN})
DRAFTERS = frozenset({Role.SPECIALIST, Role.UNIT_HEAD, Role.LEADER, Role.CLERK})
"""Who may start an outgoing draft (``can_draft``)."""


def roles(*names: Role, relation: Relation | None = None, note: str = "") -> Rule:
    return Rule(Who.ROLES, frozenset(names), relation, note=note)


def admin(relation: Relation | None = None, note: str = "") -> Rule:
    return Rule(Who.ROLES, ADMIN, relation, note=note)


def document(*, step: bool = False, note: str = "") -> Rule:
    return Rule(Who.USER, relation=Relation.DOCUMENT, step=step, note=note)


def task(*, step: bool = False, note: str = "") -> Rule:
    return Rule(Who.USER, relation=Relation.TASK, step=step, note=note)


def pending_signature() -> Rule:
    return Rule(Who.USER, relation=Relation.PENDING_SIGNATURE, step=True)


REPORT_READERS = frozenset({Role.LEADER, Role.CLERK, Role.ADMIN, Role.UNIT_HEAD})
"""Who reads the task reports (``can_read_reports``, ``report_scope``)."""

GET, POST = "GET", "POST"

POLICY: dict[tuple[str, str], Rule] = {
    # --- public --------------------------------------------------------------------------------
    ("static", GET): PUBLIC,
    ("auth.login", GET): PUBLIC,
    ("auth.login", POST): PUBLIC,
    ("auth.set_language", POST): PUBLIC,
    ("health.healthz", GET): PUBLIC,
    ("metrics.metrics", GET): Rule(Who.OPERATOR),
    ("verify.verify", GET): Rule(
        Who.PUBLIC, relation=Relation.ISSUED_CODE, note="the QR code's page: public by design"
    ),
    ("api.openapi_json", GET): PUBLIC,
    # --- any logged-in user --------------------------------------------------------------------
    ("home.index", GET): USER,
    ("auth.logout", POST): USER,
    ("auth.act_as", POST): Rule(Who.USER, note="only one's own active delegations are taken"),
    ("documents.incoming", GET): USER,
    ("documents.outgoing", GET): USER,
    ("documents.queue", GET): USER,
    ("documents.search", GET): USER,
    ("registers.index", GET): Rule(Who.USER, note="rows: the documents the caller may see"),
    ("registers.download", GET): Rule(Who.USER, note="rows: the documents the caller may see"),
    ("reports.dashboard", GET): Rule(Who.ROLES, REPORT_READERS, note="report_scope"),
    ("reports.lateness", GET): Rule(Who.ROLES, REPORT_READERS, note="report_scope"),
    ("reports.export", GET): Rule(Who.ROLES, REPORT_READERS, note="report_scope"),
    ("reports.tasks", GET): Rule(Who.ROLES, REPORT_READERS, note="report_scope"),
    ("tasks.queue", GET): USER,
    ("tasks.new", GET): USER,
    ("tasks.new", POST): roles(Role.LEADER, Role.UNIT_HEAD, note="can_assign_root (service)"),
    ("tasks.inbox", GET): USER,
    ("tasks.read_all", POST): USER,
    ("tasks.open_notification", POST): Rule(Who.USER, relation=Relation.OWN),
    # --- the registry (HTML) -------------------------------------------------------------------
    ("documents.register_incoming", GET): roles(Role.CLERK),
    ("documents.register_incoming", POST): roles(Role.CLERK),
    ("documents.create_draft", GET): Rule(Who.ROLES, DRAFTERS),
    ("documents.create_draft", POST): Rule(Who.ROLES, DRAFTERS),
    ("documents.preview_draft", POST): Rule(Who.ROLES, DRAFTERS),
    ("documents.show", GET): document(),
    ("documents.main_file", GET): document(),
    ("documents.download", GET): document(note="the file must be one of the document's"),
    ("documents.act", POST): document(step=True, note="every action key; unknown key: 404"),
    ("documents.external_signature", GET): pending_signature(),
    ("documents.external_signature", POST): pending_signature(),
    ("documents.grant", POST): document(step=True, note="secret grants: the grant rule (service)"),
    ("documents.revoke", POST): document(step=True, note="secret grants: the revocation rule"),
    # --- tasks (HTML) --------------------------------------------------------------------------
    ("tasks.detail", GET): task(),
    ("tasks.attachment", GET): task(note="the file must be one of the task's"),
    ("tasks.progress", POST): task(step=True),
    ("tasks.complete", POST): task(step=True),
    ("tasks.confirm", POST): task(step=True),
    ("tasks.reject", POST): task(step=True),
    ("tasks.extension", POST): task(step=True),
    ("tasks.decide", POST): task(step=True),
    # --- administration ------------------------------------------------------------------------
    ("admin.index", GET): admin(),
    ("admin.agencies", GET): admin(),
    ("admin.agencies", POST): admin(note="parent: a managed agency"),
    ("admin.agency", GET): admin(Relation.MANAGED_AGENCY),
    ("admin.agency", POST): admin(Relation.MANAGED_AGENCY),
    ("admin.users", GET): admin(note="lists the users of managed agencies"),
    ("admin.users", POST): admin(note="into a managed agency"),
    ("admin.user", GET): admin(Relation.MANAGED_USER),
    ("admin.user", POST): admin(Relation.MANAGED_USER),
    ("admin.toggle_user", POST): admin(Relation.MANAGED_USER),
    ("admin.delegations", GET): admin(),
    ("admin.delegations", POST): admin(note="between users of managed agencies"),
    ("admin.revoke_delegation", POST): admin(Relation.MANAGED_OBJECT),
    ("admin_signing.index", GET): admin(),
    ("admin_signing.user", GET): admin(Relation.MANAGED_USER),
    ("admin_signing.user", POST): admin(Relation.MANAGED_USER),
    ("admin_signing.agency", GET): admin(Relation.MANAGED_AGENCY),
    ("admin_signing.agency", POST): admin(Relation.MANAGED_AGENCY),
    ("admin_signing.image", GET): admin(Relation.MANAGED_OBJECT),
    ("admin_exchange.outbox", GET): admin(),
    ("admin_exchange.requeue", POST): admin(Relation.MANAGED_OBJECT),
    ("admin_exchange.quarantine", GET): admin(),
    ("admin_exchange.quarantined", GET): admin(Relation.MANAGED_OBJECT),
    ("admin_exchange.quarantined_raw", GET): admin(Relation.MANAGED_OBJECT),
    ("tasks.calendar_table", GET): admin(note="the working-day calendar is the instance's"),
    ("tasks.calendar_table", POST): admin(note="the working-day calendar is the instance's"),
    ("tasks.calendar_delete", POST): admin(note="the working-day calendar is the instance's"),
    # --- JSON API (bearer token) ---------------------------------------------------------------
    ("api.me", GET): USER,
    ("api.agencies", GET): Rule(Who.USER, note="the directory of agencies is not secret"),
    ("api.list_documents", GET): USER,
    ("api.register_incoming", POST): roles(Role.CLERK),
    ("api.create_outgoing_draft", POST): Rule(Who.ROLES, DRAFTERS),
    ("api.get_document", GET): document(),
    ("api.download_main_file", GET): document(),
    ("api.download_file", GET): document(note="the file must be one of the document's"),
    ("api.accept_document", POST): document(step=True),
    ("api.reject_document", POST): document(step=True),
    ("api.present_document", POST): document(step=True),
    ("api.assign_document", POST): document(step=True),
    ("api.reassign_document", POST): document(step=True),
    ("api.complete_document", POST): document(step=True),
    ("api.return_document", POST): document(step=True),
    ("api.submit_draft", POST): document(step=True),
    ("api.review_draft", POST): document(step=True),
    ("api.approve_draft", POST): document(step=True),
    ("api.return_draft", POST): document(step=True),
    ("api.sign_document", POST): document(step=True),
    ("api.issue_document", POST): document(step=True),
    ("api.withdraw_document", POST): document(step=True),
    ("api.update_document", POST): document(step=True),
    ("api.start_external_signature", POST): document(step=True),
    ("api.get_external_signature", GET): pending_signature(),
    ("api.finish_external_signature", POST): pending_signature(),
    ("api.list_document_grants", GET): document(),
    ("api.grant_document", POST): document(step=True, note="secret grants: the grant rule"),
    ("api.revoke_document_grant", POST): document(step=True, note="the revocation rule"),
    ("api.list_tasks", GET): USER,
    ("api.create_task", POST): roles(Role.LEADER, Role.UNIT_HEAD, note="can_assign_root"),
    ("api.get_task", GET): task(),
    ("api.report_task_progress", POST): task(step=True),
    ("api.complete_task", POST): task(step=True),
    ("api.confirm_task", POST): task(step=True),
    ("api.reject_task", POST): task(step=True),
    ("api.request_task_extension", POST): task(step=True),
    ("api.decide_task_extension", POST): task(step=True),
    ("api.lateness_report", GET): Rule(Who.ROLES, REPORT_READERS, note="report_scope"),
}
"""(Flask endpoint, HTTP method) → :class:`Rule`. HEAD and OPTIONS follow GET and Flask."""


def rule_for(endpoint: str, method: str) -> Rule | None:
    """Return the declared rule of ``endpoint`` called with ``method``, if there is one."""
    return POLICY.get((endpoint, method))
