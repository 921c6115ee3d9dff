"""Alembic history of the local axis's schema (run by vxp_adapter.hub.db.upgrade)."""
