"""The bulk import engine behind ``import-users``: streamed rows, a bounded window in flight, an adaptive rate.

Moved out of :mod:`cognito_privx.users` (issue 15); ``users`` still resolves the old names. What it does:

- **Streaming.** Rows come from an iterable (``users.scan_csv``: validated whole first, then read again), are
  handed to the worker threads through a bounded queue, and leave as results through a second one; results go to
  the ``--report`` file as they arrive (in file order, through a small re-ordering buffer). Nothing grows with
  the file: no future per row, no list of rows, no result list unless the caller asks for one (``-o json``).
- **One call per new user.** ``AdminCreateUser`` first; ``UsernameExistsException`` is the exception, and then
  the user is read, compared and updated (:meth:`PoolUsers.add`). Only in a pool that compares emails
  case-sensitively, or when the pool's users were listed (below), is a row looked at before its create.
- **Existing users in bulk.** When a listing costs less than one ``AdminGetUser`` per row (``ListUsers`` returns
  60 users a page at the 30/s ``UserList`` quota, ``AdminGetUser`` one at the 120/s ``UserRead`` quota: a
  listing is cheaper while the pool holds fewer than 15 users per row), the pool is listed once, compactly
  (:class:`PoolIndex`), and rows are compared locally: a dry run of an empty pool costs one call.
- **An adaptive rate** (:class:`AdaptiveRate`) for ``AdminCreateUser``: it starts at the documented 50/s, doubles
  each second while nothing is throttled, and on ``TooManyRequestsException`` sets the rate to what the service
  admitted over the last second (its quota, measured), then probes upward slowly; throttled creates are simply
  sent again through the limiter (never failed). ``--rate`` is a ceiling.
- **Stops.** Cognito's daily invite-email cap (``LimitExceededException``) and Ctrl-C start no further row; rows
  never started are reported as "not attempted", not failed.
"""

from __future__ import annotations

import collections
import csv
import dataclasses
import json
import math
import queue
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from cognito_privx import retry
from cognito_privx.cognito import CognitoGateway
from cognito_privx.errors import CognitoError, CognitoPrivxError, UsageError
from cognito_privx.users import (
    InviteLimitError,
    Outcome,
    PoolUsers,
    UserResult,
    UserRow,
    attributes_of,
    email_of,
)

if TYPE_CHECKING:
    from types_boto3_cognito_idp.type_defs import AdminGetUserResponseTypeDef

DEFAULT_RATE = 48.0  # the old fixed default (users/s), kept for callers that ask for a fixed TokenBucket
START_RATE = 50.0  # AWS's default UserCreation quota: where the adaptive rate starts
DEFAULT_WORKERS = 32  # a ceiling on calls in flight: at 60 ms a call, room for ~500 calls/s
# Quotas (requests/s, per account) that decide between a listing and a read per row (docs/cognito.md).
USER_LIST_QUOTA = 30.0
USER_READ_QUOTA = 120.0
LIST_PAGE = 60


# -- rate limiting -------------------------------------------------------------------------------------------


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


class _PacedGateway(CognitoGateway):
    """The gateway with ``operations`` (default ``AdminCreateUser``) under an :class:`AdaptiveRate`: a throttled
    call is sent again through the limiter (which has just slowed down) until it goes through or ``give_up_s``
    passes."""

    def __init__(
        self,
        inner: CognitoGateway,
        limiter: AdaptiveRate | TokenBucket,
        give_up_s: float = 600.0,
        operations: frozenset[str] = frozenset({"admin_create_user"}),
    ) -> None:
        super().__init__(inner.client, create_client=inner.create_client, sleep=inner.sleep)
        self.operations = operations
        self.inner = inner
        self.session = inner.session
        self.race_settle_s = inner.race_settle_s
        self.limiter = limiter
        self.give_up_s = give_up_s
        self.retries = 0
        self._count = threading.Lock()

    def call(self, operation: str, **params: Any) -> dict[str, Any]:
        if operation not in self.operations:
            return self.inner.call(operation, **params)
        first = time.monotonic()
        lost = 0
        while True:
            granted = self.limiter.acquire()
            try:
                result = self.inner.call(operation, **params)
            except CognitoError as e:
                if time.monotonic() - first > self.give_up_s:
                    raise
                if e.unknown_outcome and lost < 3:
                    # No answer (a dropped connection): repeating is safe, the user name is unique; a create that
                    # went through answers UsernameExistsException, and the row is then compared as existing.
                    lost += 1
                    continue
                if retry.aws_code(e) not in retry.THROTTLE_CODES:
                    raise
                if isinstance(self.limiter, AdaptiveRate):
                    self.limiter.throttled(granted or 0.0)
                with self._count:
                    self.retries += 1
                continue
            if isinstance(self.limiter, AdaptiveRate):
                self.limiter.succeeded()
            return result


# -- what the pool already holds -----------------------------------------------------------------------------


@dataclass
class PoolIndex:
    """The pool's users by lower-cased email, compactly: (Username, group, name, enabled, status) each, or a count of
    users sharing the email in different capitalisations (a legacy case-sensitive pool; such rows take the careful
    path, :meth:`PoolUsers.add`)."""

    attribute: str
    users: dict[str, tuple[str, str | None, str | None, bool, str] | int] = field(default_factory=dict)

    def add(self, raw: Any) -> None:
        attrs = attributes_of(raw)
        key = (attrs.get("email") or "").lower()
        if not key:
            return
        enabled = bool(raw.get("Enabled", True))
        entry = (
            str(raw["Username"]),
            attrs.get(self.attribute),
            attrs.get("name"),
            enabled,
            str(raw.get("UserStatus", "")),
        )
        known = self.users.get(key)
        self.users[key] = entry if known is None else (known if isinstance(known, int) else 1) + 1

    def get(self, email: str) -> AdminGetUserResponseTypeDef | int | None:
        """The user as an ``AdminGetUser``-shaped answer, ``None`` when absent, the count when ambiguous."""
        known = self.users.get(email.lower())
        if known is None or isinstance(known, int):
            return known
        username, group, name, enabled, status = known
        attributes = [{"Name": "email", "Value": email}]
        if group is not None:
            attributes.append({"Name": self.attribute, "Value": group})
        if name is not None:
            attributes.append({"Name": "name", "Value": name})
        user: Any = {"Username": username, "UserAttributes": attributes, "Enabled": enabled, "UserStatus": status}
        return user  # type: ignore[no-any-return]


def listing_pays(estimated_users: int, rows: int) -> bool:
    """Whether listing the pool costs less time than one ``AdminGetUser`` per row, at the default quotas."""
    pages = math.ceil(max(estimated_users, 1) / LIST_PAGE)
    return pages / USER_LIST_QUOTA < rows / USER_READ_QUOTA


def learn_pool(
    users: PoolUsers, rows: int, *, dry_run: bool = True, on_page: Callable[[int], None] | None = None
) -> PoolIndex | None:
    """The pool's users listed once when that pays (:func:`listing_pays`), else ``None`` (read per row).

    An import into a pool its description estimates empty lists nothing: creating first needs no listing, and a
    user there after all answers ``UsernameExistsException``. A dry run lists it (one call) to be sure.
    """
    if not users.model.signs_in_with_email:
        return None  # every row fails with the reason, as add-user would
    estimated = int((users.description or {}).get("EstimatedNumberOfUsers", 0) or 0)
    if estimated == 0 and not dry_run and users.model.case_insensitive:
        return None
    if not listing_pays(estimated, rows):
        return None
    index = PoolIndex(users.attribute)
    seen = 0
    for page in users.lookup.user_pages():
        for raw in page:
            index.add(raw)
        seen += len(page)
        if on_page is not None:
            on_page(seen)
    return index


# -- results ---------------------------------------------------------------------------------------------------


@dataclass
class ImportReport:
    """Counts of a run (and its rows, when kept). A stopped run leaves the rest "not attempted"."""

    results: list[UserResult]
    seconds: float
    retries: int
    stopped: str | None = None  # why the run stopped early, if it did
    hint: str | None = None  # what to do about it
    dry_run: bool = False
    interrupted: bool = False
    counts: collections.Counter[str] = field(default_factory=collections.Counter)
    rate: float | None = None  # the creation rate the limiter ended at (requests/s)
    jobs: list[dict[str, Any]] = field(default_factory=list)  # import jobs (--engine job): their descriptions

    def count(self, outcome: Outcome) -> int:
        if self.counts:
            return self.counts[outcome.value]
        return sum(1 for r in self.results if r.outcome is outcome)

    @property
    def failed(self) -> int:
        return self.count(Outcome.FAILED)

    @property
    def not_attempted(self) -> int:
        return self.count(Outcome.NOT_ATTEMPTED)

    @property
    def rows(self) -> int:
        return sum(self.counts.values()) if self.counts else len(self.results)

    @property
    def attempted(self) -> int:
        """Rows that were run (a stopped run leaves the rest "not attempted")."""
        return self.rows - self.not_attempted

    def summary(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            **{o.value: self.count(o) for o in (Outcome.CREATED, Outcome.UPDATED, Outcome.UNCHANGED, Outcome.FAILED)},
            "not_attempted": self.not_attempted,
            "dry_run": self.dry_run,
            "seconds": round(self.seconds, 2),
            "rows_per_second": round(self.attempted / self.seconds, 1) if self.seconds else None,
            "throttle_retries": self.retries,
            "final_rate": round(self.rate, 1) if self.rate else None,
            "stopped": self.stopped,
            "hint": self.hint,
            **({"engine": "job", "jobs": self.jobs} if self.jobs else {}),
        }


class ReportWriter:
    """``--report``: per-row results written as they come (CSV, or JSON for ``.json``), the summary last.

    Opened before the first change (:func:`open_report`), so an unwritable path stops the run before it starts.
    """

    def __init__(self, path: Path, fh: IO[str]) -> None:
        self.path = path
        self._fh = fh
        self._counts: collections.Counter[str] = collections.Counter()
        self._json = path.suffix.lower() == ".json"
        self._first = True
        if self._json:
            fh.write('{"rows": [\n')
        else:
            self._csv = csv.writer(fh)
            self._csv.writerow(["line", "email", "outcome", "detail"])

    def write(self, r: UserResult) -> None:
        self._counts[r.outcome.value] += 1
        if self._json:
            self._fh.write(("" if self._first else ",\n") + "  " + json.dumps(r.to_json()))
            self._first = False
        else:
            self._csv.writerow([r.line or "", r.email, r.outcome.value, r.detail])

    @property
    def closed(self) -> bool:
        return self._fh.closed

    def abort(self, reason: str, started: float, hint: str | None = None) -> None:
        """Close a report the run could not finish (an error after it was opened): the rows written so far and a
        summary of them that says why, so the file stays a whole document. Nothing when it is closed already."""
        if not self.closed:
            report = ImportReport(
                [], time.monotonic() - started, 0, reason, hint, counts=collections.Counter(self._counts)
            )
            self.close(report)

    def close(self, report: ImportReport) -> None:
        if self._json:
            self._fh.write('\n],\n"summary": ' + json.dumps(report.summary(), indent=2) + "}\n")
        self._fh.close()


def open_report(path: Path) -> ReportWriter:
    """The report file, opened now: a path that cannot be written is a usage error (exit 2) before any change."""
    try:
        fh = path.open("w", newline="", encoding="utf-8")
    except OSError as e:
        raise UsageError(
            f"cannot write the report to {path}: {e.strerror}", "give --report a path in a writable directory"
        ) from None
    return ReportWriter(path, fh)


def write_report(path: Path, report: ImportReport) -> None:
    """Per-row results as JSON (``.json``) or CSV (anything else), from a report that kept its rows."""
    writer = open_report(path)
    for r in report.results:
        writer.write(r)
    writer.close(report)


# -- the engine ----------------------------------------------------------------------------------------------


_DONE = object()


@dataclass
class _Run:
    """What the worker threads share: the stop flag and its reason."""

    stop: threading.Event = field(default_factory=threading.Event)
    reason: str | None = None
    hint: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    checked_groups: set[str] = field(default_factory=set)

    def halt(self, reason: str, hint: str | None = None) -> None:
        with self.lock:
            if self.reason is None:
                self.reason, self.hint = reason, hint
        self.stop.set()


def import_rows(
    users: PoolUsers,
    rows: Iterable[UserRow],
    *,
    workers: int = DEFAULT_WORKERS,
    invite: bool = True,
    dry_run: bool = False,
    on_result: Callable[[UserResult], None] | None = None,
    limiter: AdaptiveRate | TokenBucket | None = None,
    index: PoolIndex | None = None,
    keep_results: bool = True,
    report: ReportWriter | None = None,
    answer: Callable[[UserRow], UserResult | None] | None = None,
    action: Callable[[PoolUsers, UserRow], UserResult | None] | None = None,
    paced: frozenset[str] = frozenset({"admin_create_user"}),
    jobs: list[dict[str, Any]] | None = None,
    started: float | None = None,
) -> ImportReport:
    """Run every row on up to ``workers`` threads sharing one client, at most ``2 * workers`` rows in flight.

    ``limiter`` paces ``AdminCreateUser`` (default: a new :class:`AdaptiveRate`; a ``PoolUsers`` that brings its
    own ``create_limiter`` keeps it). ``index`` is the pool listed beforehand (:func:`learn_pool`), or ``None``.
    A row's failure is recorded and the run goes on, except the daily invite cap and Ctrl-C: then no further row
    is started and the rest are "not attempted". Results reach ``on_result`` and ``report`` in file order.

    ``answer`` (on this thread, in file order) and ``action`` (on a worker) are the job engine's: each answers a
    row itself, or ``None`` for the next step (``action``, then the usual path); ``paced``: the operations
    under ``limiter``; ``jobs`` and ``started`` (a ``time.monotonic()``) go into the report as they are.
    """
    start = time.monotonic() if started is None else started
    if limiter is None and users.create_limiter is not None:
        limiter = users.create_limiter  # the caller's fixed rate
    if limiter is None:
        limiter = AdaptiveRate()
    paced_gw = _PacedGateway(users.gw, limiter, operations=paced)
    worker_users = dataclasses.replace(users, gw=paced_gw, create_limiter=None)
    run = _Run()
    width = max(1, workers)
    todo: queue.Queue[tuple[int, UserRow] | object] = queue.Queue(maxsize=2 * width)
    done: queue.Queue[tuple[int, UserResult] | BaseException] = queue.Queue()
    counts: collections.Counter[str] = collections.Counter()
    kept: list[UserResult] = []
    waiting: dict[int, UserResult] = {}  # finished out of order, held until the rows before them are out
    next_out = 0

    def work() -> None:
        while True:
            item = todo.get()
            if not isinstance(item, tuple):
                return  # _DONE
            index_no: int = item[0]
            row: UserRow = item[1]
            try:
                result = _not_attempted_result(row, run.reason) if run.stop.is_set() else one(row)
            except BaseException as e:  # noqa: BLE001 - a programming error: re-raised by the main thread
                done.put(e)
                return
            done.put((index_no, result))

    def one(row: UserRow) -> UserResult:
        try:
            answered = action(worker_users, row) if action is not None else None
            if answered is not None:
                return answered
            return _import_one(worker_users, row, index, run, invite=invite, dry_run=dry_run)
        except InviteLimitError as e:
            run.halt(e.message, e.hint)
            return UserResult(row.email, Outcome.FAILED, e.message, row.line)
        except CognitoPrivxError as e:
            return UserResult(row.email, Outcome.FAILED, e.message, row.line)

    def emit(result: UserResult) -> None:
        counts[result.outcome.value] += 1
        if keep_results:
            kept.append(result)
        if report is not None:
            report.write(result)
        if on_result is not None:
            on_result(result)

    def collect(block: bool) -> None:
        nonlocal next_out
        while True:
            while next_out in waiting:
                emit(waiting.pop(next_out))
                next_out += 1
            try:
                got = done.get(timeout=0.2) if block else done.get_nowait()
            except queue.Empty:
                return
            if isinstance(got, BaseException):
                raise got
            waiting[got[0]] = got[1]
            block = False

    threads = [threading.Thread(target=work, name=f"import-{i}", daemon=True) for i in range(width)]
    for t in threads:
        t.start()
    submitted = 0
    clean = False
    source: Iterator[UserRow] = iter(rows)
    previous = _catch_ctrl_c(run)
    try:
        try:
            for row in source:
                if run.stop.is_set():  # stopped: the rest of the file is "not attempted", without a call
                    while next_out < submitted:  # the rows in flight first: nothing piles up behind them
                        collect(block=True)
                    known = answer(row) if answer is not None else None  # a result needing no call still counts
                    emit(known or _not_attempted_result(row, run.reason))
                    submitted += 1
                    next_out += 1
                    continue
                answered = answer(row) if answer is not None else None
                if answered is not None:  # known without a call: straight to the results, in order
                    waiting[submitted] = answered
                    submitted += 1
                    collect(block=False)
                    continue
                while not run.stop.is_set():
                    # Short waits, so that a stop is seen at once.
                    try:
                        todo.put((submitted, row), timeout=0.2)
                        break
                    except queue.Full:
                        collect(block=False)
                else:
                    waiting[submitted] = _not_attempted_result(row, run.reason)
                submitted += 1
                collect(block=False)
            for _ in threads:
                while True:
                    try:
                        todo.put(_DONE, timeout=0.2)
                        break
                    except queue.Full:
                        collect(block=False)
            while next_out < submitted:
                collect(block=True)
            clean = True
        except KeyboardInterrupt:  # a second Ctrl-C: stop waiting for the rows in flight
            run.halt("interrupted")
        except BaseException as e:  # a programming error: no further row, then raised as it is
            run.halt(f"stopped by {type(e).__name__}")
            raise
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
        for t in threads:  # daemon threads: after an error or a second Ctrl-C, not waited for
            t.join(timeout=None if clean else 0.05)
    while next_out < submitted and next_out in waiting:
        emit(waiting.pop(next_out))
        next_out += 1
    outcome = ImportReport(
        kept,
        time.monotonic() - start,
        users.retries + worker_users.retries + paced_gw.retries,
        run.reason,
        run.hint,
        dry_run=dry_run,
        interrupted=run.reason == "interrupted",
        counts=counts,
        rate=limiter.rate,
        jobs=list(jobs or []),
    )
    if report is not None:
        report.close(outcome)
    return outcome


def _catch_ctrl_c(run: _Run) -> Any:
    """Ctrl-C (SIGINT) stops the run in order: no row is started after it, the rows in flight finish, and no row is
    lost between the file and the queue (a KeyboardInterrupt can land between any two bytecodes). A second Ctrl-C
    raises as usual. Only from the main thread, and only over Python's own handler (one set to ignore stays)."""
    if threading.current_thread() is not threading.main_thread():
        return None
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        return None

    def on_sigint(signum: int, frame: Any) -> None:
        if run.stop.is_set() and run.reason == "interrupted":
            raise KeyboardInterrupt
        run.halt("interrupted")

    return signal.signal(signal.SIGINT, on_sigint)


def _not_attempted_result(row: UserRow, reason: str | None) -> UserResult:
    return UserResult(row.email, Outcome.NOT_ATTEMPTED, reason or "stopped", row.line)


def _import_one(
    users: PoolUsers, row: UserRow, index: PoolIndex | None, run: _Run, *, invite: bool, dry_run: bool
) -> UserResult:
    """One row: create first where that is safe, else (or when the user exists) the careful path of add-user."""
    if users.native_groups and row.group not in users.role_groups and row.group not in run.checked_groups:
        users._require_native_group(row.group)  # once per group, not per row
        with run.lock:
            run.checked_groups.add(row.group)
    known = index.get(row.email) if index is not None else None
    if isinstance(known, int) or not users.model.signs_in_with_email:
        return users.add(row, invite=invite, dry_run=dry_run)  # ambiguous, or refused: add-user says why
    if known is not None:
        if users.native_groups:
            return users.add(row, invite=invite, dry_run=dry_run)
        return users._converge(row, known, dry_run=dry_run)
    safe_to_create = index is not None or users.model.case_insensitive
    if dry_run:
        if index is not None:
            return UserResult(row.email, Outcome.CREATED, f"would create, group {row.group}", row.line)
        return users.add(row, invite=invite, dry_run=True)
    if not safe_to_create:
        return users.add(row, invite=invite)  # a case-sensitive pool: look for case variants first
    created = users._create(row, invite=invite, temporary_password=None)
    if created is None:  # it exists after all (another run, a stale listing): compare and update
        return users.add(row, invite=invite, create=False)
    if users.native_groups:
        users._sync_groups(created["Username"], row.groups, dry_run=False)
    return UserResult(row.email, Outcome.CREATED, f"group {row.group}", row.line)


__all__ = [
    "DEFAULT_RATE",
    "DEFAULT_WORKERS",
    "START_RATE",
    "AdaptiveRate",
    "ImportReport",
    "PoolIndex",
    "ReportWriter",
    "TokenBucket",
    "email_of",
    "import_rows",
    "learn_pool",
    "listing_pays",
    "open_report",
    "write_report",
]
