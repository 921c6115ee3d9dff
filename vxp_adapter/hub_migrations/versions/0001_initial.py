"""Initial hub schema: systems, agency directory, messages, per-recipient deliveries, seen requests.

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "vxp_hub_agency",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("mail", sa.String(length=200), nullable=False),
        sa.Column("parent_code", sa.String(length=100), nullable=False),
        sa.Column("old_code", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vxp_hub_agency")),
        sa.UniqueConstraint("code", name=op.f("uq_vxp_hub_agency_code")),
    )
    op.create_table(
        "vxp_hub_system",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("system_id", sa.String(length=100), nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vxp_hub_system")),
        sa.UniqueConstraint("system_id", name=op.f("uq_vxp_hub_system_system_id")),
    )
    op.create_table(
        "vxp_hub_message",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("system_pk", sa.Integer(), nullable=False),
        sa.Column("from_code", sa.String(length=100), nullable=False),
        sa.Column("message_type", sa.String(length=10), nullable=False),
        sa.Column("service_type", sa.String(length=20), nullable=False),
        sa.Column("document_id", sa.String(length=500), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("notation", sa.String(length=100), nullable=False),
        sa.Column("status_code", sa.String(length=10), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["system_pk"],
            ["vxp_hub_system.id"],
            name=op.f("fk_vxp_hub_message_system_pk_vxp_hub_system"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vxp_hub_message")),
        sa.UniqueConstraint(
            "from_code", "message_type", "sha256", name=op.f("uq_vxp_hub_message_from_code")
        ),
    )
    op.create_table(
        "vxp_hub_request",
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("system_pk", sa.Integer(), nullable=False),
        sa.Column("operation", sa.String(length=40), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["system_pk"],
            ["vxp_hub_system.id"],
            name=op.f("fk_vxp_hub_request_system_pk_vxp_hub_system"),
        ),
        sa.PrimaryKeyConstraint("fingerprint", name=op.f("pk_vxp_hub_request")),
    )
    op.create_table(
        "vxp_hub_system_agency",
        sa.Column("system_pk", sa.Integer(), nullable=False),
        sa.Column("agency_pk", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_pk"],
            ["vxp_hub_agency.id"],
            name=op.f("fk_vxp_hub_system_agency_agency_pk_vxp_hub_agency"),
        ),
        sa.ForeignKeyConstraint(
            ["system_pk"],
            ["vxp_hub_system.id"],
            name=op.f("fk_vxp_hub_system_agency_system_pk_vxp_hub_system"),
        ),
        sa.PrimaryKeyConstraint("system_pk", "agency_pk", name=op.f("pk_vxp_hub_system_agency")),
    )
    op.create_table(
        "vxp_hub_delivery",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("message_id", sa.String(length=36), nullable=False),
        sa.Column("to_code", sa.String(length=100), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["vxp_hub_message.id"],
            name=op.f("fk_vxp_hub_delivery_message_id_vxp_hub_message"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vxp_hub_delivery")),
        sa.UniqueConstraint("message_id", "to_code", name=op.f("uq_vxp_hub_delivery_message_id")),
    )
    with op.batch_alter_table("vxp_hub_delivery", schema=None) as batch_op:
        batch_op.create_index("ix_vxp_hub_delivery_queue", ["to_code", "state"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("vxp_hub_delivery", schema=None) as batch_op:
        batch_op.drop_index("ix_vxp_hub_delivery_queue")

    op.drop_table("vxp_hub_delivery")
    op.drop_table("vxp_hub_system_agency")
    op.drop_table("vxp_hub_request")
    op.drop_table("vxp_hub_message")
    op.drop_table("vxp_hub_system")
    op.drop_table("vxp_hub_agency")
