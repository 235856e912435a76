"""The user commands' output: one line per result, the users table, and the progress and summary of an import."""

from __future__ import annotations

import sys
from typing import Any

from rich.cells import cell_len

from cognito_privx.render.terminal import console, markup_text, markup_value, printable, stderr

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
    """Users as :class:`UsersTable` rows on ``file`` (stdout by default), the count on stderr."""
    with UsersTable(file) as table:
        for u in users:
            table.row(u)


# Column widths fixed before the first row (a streamed table cannot widen a column for a later one): ``status`` is
# as wide as Cognito's longest UserStatusType (FORCE_CHANGE_PASSWORD, botocore's cognito-idp model), ``created`` as
# an ISO timestamp with its offset, ``enabled`` as its header; email, name and group (Cognito allows 2,048
# characters) get a share of the terminal's width and are cut with "…" there. In a pipe or a file nothing is cut:
# a longer value pushes the rest of its own line along (``-o json`` for exact values, ``| sort`` to sort).
_STATUS_W, _ENABLED_W, _CREATED_W = 21, 7, 25
_PIPE_WIDTHS = (32, 20, 16)  # email, name, group, when values are not cut
_UNVERIFIED = " (unverified)"


class UsersTable:
    """``list-users``' table, printed row by row as the pages come: email (``(unverified)`` after an address
    Cognito holds unverified), name (``(login rehearsal)`` for doctor's sign-in identity), group, status,
    enabled, created; in Cognito's order (not sorted). On a terminal, email, name and group share its width and
    longer values are cut with "…"; in a pipe or a file values are whole. The count goes to stderr at the end."""

    def __init__(self, file: Any = None) -> None:
        self.out = file or sys.stdout
        self.shown = 0
        self._tty = bool(self.out.isatty())
        self._console = console(self.out) if self._tty else None
        if self._console is not None:
            room = max(24, self._console.width - _STATUS_W - _ENABLED_W - _CREATED_W - 10)
            self._widths = (max(8, room * 9 // 20), max(6, room * 6 // 20), max(5, room * 5 // 20))
        else:
            self._widths = _PIPE_WIDTHS

    def __enter__(self) -> UsersTable:
        from rich.text import Text

        email_w, name_w, group_w = self._widths
        cells = [("email", email_w), ("name", name_w), ("group", group_w), ("status", _STATUS_W)]
        self._write(Text("  ".join(_fit(h, w, cut=False) for h, w in cells) + "  enabled  created", style="bold"))
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            stderr().print(f"{self.shown} user(s)")

    def row(self, user: Any) -> None:
        """One user (a :class:`~cognito_privx.users.UserInfo`), printed now."""
        from rich.text import Text

        from cognito_privx.desired import is_rehearsal

        email_w, name_w, group_w = self._widths
        cut = self._tty
        unverified = not getattr(user, "email_verified", True)
        email = printable(user.email)
        if unverified:
            email = _fit(email, email_w - len(_UNVERIFIED), cut=cut, pad=False)
            email_cell = email + _UNVERIFIED + " " * max(0, email_w - cell_len(email) - len(_UNVERIFIED))
        else:
            email_cell = _fit(email, email_w, cut=cut)
        name = "(login rehearsal)" if is_rehearsal(user.email) else printable(user.name or "—")
        rest = "  ".join(
            (
                _fit(name, name_w, cut=cut),
                _fit(printable(user.group or "—"), group_w, cut=cut),
                _fit(printable(user.status), _STATUS_W, cut=False),
            )
        )
        enabled = "yes" if user.enabled else "no"
        created = printable(user.created)
        self.shown += 1
        if self._console is None:
            self.out.write(f"{email_cell}  {rest}  {enabled:<{_ENABLED_W}}  {created}\n")
            return
        text = Text()
        if unverified:
            text.append(email)
            text.append(_UNVERIFIED, style="yellow")
            text.append(email_cell[len(email) + len(_UNVERIFIED) :])
        else:
            text.append(email_cell)
        text.append(f"  {rest}  ")
        text.append(f"{enabled:<{_ENABLED_W}}", style=None if user.enabled else "red")
        text.append(f"  {created}")
        self._write(text)

    def _write(self, text: Any) -> None:
        if self._console is None:
            self.out.write(text.plain + "\n")
        else:
            self._console.print(text, soft_wrap=True)


def _fit(value: str, width: int, *, cut: bool, pad: bool = True) -> str:
    """``value`` in ``width`` terminal cells: cut with "…" when ``cut`` and longer, padded with spaces when ``pad``."""
    from rich.cells import set_cell_size

    length = cell_len(value)
    if cut and length > width:
        return set_cell_size(value, width - 1) + "…"
    return value + " " * (width - length) if pad and length < width else value


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

        # Plain text columns (no markup: rich would also load its emoji table to read them, ~10 ms before the first
        # create, issue 24).
        self.progress = Progress(
            TextColumn("importing", markup=False),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn("{task.percentage:>3.0f}%", style="progress.percentage", markup=False),
            TextColumn("{task.fields[rate]:>6.1f} rows/s", markup=False),
            TimeElapsedColumn(),
            TextColumn("ETA", markup=False),
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


def _rest_of_file(summary: dict[str, Any]) -> str:
    """The summary's parenthesis after "N not attempted": the rows listed one by one (handed out, never started)
    and the one count from the first row not handed out to the end of the file."""
    rest = summary.get("not_attempted_from_line")
    if not rest:
        return ""
    counted = summary.get("not_attempted_rest")
    listed = (summary.get("not_attempted") or 0) - counted if counted else 0
    if listed > 0:
        return f" ({listed} listed, then every row from line {rest} on)"
    return f" (every row from line {rest} on)"


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
        + _rest_of_file(summary)
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
