"""Alembic environment: our one metadata; URL from eoffice settings unless a connection is given."""

from __future__ import annotations

from alembic import context

from eoffice.db import make_engine
from eoffice.models import metadata

config = context.config


def _render_item(type_, obj, autogen_context):
    # Render our UTCDateTime as the plain DateTime it stores, so migrations don't import eoffice.
    if type_ == "type" and obj.__class__.__name__ == "UTCDateTime":
        return "sa.DateTime(timezone=True)"
    return False


# Search structures are engine-specific and built by hand in the migrations (FTS5 on SQLite,
# a btree_gin (agency_id, trigram) index on PostgreSQL: ix_documents_search_trgm_agency since
# 0016); autogenerate must not try to drop them.
_HAND_MADE = ("documents_fts", "ix_documents_search_trgm")


def _include_object(obj, name, type_, reflected, compare_to):
    return not (reflected and compare_to is None and name and name.startswith(_HAND_MADE))


def _configure(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        include_object=_include_object,
        render_as_batch=True,  # SQLite needs batch mode to alter tables
        render_item=_render_item,
        compare_type=True,
    )


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        from eoffice.settings import load_settings

        url = load_settings().effective_database_url
    engine = make_engine(url)
    with engine.connect() as conn:
        _configure(conn)
        with context.begin_transaction():
            context.run_migrations()
        conn.commit()


run_migrations()
