"""API limits: bad bearer tokens per address (counted in the database) and requests per token per
minute (counted in the process); both answer 429 ``too_many_requests`` with Retry-After."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from eoffice import clock
from eoffice.org.actor import Actor
from eoffice.org.auth import create_api_token
from eoffice.web.ratelimit import PerMinute
from tests.conftest import make_settings

START = datetime(2026, 3, 2, 1, 0, 0, tzinfo=UTC)


@pytest.fixture
def settings(tmp_path):
    return make_settings(
        tmp_path,
        api_token_ip_max_failures=3,
        api_token_lockout_minutes=15,
        api_requests_per_minute=5,
    )


def _get(client, token: str, ip: str = "127.0.0.1"):
    return client.get(
        "/api/v1/me",
        headers={"Authorization": f"Bearer {token}"},
        environ_base={"REMOTE_ADDR": ip},
    )


def _too_many(response) -> int:
    assert response.status_code == 429
    body = response.get_json()["error"]
    assert body["code"] == "too_many_requests" and "Quá nhiều yêu cầu" in body["message"]
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    return int(response.headers["Retry-After"])


def test_bad_tokens_from_one_address_are_limited_then_forgiven(client, factory, db_session):
    org = factory.org()
    _, token = create_api_token(db_session, Actor.system(), org.clerk)
    db_session.commit()
    with clock.frozen(START):
        for guess in ("eo_sai1", "eo_sai2", "khong-phai-ma"):
            assert _get(client, guess, "10.1.1.1").status_code == 401
        assert _too_many(_get(client, token, "10.1.1.1")) == 15 * 60  # even a good one now
        assert _get(client, token, "10.2.2.2").status_code == 200  # another address
    with clock.frozen(START + timedelta(minutes=15, seconds=1)):
        assert _get(client, token, "10.1.1.1").status_code == 200


def test_requests_per_token_per_minute(client, factory, db_session):
    org = factory.org()
    _, busy = create_api_token(db_session, Actor.system(), org.clerk)
    _, calm = create_api_token(db_session, Actor.system(), org.leader)
    db_session.commit()
    with clock.frozen(START + timedelta(seconds=20)):
        for _ in range(5):
            assert _get(client, busy).status_code == 200
        assert _too_many(_get(client, busy)) == 40  # until the minute ends
        assert _get(client, calm).status_code == 200  # counted per token
    with clock.frozen(START + timedelta(minutes=1)):
        assert _get(client, busy).status_code == 200  # a new minute


def test_the_per_minute_counter():
    counter = PerMinute(2)
    assert counter.hit("a", 60.0) is None and counter.hit("a", 61.0) is None
    assert counter.hit("a", 119.5) == 1
    assert counter.hit("b", 119.5) is None
    assert counter.hit("a", 120.0) is None
    assert PerMinute(0).hit("a", 1.0) is None  # off
