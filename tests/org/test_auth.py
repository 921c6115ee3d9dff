from datetime import UTC, datetime, timedelta

import pytest

from eoffice import clock
from eoffice.errors import AuthenticationFailed, NotFound, TooManyAttempts
from eoffice.org.actor import Actor
from eoffice.org.auth import authenticate, authenticate_token, create_api_token, revoke_api_token
from eoffice.org.models import ApiToken
from tests.factories import PASSWORD


def test_login_with_right_and_wrong_password(factory, db_session):
    org = factory.org()
    assert authenticate(db_session, org.clerk.username, PASSWORD).id == org.clerk.id
    with pytest.raises(AuthenticationFailed) as wrong:
        authenticate(db_session, org.clerk.username, "sai-mat-khau")
    with pytest.raises(AuthenticationFailed) as unknown:
        authenticate(db_session, "khong-ton-tai", PASSWORD)
    assert wrong.value.message == unknown.value.message  # never says which one was wrong


def test_lockout_after_repeated_failures_even_with_right_password(factory, db_session):
    org = factory.org()
    start = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    with clock.frozen(start):
        for _ in range(3):
            with pytest.raises(AuthenticationFailed):
                authenticate(db_session, org.clerk.username, "x", max_failures=3)
        with pytest.raises(TooManyAttempts):
            authenticate(db_session, org.clerk.username, PASSWORD, max_failures=3)
    with clock.frozen(start + timedelta(minutes=16)):
        assert authenticate(db_session, org.clerk.username, PASSWORD, max_failures=3)


def test_unknown_names_are_throttled_too(db_session):
    for _ in range(2):
        with pytest.raises(AuthenticationFailed):
            authenticate(db_session, "ai-do", "x", max_failures=2)
    with pytest.raises(TooManyAttempts):
        authenticate(db_session, "ai-do", "x", max_failures=2)


def test_inactive_user_cannot_log_in(factory, db_session):
    org = factory.org()
    org.clerk.is_active = False
    with pytest.raises(AuthenticationFailed):
        authenticate(db_session, org.clerk.username, PASSWORD)


def test_demo_passwords_refused_in_production(factory, db_session):
    org = factory.org()
    org.clerk.has_demo_password = True
    assert authenticate(db_session, org.clerk.username, PASSWORD)
    with pytest.raises(AuthenticationFailed, match="production"):
        authenticate(db_session, org.clerk.username, PASSWORD, refuse_demo_passwords=True)


def test_api_token_hashed_shown_once_and_revocable(factory, db_session):
    org = factory.org()
    token, plaintext = create_api_token(db_session, Actor(user=org.clerk), org.clerk, "robot")
    assert plaintext.startswith("eo_") and plaintext not in token.token_hash
    stored = db_session.get(ApiToken, token.id)
    assert stored.token_hash != plaintext and len(stored.token_hash) == 64
    assert authenticate_token(db_session, plaintext).id == org.clerk.id
    assert authenticate_token(db_session, plaintext + "x") is None
    revoke_api_token(db_session, Actor(user=org.clerk), token.id)
    assert authenticate_token(db_session, plaintext) is None


def test_someone_elses_token_cannot_be_revoked(factory, db_session):
    a, b = factory.org(), factory.org()
    token, _ = create_api_token(db_session, Actor(user=a.clerk), a.clerk)
    with pytest.raises(NotFound):
        revoke_api_token(db_session, Actor(user=b.admin), token.id)
