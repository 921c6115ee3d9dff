"""SQLAlchemy base, engine and session factory; no Flask.

SQLite (embedded default) runs in WAL mode with foreign keys on, and every transaction starts with
``BEGIN IMMEDIATE`` so writers queue on the database lock instead of failing mid-transaction
(this is what keeps registry numbering gap-free on SQLite). PostgreSQL uses psycopg 3.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, DateTime, Engine, MetaData, create_engine, event, text
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware timestamps stored in UTC on both engines (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a timezone-aware column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
    }


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for ``url`` with the per-engine settings eoffice relies on."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin (SQLAlchemy's
        # documented recipe for SAVEPOINT support and serializable SQLite transactions).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Return the session factory services' callers use; sessions never expire on commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Open a session, commit when the block succeeds, roll back when it raises."""
    with factory() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def is_postgres(session: Session) -> bool:
    """Return whether ``session`` talks to PostgreSQL (for the few engine-specific paths)."""
    return session.get_bind().dialect.name == "postgresql"


def take_lock(session: Session, key: int) -> None:
    """Hold a transaction-scoped lock named by ``key`` until commit or rollback.

    PostgreSQL: an advisory transaction lock. SQLite: the whole database is already locked by
    ``BEGIN IMMEDIATE``, so nothing more is needed.
    """
    if is_postgres(session):
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def try_lock(session: Session, key: int) -> bool:
    """Try to take the transaction-scoped lock ``key``; return False at once if another holds it."""
    if is_postgres(session):
        return bool(
            session.execute(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": key}).scalar()
        )
    return True


def insert_or_ignore(session: Session, model: type[Base], **values: Any) -> None:
    """INSERT a row unless its key exists (``ON CONFLICT DO NOTHING`` on both engines).

    For rows that concurrent transactions may create at the same time (series, blobs).
    """
    from sqlalchemy.dialects.postgresql import insert as pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    insert = pg_insert if is_postgres(session) else sqlite_insert
    session.execute(insert(model).values(**values).on_conflict_do_nothing())
