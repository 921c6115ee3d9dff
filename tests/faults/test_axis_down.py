"""The axis hangs, then is down for a while: the provinces keep working, the outbox retries with
growing delays, and once the axis is back everything is delivered exactly once.

"Hangs" is the axis process stopped with SIGSTOP: connections are accepted by the kernel and never
answered, as behind a dropped network link, so every call ends in the client's timeout. "Down" is
the process killed with SIGKILL: connections are refused. It comes back on the same port and the
same database, as after a restart of the service.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from eoffice.db import transaction
from eoffice.exchange.models import OutboxMessage
from tests.faults.exchange import (
    Exchange,
    check_exactly_once,
    expected_statuses,
    handle_arrivals,
    issue,
    quiet,
    start_exchange,
)
from tests.faults.processes import wait_for
from vxp_adapter.sync import RetryPolicy

pytestmark = pytest.mark.xdist_group("faults-exchange")

SEED = int(os.environ.get("EOFFICE_FAULT_SEED", "20261122"))
RETRY = RetryPolicy(
    max_attempts=100, base_delay=timedelta(seconds=1), max_delay=timedelta(seconds=8)
)


def test_axis_hung_then_down_retries_with_backoff_then_delivers_everything_once(tmp_path, b_url):
    rng = random.Random(SEED)
    subjects = [f"Văn bản gửi khi trục gặp sự cố số {i:03d}" for i in range(40)]
    returned = {s for i, s in enumerate(subjects) if i % 5 == 2}
    batches = [subjects[i : i + 10] for i in range(0, 40, 10)]
    ex = start_exchange(
        tmp_path,
        b_url,
        retry_base=int(RETRY.base_delay.total_seconds()),
        retry_max=int(RETRY.max_delay.total_seconds()),
        timeout=5,
    )
    hub = ex.hub.process
    try:
        issue(ex.a, batches[0])
        time.sleep(rng.uniform(0.5, 3.0))  # the first batch is on its way when the axis hangs
        os.kill(hub.pid, signal.SIGSTOP)
        ids = issue(ex.a, batches[1])
        wait_for(lambda: _tried(ex, ids), "A's worker to try the hung axis", context=ex.logs)
        # While the worker waits for its timeouts, A's database stays writable (a hung axis
        # used to hold SQLite's write lock for a timeout per message, ~50 s here) ...
        for _ in range(3):
            _check_writable(ex)
            time.sleep(1)
        # ... and both provinces go on registering and handling.
        issue(ex.a, batches[2])
        handle_arrivals(ex.b, returned)
        hub.kill()  # from hung to down: connections are now refused
        _watch_backoff(ex)
        hub.start()
        issue(ex.a, batches[3])
        expected = expected_statuses(subjects, returned)
        wait_for(
            lambda: quiet(ex, expected, returned),
            "everything delivered after the axis came back",
            timeout=300,
            context=ex.logs,
        )
        check_exactly_once(ex, subjects, returned)
        with transaction(ex.a.factory) as session:
            attempts = session.scalars(select(OutboxMessage.attempts)).all()
        assert max(attempts) >= 4  # the retries above really happened before delivery
    finally:
        ex.stop()


def _tried(ex: Exchange, ids: list[int]) -> bool:
    with transaction(ex.a.factory) as session:
        return bool(
            session.scalars(
                select(OutboxMessage.id).where(
                    OutboxMessage.document_id.in_(ids), OutboxMessage.attempts > 0
                )
            ).first()
        )


def _check_writable(ex: Exchange) -> None:
    """Take A's write lock from another connection, waiting at most 10 s (not 30)."""
    path = ex.a.instance.env["EOFFICE_DATABASE_URL"].removeprefix("sqlite:///")
    connection = sqlite3.connect(path, timeout=10, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")  # raises "database is locked" after 10 s
        connection.execute("ROLLBACK")
    finally:
        connection.close()


def _watch_backoff(ex: Exchange) -> None:
    """Follow A's waiting messages until one failed 4 times; check the waits between tries.

    Attempt k is made at or after the previous ``next_attempt_at`` and sets the next one
    ``delay(k)`` later, so consecutive ``next_attempt_at`` values are at least ``delay(k)``
    apart: the waits double (1, 2, 4 s …) up to the maximum.
    """
    seen: dict[int, dict[int, datetime]] = {}

    def failed_four_times() -> bool:
        with transaction(ex.a.factory) as session:
            rows = session.execute(
                select(
                    OutboxMessage.id, OutboxMessage.attempts, OutboxMessage.next_attempt_at
                ).where(OutboxMessage.state == "pending", OutboxMessage.attempts > 0)
            ).all()
        for message_id, attempts, next_at in rows:
            seen.setdefault(message_id, {}).setdefault(attempts, next_at)
        return any(len(tries) >= 4 for tries in seen.values())

    wait_for(failed_four_times, "four failed tries of one message", timeout=120, every=0.1,
             context=ex.logs)  # fmt: skip
    checked = 0
    for tries in seen.values():
        for k in sorted(tries):
            if k - 1 in tries:
                assert tries[k] - tries[k - 1] >= RETRY.delay(k), (k, tries)
                checked += 1
    assert checked >= 3
    with transaction(ex.a.factory) as session:
        errors = session.scalars(
            select(OutboxMessage.last_error).where(
                OutboxMessage.state == "pending", OutboxMessage.attempts >= 2
            )
        ).all()
        assert errors and all(errors)  # a row tried again failed before: its error is kept
    with transaction(ex.a.factory) as session:
        dead = session.scalars(select(OutboxMessage).where(OutboxMessage.state == "dead")).all()
    assert dead == []
