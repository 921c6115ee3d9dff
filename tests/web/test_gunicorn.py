"""deploy/gunicorn.conf.py serves the app with several worker processes, and GET /metrics sums
the request counters of all of them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from eoffice.db import make_engine
from eoffice.migrate import upgrade_to_head

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "gunicorn-metrics-" + "t" * 30


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    url = f"sqlite:///{tmp_path / 'eoffice.sqlite3'}"
    engine = make_engine(url)
    upgrade_to_head(engine)
    engine.dispose()
    port = _free_port()
    metrics_dir = tmp_path / "metrics"
    env = {
        **os.environ,
        "EOFFICE_DATABASE_URL": url,
        "EOFFICE_INSTANCE_DIR": str(tmp_path / "instance"),
        "EOFFICE_METRICS_TOKEN": TOKEN,
        "EOFFICE_ENV": "test",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        "WEB_CONCURRENCY": "2",
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    args = [
        str(gunicorn),
        "-c",
        str(ROOT / "deploy/gunicorn.conf.py"),
        "--bind",
        f"127.0.0.1:{port}",
    ]
    process = subprocess.Popen(
        args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120  # readiness wait, not a timed assertion
    while True:
        try:
            urllib.request.urlopen(f"{base}/healthz", timeout=120).read()
            break
        except OSError:
            assert process.poll() is None, "gunicorn exited"
            assert time.monotonic() < deadline, "gunicorn did not answer"
            time.sleep(0.3)
    yield base, metrics_dir
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=60)


def _verify_count(base: str) -> float:
    request = urllib.request.Request(
        f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    text = urllib.request.urlopen(request, timeout=30).read().decode()
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "eoffice_http_requests_total"
        and sample.labels == {"method": "GET", "route": "/verify/<code>", "status": "404"}
    )


def _not_found(base: str, n: int) -> None:
    with pytest.raises(urllib.error.HTTPError) as info:  # a new connection each time
        urllib.request.urlopen(f"{base}/verify/ABCD-{n:04d}", timeout=60)
    assert info.value.code == 404


def _answering_pids(metrics_dir: Path) -> set[str]:
    return {p.stem.rsplit("_", 1)[-1] for p in metrics_dir.glob("counter_*.db")}


def test_metrics_sum_every_gunicorn_worker(server):
    base, metrics_dir = server
    assert _verify_count(base) == 0
    # Which worker accepts a connection is the kernel's choice: one worker may take every request.
    # Stopping it (SIGTERM: it finishes, the master starts another) sends the next ones elsewhere;
    # its counters stay in the multiprocess directory and must still be summed.
    sent = 0
    for _ in range(5):
        for n in range(sent, sent + 20):
            _not_found(base, n)
        sent += 20
        pids = _answering_pids(metrics_dir)
        if len(pids) >= 2:
            break
        os.kill(int(next(iter(pids))), signal.SIGTERM)
    assert len(pids) >= 2, pids  # requests counted by two worker processes
    for _ in range(4):  # whichever worker answers the scrape sees the same total
        assert _verify_count(base) == sent
