"""A lost database connection is answered 503, in Vietnamese (or the user's language), as JSON
under /api and as a page elsewhere — and the page is drawn without querying the database again
(menu counts, delegations), which would turn it into a bare 500.

tests/faults/test_postgres_restart.py checks the same against a real PostgreSQL restart.
"""

from __future__ import annotations

import pytest
from sqlalchemy.exc import OperationalError

from eoffice.documents.models import Document
from eoffice.org.actor import Actor
from eoffice.org.auth import create_api_token
from tests.web.test_api_documents import api  # noqa: F401 - a fixture
from tests.web.test_pages import login

UNAVAILABLE_VI = "Hệ thống tạm thời không phục vụ được (cơ sở dữ liệu không sẵn sàng)"
UNAVAILABLE_EN = "The system is temporarily unavailable (database not ready)"


def _connection_lost(*args, **kwargs):
    raise OperationalError("SELECT …", {}, Exception("server closed the connection unexpectedly"))


@pytest.fixture
def database_gone(monkeypatch):
    """Every query the list views, the menus and the delegation switch make fails."""

    def go() -> None:
        for target in (
            "eoffice.web.documents.lists.list_documents",
            "eoffice.web.api.documents.queries.list_documents",
            "eoffice.web.documents.queue_counts",
            "eoffice.web.session.active_delegations_for",
        ):
            monkeypatch.setattr(target, _connection_lost)

    return go


def test_api_answers_503_json_with_a_vietnamese_message(client, factory, db_session, database_gone):
    org = factory.org()
    _, token = create_api_token(db_session, Actor.system(), org.clerk)
    database_gone()
    answer = client.get("/api/v1/documents", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "30"
    error = answer.get_json()["error"]
    assert error["code"] == "service_unavailable" and error["fields"] == {}
    assert UNAVAILABLE_VI in error["message"]


def test_a_page_answers_503_without_touching_the_database_again(client, factory, database_gone):
    org = factory.org()
    assert login(client, org.clerk.username).status_code == 302
    database_gone()
    page = client.get("/documents/incoming")
    assert page.status_code == 503 and page.headers["Retry-After"] == "30"
    assert UNAVAILABLE_VI in page.text and 'lang="vi"' in page.text
    assert 'href="/documents/incoming"' in page.text  # "Thử lại" reloads the page


def test_the_503_page_is_in_the_users_language(client, factory, database_gone):
    org = factory.org()
    login(client, org.clerk.username)
    database_gone()
    page = client.get("/documents/incoming?lang=en")
    assert page.status_code == 503 and UNAVAILABLE_EN in page.text and "Try again" in page.text


def test_losing_the_database_while_an_error_page_is_drawn_still_answers_503(
    client, factory, monkeypatch
):
    org = factory.org()
    login(client, org.clerk.username)
    monkeypatch.setattr("eoffice.web.documents.queue_counts", _connection_lost)
    page = client.get("/documents/999999")  # a 404 page, whose menu then fails
    assert page.status_code == 503 and UNAVAILABLE_VI in page.text


def test_a_connection_lost_when_the_request_ends_does_not_turn_the_answer_into_a_500(
    client, factory, db_session, monkeypatch
):
    """The server dies after the view's last statement: closing the session (its ROLLBACK) fails,
    and the answer the view made still goes out (seen as a bare 500 under a real restart)."""
    org = factory.org()
    _, token = create_api_token(db_session, Actor.system(), org.clerk)
    monkeypatch.setattr("eoffice.web.session.Session.close", _connection_lost)
    answer = client.get("/api/v1/documents", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200 and answer.get_json()["items"] == []


def test_a_connection_lost_while_the_api_serialises_a_document_answers_503(api, monkeypatch):  # noqa: F811
    """pydantic reads ORM attributes itself and wraps a failed lazy load in a ValidationError."""
    document = api.register()
    monkeypatch.setattr(Document, "recipients", property(_connection_lost))
    answer = api.call("GET", f"/api/v1/documents/{document['id']}")
    assert answer.status_code == 503
    assert answer.get_json()["error"]["code"] == "service_unavailable"
