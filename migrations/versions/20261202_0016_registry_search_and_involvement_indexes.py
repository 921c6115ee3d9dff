"""registry search and involvement indexes (1,000,000 documents, bench/RESULTS.md "Registry")

- PostgreSQL: the trigram index becomes ``gin (agency_id, search_text gin_trgm_ops)`` (btree_gin),
  so a search reads only the acting agency's entries instead of ANDing a whole-table trigram
  bitmap with the agency afterwards. SQLite keeps FTS5.
- Both engines: documents by drafter, signer, presented-to leader and drafting unit, and
  assignments by unit, secret grants by user, each with the document id, so the visibility rule of unit heads and
  specialists starts from the few documents they are involved in (eoffice.documents.access),
  read from the indexes alone; and an agency's documents by id, newest first.

Indexes are created plainly (no batch "move and copy"): on SQLite a rebuilt documents table would
lose its search and audit triggers.

Revision ID: 0016
Revises: 0014
Create Date: 2026-12-02 10:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# name: (table, columns)
_INDEXES = {
    "ix_documents_drafter": ("documents", ["drafter_id", "id"]),
    "ix_documents_signer": ("documents", ["signer_id", "id"]),
    "ix_documents_presented_to": ("documents", ["presented_to_id", "id"]),
    "ix_documents_drafting_unit": ("documents", ["drafting_unit_id", "id"]),
    "ix_assignments_unit_document": ("assignments", ["unit_id", "document_id"]),
    "ix_secret_grants_user_document": ("secret_grants", ["user_id", "document_id"]),
    # An agency's documents newest first: a search for common words ("báo cáo") walks it
    # backwards and stops at the page's last match instead of reading every hit.
    "ix_documents_agency_newest": ("documents", ["agency_id", "id"]),
}


def upgrade() -> None:
    for name, (table, columns) in _INDEXES.items():
        op.create_index(name, table, columns, unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
        op.execute(
            "CREATE INDEX ix_documents_search_trgm_agency ON documents "
            "USING gin (agency_id, search_text gin_trgm_ops)"
        )
        op.execute("DROP INDEX IF EXISTS ix_documents_search_trgm")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE INDEX ix_documents_search_trgm ON documents "
            "USING gin (search_text gin_trgm_ops)"
        )
        op.execute("DROP INDEX IF EXISTS ix_documents_search_trgm_agency")
    for name, (table, _) in reversed(_INDEXES.items()):
        op.drop_index(name, table_name=table)
