"""The simulated users of the load test (see load_test.py): what each role does, and the shared
work pools and results they write to."""

from __future__ import annotations

import http.client
import json
import random
import re
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

from bench.bench_registry import multipart  # noqa: E402

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
