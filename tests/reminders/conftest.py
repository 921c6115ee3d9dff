"""Reminder fixtures: the task fixtures of tests/tasks, shared."""

from tests.tasks.conftest import calendar, now, province  # noqa: F401 - shared fixtures
