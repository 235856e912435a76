"""A Cognito stand-in shaped like AWS: moto behind a proxy that adds latency and enforces the UserCreation quota.

moto answers in about a millisecond and never throttles, so concurrency and rate limiting cannot be measured
against it directly (``docs/cognito.md#quotas-and-throttling``: "measure concurrency against a latency- and
quota-shaped stand-in"). This proxy makes every call pay a latency drawn from a range (AWS answers Cognito admin
calls in tens of milliseconds) and holds ``AdminCreateUser`` and ``SignUp`` (the UserCreation category of
https://docs.aws.amazon.com/cognito/latest/developerguide/quotas.html) to ``create_rate`` requests a second,
answering the excess the way AWS does: HTTP 400 with ``__type: TooManyRequestsException``.

AWS documents the quota as requests per second but not how it counts them (how large a burst it admits), so the
limiter comes in several shapes (``limiter=``), and a client must do well against each:

- ``"window"``: at most ``create_rate`` admissions in any one-second window (a burst of a whole second's worth,
  then nothing until the window slides);
- ``"small-burst"``: a token bucket refilled at ``create_rate`` a second holding ``SMALL_BURST_S`` seconds' worth
  (at least 2): steady pacing admitted, bunching refused;
- ``"large-burst"``: a token bucket holding one second's worth (``burst`` overrides either bucket's size).

Each request is admitted or refused half-way through its latency (the request's trip out), and answered when the
whole latency has passed (or moto's answer arrived, if later). The proxy is one asyncio event loop in a daemon
thread: requests wait without holding a thread, HTTP/1.1 is parsed by ``h11`` with keep-alive both ways, so the
instrument carries several hundred creates a second on two cores (``benchmarks/import_users.py`` prints its
ceiling). ``upstream=None`` is the *null backend*: creates answered by the proxy itself, without moto, for the
instrument-ceiling figure only (nothing is stored; every other target is refused).

Used by the import benchmark (``benchmarks/``) and by the throttling tests.
"""

from __future__ import annotations

import asyncio
import collections
import json
import random
import socket
import threading
import time
import uuid
from collections.abc import Mapping
from types import TracebackType
from typing import Literal, Self
from urllib.parse import urlsplit

import h11

THROTTLED_TARGETS = frozenset({"AdminCreateUser", "SignUp"})  # the UserCreation category
UPSTREAM_CONNECTIONS = 8
SMALL_BURST_S = 0.05  # the small bucket holds this many seconds' worth of the quota (at least 2 requests)
LimiterShape = Literal["window", "small-burst", "large-burst"]
LIMITER_SHAPES: tuple[LimiterShape, ...] = ("window", "small-burst", "large-burst")
_THROTTLED = json.dumps({"__type": "TooManyRequestsException", "message": "Rate exceeded"}).encode()
_JSON = "application/x-amz-json-1.1"
_HOP_BY_HOP = frozenset({b"host", b"connection", b"content-length", b"transfer-encoding", b"keep-alive"})
_DROPPED_ANSWER_HEADERS = frozenset({b"content-length", b"connection", b"transfer-encoding", b"server", b"date"})


class SlidingWindow:
    """At most ``limit`` admissions in any ``window`` seconds; refused requests are not counted."""

    def __init__(self, limit: float, window: float = 1.0) -> None:
        self.limit = limit
        self.window = window
        self._events: collections.deque[float] = collections.deque()

    def set_rate(self, rate: float, now: float | None = None) -> None:
        """A new quota from now on (admissions already in the window still count)."""
        self.limit = rate

    def admit(self, now: float) -> bool:
        """Whether a request arriving at ``now`` (monotonic seconds) is admitted."""
        while self._events and now - self._events[0] >= self.window:
            self._events.popleft()
        if len(self._events) >= self.limit:
            return False
        self._events.append(now)
        return True


class TokenBucket:
    """``rate`` tokens a second into a bucket of ``burst`` tokens, full at the start; a request takes one."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = burst
        self._tokens = burst
        self._last: float | None = None

    def set_rate(self, rate: float, now: float | None = None) -> None:
        """A new refill rate from ``now`` on (default: the clock); tokens accrued until then are kept."""
        self._refill(time.monotonic() if now is None else now)
        self.rate = rate

    def _refill(self, now: float) -> None:
        if self._last is not None and self.rate != float("inf"):
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
        self._last = now

    def admit(self, now: float) -> bool:
        """Whether a request arriving at ``now`` (monotonic seconds) is admitted."""
        if self.rate == float("inf"):
            return True
        self._refill(now)
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False


def make_limiter(shape: LimiterShape, rate: float, burst: float | None = None) -> SlidingWindow | TokenBucket:
    """The quota ``rate`` (requests/s) in the given shape; ``burst`` (requests) overrides a bucket's size."""
    if shape == "window":
        return SlidingWindow(rate)
    if shape == "small-burst":
        return TokenBucket(rate, burst if burst is not None else max(2.0, rate * SMALL_BURST_S))
    if shape == "large-burst":
        return TokenBucket(rate, burst if burst is not None else max(1.0, rate))
    raise ValueError(f"unknown limiter shape {shape!r}: one of {', '.join(LIMITER_SHAPES)}")


_Answer = tuple[int, list[tuple[bytes, bytes]], bytes]  # status, headers, body


class _Upstream:
    """Keep-alive HTTP/1.1 connections to moto, reused one request at a time: at most ``UPSTREAM_CONNECTIONS``
    (moto serialises requests behind one lock anyway; more would only add threads contending for it)."""

    def __init__(self, host: str, port: int) -> None:
        self._address = (host, port)
        self._slots = asyncio.Semaphore(UPSTREAM_CONNECTIONS)
        self._host = f"{host}:{port}".encode()
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, h11.Connection]] = []

    async def request(self, path: bytes, headers: list[tuple[bytes, bytes]], body: bytes) -> _Answer:
        async with self._slots:
            return await self._request(path, headers, body)

    async def _request(self, path: bytes, headers: list[tuple[bytes, bytes]], body: bytes) -> _Answer:
        for attempt in (1, 2):
            fresh = not self._idle
            if fresh:
                reader, writer = await asyncio.open_connection(*self._address)
                writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                conn = h11.Connection(h11.CLIENT)
            else:
                reader, writer, conn = self._idle.pop()
            try:
                answer = await self._exchange(reader, writer, conn, path, headers, body)
            except (OSError, h11.ProtocolError, EOFError):
                writer.close()
                if fresh or attempt == 2:
                    raise
                continue  # a kept-alive connection moto closed meanwhile: once more on a new one
            if conn.our_state is h11.DONE and conn.their_state is h11.DONE:
                conn.start_next_cycle()
                self._idle.append((reader, writer, conn))
            else:
                writer.close()
            return answer
        raise AssertionError("unreachable")

    async def _exchange(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        conn: h11.Connection,
        path: bytes,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
    ) -> _Answer:
        all_headers = [(b"host", self._host), *headers, (b"content-length", b"%d" % len(body))]
        writer.write(conn.send(h11.Request(method=b"POST", target=path, headers=all_headers)) or b"")
        writer.write(conn.send(h11.Data(data=body)) or b"")
        writer.write(conn.send(h11.EndOfMessage()) or b"")
        await writer.drain()
        status: int = 0
        answer_headers: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                data = await reader.read(65536)
                if not data:
                    raise EOFError
                conn.receive_data(data)
            elif isinstance(event, h11.Response):
                status, answer_headers = event.status_code, list(event.headers)
            elif isinstance(event, h11.Data):
                chunks.append(bytes(event.data))
            elif isinstance(event, h11.EndOfMessage):
                return status, answer_headers, b"".join(chunks)
            elif isinstance(event, h11.ConnectionClosed):
                raise EOFError


class AwsShapedProxy:
    """Start with ``with AwsShapedProxy(moto_url) as proxy`` and point boto3 at ``proxy.url``.

    ``latency``: (low, high) seconds, each call's drawn uniformly; ``latency_of``: the range for the named
    targets instead (``{"AdminCreateUser": (0.5, 1.0)}``: slow creates after quick reads); ``create_rate``: the
    UserCreation quota, requests/s (``float("inf")``: none); ``limiter``/``burst``: its shape (module docstring);
    ``upstream=None``: the null backend. ``calls`` counts requests by target (throttled ones included), ``throttled``
    the refused creates, ``admitted_at`` the arrival times of the admitted ones; ``log`` every request as (received,
    answered, target, status): ``time.monotonic()`` seconds when the proxy read it whole and when it answered (a
    request timeline).
    """

    def __init__(
        self,
        upstream: str | None,
        *,
        latency: tuple[float, float] = (0.05, 0.08),
        latency_of: Mapping[str, tuple[float, float]] | None = None,
        create_rate: float = 50.0,
        limiter: LimiterShape = "window",
        burst: float | None = None,
        port: int = 0,
        seed: int | None = None,
    ) -> None:
        self._upstream_address: tuple[str, int] | None = None
        if upstream is not None:
            parts = urlsplit(upstream)
            self._upstream_address = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.latency = latency
        self.latency_of = dict(latency_of or {})
        self.limiter = make_limiter(limiter, create_rate, burst)
        self._random = random.Random(seed)  # noqa: S311 - latency jitter, not security
        self.calls: collections.Counter[str] = collections.Counter()
        self.throttled = 0
        self.admitted_at: list[float] = []  # when each admitted create arrived (time.monotonic()): its pace
        self.log: list[tuple[float, float, str, int]] = []  # (received, answered, target, status): the timeline
        self._sock = socket.create_server(("127.0.0.1", port), backlog=512)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="aws-shaped-proxy", daemon=True)
        self._started = False
        self._closed = asyncio.Event()

    @property
    def port(self) -> int:
        return int(self._sock.getsockname()[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def set_create_rate(self, rate: float) -> None:
        """Change the quota mid-run (AWS raises and lowers quotas on request, and sign-ups share this one)."""

        async def apply() -> None:
            self.limiter.set_rate(rate)

        if self._thread.is_alive():  # the limiter belongs to the loop's thread: change it there, and wait
            asyncio.run_coroutine_threadsafe(apply(), self._loop).result(timeout=30)
        else:
            self.limiter.set_rate(rate)

    def start(self) -> Self:
        self._started = True
        self._thread.start()
        return self

    def stop(self) -> None:
        """Idempotent; returns once the loop has ended and the listening socket is closed."""
        if self._started and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._closed.set)
            self._thread.join()
        self._sock.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- the event loop ------------------------------------------------------------------------------------------

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._main())
        finally:
            self._loop.close()

    async def _main(self) -> None:
        self._upstream = _Upstream(*self._upstream_address) if self._upstream_address else None
        server = await asyncio.start_server(self._serve, sock=self._sock, backlog=512)
        await self._closed.wait()
        server.close()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn = h11.Connection(h11.SERVER)
        try:
            while True:
                request = await self._read_request(reader, conn)
                if request is None:
                    return  # closed, or closed mid-request (a killed client): AWS would never see it
                status, headers, payload = await self._answer(*request)
                headers = [*headers, (b"content-length", b"%d" % len(payload))]
                writer.write(conn.send(h11.Response(status_code=status, headers=headers)) or b"")
                writer.write(conn.send(h11.Data(data=payload)) or b"")
                writer.write(conn.send(h11.EndOfMessage()) or b"")
                await writer.drain()
                if conn.our_state is not h11.DONE or conn.their_state is not h11.DONE:
                    return
                conn.start_next_cycle()
        except (OSError, h11.ProtocolError, asyncio.CancelledError):
            return  # a client that disconnects mid-request is expected here (tests kill importers)
        finally:
            writer.close()

    @staticmethod
    async def _read_request(
        reader: asyncio.StreamReader, conn: h11.Connection
    ) -> tuple[bytes, list[tuple[bytes, bytes]], bytes] | None:
        target, headers, chunks = b"", [], []
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                data = await reader.read(65536)
                conn.receive_data(data)  # b"" is end of stream: h11 then yields ConnectionClosed or raises
            elif isinstance(event, h11.Request):
                target, headers = bytes(event.target), list(event.headers)
            elif isinstance(event, h11.Data):
                chunks.append(bytes(event.data))
            elif isinstance(event, h11.EndOfMessage):
                return target, headers, b"".join(chunks)
            else:
                return None  # ConnectionClosed

    async def _answer(
        self, path: bytes, headers: list[tuple[bytes, bytes]], body: bytes
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        started = time.monotonic()
        amz_target = next((v for k, v in headers if k == b"x-amz-target"), b"").decode("latin-1")
        target = amz_target.rpartition(".")[2]
        delay = self._random.uniform(*self.latency_of.get(target, self.latency))
        self.calls[target] += 1
        await asyncio.sleep(delay / 2)  # the request's trip to AWS: admitted or refused on arrival
        arrived = time.monotonic()
        throttled = target in THROTTLED_TARGETS and not self.limiter.admit(arrived)
        if throttled:
            self.throttled += 1
            status, answer_headers, payload = 400, [(b"content-type", _JSON.encode())], _THROTTLED
        elif self._upstream is None:
            status, answer_headers, payload = _null_backend(target, body)
        else:
            forwarded = [(k, v) for k, v in headers if k not in _HOP_BY_HOP]
            status, raw, payload = await self._upstream.request(path, forwarded, body)
            answer_headers = [(k, v) for k, v in raw if k.lower() not in _DROPPED_ANSWER_HEADERS]
        if target in THROTTLED_TARGETS and not throttled:
            self.admitted_at.append(arrived)
        remaining = started + delay - time.monotonic()
        if remaining > 0:
            await asyncio.sleep(remaining)  # the answer's trip back
        self.log.append((started, time.monotonic(), target, status))
        return status, answer_headers, payload


def _null_backend(target: str, body: bytes) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """AdminCreateUser answered as Cognito would for a new user (nothing stored): the instrument-ceiling backend."""
    headers = [(b"content-type", _JSON.encode())]
    if target != "AdminCreateUser":
        error = {"__type": "InvalidParameterException", "message": f"the null backend answers no {target}"}
        return 400, headers, json.dumps(error).encode()
    request = json.loads(body or b"{}")
    now = time.time()
    user = {
        "Username": str(uuid.uuid4()),
        "Attributes": request.get("UserAttributes", []),
        "UserCreateDate": now,
        "UserLastModifiedDate": now,
        "Enabled": True,
        "UserStatus": "FORCE_CHANGE_PASSWORD",
    }
    return 200, headers, json.dumps({"User": user}).encode()
