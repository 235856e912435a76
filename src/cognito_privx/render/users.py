"""The user commands' output: one line per result, the users table, and the progress and summary of an import."""

from __future__ import annotations

import sys
from typing import Any

from cognito_privx.render.terminal import console, markup_text, markup_value, stderr

_OUTCOME = {
    "created": ("+", "green"),
    "updated": ("~", "yellow"),
    "unchanged": ("=", "dim"),
    "deleted": ("-", "red"),
    "failed": ("✗", "red"),
}


def user_result(result: Any) -> None:
    """One line per user: ``+ created alice@example.com  group ops``."""
    symbol, colour = _OUTCOME[result.outcome.value]
    detail = f"  {markup_value(result.detail)}" if result.detail else ""
    where = f"line {result.line}: " if result.line else ""
    status = getattr(result, "status", None)
    if status:
        from cognito_privx.users import status_text  # a user result comes from users, imported already

        detail += f"  status {markup_value(status_text(status, getattr(result, 'invitation', None)))}"
    stderr().print(f"[{colour}]{symbol} {result.outcome.value}[/] {where}{markup_value(result.email)}{detail}")


def users_table(users: list[Any], file: Any = None) -> None:
    from rich.table import Table

    table = Table(show_edge=False, pad_edge=False, header_style="bold")
    for column in ("email", "name", "group", "status", "enabled", "created"):
        table.add_column(column)
    from cognito_privx.desired import is_rehearsal

    for u in users:
        table.add_row(
            markup_value(u.email) + ("" if getattr(u, "email_verified", True) else " [yellow](unverified)[/]"),
            # doctor --login's identity (kept disabled between rehearsals), marked so nobody takes it for a person
            "(login rehearsal)" if is_rehearsal(u.email) else markup_value(u.name or "—"),
            markup_value(u.group or "—"),
            markup_value(u.status),
            "yes" if u.enabled else "[red]no[/]",
            markup_value(u.created),
        )
    out = file or sys.stdout
    # Piped output is not cut to 80 columns: a table in a file or a pipe keeps whole values.
    width = None if out.isatty() else 250
    console(out, width=width).print(table)
    stderr().print(f"{len(users)} user(s)")


class ScanProgress:
    """A spinner on stderr while a pool is paged through."""

    def __init__(self) -> None:
        self._status = stderr().status("listing users…")

    def __enter__(self) -> ScanProgress:
        self._status.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._status.__exit__(None, None, None)

    def update(self, seen: int) -> None:
        self._status.update(f"listing users… {seen} scanned")


def _print_failed(out: Any, result: Any) -> None:
    """A failed row above a progress bar: its line, address and why."""
    if result.outcome.value == "failed":
        out.print(f"[red]✗ failed[/] line {result.line}: {markup_value(result.email)}  {markup_value(result.detail)}")


class ImportProgress:
    """A progress bar on stderr: rows done, rate, ETA. Failed rows are printed above it as they happen.

    Rows a stop left ("not attempted") or abandoned ("unknown") are not done: the bar of a run stopped by Ctrl-C
    stays where the run stopped. The bar's numbers are updated at most every 50 ms (a row costs microseconds; an
    update of the bar, under its lock, about as much as the row: issue 24), and once more at the end."""

    def __init__(self, total: int) -> None:
        import time

        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.progress = Progress(
            TextColumn("importing"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[rate]:>6.1f} rows/s"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=stderr(),
            transient=False,
        )
        self.task = self.progress.add_task("import", total=total, rate=0.0)
        self._clock = time.monotonic
        self._start = 0.0
        self._shown = 0.0
        self._done = 0

    def __enter__(self) -> ImportProgress:
        self._start = self._clock()
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._show(self._clock())
        self.progress.__exit__(None, None, None)

    def advance(self, result: Any) -> None:
        outcome = result.outcome  # a StrEnum: compared as its value
        if outcome == "not attempted" or outcome == "unknown":
            return
        self._done += 1
        if outcome == "failed":
            _print_failed(self.progress.console, result)
        now = self._clock()
        if now - self._shown >= 0.05:
            self._show(now)

    def _show(self, now: float) -> None:
        self._shown = now
        rate = self._done / max(now - self._start, 1e-6)
        self.progress.update(self.task, completed=self._done, rate=rate)


class JobProgress:
    """Import jobs' progress on stderr, from ``DescribeUserImportJob``: one bar per job (imported + skipped +
    failed of its rows), its status and counts beside it; then one for the ``rows`` of the file as their results
    are settled."""

    def __init__(self, rows: int) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.rows = rows
        self._rows: Any = None

        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[status]}"),
            TimeElapsedColumn(),
            console=stderr(),
            transient=False,
        )
        self._tasks: dict[str, Any] = {}

    def __enter__(self) -> JobProgress:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.__exit__(None, None, None)

    def update(self, run: Any) -> None:
        """``run``: an :class:`~cognito_privx.users.jobs.api.JobRun`."""
        job = run.job
        status = markup_value(
            f"{run.status}: {job.get('ImportedUsers', 0)} imported, {job.get('SkippedUsers', 0)} skipped, "
            f"{job.get('FailedUsers', 0)} failed"
        )
        task = self._tasks.get(run.job_id)
        if task is None:
            task = self._tasks[run.job_id] = self.progress.add_task(
                f"job {markup_value(run.job_id)}", total=run.part.new_rows, status=status
            )
        self.progress.update(task, completed=run.processed, status=status)

    def advance(self, result: Any) -> None:
        """One row's result after the jobs (existing users compared, memberships added): a bar of its own."""
        if self._rows is None:
            self._rows = self.progress.add_task("rows", total=self.rows, status="")
        _print_failed(self.progress.console, result)
        self.progress.update(self._rows, advance=1)


def import_summary(summary: dict[str, Any]) -> None:
    rate = summary.get("rows_per_second")
    failed = summary["failed"]
    if summary.get("dry_run"):
        counts = (
            f"would create {summary['created']}, would update {summary['updated']}, {summary['unchanged']} unchanged, "
        )
    else:
        counts = f"{summary['created']} created, {summary['updated']} updated, {summary['unchanged']} unchanged, "
    not_attempted = summary.get("not_attempted") or 0
    unknown = summary.get("unknown") or 0
    stderr().print(
        f"[bold]{summary['rows']} rows in {summary['seconds']} s"
        + (f" ({rate}/s)" if rate else "")
        + ":[/] "
        + counts
        + f"{'[red]' if failed else ''}{failed} failed{'[/]' if failed else ''}"
        + (f", {not_attempted} not attempted" if not_attempted else "")
        + (f" (every row from line {rest} on)" if (rest := summary.get("not_attempted_from_line")) else "")
        + (f", [yellow]{unknown} unknown[/] (run again to settle them)" if unknown else "")
        + f"; {summary['throttle_retries']} throttling retries."
    )
    ended_s, ended_c = summary.get("privx_sessions_ended") or 0, summary.get("privx_connections_ended") or 0
    if ended_s or ended_c:
        stderr().print(f"  PrivX: {ended_s} session(s) and {ended_c} connection(s) of demoted users ended")
    for job in summary.get("jobs") or []:
        stderr().print(
            f"  job {markup_value(job.get('JobId'))} {markup_value(job.get('Status'))}: {job.get('ImportedUsers', 0)} "
            f"imported, {job.get('SkippedUsers', 0)} skipped, {job.get('FailedUsers', 0)} failed"
            + (f" ({markup_text(job['CompletionMessage'])})" if job.get("CompletionMessage") else "")
        )
    if any(job.get("ImportedUsers") for job in summary.get("jobs") or []):
        from cognito_privx.users.jobs.choice import JOB_DIFFERENCES

        stderr().print(f"[yellow]![/] {JOB_DIFFERENCES}")
    if summary.get("stopped"):
        stderr().print(f"[yellow]![/] stopped early: {markup_text(summary['stopped'])}")
    if summary.get("hint"):
        stderr().print(f"[cyan]hint:[/] {markup_text(summary['hint'])}")
