"""How many rows an import works on at once: as many as the quota needs, found by Little's law.

Rows in flight = rows per second x seconds a row takes (Little's law). The rate is the limiter's
(:class:`~cognito_privx.pacing.AdaptiveRate`: what Cognito admits, never above twice what it admitted); a row's
time is measured on the workers, less the time it waited for the limiter (a wait is not work). The crew reads the
rows' moving average, at most ``QUEUEING`` x the run's fastest row: the fastest row is the server's own time,
which more threads do not change, as BBR bounds its window by the fastest round trip, not by an average that
queueing inflates (Cardwell et al., "BBR: Congestion-Based Congestion Control", ACM Queue 14(5),
2016). Under CPU saturation (moto, the proxy and the client sharing two cores) or at a server that queues, every
row takes longer the more are in flight: the average, read up to 3 x the fastest and doubled, asked for more
threads, which cost CPU, which made rows slower (issue 24: 175-230 threads at 400/s, where a pool of 28-67 carried
as much). Sized from the fastest alone, the crew starved instead (a client short of CPU holds a thread longer than
the server's time: 400/s at 140-160 ms at 41 % of the quota, the pool 60 % in the same run). ``HEADROOM`` covers the
round trips' spread and the rate's growth between two looks (every row handed out or timed looks).

The crew starts ``least`` threads and adds threads as the rate or the round trip grows, up to ``ceiling``
(``--workers``: the most calls in flight, for memory and connections; botocore's ``max_pool_connections`` is set
to match in :mod:`cognito_privx.cognito.session`). A worker asks :meth:`Crew.retire` between rows and leaves when
the crew is past ``RETIRE`` x the most it wanted over the recent rows (:meth:`Crew.kept`): slow start overshoots
the quota about twofold before the first throttle comes back (the rate doubles once per round trip), and the
threads started for that peak otherwise waited at the limiter for the rest of the run.
"""

from __future__ import annotations

import math
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

HEADROOM = 1.5  # rows in flight per (rate x round trip): the round trips' spread, the rate's growth between looks
QUEUEING = 1.5  # a row's average time is read as at most this many times the fastest: past it, our own queue
SMOOTHING = 0.1  # the weight of the latest row in the moving average of a row's time
WINDOW = 512  # rows per bucket of the most threads wanted (two buckets: the last 512-1,024 rows timed)
RETIRE = 1.25  # a worker leaves when the crew is past this many times what it wants (+ 2): no churn on a wobble
FLOOR_S = 0.001  # a row faster than this counts as this (a round trip the clock barely shows)
# Threads before any row was timed: the round trip is not known yet, and the limiter starts at 50/s (pacing's
# START_RATE) and doubles about once per round trip: 16 carry that start up to a 0.3-s round trip (4 held 50/s at
# 150 ms to ~27/s for the first round trip, a ramp one round trip late at every quota).
LEAST = 16


class Crew:
    """Worker threads running ``work`` (named ``{name}-N``, daemons), as many as ``rate() x round trip x
    HEADROOM`` (+ 2), at least ``least`` and at most ``ceiling``. Call :meth:`record` with each row's working
    seconds and :meth:`grow` as rows are handed out (it starts the threads now wanted)."""

    def __init__(
        self,
        work: Callable[[], None],
        *,
        ceiling: int,
        rate: Callable[[], float],
        least: int = LEAST,
        name: str = "import",
        window: int = WINDOW,
    ) -> None:
        self.ceiling = max(1, ceiling)
        self.least = min(max(1, least), self.ceiling)
        self.threads: list[threading.Thread] = []  # every thread started (retired ones included: joined at the end)
        self.live = 0  # threads started and not retired
        self._shedding = False  # workers are leaving, down to what the crew keeps
        self._peak = 0  # the most threads wanted at a row's timing in the bucket being filled
        self._peak_previous = 0  # and in the bucket before it
        self.row_s: float | None = None  # the moving average of a row's working time (seconds)
        self.fastest_s: float | None = None  # the run's fastest row (seconds): the server's own time, unqueued
        self._window = max(1, window)
        self._in_bucket = 0  # rows timed in the bucket being filled
        self._work, self._rate, self._name = work, rate, name
        self._lock = threading.Lock()
        self._growing = threading.Lock()
        self._closed = False

    @property
    def round_trip_s(self) -> float | None:
        """The round trip the crew sizes for (seconds; ``None`` before a row was timed): the rows' moving average,
        at most ``QUEUEING`` x the run's fastest row (at least ``FLOOR_S``)."""
        fastest, average = self.fastest_s, self.row_s
        if fastest is None or average is None:
            return None
        return min(average, QUEUEING * max(fastest, FLOOR_S))

    def record(self, seconds: float) -> None:
        """A row took ``seconds`` of work (its calls, not its waits for the limiter); the crew grows at once if that
        asks for more threads (the rows may all have been handed out before any was timed: a file smaller than
        the hand-off queue would otherwise run on :attr:`least` threads to its end)."""
        seconds = max(0.0, seconds)
        with self._lock:
            self.row_s = seconds if self.row_s is None else self.row_s + SMOOTHING * (seconds - self.row_s)
            if self.fastest_s is None or seconds < self.fastest_s:
                self.fastest_s = seconds
            self._in_bucket += 1
            if self._in_bucket >= self._window:
                self._peak_previous, self._peak, self._in_bucket = self._peak, 0, 0
        wanted = self.wanted()
        if wanted > self._peak:
            self._peak = wanted
        self.grow()

    def kept(self) -> int:
        """The threads the crew keeps: the most it wanted at any row timed in the recent rows (the last ``window``
        to ``2 x window``; as BBR keeps the most bandwidth seen over its last round trips), or now, if more. A
        throttle cuts the rate (by up to half) and CUBIC brings it back within seconds: threads shed on the cut
        were started again on the way back (up to 731 thread starts in a 10-s run at 400/s)."""
        return max(self._peak, self._peak_previous, self.wanted())

    def wanted(self) -> int:
        """The threads the current rate and round trip (:attr:`round_trip_s`) ask for, within ``least`` and
        ``ceiling``: ``ceil(rate x round trip x HEADROOM) + 2``."""
        round_trip = self.round_trip_s
        if round_trip is None:
            return self.least
        need = math.ceil(self._rate() * round_trip * HEADROOM) + 2
        return max(self.least, min(self.ceiling, need))

    def close(self) -> int:
        """No thread is started or retired from now on (the caller is about to send each live thread its end-of-work
        marker, one per thread: a thread started after that would wait for rows forever, one retired would leave a
        marker behind); returns the live threads (as many markers)."""
        with self._growing:
            self._closed = True
            return self.live

    def grow(self) -> None:
        """Start the threads now wanted (none is ever stopped here). Thread-safe: workers call it too. A crew
        that has its threads returns before taking the lock the main thread and the workers share (called for
        every row: waiting on that lock was a context switch a row)."""
        if self._closed or self.wanted() <= self.live:
            return
        with self._growing:
            if self._closed:
                return
            for _ in range(self.wanted() - self.live):
                self.threads.append(self._start())
                self.live += 1

    def retire(self) -> bool:
        """Asked by a worker between two rows (holding none): ``True`` if it is to leave now. Once the crew is past
        ``RETIRE`` x what it keeps (:meth:`kept`) + 2, workers leave down to what it keeps; never once closed,
        never below ``least``. Cheap when nobody is to leave (no lock): it is asked every row."""
        if self._closed or (not self._shedding and self.live <= RETIRE * self.kept() + 2):
            return False
        with self._growing:
            if self._closed or self.live <= self.kept():
                self._shedding = False
                return False
            self._shedding = True
            self.live -= 1
            return True

    def _start(self) -> threading.Thread:
        """One more worker running ``work``, started (a seam: the simulated clock's crew starts simulated ones)."""
        thread = threading.Thread(target=self._work, name=f"{self._name}-{len(self.threads)}", daemon=True)
        thread.start()
        return thread


class HandOff(queue.Queue[T]):
    """A bounded :class:`queue.Queue` whose producer, waiting in ``put`` on a full queue, is woken once the
    consumers have taken it down to half (``maxsize // 2``), not by every ``get``: it then refills the half in one
    go. The import's main thread hands rows to the workers through it; woken by every row taken, it cost a context
    switch (and a GIL hand-off) a row. Otherwise :class:`queue.Queue` as it is: only its ``not_full`` condition
    (notified by ``get``) is replaced."""

    def __init__(self, maxsize: int = 0) -> None:
        super().__init__(maxsize)
        self.not_full = _AtHalf(self)


class _AtHalf(threading.Condition):
    """:class:`HandOff`'s ``not_full``: on the queue's own mutex, its ``notify`` passed on only at or below half
    full (``queue.Queue.get`` calls it under that mutex, after taking the item)."""

    def __init__(self, owner: queue.Queue[Any]) -> None:
        super().__init__(owner.mutex)
        self._owner = owner

    def notify(self, n: int = 1) -> None:
        if self._owner._qsize() <= self._owner.maxsize // 2:
            super().notify(n)


__all__ = ["HEADROOM", "LEAST", "QUEUEING", "RETIRE", "WINDOW", "Crew", "HandOff"]
