"""Load test: many simulated users in a realistic mix against gunicorn on PostgreSQL.

Run ``load_setup.py`` first. This starts gunicorn with ``deploy/gunicorn.conf.py`` and one
``eoffice worker`` on that database, then, for each level of concurrent users, ramps the users up,
measures for ``--duration`` seconds and stops them. Each user is a thread that thinks (an
exponential pause, mean ``--think`` s), then acts as its role would:

- văn thư (15 %): register an incoming document through the API (a 2-page PDF, its own bytes),
  present one they registered to a leader, or open their "to present" queue;
- lãnh đạo (25 %): open the Nhắc việc dashboard (an HTML page, logged in with a password),
  assign a presented document to a unit, sign an approved draft (PAdES, the key's passphrase),
  or open their "to instruct" queue;
- chuyên viên (60 %): report progress on a task, open a task, or list their tasks.

Every request opens a new connection, as gunicorn behind nginx sees them. Only requests started
inside the measuring window count. Prints a table per level (throughput, p50/p95/p99 per action,
errors) with the machine's load average and the CPU seconds the server, PostgreSQL and this client
used, and writes everything to ``--out`` as JSON.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_registry import percentiles, sample_pdf  # noqa: E402
from bench.load_users import ROLE_SHARE, Pools, Results, User  # noqa: E402

# --- levels and the report -------------------------------------------------------------------


def population(n: int, users: dict) -> list[tuple[str, str]]:
    """``n`` (role, account) pairs in the role shares, accounts taken round-robin per role."""
    accounts = {
        role: sorted((k for k, u in users.items() if u["role"] == role), key=int)
        for role, _ in ROLE_SHARE
    }
    counts = {role: round(n * share) for role, share in ROLE_SHARE}
    counts["specialist"] += n - sum(counts.values())
    return [
        (role, accounts[role][i % len(accounts[role])])
        for role, count in counts.items()
        for i in range(count)
    ]


def run_level(n: int, ctx: dict, args: argparse.Namespace, pids: dict[str, int]) -> dict:
    results = ctx["results"] = Results()
    ctx["stop"] = threading.Event()
    users = [
        User(i, role, account, ctx)
        for i, (role, account) in enumerate(population(n, ctx["pools"].users))
    ]
    for i, user in enumerate(users):  # spread the starts over the ramp
        user.start()
        time.sleep(args.ramp / len(users))
        if i == 0:
            load_before = os.getloadavg()
    time.sleep(5)
    cpu_before = {name: server_cpu(pid) for name, pid in pids.items()}
    client_before = time.process_time()
    results.window = (time.time(), time.time() + args.duration)
    time.sleep(args.duration)
    cpu = {name: server_cpu(pid) - cpu_before[name] for name, pid in pids.items()}
    cpu["client"] = time.process_time() - client_before
    load_after = os.getloadavg()
    ctx["stop"].set()
    for user in users:
        user.join(timeout=180)
    return summarise(n, results, args.duration, cpu, (load_before, load_after))


def server_cpu(pid: int) -> float:
    from bench.load_server import cpu_seconds

    return cpu_seconds(pid)


def summarise(n: int, results: Results, seconds: float, cpu: dict, loads) -> dict:
    actions = {}
    for action in sorted(set(results.samples) | set(results.errors)):
        samples = results.samples[action]
        errors = sum(results.errors[action].values())
        p50, p95, p99 = percentiles(samples) if samples else (0.0, 0.0, 0.0)
        actions[action] = {
            "requests": len(samples) + errors,
            "per_second": (len(samples) + errors) / seconds,
            "p50": p50,
            "p95": p95,
            "p99": p99,
            "errors": errors,
            "error_kinds": dict(results.errors[action].most_common(3)),
        }
    total = sum(a["requests"] for a in actions.values())
    return {
        "users": n,
        "seconds": seconds,
        "requests": total,
        "per_second": total / seconds,
        "errors": sum(a["errors"] for a in actions.values()),
        "actions": actions,
        "cpu_seconds": cpu,
        "load_average": loads,
        "fallbacks": dict(results.fallbacks),
    }


def print_level(level: dict) -> None:
    load = " → ".join(f"{a[0]:.1f}" for a in level["load_average"])
    cpu = ", ".join(f"{k} {v:.0f} s" for k, v in level["cpu_seconds"].items())
    print(
        f"\n### {level['users']} users: {level['per_second']:.1f} requests/s, "
        f"{level['errors']} errors (load average {load}; CPU {cpu})\n"
    )
    print("| action | requests | per s | p50 ms | p95 ms | p99 ms | errors |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, a in level["actions"].items():
        print(
            f"| {name} | {a['requests']} | {a['per_second']:.2f} | {a['p50']:.0f} | "
            f"{a['p95']:.0f} | {a['p99']:.0f} | {a['errors']} |"
        )
    if level["fallbacks"]:
        print(f"\nFallbacks (empty work pools): {level['fallbacks']}")
    for name, a in level["actions"].items():
        if a["error_kinds"]:
            print(f"- {name} errors: {a['error_kinds']}")


PROFILED = (
    ("clerk", "register"),
    ("clerk", "present"),
    ("clerk", "documents_queue"),
    ("leader", "dashboard"),
    ("leader", "assign"),
    ("leader", "sign"),
    ("leader", "documents_queue"),
    ("specialist", "task_progress"),
    ("specialist", "task_detail"),
    ("specialist", "tasks_list"),
)


def profile(ctx: dict, pids: dict[str, int], calls: int, warmup: int = 10) -> None:
    """CPU milliseconds per call of each action, one call at a time (less sensitive to the
    machine's load than latencies): server = gunicorn + worker, database = PostgreSQL.

    ``warmup`` calls of each action go first, unmeasured: each gunicorn process compiles the
    templates and SQL of a page on its first request, so a single warm-up call leaves two of three
    processes cold and the figure is mostly that one-off cost."""
    results = ctx["results"] = Results()
    results.window = (0.0, float("inf"))
    ctx["stop"] = threading.Event()
    users = ctx["pools"].users
    print("| action | calls | server CPU ms/call | PostgreSQL CPU ms/call | wall p50 ms |")
    print("|---|---:|---:|---:|---:|")
    for role, action in PROFILED:
        pool = action if action in ("assign", "sign") else None
        accounts = [
            k for k, u in sorted(users.items()) if u["role"] == role and (not pool or u[pool])
        ]
        user = User(0, role, accounts[0], ctx)
        if role == "leader":
            user.login()

        before: dict[str, float] = {}
        for i in range(warmup + calls):  # the warm-up calls reach every gunicorn process
            if i == warmup:
                results.samples.clear()
                before = {name: server_cpu(pid) for name, pid in pids.items()}
            if pool and not users[user.account][pool]:  # this account's pool ran dry
                user = User(0, role, next(k for k in accounts if users[k][pool]), ctx)
            getattr(user, action)()
        spent = {name: server_cpu(pid) - before[name] for name, pid in pids.items()}
        server = (spent["gunicorn"] + spent["worker"]) * 1000 / calls
        p50 = percentiles(results.samples[action])[0] if results.samples[action] else float("nan")
        print(
            f"| {role}.{action} | {calls} | {server:.0f} | {spent['postgres'] * 1000 / calls:.0f} | {p50:.0f} |"
        )
    if results.fallbacks or results.errors:
        print(f"fallbacks {dict(results.fallbacks)}, errors {dict(results.errors)}")


def main() -> None:
    from bench.load_server import postmaster_pid, start, stop

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dir", type=Path, default=Path("/tmp/eoffice-load"))
    parser.add_argument("--port", type=int, default=8141)
    parser.add_argument("--levels", default="50,200,500")
    parser.add_argument("--ramp", type=float, default=30, help="seconds to start all users")
    parser.add_argument("--duration", type=float, default=120, help="measured seconds per level")
    parser.add_argument("--think", type=float, default=5, help="mean pause between actions, s")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn process")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument(
        "--profile", type=int, default=0, help="instead: N sequential calls per action"
    )
    parser.add_argument(
        "--warmup", type=int, default=10, help="with --profile: unmeasured calls per action first"
    )
    args = parser.parse_args()
    data = json.loads((args.dir / "pools.json").read_text())
    processes = start(
        data["database_url"],
        args.dir / "instance",
        args.port,
        args.workers,
        args.threads,
        args.dir / "server.log",
    )
    pids = {
        "gunicorn": processes[0].pid,
        "worker": processes[1].pid,
        "postgres": postmaster_pid(args.dir / "pgdata"),
    }
    ctx = {
        "port": args.port,
        "pools": Pools(data),
        "password": data["password"],
        "think": args.think,
        "pdf": sample_pdf(),
        # Register numbers of this run (a second run on the same database must not repeat them:
        # the duplicate check would refuse its registrations).
        "numbers": itertools.count(10**6 + int(time.time()) % 10**4 * 10**5),
    }
    levels = []
    try:
        if args.profile:
            profile(ctx, pids, args.profile, args.warmup)
            return
        for n in (int(x) for x in args.levels.split(",")):
            levels.append(run_level(n, ctx, args, pids))
            print_level(levels[-1])
            sys.stdout.flush()
    finally:
        stop(processes)
    if args.out:
        args.out.write_text(
            json.dumps(
                {
                    "args": vars(args) | {"dir": str(args.dir), "out": str(args.out)},
                    "levels": levels,
                },
                indent=1,
            )
        )


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    main()
