"""Rate limiters: the fixed :class:`TokenBucket` and the :class:`AdaptiveRate` that finds a quota by itself.

A basic: it imports nothing of the product. The user side paces ``AdminCreateUser`` with them
(:mod:`cognito_privx.users.api_engine`; a fixed ``--rate`` through ``PoolUsers.create_limiter``).
"""

from __future__ import annotations

import collections
import math
import threading
import time
from collections.abc import Callable

START_RATE = 50.0  # AWS's default UserCreation quota: where the adaptive rate starts


class TokenBucket:
    """A thread-safe rate limiter: at most ``rate`` acquisitions per second, bursts of ``burst``.

    A burst of 2 lets the bucket absorb the sleep overshoot of waiting threads (with 1, every oversleep is time
    lost for good) while any one-second window still stays under ``rate + 1``.
    """

    def __init__(self, rate: float, burst: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.burst = max(burst, 1.0)
        self._tokens = self.burst
        self._clock = clock
        self._last = clock()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        while True:
            with self._lock:
                now = self._clock()
                self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
                self._last = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                wait_s = (1 - self._tokens) / self.rate
            time.sleep(wait_s)


class AdaptiveRate:
    """A rate limiter that finds the quota by itself (AIMD with a measured cut, like botocore's adaptive mode).

    - **Slow start**: ``start`` requests at once (a per-second quota admits a second's worth), then from ``start``
      requests/s the rate grows ``growth``-fold a second until the first throttle (an overshoot costs
      repeats, not quota: the cut is measured, not guessed).
    - **Cut**: on ``TooManyRequestsException`` the rate becomes what the service admitted over the last
      ``window`` seconds (successes counted here: at saturation, its quota; plus ``margin`` for the answers still
      on their way), at least half the rate in force; throttles of requests sent before the cut are the same
      overshoot and are not cut again. A throttled request costs a repeat, not quota, so erring a little high
      loses less than erring low.
    - **Probe**: ``hold`` seconds after a cut the rate rises again by ``probe`` (a fraction) per second, so a
      raised quota is found and a quota shared with other clients is followed.

    ``ceiling`` (``--rate``) is never exceeded, ``floor`` never undercut. ``clock`` and ``sleep`` are seams.
    """

    def __init__(
        self,
        start: float = START_RATE,
        *,
        ceiling: float | None = None,
        floor: float = 1.0,
        window: float = 1.0,
        hold: float = 0.25,
        probe: float = 0.1,
        margin: float = 0.05,
        growth: float = 4.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if start <= 0 or (ceiling is not None and ceiling <= 0):
            raise ValueError("rates must be positive")
        self.ceiling = ceiling if ceiling is not None else math.inf
        self.floor = min(floor, self.ceiling)
        self.rate = min(start, self.ceiling)
        self.window, self.hold, self.probe, self.margin, self.growth = window, hold, probe, margin, growth
        self.slow_start = True
        self.throttles = 0
        self.cuts = 0
        self._clock, self._sleep = clock, sleep
        now = clock()
        self._last = now
        self._cut_at = -math.inf
        self._tokens = self.rate  # one second's worth at once: a per-second quota admits it, so start with it
        self._ok: collections.deque[float] = collections.deque()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Wait for the next slot; returns the time it was granted (hand it back to :meth:`throttled`)."""
        while True:
            with self._lock:
                now = self._clock()
                self._grow(now)
                # A burst of up to a tenth of a second's requests: a sliding-window quota admits it, and it keeps
                # the threads' sleep overshoot from being lost.
                burst = max(2.0, self.rate / 10)
                self._tokens = min(max(burst, self._tokens), self._tokens + (now - self._last) * self.rate)
                self._last = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return now
                wait_s = (1 - self._tokens) / self.rate
            self._sleep(wait_s)

    def _grow(self, now: float) -> None:
        elapsed = now - self._last
        if elapsed <= 0:
            return
        if self.slow_start:
            self.rate = min(self.ceiling, self.rate * self.growth**elapsed)
        elif now - self._cut_at > self.hold:
            self.rate = min(self.ceiling, self.rate * (1 + self.probe * elapsed))

    def succeeded(self) -> None:
        with self._lock:
            now = self._clock()
            self._ok.append(now)
            while self._ok and now - self._ok[0] > self.window:
                self._ok.popleft()

    def throttled(self, sent_at: float) -> None:
        with self._lock:
            self.throttles += 1
            if sent_at <= self._cut_at:
                return  # the same overshoot the last cut answered
            now = self._clock()
            while self._ok and now - self._ok[0] > self.window:
                self._ok.popleft()
            admitted = len(self._ok) / self.window
            # What was admitted is the quota, less the successes still on their way back: a little above it.
            self.rate = max(self.floor, self.rate / 2, min(self.rate, admitted * (1 + self.margin)))
            self.slow_start = False
            self._cut_at = now
            self._tokens = min(self._tokens, 0.0)
            self.cuts += 1


__all__ = ["START_RATE", "AdaptiveRate", "TokenBucket"]
