"""An import's results: the counts and summary of a run (:class:`ImportReport`), and the ``--report`` file
written as rows finish (:class:`ReportWriter`, opened by :func:`open_report` before any change)."""

from __future__ import annotations

import collections
import csv
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from cognito_privx.errors import UsageError
from cognito_privx.files import open_private
from cognito_privx.users.model import Outcome, UserResult, UserRow


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
    ended: collections.Counter[str] = field(default_factory=collections.Counter)  # PrivX sessions/connections
    rest_from_line: int | None = None  # every row from this line to the end: not attempted, counted, not listed
    rest_rows: int = 0  # how many rows that count holds (the other "not attempted" rows are listed)

    def privx_ended(self, kind: str) -> int:
        """PrivX ``"sessions"`` or ``"connections"`` the demoted rows had ended, summed (issue 21)."""
        if self.ended:
            return self.ended[kind]
        attribute = "privx_sessions" if kind == "sessions" else "privx_connections"
        return sum(getattr(r, attribute) or 0 for r in self.results)

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
    def unknown(self) -> int:
        """Rows abandoned in flight: applied or not, a re-run settles them."""
        return self.count(Outcome.UNKNOWN)

    @property
    def rows(self) -> int:
        return sum(self.counts.values()) if self.counts else len(self.results)

    @property
    def attempted(self) -> int:
        """Rows that were run (a stopped run leaves the rest "not attempted")."""
        return self.rows - self.not_attempted - self.unknown

    def summary(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            **{o.value: self.count(o) for o in (Outcome.CREATED, Outcome.UPDATED, Outcome.UNCHANGED, Outcome.FAILED)},
            "not_attempted": self.not_attempted,
            "not_attempted_from_line": self.rest_from_line,
            "not_attempted_rest": self.rest_rows,
            "unknown": self.unknown,
            "dry_run": self.dry_run,
            "seconds": round(self.seconds, 2),
            "rows_per_second": round(self.attempted / self.seconds, 1) if self.seconds else None,
            "throttle_retries": self.retries,
            "privx_sessions_ended": self.privx_ended("sessions"),
            "privx_connections_ended": self.privx_ended("connections"),
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

    def write_rest(self, line: int | None, rows: int, reason: str) -> None:
        """The rows a stop left unread, as one count: every row from ``line`` (the first not started) to the end
        of the file, ``rows`` of them, "not attempted". CSV: one row (``line``, no email, ``not attempted``, the
        count in ``detail``); JSON: no row (the summary's ``not_attempted`` and ``not_attempted_from_line``)."""
        self._counts[Outcome.NOT_ATTEMPTED.value] += rows
        if rows and not self._json:
            self._csv.writerow(
                [
                    line or "",
                    "",
                    Outcome.NOT_ATTEMPTED.value,
                    f"{rows} rows from this line to the end of the file "
                    f"({reason}): run the same file again to import them",
                ]
            )

    @property
    def closed(self) -> bool:
        return self._fh.closed

    @property
    def written(self) -> int:
        """Rows written so far, or counted (:meth:`write_rest`): the first ``written`` rows of the file (results
        come in file order)."""
        return sum(self._counts.values())

    def fill(self, rows: Iterable[UserRow], outcome: Outcome, detail: str) -> None:
        """Write every row of ``rows`` (the whole file, in order) past the :attr:`written` ones with ``outcome``:
        a run that ends early still lists every row of the file (issue 23)."""
        if self.closed:
            return
        for i, row in enumerate(rows):
            if i >= self.written:
                self.write(UserResult(row.email, outcome, detail, row.line))

    def abort(
        self,
        reason: str,
        started: float,
        hint: str | None = None,
        rows: Iterable[UserRow] | None = None,
        *,
        begun: bool = True,
    ) -> None:
        """Close a report the run could not finish (an error after it was opened): the rows written so far, the
        rest of ``rows`` (the file) as "unknown" (the run may have been applying them) or, when no row had
        ``begun`` (stopped while the pool was looked up), all of them "not attempted" as one count
        (:meth:`write_rest`), and a summary that says why, so the file stays a whole document that accounts for
        every row. Nothing when it is closed already."""
        if not self.closed:
            rest_from: int | None = None
            if rows is not None and begun:
                self.fill(rows, Outcome.UNKNOWN, f"{reason} before this row's outcome was known; run again")
            elif rows is not None and self.written == 0:  # one count, as any stop before the first row
                count = 0
                for row in rows:  # counted, not held (a file of any size)
                    rest_from, count = rest_from or row.line, count + 1
                self.write_rest(rest_from, count, reason)
            report = ImportReport(
                [],
                time.monotonic() - started,
                0,
                reason,
                hint,
                counts=collections.Counter(self._counts),
                rest_from_line=rest_from,
            )
            self.close(report)

    def close(self, report: ImportReport) -> None:
        if self._json:
            self._fh.write('\n],\n"summary": ' + json.dumps(report.summary(), indent=2) + "}\n")
        self._fh.close()


def open_report(path: Path) -> ReportWriter:
    """The report file, opened now: a path that cannot be written is a usage error (exit 2) before any change.

    It holds addresses and names: a new file readable by its owner only (0600), an existing one replaced
    (:func:`cognito_privx.files.open_private`)."""
    try:
        fh = open_private(path, newline="")
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


__all__ = ["ImportReport", "ReportWriter", "open_report", "write_report"]
