"""The hub's schema comes from its own Alembic history, and matches its models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from vxp_adapter.hub.db import VERSION_TABLE, upgrade
from vxp_adapter.hub.models import HubBase


def test_migrations_build_the_schema_and_match_the_models(hub_engine) -> None:
    upgrade(hub_engine)  # a second run is a no-op
    tables = set(inspect(hub_engine).get_table_names())
    assert {t.name for t in HubBase.metadata.sorted_tables} <= tables
    assert VERSION_TABLE in tables
    with hub_engine.connect() as connection:
        assert (
            connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar() == "0001"
        )
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        assert compare_metadata(context, HubBase.metadata) == []


def test_hub_tables_have_their_own_prefix() -> None:
    assert all(t.name.startswith("vxp_hub_") for t in HubBase.metadata.sorted_tables)
