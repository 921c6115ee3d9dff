"""Requests per API token per minute, counted in this process.

Deliberately in memory: counting every API request in the database would turn each read into a
write. The price is that the limit holds per web process (gunicorn with N workers lets a token make
up to N times the limit); failures worth remembering across processes (bad tokens, failed logins)
are counted in the database instead (``eoffice.org.throttle``).
"""

from __future__ import annotations

import math
import threading


class PerMinute:
    """Fixed one-minute windows per key."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[int, int]] = {}  # key → (window, requests in it)

    def hit(self, key: str, moment: float) -> int | None:
        """Count a request at ``moment`` (epoch seconds); return the seconds to wait if it is one
        too many, else None. A limit of 0 lets everything through."""
        if not self.limit:
            return None
        window = int(moment // 60)
        with self._lock:
            if len(self._counts) > 10_000:  # forget finished windows now and then
                self._counts = {k: v for k, v in self._counts.items() if v[0] == window}
            seen, count = self._counts.get(key, (window, 0))
            count = count + 1 if seen == window else 1
            self._counts[key] = (window, count)
        if count > self.limit:
            return max(1, math.ceil((window + 1) * 60 - moment))
        return None
