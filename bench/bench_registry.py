"""Registry benchmarks (run on demand; never part of the test suite). Loopback only.

    # (a) registration through the real API vs a bare Flask + SQLAlchemy INSERT, 16 clients
    .venv/bin/python bench/bench_registry.py api --admin-url postgresql+psycopg://postgres@127.0.0.1:5433/postgres

    # (b) search and role-queue pages through eoffice.documents.queries on a generated province
    .venv/bin/python bench/gen_province.py --url postgresql+psycopg://postgres@127.0.0.1:5433/eoffice_1m --create --documents 1000000
    .venv/bin/python bench/bench_registry.py queries --url postgresql+psycopg://postgres@127.0.0.1:5433/eoffice_1m

Both print a markdown table to paste into bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

TARGETS = {
    "docs_per_s": 300,
    "ratio": 0.5,
    "p95_ms": 100,
    "search_p95_ms": 100,
    "queue_p95_ms": 150,
}


# ------------------------------------------------------------------------------ measurements


@dataclass(frozen=True)
class Stats:
    count: int
    seconds: float
    p50: float
    p95: float
    p99: float
    errors: int

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0


def percentiles(samples_ms: Sequence[float]) -> tuple[float, float, float]:
    if len(samples_ms) < 2:
        value = samples_ms[0] if samples_ms else 0.0
        return value, value, value
    cuts = statistics.quantiles(samples_ms, n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


# ------------------------------------------------------------------------------ (a) API load


def sample_pdf() -> bytes:
    """A two-page Vietnamese PDF like a short công văn (text, not a scan)."""
    from importlib import resources

    from fpdf import FPDF

    pdf = FPDF()
    font = resources.files("eoffice.documents") / "assets" / "LiberationSerif-Regular.ttf"
    with resources.as_file(font) as path:
        pdf.add_font("serif", "", str(path))
    pdf.set_font("serif", size=13)
    body = (
        "Thực hiện chỉ đạo của Ủy ban nhân dân tỉnh về việc đẩy mạnh chuyển đổi số trong "
        "công tác văn thư, lưu trữ, Sở Tài chính đề nghị các cơ quan, đơn vị báo cáo kết quả. "
    )
    for _ in range(2):
        pdf.add_page()
        pdf.multi_cell(0, 7, body * 12)
    return bytes(pdf.output())


def scan_pdf() -> bytes:
    """A one-page colour scan at 200 dpi (NĐ 30 Phụ lục I), as clerks upload paper documents."""
    import io
    import random

    from fpdf import FPDF
    from PIL import Image, ImageDraw

    rng = random.Random(30)
    page = Image.new("RGB", (1654, 2339), (250, 248, 240))
    draw = ImageDraw.Draw(page)
    for y in range(300, 2100, 48):
        x = 180
        while x < 1450:
            width = rng.randint(40, 160)
            draw.rectangle((x, y, x + width, y + 22), fill=(30 + rng.randint(0, 40),) * 3)
            x += width + rng.randint(15, 30)
    draw.ellipse((1100, 1900, 1400, 2200), outline=(200, 20, 20), width=12)  # the seal
    buffer = io.BytesIO()
    page.save(buffer, "JPEG", quality=70)
    pdf = FPDF()
    pdf.add_page()
    pdf.image(io.BytesIO(buffer.getvalue()), x=0, y=0, w=210, h=297)
    return bytes(pdf.output())


def multipart(metadata: dict, pdf: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="metadata"\r\n'
        "Content-Type: application/json\r\n\r\n".encode()
        + json.dumps(metadata, ensure_ascii=False).encode()
        + b"\r\n",
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="cong-van.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n".encode()
        + pdf
        + b"\r\n",
        f"--{boundary}--\r\n".encode(),
    ]
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def run_load(port: int, path: str, token: str, numbers: range, clients: int, pdf: bytes) -> Stats:
    """POST one registration per number from ``clients`` threads with keep-alive connections.

    Each carries its own số (the number), so none looks like a duplicate of another.
    """
    counter = iter(numbers)
    lock = threading.Lock()
    latencies: list[float] = []
    errors: list[str] = []

    def client(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                n = next(counter, None)
            if n is None:
                break
            meta = {
                "organ_name": "Sở Tài chính tỉnh Bình An",
                "code_number": str(n),
                "code_notation": f"STC-B{index}",
                "issued_date": time.strftime("%Y-%m-%d"),
                "type_code": "CV",
                "subject": f"V/v báo cáo kết quả chuyển đổi số, lần {n}",
                "signer_name": "Trần Văn Bình",
                "signer_position": "Giám đốc",
                "urgency": "thuong",
                "secrecy": "thuong",
            }
            body, content_type = multipart(meta, pdf)
            headers = {"Authorization": f"Bearer {token}", "Content-Type": content_type}
            started = time.perf_counter()
            try:
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
                payload = response.read()
            except (OSError, http.client.HTTPException) as e:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                with lock:
                    errors.append(repr(e))
                continue
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                if response.status == 201:
                    latencies.append(elapsed)
                else:
                    errors.append(f"{response.status} {payload[:200]!r}")
        conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    if errors:
        print(f"  {len(errors)} errors, first: {errors[0]}", file=sys.stderr)
    return Stats(len(latencies), seconds, *percentiles(latencies), errors=len(errors))


def prepare_api_database(admin_url: str, name: str) -> tuple[str, str, int]:
    """Create a fresh migrated database with one agency, its clerk and an API token."""
    from eoffice.db import make_engine, make_session_factory, transaction
    from eoffice.migrate import upgrade_to_head
    from eoffice.org.actor import Actor
    from eoffice.org.auth import create_api_token
    from eoffice.org.passwords import hash_password
    from eoffice.org.services import AgencyInput, UserInput, create_agency, create_unit, create_user

    admin = create_engine(make_url(admin_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade_to_head(engine)
    with transaction(make_session_factory(engine)) as session:
        system = Actor.system()
        agency, _ = create_agency(
            session,
            system,
            AgencyInput(
                code="000.00.00.H99",
                name="Ủy ban nhân dân tỉnh Bình An",
                short_name="UBND",
                level="tinh",
            ),
        )
        create_unit(session, system, agency, "Văn phòng", "VP")
        clerk = create_user(
            session,
            system,
            UserInput(
                username="clerk.bench", full_name="Văn thư Bench", agency_code=agency.code,
                roles=("clerk",), unit_short_name="VP", password_hash=hash_password("x" * 12),
            ),
        )  # fmt: skip
        _, token = create_api_token(session, system, clerk, "bench")
        agency_id = agency.id
    with engine.begin() as conn:
        conn.execute(
            text("CREATE TABLE bench_bare (id bigserial PRIMARY KEY, payload text NOT NULL)")
        )
    engine.dispose()
    return url, token, agency_id


def bare_app(url: str):  # type: ignore[no-untyped-def]
    """The baseline: Flask + SQLAlchemy, read the same multipart request, one INSERT, commit."""
    from flask import Flask, jsonify, request

    engine = create_engine(url, pool_size=20, max_overflow=10)
    app = Flask("bare")

    @app.post("/bare")
    def bare():  # type: ignore[no-untyped-def]
        meta = json.loads(request.form["metadata"])
        request.files["file"].read()
        with Session(engine) as session:
            new_id = session.execute(
                text("INSERT INTO bench_bare (payload) VALUES (:p) RETURNING id"),
                {"p": meta["subject"]},
            ).scalar_one()
            session.commit()
        return jsonify({"id": new_id}), 201

    @app.get("/healthz")
    def health():  # type: ignore[no-untyped-def]
        return "ok"

    return app


def eoffice_app(url: str, instance: str):  # type: ignore[no-untyped-def]
    from eoffice.settings import load_settings
    from eoffice.web import create_app

    settings = load_settings(
        env="production",
        database_url=url,
        instance_dir=Path(instance),
        secret_key="b" * 48,
        api_requests_per_minute=0,  # one token sends every request: measure the app, not the limit
    )
    return create_app(settings)


def wsgi_app():  # type: ignore[no-untyped-def]
    """Entry point for gunicorn (``bench_registry:wsgi_app()``), configured by BENCH_* variables."""
    if os.environ["BENCH_APP"] == "bare":
        return bare_app(os.environ["BENCH_URL"])
    return eoffice_app(os.environ["BENCH_URL"], os.environ["BENCH_INSTANCE"])


def start_server(
    args: argparse.Namespace, app: str, url: str, instance: str, port: int
) -> subprocess.Popen:
    env = os.environ | {"BENCH_APP": app, "BENCH_URL": url, "BENCH_INSTANCE": instance}
    if args.server == "gunicorn":
        command = [
            str(Path(sys.executable).with_name("gunicorn")), "--chdir", str(Path(__file__).parent),
            "-w", str(args.workers), "--threads", str(args.threads), "-k", "gthread",
            "-b", f"127.0.0.1:{port}", "--log-level", "warning", "bench_registry:wsgi_app()",
        ]  # fmt: skip
    else:
        command = [
            sys.executable,
            __file__,
            "serve",
            "--port",
            str(port),
            "--threads",
            str(args.threads),
        ]
    process = subprocess.Popen(command, env=env, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            return process
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise SystemExit(f"server on port {port} did not start")


def stop_server(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)


def serve(args: argparse.Namespace) -> None:
    import logging

    from waitress import serve as waitress_serve

    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "task queue depth" under load
    waitress_serve(
        wsgi_app(), host="127.0.0.1", port=args.port, threads=args.threads, connection_limit=200,
        channel_timeout=120, _quiet=True,
    )  # fmt: skip


def check_numbers(url: str, agency_id: int, expected: int) -> str:
    engine = create_engine(url)
    with engine.connect() as conn:
        numbers = [
            row[0]
            for row in conn.execute(
                text(
                    "SELECT number FROM documents WHERE agency_id = :a AND direction = 'incoming' ORDER BY number"
                ),
                {"a": agency_id},
            )
        ]
        bare = conn.execute(text("SELECT count(*) FROM bench_bare")).scalar_one()
    engine.dispose()
    ok = numbers == list(range(1, expected + 1))
    verdict = f"số đến 1..{len(numbers)}: {'exactly 1..N, no gap, no repeat' if ok else 'WRONG'}"
    return f"{verdict}; bare rows: {bare}"


def api_bench(args: argparse.Namespace) -> None:
    args.load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    url, token, agency_id = prepare_api_database(args.admin_url, args.database)
    pdf = sample_pdf() if args.pdf == "text" else scan_pdf()
    instance = tempfile.mkdtemp(prefix="eoffice-bench-")
    results: dict[str, Stats] = {}
    try:
        for app, path in (("bare", "/bare"), ("eoffice", "/api/v1/documents/incoming")):
            process = start_server(args, app, url, instance, args.port)
            try:
                run_load(args.port, path, token, range(1, args.warmup + 1), args.clients, pdf)
                measured = range(args.warmup + 1, args.warmup + args.requests + 1)
                results[app] = run_load(args.port, path, token, measured, args.clients, pdf)
            finally:
                stop_server(process)
        verdict = check_numbers(url, agency_id, args.requests + args.warmup)
    finally:
        shutil.rmtree(instance, ignore_errors=True)
    print_api_table(args, results, verdict, len(pdf))


def print_api_table(
    args: argparse.Namespace, results: dict[str, Stats], verdict: str, pdf_size: int
) -> None:
    server = (
        f"{args.server} ({args.workers} workers × {args.threads} threads)"
        if args.server == "gunicorn"
        else f"waitress ({args.threads} threads)"
    )
    print(
        f"\n{args.clients} clients, {args.requests} requests each run (+{args.warmup} warm-up), "
        f"{server}, {args.pdf} PDF of {pdf_size // 1024} KB, load average before: {args.load}\n"
    )
    print("| endpoint | docs/s | p50 ms | p95 ms | p99 ms | errors |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, label in (
        ("eoffice", "POST /api/v1/documents/incoming"),
        ("bare", "bare Flask + SQLAlchemy INSERT"),
    ):
        s = results[name]
        print(f"| {label} | {s.rate:.0f} | {s.p50:.1f} | {s.p95:.1f} | {s.p99:.1f} | {s.errors} |")
    ratio = results["eoffice"].rate / results["bare"].rate
    print(f"\neoffice / bare = {ratio:.0%}; {verdict}")
    e = results["eoffice"]
    print(
        f"targets: ≥ {TARGETS['docs_per_s']} docs/s {'met' if e.rate >= TARGETS['docs_per_s'] else 'MISSED'}, "
        f"≥ 50% of bare {'met' if ratio >= TARGETS['ratio'] else 'MISSED'}, "
        f"p95 < {TARGETS['p95_ms']} ms {'met' if e.p95 < TARGETS['p95_ms'] else 'MISSED'}"
    )


# ------------------------------------------------------------------------------ (b) queries

SEARCHES = (
    "báo cáo", "chuyen doi so", "phòng chống thiên tai 2026", "quyết định", "kế hoạch tuyển dụng",
    "đề án 06", "nông thôn mới quý", "UBND-VP", "thanh tra", "khong co tu nay xyz",
)  # fmt: skip


def timed(samples: list[float], work: Callable[..., object], *args: object) -> None:
    started = time.perf_counter()
    work(*args)
    samples.append((time.perf_counter() - started) * 1000)


def search_page(session: Session, actor: object, term: str) -> object:
    from eoffice.documents.queries import DocumentFilter, list_documents

    return list_documents(session, actor, DocumentFilter(q=term), limit=50)  # type: ignore[arg-type]


def queue_page(session: Session, actor: object, queue: str) -> object:
    """What a queue page queries: the menu's counts and the first page of the queue."""
    from eoffice.documents.queries import DocumentFilter, list_documents, queue_counts

    counts = queue_counts(session, actor)  # type: ignore[arg-type]
    return counts, list_documents(session, actor, DocumentFilter(queue=queue), limit=50)  # type: ignore[arg-type]


def actors(session: Session) -> dict[str, int]:
    """Pick who the pages are measured for: the busiest agency's people and a commune clerk."""
    from eoffice.documents.models import Assignment
    from eoffice.org.models import User

    busiest = session.execute(
        text("SELECT agency_id FROM documents GROUP BY agency_id ORDER BY count(*) DESC LIMIT 1")
    ).scalar_one()
    usernames = session.execute(
        select(User.username, User.id).where(User.agency_id == busiest)
    ).all()
    by_role = {
        name.split(".")[0].rstrip("0123456789"): uid
        for name, uid in sorted(usernames, reverse=True)
    }
    specialist = session.execute(
        select(Assignment.user_id)
        .join(User, User.id == Assignment.user_id)
        .where(User.agency_id == busiest, Assignment.is_active, Assignment.completed_at.is_(None))
        .group_by(Assignment.user_id)
        .order_by(text("count(*) DESC"))
        .limit(1)
    ).scalar_one()
    commune_clerk = session.execute(
        select(User.id).where(User.username.like("clerk1.x%")).order_by(User.id).limit(1)
    ).scalar_one()
    return {
        "clerk (province)": by_role["clerk"],
        "leader (province)": by_role["leader"],
        "unit head (province)": by_role["unithead"],
        "specialist (province)": specialist,
        "clerk (commune)": commune_clerk,
    }


def queries_bench(args: argparse.Namespace) -> None:
    from eoffice.db import make_engine
    from eoffice.documents.queries import queues_for
    from eoffice.org.actor import Actor
    from eoffice.org.models import User

    engine = make_engine(args.url)
    with Session(engine) as session:
        people = actors(session)
        total = session.execute(text("SELECT count(*) FROM documents")).scalar_one()
    search: dict[str, list[float]] = {}
    pages: dict[str, list[float]] = {}
    for label, user_id in people.items():
        for round_ in range(args.rounds + 1):  # round 0 warms the caches
            with Session(engine) as session:
                actor = Actor(user=session.get(User, user_id))
                for term in SEARCHES:
                    sink = search.setdefault(label, []) if round_ else []
                    timed(sink, search_page, session, actor, term)
                for queue in queues_for(actor):
                    sink = pages.setdefault(label, []) if round_ else []
                    timed(sink, queue_page, session, actor, queue)
                session.expunge_all()
    engine.dispose()
    print(f"\n{total:,} documents; {args.rounds} rounds; search = list_documents(q=…, limit 50) "
          f"over {len(SEARCHES)} queries; queue page = queue_counts + list_documents(queue=…)\n")  # fmt: skip
    print("| actor | search p50 ms | search p95 ms | queue page p50 ms | queue page p95 ms |")
    print("|---|---:|---:|---:|---:|")
    every_search = [v for values in search.values() for v in values]
    every_page = [v for values in pages.values() for v in values]
    for label in people:
        s50, s95, _ = percentiles(search[label])
        q50, q95, _ = percentiles(pages.get(label, [0.0]))
        print(f"| {label} | {s50:.1f} | {s95:.1f} | {q50:.1f} | {q95:.1f} |")
    s95, q95 = percentiles(every_search)[1], percentiles(every_page)[1]
    print(f"| **all** | | **{s95:.1f}** | | **{q95:.1f}** |")
    print(
        f"\ntargets: search p95 < {TARGETS['search_p95_ms']} ms {'met' if s95 < TARGETS['search_p95_ms'] else 'MISSED'}, "
        f"queue page p95 < {TARGETS['queue_p95_ms']} ms {'met' if q95 < TARGETS['queue_p95_ms'] else 'MISSED'}"
    )
    if args.per_query:
        print_per_query(args, people)


def print_per_query(args: argparse.Namespace, people: dict[str, int]) -> None:
    """Time each search term alone for one actor (to find the slow shapes)."""
    from eoffice.db import make_engine
    from eoffice.org.actor import Actor
    from eoffice.org.models import User

    engine = make_engine(args.url)
    print("\n| query | " + " | ".join(people) + " |")
    print("|---|" + "---:|" * len(people))
    for term in SEARCHES:
        cells = []
        for user_id in people.values():
            samples: list[float] = []
            with Session(engine) as session:
                actor = Actor(user=session.get(User, user_id))
                for _ in range(args.rounds + 1):
                    timed(samples, search_page, session, actor, term)
            cells.append(f"{statistics.median(samples[1:]):.1f}")
        print(f"| `{term}` | " + " | ".join(cells) + " |")
    engine.dispose()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    api = sub.add_parser("api", help="(a) registration throughput through the API")
    api.add_argument(
        "--admin-url", required=True, help="PostgreSQL URL used to create the database"
    )
    api.add_argument("--database", default="eoffice_bench_api")
    api.add_argument("--requests", type=int, default=3000)
    api.add_argument("--warmup", type=int, default=100)
    api.add_argument("--clients", type=int, default=16)
    api.add_argument("--server", choices=("waitress", "gunicorn"), default="waitress")
    api.add_argument("--workers", type=int, default=2, help="gunicorn processes")
    api.add_argument("--threads", type=int, default=16)
    api.add_argument("--port", type=int, default=8765)
    api.add_argument(
        "--pdf", choices=("text", "scan"), default="text", help="2-page text or 1-page scan"
    )
    queries = sub.add_parser("queries", help="(b) search and queue pages at scale")
    queries.add_argument("--url", required=True)
    queries.add_argument("--rounds", type=int, default=20)
    queries.add_argument("--per-query", action="store_true", help="also time each search term")
    server = sub.add_parser("serve", help="internal: run one app under waitress")
    server.add_argument("--port", type=int, required=True)
    server.add_argument("--threads", type=int, default=16)
    args = parser.parse_args(argv)
    {"api": api_bench, "queries": queries_bench, "serve": serve}[args.command](args)


if __name__ == "__main__":
    main()
