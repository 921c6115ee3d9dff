"""The hub's engine and schema upgrade (its own Alembic history, run at start)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

VERSION_TABLE = "vxp_hub_alembic_version"
"""Own version table, so the hub may share a database with eoffice's own Alembic history."""


def make_engine(url: str) -> Engine:
    """Create the hub's engine; SQLite gets WAL, foreign keys and a busy timeout.

    :raises sqlalchemy.exc.ArgumentError: the URL is not a database URL.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def alembic_config() -> Config:
    """Return an Alembic config pointing at vxp_adapter/hub_migrations."""
    cfg = Config()
    cfg.set_main_option("script_location", "vxp_adapter:hub_migrations")
    return cfg


def upgrade(engine: Engine) -> None:
    """Bring the hub schema to the newest revision.

    :raises sqlalchemy.exc.SQLAlchemyError: the database cannot be migrated.
    """
    cfg = alembic_config()
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")
