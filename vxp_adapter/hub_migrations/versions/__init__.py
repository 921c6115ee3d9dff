"""Revisions of the hub schema."""
