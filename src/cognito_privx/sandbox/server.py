"""Serve :class:`~cognito_privx.sandbox.emulator.PrivXEmulator` over real HTTP/1.1, with the standard library.

The same core the unit tests drive through ``httpx.MockTransport`` answers here: every method goes to
:meth:`PrivXEmulator.dispatch`; the handler sleeps for ``delay`` (outside the emulator's lock, so a slow answer
does not hold up other connections) and, for ``drop``, shuts the socket down without writing a byte.

- ``ThreadingHTTPServer`` with daemon threads, one per connection; HTTP/1.1 keep-alive; ``Content-Length``
  always set (bodies of HEAD answers are left out, their length stays); request bodies by
  ``Content-Length`` or chunked; ``TCP_NODELAY`` and one write per answer, so keep-alive costs no
  delayed-ACK stalls.
- Quiet: no access log unless ``verbose=True`` (then http.server's usual lines on stderr). A connection the
  client resets is not an error; a bug in the emulator is logged through :mod:`logging` and answered 500.
- :meth:`EmulatorServer.stop` is idempotent and leaves nothing behind: it stops the accept loops, closes the
  listening sockets, shuts down the connections still open (idle keep-alive ones included) and joins the
  threads, so the port can be bound again at once.

Loopback and ``localhost``
--------------------------
:attr:`EmulatorServer.url` says ``http://localhost:<port>`` because AWS accepts ``http`` callback URLs only for
``localhost``. ``localhost`` may resolve to ``::1`` first. Relying on the client to fall back from a refused
``::1`` to ``127.0.0.1`` works with httpx (``socket.create_connection`` tries every address) but not with every
client, costs a refused connect each time, and on a busy machine ``[::1]:<port>`` could belong to another
program, which would then get our requests. Binding ``::`` dual-stack would avoid that but listens on every
interface, exposing an unauthenticated admin API to the network. So for the default host (``127.0.0.1``) and
for ``localhost`` the server binds **two loopback listeners on the same port**, ``127.0.0.1`` and ``::1``. With
an ephemeral port it retries a few times if ``::1`` has that port taken; with an explicit port that is an
``OSError`` (``EADDRINUSE``). A machine without IPv6 on loopback gets the IPv4 listener only (its ``localhost``
cannot mean ``::1`` anyway). Any other host is bound as given, alone.

TLS
---
With ``ssl_context`` (a server-side context holding the certificate, e.g.
``ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)`` plus ``load_cert_chain``) every listener serves HTTPS and
:attr:`EmulatorServer.url` says ``https://localhost:<port>``; the certificate should name ``localhost`` (and
``127.0.0.1`` / ``::1`` for clients that use the address). The accept loop only wraps the socket, which does no
I/O; the handshake runs in the connection's own thread under :data:`_HANDSHAKE_TIMEOUT`, so a client that stalls
or refuses the certificate holds up nobody else. A failed handshake is the client's business (it did not trust
us, or went away): it closes that connection quietly, like any other ``OSError`` on a connection.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import socket
import socketserver
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from cognito_privx.sandbox.emulator import EmulatorResponse, PrivXEmulator

__all__ = ["EmulatorServer"]

_log = logging.getLogger(__name__)

_LOOPBACK_ALIASES = frozenset({"127.0.0.1", "localhost"})
_EPHEMERAL_TRIES = 8  # attempts to find a port free on both 127.0.0.1 and ::1
_POLL_INTERVAL = 0.05  # serve_forever's shutdown poll: stop() answers within this
_JOIN_TIMEOUT = 2.0  # total wait for connection threads at stop(); they are daemons anyway
_HANDSHAKE_TIMEOUT = 10.0  # seconds a client gets to finish the TLS handshake
_MAX_LINE = 65536
# Headers the handler sets itself; the emulator's own values for them are ignored.
_HOP_HEADERS = frozenset({"content-length", "connection", "transfer-encoding", "keep-alive"})


class _BadRequest(Exception):
    """The request cannot be read (bad Content-Length or chunking); answered 400 and the connection closed."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "privx-emulator"
    sys_version = ""
    # http.server writes the headers and the body separately; with Nagle's algorithm on, the small body waits
    # for the client's delayed ACK of the headers: ~40 ms per request on a kept-alive connection. So: no Nagle,
    # and a buffered writer (flushed by handle_one_request) so an answer usually leaves in one segment.
    disable_nagle_algorithm = True
    wbufsize = -1
    server: _Listener

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    def _serve(self) -> None:
        try:
            body = self._read_body()
        except (_BadRequest, ValueError) as e:
            self.close_connection = True
            self._answer(_error(400, "BAD_REQUEST", f"cannot read the request body: {e}"))
            return
        split = urlsplit(self.path)
        query: dict[str, str] = {}
        for key, value in parse_qsl(split.query, keep_blank_values=True):
            query.setdefault(key, value)  # the first value wins, as with httpx.QueryParams
        headers = dict(self.headers.items())
        owner = self.server.owner
        try:
            response = owner.emulator.dispatch(self.command, unquote(split.path), query, headers, body)
        except Exception:  # noqa: BLE001 - the server boundary: a bug in the emulator becomes a logged 500
            _log.exception("PrivX emulator failed on %s %s", self.command, self.path)
            response = _error(500, "GENERAL_ERROR", "internal error in the PrivX emulator")
        if response.delay > 0:
            time.sleep(response.delay)
        if response.drop:
            # Processed, never answered: close without writing, as a server that died mid-request would.
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self._answer(response)

    def _answer(self, response: EmulatorResponse) -> None:
        self.send_response(response.status)
        for name, value in response.headers.items():
            if name.lower() not in _HOP_HEADERS:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        raw = self.headers.get("Content-Length")
        if raw is None:
            return b""
        length = int(raw)
        if length < 0:
            raise _BadRequest("negative Content-Length")
        return self.rfile.read(length)

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        while True:
            line = self.rfile.readline(_MAX_LINE + 1)
            if not line.endswith(b"\n"):
                raise _BadRequest("truncated chunk size line")
            size = int(line.split(b";", 1)[0].strip(), 16)
            if size == 0:
                while self.rfile.readline(_MAX_LINE + 1) not in (b"\r\n", b"\n", b""):
                    pass  # trailers: ignored
                return b"".join(chunks)
            chunk = self.rfile.read(size)
            if len(chunk) != size:
                raise _BadRequest("truncated chunk")
            chunks.append(chunk)
            self.rfile.readline(_MAX_LINE + 1)  # the CRLF after the chunk

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.owner.verbose:
            super().log_message(format, *args)


def _error(status: int, code: str, message: str) -> EmulatorResponse:
    body = {"error_code": code, "error_message": message, "details": []}
    return EmulatorResponse(status, {"Content-Type": "application/json"}, json.dumps(body).encode())


class _Listener(ThreadingHTTPServer):
    """One listening socket. Connection threads are daemons and tracked by the owner, which ends them."""

    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], family: socket.AddressFamily, owner: EmulatorServer, v6only: bool = False
    ) -> None:
        self.address_family = family
        self.owner = owner
        self.v6only = v6only
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        if self.v6only:
            # Exactly ::1; the IPv4 side has its own listener (see the module docstring).
            self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        # Not HTTPServer.server_bind: its socket.getfqdn() is a reverse DNS lookup that can stall start-up.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = super().get_request()
        context = self.owner.ssl_context
        if context is None:
            return sock, address
        try:
            # No handshake here: this is the accept loop. finish_request does it, in the connection's thread.
            return context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), address
        except OSError:
            sock.close()
            raise  # serve_forever skips a connection that failed to be accepted
        except ValueError as e:  # a context that cannot serve; raising it would end the accept loop
            sock.close()
            _log.error("PrivX emulator cannot set up TLS on a connection: %s", e)
            raise OSError(f"cannot set up TLS: {e}") from e

    def finish_request(self, request: Any, client_address: Any) -> None:
        if isinstance(request, ssl.SSLSocket):
            timeout = request.gettimeout()
            request.settimeout(_HANDSHAKE_TIMEOUT)
            request.do_handshake()  # an ssl.SSLError is an OSError: handle_error stays quiet about it
            request.settimeout(timeout)
        super().finish_request(request, client_address)

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self.process_request_thread,
            args=(request, client_address),
            name=f"privx-emulator-conn-{self.server_port}",
            daemon=True,
        )
        self.owner._track(request, thread)
        thread.start()

    def shutdown_request(self, request: Any) -> None:
        self.owner._untrack(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], OSError):
            return  # the client went away (reset, broken pipe, timeout) or stop() shut the socket: not a bug
        super().handle_error(request, client_address)


class EmulatorServer:
    """The emulator on loopback over HTTP/1.1. ``with EmulatorServer(emu) as server: httpx.get(server.url)``.

    ``ssl_context``: serve HTTPS with this server-side context (see "TLS" in the module docstring).
    """

    def __init__(
        self,
        emulator: PrivXEmulator,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        verbose: bool = False,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if ssl_context is not None and ssl_context.protocol == ssl.PROTOCOL_TLS_CLIENT:
            # wrap_socket(server_side=True) would refuse it on the first connection, deep in the accept loop.
            raise ValueError(
                "ssl_context is a client-side context; use ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)"
            )
        self.emulator = emulator
        self.host = host
        self.verbose = verbose
        self.ssl_context = ssl_context
        self._requested_port = port
        self._lock = threading.Lock()
        self._listeners: list[_Listener] = []
        self._serve_threads: list[threading.Thread] = []
        self._connections: dict[Any, threading.Thread] = {}
        self._accepted = 0
        self._port: int | None = None
        self._stopped = False

    # -- lifecycle --------------------------------------------------------------------------------

    def start(self) -> EmulatorServer:
        """Bind and serve in daemon threads; returns self. A no-op when running; a stopped server stays stopped."""
        with self._lock:
            if self._stopped:
                raise RuntimeError("this EmulatorServer was stopped; create a new one")
            if self._listeners:
                return self
            listeners = self._bind()
            self._listeners = listeners
            self._port = listeners[0].server_port
            for listener in listeners:
                thread = threading.Thread(
                    target=listener.serve_forever,
                    kwargs={"poll_interval": _POLL_INTERVAL},
                    name=f"privx-emulator-http-{listener.server_name}-{self._port}",
                    daemon=True,
                )
                thread.start()
                self._serve_threads.append(thread)
        return self

    def stop(self) -> None:
        """Stop serving and free the port; safe to call more than once (and before :meth:`start`)."""
        with self._lock:
            self._stopped = True
            listeners, self._listeners = self._listeners, []
            serve_threads, self._serve_threads = self._serve_threads, []
        for listener in listeners:
            listener.shutdown()  # returns once its serve_forever loop has ended: no more accepts
        for listener in listeners:
            listener.server_close()
        for thread in serve_threads:
            thread.join()
        with self._lock:
            connections = list(self._connections.items())
        for sock, _thread in connections:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)  # wakes a handler blocked reading an idle keep-alive connection
        deadline = time.monotonic() + _JOIN_TIMEOUT
        for _sock, thread in connections:
            thread.join(max(0.0, deadline - time.monotonic()))

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- addresses --------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the server is not started")
        return self._port

    @property
    def url(self) -> str:
        """``http://localhost:<port>`` (AWS accepts plain-http callback URLs only for localhost), or ``https://``
        with an ``ssl_context``."""
        scheme = "https" if self.ssl_context is not None else "http"
        return f"{scheme}://localhost:{self.port}"

    @property
    def addresses(self) -> list[str]:
        """The addresses listened on, e.g. ``["127.0.0.1", "::1"]``."""
        with self._lock:
            return [listener.server_name for listener in self._listeners]

    @property
    def connections_accepted(self) -> int:
        """TCP connections accepted so far (keep-alive tests count them)."""
        with self._lock:
            return self._accepted

    # -- internals --------------------------------------------------------------------------------

    def _bind(self) -> list[_Listener]:
        if self.host not in _LOOPBACK_ALIASES:
            family = socket.getaddrinfo(self.host, self._requested_port, type=socket.SOCK_STREAM)[0][0]
            return [_Listener((self.host, self._requested_port), family, self)]
        for _attempt in range(_EPHEMERAL_TRIES):
            v4 = _Listener(("127.0.0.1", self._requested_port), socket.AF_INET, self)
            try:
                v6 = _Listener(("::1", v4.server_port), socket.AF_INET6, self, v6only=True)
            except OSError as e:
                if e.errno in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT):
                    return [v4]  # no IPv6 loopback here, so localhost cannot mean ::1
                v4.server_close()
                if e.errno != errno.EADDRINUSE or self._requested_port != 0:
                    raise OSError(
                        e.errno, f"[::1]:{v4.server_port} is not available ({e.strerror}); localhost would be ambiguous"
                    ) from e
                continue  # another program has this port on ::1 only: take a new ephemeral port
            return [v4, v6]
        raise OSError(errno.EADDRINUSE, "found no port free on both 127.0.0.1 and ::1")

    def _track(self, sock: Any, thread: threading.Thread) -> None:
        with self._lock:
            self._connections[sock] = thread
            self._accepted += 1

    def _untrack(self, sock: Any) -> None:
        with self._lock:
            self._connections.pop(sock, None)
