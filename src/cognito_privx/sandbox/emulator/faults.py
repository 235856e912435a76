"""Fault injection: make chosen requests fail or slow down, so tests can prove how a client copes.

Faults are given to the constructor (``faults=``), added at run time (:meth:`PrivXEmulator.add_fault`,
:meth:`PrivXEmulator.clear_faults`) or over HTTP (``POST``/``DELETE /_emulator/faults``). A fault matches a
request by ``method`` (``None``: any; case-insensitive) and ``path`` (exact, or a prefix when it ends in
``*``; the query string is not part of the path). Every fault counts the requests it matches from the moment
it was added; matching requests number ``nth`` to ``nth + times - 1`` (1-based) are affected, after which
the fault is spent and removed. Faults apply to every route, including the token grant, the status routes,
unknown paths and refused requests, but never to the admin routes. Matching and counting happen under the
lock, so counts are exact under concurrency. A fault has exactly one effect:

- ``status`` (400-599): answer with that status **without processing** the request, with the PrivX error
  body (``error_code`` is the status name, e.g. ``SERVICE_UNAVAILABLE``, even on the token route). A 429
  also carries ``Retry-After: <retry_after>`` (an integral value is written as an integer, e.g. ``1``; a
  fractional one as is, e.g. ``0.2``, which is non-standard but keeps tests fast).
- ``latency`` (seconds, at most 60): the request **is processed**, then the adapter sleeps before
  answering. The core never sleeps: it returns ``EmulatorResponse.delay`` and the caller sleeps outside the
  lock, so a slow answer does not hold up other requests. State changes are visible before the slow answer
  arrives, as on a real server that is slow to respond.
- ``drop``: the request **is processed** (state changes happen), then the connection is dropped without an
  answer (``EmulatorResponse.drop``). :meth:`PrivXEmulator.handle` raises ``httpx.RemoteProtocolError``, the
  HTTP server (:mod:`cognito_privx.sandbox.server`) closes the connection without writing a byte. This is
  the "did my POST go through?" case a client must survive.

When several faults fire on one request, every one of them counts it; their latencies add up and the first
one added with a ``status`` or ``drop`` decides the outcome (a later one is spent without effect). Each
recorded request notes what was applied in ``RecordedRequest.fault`` (``"status 503"``, ``"latency 0.2"``,
``"drop"``, joined with ``", "``), ``None`` when nothing was. For a drop the recorded status is the one the
client never saw.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from http import HTTPStatus
from typing import Any

from cognito_privx.sandbox.emulator.wire import EmulatorResponse, is_number, json_response

MAX_FAULT_LATENCY = 60.0
MAX_RETRY_AFTER = 3600.0


class InvalidFault(ValueError):
    """A fault that cannot be armed; ``prop`` names the offending field for the admin route's 400."""

    def __init__(self, prop: str, why: str) -> None:
        super().__init__(f"invalid fault: {prop} {why}")
        self.prop, self.why = prop, why


@dataclass(frozen=True, kw_only=True)
class Fault:
    """One injected fault; see the module docstring. Invalid values raise ValueError.

    ``Fault(path="/role-store/api/v1/sources", nth=3, status=503)``: the third request to that path (any
    method) from now on answers 503. ``path`` may end in ``*`` to match a prefix.
    """

    method: str | None = None
    path: str
    nth: int = 1
    times: int = 1
    status: int | None = None
    retry_after: float = 1
    latency: float = 0
    drop: bool = False

    def __post_init__(self) -> None:
        _check(self)
        if self.method is not None:
            object.__setattr__(self, "method", self.method.upper())

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method != method.upper():
            return False
        if self.path.endswith("*"):
            return path.startswith(self.path[:-1])
        return path == self.path

    def describe(self) -> str:
        if self.status is not None:
            return f"status {self.status}"
        if self.drop:
            return "drop"
        return f"latency {self.latency:g}"


def _check(f: Fault) -> None:
    # Checked at run time too: faults also arrive as JSON and from untyped callers.
    if f.method is not None and not (isinstance(f.method, str) and f.method.isalpha()):
        raise InvalidFault("method", "must be an HTTP method name or null")
    if not isinstance(f.path, str) or not f.path.startswith("/"):
        raise InvalidFault("path", "must be a string starting with '/'")
    if "*" in f.path[:-1]:
        raise InvalidFault("path", "may contain '*' only as its last character (a prefix match)")
    for name in ("nth", "times"):
        value = getattr(f, name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise InvalidFault(name, "must be an integer >= 1")
    if f.status is not None and (
        not isinstance(f.status, int) or isinstance(f.status, bool) or not 400 <= f.status <= 599
    ):
        raise InvalidFault("status", "must be an integer from 400 to 599")
    if not is_number(f.retry_after) or not 0 <= f.retry_after <= MAX_RETRY_AFTER:
        raise InvalidFault("retry_after", f"must be a number from 0 to {MAX_RETRY_AFTER:g}")
    if not is_number(f.latency) or not 0 <= f.latency <= MAX_FAULT_LATENCY:
        raise InvalidFault("latency", f"must be a number of seconds from 0 to {MAX_FAULT_LATENCY:g}")
    if not isinstance(f.drop, bool):
        raise InvalidFault("drop", "must be a boolean")
    if (f.status is not None) + (f.latency > 0) + f.drop != 1:
        raise InvalidFault("fault", "needs exactly one effect: status, latency (> 0) or drop (true)")


@dataclass
class _Armed:
    fault: Fault
    seen: int = 0  # matching requests counted since the fault was added

    def count(self, method: str, path: str) -> bool:
        """Count the request if it matches; True when this one is affected."""
        if not self.fault.matches(method, path):
            return False
        self.seen += 1
        return self.fault.nth <= self.seen < self.fault.nth + self.fault.times

    @property
    def spent(self) -> bool:
        return self.seen >= self.fault.nth + self.fault.times - 1


@dataclass(frozen=True)
class Firing:
    """What the faults do to one request: the summed latency, the fault deciding the outcome (status or drop)
    if any, and what was applied, as recorded in ``RecordedRequest.fault`` (``None``: nothing)."""

    delay: float
    decider: Fault | None
    note: str | None

    def refusal(self) -> EmulatorResponse | None:
        """The answer given instead of processing the request (a status fault), else None."""
        if self.decider is None or self.decider.status is None:
            return None
        status = self.decider.status
        try:
            known = HTTPStatus(status)
            code, phrase = known.name, known.phrase
        except ValueError:  # a valid but unnamed code such as 599
            code, phrase = "GENERAL_ERROR", "injected error"
        headers = {"Retry-After": f"{self.decider.retry_after:g}"} if status == 429 else {}
        body = {"error_code": code, "error_message": f"injected fault: {status} {phrase}", "details": []}
        return json_response(status, body, headers)

    @property
    def drop(self) -> bool:
        return self.decider is not None and self.decider.drop


class FaultRegistry:
    """The armed faults, in the order they were added. Not locked: the emulator calls it under its lock."""

    def __init__(self, faults: Iterable[Fault] = ()) -> None:
        self._armed = [_Armed(f) for f in faults]

    def add(self, fault: Fault) -> None:
        """Arm ``fault``; its ``nth`` counts matching requests from now on."""
        self._armed.append(_Armed(fault))

    def clear(self) -> int:
        """Disarm every fault; returns how many were armed."""
        cleared = len(self._armed)
        self._armed.clear()
        return cleared

    def active(self) -> tuple[Fault, ...]:
        return tuple(a.fault for a in self._armed)

    def snapshot(self) -> list[dict[str, Any]]:
        """The armed faults with how many matching requests each has seen (for ``GET /_emulator/state``)."""
        return [asdict(a.fault) | {"seen": a.seen} for a in self._armed]

    def fire(self, method: str, path: str) -> Firing:
        """Count the request against every armed fault, then drop the spent ones."""
        delay, decider, applied = 0.0, None, []
        for armed in self._armed:
            if not armed.count(method, path):
                continue
            fault = armed.fault
            if fault.latency > 0:
                delay += fault.latency
                applied.append(fault.describe())
            elif decider is None:
                decider = fault
                applied.append(fault.describe())
        self._armed = [a for a in self._armed if not a.spent]
        return Firing(delay, decider, ", ".join(applied) or None)
