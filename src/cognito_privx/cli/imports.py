"""``import-users``: a CSV validated whole, then imported by the API engine or Cognito's import jobs."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from cognito_privx.cli.root import State, app, check_output, config, open_users, run, users_spec
from cognito_privx.cli.users import ForceOpt

MIN_RATE = 0.1  # creations/s: --rate's floor


def _finite_rate(value: float | None) -> float | None:
    """``--rate``: a finite number of creations per second, at least :data:`MIN_RATE` (``nan`` and ``inf`` refused:
    click's range check lets ``inf`` through and reads ``nan`` as out of range with no word of what is expected).

    Raises ``typer.BadParameter`` (exit 2, before any call)."""
    if value is not None and not (math.isfinite(value) and value >= MIN_RATE):
        raise typer.BadParameter(f"creations per second: a finite number, at least {MIN_RATE} (got {value})")
    return value


@app.command("import-users")
def import_users(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="CSV with a header: email,group[,name].", show_default=False)],
    # Defaults mirror users.api_engine.DEFAULT_WORKERS (not imported here: start-up stays light).
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            max=512,
            help="A ceiling on rows in flight; below it, as many as the rate and Cognito's round trip need.",
        ),
    ] = 256,
    rate: Annotated[
        float | None,
        typer.Option(
            "--rate",
            callback=lambda value: _finite_rate(value),
            help="A ceiling on user creations per second. Without it the rate adapts to the account's quota "
            "(from 50/s, raised while Cognito does not throttle, cut to what it admitted when it does).",
            show_default=False,
        ),
    ] = None,
    no_invite: Annotated[bool, typer.Option("--no-invite", help="Do not send invitation emails.")] = False,
    report: Annotated[
        Path | None, typer.Option("--report", help="Write per-row results here (.json, else CSV).")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate and show what would change.")] = False,
    force: ForceOpt = False,
    keep_sessions: Annotated[
        bool,
        typer.Option(
            "--keep-sessions",
            help="Do not end the sessions of the users whose row takes a group away (else per such row: "
            "AdminUserGlobalSignOut revokes their refresh tokens, and their PrivX sessions and connections are "
            "ended; the directory's users are read once per run).",
        ),
    ] = False,
    engine: Annotated[
        str,
        typer.Option(
            "--engine",
            help="api: one call per user (invitations, results as they come). job: Cognito's import jobs (users "
            "RESET_REQUIRED, no invitation). auto: a job from 10,000 rows when a logs role is set.",
            case_sensitive=False,
        ),
    ] = "auto",
    logs_role_arn: Annotated[
        str | None,
        typer.Option(
            "--logs-role-arn",
            help="The IAM role an import job writes its CloudWatch Logs with (else [cognito] import_logs_role_arn).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Bulk add-user from a CSV: validated first, concurrent, within Cognito's quota, resumable.

    Big files can go to Cognito's own import jobs (--engine job or auto): see docs/cognito.md#user-import-jobs.
    """
    state: State = ctx.obj
    flags = _Flags(workers=workers, rate=rate, invite=not no_invite, dry_run=dry_run, keep_sessions=keep_sessions)
    code = run(state, lambda: _import_file(state, file, flags, engine, logs_role_arn, report, force=force))
    if code:
        raise typer.Exit(code)


@dataclass(frozen=True)
class _Flags:
    """What ``import-users`` was asked to do with the rows, whichever engine does it."""

    workers: int
    rate: float | None
    invite: bool
    dry_run: bool
    keep_sessions: bool = False


def _import_file(
    state: State,
    file: Path,
    flags: _Flags,
    engine: str,
    logs_role_arn: str | None,
    report: Path | None,
    *,
    force: bool,
) -> int:
    """The file checked whole and the report opened before any change, then the import; the exit code."""
    import time

    from cognito_privx.errors import UsageError
    from cognito_privx.users import scan_csv
    from cognito_privx.users.jobs.choice import Engine, choose_engine, validate_role_arn
    from cognito_privx.users.report import open_report

    started = time.monotonic()

    try:
        asked = Engine(engine.lower())
    except ValueError:
        raise UsageError(f"--engine {engine!r} is not an engine", "choose api, job or auto") from None
    cfg = config(state)
    check_output(state, report, "the report")  # a link, a device, the config: exit 2 before any call
    role = (
        validate_role_arn(logs_role_arn, "--logs-role-arn")
        if logs_role_arn is not None
        else cfg.cognito.import_logs_role_arn
    )
    if asked is Engine.JOB:
        choose_engine(asked, 0, invite=flags.invite, role_arn=role, pool=None)  # no role: exit 2 now
    rows = scan_csv(
        file, users_spec(state).role_groups, force=force
    )  # the whole file validated, not held: read again to import
    writer = open_report(report) if report is not None else None  # an unwritable path: exit 2, nothing done
    stage = _Stage()
    try:
        return _import(state, cfg, rows, writer, asked, role, flags, stage)
    except BaseException as e:
        if isinstance(e, KeyboardInterrupt):  # a second press must not cut the report short: the exit is 130
            _ignore_further_presses()
        if writer is not None:  # the report stays a whole document, and says why it ends there
            writer.abort(
                f"stopped by {getattr(e, 'message', None) or type(e).__name__}",
                started,
                getattr(e, "hint", None),
                rows=rows,  # every row of the file listed: the rest as unknown, or not attempted (issue 23)
                begun=stage.rows_begun,
            )
        raise


class _Stage:
    """How far an import got: ``rows_begun`` once an engine may have started a row (before: the pool's look-up,
    the schema check, the engine's choice, where a stop leaves every row "not attempted", not "unknown")."""

    rows_begun = False


def _ignore_further_presses() -> None:
    """SIGINT ignored from here on (a command on its way out with 130), where Python's own handler is set."""
    import signal
    import threading

    if threading.current_thread() is threading.main_thread() and (
        signal.getsignal(signal.SIGINT) is signal.default_int_handler
    ):
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def _import(
    state: State, cfg: Any, rows: Any, writer: Any, asked: Any, role: str | None, flags: _Flags, stage: _Stage
) -> int:
    """The engine chosen, then the rows imported by the API (here) or by import jobs; the exit code."""
    from cognito_privx.users.jobs.choice import Engine, choose_engine

    warm_up = _WarmUp()
    users = open_users(state, keep_sessions=flags.keep_sessions, batch=True, before_lookup=warm_up.start)
    warm_up.join()
    from cognito_privx import render
    from cognito_privx.users.api_engine import CtrlC

    _check_schema(users, rows)
    choice = choose_engine(asked, len(rows), invite=flags.invite, role_arn=role, pool=dict(users.description or {}))
    if choice.engine is Engine.JOB or asked is not Engine.AUTO or "would go" in choice.reason:
        render.info(f"engine: {choice.engine.value} ({choice.reason})")
    if choice.engine is Engine.JOB:
        _admin_only_note(users)
    stage.rows_begun = True
    if choice.engine is Engine.JOB and role is not None:
        return _import_by_jobs(
            state,
            cfg,
            users,
            rows,
            role,
            writer,
            invite=flags.invite,
            dry_run=flags.dry_run,
            workers=flags.workers,
            rate=flags.rate,
        )
    # Held from the pool's listing until the results are out: a press while the pool is read stops as one before
    # the first row (every row "not attempted"), and a late press loses no result (issues 23, 24).
    with CtrlC(keep_after_a_press=True) as ctrl_c:
        index = _learn_pool(users, len(rows), flags, ctrl_c)
        return _import_rows(state, users, rows, writer, flags, index, ctrl_c)


class _WarmUp:
    """The modules the rows need after the pool's look-up (the progress bar and rich, the engine, the pacing),
    imported on a thread of their own while the main thread waits on ListUserPools and DescribeUserPool: their
    ~30-50 ms of CPU overlap the round trips instead of following them (issue 24: time to the first create).
    Nothing else runs on that thread, and its imports are all of the tool's or rich's modules (none of botocore's,
    which the main thread may be importing meanwhile); :meth:`join` is called before the main thread imports
    any of them, so no module is imported from both ends at once. A failed import is left for the main thread to
    meet and report as it would have."""

    MODULES = (
        "cognito_privx.render",
        "rich.progress",
        "cognito_privx.pacing",
        "cognito_privx.users.api_engine",
        "cognito_privx.users.index",
        "cognito_privx.users.pool_rules",
        "cognito_privx.users.quick_rows",
    )

    def __init__(self) -> None:
        self._thread: Any = None

    def start(self) -> None:
        import threading

        self._thread = threading.Thread(target=self._load, name="warm-up", daemon=True)
        self._thread.start()

    def join(self) -> None:
        if self._thread is not None:
            self._thread.join()

    def _load(self) -> None:
        import importlib

        for name in self.MODULES:
            try:
                importlib.import_module(name)
            except BaseException:  # noqa: BLE001 - the main thread imports it again and reports what it meets
                return


class _PressedWhileListing(Exception):
    """Ctrl-C while the pool's users were listed: the listing ends there (no row has been sent)."""


def _learn_pool(users: Any, rows: int, flags: _Flags, ctrl_c: Any, every: int = 100) -> Any:
    """:func:`~cognito_privx.users.index.learn_pool` with a note on stderr when the listing starts and every
    ``every`` pages (on a big pool it takes a minute: 60 users a page, 30 pages/s), stopped at a Ctrl-C press
    (after the page in flight): then ``None``, and the run that follows starts no row."""
    from cognito_privx import render
    from cognito_privx.users.index import learn_pool

    pages = 0
    estimated = int((users.description or {}).get("EstimatedNumberOfUsers", 0) or 0)

    def on_page(seen: int) -> None:
        nonlocal pages
        if ctrl_c.presses:
            raise _PressedWhileListing
        if not seen:
            render.info(f"reading the pool's users (about {estimated}) before the first row…")
            return
        pages += 1
        if pages % every == 0:
            render.info(f"read {seen} of about {max(estimated, seen)} users")

    if ctrl_c.presses:
        return None
    try:
        return learn_pool(users, rows, dry_run=flags.dry_run, on_page=on_page)
    except _PressedWhileListing:
        return None


def _check_schema(users: Any, rows: Any) -> None:
    """The whole file against the pool's schema, before the first row (exit 2): read again row by row only when
    a row could be refused (a required attribute, a group over its MaxLength), found from the scan's groups."""
    from cognito_privx.users.pool_rules import any_row_refused

    pool = users.description or users.gw.describe_pool(users.pool_id)
    if any_row_refused(pool, users.attribute, rows.groups, nameless=rows.nameless):
        for row in rows:
            users.check_row(row, where=f"line {row.line}: ")


def _import_rows(state: State, users: Any, rows: Any, writer: Any, flags: _Flags, index: Any, ctrl_c: Any) -> int:
    """The API engine's run and its results (the summary, ``-o json``); the exit code."""
    from cognito_privx import render
    from cognito_privx.pacing import AdaptiveRate
    from cognito_privx.users.api_engine import import_rows
    from cognito_privx.users.quick_rows import no_call_answer

    with render.ImportProgress(len(rows)) as progress:
        result = import_rows(
            users,
            rows,
            workers=flags.workers,
            invite=flags.invite,
            dry_run=flags.dry_run,
            on_result=progress.advance,
            limiter=AdaptiveRate(ceiling=flags.rate),
            index=index,
            keep_results=state.json,
            report=writer,
            note=render.warning,
            ctrl_c=ctrl_c,
            no_call=no_call_answer(users, index, dry_run=flags.dry_run),
        )
    summary = result.summary()
    if state.json:
        render.json_document({"summary": summary, "rows": [r.to_json() for r in result.results]})
    else:
        render.import_summary(summary)
    if result.interrupted or ctrl_c.presses:
        return 130
    return 1 if result.failed else 0


def _admin_only_note(users: Any) -> None:
    """Before a job into a pool whose account recovery is admin-only: its RESET_REQUIRED users cannot recover a
    password themselves (botocore ``RecoveryOptionType``: admin_only "prevents self-service account recovery")."""
    from cognito_privx import render
    from cognito_privx.users.pool_rules import Recovery

    if Recovery.of(users.description).admin_only:
        render.warning(
            "this pool's account recovery is admin-only: the users an import job creates (RESET_REQUIRED) cannot "
            "set a password themselves; give each a temporary password with `cognito-privx add-user EMAIL "
            "--group G --temporary-password-prompt`"
        )


def _import_by_jobs(
    state: State,
    cfg: Any,
    users: Any,
    rows: Any,
    role: str,
    writer: Any,
    *,
    invite: bool,
    dry_run: bool,
    workers: int,
    rate: float | None,
) -> int:
    """``import-users`` through Cognito's import jobs (:mod:`cognito_privx.users.jobs`); the exit code."""
    import time

    from cognito_privx import render
    from cognito_privx.users.jobs.logs import LineBase
    from cognito_privx.users.jobs.run import JobOptions, import_with_jobs

    options = JobOptions(
        role_arn=role,
        line_numbers=LineBase(cfg.cognito.import_log_line_numbers),
        invite=invite,
        dry_run=dry_run,
        workers=workers,
        rate=rate,
    )
    following: list[str] = []

    def on_job(run: Any) -> None:
        following[:] = [run.job_id]
        progress.update(run)

    started = time.monotonic()
    try:
        with render.JobProgress(len(rows)) as progress:
            outcome = import_with_jobs(
                users,
                rows,
                options,
                groups=rows.groups,
                on_note=render.info,
                on_job=on_job,
                on_result=progress.advance,
                report=writer,
                keep_results=state.json,
            )
    except KeyboardInterrupt:
        # While a job runs: Cognito goes on with it. The report and the summary say so; every row of the file is
        # listed, as "unknown" (in the job, which goes on) or "not attempted" (no job was started).
        import collections

        from cognito_privx.users.model import Outcome, UserResult
        from cognito_privx.users.report import ImportReport

        going_on = f"import job {following[0]} goes on in Cognito" if following else "no import job was started"
        outcome_of = Outcome.UNKNOWN if following else Outcome.NOT_ATTEMPTED
        detail = f"interrupted: {going_on}" + ("; run again to follow it" if following else "")
        skip = writer.written if writer is not None else 0
        settled = [UserResult(r.email, outcome_of, detail, r.line) for i, r in enumerate(rows) if i >= skip]
        outcome = ImportReport(
            settled if state.json else [],
            time.monotonic() - started,
            0,
            f"interrupted: {going_on}",
            "run the same command again to follow it and get the per-row results" if following else None,
            interrupted=True,
            counts=collections.Counter({outcome_of.value: len(settled) + skip}),
        )
        if writer is not None:
            for result in settled:
                writer.write(result)
            writer.close(outcome)
    summary = outcome.summary()
    if state.json:
        render.json_document({"summary": summary, "rows": [r.to_json() for r in outcome.results]})
    else:
        render.import_summary(summary)
    if outcome.interrupted:
        return 130
    # A job that stopped or expired before some rows leaves them "not attempted": not done, so not a success.
    return 1 if outcome.failed or outcome.not_attempted else 0
