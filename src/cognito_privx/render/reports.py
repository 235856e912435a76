"""Reports: doctor's checks, the access review (table, JSON rows as they come, its progress), and the demo's
narrator."""

from __future__ import annotations

import json
import sys
from typing import Any

from cognito_privx.plan import Plan
from cognito_privx.render.plans import change_lines, plan_summary, setup_summary
from cognito_privx.render.terminal import console, data, markup_text, markup_value, stderr
from cognito_privx.render.users import user_result, users_table

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
        out.print(f"[{colour}]{symbol}[/] {markup_value(check.name.ljust(width))}  {markup_text(check.message)}")
        if check.hint:
            out.print(f"  {' ' * width}  [cyan]hint:[/] {markup_text(check.hint)}")
        for line in check.details:
            out.print(f"  {' ' * width}  {markup_text(line)}")
    if not report.ok:
        verdict = "[red bold]some checks failed[/]"
    else:
        verdict = "[yellow]passed with warnings[/]" if counts["warn"] else "[green]all checks passed[/]"
    stderr().print(
        f"{verdict}: {counts['ok']} ok, {counts['fail']} failed, {counts['warn']} warning(s), {counts['skip']} skipped"
    )


# -- access ---------------------------------------------------------------------------------------------------------


class JsonRows:
    """``access -o json``: one JSON document, ``{"rows": [...], "summary": {...}}``, written as rows come (``key``
    names the list: ``list-users`` writes ``{"users": [...]}``, without a summary). When the run fails after the
    first row, the document is closed with ``"error"`` instead of a summary, so stdout always holds one whole
    document (or nothing, when it failed before the first row)."""

    def __init__(self, enabled: bool, key: str = "rows") -> None:
        self.enabled = enabled
        self._open = "{" + json.dumps(key) + ": ["
        self._started = False
        self._closed = False

    def row(self, document: dict[str, Any]) -> None:
        sys.stdout.write(("," if self._started else self._open) + "\n  " + json.dumps(document, default=str))
        self._started = True

    def close(self, summary: dict[str, Any] | None = None) -> None:
        """The document's end: the summary, when there is one."""
        if not self.enabled or self._closed:
            return
        self._closed = True
        head = "\n]" if self._started else self._open + "]"
        tail = "" if summary is None else ',\n"summary": ' + json.dumps(summary, indent=2, default=str)
        sys.stdout.write(head + tail + "}\n")
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
            markup_value(r.email),
            markup_value(",".join(r.groups) or "—"),
            markup_value(f"{r.status} ({r.status_meaning})" if r.status else "— (not in Cognito)"),
            "—" if r.enabled is None else ("yes" if r.enabled else "[red]no[/]"),
            markup_value(r.mfa or "—"),
            markup_value(", ".join(r.roles) or "—"),
            str(r.sessions),
            str(r.connections),
            f"[yellow]{markup_value(', '.join(flags))}[/]" if flags else "—",
        )
    out = file or sys.stdout
    width = None if out.isatty() else 250
    console(out, width=width).print(table)
    counts = ", ".join(f"{flag}: {n}" for flag, n in summary["flags"].items())
    left = (
        f"; {summary['rehearsal_left_out']} rehearsal identity(ies) left out" if summary["rehearsal_left_out"] else ""
    )
    stderr().print(markup_text(f"{len(rows)} row(s){left}; {counts}"))
    calls = summary["calls"]
    cognito, privx = (sum(v for k, v in calls.items() if k.startswith(side)) for side in ("cognito", "privx"))
    stderr().print(markup_text(f"calls: Cognito {cognito}, PrivX {privx}; PrivX roles from {summary['roles_from']}"))


class DemoNarrator:
    """Tells the demo's story on stderr; the direct-login URL goes to stdout last."""

    def __init__(self) -> None:
        self.console = stderr()
        self.count = 0

    def step(self, title: str, text: str) -> None:
        self.count += 1
        self.console.print()
        self.console.rule(f"[bold]{self.count}. {markup_text(title)}[/]", align="left")
        self.console.print(markup_text(text))

    def plan(self, plan: Plan, *, done: bool) -> None:
        for change in plan.changes:
            for line in change_lines(change, done=done):
                self.console.print(line)
        self.console.print(
            f"[bold]{markup_text(setup_summary(plan, dry_run=False) if done else plan_summary(plan))}[/]"
        )

    def note(self, text: str) -> None:
        self.console.print(f"[cyan]{markup_text(text)}[/]")

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
            self.console.print(f"  {key:<13} {markup_value(value)}")
        self.console.print()
        self.console.print("Direct-login URL (users skip PrivX's login page and go straight to Cognito):")
        data(outputs.login_url)
