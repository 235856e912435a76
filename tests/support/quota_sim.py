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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from cognito_privx.pacing import AdaptiveRate


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
) -> Sim:
    """Run ``workers`` workers with an endless supply of requests for ``seconds`` simulated seconds.

    ``others``: (rate, from, to): another client (sign-ups) sending evenly at ``rate`` between those times into
    the same quota. ``changes``: (time, new quota rate). ``limiter``: builds the limiter from the clock.
    """
    rng = random.Random(seed)
    s = sim or Sim(quota)
    s.limiter = (limiter or (lambda clock: AdaptiveRate(clock=clock, random=rng.random)))(lambda: s.now)

    queued: collections.deque[int] = collections.deque()  # workers waiting for a slot, first come first served
    pumping = False

    def ask(attempt: int) -> None:
        queued.append(attempt)
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
            send(sent_at, queued.popleft())
        pumping = False

    def send(sent_at: float, attempt: int) -> None:
        if attempt:
            s.resent.append(s.now)
        trip = rng.uniform(*rtt)
        s.at(s.now + trip / 2, lambda: arrive(sent_at, trip, attempt))

    def arrive(sent_at: float, trip: float, attempt: int) -> None:
        ok = s.quota.admit(s.now)
        s.at(s.now + trip / 2, lambda: answer(sent_at, ok, attempt))

    def answer(sent_at: float, ok: bool, attempt: int) -> None:
        if ok:
            s.admitted.append(s.now)
            s.limiter.succeeded()
            ask(0)
            return
        s.throttled.append(s.now)
        s.limiter.throttled(sent_at)
        s.at(s.now + s.limiter.retry_delay(attempt + 1), lambda: ask(attempt + 1))

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
