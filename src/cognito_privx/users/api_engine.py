"""The API engine behind ``import-users``: streamed rows, a bounded window in flight, an adaptive rate; where an
import row is run, paced and retried.

- **Streaming.** Rows come from an iterable (``users.scan_csv``: validated whole first, then read again), are
  handed to the worker threads through a bounded queue, and leave as results through a second one; results go to
  the ``--report`` file as they arrive (in file order, through a small re-ordering buffer). Nothing grows with
  the file: no future per row, no list of rows, no result list unless the caller asks for one (``-o json``).
- **One call per new user.** ``AdminCreateUser`` first; ``UsernameExistsException`` is the exception, and then
  the user is read, compared and updated (:meth:`PoolUsers.add`). Only in a pool that compares emails
  case-sensitively, or when the pool's users were listed (:mod:`cognito_privx.users.index`), is a row looked at
  before its create.
- **An adaptive rate** (:class:`~cognito_privx.pacing.AdaptiveRate`) for ``AdminCreateUser``: it starts at the
  documented 50/s with a burst of a few requests, grows while nothing is throttled (never beyond twice what Cognito
  admitted), and on ``TooManyRequestsException`` cuts to a little under what the service admitted (its quota,
  measured over the time elapsed), then recovers on a CUBIC curve; throttled creates are sent again through the
  limiter after a jittered pause (:class:`_PacedGateway`, never failed). ``--rate`` is a ceiling. Every other call
  of a row is repeated on throttling by ``PoolUsers.call`` (:mod:`cognito_privx.users.calls`).
- **Concurrency that follows the rate** (:class:`~cognito_privx.users.concurrency.Crew`): threads are added as
  the rate x a row's time asks (Little's law; the rows' average, at most 1.5x the fastest row's, as BBR bounds its
  window by the fastest round trip), up to ``--workers``,
  and leave when the rate needs far fewer.
- **Stops.** Cognito's daily invite-email cap (``LimitExceededException``) and Ctrl-C start no further row; rows
  never started are reported as "not attempted", not failed (the rest of the file as one count, not read). A
  second Ctrl-C is answered, a third abandons the rows in flight ("unknown"): every row of the file is reported
  with an outcome, whatever the presses.
"""

from __future__ import annotations

import collections
import dataclasses
import queue
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sized
from dataclasses import dataclass, field
from typing import Any

from cognito_privx import retry
from cognito_privx.cognito import CognitoGateway
from cognito_privx.errors import CognitoError, CognitoPrivxError, aws_error_code
from cognito_privx.pacing import AdaptiveRate, TokenBucket
from cognito_privx.users.calls import InviteLimitError
from cognito_privx.users.concurrency import Crew, HandOff
from cognito_privx.users.index import PoolIndex
from cognito_privx.users.model import Outcome, UserResult, UserRow
from cognito_privx.users.pool import PoolUsers
from cognito_privx.users.report import ImportReport, ReportWriter

DEFAULT_WORKERS = 256  # a ceiling on rows in flight (--workers' default): at 150 ms a row, room for ~850 rows/s
COLLECT_NAP_S = 0.02  # the main thread's nap while it waits for results (in the tail, after a stop)


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
        super().__init__(inner.client, sleep=inner.sleep)
        self.share_clients(inner)
        self.operations = operations
        self.inner = inner
        self.race_settle_s = inner.race_settle_s
        self.limiter = limiter
        self.give_up_s = give_up_s
        self.retries = 0
        self._count = threading.Lock()
        self._local = threading.local()

    def waited(self) -> float:
        """Seconds this thread has waited for the limiter so far (a row's time less its waits is its work)."""
        return float(getattr(self._local, "waited", 0.0))

    def calls(self) -> int:
        """Calls this thread has made so far (a row that made none tells nothing of the round trip)."""
        return int(getattr(self._local, "calls", 0))

    def call(self, operation: str, **params: Any) -> dict[str, Any]:
        self._local.calls = self.calls() + 1
        if operation not in self.operations:
            return self.inner.call(operation, **params)
        first = time.monotonic()
        lost = throttled = 0
        while True:
            asked = time.monotonic()
            granted = self.limiter.acquire()
            self._local.waited = self.waited() + time.monotonic() - asked
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
                if aws_error_code(e) not in retry.THROTTLE_CODES:
                    raise
                with self._count:
                    self.retries += 1
                if isinstance(self.limiter, AdaptiveRate):
                    self.limiter.throttled(granted or 0.0)
                    throttled += 1
                    time.sleep(self.limiter.retry_delay(throttled))  # jittered: not every worker at once
                continue
            if isinstance(self.limiter, AdaptiveRate):
                self.limiter.succeeded()
            return result


_DONE = object()
ABANDONED = "abandoned in flight by Ctrl-C: it may have been applied; run again to settle it"


@dataclass
class _Run:
    """What the worker threads share: the stop flag and its reason, the rows a worker has begun (``running``, by
    index, under ``lock``), and the Ctrl-C presses (counted by the signal handler, which takes no lock: it runs on
    the main thread, between any two of its bytecodes, perhaps while that thread holds ``lock``)."""

    stop: threading.Event = field(default_factory=threading.Event)
    reason: str | None = None
    hint: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    checked_groups: set[str] = field(default_factory=set)
    running: set[int] = field(default_factory=set)
    presses: int = 0

    def halt(self, reason: str, hint: str | None = None) -> None:
        with self.lock:
            if self.reason is None:
                self.reason, self.hint = reason, hint
        self.stop.set()

    def pressed(self) -> None:
        """Ctrl-C: the first stops starting rows (the rows in flight finish); the main loop answers the second
        and abandons the rows in flight on the third."""
        self.presses += 1
        if self.reason is None:
            self.reason = "interrupted"
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
    note: Callable[[str], None] | None = None,
    ctrl_c: CtrlC | None = None,
    no_call: Callable[[UserRow], UserResult | None] | None = None,
) -> ImportReport:
    """Run every row on threads sharing one client, as many as the rate needs (:class:`~.concurrency.Crew`:
    Little's law) up to ``workers``, at most ``2 * workers`` rows in flight.

    ``limiter`` paces ``AdminCreateUser`` (default: a new :class:`AdaptiveRate`; a ``PoolUsers`` that brings its
    own ``create_limiter`` keeps it). ``index`` is the pool listed beforehand (:func:`learn_pool`), or ``None``.
    A row's failure is recorded and the run goes on, except the daily invite cap and Ctrl-C: then no further row
    is started and the rest are "not attempted". Results reach ``on_result`` and ``report`` in file order.

    ``answer`` (on this thread, in file order) and ``action`` (on a worker) are the job engine's: each answers a
    row itself, or ``None`` for the next step (``action``, then the usual path); ``paced``: the operations
    under ``limiter``; ``jobs`` and ``started`` (a ``time.monotonic()``) go into the report as they are.
    ``note`` gets the answer to a second Ctrl-C (the third abandons the rows in flight: "unknown"); ``ctrl_c``:
    the caller's :class:`CtrlC`, held beyond the run (else one is held for the run only). ``no_call``
    (:func:`~cognito_privx.users.quick_rows.no_call_answer`) answers, on this thread, a row that needs no call
    (``None``: the workers' row); after a stop it is not asked. Once stopped, the rest of a file whose length is
    known is counted "not attempted" without reading it: one count from the first row not started (the report's
    ``rest_from_line``, one line of ``report``: :meth:`ReportWriter.write_rest`), unless ``answer`` must see
    each row (the job engine: a row may be known without a call).
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
    todo: HandOff[tuple[int, UserRow] | object] = HandOff(maxsize=2 * width)  # refilled by halves
    done: queue.Queue[tuple[int, UserResult] | BaseException] = queue.Queue()
    counts: collections.Counter[str] = collections.Counter()
    ended: collections.Counter[str] = collections.Counter()  # PrivX sessions / connections of demoted rows
    kept: list[UserResult] = []
    waiting: dict[int, UserResult] = {}  # finished out of order, held until the rows before them are out
    next_out = 0
    told = abandoned = False  # the second Ctrl-C answered; the third's abandon done
    in_flight: dict[int, UserRow] = {}  # submitted, not yet emitted: at most the queue, the workers, ``waiting``

    def work() -> None:
        while not crew.retire():  # a crew past what the rate needs (after slow start's overshoot) sheds threads
            item = todo.get()
            if not isinstance(item, tuple):
                return  # _DONE
            index_no: int = item[0]
            row: UserRow = item[1]
            with run.lock:  # begun or not is decided here, once: what an abandon reads (see abandon())
                go = not run.stop.is_set()
                if go:
                    run.running.add(index_no)
            try:
                began, waited, calls = time.monotonic(), paced_gw.waited(), paced_gw.calls()
                result = one(row) if go else _not_attempted_result(row, run.reason)
                if go and paced_gw.calls() > calls:  # a row answered without a call is no round trip
                    crew.record(time.monotonic() - began - (paced_gw.waited() - waited))
            except BaseException as e:  # noqa: BLE001 - a programming error: re-raised by the main thread
                done.put(e)
                return
            done.put((index_no, result))  # put before it leaves ``running``: never neither
            with run.lock:
                run.running.discard(index_no)

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
        if result.privx_sessions or result.privx_connections:
            ended["sessions"] += result.privx_sessions or 0
            ended["connections"] += result.privx_connections or 0
        if keep_results:
            kept.append(result)
        if report is not None:
            report.write(result)
        if on_result is not None:
            on_result(result)

    def collect(block: bool) -> None:
        nonlocal next_out
        while True:
            heed()
            while next_out in waiting:
                emit(waiting.pop(next_out))
                in_flight.pop(next_out, None)
                next_out += 1
            if abandoned:
                return  # every row in flight has its result in ``waiting`` (emitted above); late answers ignored
            if block and done.empty():
                # A nap, not a wait on the queue: woken by every result, the main thread cost a wake-up a row in
                # the run's tail (the last rows in flight and queued: ~300 at 400/s); a Ctrl-C is still seen at
                # once (the handler runs during the sleep, heed() after it).
                time.sleep(COLLECT_NAP_S)
            try:
                got = done.get_nowait()
            except queue.Empty:
                return
            if isinstance(got, BaseException):
                raise got
            waiting[got[0]] = got[1]
            block = False

    def heed() -> None:
        """Ctrl-C presses, answered on this thread: the second says what it waits for, the third abandons."""
        nonlocal told
        if run.presses >= 3 and not abandoned:
            abandon()
        elif run.presses == 2 and not told:
            told = True
            with run.lock:
                busy = len(run.running)
            if note is not None:
                note(
                    f"still finishing {busy} row(s) in flight; press Ctrl-C again to abandon them "
                    "(the report will list them as unknown)"
                )

    def abandon() -> None:
        """Stop waiting for the rows in flight: a row a worker has begun is "unknown" (it may have been applied;
        a re-run settles it), one still queued "not attempted" (no worker starts a row once ``stop`` is set)."""
        nonlocal abandoned
        abandoned = True
        while True:  # answers that came in already are kept
            try:
                got = done.get_nowait()
            except queue.Empty:
                break
            if isinstance(got, tuple):
                waiting.setdefault(got[0], got[1])
        with run.lock:
            begun = set(run.running)
        for i, row in in_flight.items():
            if i in waiting:
                continue
            if i in begun:
                waiting[i] = UserResult(row.email, Outcome.UNKNOWN, ABANDONED, row.line)
            else:
                waiting[i] = _not_attempted_result(row, run.reason)

    crew = Crew(work, ceiling=width, rate=lambda: limiter.rate)
    crew.grow()
    submitted = 0
    clean = False
    rest_from: int | None = None  # the line from which every row is "not attempted", counted, not listed
    rest_rows = 0  # how many rows that count holds
    source: Iterator[UserRow] = iter(rows)
    total = len(rows) if isinstance(rows, Sized) else None
    held = ctrl_c if ctrl_c is not None else CtrlC().__enter__()
    for _ in range(held.presses):  # pressed before the run began: no row starts
        run.pressed()
    held.on_press = run.pressed
    try:
        try:
            for row in source:
                if run.stop.is_set():  # stopped: the rest of the file is "not attempted", without a call
                    while next_out < submitted:  # the rows in flight first: nothing piles up behind them
                        collect(block=True)
                    if total is not None and answer is None:  # the rest as one count, from this row's line
                        rest = max(0, total - submitted)
                        counts[Outcome.NOT_ATTEMPTED.value] += rest
                        rest_from, rest_rows = row.line, rest
                        if report is not None:
                            report.write_rest(row.line, rest, run.reason or "stopped")
                        submitted = next_out = total
                        break
                    known = answer(row) if answer is not None else None  # a result needing no call still counts
                    emit(known or _not_attempted_result(row, run.reason))
                    submitted += 1
                    next_out += 1
                    continue
                answered = answer(row) if answer is not None else None
                if answered is None and no_call is not None:
                    answered = no_call(row)
                if answered is not None and next_out == submitted:  # nothing ahead of it: out at once
                    heed()
                    emit(answered)
                    submitted += 1
                    next_out += 1
                    continue
                if answered is not None:  # known without a call: straight to the results, in order
                    waiting[submitted] = answered
                    submitted += 1
                    collect(block=False)
                    continue
                in_flight[submitted] = row
                while not run.stop.is_set():
                    # Short waits, so that a stop is seen at once.
                    try:
                        todo.put((submitted, row), timeout=0.2)
                        break
                    except queue.Full:
                        crew.grow()
                        collect(block=False)
                else:
                    waiting[submitted] = _not_attempted_result(row, run.reason)
                submitted += 1
                crew.grow()
                collect(block=False)
            for _ in range(crew.close()):
                while not abandoned:  # abandoned: the workers may be stuck in a call; not waited for
                    try:
                        todo.put(_DONE, timeout=0.2)
                        break
                    except queue.Full:
                        collect(block=False)
            while next_out < submitted:
                collect(block=True)
            clean = not abandoned
        except BaseException as e:  # a programming error: no further row, then raised as it is
            run.halt(f"stopped by {type(e).__name__}")
            raise
    finally:
        held.on_press = None
        if ctrl_c is None:
            held.__exit__()
        _join(crew.threads, clean=clean, abandoned=abandoned)
    outcome = ImportReport(
        kept,
        time.monotonic() - start,
        users.retries + worker_users.retries + paced_gw.retries,
        run.reason,
        run.hint,
        dry_run=dry_run,
        interrupted=run.presses > 0 or run.reason == "interrupted",
        counts=counts,
        rate=limiter.admitted_rate if isinstance(limiter, AdaptiveRate) else limiter.rate,
        jobs=list(jobs or []),
        ended=ended,
        rest_from_line=rest_from,
        rest_rows=rest_rows,
    )
    if report is not None:
        report.close(outcome)
    return outcome


def _join(threads: Iterable[threading.Thread], *, clean: bool, abandoned: bool, grace_s: float = 0.5) -> None:
    """The workers waited for after a clean run; after an error, for ``grace_s`` seconds in all (not per thread:
    512 of them at 0.05 s each took 25 s); after an abandon (a third Ctrl-C), not at all: they are daemon threads,
    perhaps stuck in a call, and the exit must not wait for them."""
    if abandoned:
        return
    deadline = time.monotonic() + grace_s
    for t in threads:
        if clean:
            t.join()
        else:
            t.join(timeout=max(0.0, deadline - time.monotonic()))


class CtrlC:
    """Ctrl-C (SIGINT) held for an import, as a context manager: each press is counted and handed to the run in
    progress (``on_press``), never raised, so no KeyboardInterrupt lands between two bytecodes and loses a row's
    result; presses after the run (while its results are written) are only counted. With ``keep_after_a_press``
    (a command that exits when done), once Ctrl-C was pressed, later presses stay ignored after the context. Only
    from the main thread, and only over Python's own handler (one set to ignore stays, as nohup'd programs expect)."""

    def __init__(self, *, keep_after_a_press: bool = False) -> None:
        self.keep_after_a_press = keep_after_a_press
        self.presses = 0
        self.on_press: Callable[[], None] | None = None
        self._previous: Any = None

    def __enter__(self) -> CtrlC:
        if threading.current_thread() is threading.main_thread() and (
            signal.getsignal(signal.SIGINT) is signal.default_int_handler
        ):
            self._previous = signal.signal(signal.SIGINT, self._pressed)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.keep_after_a_press and self.presses and self._previous is not None:
            # A command on its way out with 130: a later press must not cut its last words short, nor kill it
            # during the interpreter's shutdown (which puts a Python-level handler back to the default; "ignore"
            # it leaves in place).
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            return
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None

    def _pressed(self, signum: int, frame: Any) -> None:
        self.presses += 1  # no lock: this runs on the main thread, perhaps while it holds one
        if self.on_press is not None:
            self.on_press()


def _not_attempted_result(row: UserRow, reason: str | None) -> UserResult:
    return UserResult(row.email, Outcome.NOT_ATTEMPTED, reason or "stopped", row.line)


def _import_one(
    users: PoolUsers, row: UserRow, index: PoolIndex | None, run: _Run, *, invite: bool, dry_run: bool
) -> UserResult:
    """One row: create first where that is safe, else (or when the user exists) the careful path of add-user."""
    if users.native_groups and row.group not in users.role_groups and row.group not in run.checked_groups:
        users.memberships.require_group(row.group)  # once per group, not per row
        with run.lock:
            run.checked_groups.add(row.group)
    known = index.get(row.email) if index is not None else None
    if isinstance(known, int) or not users.model.signs_in_with_email:
        return users.add(row, invite=invite, dry_run=dry_run)  # ambiguous, or refused: add-user says why
    if known is not None:
        if users.native_groups:
            return users.add(row, invite=invite, dry_run=dry_run)
        return users.converge(row, known, dry_run=dry_run)
    safe_to_create = index is not None or users.model.case_insensitive
    if dry_run:
        if index is not None:
            return UserResult(row.email, Outcome.CREATED, f"would create, group {row.group}", row.line)
        return users.add(row, invite=invite, dry_run=True)
    if not safe_to_create:
        return users.add(row, invite=invite)  # a case-sensitive pool: look for case variants first
    created = users.create(row, invite=invite, temporary_password=None)
    if created is None:  # it exists after all (another run, a stale listing): compare and update
        return users.add(row, invite=invite, create=False)
    if users.native_groups:
        users.memberships.sync(created["Username"], row.groups, dry_run=False)
    return UserResult(row.email, Outcome.CREATED, f"group {row.group}", row.line)


__all__ = ["DEFAULT_WORKERS", "CtrlC", "import_rows"]
