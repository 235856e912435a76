"""The whole ``--engine job`` run (:func:`import_with_jobs`): plan, one job per part, each part's results, then the
settle pass in file order, which hands every row needing a call to the API engine (:func:`_settle_rows`)."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable, Sized
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cognito_privx.errors import CognitoError, UsageError
from cognito_privx.pacing import AdaptiveRate
from cognito_privx.users.api_engine import import_rows
from cognito_privx.users.index import PoolIndex, learn_pool
from cognito_privx.users.jobs.api import JobClient, JobRun, ensure_job, job_for_json
from cognito_privx.users.jobs.choice import JOB_DIFFERENCES
from cognito_privx.users.jobs.logs import LineBase, results_from_logs
from cognito_privx.users.jobs.plan import EXISTING, JOB_ROW, JobCsv, JobPlan, new_workdir, plan_jobs
from cognito_privx.users.jobs.results import SKIPPED, SUCCEEDED, PartResults, results_from_pool, row_result, user_exists
from cognito_privx.users.jobs.trust import check_logs_role
from cognito_privx.users.model import Outcome, UserResult, UserRow
from cognito_privx.users.pool import PoolUsers
from cognito_privx.users.report import ImportReport, ReportWriter


@dataclass
class JobOptions:
    """What ``import-users --engine job`` was given (see :func:`import_with_jobs`)."""

    role_arn: str
    line_numbers: LineBase = LineBase.AUTO
    invite: bool = True
    dry_run: bool = False
    workers: int = 8  # --workers: calls in flight after the jobs (existing users, memberships)
    rate: float | None = None  # --rate: a ceiling on those calls' adaptive rate (requests/s)


def import_with_jobs(
    users: PoolUsers,
    rows: Iterable[UserRow],
    options: JobOptions,
    *,
    groups: Iterable[str] = (),
    on_note: Callable[[str], None] = lambda _: None,
    on_job: Callable[[JobRun], None] = lambda _: None,
    on_result: Callable[[UserResult], None] | None = None,
    report: ReportWriter | None = None,
    keep_results: bool = True,
    client: JobClient | None = None,
    logs: Any = None,
    iam: Any = None,
) -> ImportReport:
    """Import ``rows`` (iterable more than once: a :class:`~cognito_privx.users.csv_file.CsvScan`) through import jobs.

    Returns an :class:`~cognito_privx.users.report.ImportReport` whose ``jobs`` describe the jobs. ``groups``: the
    file's distinct groups (checked before any job in ``cognito:groups`` mode). ``client``, ``logs`` and ``iam``
    (boto3 CloudWatch Logs and IAM clients) are seams. Raises :class:`CognitoError` when the logs role is missing
    or does not trust Cognito (IAM ``GetRole``, when allowed), or a job cannot be created, uploaded or started;
    a job that ends Failed or Stopped is reported per row, not raised.
    """
    started = time.monotonic()
    if not users.model.signs_in_with_email:
        raise CognitoError(
            f"pool {users.pool_id} does not sign users in by email: an import job cannot be planned for it",
            "import with --engine api, which says per row what is wrong",
        )
    if users.native_groups:
        for group in sorted(set(groups) - users.role_groups):
            users.memberships.require_group(group)
    said = check_logs_role(iam if iam is not None else _client(users, "iam"), options.role_arn, users.gw.account_id())
    if said:
        on_note(said)
    # Who exists: one listing, unless the file is so small next to the pool that looking each row up costs fewer
    # calls (the plan looks them up one after another, as a listing reads its pages: calls, not quotas, decide).
    estimated = int((users.description or {}).get("EstimatedNumberOfUsers", 0) or 0)
    count = len(rows) if isinstance(rows, Sized) else estimated
    index = learn_pool(users, 10**9, dry_run=True) if count >= math.ceil(estimated / 60) else None
    client = client or JobClient(users, options.role_arn)
    pool: dict[str, Any] = dict(users.description or users.gw.describe_pool(users.pool_id))
    csv_format = JobCsv(client.header(), users.attribute, str(pool.get("MfaConfiguration", "OFF")))
    part_results: dict[int, PartResults] = {}
    jobs: list[dict[str, Any]] = []

    def exists(row: UserRow) -> bool:
        return index.get(row.email) is not None if index is not None else user_exists(users, row.email)

    with new_workdir() as tmp:
        plan = plan_jobs(rows, exists, csv_format, None if options.dry_run else Path(tmp))
        _say_plan(plan, options, on_note)
        for part in [] if options.dry_run else [p for p in plan.parts if p.new_rows]:
            run = ensure_job(client, plan, part)
            on_note(f"job {run.name}: {run.note}")
            on_job(run)
            run = client.follow(run, on_job)
            jobs.append(job_for_json(run.job) | {"JobName": run.name})
            part_results[part.number] = _results(users, pool, run, options, logs, on_note, client.sleep)
    return _settle_rows(users, rows, plan, part_results, index, options, jobs, started, on_result, report, keep_results)


def _say_plan(plan: JobPlan, options: JobOptions, on_note: Callable[[str], None]) -> None:
    parts = sum(1 for p in plan.parts if p.new_rows)
    verb = "would import" if options.dry_run else "to import:"
    on_note(f"{verb} {plan.new_rows:,} new users in {parts} import job(s); {plan.existing:,} existing users compared")
    if plan.unfit:
        on_note(
            f"{plan.unfit:,} rows a job file cannot carry (a quote, backslash or line break in a value) are created "
            + ("by API calls, with an invitation" if options.invite else "by API calls (no invitation: --no-invite)")
        )
    if parts:
        on_note(JOB_DIFFERENCES)


def _results(
    users: PoolUsers,
    pool: dict[str, Any],
    run: JobRun,
    options: JobOptions,
    logs: Any,
    on_note: Callable[[str], None],
    sleep: Callable[[float], None],
) -> PartResults:
    """A finished job's per-row results: none to read when it processed no row, else its logs (a job this run
    created and uploaded), else the pool."""
    if run.processed == 0:
        return PartResults(run, bytearray(run.part.new_rows), source="the job processed no row")
    if run.ours:
        results, said = results_from_logs(
            logs if logs is not None else _client(users, "logs"), pool, run, options.line_numbers, sleep=sleep
        )
    else:
        results, said = None, "a job an earlier run started (its file is not this run's)"
    if results is not None:
        on_note(f"job {run.job_id}: per-row results from its CloudWatch Logs ({said})")
        return results
    on_note(f"job {run.job_id}: {said}; its rows are checked against the pool")
    return results_from_pool(users, run)


def _settle_rows(
    users: PoolUsers,
    rows: Iterable[UserRow],
    plan: JobPlan,
    part_results: dict[int, PartResults],
    index: PoolIndex | None,
    options: JobOptions,
    jobs: list[dict[str, Any]],
    started: float,
    on_result: Callable[[UserResult], None] | None,
    report: ReportWriter | None,
    keep_results: bool,
) -> ImportReport:
    """The last pass, in file order: job rows answered from their results (a skipped one compared and updated, an
    imported one given its groups in ``cognito:groups`` mode), the other rows by the API path."""
    handoff: dict[int, tuple[int, JobRun | None]] = {}  # rows a worker must call Cognito for, by input line
    lock = threading.Lock()
    walk = _JobRows(plan, part_results)

    def answer(row: UserRow) -> UserResult | None:
        kind, found = walk.next()
        if kind == EXISTING and index is None:  # known to exist (looked up): compared, never created first
            with lock:
                handoff[row.line or 0] = (SKIPPED, None)
            return None
        if found is None:
            return None  # the API path
        results, position = found
        if options.dry_run or results is None:
            return UserResult(row.email, Outcome.CREATED, f"would import, group {row.group}", row.line)
        code, message = results.of(position, row)
        result = row_result(row, code, message, results.run)
        if result is None or (code == SUCCEEDED and users.native_groups):
            with lock:
                handoff[row.line or 0] = (code, results.run)
            return None
        return result

    def action(worker: PoolUsers, row: UserRow) -> UserResult | None:
        with lock:
            entry = handoff.pop(row.line or 0, None)
        if entry is None:
            return None  # the API path
        code, run = entry
        if code != SUCCEEDED or run is None:  # there already (skipped by the job, or before it): compared, updated
            return worker.add(row, invite=False, create=False, dry_run=options.dry_run)
        for group in row.groups:
            worker.call("admin_add_user_to_group", UserPoolId=worker.pool_id, Username=row.email, GroupName=group)
        return row_result(row, code, "", run)

    return import_rows(
        users,
        rows,
        workers=options.workers,
        invite=options.invite,
        dry_run=options.dry_run,
        on_result=on_result,
        # AdminAddUserToGroup: from the 25/s UserResourceUpdate quota, found as creations find theirs.
        limiter=AdaptiveRate(start=25.0, ceiling=options.rate),
        index=index,
        keep_results=keep_results,
        report=report,
        answer=answer,
        action=action,
        paced=frozenset({"admin_create_user", "admin_add_user_to_group"}),
        jobs=jobs,
        started=started,
    )


_CHANGED = "run again on a file not in use: rows already done are unchanged, jobs are found again by name"


class _JobRows:
    """Walks the file in order beside :func:`import_rows` (which asks once per row, in file order): for each job
    row, its part's results and its position in the part's file, from the plan's ``kinds`` and parts."""

    def __init__(self, plan: JobPlan, results: dict[int, PartResults]) -> None:
        self._kinds = plan.kinds
        self._parts = iter(plan.parts)
        self._results = results
        self._part = next(self._parts)
        self._end = self._part.rows
        self._ordinal = 0
        self._position = 0

    def next(self) -> tuple[int, tuple[PartResults | None, int] | None]:
        """The next row's kind (``EXISTING``, ``JOB_ROW``, ``UNFIT``) and, for a job row, its job's results and
        its position in the job's file. Raises :class:`UsageError` past the rows planned (the file grew)."""
        if self._ordinal >= len(self._kinds):
            raise UsageError("the file changed while it was read: more rows than when it was checked", _CHANGED)
        while self._ordinal >= self._end:
            self._part = next(self._parts)
            self._end += self._part.rows
            self._position = 0
        kind = self._kinds[self._ordinal]
        self._ordinal += 1
        if kind != JOB_ROW:
            return kind, None
        self._position += 1
        return kind, (self._results.get(self._part.number), self._position - 1)


def _client(users: PoolUsers, service: str) -> Any:
    """A boto3 client for ``service`` in the pool's region, from the Cognito client's session when there is one."""
    import boto3

    region = users.gw.client.meta.region_name
    if users.gw.session is not None:
        return users.gw.session.client(service, region_name=region)
    return boto3.client(service, region_name=region)


__all__ = ["JobOptions", "import_with_jobs"]
