"""A forward proxy on loopback that inspects TLS, as corporate networks run them: the stand-in for ``HTTPS_PROXY``
and a private CA.

- :class:`InspectingProxy`: answers ``CONNECT host:port`` (RFC 9110 §9.3.6) by terminating TLS itself with a
  certificate for ``host`` issued by its own CA (made by ``trustme`` at test time), then reads the HTTP requests
  inside the tunnel; absolute-URI requests (``GET http://host/path``, RFC 9112 §3.2.2) are answered directly. Every
  request is answered by ``upstream`` (an httpx handler: the in-process stand-ins), and recorded in ``seen``.
  A client that does not trust the proxy's CA fails the handshake, as it does behind a real inspecting proxy.
- ``inspecting_proxy``: the fixture; ``proxy.ca_file`` is the CA bundle to hand to ``AWS_CA_BUNDLE`` and friends.
"""

from __future__ import annotations

import socketserver
import ssl
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme

Upstream = Callable[[httpx.Request], httpx.Response]
_HOP_BY_HOP = {"connection", "proxy-connection", "proxy-authorization", "keep-alive", "transfer-encoding", "te"}


class InspectingProxy:
    """The proxy: ``url`` to put in ``HTTPS_PROXY``, ``ca_file`` (its CA, PEM), ``seen`` (``"CONNECT host:port"``
    and ``"METHOD url"`` lines, in order), ``upstream`` (who answers; replaceable)."""

    def __init__(self, ca_dir: Path, upstream: Upstream | None = None) -> None:
        self.ca = trustme.CA()
        self.ca_file = ca_dir / "inspecting-proxy-ca.pem"
        self.ca.cert_pem.write_to_path(str(self.ca_file))
        self.upstream: Upstream = upstream or (lambda r: httpx.Response(502, text=f"no upstream for {r.url}"))
        self.seen: list[str] = []
        self._contexts: dict[str, ssl.SSLContext] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.proxy = self  # type: ignore[attr-defined]
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def hosts(self) -> set[str]:
        """The hosts a request went to through the proxy (``host`` of ``CONNECT host:port`` or of the URL)."""
        found = set()
        for line in self.seen:
            method, target = line.split(" ", 1)
            found.add(target.rsplit(":", 1)[0] if method == "CONNECT" else httpx.URL(target).host)
        return found

    def context_for(self, host: str) -> ssl.SSLContext:
        """The server-side TLS context presenting a certificate for ``host`` from the proxy's CA."""
        with self._lock:
            if host not in self._contexts:
                ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
                self.ca.issue_cert(host).configure_cert(ctx)
                self._contexts[host] = ctx
            return self._contexts[host]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    tunnel: str | None = None

    @property
    def proxy(self) -> InspectingProxy:
        return self.server.proxy  # type: ignore[attr-defined,no-any-return]

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_CONNECT(self) -> None:
        self.proxy.seen.append(f"CONNECT {self.path}")
        self.send_response(200, "Connection established")
        self.end_headers()
        host = self.path.rsplit(":", 1)[0].strip("[]")
        try:
            self.connection = self.proxy.context_for(host).wrap_socket(self.connection, server_side=True)
        except (ssl.SSLError, OSError):  # the client did not trust our CA: it hangs up, as behind a real proxy
            self.close_connection = True
            return
        self.rfile = self.connection.makefile("rb", self.rbufsize)
        self.wfile = socketserver._SocketWriter(self.connection)  # type: ignore[attr-defined]
        self.tunnel = self.path
        self.close_connection = False

    def _forward(self) -> None:
        if self.tunnel is not None:
            host, _, port = self.tunnel.rpartition(":")
            url = f"https://{host}{'' if port == '443' else ':' + port}{self.path}"
        else:
            url = self.path
        self.proxy.seen.append(f"{self.command} {url.split('?')[0]}")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = [(k, v) for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP]
        request = httpx.Request(self.command, url, headers=headers, content=body)
        try:
            response = self.proxy.upstream(request)
            content = response.read()
        except httpx.HTTPError as e:
            response, content = httpx.Response(502), f"upstream failed: {e}".encode()
        self.send_response(response.status_code)
        for key, value in response.headers.multi_items():
            if key.lower() not in (*_HOP_BY_HOP, "content-length", "content-encoding", "date", "server"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward


@pytest.fixture
def inspecting_proxy(tmp_path: Path) -> Iterator[InspectingProxy]:
    """A TLS-inspecting forward proxy on loopback with its own CA; answers with 502 until ``upstream`` is set."""
    proxy = InspectingProxy(tmp_path)
    yield proxy
    proxy.close()
