from datetime import UTC, datetime, timedelta

import pytest

from eoffice import clock
from eoffice.db import make_session_factory, transaction
from eoffice.errors import AuthenticationFailed, TooManyAttempts
from eoffice.org.auth import authenticate
from eoffice.org.models import RateCounter
from eoffice.org.throttle import LOGIN_IP, Limit, clear, count_event, retry_after
from tests.conftest import ENGINES, migrated_engine, run_together
from tests.factories import PASSWORD

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
LIMIT = Limit(3, timedelta(minutes=15))


def test_counts_in_a_fixed_window_then_starts_again(db_session):
    with clock.frozen(START):
        for _ in range(2):
            count_event(db_session, LOGIN_IP, "10.0.0.1", LIMIT)
        assert retry_after(db_session, LOGIN_IP, "10.0.0.1", LIMIT) is None
        count_event(db_session, LOGIN_IP, "10.0.0.1", LIMIT)
        assert retry_after(db_session, LOGIN_IP, "10.0.0.1", LIMIT) == 15 * 60
        assert retry_after(db_session, LOGIN_IP, "10.0.0.2", LIMIT) is None
        assert retry_after(db_session, "other", "10.0.0.1", LIMIT) is None
    with clock.frozen(START + timedelta(minutes=14, seconds=30)):
        assert retry_after(db_session, LOGIN_IP, "10.0.0.1", LIMIT) == 30
    with clock.frozen(START + timedelta(minutes=15)):
        assert retry_after(db_session, LOGIN_IP, "10.0.0.1", LIMIT) is None
        count_event(db_session, LOGIN_IP, "10.0.0.1", LIMIT)  # a new window
    row = db_session.get(RateCounter, (LOGIN_IP, "10.0.0.1"))
    db_session.refresh(row)
    assert row.count == 1 and row.window_start == START + timedelta(minutes=15)
    clear(db_session, LOGIN_IP, "10.0.0.1")
    assert db_session.query(RateCounter).count() == 0


def test_a_zero_limit_counts_nothing(db_session):
    off = Limit(0, timedelta(minutes=15))
    count_event(db_session, LOGIN_IP, "10.0.0.1", off)
    assert retry_after(db_session, LOGIN_IP, "10.0.0.1", off) is None
    assert db_session.query(RateCounter).count() == 0


def test_login_failures_per_address_lock_the_address(factory, db_session):
    org = factory.org()
    with clock.frozen(START):
        for name in ("a", "b"):
            with pytest.raises(AuthenticationFailed):
                authenticate(db_session, name, "x", ip="10.0.0.1", ip_max_failures=2)
        with pytest.raises(TooManyAttempts) as refused:
            authenticate(db_session, org.clerk.username, PASSWORD, ip="10.0.0.1", ip_max_failures=2)
        assert refused.value.retry_after == 15 * 60
        assert refused.value.render() == "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau 15 phút"
        assert authenticate(
            db_session, org.clerk.username, PASSWORD, ip="10.0.0.2", ip_max_failures=2
        )


@pytest.mark.parametrize("engine_name", ENGINES)
def test_concurrent_counting_loses_no_event(engine_name, tmp_path, worker_name):
    """Several processes count the same address at once (real commits): none is lost."""
    writers, each = 8, 5
    limit = Limit(1000, timedelta(minutes=15))
    with migrated_engine(engine_name, tmp_path, worker_name, "thr", writers + 2) as engine:
        factory = make_session_factory(engine)

        def writer() -> None:
            for _ in range(each):
                with transaction(factory) as session:
                    count_event(session, LOGIN_IP, "10.0.0.7", limit)

        assert run_together(writers, writer) == []
        with transaction(factory) as session:
            assert session.get(RateCounter, (LOGIN_IP, "10.0.0.7")).count == writers * each
