"""Real child processes for the fault tests: started, killed with SIGKILL, restarted.

Each process writes its output to a log file, whose tail goes into assertion messages, so a
failure in CI says what the worker or the axis was doing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


class Process:
    """One long-running command (`eoffice worker`, `eoffice vxp-hub`, `eoffice run`)."""

    def __init__(self, args: Sequence[str], env: dict[str, str], log: Path) -> None:
        # Unbuffered: a SIGKILLed process keeps nothing back from its log.
        self.args, self.env, self.log = list(args), {**env, "PYTHONUNBUFFERED": "1"}, log
        self.popen: subprocess.Popen[bytes] | None = None
        self.kills = 0

    @classmethod
    def eoffice(cls, *args: str, env: dict[str, str], log: Path) -> Process:
        return cls([sys.executable, "-m", "eoffice", *args], env, log)

    def start(self) -> Process:
        assert not self.alive, "already running"
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen(self.args, env=self.env, stdout=out, stderr=out)
        return self

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def kill(self) -> None:
        """SIGKILL: no cleanup of any kind runs in the child."""
        if self.alive:
            assert self.popen is not None
            os.kill(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=30)
            self.kills += 1

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it does not go."""
        if self.alive:
            assert self.popen is not None
            os.kill(self.popen.pid, signal.SIGCONT)  # a stopped process would ignore SIGTERM
            self.popen.terminate()
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=20)

    def tail(self, lines: int = 30) -> str:
        if not self.log.exists():
            return ""
        text = self.log.read_text("utf-8", "replace").splitlines()
        return "\n".join(text[-lines:])

    def errors(self, limit: int = 3) -> str:
        """The last ``limit`` tracebacks the process logged, for a failure's message."""
        if not self.log.exists():
            return ""
        blocks = self.log.read_text("utf-8", "replace").split("Traceback (most recent call last)")
        return "\n---\n".join(blocks[1:][-limit:]) or self.tail()


def wait_for(
    check: Callable[[], T], what: str, timeout: float = 180, every: float = 0.3, context=None
) -> T:
    """Poll ``check`` until it returns something true; fail with ``what`` after ``timeout`` s.

    The timeouts only bound a hung test: they are generous, since a machine shared by several
    test runs can be many times slower than an idle one, and nothing is measured with them.

    ``context`` (a callable returning text) is added to the failure message, e.g. log tails.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            extra = f"\n{context()}" if context else ""
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}{extra}")
        time.sleep(every)
