"""Run the local axis on waitress: threaded HTTP/1.1 that answers `Expect: 100-continue`.

The official client sends `Expect: 100-continue` with getEdoc and updateStatus and stalls
about 3 s per call when no interim `100 Continue` comes; waitress sends it once the headers
are read. waitress is also what serves eoffice's web app, so no new dependency.
"""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Any

from waitress import wasyncore  # type: ignore[import-untyped]
from waitress.server import create_server  # type: ignore[import-untyped]

from vxp_adapter.hub.app import HubApp


def make_server(app: HubApp, host: str = "127.0.0.1", port: int = 8085, threads: int = 8) -> Any:
    """Create (bind) the HTTP server for the hub; `port=0` picks a free port.

    :raises OSError: the address cannot be bound.
    """
    return create_server(
        app,
        host=host,
        port=port,
        threads=threads,
        ident="eoffice-vxp-hub",
        # Above the app's own limit, so that the app answers an oversized request in JSON;
        # waitress's plain-text 413 only stops a body far beyond it.
        max_request_body_size=2 * app.config.max_request_bytes,
        clear_untrusted_proxy_headers=True,
        expose_tracebacks=False,
    )


class BackgroundHub:
    """The hub served from a background thread (tests, demos); a context manager.

    The event loop runs in short rounds and the thread closes its own sockets when told to
    stop: closing them from another thread would race with the loop's select().
    """

    def __init__(self, app: HubApp, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.server = make_server(app, host, port, threads=4)
        self.host: str = self.server.effective_host
        self.port: int = self.server.effective_port
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="vxp-hub", daemon=True)

    @property
    def url(self) -> str:
        """Base URL of the running hub."""
        return f"http://{self.host}:{self.port}"

    def start(self) -> BackgroundHub:
        """Start serving."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        else:
            self._close()

    def _run(self) -> None:
        sockets = self.server._map  # waitress keeps the server's dispatchers here
        while not self._stopping.is_set() and sockets:
            wasyncore.loop(timeout=0.05, map=sockets, count=1)
        self._close()

    def _close(self) -> None:
        self.server.task_dispatcher.shutdown()
        wasyncore.close_all(self.server._map, ignore_all=True)

    def __enter__(self) -> BackgroundHub:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
