"""Nhắc việc: what is due, notifications sent exactly once, lateness reports."""
