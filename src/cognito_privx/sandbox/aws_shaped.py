"""A Cognito stand-in shaped like AWS: moto behind a proxy that adds latency and enforces the UserCreation quota.

moto answers in about a millisecond and never throttles, so concurrency and rate limiting cannot be measured
against it directly (``docs/cognito.md#quotas-and-throttling``: "measure concurrency against a latency- and
quota-shaped stand-in"). This proxy makes every call pay a latency drawn from a range (AWS answers Cognito admin
calls in tens of milliseconds) and holds ``AdminCreateUser`` to ``create_rate`` requests in any one-second window,
answering the excess the way AWS does: HTTP 400 with ``__type: TooManyRequestsException``.

Used by the import benchmark (``benchmarks/``) and by the throttling tests.
"""

from __future__ import annotations

import collections
import http.client
import json
import random
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from cognito_privx.sandbox.background import BackgroundServer

THROTTLED_TARGETS = frozenset({"AdminCreateUser", "SignUp"})  # the UserCreation category


class _SlidingWindow:
    """At most ``limit`` events in any ``window`` seconds."""

    def __init__(self, limit: float, window: float = 1.0) -> None:
        self.limit = limit
        self.window = window
        self._events: collections.deque[float] = collections.deque()
        self._lock = threading.Lock()

    def admit(self) -> bool:
        now = time.monotonic()
        with self._lock:
            while self._events and now - self._events[0] >= self.window:
                self._events.popleft()
            if len(self._events) >= self.limit:
                return False
            self._events.append(now)
            return True


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    # AWS takes a burst of new connections; socketserver's default backlog of 5 resets some of them (seen as
    # "Connection was closed" by a client opening 32 at once).
    request_queue_size = 128

    def handle_error(self, request: object, client_address: object) -> None:
        return  # a client that disconnects mid-request is expected here (tests kill importers)


class AwsShapedProxy(BackgroundServer):
    """Start with ``with AwsShapedProxy(moto_url) as proxy`` and point boto3 at ``proxy.url``."""

    def __init__(
        self,
        upstream: str,
        *,
        latency: tuple[float, float] = (0.05, 0.08),
        create_rate: float = 50.0,
        port: int = 0,
        seed: int | None = None,
    ) -> None:
        parts = urlsplit(upstream)
        self._upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.latency = latency
        self.window = _SlidingWindow(create_rate)
        self._random = random.Random(seed)  # noqa: S311 - latency jitter, not security
        self._local = threading.local()
        self._lock = threading.Lock()
        self.calls: collections.Counter[str] = collections.Counter()
        self.throttled = 0
        self._server = _QuietServer(("127.0.0.1", port), self._handler_class())
        self._serve_in_thread("aws-shaped-proxy")

    def _delay(self) -> float:
        with self._lock:
            return self._random.uniform(*self.latency)

    def _forward(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        conn: http.client.HTTPConnection | None = getattr(self._local, "conn", None)
        for attempt in (1, 2):
            if conn is None:
                conn = http.client.HTTPConnection(*self._upstream, timeout=60)
                self._local.conn = conn
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                return response.status, response.getheaders(), response.read()
            except (http.client.HTTPException, OSError):
                conn.close()
                conn = self._local.conn = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                return

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if len(body) < length:  # the client went away mid-body (a killed import): AWS would never see it
                    self.close_connection = True
                    return
                target = (self.headers.get("X-Amz-Target") or "").rpartition(".")[2]
                time.sleep(proxy._delay())
                with proxy._lock:
                    proxy.calls[target] += 1
                if target in THROTTLED_TARGETS and not proxy.window.admit():
                    with proxy._lock:
                        proxy.throttled += 1
                    payload = json.dumps({"__type": "TooManyRequestsException", "message": "Rate exceeded"}).encode()
                    self._answer(400, [("Content-Type", "application/x-amz-json-1.1")], payload)
                    return
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                status, response_headers, payload = proxy._forward("POST", self.path, headers, body)
                keep = [
                    (k, v)
                    for k, v in response_headers
                    if k.lower() not in ("content-length", "connection", "transfer-encoding", "server", "date")
                ]
                self._answer(status, keep, payload)

            def _answer(self, status: int, headers: list[tuple[str, str]], payload: bytes) -> None:
                self.send_response(status)
                for key, value in headers:
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                try:
                    self.end_headers()
                    self.wfile.write(payload)
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the client went away (a killed import): nothing to answer

            def setup(self) -> None:
                super().setup()
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        return Handler
