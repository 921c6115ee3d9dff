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
import http.client
import json
import os
import random
import re
import signal
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_registry import multipart, percentiles, sample_pdf  # noqa: E402

ROLE_SHARE = (("clerk", 0.15), ("leader", 0.25), ("specialist", 0.60))
ACTIONS = {
    "clerk": (("register", 0.45), ("present", 0.25), ("documents_queue", 0.30)),
    "leader": (("dashboard", 0.35), ("assign", 0.30), ("sign", 0.15), ("documents_queue", 0.20)),
    "specialist": (("task_progress", 0.40), ("task_detail", 0.20), ("tasks_list", 0.40)),
}
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class Results:
    """Latencies and errors of requests started inside the measuring window."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.window = (float("inf"), float("inf"))
        self.samples: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, Counter[str]] = defaultdict(Counter)
        self.fallbacks: Counter[str] = Counter()

    def record(self, action: str, started: float, elapsed_ms: float, error: str | None) -> None:
        if not self.window[0] <= started < self.window[1]:
            return
        with self.lock:
            if error is None:
                self.samples[action].append(elapsed_ms)
            else:
                self.errors[action][error] += 1


class Pools:
    """Shared, locked work lists: documents to present, to assign, drafts to sign, tasks."""

    def __init__(self, data: dict) -> None:
        self.lock = threading.Lock()
        self.users = data["users"]
        self.to_present: dict[str, list[int]] = defaultdict(list)
        self.progress: dict[int, int] = {}

    def pop(self, account: str, kind: str) -> int | None:
        with self.lock:
            items = self.to_present[account] if kind == "present" else self.users[account][kind]
            return items.pop() if items else None

    def push(self, account: str, kind: str, item: int) -> None:
        with self.lock:
            (self.to_present[account] if kind == "present" else self.users[account][kind]).append(
                item
            )

    def next_percent(self, task: int) -> int:
        with self.lock:
            self.progress[task] = min(95, self.progress.get(task, 0) + 1)
            return self.progress[task]


class User(threading.Thread):
    def __init__(self, n: int, role: str, account: str, ctx: dict) -> None:
        super().__init__(daemon=True)
        self.role, self.account, self.ctx = role, account, ctx
        self.info = ctx["pools"].users[account]
        self.rng = random.Random(n)
        self.cookie = ""

    # --- HTTP ----------------------------------------------------------------------------
    def call(self, action: str, method: str, path: str, body=None, headers=None, expect=(200,)):
        headers = dict(headers or {})
        if self.cookie:
            headers["Cookie"] = self.cookie
        elif path.startswith("/api/"):
            headers["Authorization"] = f"Bearer {self.info['token']}"
        if isinstance(body, dict):
            body = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        started = time.time()
        t0 = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", self.ctx["port"], timeout=120)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            error = None if response.status in expect else f"{response.status} {data[:120]!r}"
        except (OSError, http.client.HTTPException) as e:
            response, data, error = None, b"", type(e).__name__
        finally:
            conn.close()
        self.ctx["results"].record(action, started, (time.perf_counter() - t0) * 1000, error)
        return response, data, error

    def login(self) -> None:
        response, page, _ = self.call("login_page", "GET", "/login")
        match = CSRF.search(page.decode("utf-8", "replace"))
        cookie = (response.getheader("Set-Cookie") or "").split(";")[0] if response else ""
        if not match:
            return
        form = urlencode(
            {
                "username": self.info["username"],
                "password": self.ctx["password"],
                "csrf_token": match.group(1),
            }
        )
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
        response, _, error = self.call("login", "POST", "/login", form.encode(), headers, (302,))
        if response is not None and error is None:
            self.cookie = (response.getheader("Set-Cookie") or "").split(";")[0]

    # --- the loop ------------------------------------------------------------------------
    def run(self) -> None:
        stop: threading.Event = self.ctx["stop"]
        if self.role == "leader":
            self.login()
        while not stop.wait(min(30.0, max(0.5, self.rng.expovariate(1 / self.ctx["think"])))):
            names, weights = zip(*ACTIONS[self.role], strict=True)
            getattr(self, self.rng.choices(names, weights)[0])()

    def api(self, action: str, method: str, path: str, body=None, expect=(200,)):
        cookie, self.cookie = self.cookie, ""  # the API takes the bearer token, never the cookie
        try:
            return self.call(action, method, path, body, expect=expect)
        finally:
            self.cookie = cookie

    def register(self) -> None:
        n = next(self.ctx["numbers"])
        meta = {
            "organ_name": "Sở Tài chính tỉnh Bình An",
            "code_number": str(n),
            "code_notation": "STC-TT",
            "issued_date": (date.today() - timedelta(days=1)).isoformat(),
            "type_code": "CV",
            "subject": f"V/v báo cáo tình hình thực hiện nhiệm vụ, lần {n}",
            "signer_name": "Trần Văn Bình",
            "signer_position": "Giám đốc",
        }
        body, content_type = multipart(meta, self.ctx["pdf"] + f"\n% {uuid.uuid4()}\n".encode())
        headers = {"Content-Type": content_type, "Authorization": f"Bearer {self.info['token']}"}
        _, data, error = self.call(
            "register", "POST", "/api/v1/documents/incoming", body, headers, (201,)
        )
        if error is None:
            self.ctx["pools"].push(self.account, "present", json.loads(data)["id"])

    def present(self) -> None:
        doc = self.ctx["pools"].pop(self.account, "present")
        if doc is None or not self.info["leaders"]:
            self.ctx["results"].fallbacks["present→register"] += 1
            return self.register()
        leader = self.rng.choice(self.info["leaders"])
        _, _, error = self.api(
            "present", "POST", f"/api/v1/documents/{doc}/present", {"leader_id": leader}
        )
        if error is None:
            self.ctx["pools"].push(str(leader), "assign", doc)

    def documents_queue(self) -> None:
        queue = "to_present" if self.role == "clerk" else "to_instruct"
        self.api("documents_queue", "GET", f"/api/v1/documents?queue={queue}")

    def dashboard(self) -> None:
        self.call("dashboard", "GET", "/reports/")

    def assign(self) -> None:
        doc = self.ctx["pools"].pop(self.account, "assign")
        if doc is None or not self.info["units"]:
            self.ctx["results"].fallbacks["assign→queue"] += 1
            return self.documents_queue()
        plan = {
            "lead": {"unit_id": self.rng.choice(self.info["units"])},
            "deadline": (date.today() + timedelta(days=10)).isoformat(),
            "instruction": "Giao đơn vị chủ trì tham mưu, báo cáo trước hạn.",
        }
        self.api("assign", "POST", f"/api/v1/documents/{doc}/assign", plan)

    def sign(self) -> None:
        doc = self.ctx["pools"].pop(self.account, "sign")
        if doc is None:
            self.ctx["results"].fallbacks["sign→dashboard"] += 1
            return self.dashboard()
        self.api(
            "sign", "POST", f"/api/v1/documents/{doc}/sign", {"passphrase": self.ctx["password"]}
        )

    def _task(self) -> int | None:
        return self.rng.choice(self.info["tasks"]) if self.info["tasks"] else None

    def task_progress(self) -> None:
        task = self._task()
        if task is None:
            return self.tasks_list()
        body = {"percent": self.ctx["pools"].next_percent(task), "text": "Đã rà soát thêm hồ sơ"}
        self.api("task_progress", "POST", f"/api/v1/tasks/{task}/progress", body)

    def task_detail(self) -> None:
        task = self._task()
        if task is None:
            return self.tasks_list()
        self.api("task_detail", "GET", f"/api/v1/tasks/{task}")

    def tasks_list(self) -> None:
        self.api("tasks_list", "GET", "/api/v1/tasks")


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


def profile(ctx: dict, pids: dict[str, int], calls: int) -> None:
    """CPU milliseconds per call of each action, one call at a time (less sensitive to the
    machine's load than latencies): server = gunicorn + worker, database = PostgreSQL."""
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
        getattr(user, action)()  # warm the code path
        results.samples.clear()
        before = {name: server_cpu(pid) for name, pid in pids.items()}
        for _ in range(calls):
            if pool and not users[user.account][pool]:
                accounts = [k for k in accounts if users[k][pool]]
                user = User(0, role, accounts[0], ctx)
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
        "numbers": iter(range(10**6, 10**9)),
    }
    levels = []
    try:
        if args.profile:
            profile(ctx, pids, args.profile)
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
