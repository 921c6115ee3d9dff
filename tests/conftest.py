"""Shared fixtures: both database engines, rolled-back sessions, an app bound to them, factories.

Every database test runs on SQLite and on PostgreSQL (``db_engine`` is parametrised). Each xdist
worker has its own SQLite file and its own PostgreSQL database, built from the Alembic
migrations; each test runs inside a transaction that is rolled back.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from eoffice.db import make_engine
from eoffice.migrate import upgrade_to_head
from eoffice.settings import Settings, load_settings, postgres_required, test_postgres_url

ENGINES = ("sqlite", "postgresql")


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("EOFFICE_ENV", "test")


@pytest.fixture(scope="session")
def worker_name(request: pytest.FixtureRequest) -> str:
    return getattr(request.config, "workerinput", {}).get("workerid", "main")


def _postgres_database(worker: str, purpose: str = "t") -> str:
    """Create a fresh database for this worker; return its URL.

    :raises pytest.skip.Exception: when PostgreSQL is unreachable and not required.
    """
    admin_url = make_url(test_postgres_url())
    # The process id keeps two test runs on one server (two engineers, or CI beside a session)
    # from dropping each other's databases.
    name = f"eoffice_{purpose}_{worker}_{os.getpid()}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as e:
        if postgres_required():
            raise
        pytest.skip(
            f"PostgreSQL not reachable at {admin_url.render_as_string(hide_password=True)} "
            f"(set EOFFICE_TEST_POSTGRES_URL; CI requires it): {e.orig}"
        )
    finally:
        admin.dispose()
    return admin_url.set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(url: str) -> None:
    admin = create_engine(make_url(test_postgres_url()), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


def fresh_database_url(engine_name: str, tmp_path: Path, worker: str, purpose: str) -> str:
    """Return the URL of a new, empty database (for tests that need real commits)."""
    if engine_name == "sqlite":
        return f"sqlite:///{tmp_path / f'{purpose}.sqlite3'}"
    return _postgres_database(worker, purpose)


@contextmanager
def migrated_engine(
    engine_name: str, tmp_path: Path, worker: str, purpose: str, pool_size: int = 5
) -> Iterator[Engine]:
    """A new database migrated to head (for tests that need real commits), dropped afterwards."""
    url = fresh_database_url(engine_name, tmp_path, worker, purpose)
    engine = (
        make_engine(url, pool_size=pool_size) if engine_name == "postgresql" else make_engine(url)
    )
    try:
        upgrade_to_head(engine)
        yield engine
    finally:
        engine.dispose()
        if engine_name == "postgresql":
            drop_postgres_database(url)


def run_together(count: int, work) -> list[BaseException]:
    """Run ``work()`` in ``count`` threads released at once; return what they raised."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(count)

    def run() -> None:
        barrier.wait()
        try:
            work()
        except BaseException as e:  # reported to the caller
            errors.append(e)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


@pytest.fixture(scope="session", params=ENGINES)
def db_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, worker_name: str
) -> Iterator[Engine]:
    url = fresh_database_url(request.param, tmp_path_factory.mktemp("db"), worker_name, "t")
    engine = make_engine(url)
    upgrade_to_head(engine)
    yield engine
    engine.dispose()
    if request.param == "postgresql":
        drop_postgres_database(url)


@pytest.fixture
def db_connection(db_engine: Engine, request: pytest.FixtureRequest) -> Iterator:
    connection = db_engine.connect()
    outer = connection.begin()
    yield connection
    try:
        if request.node.get_closest_marker("audit_chain_broken") is None:
            check_audit_chain(connection)
    finally:
        outer.rollback()
        connection.close()


def check_audit_chain(connection) -> None:
    """Fail unless the audit trail the test left behind still verifies (every DB test runs it).

    Cheap: the test's transaction holds only its own rows. A transaction the test left aborted
    (PostgreSQL) can be read no more, and holds nothing that will ever be committed.
    """
    from eoffice.audit.services import verify_chain

    if not connection.in_transaction() or connection.invalidated:
        return
    session = Session(bind=connection, join_transaction_mode="create_savepoint")
    try:
        report = verify_chain(session)
    except DBAPIError as e:
        if "current transaction is aborted" in str(e):
            return
        raise
    finally:
        session.close()
    assert report.ok, f"audit chain broken at event {report.first_bad_id}: {report.reason}"


def bind_session(connection) -> Session:
    """A session joined into the test's outer transaction (commits become savepoint releases)."""
    return Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )


@pytest.fixture
def db_session(db_connection) -> Iterator[Session]:
    session = bind_session(db_connection)
    yield session
    session.close()


def make_settings(tmp_path: Path, **overrides) -> Settings:
    """Test settings under ``tmp_path``, with ``overrides``."""
    return load_settings(
        env="test",
        instance_dir=tmp_path / "instance",
        secret_key="x" * 40,
        base_url="http://127.0.0.1:5000",
        **overrides,
    )


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def app(settings: Settings, db_connection):
    from eoffice.web import create_app

    application = create_app(settings, session_factory=lambda: bind_session(db_connection))
    return application


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def softhsm_tokens(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """The process's one SoftHSM2 token directory (see tests/softhsm.py)."""
    from tests.softhsm import SoftHsm

    hsm = SoftHsm(tmp_path_factory.mktemp("softhsm"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOFTHSM2_CONF", str(hsm.conf))
        yield hsm


from tests.factories import factory  # noqa: E402,F401 - a shared fixture
from tests.registry_signing import demo_pki, registry_token  # noqa: E402,F401 - shared fixtures
