"""PostgreSQL restarts under load: clean 503s while it is away, recovery without a restart of
the app, and no half-made registration afterwards.

The database is a private cluster (tests/faults/pgcluster.py), never the shared server. API
clients register incoming documents and a logged-in browser reloads a list page, from threads,
while the cluster is stopped and started twice: once "fast" (clients disconnected) and once
"immediate" (the server aborts and recovers from its WAL at the next start).
"""

from __future__ import annotations

import json

import pytest

from eoffice.settings import postgres_required
from tests.faults.pgcluster import PrivateCluster, postgres_bin
from tests.faults.processes import wait_for
from tests.faults.site import UNAVAILABLE_VI, Load, check_registrations, prepare_site

pytestmark = pytest.mark.xdist_group("faults-postgres")


@pytest.fixture
def cluster():
    if postgres_bin() is None and not postgres_required():
        pytest.skip("PostgreSQL server programs not installed (/usr/lib/postgresql/*/bin)")
    with PrivateCluster() as running:
        yield running


def test_requests_fail_cleanly_while_postgres_restarts_and_nothing_is_half_written(
    tmp_path, cluster
):
    site = prepare_site(tmp_path / "site", cluster.url).start()
    load = Load(site, api_clients=3).start(browser=site.browser())
    context = lambda: f"{site.process.tail()}\n{cluster.server_log()}"  # noqa: E731
    try:
        wait_for(lambda: load.count("api", 201) >= 3, "registrations before the restarts")
        for mode in ("fast", "immediate"):
            cluster.stop(mode)
            down = load.mark()
            wait_for(
                lambda down=down: (
                    load.count("api", 503, down) >= 2 and load.count("page", 503, down)
                ),
                f"503 answers while PostgreSQL is stopped ({mode})",
                context=context,
            )
            cluster.start()
            up = load.mark()
            wait_for(
                lambda up=up: load.count("api", 201, up) >= 3 and load.count("page", 200, up),
                f"the app to work again after the {mode} restart, without being restarted",
                context=context,
            )
    finally:
        load.stop()
        site.stop()
    assert not load.errors, load.errors[:5]
    _check_answers(load.answers, lambda: site.process.errors())
    subjects = check_registrations(cluster.url, tmp_path / "site" / "blobs")
    created = {what for kind, status, what, _ in load.answers if kind == "api" and status == 201}
    assert created <= set(subjects)
    # A registration whose answer was lost with the connection may exist; nothing else may.
    failed = {what for kind, status, what, _ in load.answers if kind == "api" and status != 201}
    assert set(subjects) <= created | failed


_CLEAN = {("api", 201), ("api", 503), ("page", 200), ("page", 503)}


def _check_answers(answers, context) -> None:
    """Only successes and clean, Vietnamese 503s: no 500, no traceback, no English error."""
    unexpected = [a for a in answers if (a[0], a[1]) not in _CLEAN]
    assert not unexpected, f"{unexpected[:3]}\n{context()}"
    for kind, status, _, body in answers:
        if status != 503:
            continue
        if kind == "api":
            error = json.loads(body)["error"]
            assert error["code"] == "service_unavailable", error
            assert UNAVAILABLE_VI in error["message"] and error["fields"] == {}
        else:
            assert UNAVAILABLE_VI in body and "Traceback" not in body
