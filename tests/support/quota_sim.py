"""A discrete-event simulation of an import against a Cognito quota: simulated time, no sleeping, no threads.

``workers`` simulated workers each take the next request through an :class:`~cognito_privx.pacing.AdaptiveRate`
(its ``try_acquire``: a wait is scheduled, not slept), send it, and get its answer a round trip later; the server's
limiter decides half-way (when the request reaches it). A throttled request is sent again after the limiter's
:meth:`~cognito_privx.pacing.AdaptiveRate.retry_delay`. The limiter shapes are the plausible ones for AWS, which
publishes the quota (requests per second) but neither its burst nor its algorithm
(docs/cognito.md, "Quotas and throttling"): token buckets with small and large bursts, and a sliding window.
"""

from __future__ import annotations

import collections
import heapq
import itertools
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from cognito_privx.pacing import AdaptiveRate
from cognito_privx.users.concurrency import Crew


class Quota(Protocol):
    rate: float

    def admit(self, now: float) -> bool: ...


class BucketQuota:
    """A token bucket: ``rate`` tokens a second, at most ``burst`` held (full at the start)."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst = rate, burst
        self._tokens = burst
        self._last: float | None = None

    def admit(self, now: float) -> bool:
        if self._last is not None:
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
        self._last = now
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        return False


class WindowQuota:
    """At most ``rate`` admitted in any ``window`` seconds (as ``sandbox.aws_shaped``)."""

    def __init__(self, rate: float, window: float = 1.0) -> None:
        self.rate, self.window = rate, window
        self._admitted: collections.deque[float] = collections.deque()

    def admit(self, now: float) -> bool:
        while self._admitted and now - self._admitted[0] >= self.window:
            self._admitted.popleft()
        if len(self._admitted) >= self.rate * self.window:
            return False
        self._admitted.append(now)
        return True


class NoQuota:
    rate = float("inf")

    def admit(self, now: float) -> bool:
        return True


@dataclass
class Sim:
    """The event loop and what it counted. ``admitted``/``throttled``: the import's requests, by answer time."""

    quota: Quota
    limiter: AdaptiveRate = field(init=False)
    now: float = 0.0
    admitted: list[float] = field(default_factory=list)
    throttled: list[float] = field(default_factory=list)
    resent: list[float] = field(default_factory=list)  # when throttled requests went out again
    others_admitted: int = 0
    crew: Crew | None = None  # with ``crew=``: the import's crew, its workers simulated
    row_seconds: list[float] = field(default_factory=list)  # each admitted row's working time (trips, pauses)
    _events: list[tuple[float, int, Callable[[], None]]] = field(default_factory=list)
    _seq: itertools.count[int] = field(default_factory=itertools.count)

    def at(self, t: float, fn: Callable[[], None]) -> None:
        heapq.heappush(self._events, (t, next(self._seq), fn))

    def run(self, until: float) -> None:
        while self._events and self._events[0][0] <= until:
            t, _, fn = heapq.heappop(self._events)
            self.now = t
            fn()
        self.now = until

    def admitted_between(self, start: float, end: float) -> int:
        return sum(1 for t in self.admitted if start <= t < end)


def simulate(
    quota: Quota,
    *,
    seconds: float,
    workers: int = 64,
    rtt: tuple[float, float] = (0.05, 0.07),
    seed: int = 1,
    limiter: Callable[[Callable[[], float]], AdaptiveRate] | None = None,
    others: tuple[float, float, float] | None = None,
    changes: tuple[tuple[float, float], ...] = (),
    sim: Sim | None = None,
    crew: int | None = None,
) -> Sim:
    """Run ``workers`` workers with an endless supply of requests for ``seconds`` simulated seconds.

    ``others``: (rate, from, to): another client (sign-ups) sending evenly at ``rate`` between those times into
    the same quota. ``changes``: (time, new quota rate). ``limiter``: builds the limiter from the clock.
    ``crew``: instead of ``workers``, the import's :class:`~cognito_privx.users.concurrency.Crew` with this
    ceiling (``--workers``) decides how many workers there are, from the rate and each row's measured time (its
    round trips and its pauses before re-sending, not its waits for the limiter), as in the import engine.
    """
    rng = random.Random(seed)
    s = sim or Sim(quota)
    s.limiter = (limiter or (lambda clock: AdaptiveRate(clock=clock, random=rng.random)))(lambda: s.now)

    # Workers waiting for a slot, first come first served: (attempt, the row's working seconds so far).
    queued: collections.deque[tuple[int, float]] = collections.deque()
    pumping = False

    def ask(attempt: int, work: float = 0.0) -> None:
        queued.append((attempt, work))
        if not pumping:
            pump()

    def pump() -> None:
        """Slots to the waiting workers in turn: one waiter asks the limiter at a time (threads all asking would
        get the same slots in some order: the same rate, many more events)."""
        nonlocal pumping
        while queued:
            sent_at, wait = s.limiter.try_acquire()
            if wait > 0:
                pumping = True
                s.at(s.now + wait, pump)
                return
            send(sent_at, *queued.popleft())
        pumping = False

    def send(sent_at: float, attempt: int, work: float) -> None:
        if attempt:
            s.resent.append(s.now)
        trip = rng.uniform(*rtt)
        s.at(s.now + trip / 2, lambda: arrive(sent_at, trip, attempt, work + trip))

    def arrive(sent_at: float, trip: float, attempt: int, work: float) -> None:
        ok = s.quota.admit(s.now)
        s.at(s.now + trip / 2, lambda: answer(sent_at, ok, attempt, work))

    def answer(sent_at: float, ok: bool, attempt: int, work: float) -> None:
        if ok:
            s.admitted.append(s.now)
            s.row_seconds.append(work)
            s.limiter.succeeded()
            if s.crew is not None:
                s.crew.record(work)  # may start workers (SimCrew._start)
            ask(0)
            return
        s.throttled.append(s.now)
        s.limiter.throttled(sent_at)
        pause = s.limiter.retry_delay(attempt + 1)
        s.at(s.now + pause, lambda: ask(attempt + 1, work + pause))

    if crew is not None:
        s.crew = SimCrew(lambda: s.at(s.now, lambda: ask(0)), ceiling=crew, rate=lambda: s.limiter.rate)
        s.crew.grow()
    else:
        for _ in range(workers):
            s.at(s.now, lambda: ask(0))
    if others is not None:
        rate, begin, end = others

        def other() -> None:
            if s.now < end:
                s.others_admitted += s.quota.admit(s.now)
                s.at(s.now + 1 / rate, other)

        s.at(begin, other)
    for when, new_rate in changes:

        def change(new_rate: float = new_rate) -> None:
            s.quota.rate = new_rate

        s.at(when, change)
    s.run(s.now + seconds)
    return s


class SimCrew(Crew):
    """The import's :class:`~cognito_privx.users.concurrency.Crew`, its threads simulated: starting one schedules
    a simulated worker (``spawn``), so the crew's own sizing (Little's law, its headroom) is what is tested."""

    def __init__(self, spawn: Callable[[], None], *, ceiling: int, rate: Callable[[], float]) -> None:
        super().__init__(lambda: None, ceiling=ceiling, rate=rate)
        self._spawn = spawn

    def _start(self) -> threading.Thread:
        self._spawn()
        return threading.Thread(target=lambda: None)  # a stand-in, never started: the worker is simulated
