"""Start and stop what the load test runs against, and count the CPU time each part used."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TICKS = os.sysconf("SC_CLK_TCK")


def start(
    url: str, instance: Path, port: int, workers: int, threads: int, log: Path
) -> list[subprocess.Popen]:
    """gunicorn (deploy/gunicorn.conf.py) and one `eoffice worker`, as production runs them."""
    env = {
        **os.environ,
        "EOFFICE_DATABASE_URL": url,
        "EOFFICE_INSTANCE_DIR": str(instance),
        "EOFFICE_ENV": "development",
        "WEB_CONCURRENCY": str(workers),
        "MALLOC_TRIM_THRESHOLD_": "268435456",
        "MALLOC_MMAP_THRESHOLD_": "67108864",
    }
    bin_dir = Path(sys.executable).parent
    out = open(log, "ab")  # noqa: SIM115 - lives as long as the processes
    web = subprocess.Popen(
        [
            str(bin_dir / "gunicorn"),
            "-c",
            str(ROOT / "deploy/gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{port}",
            "--threads",
            str(threads),
            "--access-logfile",
            "/dev/null",
        ],
        env=env,
        stdout=out,
        stderr=out,
        start_new_session=True,
    )
    worker = subprocess.Popen(
        [str(bin_dir / "eoffice"), "worker"],
        env=env,
        stdout=out,
        stderr=out,
        start_new_session=True,
    )
    deadline = time.monotonic() + 180
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=60).read()
            return [web, worker]
        except OSError:
            if web.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"gunicorn did not start; see {log}") from None
            time.sleep(0.5)


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        process.wait(timeout=60)


def _tree(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        todo.extend(int(c) for c in children)
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its living descendants."""
    total = 0
    for p in _tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def postmaster_pid(data: Path) -> int:
    return int((data / "postmaster.pid").read_text().split()[0])
