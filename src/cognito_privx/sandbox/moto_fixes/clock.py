"""The moto fixes' clock: naive-UTC timestamps at moto's wire precision, each strictly later than the one before."""

from __future__ import annotations

import datetime
import threading

__all__ = ["Clock", "clock"]


class Clock:
    """Naive-UTC timestamps (as moto's ``utcnow``), truncated to the millisecond moto puts on the wire
    (``moto/core/serialize.py`` ``_timestamp_unixtimestamp``, lines 133-139), each strictly later than the one before.

    Sequential calls to real Cognito are milliseconds apart on the network, so their stamps differ; in-process
    moto can answer two calls within one millisecond, which would make "the older object wins" a tie that AWS
    practically never produces for sequential calls. (A true tie is still possible on AWS for concurrent calls:
    test that path with a Stubber, not with moto.)
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: datetime.datetime | None = None

    def now(self) -> datetime.datetime:
        stamp = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
        stamp = stamp.replace(microsecond=stamp.microsecond - stamp.microsecond % 1000)
        with self._lock:
            if self._last is not None and stamp <= self._last:
                stamp = self._last + datetime.timedelta(milliseconds=1)
            self._last = stamp
        return stamp


clock = Clock()
