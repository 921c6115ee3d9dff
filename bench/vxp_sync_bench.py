"""Benchmark: synchronise N documents from province A to province B through the local axis.

Target (issue #5): 10,000 documents end to end, including registration on B, in <= 120 s.

Real processes on loopback: `eoffice vxp-hub` (its own PostgreSQL database), and one
`eoffice worker` per province (`--workers` each), each province with its own PostgreSQL database
and blob store. A holds N issued, sealed documents for B with their outbox rows not yet due; the
clock starts when they all become due, and stops when every status 01 ("đã đến") is back on A.
Between: A sends each edoc, B fetches, parses, validates the seal, registers a "chờ tiếp nhận"
entry, queues status 01 and acks; B sends the 01s; A applies them.

Then exactly-once is checked: each document registered once on B, each status applied once on A,
every axis delivery acknowledged, nothing quarantined or dead.

    .venv/bin/python bench/vxp_sync_bench.py [--documents 10000] [--workers 1] [--py-spy DIR]

`--py-spy DIR` records a speedscope profile of every process (py-spy must be installed; it is
not a dependency of the project). Results and analysis: bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, text
from vxp_sync_setup import (
    A_CODE,
    B_CODE,
    demo_pki,
    hub_system,
    issued_documents,
    province,
    recreate_database,
    signed_pdfs,
)

from eoffice.documents.blobs import BlobStore

ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its reaped children, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def scalar(engine, sql: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(sql)).scalar_one())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=1, help="eoffice worker processes each")
    parser.add_argument("--admin-url", default=ADMIN_URL)
    parser.add_argument("--work", type=Path, default=Path("/tmp/vxp-sync-bench"))
    parser.add_argument("--timeout", type=float, default=1200)
    parser.add_argument("--py-spy", type=Path, help="record a py-spy profile of each process")
    args = parser.parse_args()
    n, work = args.documents, args.work
    work.mkdir(parents=True, exist_ok=True)

    print(f"preparing {n} sealed PDFs (kept in {work}) …", flush=True)
    a_blobs = work / "a" / "blobs"
    pdfs = signed_pdfs(work, BlobStore(a_blobs), n)
    urls = {k: recreate_database(args.admin_url, f"vxpsync_{k}") for k in ("a", "b", "hub")}
    shutil.rmtree(work / "b", ignore_errors=True)
    (work / "b" / "trust").mkdir(parents=True)
    (work / "a" / "trust").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(demo_pki(work) / "root-ca.pem", work / "b" / "trust" / "root.pem")
    ids = province(urls["a"], A_CODE, B_CODE)
    province(urls["b"], B_CODE, A_CODE)
    issued_documents(urls["a"], ids, pdfs)

    base = {k: v for k, v in os.environ.items() if not k.startswith(("EOFFICE_", "MALLOC_"))}
    hub_env = {**base, "EOFFICE_VXP_HUB_DATABASE_URL": urls["hub"], "EOFFICE_ENV": "test"}
    secrets = {s: hub_system(hub_env, s, c) for s, c in (("sys-a", A_CODE), ("sys-b", B_CODE))}
    port = free_port()
    procs = {"hub": _spawn(["vxp-hub", "--port", str(port)], hub_env, work / "hub.log")}
    for key, system in (("a", "sys-a"), ("b", "sys-b")):
        env = {
            **base,
            "EOFFICE_DATABASE_URL": urls[key],
            "EOFFICE_INSTANCE_DIR": str(work / key),
            "EOFFICE_VXP_ENDPOINT": f"http://127.0.0.1:{port}",
            "EOFFICE_VXP_SYSTEM_ID": system,
            "EOFFICE_VXP_SECRET": secrets[system],
            "EOFFICE_VXP_POLL_SECONDS": "1",
            "EOFFICE_ENV": "test",
        }
        for w in range(args.workers):
            procs[f"worker-{key}{w}"] = _spawn(["worker"], env, work / f"worker-{key}{w}.log")

    engines = {k: create_engine(u) for k, u in urls.items()}
    try:
        _wait_ready(engines)
        cpu0 = {k: cpu_seconds(p.pid) for k, p in procs.items()}
        spies = _spy(args.py_spy, procs) if args.py_spy else []
        load0 = os.getloadavg()
        with engines["a"].begin() as conn:
            conn.execute(text("UPDATE outbox_messages SET next_attempt_at = now()"))
        start = time.monotonic()
        elapsed = _wait_done(engines, n, start, args.timeout)
        cpu = {k: cpu_seconds(p.pid) - cpu0[k] for k, p in procs.items()}
        load1 = os.getloadavg()
    finally:
        for spy in locals().get("spies", []):
            spy.send_signal(2)
        for p in procs.values():
            p.terminate()
        for p in procs.values():
            p.wait(timeout=30)
        for spy in locals().get("spies", []):
            spy.wait(timeout=120)
    print(f"\n{n} documents A → B, statuses back: {elapsed:.1f} s ({n / elapsed:.0f} docs/s)")
    print(f"load average at start {load0[0]:.1f}, at end {load1[0]:.1f}")
    print("CPU seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in cpu.items()))
    problems = check_exactly_once(engines, n)
    for e in engines.values():
        e.dispose()
    verdict = "met" if elapsed <= 120 and not problems else "NOT met"
    print(f"target <= 120 s with exactly-once: {verdict}")
    raise SystemExit(1 if problems else 0)


def _spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "eoffice", *args],
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )


def _spy(directory: Path, procs: dict[str, subprocess.Popen]) -> list[subprocess.Popen]:
    directory.mkdir(parents=True, exist_ok=True)
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    return [
        subprocess.Popen(
            [
                spy,
                "record",
                "--pid",
                str(p.pid),
                "--rate",
                "50",
                "--format",
                "speedscope",
                "--output",
                str(directory / f"{k}.speedscope.json"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for k, p in procs.items()
    ]


def _wait_ready(engines) -> None:
    """Wait until both workers have beaten once (their jobs are scheduled)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        beats = [scalar(engines[k], "SELECT count(*) FROM worker_heartbeats") for k in ("a", "b")]
        if all(beats):
            return
        time.sleep(0.5)
    raise SystemExit("the workers did not start (see their logs in the work directory)")


def _wait_done(engines, n: int, start: float, timeout: float) -> float:
    arrived = "SELECT count(*) FROM recipients WHERE status = 'arrived'"
    registered = "SELECT count(*) FROM documents WHERE direction = 'incoming'"
    last = 0.0
    while (elapsed := time.monotonic() - start) < timeout:
        back = scalar(engines["a"], arrived)
        if back >= n:
            return elapsed
        if elapsed - last >= 10:
            last = elapsed
            sent = scalar(engines["a"], "SELECT count(*) FROM outbox_messages WHERE state='sent'")
            on_b = scalar(engines["b"], registered)
            print(f"  {elapsed:5.0f} s: sent {sent}, registered on B {on_b}, 01 back {back}")
        time.sleep(0.2)
    raise SystemExit(f"not finished after {timeout:.0f} s")


CHECKS = {
    "b": [
        ("incoming documents", "SELECT count(*) FROM documents WHERE direction='incoming'", 1),
        (
            "distinct DocumentIds on B",
            "SELECT count(DISTINCT edxml_document_id) FROM documents WHERE direction='incoming'",
            1,
        ),
        ("arrivals with their PDF", "SELECT count(main_file_sha256) FROM documents", 1),
        ("arrivals validated", "SELECT count(*) FROM documents WHERE signature_status<>''", 1),
        ("edocs processed on B", "SELECT count(*) FROM inbox_messages WHERE state='processed'", 1),
        ("status 01 sent by B", "SELECT count(*) FROM outbox_messages WHERE state='sent'", 1),
        (
            "anything quarantined on B",
            "SELECT count(*) FROM inbox_messages WHERE state<>'processed'",
            0,
        ),
    ],
    "a": [
        ("edocs sent by A", "SELECT count(*) FROM outbox_messages WHERE state='sent'", 1),
        ("recipients at 01", "SELECT count(*) FROM recipients WHERE status='arrived'", 1),
        (
            "statuses processed on A",
            "SELECT count(*) FROM inbox_messages WHERE state='processed'",
            1,
        ),
        (
            "statuses applied (audit)",
            "SELECT count(*) FROM audit_events WHERE action='document.remote_status'",
            1,
        ),
        (
            "anything quarantined on A",
            "SELECT count(*) FROM inbox_messages WHERE state<>'processed'",
            0,
        ),
    ],
    "hub": [
        ("messages on the axis", "SELECT count(*) FROM vxp_hub_message", 2),
        (
            "deliveries acknowledged done",
            "SELECT count(*) FROM vxp_hub_delivery WHERE state='done'",
            2,
        ),
    ],
}


def check_exactly_once(engines, n: int) -> list[str]:
    """Print each count against what exactly-once requires; return the mismatches."""
    problems = []
    for key, checks in CHECKS.items():
        for label, sql, per_document in checks:
            got, want = scalar(engines[key], sql), per_document * n
            mark = "ok" if got == want else "MISMATCH"
            print(f"  {key:>3}: {label:<32} {got:>7} (want {want}) {mark}")
            if got != want:
                problems.append(label)
    return problems


if __name__ == "__main__":
    main()
