"""Nhắc việc benchmarks on PostgreSQL (run on demand; never part of the test suite). Loopback only.

    .venv/bin/python bench/bench_tasks.py --admin-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres

Builds a scratch database ``eoffice_bench_tasks`` from the migrations, loads the demo province,
generates 1,000,000 tasks over four years (INSERT … SELECT generate_series: about 250,000 a year,
~3% overdue) and 10,000 due reminders, then measures:

- the reminder sweep that finds and delivers the 10,000 (in-app rows and outbox e-mails; SMTP is a
  separate job and excluded), target ≤ 2 s;
- the lateness report grouped by agency over one year, target ≤ 1 s;
- the dashboard page (/reports/) through the Flask test client, p95 target < 300 ms.

Prints a markdown section to append to bench/RESULTS.md. ``--keep`` keeps the database.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from eoffice import clock
from eoffice.db import make_engine, make_session_factory, transaction
from eoffice.migrate import upgrade_to_head
from eoffice.org.actor import Actor
from eoffice.org.demo import load_demo, read_demo
from eoffice.org.models import Agency, User
from eoffice.settings import load_settings
from eoffice.tasks.reports import lateness_report, make_spec
from eoffice.tasks.snapshots import freeze_due
from reminders.jobs import SweepConfig, sweep

DB_NAME = "eoffice_bench_tasks"
TARGETS = {"sweep_s": 2.0, "report_s": 1.0, "dashboard_p95_ms": 300.0}

TASKS_SQL = """
INSERT INTO tasks (
  title, content, source_kind, source_reference, assigner_id, assigner_agency_id, lead_kind,
  lead_agency_id, counts_for_agency, priority, state, progress_percent, original_due_date,
  due_date, measured_due_date, deadline_at, measured_deadline_at, assigned_at, submitted_at,
  done_at, confirmed_at, confirmed_by_id, result, rework_count, updated_at)
SELECT 'Nhiệm vụ số ' || g, '', 'none', '', :assigner, :assigner_agency, 'agency',
  (:agencies ::int[])[1 + (g::bigint * 7919) % :n_agencies], true, 'normal', s.state,
  CASE WHEN s.state = 'done' THEN 100 ELSE (g % 90) END,
  s.due, s.due, s.due, s.deadline_at, s.deadline_at, s.assigned_at,
  s.done_at, s.done_at, s.done_at + interval '2 hours', CASE WHEN s.state = 'done' THEN :assigner END,
  '', 0, s.assigned_at
FROM generate_series(1, :n) AS g
CROSS JOIN LATERAL (
  SELECT d.*, (d.due + 1)::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh' AS deadline_at FROM (
    SELECT a.assigned_at, CASE WHEN g % 20 = 0 THEN NULL
           ELSE (a.assigned_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date + 5 + (g * 31) % 56 END AS due
    FROM (SELECT timestamptz '2023-01-02 02:00+00' + (g::float8 / :n) *
                 (timestamptz '2026-11-20 02:00+00' - timestamptz '2023-01-02 02:00+00') AS assigned_at) a
  ) d
) s0
CROSS JOIN LATERAL (
  SELECT s0.assigned_at, s0.due, s0.deadline_at,
    CASE WHEN s0.due IS NULL THEN (CASE WHEN g % 3 = 0 THEN 'open' ELSE 'done' END)
         WHEN s0.due < current_date THEN (CASE WHEN g % 33 = 0 THEN 'open' ELSE 'done' END)
         ELSE (CASE WHEN g % 3 = 0 THEN 'done' ELSE 'open' END) END AS state
) st
CROSS JOIN LATERAL (
  SELECT st.assigned_at, st.due, st.deadline_at, st.state,
    CASE WHEN st.state <> 'done' THEN NULL
         WHEN st.deadline_at IS NULL THEN st.assigned_at + interval '10 days'
         WHEN g % 12 = 0 THEN st.deadline_at + interval '3 days'
         ELSE LEAST(st.deadline_at - interval '1 hour' * (1 + g % 48), now())
    END AS done_at
) s
"""

REMINDERS_SQL = """
INSERT INTO task_reminders (task_id, kind, recipient_role, deadline, due_at, dedup_key, created_at)
SELECT id, 'before_due', 'lead', due_date, now() - interval '1 minute',
       'before_due|lead|' || due_date || '|bench', now()
FROM tasks WHERE state = 'open' AND due_date >= current_date
ORDER BY id LIMIT :n
"""


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def create_database(admin_url: str) -> str:
    admin = create_engine(make_url(admin_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{DB_NAME}"'))
    admin.dispose()
    return make_url(admin_url).set(database=DB_NAME).render_as_string(hide_password=False)


def generate(factory: sessionmaker[Session], n_tasks: int, n_reminders: int) -> dict[str, float]:
    times: dict[str, float] = {}
    with transaction(factory) as session:
        demo = load_demo(session)
        session.execute(text("UPDATE users SET email = username || '@example.vn'"))
        boss = session.execute(select(User).where(User.username == "lanhdao.ubnd")).scalar_one()
        province = session.execute(
            select(Agency).where(Agency.code == "000.00.00.H34")
        ).scalar_one()
        agencies = [
            a.id
            for a in session.execute(select(Agency).where(Agency.code.like("%.H34"))).scalars()
            if a.id != province.id
        ]
        params = {
            "assigner": boss.id,
            "assigner_agency": province.id,
            "agencies": agencies,
            "n_agencies": len(agencies),
            "n": n_tasks,
        }
        times["generate_tasks_s"] = timed(lambda: session.execute(text(TASKS_SQL), params))
        session.execute(text(REMINDERS_SQL), {"n": n_reminders})
    maintenance(factory, "ANALYZE")
    times["password"] = demo.password  # type: ignore[assignment]
    return times


def maintenance(factory: sessionmaker[Session], sql: str) -> None:
    """Run VACUUM/ANALYZE, which refuse to run inside a transaction."""
    engine = factory.kw["bind"].execution_options(isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(sql)


def reset_reminders(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        session.execute(text("DELETE FROM notifications WHERE kind LIKE 'reminder.%'"))
        session.execute(text("DELETE FROM outgoing_mail WHERE dedup_key LIKE 'reminder.%'"))
        session.execute(text("DELETE FROM task_reminders WHERE dedup_key NOT LIKE '%|bench'"))
        session.execute(text("UPDATE task_reminders SET sent_at = NULL, cancelled_at = NULL"))
    maintenance(factory, "VACUUM ANALYZE task_reminders")
    maintenance(factory, "VACUUM ANALYZE notifications")
    maintenance(factory, "VACUUM ANALYZE outgoing_mail")


def bench_sweep(factory: sessionmaker[Session], batch: int, runs: int = 3) -> list[float]:
    with factory() as session:
        expected = session.execute(text("SELECT count(*) FROM task_reminders")).scalar_one()
    samples = []
    for _ in range(runs):
        reset_reminders(factory)
        start = time.perf_counter()
        result = sweep(factory, SweepConfig(batch_size=batch))
        samples.append(time.perf_counter() - start)
        assert result.sent == expected, result
    return samples


def bench_report(factory: sessionmaker[Session], year: int, runs: int = 5) -> list[float]:
    with factory() as session:
        boss = session.execute(select(User).where(User.username == "lanhdao.ubnd")).scalar_one()
        spec = make_spec(date(year, 1, 1), date(year, 12, 31), "agency")
        report = lateness_report(session, Actor(user=boss), spec)
        assert report.total.total > 0, report.total.total
        return [
            timed(lambda: lateness_report(session, Actor(user=boss), spec)) for _ in range(runs)
        ]


def bench_dashboard(url: str, password: str, runs: int = 30) -> list[float]:
    from eoffice.web import create_app

    settings = load_settings(env="test", database_url=url, instance_dir=Path("/tmp/bench-tasks"))
    app = create_app(settings)
    client = app.test_client()
    page = client.get("/login")
    token = page.text.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post(
        "/login", data={"username": "lanhdao.ubnd", "password": password, "csrf_token": token}
    )
    for _ in range(3):
        assert client.get("/reports/").status_code == 200
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get("/reports/")
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    return samples


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20, method="inclusive")[18]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    parser.add_argument("--tasks", type=int, default=1_000_000)
    parser.add_argument("--reminders", type=int, default=10_000)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="measure a database kept before")
    args = parser.parse_args()
    if args.reuse:
        url = make_url(args.admin_url).set(database=DB_NAME).render_as_string(hide_password=False)
        engine = make_engine(url)
        factory = make_session_factory(engine)
        gen = {"generate_tasks_s": float("nan"), "password": read_demo()[0]}
    else:
        url = create_database(args.admin_url)
        engine = make_engine(url)
        upgrade_to_head(engine)
        factory = make_session_factory(engine)
        gen = generate(factory, args.tasks, args.reminders)
    freeze_s = timed(lambda: _freeze(factory))
    sweep_2000 = bench_sweep(factory, 2000)
    sweep_10000 = bench_sweep(factory, 10_000)
    report = bench_report(factory, 2025)
    dashboard = bench_dashboard(url, str(gen["password"]))
    rows = [
        (
            "tasks generated",
            f"{args.tasks:,}",
            f"{gen['generate_tasks_s']:.1f} s (INSERT … SELECT)",
            "",
        ),
        (
            "monthly snapshots (10 months × 4 groupings, once)",
            "",
            f"{freeze_s:.1f} s",
            "job, hourly",
        ),
        (
            f"reminder sweep, {args.reminders:,} due, batches of 2,000",
            "median of 3",
            f"{statistics.median(sweep_2000):.2f} s",
            f"≤ {TARGETS['sweep_s']} s",
        ),
        (
            f"reminder sweep, {args.reminders:,} due, one batch",
            "median of 3",
            f"{statistics.median(sweep_10000):.2f} s",
            f"≤ {TARGETS['sweep_s']} s",
        ),
        (
            "lateness report by agency, year 2025",
            "median of 5",
            f"{statistics.median(report):.2f} s",
            f"≤ {TARGETS['report_s']} s",
        ),
        (
            "dashboard /reports/",
            f"p50 {statistics.median(dashboard):.0f} ms",
            f"p95 {p95(dashboard):.0f} ms",
            f"< {TARGETS['dashboard_p95_ms']:.0f} ms",
        ),
    ]
    print(f"\n## Nhắc việc ({clock.today():%d/%m/%Y}, PostgreSQL, {args.tasks:,} tasks)\n")
    print(f"`.venv/bin/python bench/bench_tasks.py --admin-url {args.admin_url}`\n")
    print("| measurement | n | result | target |\n|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    engine.dispose()
    if not args.keep:
        admin = create_engine(make_url(args.admin_url), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)'))
        admin.dispose()


def _freeze(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        freeze_due(session, clock.today())


if __name__ == "__main__":
    main()
