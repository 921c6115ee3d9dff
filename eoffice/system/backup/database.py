"""Consistent database snapshots and all-or-nothing database restores, one way per engine.

SQLite: the online backup API copies the whole database in one step, inside one read
transaction, so the copy is the state of one moment while others keep writing (WAL lets them).
Restoring uses the same API the other way: SQLite writes the destination in one write
transaction, so readers see the old database or the restored one, never a mix.

PostgreSQL: a REPEATABLE READ transaction exports its snapshot (``pg_export_snapshot``), pg_dump
reads under that very snapshot (``--snapshot``), and the same transaction lists the blobs and
counts the rows, so dump, blob list and counts describe one moment. Restoring pipes pg_restore's
SQL into a single psql transaction that first empties the ``public`` schema and ends by checking
every table's row count and the schema revision; any error rolls all of it back (PostgreSQL's DDL
is transactional).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, create_engine, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

from eoffice.system.backup.errors import ArchiveDamaged, BackupError, ToolMissing

TABLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


@dataclass(frozen=True)
class Snapshot:
    """What the dump holds: its schema revision, row counts and the blobs its rows reference."""

    engine: str
    server_version: str
    schema_revision: str
    tables: dict[str, int]
    blobs: list[tuple[str, int]]


def engine_name(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


def take_snapshot(url: str, dest: Path, on_taken: Callable[[], None]) -> Snapshot:
    """Write a consistent dump of the database at ``url`` to ``dest`` and describe it.

    ``on_taken`` is called once the moment of the snapshot is fixed (before PostgreSQL's dump
    runs): what is written after it is not in the backup.
    """
    if engine_name(url) == "sqlite":
        return _snapshot_sqlite(_sqlite_path(url), dest, on_taken)
    return _snapshot_postgres(url, dest, on_taken)


def has_tables(url: str) -> bool:
    """Whether the database at ``url`` exists and holds any table (a restore would replace it)."""
    if engine_name(url) == "sqlite" and not _sqlite_path(url).exists():
        return False
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return bool(inspect(conn).get_table_names())
    finally:
        engine.dispose()


# --- SQLite ---------------------------------------------------------------------------------


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("Chỉ sao lưu được cơ sở dữ liệu SQLite nằm trong tệp")
    return Path(database)


def _snapshot_sqlite(path: Path, dest: Path, on_taken: Callable[[], None]) -> Snapshot:
    if not path.exists():
        raise BackupError("Không tìm thấy cơ sở dữ liệu {path}", params={"path": str(path)})
    source = sqlite3.connect(path, timeout=30)
    target = sqlite3.connect(dest)
    try:
        source.backup(target)  # pages=-1: one step, one read transaction
    finally:
        source.close()
        target.close()
    on_taken()
    return describe_sqlite_file(dest)


def describe_sqlite_file(path: Path) -> Snapshot:
    """Check an SQLite file's integrity and describe it.

    :raises ArchiveDamaged: when it is not a sound SQLite database.
    """
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            check = conn.execute("PRAGMA integrity_check").fetchone()
            if not check or check[0] != "ok":
                raise ArchiveDamaged("Bản sao cơ sở dữ liệu trong tệp sao lưu bị hỏng")
            version = conn.execute("SELECT sqlite_version()").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.DatabaseError as e:
        raise ArchiveDamaged("Bản sao cơ sở dữ liệu trong tệp sao lưu bị hỏng") from e
    engine = create_engine(f"sqlite:///{path}", poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return _describe(conn, "sqlite", f"SQLite {version}")
    finally:
        engine.dispose()


def _restore_sqlite(path: Path, staged: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        # A WAL left beside a missing database would be replayed into the new one.
        for suffix in ("-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".restore-")
        os.close(fd)
        shutil.copyfile(staged, tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
        return
    source = sqlite3.connect(f"file:{staged}?mode=ro", uri=True)
    target = sqlite3.connect(path, timeout=30)
    try:
        source.backup(target)  # one step: one write transaction on the live database
    except sqlite3.Error as e:
        raise BackupError(
            "Không khôi phục được cơ sở dữ liệu ({reason}); dữ liệu hiện có không thay đổi",
            params={"reason": str(e)},
        ) from e
    finally:
        source.close()
        target.close()


# --- PostgreSQL -----------------------------------------------------------------------------


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise ToolMissing(
            "Không tìm thấy lệnh {tool}: cài gói postgresql-client cùng phiên bản với máy chủ",
            params={"tool": name},
        )
    return path


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq connection URI without the password, and the environment that carries it."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    uri = URL.create(
        "postgresql",
        username=parsed.username,
        host=parsed.host,
        port=parsed.port,
        database=parsed.database,
        query=parsed.query,
    )
    return uri.render_as_string(hide_password=False), env


def _snapshot_postgres(url: str, dest: Path, on_taken: Callable[[], None]) -> Snapshot:
    pg_dump = _tool("pg_dump")
    uri, env = _libpq(url)
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn, conn.begin():
            conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            snapshot_id = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            on_taken()
            # The exporting transaction stays open until pg_dump has read everything.
            _run(
                [
                    pg_dump,
                    "--format=custom",
                    "--no-owner",
                    "--no-acl",
                    f"--snapshot={snapshot_id}",
                    f"--file={dest}",
                    f"--dbname={uri}",
                ],
                env,
            )
            version = conn.execute(text("SHOW server_version")).scalar_one()
            return _describe(conn, "postgresql", f"PostgreSQL {version}")
    finally:
        engine.dispose()


def _run(args: list[str], env: dict[str, str]) -> None:
    # The arguments are ours: a tool found on PATH, file paths and the configured database URL.
    result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(
            "{tool} thất bại: {reason}",
            params={"tool": Path(args[0]).name, "reason": result.stderr.strip()[-2000:]},
        )


def check_postgres_dump(dump: Path) -> None:
    """Make sure pg_restore can read the dump's table of contents.

    :raises ArchiveDamaged: when it cannot.
    """
    args = [_tool("pg_restore"), "--list", str(dump)]
    result = subprocess.run(args, capture_output=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise ArchiveDamaged("Bản sao cơ sở dữ liệu trong tệp sao lưu bị hỏng")


def _checks_sql(expected: Snapshot) -> str:
    """A DO block that aborts the restoring transaction unless counts and revision match."""
    lines = ["DO $eoffice$ BEGIN"]
    for table, count in sorted(expected.tables.items()):
        if not TABLE_NAME.match(table):
            raise ArchiveDamaged("Tệp sao lưu có tên bảng không hợp lệ")
        lines.append(
            f'  IF (SELECT count(*) FROM public."{table}") <> {int(count)} THEN '  # noqa: S608
            f"RAISE EXCEPTION 'eoffice restore: table {table} does not hold {int(count)} rows'; "
            "END IF;"
        )
    revision = expected.schema_revision.replace("'", "''")
    lines.append(
        f"  IF (SELECT max(version_num) FROM public.alembic_version) <> '{revision}' THEN "  # noqa: S608
        "RAISE EXCEPTION 'eoffice restore: schema revision differs'; END IF;"
    )
    lines.append("END $eoffice$;")
    return "\n".join(lines) + "\n"


PRELUDE = (
    "SET client_min_messages = warning;\n"
    "DROP SCHEMA IF EXISTS public CASCADE;\n"
    "CREATE SCHEMA public;\n"
    "GRANT USAGE ON SCHEMA public TO PUBLIC;\n"
)


def _restore_postgres(url: str, dump: Path, expected: Snapshot) -> None:
    pg_restore, psql = _tool("pg_restore"), _tool("psql")
    uri, env = _libpq(url)
    with tempfile.TemporaryFile() as restore_err, tempfile.TemporaryFile() as psql_err:
        producer = subprocess.Popen(  # noqa: S603 - our tool, our staged file
            [pg_restore, "--no-owner", "--no-acl", "--file=-", str(dump)],
            stdout=subprocess.PIPE,
            stderr=restore_err,
        )
        consumer = subprocess.Popen(  # noqa: S603 - our tool and the configured database
            [
                psql,
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "--single-transaction",
                "-f",
                "-",
                "-d",
                uri,
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=psql_err,
            env=env,
        )
        pump = threading.Thread(target=_pump, args=(producer, consumer, expected))
        pump.start()
        pump.join()
        produced, consumed = producer.wait(), consumer.wait()
        if produced != 0 or consumed != 0:
            restore_err.seek(0)
            psql_err.seek(0)
            reason = (restore_err.read() + psql_err.read()).decode("utf-8", "replace")
            raise BackupError(
                "Không khôi phục được cơ sở dữ liệu ({reason}); dữ liệu hiện có không thay đổi",
                params={"reason": reason.strip()[-2000:]},
            )


def _pump(producer: subprocess.Popen, consumer: subprocess.Popen, expected: Snapshot) -> None:
    """Feed psql: empty the schema, pg_restore's SQL, then the checks (one transaction)."""
    assert producer.stdout is not None
    assert consumer.stdin is not None
    try:
        consumer.stdin.write(PRELUDE.encode())
        while chunk := producer.stdout.read(1 << 16):
            consumer.stdin.write(chunk)
        if producer.wait() == 0:
            # Without the checks psql would commit what it got; a failed pg_restore must not.
            consumer.stdin.write(_checks_sql(expected).encode())
        else:
            consumer.stdin.write(b"SELECT 1/0; -- pg_restore failed\n")
    except BrokenPipeError:
        pass  # psql stopped on an error; its exit status tells
    finally:
        producer.stdout.close()
        with contextlib.suppress(BrokenPipeError):
            consumer.stdin.close()


# --- both -----------------------------------------------------------------------------------


def restore_database(url: str, staged: Path, expected: Snapshot) -> None:
    """Replace the database at ``url`` with the staged dump, all or nothing."""
    if engine_name(url) == "sqlite":
        _restore_sqlite(_sqlite_path(url), staged)
    else:
        _restore_postgres(url, staged, expected)


def _describe(conn: Connection, engine: str, server_version: str) -> Snapshot:
    names = inspect(conn).get_table_names()
    if "alembic_version" not in names or "blobs" not in names:
        raise BackupError("Cơ sở dữ liệu chưa được khởi tạo (chạy eoffice init-db)")
    revision = conn.execute(text("SELECT max(version_num) FROM alembic_version")).scalar()
    tables = {
        # Names come from the database's own catalogue.
        name: int(conn.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one())  # noqa: S608
        for name in sorted(names)
    }
    blobs = [
        (str(sha), int(size))
        for sha, size in conn.execute(text("SELECT sha256, size FROM blobs ORDER BY sha256"))
    ]
    return Snapshot(engine, server_version, str(revision), tables, blobs)
