"""Output: rich text for humans on stderr, data on stdout, or exactly one JSON document with ``--output json``.

With ``cli``, the only module that prints. Secrets never reach here: the plan holds ``(sensitive)`` instead.
Every value printed as text goes through :func:`printable` (control characters and bidi overrides escaped);
JSON is left exact (``json.dumps`` escapes control characters itself).
"""

from __future__ import annotations

import json
import os
import re
import sys
from typing import Any, TextIO

from rich.console import Console
from rich.markup import escape

from cognito_privx.errors import CognitoPrivxError
from cognito_privx.plan import Action, Change, Plan

_SYMBOL = {
    Action.CREATE: ("+", "green"),
    Action.UPDATE: ("~", "yellow"),
    Action.DELETE: ("-", "red"),
    Action.NOOP: ("=", "dim"),
}
_VERB_PLAN = {
    Action.CREATE: "create",
    Action.UPDATE: "update",
    Action.DELETE: "delete",
    Action.NOOP: "unchanged",
}
_DONE_OF = {"revoke": "revoked", "grant": "granted", "end": "ended"}
_VERB_DONE = {
    Action.CREATE: "created",
    Action.UPDATE: "updated",
    Action.DELETE: "deleted",
    Action.NOOP: "unchanged",
}


# What a terminal obeys instead of showing: C0 controls (ESC starts the sequences that clear the screen, move the
# cursor, retitle the window or hide text), DEL and C1 controls (U+009B is an 8-bit CSI to some terminals); the
# bidi embeddings, overrides, isolates and marks that reorder what is shown ("Trojan Source", CVE-2021-42574:
# U+202A-U+202E, U+2066-U+2069, U+200E, U+200F, U+061C); and the Unicode line and paragraph separators.
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_UNSAFE = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}\u2028\u2029]")
_UNSAFE_IN_TEXT = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}\u2028\u2029]")  # keeps \t and \n
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escaped(match: re.Match[str]) -> str:
    c = match.group()
    return _NAMED.get(c) or (f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}")


def printable(value: object, *, lines: bool = False) -> str:
    """``value`` as text that shows on a terminal as what it is: every character a terminal would obey rather
    than show is written as its escape (``\\x1b``, ``\\u202e``, ``\\n``); an ESC sequence is thereby inert text.
    ``lines``: a message of the tool's own that may run over lines (``\\n`` and ``\\t`` kept). A backslash is
    left as it is: the point is a safe terminal, not a reversible encoding (``--output json`` is exact)."""
    text = value if isinstance(value, str) else str(value)
    return (_UNSAFE_IN_TEXT if lines else _UNSAFE).sub(_escaped, text)


def _v(value: object) -> str:
    """A value for rich markup: escaped for the terminal (:func:`printable`) and for rich's ``[...]``."""
    return escape(printable(value))


def _t(message: object) -> str:
    """A message (possibly quoting a server's text) for rich markup: as :func:`_v`, its line breaks kept."""
    return escape(printable(message, lines=True))


def console(file: TextIO | None = None, *, width: int | None = None, soft_wrap: bool = True) -> Console:
    """A console on ``file`` (stderr by default). With ``NO_COLOR`` set (https://no-color.org), no escape code at
    all: no colour, no bold, no cursor movement (spinners and progress bars print no live updates)."""
    plain = bool(os.environ.get("NO_COLOR"))
    return Console(
        file=file or sys.stderr,
        highlight=False,
        soft_wrap=soft_wrap,
        width=width,
        color_system=None if plain else "auto",
        force_terminal=False if plain else None,
    )


def stderr() -> Console:
    # Built per call so that tests capturing sys.stderr see the output.
    return console(sys.stderr)


def stdout() -> Console:
    return console(sys.stdout)


def _value(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, default=str)


def change_lines(change: Change, *, done: bool) -> list[str]:
    symbol, colour = _SYMBOL[change.action]
    verb = (_VERB_DONE if done else _VERB_PLAN)[change.action]
    if change.verb:
        verb = _DONE_OF.get(change.verb, change.verb) if done else change.verb
    lines = [f"[{colour}]{symbol} {verb}[/] {_v(change.resource)} [bold]{_v(change.name)}[/]"]
    for f in change.fields:
        if change.action is Action.CREATE:
            lines.append(f"    {_v(f.field)}: {_v(_value(f.after))}")
        else:
            lines.append(f"    {_v(f.field)}: {_v(_value(f.before))} → {_v(_value(f.after))}")
    lines.extend(f"    [yellow]![/] {_t(n)}" for n in change.notes)
    return lines


def change(change: Change, *, done: bool, out: Console | None = None) -> None:
    """One change's lines, on stderr unless ``out`` says otherwise."""
    target = out or stderr()
    for line in change_lines(change, done=done):
        target.print(line)


def stopped_summary(done: list[Change]) -> str:
    """The closing line of a setup that stopped half-way: what it had done before."""
    changed = [c for c in done if c.action is not Action.NOOP]
    if not changed:
        return "Stopped before changing anything."
    counts = {action: sum(1 for c in changed if c.action is action) for action in _VERB_DONE}
    parts = [f"{n} {_VERB_DONE[a]}" for a, n in counts.items() if n]
    return f"Stopped; done before that: {', '.join(parts)} (see the lines above). Run setup again to finish."


def plan_text(plan: Plan, *, done: bool, out: Console | None = None) -> None:
    """The plan's lines, on stderr unless ``out`` says otherwise (``plan`` writes its plan to stdout)."""
    target = out or stderr()
    for change in plan.changes:
        for line in change_lines(change, done=done):
            target.print(line)


def setup_summary(plan: Plan, *, dry_run: bool) -> str:
    if not plan.has_changes:
        return "No changes: Cognito and PrivX already match the config."
    if dry_run:
        return f"Dry run, nothing changed. Would: {plan.summary()}."
    c = plan.count
    return (
        f"Setup complete: {c(Action.CREATE)} created, {c(Action.UPDATE)} updated, {c(Action.DELETE)} deleted or "
        f"revoked, {c(Action.NOOP)} unchanged."
    )


def teardown_summary(plan: Plan, *, dry_run: bool) -> str:
    deleted = plan.count(Action.DELETE)
    # What stays although it is ours (a rule in an ALL group, a role someone added to): never "all gone".
    kept = sum(1 for c in plan.changes if c.action is Action.NOOP and c.notes and c.notes[0] != "already gone")
    left = f"; {kept} left in place (see the notes above)" if kept else ""
    if not deleted:
        return f"Nothing to remove{left}." if kept else "Nothing to remove: everything is already gone."
    if dry_run:
        return f"Dry run, nothing changed. Would remove {deleted}{left}."
    return f"Teardown complete: {deleted} removed{left}."


def plan_summary(plan: Plan) -> str:
    if not plan.has_changes:
        return "No changes. Cognito and PrivX match the config."
    return f"Plan: {plan.summary()}."


def info(message: str) -> None:
    stderr().print(_t(message))


def warning(message: str) -> None:
    """A ``warning:`` line on stderr: the command goes on."""
    stderr().print(f"[yellow bold]warning:[/] {_t(message)}")


def text(message: str) -> None:
    """A line of text that is the command's data (``plan``'s summary) on stdout."""
    stdout().print(_t(message))


def data(line: str) -> None:
    """One line of data on stdout."""
    sys.stdout.write(printable(line) + "\n")
    sys.stdout.flush()


def json_document(document: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(document, indent=2, sort_keys=False, default=str) + "\n")
    sys.stdout.flush()


def login_probe(probe: Any, problems: list[str]) -> None:
    """One direct-login candidate: ✓ with where it leads, or ✗ with what is wrong (on stderr)."""
    if problems:
        stderr().print(f"[red]✗[/] {_v(probe.url)}: {_t('; '.join(problems))}")
    else:
        stderr().print(f"[green]✓[/] {_v(probe.url)} → {_v(probe.target)} with our client id and callback")


def problem(message: str, hint: str | None) -> None:
    """A failure that is not an exception: ``error:`` and ``hint:`` lines on stderr."""
    console = stderr()
    console.print(f"[red bold]error:[/] {_t(message)}")
    if hint:
        console.print(f"[cyan]hint:[/] {_t(hint)}")


def error(e: CognitoPrivxError) -> None:
    console = stderr()
    console.print(f"[red bold]error:[/] {_t(e.message)}")
    if e.hint:
        console.print(f"[cyan]hint:[/] {_t(e.hint)}")


class DemoNarrator:
    """Tells the demo's story on stderr; the direct-login URL goes to stdout last."""

    def __init__(self) -> None:
        self.console = stderr()
        self.count = 0

    def step(self, title: str, text: str) -> None:
        self.count += 1
        self.console.print()
        self.console.rule(f"[bold]{self.count}. {_t(title)}[/]", align="left")
        self.console.print(_t(text))

    def plan(self, plan: Plan, *, done: bool) -> None:
        for change in plan.changes:
            for line in change_lines(change, done=done):
                self.console.print(line)
        self.console.print(f"[bold]{_t(setup_summary(plan, dry_run=False) if done else plan_summary(plan))}[/]")

    def note(self, text: str) -> None:
        self.console.print(f"[cyan]{_t(text)}[/]")

    def user(self, result: Any) -> None:
        user_result(result)

    def users(self, users: list[Any]) -> None:
        users_table(users, file=sys.stderr)

    def doctor(self, report: Any) -> None:
        doctor_report(report, file=sys.stderr)

    def outputs(self, outputs: Any) -> None:
        self.console.print()
        self.console.rule("[bold]Result[/]", align="left")
        for key, value in outputs.to_json().items():
            self.console.print(f"  {key:<13} {_v(value)}")
        self.console.print()
        self.console.print("Direct-login URL (users skip PrivX's login page and go straight to Cognito):")
        data(outputs.login_url)


def export_lines(lines: list[str]) -> None:
    for line in lines:
        data(line)


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
    detail = f"  {_v(result.detail)}" if result.detail else ""
    where = f"line {result.line}: " if result.line else ""
    status = getattr(result, "status", None)
    if status:
        from cognito_privx.users import status_text  # a user result comes from users, imported already

        detail += f"  status {_v(status_text(status))}"
    stderr().print(f"[{colour}]{symbol} {result.outcome.value}[/] {where}{_v(result.email)}{detail}")


def users_table(users: list[Any], file: Any = None) -> None:
    from rich.table import Table

    table = Table(show_edge=False, pad_edge=False, header_style="bold")
    for column in ("email", "name", "group", "status", "enabled", "created"):
        table.add_column(column)
    from cognito_privx.desired import is_rehearsal

    for u in users:
        table.add_row(
            _v(u.email),
            # doctor --login's identity (kept disabled between rehearsals), marked so nobody takes it for a person
            "(login rehearsal)" if is_rehearsal(u.email) else _v(u.name or "—"),
            _v(u.group or "—"),
            _v(u.status),
            "yes" if u.enabled else "[red]no[/]",
            _v(u.created),
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
        out.print(f"[red]✗ failed[/] line {result.line}: {_v(result.email)}  {_v(result.detail)}")


class ImportProgress:
    """A progress bar on stderr: rows done, rate, ETA. Failed rows are printed above it as they happen."""

    def __init__(self, total: int) -> None:
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
        self._start = 0.0
        self._done = 0

    def __enter__(self) -> ImportProgress:
        import time

        self._start = time.monotonic()
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.__exit__(None, None, None)

    def advance(self, result: Any) -> None:
        import time

        self._done += 1
        elapsed = max(time.monotonic() - self._start, 1e-6)
        _print_failed(self.progress.console, result)
        self.progress.update(self.task, advance=1, rate=self._done / elapsed)


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
        status = _v(
            f"{run.status}: {job.get('ImportedUsers', 0)} imported, {job.get('SkippedUsers', 0)} skipped, "
            f"{job.get('FailedUsers', 0)} failed"
        )
        task = self._tasks.get(run.job_id)
        if task is None:
            task = self._tasks[run.job_id] = self.progress.add_task(
                f"job {_v(run.job_id)}", total=run.part.new_rows, status=status
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
    stderr().print(
        f"[bold]{summary['rows']} rows in {summary['seconds']} s"
        + (f" ({rate}/s)" if rate else "")
        + ":[/] "
        + counts
        + f"{'[red]' if failed else ''}{failed} failed{'[/]' if failed else ''}"
        + (f", {not_attempted} not attempted" if not_attempted else "")
        + f"; {summary['throttle_retries']} throttling retries."
    )
    ended_s, ended_c = summary.get("privx_sessions_ended") or 0, summary.get("privx_connections_ended") or 0
    if ended_s or ended_c:
        stderr().print(f"  PrivX: {ended_s} session(s) and {ended_c} connection(s) of demoted users ended")
    for job in summary.get("jobs") or []:
        stderr().print(
            f"  job {_v(job.get('JobId'))} {_v(job.get('Status'))}: {job.get('ImportedUsers', 0)} "
            f"imported, {job.get('SkippedUsers', 0)} skipped, {job.get('FailedUsers', 0)} failed"
            + (f" ({_t(job['CompletionMessage'])})" if job.get("CompletionMessage") else "")
        )
    if any(job.get("ImportedUsers") for job in summary.get("jobs") or []):
        from cognito_privx.users.jobs.choice import JOB_DIFFERENCES

        stderr().print(f"[yellow]![/] {JOB_DIFFERENCES}")
    if summary.get("stopped"):
        stderr().print(f"[yellow]![/] stopped early: {_t(summary['stopped'])}")
    if summary.get("hint"):
        stderr().print(f"[cyan]hint:[/] {_t(summary['hint'])}")


_CHECK_SYMBOL = {"ok": ("✓", "green"), "fail": ("✗", "red"), "warn": ("!", "yellow"), "skip": ("-", "dim")}


def doctor_report(report: Any, file: Any = None) -> None:
    """``doctor``: the checks are this command's data, so one line each on stdout (``✓`` / ``✗`` / ``!`` / ``-``),
    each hint indented below its check; the tally on stderr."""
    out = console(file or sys.stdout)
    width = max((len(c.name) for c in report.checks), default=0)
    counts = {status: 0 for status in _CHECK_SYMBOL}
    for check in report.checks:
        status = str(check.status)
        counts[status] += 1
        symbol, colour = _CHECK_SYMBOL[status]
        out.print(f"[{colour}]{symbol}[/] {_v(check.name.ljust(width))}  {_t(check.message)}")
        if check.hint:
            out.print(f"  {' ' * width}  [cyan]hint:[/] {_t(check.hint)}")
        for line in check.details:
            out.print(f"  {' ' * width}  {_t(line)}")
    if not report.ok:
        verdict = "[red bold]some checks failed[/]"
    else:
        verdict = "[yellow]passed with warnings[/]" if counts["warn"] else "[green]all checks passed[/]"
    stderr().print(
        f"{verdict}: {counts['ok']} ok, {counts['fail']} failed, {counts['warn']} warning(s), {counts['skip']} skipped"
    )


# -- access ---------------------------------------------------------------------------------------------------------


class JsonRows:
    """``access -o json``: one JSON document, ``{"rows": [...], "summary": {...}}``, written as rows come. When the
    run fails after the first row, the document is closed with ``"error"`` instead of a summary, so stdout always
    holds one whole document (or nothing, when it failed before the first row)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._started = False
        self._closed = False

    def row(self, document: dict[str, Any]) -> None:
        sys.stdout.write(("," if self._started else '{"rows": [') + "\n  " + json.dumps(document, default=str))
        self._started = True

    def close(self, summary: dict[str, Any]) -> None:
        if not self.enabled or self._closed:
            return
        self._closed = True
        head = "\n]" if self._started else '{"rows": ['
        sys.stdout.write(head + ',\n"summary": ' + json.dumps(summary, indent=2, default=str) + "}\n")
        sys.stdout.flush()

    def abort(self, e: BaseException) -> None:
        if not self.enabled or self._closed or not self._started:
            return
        self._closed = True
        message = getattr(e, "message", None) or type(e).__name__
        sys.stdout.write('\n],\n"error": ' + json.dumps(str(message)) + "}\n")
        sys.stdout.flush()


class AccessProgress:
    """``access``'s progress bar on stderr (users walked of the pool's estimate), only on a terminal and not with
    JSON; otherwise it does nothing."""

    def __init__(self, pool: Any, *, show: bool) -> None:
        self._progress: Any = None
        if not (show and sys.stderr.isatty()):
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        total = (pool or {}).get("EstimatedNumberOfUsers")
        columns = (TextColumn("reviewing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        self._progress = Progress(*columns, console=stderr(), transient=True)
        self._task = self._progress.add_task("access", total=total if isinstance(total, int) and total else None)

    def __enter__(self) -> AccessProgress:
        if self._progress is not None:
            self._progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.__exit__(None, None, None)

    def advance(self, users: int) -> None:
        if self._progress is not None:
            self._progress.update(self._task, advance=users)


def access_table(rows: list[Any], summary: dict[str, Any], file: Any = None) -> None:
    """The review as a table on stdout (Cognito users by email, then PrivX records without one), the counts on
    stderr."""
    from rich.table import Table

    table = Table(show_edge=False, pad_edge=False, header_style="bold")
    for column in ("email", "group", "status", "enabled", "mfa", "privx roles", "sessions", "conns", "flags"):
        table.add_column(column, no_wrap=True)
    for r in sorted(rows, key=lambda r: (r.status is None, r.email.casefold())):
        flags = [f"{f} ({', '.join(r.wrong_roles)})" if f == "role-not-in-config" else f for f in r.flags]
        table.add_row(
            _v(r.email),
            _v(",".join(r.groups) or "—"),
            _v(f"{r.status} ({r.status_meaning})" if r.status else "— (not in Cognito)"),
            "—" if r.enabled is None else ("yes" if r.enabled else "[red]no[/]"),
            _v(r.mfa or "—"),
            _v(", ".join(r.roles) or "—"),
            str(r.sessions),
            str(r.connections),
            f"[yellow]{_v(', '.join(flags))}[/]" if flags else "—",
        )
    out = file or sys.stdout
    width = None if out.isatty() else 250
    console(out, width=width).print(table)
    counts = ", ".join(f"{flag}: {n}" for flag, n in summary["flags"].items())
    left = (
        f"; {summary['rehearsal_left_out']} rehearsal identity(ies) left out" if summary["rehearsal_left_out"] else ""
    )
    stderr().print(_t(f"{len(rows)} row(s){left}; {counts}"))
    calls = summary["calls"]
    cognito, privx = (sum(v for k, v in calls.items() if k.startswith(side)) for side in ("cognito", "privx"))
    stderr().print(_t(f"calls: Cognito {cognito}, PrivX {privx}; PrivX roles from {summary['roles_from']}"))
