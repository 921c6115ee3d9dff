"""A private PostgreSQL cluster for one test, which the test may stop and start at will.

The shared server on 127.0.0.1:5432 serves every other test and engineer: it is never
restarted. This cluster lives in its own directory under /tmp, listens on a free loopback port
and is removed afterwards. initdb refuses to run as root, so as root the server programs run as
the `postgres` system user (through runuser), which owns the directory.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.exchange.test_vxp_e2e import free_port


def postgres_bin() -> Path | None:
    """The newest installed server's bin directory (Debian layout), or None."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parts[-3]))
    return found[-1].parent if found else None


class PrivateCluster:
    """initdb, start, stop (fast or immediate), start again; a context manager."""

    def __init__(self) -> None:
        bindir = postgres_bin()
        if bindir is None:
            raise RuntimeError("PostgreSQL server programs not found under /usr/lib/postgresql")
        self.bin = bindir
        self.port = free_port()
        # Not under pytest's tmp_path: its parents are private to root, and the server runs as
        # the postgres user, who must be able to reach its data directory.
        self.root = Path(tempfile.mkdtemp(prefix="eoffice-pg-"))
        self.data, self.log = self.root / "data", self.root / "server.log"
        self.user = "postgres" if os.geteuid() == 0 else None

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin / program), *args]
        if self.user is not None:
            command = ["runuser", "-u", self.user, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{program} failed: {done.stdout}{done.stderr}\n{self.server_log()}")

    def init(self) -> PrivateCluster:
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self.root.chmod(0o700)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                  "--no-instructions")  # fmt: skip
        return self

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} "
            "-c max_connections=40 -c shared_buffers=16MB"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w",
                  "-t", "60", "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        """``fast``: clients are disconnected; ``immediate``: the server aborts (crash recovery
        at the next start)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def server_log(self) -> str:
        return self.log.read_text("utf-8", "replace")[-3000:] if self.log.exists() else ""

    def __enter__(self) -> PrivateCluster:
        self.init().start()
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(RuntimeError):  # already stopped
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)
