"""Rate limiters: the fixed :class:`TokenBucket` and the :class:`AdaptiveRate` that finds a quota by itself.

A basic: it imports nothing of the product. The user side paces ``AdminCreateUser`` with them
(:mod:`cognito_privx.users.api_engine`; a fixed ``--rate`` through ``PoolUsers.create_limiter``).
"""

from __future__ import annotations

import bisect
import collections
import math
import random as _random_module
import threading
import time
from collections.abc import Callable

_random = _random_module.Random()  # noqa: S311 - jitter only, not security
START_RATE = 50.0  # AWS's default UserCreation quota: where the adaptive rate starts
ASKERS = 4  # waiters asking a limiter for the next slot at once (the rest wait without waking up)


class _Askers:
    """A limiter's waiters asking for a slot: at most :data:`ASKERS` at once (the others wait on :attr:`turnstile`
    without running), each sleeping until its own slot: the next one plus one for each asker asleep before it.
    ``lock`` is the limiter's own (the count of sleepers is kept under it)."""

    def __init__(self, lock: threading.Lock) -> None:
        self.turnstile = threading.Semaphore(ASKERS)
        self._lock = lock
        self._asleep = 0

    def sleep(self, wait_s: float, rate: float, sleep: Callable[[float], None]) -> None:
        """Sleep ``wait_s`` seconds (until the next slot at ``rate`` per second) plus a slot per asker asleep."""
        with self._lock:
            wait_s += self._asleep / rate
            self._asleep += 1
        try:
            sleep(wait_s)
        finally:
            with self._lock:
                self._asleep -= 1


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
        self._askers = _Askers(self._lock)

    def acquire(self) -> None:
        """Wait for a token: at most :data:`ASKERS` waiters at a time ask (the others wait on a semaphore, not in a
        loop of wake-ups), each sleeping until the token after those of the askers asleep before it."""
        with self._askers.turnstile:
            while True:
                with self._lock:
                    now = self._clock()
                    self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
                    self._last = now
                    if self._tokens >= 1:
                        self._tokens -= 1
                        return
                    wait_s = (1 - self._tokens) / self.rate
                self._askers.sleep(wait_s, self.rate, time.sleep)


class AdmittedRate:
    """What the service admitted, per second: successes in the last ``window`` seconds over the time actually covered.

    Early in a run the window is not full: ``n`` answers since the first one at ``t0`` measure ``(n - 1) / (now - t0)``
    (the first answer opens the span, it is not inside it), never ``n / window`` (a 1-s window read 0.1 s into the
    run would under-read ten times) and never before ``min_span`` seconds of answers (``None``: not known yet).
    Not thread-safe by itself: :class:`AdaptiveRate` holds its lock around it.
    """

    def __init__(self, window: float = 1.0, min_span: float = 0.1) -> None:
        self.window, self.min_span = window, min_span
        self._times: collections.deque[float] = collections.deque()
        self._first: float | None = None
        self.last: float | None = None  # the time of the latest success

    def record(self, now: float) -> None:
        if self._first is None:
            self._first = now
        self._times.append(now)
        self.last = now
        self._trim(now)

    def rate(self, now: float, window: float | None = None) -> float | None:
        """Successes per second over the last ``window`` (at most the meter's) seconds up to ``now`` (``None``
        before ``min_span``)."""
        if self._first is None:
            return None
        self._trim(now)
        window = self.window if window is None else min(window, self.window)
        young = now - self._first < window
        span = now - self._first if young else window
        if span < self.min_span:
            return None
        if window == self.window:
            n = len(self._times)
        else:
            n = len(self._times) - bisect.bisect_right(self._times, now - window)
        return max(0, n - young) / span

    def latest(self, now: float, count: int) -> float | None:
        """Successes per second over the time since the ``count``-th latest one (``None``: fewer in the window):
        a reading whose span shrinks as the rate grows (``count`` answers: the same relative noise at any rate)."""
        self._trim(now)
        if len(self._times) < max(2, count) or now <= self._times[-count]:
            return None
        return (count - 1) / (now - self._times[-count])

    def at_last(self) -> float | None:
        """What was admitted per second when the work ended: the successes in the window that ends at the latest
        one, counted between the first and the last of them, ``(n - 1) / (last - first)`` (a steady 20/s holds 21
        successes in a closed 1-s window: ``n / window`` would read 21/s); ``None`` before ``min_span``."""
        if self.last is None:
            return None
        self._trim(self.last)
        if len(self._times) < 2 or self.last - self._times[0] < self.min_span:
            return self.rate(self.last)
        return (len(self._times) - 1) / (self.last - self._times[0])

    def _trim(self, now: float) -> None:
        while self._times and now - self._times[0] > self.window:
            self._times.popleft()


class AdaptiveRate:
    """A rate limiter that finds the quota by itself from what the service admitted (after botocore's adaptive
    retry mode, ``botocore/retries/adaptive.py``: a token bucket whose rate follows a CUBIC curve, cut on
    throttling, never above twice the measured rate).

    - **Start** (slow start, until the first throttle): ``start`` requests/s with a burst of a few requests
      (``burst_s`` seconds' worth, at least 2: no second's worth at once: AWS does not publish its burst), growing
      at most ``growth``-fold a second and never beyond ``cap`` times what the latest ``latest_count`` answers
      admitted (:meth:`AdmittedRate.latest`): as TCP's slow start, the rate doubles about once per round trip
      (50/s to 400/s in ~0.5 s at 60 ms, ~1 s at 150 ms; a 1-s window lags a ramp: at 4x a second under it,
      400/s took 1.5-1.9 s). Above ``cap`` times the window's reading the rate holds only while the latest
      answers justify it, so a rate that nothing uses never climbs on a lucky bunch of answers.
    - **Cap**: the rate never grows beyond ``cap`` times what the service admitted over the last ``window``
      seconds (:class:`AdmittedRate`, over the time actually elapsed), nor beyond ``start`` while nothing is known:
      a rate that nothing uses never grows (botocore: ``_MAX_RATE_ADJUST_SCALE = 2.0``). After the first throttle
      the cap stops a rise; it does not cut (a second without answers, a stalled round trip, is not a quota: only
      throttles cut); in slow start it brings the rate back to ``cap`` times the window's reading at most.
    - **Cut**: on ``TooManyRequestsException`` the quota estimate ``w_max`` becomes what was admitted (at
      saturation, the quota), at most the rate in force, and the rate ``beta`` of it, at least ``1 - max_cut`` of
      the rate in force: every cut lowers the rate. Throttles of requests sent before the cut are the same
      overshoot and are not cut again.
    - **Recovery**: CUBIC (RFC 9438) around ``w_max``: ``w_max * (1 + c * (t - k) ** 3)`` seconds ``t`` after the
      cut, ``k = cbrt((1 - beta) / c)``: back to ``w_max`` in ``k`` seconds, flat near it, then ever faster above
      it, so a raised quota (or one a competing client stopped using) is found. Unlike botocore's absolute
      constant (0.4 requests/s per s³), ``c`` is relative: the pace grows with the quota.
    - **Re-sends**: :meth:`retry_delay` spreads a throttled request's next attempt ("full jitter", AWS
      Architecture Blog, "Exponential Backoff And Jitter"), so throttled workers do not all come back at once.

    ``ceiling`` (``--rate``) is never exceeded, ``floor`` never undercut. ``clock``, ``sleep`` and ``random`` are
    seams (the tests run it on a simulated clock).
    """

    def __init__(
        self,
        start: float = START_RATE,
        *,
        ceiling: float | None = None,
        floor: float = 1.0,
        window: float = 1.0,
        cut_window: float = 0.5,
        hold: float = 0.2,
        growth: float = 64.0,
        cap: float = 2.0,
        latest_count: int = 16,
        beta: float = 0.9,
        c: float = 0.1,
        max_cut: float = 0.5,
        burst_s: float = 0.01,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        random: Callable[[], float] = _random.random,
    ) -> None:
        if start <= 0 or (ceiling is not None and ceiling <= 0):
            raise ValueError("rates must be positive")
        self.ceiling = ceiling if ceiling is not None else math.inf
        self.floor = min(floor, self.ceiling)
        self.start = min(start, self.ceiling)
        self.rate = self.start
        self.cut_window, self.hold, self.latest_count = cut_window, hold, latest_count
        self.growth, self.cap, self.beta, self.c, self.max_cut, self.burst_s = growth, cap, beta, c, max_cut, burst_s
        self.k = (1 - beta) / c if c > 0 else 0.0
        self.k = self.k ** (1 / 3)
        self.slow_start = True
        self.throttles = 0
        self.cuts = 0
        self.w_max: float | None = None
        self.admitted = AdmittedRate(window)
        self._clock, self._sleep, self._random = clock, sleep, random
        now = clock()
        self._last = now
        self._cut_at = -math.inf
        self._tokens = self._burst()
        self._lock = threading.Lock()
        self._askers = _Askers(self._lock)

    def _burst(self) -> float:
        return max(2.0, self.rate * self.burst_s)

    def acquire(self) -> float:
        """Wait for the next slot; returns the time it was granted (hand it back to :meth:`throttled`).

        At most :data:`ASKERS` waiters at a time ask for a slot (:class:`_Askers`); the others wait on that
        semaphore without running. Every waiter sleeping until "the next token" and all waking for it woke each of
        them once per token: 100 waiters at 400/s were ~40,000 wake-ups a second, more CPU than the calls. One
        asker alone would make every slot wait for a hand-off to the next thread (a wake-up, then the GIL). An asker
        sleeps until its own slot: the next one plus one for each asker asleep before it (all sleeping until "the
        next slot" woke every asker for each slot, and all but one went back to sleep: at 400/s, ~4 wake-ups a
        slot). A slot is still granted only by :meth:`try_acquire`, on waking: a cut meanwhile is obeyed.
        """
        with self._askers.turnstile:
            while True:
                granted, wait_s = self.try_acquire()
                if wait_s <= 0:
                    return granted
                self._askers.sleep(wait_s, self.rate, self._sleep)

    def try_acquire(self) -> tuple[float, float]:
        """A slot now if there is one: ``(now, 0.0)``; else ``(now, seconds to wait before asking again)``."""
        with self._lock:
            now = self._clock()
            self._update(now)
            self._tokens = min(self._burst(), self._tokens + (now - self._last) * self.rate)
            self._last = now
            if self._tokens >= 1 - 1e-9:  # rounding: a wait too short for the clock to show is no wait
                self._tokens -= 1
                return now, 0.0
            return now, (1 - self._tokens) / self.rate

    def _update(self, now: float) -> None:
        """The rate at ``now``: grown (slow start) or on the CUBIC curve, within the cap, ceiling and floor."""
        if self.slow_start:
            elapsed = max(0.0, now - self._last)
            rate = self.rate * self.growth ** min(elapsed, 10.0)
        else:
            assert self.w_max is not None
            t = min(now - self._cut_at, 60.0)  # far beyond any cap; keeps the cube finite
            rate = self.w_max * (1 + self.c * (t - self.k) ** 3)
        rate = min(self.ceiling, rate)
        admitted = self.admitted.rate(now)
        cap = self.start if admitted is None else self.cap * admitted
        if self.slow_start:
            # The ramp: the latest answers show the rate the ramp reached a round trip ago (the 1-s window lags
            # it); above twice what the window admitted the rate holds only while the latest answers justify it.
            latest = self.admitted.latest(now, self.latest_count)
            fast_cap = cap if latest is None else max(cap, self.cap * latest)
            rate = max(min(self.rate, max(cap, self.start)), min(rate, fast_cap))
        elif rate > self.rate:  # growth only up to the cap: it stops a rise, it never cuts (a stall is no quota)
            rate = max(self.rate, min(rate, cap))
        self.rate = max(self.floor, rate)

    def succeeded(self) -> None:
        """A paced request was admitted (answered, not throttled)."""
        with self._lock:
            self.admitted.record(self._clock())

    def throttled(self, sent_at: float) -> None:
        """A request sent at ``sent_at`` (from :meth:`acquire`) was throttled: cut, once per overshoot."""
        with self._lock:
            self.throttles += 1
            if sent_at <= self._cut_at + self.hold:
                return  # the same overshoot the last cut answered (a window of the service's still full of it)
            now = self._clock()
            self._update(now)
            # The recent past (half a second: a rate that moved shows at once) or the whole window, whichever
            # admitted more: a window the overshoot filled reads empty for a while, not a quota of nothing.
            readings = [self.admitted.rate(now, self.cut_window), self.admitted.rate(now)]
            known = [r for r in readings if r is not None]
            admitted = max(known) if known else None
            w_max = self.rate if admitted is None else min(self.rate, admitted)
            # No deeper than ``max_cut`` at once (nothing admitted yet reads as 0): the curve starts at beta * w_max.
            self.w_max = max(self.floor, w_max, self.rate * (1 - self.max_cut) / self.beta)
            self.rate = max(self.floor, min(self.ceiling, self.w_max * self.beta))
            self.slow_start = False
            self._cut_at = now
            self._tokens = min(self._tokens, 0.0)
            self.cuts += 1

    def retry_delay(self, attempt: int, base: float = 0.05, most: float = 1.0) -> float:
        """Seconds to wait before re-sending a request throttled ``attempt`` times (1, 2, ...): uniform in
        ``[0, min(most, base * 2 ** attempt))`` (full jitter)."""
        return self._random() * min(most, base * 2.0 ** min(attempt, 20))

    @property
    def admitted_rate(self) -> float | None:
        """What the service admitted per second over the last window of the run (``None``: nothing yet), never
        above ``ceiling``: nothing is sent faster, and answers that latency jitter bunches together (300-500 ms
        round trips read 11.2/s under ``--rate 10``) are not admissions faster than the sends."""
        with self._lock:
            reading = self.admitted.at_last()
            return None if reading is None else min(reading, self.ceiling)


__all__ = ["ASKERS", "START_RATE", "AdaptiveRate", "AdmittedRate", "TokenBucket"]
