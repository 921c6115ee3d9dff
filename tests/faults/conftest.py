"""Fixtures of the fault tests: a fresh PostgreSQL database for province B."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import drop_postgres_database, fresh_database_url


@pytest.fixture
def b_url(tmp_path, worker_name) -> Iterator[str]:
    url = fresh_database_url("postgresql", tmp_path, worker_name, "faults_b")
    yield url
    drop_postgres_database(url)
