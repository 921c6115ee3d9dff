"""Build and inspect the schema through Alembic (the only way the schema is built)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    """Return an Alembic config pointing at our migrations (and ``url`` when given)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade_to_head(engine: Engine) -> None:
    """Migrate the database behind ``engine`` to the newest revision."""
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


@cache
def head_revision() -> str:
    """Return the newest revision id of our migration history."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "the migration history is empty"
    return head


@cache
def known_revisions() -> frozenset[str]:
    """Every revision id of our migration history (a restorable archive names one of them)."""
    script = ScriptDirectory.from_config(alembic_config())
    return frozenset(rev.revision for rev in script.walk_revisions())
