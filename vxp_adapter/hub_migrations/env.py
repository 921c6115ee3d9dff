"""Alembic environment of the hub schema: online only, on the connection passed in."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from vxp_adapter.hub.db import VERSION_TABLE
from vxp_adapter.hub.models import HubBase


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=HubBase.metadata,
        version_table=VERSION_TABLE,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    # Running the `alembic` command by hand (e.g. to write a revision): use sqlalchemy.url.
    engine = create_engine(context.config.get_main_option("sqlalchemy.url") or "sqlite://")
    with engine.begin() as conn:
        _run(conn)
