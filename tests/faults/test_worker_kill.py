"""SIGKILL the workers at random points while documents flow: nothing lost, nothing doubled.

Province A issues documents to province B in batches while both `eoffice worker` processes are
killed (SIGKILL, no cleanup) at moments drawn from a seeded RNG and restarted at once; B's clerk
accepts or returns each arrival as it comes. When the kills are over the workers run until
everything is quiet; then every document must be registered exactly once at B and every status
B produced must have reached A.

The defaults keep the CI run short; a longer run, e.g. the 500 documents of issue #7:
    EOFFICE_FAULT_DOCS=500 EOFFICE_FAULT_KILLS=30 EOFFICE_FAULT_SEED=11 \
        .venv/bin/pytest tests/faults/test_worker_kill.py
"""

from __future__ import annotations

import os
import random
import time

import pytest

from tests.faults.exchange import (
    Exchange,
    check_exactly_once,
    expected_statuses,
    handle_arrivals,
    issue,
    quiet,
    recipient_statuses,
    start_exchange,
)
from tests.faults.processes import wait_for

pytestmark = pytest.mark.xdist_group("faults-exchange")

DOCS = int(os.environ.get("EOFFICE_FAULT_DOCS", "100"))
KILLS = int(os.environ.get("EOFFICE_FAULT_KILLS", "6"))
"""SIGKILLs per worker."""
SEED = int(os.environ.get("EOFFICE_FAULT_SEED", "20261122"))
BATCH = 20


def test_sigkilled_workers_lose_and_duplicate_nothing(tmp_path, b_url):
    rng = random.Random(SEED)
    subjects = [f"Văn bản thử nghiệm sự cố số {i:04d}" for i in range(DOCS)]
    returned = {s for i, s in enumerate(subjects) if i % 7 == 3}
    expected = expected_statuses(subjects, returned)
    ex = start_exchange(tmp_path, b_url)
    try:
        _flow_while_killing(ex, rng, subjects, returned, expected)
        wait_for(
            lambda: quiet(ex, expected, returned),
            "every status back at A with the workers left alone",
            timeout=300 + 2 * DOCS,
            context=ex.logs,
        )
        check_exactly_once(ex, subjects, returned)
        assert ex.a.worker.kills >= 1 and ex.b.worker.kills >= 1, "no worker was killed"
    finally:
        ex.stop()


def _flow_while_killing(ex: Exchange, rng: random.Random, subjects, returned, expected) -> None:
    """Issue batch after batch while each worker is killed KILLS times at random moments.

    A kill moment is drawn once the worker runs its jobs (its heartbeat is in), so that kills
    land in the middle of sending and receiving rather than in the interpreter's start-up.
    """
    pending = [subjects[i : i + BATCH] for i in range(0, len(subjects), BATCH)]
    kill_at: dict[str, float | None] = {"a": None, "b": None}
    deadline = time.monotonic() + 300 + 3 * DOCS
    while pending or any(p.worker.kills < KILLS for p in (ex.a, ex.b)):
        assert time.monotonic() < deadline, f"the kill phase did not end\n{ex.logs()}"
        if pending:
            issue(ex.a, pending.pop(0))
        handle_arrivals(ex.b, returned)
        for province in (ex.a, ex.b):
            if province.worker.kills >= KILLS:
                continue
            due = kill_at[province.name]
            if due is None and province.worker_ready():
                kill_at[province.name] = time.monotonic() + rng.uniform(0.0, 3.0)
            elif due is not None and time.monotonic() >= due:
                province.worker.kill()
                province.worker.start()
                kill_at[province.name] = None
        if not pending and recipient_statuses(ex.a) == expected:
            break  # everything already went through: more kills would hit idle workers
        time.sleep(0.2)
