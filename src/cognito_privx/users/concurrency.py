"""How many rows an import works on at once: as many as the quota needs, found by Little's law.

Rows in flight = rows per second x seconds a row takes (Little's law). The rate is the limiter's
(:class:`~cognito_privx.pacing.AdaptiveRate`: what Cognito admits); a row's time is measured on the workers, less
the time it waited for the limiter (a wait is not work: counting it would grow the crew without end), and read as
at most ``SATURATION`` times the fastest row seen: beyond that the round trip is taken to be our own requests
queued at a server that cannot keep up (the sandbox's moto, a service slowing down instead of throttling), where
more threads add only waiting, and rows in flight a Ctrl-C must wait for (issue 24: 256 of them, ~1 s). The crew
starts ``least`` threads and adds threads as the rate or the round trip grows, up to ``ceiling`` (``--workers``:
the most calls in flight, for memory and connections; botocore's ``max_pool_connections`` is set to match in
:mod:`cognito_privx.cognito.session`). Threads are never stopped early: one the rate no longer needs waits for
rows or for the limiter, and costs a stack.
"""

from __future__ import annotations

import math
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

HEADROOM = 2.0  # twice the rows Little's law asks for: a round trip's spread, the limiter's growth between looks
SMOOTHING = 0.1  # the weight of the latest row in the moving average of a row's time
SATURATION = 3.0  # a row's time is read as at most this many times the fastest row's: past it, it is queueing
# Threads before any row was timed: the round trip is not known yet, and the limiter starts at 50/s (pacing's
# START_RATE) and doubles about once per round trip: 16 carry that start up to a 0.3-s round trip (4 held 50/s at
# 150 ms to ~27/s for the first round trip, a ramp one round trip late at every quota).
LEAST = 16


class Crew:
    """Worker threads running ``work`` (named ``{name}-N``, daemons), as many as ``rate() x row time x
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
    ) -> None:
        self.ceiling = max(1, ceiling)
        self.least = min(max(1, least), self.ceiling)
        self.threads: list[threading.Thread] = []
        self.row_s: float | None = None  # the moving average of a row's working time (seconds)
        self.fastest_s: float | None = None  # the fastest row's working time: the server's own time, unqueued
        self._work, self._rate, self._name = work, rate, name
        self._lock = threading.Lock()
        self._growing = threading.Lock()
        self._closed = False

    def record(self, seconds: float) -> None:
        """A row took ``seconds`` of work (its calls, not its waits for the limiter); the crew grows at once if that
        asks for more threads (the rows may all have been handed out before any was timed: a file smaller than
        the hand-off queue would otherwise run on :attr:`least` threads to its end)."""
        with self._lock:
            seconds = max(0.0, seconds)
            self.row_s = seconds if self.row_s is None else self.row_s + SMOOTHING * (seconds - self.row_s)
            self.fastest_s = seconds if self.fastest_s is None else min(self.fastest_s, seconds)
        self.grow()

    def wanted(self) -> int:
        """The threads the current rate and row time ask for, within ``least`` and ``ceiling``: the row time is
        the moving average, at most ``SATURATION`` x the fastest row's (a row faster than 1 ms counts as 1 ms)."""
        with self._lock:
            row_s, fastest_s = self.row_s, self.fastest_s
        if row_s is None or fastest_s is None:
            return self.least
        row_s = min(row_s, SATURATION * max(fastest_s, 0.001))
        need = math.ceil(self._rate() * row_s * HEADROOM) + 2
        return max(self.least, min(self.ceiling, need))

    def close(self) -> tuple[threading.Thread, ...]:
        """No thread is started from now on (the caller is about to send each thread its end-of-work marker, one
        per thread: a thread started after that would wait for rows forever); returns the threads."""
        with self._growing:
            self._closed = True
            return tuple(self.threads)

    def grow(self) -> None:
        """Start the threads now wanted (none is ever stopped here). Thread-safe: workers call it too. A crew
        that has its threads returns before taking the lock the main thread and the workers share (called for
        every row: waiting on that lock was a context switch a row)."""
        if self._closed or self.wanted() <= len(self.threads):
            return
        with self._growing:
            if self._closed:
                return
            for _ in range(self.wanted() - len(self.threads)):
                self.threads.append(self._start())

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


__all__ = ["HEADROOM", "LEAST", "SATURATION", "Crew", "HandOff"]
