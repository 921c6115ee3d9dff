"""registry search and involvement indexes (1,000,000 documents, bench/RESULTS.md "Registry")

- PostgreSQL: the trigram index becomes ``gin (agency_id, search_text gin_trgm_ops)`` (btree_gin),
  so a search reads only the acting agency's entries instead of ANDing a whole-table trigram
  bitmap with the agency afterwards. SQLite keeps FTS5.
- Both engines: documents by drafter, signer, presented-to leader and drafting unit, so the
  visibility rule of unit heads and specialists starts from the few documents they are involved
  in (eoffice.documents.access).

Indexes are created plainly (no batch "move and copy"): on SQLite a rebuilt documents table would
lose its search and audit triggers.

Revision ID: 0016
Revises: 0013
Create Date: 2026-12-02 10:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INVOLVEMENT = ("drafter_id", "signer_id", "presented_to_id", "drafting_unit_id")


def upgrade() -> None:
    for column in _INVOLVEMENT:
        op.create_index(f"ix_documents_{column}", "documents", [column], unique=False)
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
    for column in reversed(_INVOLVEMENT):
        op.drop_index(f"ix_documents_{column}", table_name="documents")
