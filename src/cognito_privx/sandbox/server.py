"""Serve :class:`~cognito_privx.sandbox.emulator.PrivXEmulator` over HTTP/1.1: a WSGI app on werkzeug's server.

:func:`wsgi_app` puts a WSGI face on the emulator's framework-agnostic core, :meth:`PrivXEmulator.dispatch`.
werkzeug reads the request (bodies by ``Content-Length`` or chunked) and writes the answer (``Content-Length``
always set; a HEAD answer keeps it and leaves the body out). The faults the core returns:

- status: the core answered without processing the request; written like any other answer.
- latency: the app sleeps ``delay`` seconds once the core has returned, outside the emulator's lock, so a
  slow answer holds up no other request.
- drop: the core processed the request; the app shuts the connection's socket down
  (``environ["werkzeug.socket"]``) and raises :class:`ConnectionAbortedError`, which werkzeug's request
  handler takes for a connection the client dropped: it writes nothing, so the client sees the connection
  closed without a status line (httpx raises ``RemoteProtocolError``).

:class:`EmulatorServer` runs it on ``werkzeug.serving.make_server(threaded=True)``: a thread per connection,
and every answer closes its connection (werkzeug turns keep-alive off, as http.server cannot
drain an unread request body before the next request line), so no idle connection is left to track.
Quiet: no access log unless ``verbose=True``; a client that resets, stalls (``read_timeout``) or fails the
TLS handshake is its own business. A bug in the emulator is logged by werkzeug (logger ``werkzeug``) and
answered 500. :meth:`EmulatorServer.stop` is idempotent: it ends the accept loops, closes the listening
sockets (the port can be bound again at once) and waits for the connections still being answered, so no
thread is left behind: a client that connected and never sends holds it up for ``read_timeout`` at most, an
answer slowed by a latency fault for that latency.

Loopback and ``localhost``
--------------------------
:attr:`EmulatorServer.url` says ``http://localhost:<port>`` because AWS accepts ``http`` callback URLs only for
``localhost``. ``localhost`` may resolve to ``::1`` first. Relying on the client to fall back from a refused
``::1`` to ``127.0.0.1`` works with httpx (``socket.create_connection`` tries every address) but not with every
client, costs a refused connect each time, and on a busy machine ``[::1]:<port>`` could belong to another
program, which would then get our requests. Binding ``::`` dual-stack would avoid that but listens on every
interface, exposing an unauthenticated admin API to the network. So for the default host (``127.0.0.1``) and
for ``localhost`` the server binds **two loopback listeners on the same port**, ``127.0.0.1`` and ``::1``
(two werkzeug servers over one app). With an ephemeral port it retries a few times if ``::1`` has that port
taken; with an explicit port that is an ``OSError`` (``EADDRINUSE``). A machine without IPv6 on loopback gets
the IPv4 listener only (its ``localhost`` cannot mean ``::1`` anyway). Any other host is bound as given, alone.
The sockets are bound here and handed to werkzeug (``fd=``): werkzeug itself would ``sys.exit`` on a port in use.

TLS
---
With ``ssl_context`` (a server-side context holding the certificate, e.g.
``ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)`` plus ``load_cert_chain``) every listener serves HTTPS and
:attr:`EmulatorServer.url` says ``https://localhost:<port>``; the certificate should name ``localhost`` (and
``127.0.0.1`` / ``::1`` for clients that use the address). werkzeug wraps the listening socket; its handshake on
accept is turned off, so the handshake runs in the connection's own thread (on the first read, under
``read_timeout``) and a client that stalls or refuses the certificate holds up nobody else.
"""

from __future__ import annotations

import contextlib
import errno
import socket
import ssl
import threading
import time
from types import TracebackType
from typing import TYPE_CHECKING, Any, NoReturn

from werkzeug.serving import BaseWSGIServer, ThreadedWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from cognito_privx.sandbox.background import BackgroundServer
from cognito_privx.sandbox.emulator import PrivXEmulator

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication, WSGIEnvironment

__all__ = ["EmulatorServer", "wsgi_app"]

_LOOPBACK_ALIASES = frozenset({"127.0.0.1", "localhost"})
_EPHEMERAL_TRIES = 8  # attempts to find a port free on both 127.0.0.1 and ::1
DEFAULT_READ_TIMEOUT = 5.0  # seconds a connection may stay silent (TLS handshake included) before it is closed


class _Response(Response):
    default_mimetype = None  # Content-Type only where the emulator sets one, as before


def wsgi_app(emulator: PrivXEmulator) -> WSGIApplication:
    """The emulator as a WSGI app over :meth:`PrivXEmulator.dispatch`; faults as in the module docstring.

    A drop needs werkzeug's server (``environ["werkzeug.socket"]``); elsewhere the app only raises
    :class:`ConnectionAbortedError`.
    """

    @Request.application
    def app(request: Request) -> Response:
        query = request.args.to_dict()  # the first value of a repeated key wins, as with httpx.QueryParams
        headers = dict(request.headers.items())
        r = emulator.dispatch(request.method, request.path, query, headers, request.get_data())
        if r.delay > 0:
            time.sleep(r.delay)
        if r.drop:
            _hang_up(request.environ)
        return _Response(r.body, r.status, r.headers)

    return app


def _hang_up(environ: WSGIEnvironment) -> NoReturn:
    """Close the connection unanswered: shut the socket (so the handler's next read ends the connection), then
    raise what werkzeug's handler treats as a dropped connection (so it writes no answer)."""
    sock = environ.get("werkzeug.socket")
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
    raise ConnectionAbortedError("drop fault: request processed, connection closed without an answer")


def _handler(owner: EmulatorServer) -> type[WSGIRequestHandler]:
    class Handler(WSGIRequestHandler):
        # The status line and headers go out in one write and the body in another; without this the body
        # waits for the client's (delayed) ACK of the first.
        disable_nagle_algorithm = True
        timeout = owner.read_timeout

        def setup(self) -> None:
            owner._count_connection()
            super().setup()

        def log(self, type: str, message: str, *args: Any) -> None:
            # Access lines, timeouts and failed handshakes; bugs go through the server's log, always.
            if owner.verbose:
                super().log(type, message, *args)

    return Handler


def _wsgi_server(
    sock: socket.socket, app: WSGIApplication, handler: type[WSGIRequestHandler], ssl_context: ssl.SSLContext | None
) -> BaseWSGIServer:
    """werkzeug's threaded server on a listening socket (werkzeug serves a duplicate; ``sock`` is closed)."""
    with sock:
        address, port = sock.getsockname()[:2]
        server = make_server(address, port, app, threaded=True, request_handler=handler, fd=sock.fileno())
    # werkzeug makes connection threads daemons, which socketserver's server_close() does not wait for; joinable
    # ones make stop() wait for the answers still going out (a silent client: read_timeout at most).
    if isinstance(server, ThreadedWSGIServer):
        server.daemon_threads = False
    if ssl_context is not None:
        # What make_server(ssl_context=...) does, without the handshake in the accept loop (see "TLS" above).
        server.socket = ssl_context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
        server.ssl_context = ssl_context
    return server


class _Listener(BackgroundServer):
    def __init__(self, server: BaseWSGIServer, name: str) -> None:
        self._server = server
        self._serve_in_thread(name)


class EmulatorServer:
    """The emulator on loopback over HTTP/1.1. ``with EmulatorServer(emu) as server: httpx.get(server.url)``.

    ``ssl_context``: serve HTTPS with this server-side context (see "TLS" in the module docstring).
    ``read_timeout``: how long a connection may stay silent before it is closed.
    """

    def __init__(
        self,
        emulator: PrivXEmulator | None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        verbose: bool = False,
        ssl_context: ssl.SSLContext | None = None,
        read_timeout: float = DEFAULT_READ_TIMEOUT,
        app: WSGIApplication | None = None,
    ) -> None:
        if ssl_context is not None and ssl_context.protocol == ssl.PROTOCOL_TLS_CLIENT:
            # It would be refused on the first connection, deep in the accept loop.
            raise ValueError(
                "ssl_context is a client-side context; use ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)"
            )
        if (emulator is None) == (app is None):
            raise ValueError("serve either an emulator or a WSGI app")
        self.emulator = emulator
        self.app = app  # another WSGI app on the same loopback listeners (the sandbox's hosted-UI stand-in)
        self.host = host
        self.verbose = verbose
        self.ssl_context = ssl_context
        self.read_timeout = read_timeout
        self._requested_port = port
        self._lock = threading.Lock()
        self._listeners: list[_Listener] = []
        self._addresses: list[str] = []
        self._accepted = 0
        self._port: int | None = None
        self._stopped = False

    # -- lifecycle --------------------------------------------------------------------------------

    def start(self) -> EmulatorServer:
        """Bind and serve in background threads; returns self. A no-op when running; a stopped server stays stopped."""
        with self._lock:
            if self._stopped:
                raise RuntimeError("this EmulatorServer was stopped; create a new one")
            if self._listeners:
                return self
            sockets = self._bind()
            app = self.app if self.app is not None else wsgi_app(self.emulator)  # type: ignore[arg-type]
            handler = _handler(self)
            servers: list[BaseWSGIServer] = []
            try:
                for sock in sockets:
                    servers.append(_wsgi_server(sock, app, handler, self.ssl_context))
            except BaseException:
                for server in servers:
                    server.server_close()
                for sock in sockets:
                    sock.close()
                raise
            self._port = servers[0].port
            self._addresses = [str(server.host) for server in servers]
            self._listeners = [
                _Listener(server, f"privx-emulator-{server.host}-{server.port}").start() for server in servers
            ]
        return self

    def stop(self) -> None:
        """Stop serving and free the port; safe to call more than once (and before :meth:`start`)."""
        with self._lock:
            self._stopped = True
            listeners, self._listeners = self._listeners, []
        for listener in listeners:
            listener.stop()  # returns once its accept loop has ended and its connections are answered

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
            return list(self._addresses) if self._listeners else []

    @property
    def connections_accepted(self) -> int:
        """TCP connections accepted so far (every answer closes its connection)."""
        with self._lock:
            return self._accepted

    # -- internals --------------------------------------------------------------------------------

    def _count_connection(self) -> None:
        with self._lock:
            self._accepted += 1

    def _bind(self) -> list[socket.socket]:
        if self.host not in _LOOPBACK_ALIASES:
            family = socket.getaddrinfo(self.host, self._requested_port, type=socket.SOCK_STREAM)[0][0]
            return [socket.create_server((self.host, self._requested_port), family=family)]
        for _attempt in range(_EPHEMERAL_TRIES):
            v4 = socket.create_server(("127.0.0.1", self._requested_port))
            port = v4.getsockname()[1]
            try:
                v6 = socket.create_server(("::1", port), family=socket.AF_INET6)  # IPV6_V6ONLY: exactly ::1
            except OSError as e:
                if e.errno in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT):
                    return [v4]  # no IPv6 loopback here, so localhost cannot mean ::1
                v4.close()
                if e.errno != errno.EADDRINUSE or self._requested_port != 0:
                    raise OSError(
                        e.errno, f"[::1]:{port} is not available ({e.strerror}); localhost would be ambiguous"
                    ) from e
                continue  # another program has this port on ::1 only: take a new ephemeral port
            return [v4, v6]
        raise OSError(errno.EADDRINUSE, "found no port free on both 127.0.0.1 and ::1")
