"""Notifications: in-app messages and the e-mail outbox (sent over SMTP by a worker job)."""
