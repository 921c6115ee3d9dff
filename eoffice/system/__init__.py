"""Operational state: worker heartbeats and the health report."""
