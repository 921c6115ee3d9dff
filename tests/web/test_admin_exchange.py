from datetime import timedelta

import pytest

from eoffice import clock
from eoffice.audit.services import list_events_for
from eoffice.documents.models import Document, Recipient
from eoffice.errors import InvalidTransition, NotFound, PermissionDenied
from eoffice.exchange import admin as exchange_admin
from eoffice.exchange.models import InboxMessage, OutboxMessage
from eoffice.org.actor import Actor
from eoffice.web.admin_exchange import bp
from tests.web.test_pages import csrf_from, login

RAW = b"\x00\x01<edXML>h\xc6\xb0 h\xe1\xbb\x8fng</edXML>\xff\r\n"


@pytest.fixture
def app(app):
    # The lead registers the blueprint in create_app; until then the tests add it themselves.
    if "admin_exchange" not in app.blueprints:
        app.register_blueprint(bp)
    return app


def _document(db_session, agency, subject="V/v kiểm tra liên thông"):
    doc = Document(
        agency_id=agency.id,
        direction="outgoing",
        status="issued",
        type_code="CV",
        type_name="Công văn",
        subject=subject,
        code_number="15",
        code_notation="UBND-VP",
    )
    db_session.add(doc)
    db_session.flush()
    return doc


def _outbox(db_session, doc, state, *, attempts=0, error="", key=None):
    recipient = Recipient(
        document_id=doc.id, organ_id="000.00.99.H99", organ_name="Sở Nội vụ", channel="vxp"
    )
    db_session.add(recipient)
    db_session.flush()
    message = OutboxMessage(
        kind="edoc",
        document_id=doc.id,
        recipient_id=recipient.id,
        payload={},
        dedup_key=key or f"edoc:{doc.id}:{recipient.id}",
        state=state,
        attempts=attempts,
        last_error=error,
        next_attempt_at=clock.now() + timedelta(hours=1),
    )
    db_session.add(message)
    db_session.flush()
    return message


def _quarantined(db_session, axis_id="axis-1", raw=RAW, agency=None):
    message = InboxMessage(
        axis_doc_id=axis_id,
        message_type="edoc",
        state="quarantined",
        reason="edXML không hợp lệ: thiếu MessageHeader",
        raw=raw,
        agency_id=agency.id if agency is not None else None,
    )
    db_session.add(message)
    db_session.flush()
    return message


@pytest.mark.parametrize(
    "path", ["/admin/exchange/", "/admin/exchange/quarantine", "/admin/exchange/quarantine/{id}"]
)
def test_pages_render_for_an_admin_and_are_forbidden_to_a_clerk(client, factory, db_session, path):
    org = factory.org()
    doc = _document(db_session, org.agency)
    _outbox(db_session, doc, "dead", attempts=8, error="HTTP 503 từ trục")
    inbox = _quarantined(db_session)
    url = path.format(id=inbox.id)

    login(client, org.clerk.username)
    assert client.get(url).status_code == 403
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/").text)})

    login(client, org.admin.username)
    page = client.get(url)
    assert page.status_code == 200
    if path.endswith("/"):
        assert "15/UBND-VP" in page.text and "V/v kiểm tra liên thông" in page.text
        assert "Sở Nội vụ" in page.text and "HTTP 503 từ trục" in page.text
        assert "Gửi lại" in page.text
    else:
        assert "thiếu MessageHeader" in page.text


def test_outbox_lists_pending_and_dead_with_the_next_attempt_time(client, factory, db_session):
    org = factory.org()
    doc = _document(db_session, org.agency)
    pending = _outbox(db_session, doc, "pending", attempts=2, error="timeout", key="a")
    _outbox(db_session, doc, "sent", key="b")
    login(client, org.admin.username)
    page = client.get("/admin/exchange/?state=pending")
    assert page.status_code == 200
    assert clock.format_datetime(pending.next_attempt_at) in page.text
    assert "timeout" in page.text and "Gửi lại</button>" not in page.text
    rows = exchange_admin.list_outbox(db_session, None)
    assert [r.message.state for r in rows] == ["pending"]  # sent messages are not listed


def test_outbox_is_limited_to_the_admins_agencies(client, factory, db_session):
    mine, other = factory.org(), factory.org()
    _outbox(db_session, _document(db_session, other.agency, "Văn bản cơ quan khác"), "dead")
    dead = _outbox(db_session, _document(db_session, mine.agency), "dead")
    login(client, mine.admin.username)
    page = client.get("/admin/exchange/")
    assert "Văn bản cơ quan khác" not in page.text
    rows = exchange_admin.list_outbox(db_session, "dead", agency_ids={mine.agency.id})
    assert [r.message.id for r in rows] == [dead.id]


def test_requeue_moves_a_dead_message_to_pending(client, factory, db_session):
    org = factory.org()
    dead = _outbox(db_session, _document(db_session, org.agency), "dead", attempts=8, error="x")
    login(client, org.admin.username)
    page = client.get("/admin/exchange/")
    response = client.post(
        f"/admin/exchange/outbox/{dead.id}/requeue", data={"csrf_token": csrf_from(page.text)}
    )
    assert response.status_code == 302
    db_session.refresh(dead)
    assert (dead.state, dead.attempts) == ("pending", 0)
    assert dead.next_attempt_at <= clock.now()
    assert "Đã đưa thư vào hàng đợi" in client.get(response.headers["Location"]).text
    events = list_events_for(db_session, "outbox_message", dead.id)
    assert [(e.action, e.actor_id) for e in events] == [("exchange.requeue", org.admin.id)]


def test_requeue_of_a_message_that_is_not_dead_gives_a_clear_error(client, factory, db_session):
    org = factory.org()
    pending = _outbox(db_session, _document(db_session, org.agency), "pending", attempts=1)
    login(client, org.admin.username)
    page = client.get("/admin/exchange/")
    response = client.post(
        f"/admin/exchange/outbox/{pending.id}/requeue",
        data={"csrf_token": csrf_from(page.text)},
        follow_redirects=True,
    )
    assert "đang chờ gửi, chỉ gửi lại được thư đã hết lượt thử" in response.text
    db_session.refresh(pending)
    assert pending.attempts == 1
    with pytest.raises(InvalidTransition):
        exchange_admin.requeue_dead(db_session, Actor(user=org.admin), pending.id)
    with pytest.raises(NotFound):
        exchange_admin.requeue_dead(db_session, Actor(user=org.admin), pending.id + 1000)


def test_requeue_needs_csrf_and_an_admin(client, factory, db_session):
    org = factory.org()
    dead = _outbox(db_session, _document(db_session, org.agency), "dead")
    login(client, org.admin.username)
    assert client.post(f"/admin/exchange/outbox/{dead.id}/requeue").status_code == 400
    with pytest.raises(PermissionDenied):
        exchange_admin.requeue_dead(db_session, Actor(user=org.clerk), dead.id)
    db_session.refresh(dead)
    assert dead.state == "dead"


def test_raw_download_returns_the_exact_bytes_as_an_attachment(client, factory, db_session):
    org = factory.org()
    inbox = _quarantined(db_session)
    login(client, org.admin.username)
    detail = client.get(f"/admin/exchange/quarantine/{inbox.id}")
    assert f"/admin/exchange/quarantine/{inbox.id}/raw" in detail.text
    response = client.get(f"/admin/exchange/quarantine/{inbox.id}/raw")
    assert response.status_code == 200
    assert response.data == RAW
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_processed_messages_are_not_shown_as_quarantined(client, factory, db_session):
    org = factory.org()
    done = InboxMessage(axis_doc_id="axis-ok", message_type="edoc", state="processed")
    db_session.add(done)
    db_session.flush()
    login(client, org.admin.username)
    assert client.get(f"/admin/exchange/quarantine/{done.id}").status_code == 404
    assert client.get(f"/admin/exchange/quarantine/{done.id}/raw").status_code == 404
    everything = exchange_admin.quarantine_scope(db_session, Actor.system())
    assert exchange_admin.list_quarantine(db_session, everything) == []


def test_an_unknown_state_filter_is_refused(client, factory):
    org = factory.org()
    login(client, org.admin.username)
    assert client.get("/admin/exchange/?state=sent").status_code == 422


def test_quarantine_is_shown_to_the_addressees_admins_and_unaddressed_only_at_the_top(
    client, factory, db_session
):
    province = factory.org()
    department = factory.org(parent=province.agency)
    other = factory.org(parent=province.agency)
    mine = _quarantined(db_session, "axis-dept", agency=department.agency)
    theirs = _quarantined(db_session, "axis-other", agency=other.agency)
    unaddressed = _quarantined(db_session, "axis-none")

    def visible(org):
        scope = exchange_admin.quarantine_scope(db_session, Actor(user=org.admin))
        return {m.axis_doc_id for m in exchange_admin.list_quarantine(db_session, scope)}

    assert visible(province) == {"axis-dept", "axis-other", "axis-none"}
    assert visible(department) == {"axis-dept"}
    login(client, department.admin.username)
    assert "axis-dept" in client.get("/admin/exchange/quarantine").text
    assert client.get(f"/admin/exchange/quarantine/{mine.id}/raw").data == RAW
    for hidden in (theirs, unaddressed):
        assert client.get(f"/admin/exchange/quarantine/{hidden.id}").status_code == 404
        assert client.get(f"/admin/exchange/quarantine/{hidden.id}/raw").status_code == 404
    # A clerk of the top-level agency is no admin: nothing at all.
    scope = exchange_admin.quarantine_scope(db_session, Actor(user=province.clerk))
    assert exchange_admin.list_quarantine(db_session, scope) == []
