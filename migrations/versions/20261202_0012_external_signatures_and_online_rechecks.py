"""external signatures (USB tokens) and online re-validation of signatures

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 06:09:13.656405

Plain ALTER TABLE only: on SQLite a batch "move and copy" of documents would drop its triggers.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "external_signatures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("credential_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=10), nullable=False),
        sa.Column("base_sha256", sa.String(length=64), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["signing_credentials.id"],
            name=op.f("fk_external_signatures_credential_id_signing_credentials"),
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_external_signatures_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_external_signatures_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_external_signatures")),
    )
    op.create_index(
        op.f("ix_external_signatures_document_id"), "external_signatures", ["document_id"]
    )
    op.create_index(
        op.f("ix_external_signatures_expires_at"), "external_signatures", ["expires_at"]
    )
    op.add_column(
        "documents", sa.Column("signature_recheck_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "documents",
        sa.Column("signature_rechecks", sa.Integer(), server_default="0", nullable=False),
    )
    op.create_index(
        op.f("ix_documents_signature_recheck_at"), "documents", ["signature_recheck_at"]
    )
    op.add_column(
        "signing_credentials",
        sa.Column("certificate_pem", sa.Text(), server_default="", nullable=False),
    )


def downgrade() -> None:
    op.drop_column("signing_credentials", "certificate_pem")
    op.drop_index(op.f("ix_documents_signature_recheck_at"), table_name="documents")
    op.drop_column("documents", "signature_rechecks")
    op.drop_column("documents", "signature_recheck_at")
    op.drop_index(op.f("ix_external_signatures_expires_at"), table_name="external_signatures")
    op.drop_index(op.f("ix_external_signatures_document_id"), table_name="external_signatures")
    op.drop_table("external_signatures")
