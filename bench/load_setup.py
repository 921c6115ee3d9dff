"""Set up the load test: a private PostgreSQL cluster, the demo province, and work to do.

The cluster lives under ``--dir`` (initdb as the ``postgres`` user, its own port) so the test
never touches the shared server others run their tests on. The database gets `init-db` and
`load-demo` (55 agencies, demo signing keys for every leader), then, through the services:
- an API token for every clerk, leader, unit head and specialist;
- background volume: registered incoming documents spread over the agencies;
- for each leader, incoming documents presented to them (to assign) and approved drafts they
  are the signer of (to sign);
- for each specialist, open tasks they lead (to report progress on).
What each virtual user may act on is written to ``DIR/pools.json`` for ``load_test.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select, text
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_registry import sample_pdf  # noqa: E402
from eoffice.db import make_engine, make_session_factory, transaction  # noqa: E402
from eoffice.documents.blobs import Upload  # noqa: E402
from eoffice.documents.incoming import present_to_leader, register_incoming  # noqa: E402
from eoffice.documents.metadata import DocumentMetadata  # noqa: E402
from eoffice.documents.outgoing import (  # noqa: E402
    DraftInput,
    approve_draft,
    create_draft,
    review_draft,
    submit_draft,
)
from eoffice.org.actor import Actor  # noqa: E402
from eoffice.org.auth import create_api_token  # noqa: E402
from eoffice.org.models import Role, User, UserRole  # noqa: E402
from eoffice.settings import load_settings  # noqa: E402
from eoffice.tasks.inputs import TargetRef, TaskInput  # noqa: E402
from eoffice.tasks.services import create_task  # noqa: E402
from eoffice.tasks.services_calendar import load_calendar  # noqa: E402
from eoffice.wiring import file_policy  # noqa: E402

DEMO_PASSWORD = "KhanhHoa@2025"


def pg(args: list[str]) -> None:
    subprocess.run(["runuser", "-u", "postgres", "--", *args], check=True)


def start_cluster(data: Path, port: int) -> None:
    """initdb (once) and start a PostgreSQL of our own on ``port`` (trust auth, loopback only)."""
    if not (data / "PG_VERSION").exists():
        data.mkdir(parents=True, exist_ok=True)
        shutil.chown(data, "postgres", "postgres")
        pg(["initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"])
    status = subprocess.run(
        ["runuser", "-u", "postgres", "--", "pg_ctl", "-D", str(data), "status"],
        capture_output=True,
    )
    if status.returncode == 0:
        return  # already running (a second setup on the same cluster)
    options = (
        f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={data} "
        "-c max_connections=300 -c shared_buffers=512MB -c work_mem=16MB "
        "-c effective_cache_size=4GB -c max_wal_size=4GB"
    )
    pg(["pg_ctl", "-D", str(data), "-o", options, "-l", str(data / "server.log"), "-w", "start"])


def stop_cluster(data: Path) -> None:
    pg(["pg_ctl", "-D", str(data), "-m", "fast", "-w", "stop"])


def eoffice_env(url: str, instance: Path) -> dict[str, str]:
    return {**os.environ, "EOFFICE_DATABASE_URL": url, "EOFFICE_INSTANCE_DIR": str(instance)}


def create_database(port: int, name: str, instance: Path) -> str:
    admin = f"postgresql://postgres@127.0.0.1:{port}/postgres"
    subprocess.run(
        ["psql", "-q", admin, "-c", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], check=True
    )
    subprocess.run(["psql", "-q", admin, "-c", f"CREATE DATABASE {name}"], check=True)
    shutil.rmtree(instance, ignore_errors=True)
    url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/{name}"
    eoffice = str(Path(sys.executable).with_name("eoffice"))
    for command in (["init-db"], ["load-demo"]):
        subprocess.run(
            [eoffice, *command],
            env=eoffice_env(url, instance),
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return url


def users_by_role(session: Session) -> dict[str, list[User]]:
    found: dict[str, list[User]] = {}
    for role in (Role.CLERK, Role.LEADER, Role.UNIT_HEAD, Role.SPECIALIST):
        stmt = select(User).join(UserRole).where(UserRole.role == role.value).order_by(User.id)
        found[role.value] = list(session.scalars(stmt))
    return found


def meta(n: int, subject: str) -> DocumentMetadata:
    return DocumentMetadata(
        type_code="CV",
        subject=f"{subject} số {n}",
        organ_name="Sở Tài chính tỉnh Bình An",
        organ_id="000.00.02.H99",
        code_number=str(n),
        code_notation="STC-TH",
        issued_date=date.today() - timedelta(days=1),
        signer_name="Trần Văn Bình",
        signer_position="Giám đốc",
    )


def seed(url: str, instance: Path, args: argparse.Namespace) -> dict:
    settings = load_settings(database_url=url, instance_dir=instance)
    policy = file_policy(settings)
    factory = make_session_factory(make_engine(url))
    pdf = sample_pdf()
    counter = iter(range(1, 10**9))
    with factory() as session:
        people = users_by_role(session)
        ids = {role: [u.id for u in users] for role, users in people.items()}
    pools: dict = {"password": DEMO_PASSWORD, "users": {}}
    with transaction(factory) as session:
        for role, user_ids in ids.items():
            for user_id in user_ids:
                user = session.get(User, user_id)
                _row, token = create_api_token(session, Actor.system(), user, "load test")
                pools["users"][str(user_id)] = {
                    "username": user.username,
                    "role": role,
                    "agency_id": user.agency_id,
                    "unit_id": user.unit_id,
                    "token": token,
                    "assign": [],
                    "sign": [],
                    "tasks": [],
                    "leaders": [],
                    "units": [],
                }
    users = pools["users"]
    for info in users.values():  # colleagues: whom to present to, which unit to give a lead to
        same = [u for u in users.values() if u["agency_id"] == info["agency_id"]]
        info["leaders"] = sorted(
            {int(k) for k, u in users.items() if u in same and u["role"] == "leader"}
        )
        info["units"] = sorted(
            {u["unit_id"] for u in same if u["role"] == "unit_head" and u["unit_id"]}
        )
    clerks = {u["agency_id"]: int(k) for k, u in users.items() if u["role"] == "clerk"}
    started = time.perf_counter()
    _seed_background(factory, policy, pdf, counter, clerks, args.background)
    print(f"  background: {args.background} documents in {time.perf_counter() - started:.0f} s")
    for key, info in users.items():
        if info["role"] == "leader" and info["agency_id"] in clerks:
            info["assign"] = _seed_presented(
                factory, policy, pdf, counter, clerks[info["agency_id"]], int(key), args.per_leader
            )
            info["sign"] = _seed_drafts(factory, policy, pdf, users, int(key), args.per_leader)
        if info["role"] == "specialist":
            info["tasks"] = _seed_tasks(factory, users, int(key), args.per_specialist)
    print(f"  pools ready in {time.perf_counter() - started:.0f} s")
    return pools


def _register(session: Session, clerk_id: int, policy, pdf: bytes, n: int):
    clerk = session.get(User, clerk_id)
    upload = Upload(f"cv-{n}.pdf", "application/pdf", pdf + f"\n% {n}\n".encode())
    return register_incoming(
        session, Actor(user=clerk), meta(n, "V/v báo cáo"), upload, policy, allow_duplicate=True
    ).document


def _seed_background(factory, policy, pdf, counter, clerks, count: int) -> None:
    agencies = sorted(clerks)
    for start in range(0, count, 100):
        with transaction(factory) as session:
            for i in range(start, min(count, start + 100)):
                _register(session, clerks[agencies[i % len(agencies)]], policy, pdf, next(counter))


def _seed_presented(
    factory, policy, pdf, counter, clerk_id: int, leader_id: int, count: int
) -> list[int]:
    with transaction(factory) as session:
        clerk, leader = session.get(User, clerk_id), session.get(User, leader_id)
        docs = [_register(session, clerk_id, policy, pdf, next(counter)) for _ in range(count)]
        for doc in docs:
            present_to_leader(session, Actor(user=clerk), doc, leader)
        return [d.id for d in docs]


def _colleague(users: dict, leader_id: int, role: str, unit_id: int | None = None) -> int | None:
    agency = users[str(leader_id)]["agency_id"]
    for key, u in sorted(users.items(), key=lambda kv: int(kv[0])):
        if (
            u["role"] == role
            and u["agency_id"] == agency
            and (unit_id is None or u["unit_id"] == unit_id)
        ):
            return int(key)
    return None


def _seed_drafts(factory, policy, pdf, users, leader_id: int, count: int) -> list[int]:
    drafter = _colleague(users, leader_id, "specialist")
    head = drafter and _colleague(users, leader_id, "unit_head", users[str(drafter)]["unit_id"])
    if not drafter or not head:
        return []
    made = []
    with transaction(factory) as session:
        specialist, unit_head, leader = (session.get(User, i) for i in (drafter, head, leader_id))
        for n in range(count):
            data = DraftInput(
                meta=DocumentMetadata(type_code="CV", subject=f"Dự thảo công văn thử tải {n}"),
                signer_id=leader_id,
            )
            upload = Upload(
                "du-thao.pdf", "application/pdf", pdf + f"\n% draft {leader_id}-{n}\n".encode()
            )
            doc = create_draft(session, Actor(user=specialist), data, upload, policy)
            submit_draft(session, Actor(user=specialist), doc)
            review_draft(session, Actor(user=unit_head), doc, "Đã kiểm tra")
            approve_draft(session, Actor(user=leader), doc, "Đồng ý")
            made.append(doc.id)
    return made


def _seed_tasks(factory, users, specialist_id: int, count: int) -> list[int]:
    leader = _colleague(users, specialist_id, "leader")
    if leader is None:
        return []
    with transaction(factory) as session:
        actor = Actor(user=session.get(User, leader))
        calendar = load_calendar(session)
        return [
            create_task(
                session,
                actor,
                TaskInput(
                    title=f"Nhiệm vụ thử tải {n}",
                    lead=TargetRef(user=specialist_id),
                    due_in_working_days=10,
                ),
                calendar,
            ).id
            for n in range(count)
        ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dir", type=Path, default=Path("/tmp/eoffice-load"))
    parser.add_argument("--port", type=int, default=5441)
    parser.add_argument("--background", type=int, default=3000, help="registered documents")
    parser.add_argument("--per-leader", type=int, default=12, help="to assign, and to sign")
    parser.add_argument("--per-specialist", type=int, default=4, help="open tasks")
    args = parser.parse_args()
    start_cluster(args.dir / "pgdata", args.port)
    started = time.perf_counter()
    url = create_database(args.port, "eoffice_load", args.dir / "instance")
    print(f"  init-db + load-demo in {time.perf_counter() - started:.0f} s")
    pools = seed(url, args.dir / "instance", args)
    pools["database_url"] = url
    engine = make_engine(url)
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()
    (args.dir / "pools.json").write_text(json.dumps(pools))
    print(f"Ready: {args.dir / 'pools.json'} ({len(pools['users'])} accounts)")


if __name__ == "__main__":
    main()
