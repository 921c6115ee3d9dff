"""The authorization matrix (issue #7): every route the app registers, against its declared rule.

``eoffice/web/policy.py`` declares, for every (endpoint, method), who may call it and what the
caller must be to the object its URL names. Here every rule of ``app.url_map`` must have an
entry, and for every (route, actor, object) cell the real request is made through the test
client and its answer compared with the rule:

- allowed: not 401, 403 or 404 (a 400/409/422 for the empty form or body is the guard letting
  it through; a route whose service checks the workflow step may also answer 403);
- not logged in: a page redirects to the login page, the API answers 401;
- a role the route does not admit: 403;
- no relation to the object: 404 with the same body as for an id that does not exist.

One world per module, on SQLite: two agencies on the instance (A with one user per role, B whose
clerk is the outsider), documents of A (ordinary, involving the specialist, secret with and
without a grant), a document A issued to B with B's copy, tasks in A and B, delegations. Every
request runs inside a savepoint that is rolled back, so an allowed action changes nothing for the
next cell.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from sqlalchemy import Connection, delete, select

import signing
from eoffice import clock
from eoffice.db import make_engine
from eoffice.documents.blobs import FilePolicy, Upload
from eoffice.documents.incoming import register_incoming
from eoffice.documents.models import (
    Assignment,
    Document,
    DocumentFile,
    ExternalSignature,
    Recipient,
    SecretGrant,
)
from eoffice.exchange.models import InboxMessage, InboxState, OutboxMessage, OutboxState
from eoffice.migrate import upgrade_to_head
from eoffice.notifications.models import Notification
from eoffice.org.actor import Actor
from eoffice.org.auth import create_api_token
from eoffice.org.delegations import create_delegation
from eoffice.org.models import CredentialKind, SigningCredential, User
from eoffice.settings import load_settings
from eoffice.tasks.calendar import WorkingCalendar
from eoffice.tasks.inputs import TargetRef, TaskInput
from eoffice.tasks.models import CalendarEntry, Task, TaskExtension
from eoffice.tasks.services import create_task
from eoffice.tasks.services_extensions import request_extension
from eoffice.web import create_app
from eoffice.web.documents.actions import _PERFORM
from eoffice.web.policy import POLICY, Relation, Rule, Who
from eoffice.web.session import SESSION_EPOCH
from signing.trust import Level
from tests.conftest import bind_session, fresh_database_url
from tests.documents.conftest import incoming_meta, make_pdf
from tests.factories import Factory, Org
from tests.web.test_pages import csrf_from

MISSING = 10**8
"""An id no object has."""
ACTOR_ROLES = {
    "anonymous": set(),
    "admin": {"admin"},
    "clerk": {"clerk"},
    "leader": {"leader"},
    "unit_head": {"unit_head"},
    "specialist": {"specialist"},
    "clerk_b": {"clerk"},
}
"""The matrix's callers: one user per role in agency A, and B's clerk."""
ACTORS = tuple(ACTOR_ROLES)
METRICS_TOKEN = "metrics-token-of-the-operator"


def _methods(rule: Any) -> list[str]:
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def _rules(app: Any) -> list[tuple[str, str]]:
    return sorted({(r.endpoint, m) for r in app.url_map.iter_rules() for m in _methods(r)})


# --- the world ---------------------------------------------------------------------------------


@dataclass
class World:
    app: Any
    connection: Connection
    users: dict[str, User]
    cookies: dict[str, str]
    csrf: dict[str, str]
    tokens: dict[str, str]
    variants: dict[Relation, dict[str, tuple[frozenset[str], dict[str, Any]]]]
    """relation → variant name → (the actors holding the relation, the URL values)."""
    fixed: dict[str, Any] = field(default_factory=dict)
    """URL values of routes about no object (a queue name, a register kind…)."""
    bodies: dict[str, dict[str, Any]] = field(default_factory=dict)
    """endpoint → the request's body (test client keywords), for routes that create things."""
    missing_answers: dict[tuple[str, str, str], list[Answer]] = field(default_factory=dict)
    """The answer for an id that does not exist, per (endpoint, method, actor)."""

    def roles_of(self, actor: str) -> set[str]:
        if actor == "anonymous":
            return set()
        roles = {r.value for r in self.users[actor].roles}
        assert roles == ACTOR_ROLES[actor], actor
        return roles


def _document(session, clerk: User, policy: FilePolicy, subject: str, **meta: Any) -> Document:
    registration = register_incoming(
        session,
        Actor(user=clerk),
        incoming_meta(subject=subject, code_number=str(len(subject)), **meta),
        Upload("cong-van.pdf", "application/pdf", make_pdf(subject)),
        policy,
        allow_duplicate=True,
    )
    return registration.document


def _pending_state() -> str:
    """A stored pending signature (its certificate is all the pages read from it)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Lãnh đạo thử quyền")])
    now = clock.now()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return signing.PendingSignature(
        prepared_pdf=b"%PDF-1.7",
        document_digest=bytes(32),
        reserved_start=0,
        reserved_end=1,
        signed_attributes=b"signed attributes",
        certificate=certificate.public_bytes(Encoding.DER),
        chain=(),
        field_name="Signature1",
        level=Level.B_B,
        signing_time=now,
    ).to_json()


def _main_file(session, document: Document) -> int:
    return session.scalars(
        select(DocumentFile.id).where(
            DocumentFile.document_id == document.id, DocumentFile.is_main.is_(True)
        )
    ).one()


def _org_objects(session, org: Org, policy: FilePolicy) -> tuple[Task, TaskExtension, Any]:
    """A task the leader gave the specialist (with a file and an extension request), and a
    delegation from the leader to the unit head."""
    due = clock.today() + timedelta(days=30)
    task = create_task(
        session,
        Actor(user=org.leader),
        TaskInput(
            title=f"Nhiệm vụ của {org.agency.name}",
            lead=TargetRef(user=org.specialist.id),
            due_date=due,
        ),
        WorkingCalendar(),
        uploads=[Upload("ke-hoach.pdf", "application/pdf", make_pdf(org.agency.code))],
        files=policy,
    )
    extension = request_extension(
        session, Actor(user=org.specialist), task, due + timedelta(days=7), "Cần thêm thời gian"
    )
    starts = clock.now() + timedelta(days=1)
    delegation = create_delegation(
        session,
        Actor(user=org.admin),
        org.leader,
        org.unit_head,
        ["sign"],
        starts,
        starts + timedelta(days=5),
    )
    return task, extension, delegation


def _build(session, policy: FilePolicy) -> dict[str, Any]:
    factory = Factory(session)
    a, b = factory.org(), factory.org()
    users = {
        "admin": a.admin,
        "clerk": a.clerk,
        "leader": a.leader,
        "unit_head": a.unit_head,
        "specialist": a.specialist,
        "clerk_b": b.clerk,
    }
    own = _document(session, a.clerk, policy, "Văn bản thường của cơ quan A")
    involved = _document(session, a.clerk, policy, "Văn bản giao chuyên viên xử lý")
    session.add(
        Assignment(document_id=involved.id, role="lead", user_id=a.specialist.id, is_active=True)
    )
    secret = _document(session, a.clerk, policy, "Văn bản mật không cấp quyền", secrecy="mat")
    granted = _document(session, a.clerk, policy, "Văn bản mật có cấp quyền", secrecy="mat")
    # Registering grants the clerk a secret document; "secret" is one nobody here holds a grant
    # for, "secret_grant" one the clerk (registering) and the specialist (given) hold.
    session.execute(delete(SecretGrant).where(SecretGrant.document_id == secret.id))
    session.add(SecretGrant(document_id=granted.id, user_id=a.specialist.id))
    # A's issued document and B's copy of it (rows shaped as issue_document leaves them).
    sent = _document(session, a.clerk, policy, "Văn bản cơ quan A gửi cơ quan B")
    sent.direction, sent.status, sent.verify_code = "outgoing", "issued", "MATRIXVERIFY01"
    sent.issued_at = clock.now()
    own.verify_code = "MATRIXNOTISSUED"  # a code printed on no issued document
    secret.verify_code, secret.issued_at = "MATRIXSECRET01", clock.now()
    copy = _document(session, b.clerk, policy, "Văn bản cơ quan A gửi cơ quan B (bản nhận)")
    copy.status, copy.sender_document_id = "pending_accept", sent.id
    session.add(
        Recipient(
            document_id=sent.id,
            agency_id=b.agency.id,
            organ_id=b.agency.code,
            organ_name=b.agency.name,
            channel="local",
            status="pending",
            incoming_document_id=copy.id,
        )
    )
    task_a, extension_a, delegation_a = _org_objects(session, a, policy)
    task_b, extension_b, delegation_b = _org_objects(session, b, policy)
    task_a_file = task_a.attachments[0].id
    note = Notification(
        user_id=a.specialist.id, kind="task", title="Thông báo", link="/", dedup_key="matrix.1"
    )
    outbox = {
        agency: OutboxMessage(
            kind="edoc",
            document_id=document.id,
            payload={},
            dedup_key=f"matrix.{agency}",
            state=OutboxState.DEAD.value,
        )
        for agency, document in (("a", sent), ("b", copy))
    }
    inbox = {
        agency: InboxMessage(
            axis_doc_id=f"matrix-{agency}",
            message_type="edoc",
            state=InboxState.QUARANTINED.value,
            raw=b"<edXML/>",
            agency_id=org.agency.id,
        )
        for agency, org in (("a", a), ("b", b))
    }
    images = {
        agency: SigningCredential(
            user_id=org.leader.id, kind=CredentialKind.EXTERNAL.value, image_png=b"\x89PNG"
        )
        for agency, org in (("a", a), ("b", b))
    }
    session.add_all(images.values())
    session.flush()
    pending = {
        x: ExternalSignature(
            document_id=document.id,
            user_id=user.id,
            credential_id=images[x].id,
            step="sign",
            base_sha256=document.main_file_sha256,
            state=_pending_state(),
            expires_at=clock.now() + timedelta(days=1),
        )
        for x, document, user in (("a", own, a.leader), ("b", copy, b.clerk))
    }
    session.add_all(pending.values())
    holiday = CalendarEntry(day=clock.today() + timedelta(days=400), kind="holiday", name="Nghỉ")
    session.add_all([note, holiday, *outbox.values(), *inbox.values(), *images.values()])
    session.flush()

    def managed(x: str) -> dict[str, Any]:
        delegation = {"a": delegation_a, "b": delegation_b}[x]
        return {
            "delegation_id": delegation.id,
            "outbox_id": outbox[x].id,
            "inbox_id": inbox[x].id,
            "credential_id": images[x].id,
        }

    def doc(d: Document) -> dict[str, Any]:
        return {
            "document_id": d.id,
            "file_id": _main_file(session, d),
            "external_id": MISSING,
            "user_id": a.clerk.id,  # whose grant a revocation names
        }

    missing_doc = {
        "document_id": MISSING,
        "file_id": MISSING,
        "external_id": MISSING,
        "user_id": a.clerk.id,
    }
    return {
        "users": users,
        "variants": {
            Relation.DOCUMENT: {
                "own_agency": (frozenset({"clerk", "leader"}), doc(own)),
                "involved": (frozenset({"clerk", "leader", "specialist"}), doc(involved)),
                "secret": (frozenset(), doc(secret)),
                "secret_grant": (frozenset({"clerk", "specialist"}), doc(granted)),
                "sender": (frozenset({"clerk", "leader"}), doc(sent)),
                "recipient": (frozenset({"clerk_b"}), doc(copy)),
                "missing": (frozenset(), missing_doc),
            },
            Relation.TASK: {
                "own_agency": (
                    frozenset({"admin", "clerk", "leader", "unit_head", "specialist"}),
                    {"task_id": task_a.id, "file_id": task_a_file, "extension_id": extension_a.id},
                ),
                "other_agency": (
                    frozenset({"clerk_b"}),
                    {
                        "task_id": task_b.id,
                        "file_id": task_b.attachments[0].id,
                        "extension_id": extension_b.id,
                    },
                ),
                "missing": (
                    frozenset(),
                    {"task_id": MISSING, "file_id": MISSING, "extension_id": MISSING},
                ),
            },
            Relation.PENDING_SIGNATURE: {
                "own_request": (
                    frozenset({"leader"}),
                    {"document_id": own.id, "external_id": pending["a"].id},
                ),
                "recipient_request": (
                    frozenset({"clerk_b"}),
                    {"document_id": copy.id, "external_id": pending["b"].id},
                ),
                "missing": (frozenset(), {"document_id": MISSING, "external_id": MISSING}),
                "missing_request": (frozenset(), {"document_id": own.id, "external_id": MISSING}),
            },
            Relation.MANAGED_AGENCY: {
                "own_agency": (frozenset({"admin"}), {"agency_id": a.agency.id}),
                "other_agency": (frozenset(), {"agency_id": b.agency.id}),
                "missing": (frozenset(), {"agency_id": MISSING}),
            },
            Relation.MANAGED_USER: {
                "own_agency": (frozenset({"admin"}), {"user_id": a.specialist.id}),
                "other_agency": (frozenset(), {"user_id": b.clerk.id}),
                "missing": (frozenset(), {"user_id": MISSING}),
            },
            Relation.MANAGED_OBJECT: {
                "own_agency": (frozenset({"admin"}), managed("a")),
                "other_agency": (frozenset(), managed("b")),
                "missing": (
                    frozenset(),
                    dict.fromkeys(
                        ("delegation_id", "outbox_id", "inbox_id", "credential_id"), MISSING
                    ),
                ),
            },
            Relation.ISSUED_CODE: {
                "issued": (frozenset(ACTORS), {"code": "MATRIXVERIFY01"}),
                "secret": (frozenset(), {"code": "MATRIXSECRET01"}),
                "not_issued": (frozenset(), {"code": "MATRIXNOTISSUED"}),
                "missing": (frozenset(), {"code": "MATRIXUNKNOWN"}),
            },
            Relation.OWN: {
                "own": (frozenset({"specialist"}), {"notification_id": note.id}),
                "missing": (frozenset(), {"notification_id": MISSING}),
            },
        },
        "fixed": {
            "name": "to_present",
            "kind": "incoming",
            "fmt": "pdf",
            "filename": "app.css",
            "action": "present",
            "entry_id": holiday.id,
            "code": "en",
        },
        "bodies": _bodies(users, a),
    }


def _bodies(users: dict[str, User], a: Any) -> dict[str, dict[str, Any]]:
    """Valid requests for the routes that create something: a role refusal must not hide
    behind a malformed body (the allowed callers then really create it, inside the savepoint)."""
    due = (clock.today() + timedelta(days=20)).isoformat()
    task = {"title": "Nhiệm vụ thử quyền", "lead_user": a.specialist.username, "due_date": due}
    incoming = {
        "organ_name": "Sở Tài chính tỉnh Khánh Hòa",
        "organ_id": "000.00.02.H34",
        "code_number": "77",
        "code_notation": "STC-NS",
        "issued_date": (clock.today() - timedelta(days=2)).isoformat(),
        "type_code": "CV",
        "subject": "V/v thử quyền đăng ký văn bản đến",
        "signer_name": "Trần Văn Bình",
        "signer_position": "Giám đốc",
    }
    outgoing = {"type_code": "QD", "subject": "Quyết định thử quyền", "signer_id": a.leader.id}

    def multipart(metadata: dict[str, Any]) -> dict[str, Any]:
        return {
            "data": lambda: {
                "metadata": json.dumps(metadata),
                "file": (io.BytesIO(make_pdf()), "van-ban.pdf", "application/pdf"),
            },
            "content_type": "multipart/form-data",
        }

    return {
        "api.create_task": {"json": task},
        "api.lateness_report": {
            "query_string": {
                "date_from": clock.today().replace(day=1).isoformat(),
                "date_to": clock.today().isoformat(),
            }
        },
        "tasks.new": {"data": lambda: task},
        "api.register_incoming": multipart(incoming),
        "api.create_outgoing_draft": multipart(outgoing),
    }


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, worker_name: str) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("authz")
    engine = make_engine(fresh_database_url("sqlite", tmp, worker_name, "authz"))
    upgrade_to_head(engine)
    connection = engine.connect()
    outer = connection.begin()
    session = bind_session(connection)
    settings = load_settings(
        env="test",
        instance_dir=tmp / "instance",
        secret_key="x" * 40,
        base_url="http://127.0.0.1:5000",
        metrics_token=METRICS_TOKEN,
    )
    from eoffice import wiring

    built = _build(session, wiring.file_policy(settings))
    users: dict[str, User] = built["users"]
    tokens = {name: create_api_token(session, Actor.system(), u)[1] for name, u in users.items()}
    session.commit()
    session.close()
    app = create_app(settings, session_factory=lambda: bind_session(connection))
    cookies, csrf = {}, {}
    for name in ACTORS:
        client = app.test_client()
        if name != "anonymous":  # the session the login page leaves (tests/web/test_pages.py)
            with client.session_transaction() as session_:
                session_.update(
                    _user_id=str(users[name].id),
                    _fresh=True,
                    auth_at=clock.now().timestamp(),
                    **{SESSION_EPOCH: users[name].session_epoch},
                )
                session_.permanent = True
        page = client.get("/" if name != "anonymous" else "/login")
        assert page.status_code == 200, name
        csrf[name] = csrf_from(page.text)
        cookies[name] = client.get_cookie("session").value
    yield World(
        app,
        connection,
        users,
        cookies,
        csrf,
        tokens,
        built["variants"],
        built["fixed"],
        built["bodies"],
    )
    outer.rollback()
    connection.close()
    engine.dispose()


# --- the requests ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int
    body: str
    location: str


def _call_with(
    world: World,
    endpoint: str,
    actor: str,
    body: dict[str, Any],
    values: dict[str, Any] | None = None,
) -> Answer:
    """POST ``body`` (test client keywords) to ``endpoint`` with URL ``values``."""
    saved = world.bodies.get(endpoint)
    world.bodies[endpoint] = body
    try:
        return _call(world, endpoint, "POST", actor, values or {})
    finally:
        if saved is not None:
            world.bodies[endpoint] = saved
        else:
            del world.bodies[endpoint]


def _call(world: World, endpoint: str, method: str, actor: str, values: dict[str, Any]) -> Answer:
    rule = next(r for r in world.app.url_map.iter_rules() if r.endpoint == endpoint)
    values = values | {k: values[v] for k, v in _ALIASES.get(endpoint, {}).items() if v in values}
    args = {k: v for k, v in (world.fixed | values).items() if k in rule.arguments}
    missing = rule.arguments - args.keys()
    assert not missing, f"{endpoint}: the matrix has no value for {sorted(missing)}"
    url = world.app.url_map.bind("localhost").build(endpoint, args, method=method)
    client = world.app.test_client()
    client.set_cookie("session", world.cookies[actor])
    kwargs = {k: v() if callable(v) else v for k, v in world.bodies.get(endpoint, {}).items()}
    if endpoint.startswith("api."):
        if method == "POST" and not kwargs:
            kwargs["json"] = {}
        if actor != "anonymous":
            kwargs["headers"] = {"Authorization": f"Bearer {world.tokens[actor]}"}
    elif method == "POST":
        token = world.csrf[actor]
        fields = {"csrf_token": token, f"{args.get('action', 'x')}-csrf_token": token}
        kwargs["data"] = kwargs.get("data", {}) | fields
    nested = world.connection.begin_nested()
    try:
        response = client.open(url, method=method, **kwargs)
        body = response.get_data().decode("utf-8", "surrogateescape")
    finally:
        nested.rollback()
    # The page names its own address (the language switcher's "next"): that is the caller's
    # own input, not something the refusal reveals.
    body = body.replace(quote(url, safe="/"), "{url}").replace(url, "{url}")
    return Answer(response.status_code, body, response.headers.get("Location", ""))


_ALIASES = {
    "admin_exchange.requeue": {"message_id": "outbox_id"},
    "admin_exchange.quarantined": {"message_id": "inbox_id"},
    "admin_exchange.quarantined_raw": {"message_id": "inbox_id"},
}
"""URL arguments named alike for different objects: which world value fills them."""

_TOKEN = re.compile(r'(name="[\w-]*csrf_token"[^>]*value=")[^"]+"')


def _scrub(body: str) -> str:
    return _TOKEN.sub(r'\1"', body)


def _cells() -> list[Any]:
    """Every (route, actor, object) cell. A caller refused before the object is looked up (not
    logged in, or without the route's role) is tried on one existing object and a missing one:
    the answer must not depend on the object at all."""
    cells = []
    for (endpoint, method), rule in sorted(POLICY.items()):
        variants = _VARIANT_NAMES.get(rule.relation, (None,))
        for actor in ACTORS:
            refused_early = actor == "anonymous" or (
                rule.who is Who.ROLES and not ACTOR_ROLES[actor] & {r.value for r in rule.roles}
            )
            for variant in variants:
                if refused_early and variant not in (variants[0], "missing"):
                    continue
                cell_id = f"{endpoint}:{method}:{actor}" + (f":{variant}" if variant else "")
                cells.append(pytest.param(endpoint, method, actor, variant, id=cell_id))
    return cells


_VARIANT_NAMES = {
    Relation.DOCUMENT: (
        "own_agency",
        "involved",
        "secret",
        "secret_grant",
        "sender",
        "recipient",
        "missing",
    ),
    Relation.TASK: ("own_agency", "other_agency", "missing"),
    Relation.PENDING_SIGNATURE: ("own_request", "recipient_request", "missing", "missing_request"),
    Relation.MANAGED_AGENCY: ("own_agency", "other_agency", "missing"),
    Relation.MANAGED_USER: ("own_agency", "other_agency", "missing"),
    Relation.MANAGED_OBJECT: ("own_agency", "other_agency", "missing"),
    Relation.OWN: ("own", "missing"),
    Relation.ISSUED_CODE: ("issued", "secret", "not_issued", "missing"),
}


# --- the tests ---------------------------------------------------------------------------------


def test_every_route_has_a_declared_rule(world: World) -> None:
    registered = _rules(world.app)
    undeclared = [f"{e} {m}" for e, m in registered if (e, m) not in POLICY]
    assert not undeclared, "routes without an entry in eoffice/web/policy.py POLICY: " + ", ".join(
        undeclared
    )
    stale = [f"{e} {m}" for e, m in POLICY if (e, m) not in set(registered)]
    assert not stale, "POLICY entries for routes the app does not register: " + ", ".join(stale)


def test_every_relation_has_world_variants() -> None:
    used = {rule.relation for rule in POLICY.values() if rule.relation is not None}
    assert used <= set(_VARIANT_NAMES), used - set(_VARIANT_NAMES)


@pytest.mark.parametrize(("endpoint", "method", "actor", "variant"), _cells())
def test_cell(world: World, endpoint: str, method: str, actor: str, variant: str | None) -> None:
    rule = POLICY[(endpoint, method)]
    related, values = (
        world.variants[rule.relation][variant] if rule.relation is not None else (frozenset(), {})
    )
    answer = _call(world, endpoint, method, actor, values)
    expected = _expected(world, rule, actor, related, variant)
    where = f"{method} {endpoint} as {actor}" + (f" on {variant}" if variant else "")
    if expected == "allowed":
        refused = {401, 403, 404} - ({403} if rule.step else set())
        assert answer.status not in refused, f"{where}: refused with {answer.status}"
        assert not (answer.status == 302 and "/login?next=" in answer.location), where
    elif expected == "login":
        if endpoint.startswith("api."):
            assert answer.status == 401, f"{where}: {answer.status}"
            assert '"unauthorized"' in answer.body
        else:
            assert answer.status == 302 and "/login?next=" in answer.location, (
                f"{where}: {answer.status} {answer.location}"
            )
    else:
        assert answer.status == expected, f"{where}: {answer.status}, declared {expected}"
        if endpoint.startswith("api."):  # the API's error shape, never a page
            error = json.loads(answer.body)["error"]
            assert error["code"] == {403: "forbidden", 404: "not_found"}[expected], where
            assert set(error) == {"code", "message", "fields"}, where
        elif expected == 403:
            assert "<html" in answer.body, where
        if expected == 404 and not variant.startswith("missing"):
            baselines = _missing_answers(world, rule, endpoint, method, actor)
            assert all(b.status == 404 for b in baselines)
            assert _scrub(answer.body) in {_scrub(b.body) for b in baselines}, (
                f"{where}: the refusal differs from the answer for a missing id"
            )


def _missing_answers(
    world: World, rule: Rule, endpoint: str, method: str, actor: str
) -> list[Answer]:
    """The answers for ids that do not exist ("missing…" variants), computed once."""
    key = (endpoint, method, actor)
    if key not in world.missing_answers:
        world.missing_answers[key] = [
            _call(world, endpoint, method, actor, values)
            for name, (_, values) in world.variants[rule.relation].items()  # type: ignore[index]
            if name.startswith("missing")
        ]
    return world.missing_answers[key]


def _expected(
    world: World, rule: Rule, actor: str, related: frozenset[str], variant: str | None
) -> str | int:
    if rule.who is Who.PUBLIC:
        return "allowed" if rule.relation is None or actor in related else rule.relation_denial
    if rule.who is Who.OPERATOR:
        return 401
    if actor == "anonymous":
        return "login"
    if rule.who is Who.ROLES and not (world.roles_of(actor) & {r.value for r in rule.roles}):
        return rule.role_denial
    if rule.relation is not None and actor not in related:
        return rule.relation_denial
    return "allowed"


def test_metrics_answer_only_the_operator_token(world: World) -> None:
    client = world.app.test_client()
    headers = {"Authorization": f"Bearer {METRICS_TOKEN}"}
    assert client.get("/metrics", headers=headers).status_code == 200
    for actor in ACTORS[1:]:
        headers = {"Authorization": f"Bearer {world.tokens[actor]}"}
        assert client.get("/metrics", headers=headers).status_code == 401


def test_a_parent_task_of_another_agency_reads_as_unknown(world: World) -> None:
    """An id in a body is checked like one in a path: another agency's task is "not found"."""
    _, other = world.variants[Relation.TASK]["other_agency"]
    answers = []
    for parent_id in (other["task_id"], MISSING):
        body = world.bodies["api.create_task"]["json"] | {"parent_id": parent_id}
        answers.append(_call_with(world, "api.create_task", "leader", {"json": body}))
    assert answers[0].status == answers[1].status == 404
    assert answers[0].body == answers[1].body


def test_a_source_document_the_giver_cannot_see_reads_as_unknown(world: World) -> None:
    """A task's source document must be one the giver may see: the leader may not link a
    secret document without a grant, and the refusal is the one for an unknown id."""
    _, secret = world.variants[Relation.DOCUMENT]["secret"]
    _, own = world.variants[Relation.DOCUMENT]["own_agency"]
    answers = {}
    for name, document_id in (("secret", secret["document_id"]), ("missing", MISSING)):
        body = world.bodies["api.create_task"]["json"] | {
            "source_kind": "document",
            "source_document_id": document_id,
        }
        answers[name] = _call_with(world, "api.create_task", "leader", {"json": body})
    assert answers["secret"].status == answers["missing"].status == 422
    assert answers["secret"].body == answers["missing"].body
    body = world.bodies["api.create_task"]["json"] | {
        "source_kind": "document",
        "source_document_id": own["document_id"],
    }
    assert _call_with(world, "api.create_task", "leader", {"json": body}).status == 201


@pytest.mark.parametrize("action", [*sorted(_PERFORM), "khong-co"])
def test_every_document_action_key_hides_what_the_caller_cannot_see(
    world: World, action: str
) -> None:
    """``POST /documents/<id>/<action>`` is one rule for every action: each key finds the
    document through the same guard (the matrix's cells use one key); an unknown key is 404."""
    _, own = world.variants[Relation.DOCUMENT]["own_agency"]
    _, missing = world.variants[Relation.DOCUMENT]["missing"]
    outsider = _call(world, "documents.act", "POST", "clerk_b", own | {"action": action})
    unknown = _call(world, "documents.act", "POST", "clerk_b", missing | {"action": action})
    assert outsider.status == unknown.status == 404
    assert _scrub(outsider.body) == _scrub(unknown.body)
    insider = _call(world, "documents.act", "POST", "clerk", own | {"action": action})
    assert insider.status == 404 if action == "khong-co" else insider.status not in (401, 404)


def test_a_person_of_another_agency_in_a_form_reads_as_unknown(world: World) -> None:
    """Presenting a document to another agency's leader answers as for a user id that does
    not exist (the API's ``_colleague`` does the same)."""
    _, own = world.variants[Relation.DOCUMENT]["own_agency"]
    values = own | {"action": "present"}
    answers = [
        _call_with(
            world, "documents.act", "clerk", {"data": {"present-leader_id": str(who)}}, values
        )
        for who in (world.users["clerk_b"].id, MISSING)
    ]
    assert answers[0].status == answers[1].status == 422
    assert _scrub(answers[0].body) == _scrub(answers[1].body)
