"""A socket server running in a daemon thread on loopback: the lifecycle the sandbox's stand-ins share."""

from __future__ import annotations

import socketserver
import threading
from types import TracebackType
from typing import Self

_POLL_INTERVAL = 0.02  # how often serve_forever looks for a shutdown request: stop() returns within about this


class BackgroundServer:
    """Subclasses build ``self._server``; this starts it in a thread, stops it, and says where it listens.

    :meth:`stop` is idempotent and safe before :meth:`start`; it returns once the accept loop has ended and the
    listening socket is closed (a threading server also waits there for the requests it is still answering).
    """

    _server: socketserver.BaseServer

    def _serve_in_thread(self, name: str) -> None:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": _POLL_INTERVAL}, name=name, daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])  # type: ignore[index]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
