"""Login sessions: a new cookie at login (fixation), a copied cookie dies at logout, and failed
logins are limited per address and per user name, counted in the database (every web process
shares the count) and answered 429 with Retry-After."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from eoffice import clock
from eoffice.web import create_app
from tests.conftest import bind_session, make_settings
from tests.factories import _HASH, PASSWORD
from tests.web.test_pages import csrf_from, login

START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


@pytest.fixture
def settings(tmp_path):
    return make_settings(
        tmp_path, login_max_failures=4, login_ip_max_failures=3, login_lockout_minutes=15
    )


@pytest.fixture(autouse=True)
def _fast_logins(monkeypatch):
    """Argon2 costs half a second per login by design; these tests log in often."""
    from eoffice.org import auth

    monkeypatch.setattr(
        auth, "verify_password", lambda hashed, password: hashed == _HASH and password == PASSWORD
    )


def _session_cookie(client) -> str | None:
    cookie = client.get_cookie("session")
    return cookie.value if cookie else None


def _browser(app, cookie: str | None = None, ip: str = "127.0.0.1"):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ip
    if cookie is not None:
        client.set_cookie("session", cookie)
    return client


def _logged_in(client) -> bool:
    response = client.get("/")
    return response.status_code == 200


def test_login_issues_a_new_session_and_the_old_cookie_stays_logged_out(app, factory):
    org = factory.org()
    client = _browser(app)
    client.get("/login")
    before = _session_cookie(client)
    assert before  # the login form's CSRF token lives in the session
    assert login(client, org.clerk.username).status_code == 302
    after = _session_cookie(client)
    assert after and after != before
    assert _logged_in(client)
    assert not _logged_in(_browser(app, before))  # what an attacker planted stays anonymous


def test_logout_ends_the_session_even_for_a_copied_cookie(app, factory):
    org = factory.org()
    client = _browser(app)
    login(client, org.clerk.username)
    copied = _session_cookie(client)
    assert _logged_in(_browser(app, copied))  # a copy works while the session lives
    other_device = _browser(app)
    login(other_device, org.clerk.username)
    page = client.get("/")
    assert client.post("/logout", data={"csrf_token": csrf_from(page.text)}).status_code == 302
    assert not _logged_in(client)
    assert not _logged_in(_browser(app, copied))  # the copy died with the logout
    assert not _logged_in(other_device)  # logout ends every session of the user
    assert login(client, org.clerk.username).status_code == 302 and _logged_in(client)


def _fail(client, username: str):
    return login(client, username, "sai-mat-khau")


def test_failed_logins_from_one_address_are_limited_then_forgiven(app, factory):
    org = factory.org()
    attacker, colleague = _browser(app, ip="10.1.1.1"), _browser(app, ip="10.2.2.2")
    with clock.frozen(START):
        for name in ("a", "b", org.clerk.username):  # different names: the address is counted
            assert _fail(attacker, name).status_code == 401
        refused = login(attacker, org.clerk.username)  # even the right password now
        assert refused.status_code == 429
        assert refused.headers["Retry-After"] == str(15 * 60)
        assert "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau 15 phút" in refused.text
        assert login(colleague, org.clerk.username).status_code == 302  # another address
    with clock.frozen(START + timedelta(minutes=10)):
        assert login(attacker, org.leader.username).headers["Retry-After"] == str(5 * 60)
    with clock.frozen(START + timedelta(minutes=15, seconds=1)):
        assert login(attacker, org.clerk.username).status_code == 302  # the window has passed


def test_failed_logins_for_one_name_are_limited_from_every_address(app, factory):
    org = factory.org()
    with clock.frozen(START):
        for i in range(4):
            assert _fail(_browser(app, ip=f"10.0.0.{i}"), org.leader.username).status_code == 401
        refused = login(_browser(app, ip="10.0.0.9"), org.leader.username)
        assert refused.status_code == 429 and refused.headers["Retry-After"] == str(15 * 60)
        assert login(_browser(app, ip="10.0.0.9"), org.clerk.username).status_code == 302
    with clock.frozen(START + timedelta(minutes=16)):
        assert login(_browser(app, ip="10.0.0.9"), org.leader.username).status_code == 302


def test_every_web_process_shares_the_count(app, settings, db_connection, factory):
    """A second app on the same database stands for a second gunicorn worker."""
    org = factory.org()
    second = create_app(settings, session_factory=lambda: bind_session(db_connection))
    with clock.frozen(START):
        assert _fail(_browser(app, ip="10.9.9.9"), "x").status_code == 401
        assert _fail(_browser(second, ip="10.9.9.9"), "y").status_code == 401
        assert _fail(_browser(app, ip="10.9.9.9"), "z").status_code == 401
        assert login(_browser(second, ip="10.9.9.9"), org.clerk.username).status_code == 429
