"""withdrawal, update and replacement of issued documents

Revision ID: 0011
Revises: 0007
Create Date: 2026-12-02 06:30:00

Columns are added plainly (no batch "move and copy"): on SQLite a rebuilt documents table
would lose its search and audit triggers.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


FK_NAME = "fk_documents_replaces_id_documents"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite accepts a named REFERENCES on ADD COLUMN; Alembic would want a table rebuild.
        op.execute(
            f"ALTER TABLE documents ADD COLUMN replaces_id INTEGER "
            f"CONSTRAINT {FK_NAME} REFERENCES documents (id)"
        )
    else:
        op.add_column("documents", sa.Column("replaces_id", sa.Integer(), nullable=True))
        op.create_foreign_key(op.f(FK_NAME), "documents", "documents", ["replaces_id"], ["id"])
    op.create_index(op.f("ix_documents_replaces_id"), "documents", ["replaces_id"], unique=False)
    op.add_column(
        "recipients",
        sa.Column("change_status", sa.String(length=20), server_default="", nullable=False),
    )


def downgrade() -> None:
    op.drop_column("recipients", "change_status")
    op.drop_index(op.f("ix_documents_replaces_id"), table_name="documents")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(op.f(FK_NAME), "documents", type_="foreignkey")
    op.drop_column("documents", "replaces_id")
