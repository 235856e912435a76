"""``import-users --engine job``: Cognito's server-side user import jobs, for files that outgrow API calls.

The job path, in order (docs/cognito.md#user-import-jobs has the facts and their sources):

1. **Plan** (one pass over the validated file, :func:`plan_jobs`): every row whose user the pool already holds, or
   whose values a job file cannot carry, takes the API path (compared and updated, as ``add-user``); the new users
   are written to the pool's own CSV format (``GetCSVHeader``: every column present, ``cognito:username`` = the
   email, ``email_verified`` true, the group attribute, ``cognito:mfa_enabled`` as the pool's MFA requires,
   commas escaped ``\\,``), split into parts of at most 500,000 rows and 100 MB (AWS's limits per job).
2. **Jobs**, one part at a time ("only one import job can be active at a time per account"):
   ``CreateUserImportJob`` (with the CloudWatch Logs role), ``PUT`` to the pre-signed URL with
   ``x-amz-server-side-encryption: aws:kms``, ``StartUserImportJob``, then ``DescribeUserImportJob`` until it
   ends. Job names are derived from the file (:meth:`JobPlan.job_name`): a re-run finds its job by name
   (``ListUserImportJobs``) and follows it, uploads and starts one it had created, or reports one that finished,
   instead of starting a duplicate. Only a job that ended Stopped, Failed or Expired is followed by a new attempt.
3. **Per-row results** from the job's CloudWatch Logs stream (``[SUCCEEDED|SKIPPED|FAILED] Line Number N``;
   whether N counts the header is not documented: :func:`line_base` finds out, ``[cognito]
   import_log_line_numbers`` pins it). A job this run did not create, or logs the caller cannot read, are
   checked against the pool instead (a listing). Skipped rows (created meanwhile) are compared and updated;
   in ``cognito:groups`` mode every imported user is added to its groups (``AdminAddUserToGroup``, paced from
   the 25/s ``UserResourceUpdate`` quota).

What differs from the API path (said before the jobs start and in the summary): imported users are
``RESET_REQUIRED`` and get no invitation email -- they set a password through "forgot password".
"""

from __future__ import annotations

import array
import datetime
import enum
import hashlib
import logging
import math
import re
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sized
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cognito_privx import retry
from cognito_privx.config import ROLE_ARN_RE
from cognito_privx.errors import CognitoError, UsageError
from cognito_privx.imports import ImportReport, PoolIndex, ReportWriter
from cognito_privx.users import Outcome, PoolUsers, UserResult, UserRow, attributes_of

# AWS's limits per job (developer guide, "Importing users from a CSV file"; quotas page): 500,000 users (the header
# not counted), 100 MB (AWS's reference solution uses the decimal 100,000,000), 16,000 characters a row.
JOB_MAX_ROWS = 500_000
JOB_MAX_BYTES = 100_000_000
JOB_MAX_ROW_CHARS = 16_000
# The pre-signed URL lives 15 minutes (X-Amz-Expires=899); a Created job older than this needs a new one.
UPLOAD_URL_TTL_S = 14 * 60
JOB_NAME_PREFIX = "cognito-privx-"
ACTIVE = frozenset({"Pending", "InProgress", "Stopping"})
ENDED = frozenset({"Succeeded", "Failed", "Stopped", "Expired"})
# ``[FAILED] Line Number 12 - The User Record does not set ...`` (developer guide, "Viewing the results").
_LOG_LINE_RE = re.compile(r"^\[(SUCCEEDED|SKIPPED|FAILED)\] Line Number (\d+) - (.*)$", re.DOTALL)


class Engine(enum.StrEnum):
    AUTO = "auto"
    API = "api"
    JOB = "job"


# The row count above which ``--engine auto`` hands new users to import jobs (docs/cognito.md#user-import-jobs):
# at the default 50/s UserCreation quota the API path runs at ~47.5 users/s, so 10,000 rows hold the account's
# whole UserCreation quota (SignUp included: the account's real sign-ups are throttled meanwhile) for 3.5 minutes;
# a job spends no UserCreation quota and a handful of control-plane calls. Below this, the API path's invitations
# and immediate per-row results are worth more than the minutes saved.
AUTO_JOB_MIN_ROWS = 10_000


def validate_role_arn(arn: str, origin: str) -> str:
    """``arn`` when it is an IAM role ARN, else a :class:`UsageError` (exit 2) naming ``origin``."""
    if not ROLE_ARN_RE.match(arn):
        raise UsageError(
            f"{origin}: {arn!r} is not an IAM role ARN",
            "give the ARN of a role Cognito may assume to write CloudWatch Logs, like "
            "arn:aws:iam::123456789012:role/CognitoImportLogs (docs/cognito.md#user-import-jobs)",
        )
    return arn


@dataclass(frozen=True)
class EngineChoice:
    engine: Engine
    reason: str


def choose_engine(
    asked: Engine, rows: int, *, invite: bool, role_arn: str | None, pool: dict[str, Any] | None
) -> EngineChoice:
    """Which engine a run uses, and why (printed). ``auto`` takes the job above :data:`AUTO_JOB_MIN_ROWS` rows,
    when a logs role is configured, and unless invitations were asked for and the pool could send them (with
    Cognito's default email, 50 a day, they could not anyway). ``--engine job`` without a role: a UsageError."""
    if asked is Engine.API:
        return EngineChoice(Engine.API, "--engine api")
    # "If the user pool has no auto-verified attributes, the import job will not start." (developer guide)
    verifies_email = pool is None or "email" in (pool.get("AutoVerifiedAttributes") or [])
    if asked is Engine.JOB:
        if role_arn is None:
            raise UsageError(
                "--engine job needs the CloudWatch Logs role Cognito writes the job's results with",
                "set [cognito] import_logs_role_arn or pass --logs-role-arn (docs/cognito.md#user-import-jobs)",
            )
        if not verifies_email:
            raise UsageError(
                "the pool does not auto-verify email: Cognito starts no import job for it",
                "import with --engine api (pools made by `cognito-privx setup` verify email)",
            )
        return EngineChoice(Engine.JOB, "--engine job")
    if rows < AUTO_JOB_MIN_ROWS:
        return EngineChoice(Engine.API, f"{rows:,} rows: under {AUTO_JOB_MIN_ROWS:,}, API calls")
    if not verifies_email:
        return EngineChoice(
            Engine.API, f"{rows:,} rows would go to an import job, but the pool does not auto-verify email: API calls"
        )
    if role_arn is None:
        return EngineChoice(
            Engine.API,
            f"{rows:,} rows would go to an import job, but no CloudWatch Logs role is set "
            "([cognito] import_logs_role_arn or --logs-role-arn): API calls",
        )
    sending = ((pool or {}).get("EmailConfiguration") or {}).get("EmailSendingAccount", "COGNITO_DEFAULT")
    if invite and sending == "DEVELOPER":
        return EngineChoice(
            Engine.API,
            f"{rows:,} rows would go to an import job, but import jobs send no invitation: API calls "
            "(pass --no-invite or --engine job for a job)",
        )
    return EngineChoice(Engine.JOB, f"{rows:,} rows: {AUTO_JOB_MIN_ROWS:,} or more, an import job")


JOB_DIFFERENCES = (
    "imported users are RESET_REQUIRED and get no invitation email: they set their password with "
    "'Forgot your password?' on the sign-in page"
)


# -- the job file ------------------------------------------------------------------------------------------------


class JobCsv:
    """Lines of the pool's import CSV (``GetCSVHeader`` order) for our rows.

    Raises :class:`CognitoError` when the header lacks a column our rows need (the group attribute: run setup).
    """

    def __init__(self, header: list[str], attribute: str, mfa: str) -> None:
        missing = [c for c in ("cognito:username", "email", "email_verified", attribute) if c not in header]
        if missing:
            raise CognitoError(
                f"the pool's import header (GetCSVHeader) lacks {', '.join(missing)}",
                "run `cognito-privx setup` to give the pool its attribute, then import again",
            )
        self.header = header
        self.attribute = attribute
        # cognito:mfa_enabled: "true" when the pool requires MFA, "false" when it is off; optional takes either.
        self.mfa = "true" if mfa == "ON" else "false"
        self.header_line = ",".join(header) + "\n"

    @staticmethod
    def fits(row: UserRow) -> bool:
        """Whether a job file can carry the row as it is: no quotes, backslashes or line breaks (the format has
        only ``\\,`` to escape a comma)."""
        values = (row.email, row.group_value, row.name or "")
        return sum(map(len, values)) < JOB_MAX_ROW_CHARS // 2 and not any(c in v for v in values for c in '"\\\r\n')

    def line(self, row: UserRow) -> str:
        values = {
            "cognito:username": row.email,
            "email": row.email,
            "email_verified": "true",
            self.attribute: row.group_value,
            "name": row.name or "",
            "cognito:mfa_enabled": self.mfa,
        }
        return ",".join(values.get(column, "").replace(",", "\\,") for column in self.header) + "\n"


@dataclass
class JobPart:
    """One job's rows: ``lines[i]`` is the input line of the file's data row ``i`` (0-based)."""

    number: int
    path: Path | None = None
    rows: int = 0  # input rows of this part (new and existing)
    size: int = 0  # bytes of the file so far (header included)
    lines: array.array[int] = field(default_factory=lambda: array.array("I"))

    @property
    def new_rows(self) -> int:
        return len(self.lines)


# A row's path (JobPlan.kinds): an existing user (compared and updated by API), a new user in a job file, a new user a
# job file cannot carry (created by API).
EXISTING, JOB_ROW, UNFIT = 0, 1, 2


@dataclass
class JobPlan:
    """What the jobs will carry: parts of new users, and how many rows take the API path instead."""

    digest: str
    parts: list[JobPart]
    existing: int = 0
    unfit: int = 0
    kinds: bytearray = field(default_factory=bytearray)  # per input row: EXISTING, JOB_ROW or UNFIT

    @property
    def new_rows(self) -> int:
        return sum(p.new_rows for p in self.parts)

    def job_name(self, part: JobPart, attempt: int = 1) -> str:
        """``cognito-privx-<file digest>-<k>of<n>[-try<m>]`` (AWS: 1-128 of ``[\\w\\s+=,.@-]``)."""
        base = f"{JOB_NAME_PREFIX}{self.digest}-{part.number}of{len(self.parts)}"
        return base if attempt == 1 else f"{base}-try{attempt}"


def plan_jobs(
    rows: Iterable[UserRow], exists: Callable[[UserRow], bool], csv_format: JobCsv | None, workdir: Path | None
) -> JobPlan:
    """One pass over the rows: the file's digest, the parts, each row's path (``kinds``) and (with ``workdir``)
    each part's job file. ``exists``: whether the pool holds the row's user (a listing's answer, or a look-up).

    Part boundaries depend on the input alone (every row's encoded size counts, new or not), so a re-run of the
    same file names the same jobs. Memory: 5 bytes a row at most (its path; a new row's input line).
    """
    digest = hashlib.sha256()
    parts = [JobPart(1)]
    plan = JobPlan("", parts)
    header_size = len(csv_format.header_line.encode()) if csv_format is not None else 0
    handle: Any = None
    try:
        for row in rows:
            digest.update(f"{row.email}\t{row.group_value}\t{row.name or ''}\n".encode())
            encoded = (csv_format.line(row) if csv_format is not None else "").encode()
            part = parts[-1]
            if part.rows and (part.rows >= JOB_MAX_ROWS or header_size + part.size + len(encoded) > JOB_MAX_BYTES):
                if handle is not None:
                    handle.close()
                    handle = None
                part = JobPart(len(parts) + 1)
                parts.append(part)
            part.rows += 1
            part.size += len(encoded)
            if exists(row):
                plan.kinds.append(EXISTING)
                plan.existing += 1
                continue
            if not JobCsv.fits(row):
                plan.kinds.append(UNFIT)
                plan.unfit += 1
                continue
            plan.kinds.append(JOB_ROW)
            part.lines.append(row.line or 0)
            if workdir is not None and csv_format is not None:
                if handle is None:
                    part.path = workdir / f"part-{part.number}.csv"
                    handle = part.path.open("w", encoding="utf-8", newline="")
                    handle.write(csv_format.header_line)
                handle.write(encoded.decode())
    finally:
        if handle is not None:
            handle.close()
    plan.digest = digest.hexdigest()[:16]
    return plan


# -- the jobs ----------------------------------------------------------------------------------------------------


@dataclass
class JobRun:
    """One job as this run knows it: its last description, and how its rows' results are found."""

    name: str
    part: JobPart
    job: dict[str, Any]
    ours: bool  # created by this run: its log lines map onto this run's file
    note: str = ""

    @property
    def status(self) -> str:
        return str(self.job.get("Status", ""))

    @property
    def job_id(self) -> str:
        return str(self.job.get("JobId", ""))

    @property
    def processed(self) -> int:
        return sum(int(self.job.get(k, 0) or 0) for k in ("ImportedUsers", "SkippedUsers", "FailedUsers"))


@dataclass
class JobClient:
    """The import-job calls for one pool, over the user side's calls (throttling retried).

    ``upload``: PUTs a file to a pre-signed URL (a seam; default :func:`put_file`). ``sleep``, ``clock``: seams
    for polling. Raises :class:`CognitoError` for refusals, with what to do.
    """

    users: PoolUsers
    role_arn: str
    upload: Callable[[str, Path], None] = field(default_factory=lambda: put_file)
    sleep: Callable[[float], None] = time.sleep
    poll_first_s: float = 0.25
    poll_max_s: float = 5.0

    def header(self) -> list[str]:
        answer = self._call("get_csv_header", UserPoolId=self.users.pool_id)
        return [str(c) for c in answer.get("CSVHeader", [])]

    def jobs_named(self, base: str) -> list[dict[str, Any]]:
        """Our jobs for one part (``base`` and its ``-try<m>`` attempts), newest first."""
        found: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            params: dict[str, Any] = {"UserPoolId": self.users.pool_id, "MaxResults": 60}
            if token:
                params["PaginationToken"] = token
            page = self._call("list_user_import_jobs", **params)
            for job in page.get("UserImportJobs", []):
                name = str(job.get("JobName", ""))
                if name == base or name.startswith(base + "-try"):
                    found.append(job)
            token = page.get("PaginationToken")
            if not token:
                break
        found.sort(key=lambda j: _when(j.get("CreationDate")), reverse=True)
        return found

    def create(self, name: str) -> dict[str, Any]:
        """A new job (never two: after an answer that may hide a success, the job is looked up by name)."""

        def lookup() -> dict[str, Any] | None:
            jobs = [j for j in self.jobs_named(name) if j.get("JobName") == name and j.get("Status") == "Created"]
            return jobs[0] if jobs else None

        return self.users.gw.create_once(
            "create_user_import_job",
            "UserImportJob",
            lookup,
            JobName=name,
            UserPoolId=self.users.pool_id,
            CloudWatchLogsRoleArn=self.role_arn,
        )

    def start(self, job_id: str) -> dict[str, Any]:
        try:
            answer = self._call("start_user_import_job", UserPoolId=self.users.pool_id, JobId=job_id)
        except CognitoError as e:
            if retry.aws_code(e) == "PreconditionNotMetException":
                raise CognitoError(
                    f"Cognito would not start import job {job_id}: {e.message}",
                    "if another import job is active in the account (only one can be), run again when it has "
                    "ended: this job is started then if it is under 15 minutes old, else a new one is made",
                ) from e
            raise
        return dict(answer["UserImportJob"])

    def describe(self, job_id: str) -> dict[str, Any]:
        answer = self._call("describe_user_import_job", UserPoolId=self.users.pool_id, JobId=job_id)
        return dict(answer["UserImportJob"])

    def follow(self, run: JobRun, on_progress: Callable[[JobRun], None]) -> JobRun:
        """Poll until the job ends (backing off from ``poll_first_s`` to ``poll_max_s``), reporting progress."""
        wait = self.poll_first_s
        while run.status not in ENDED:
            self.sleep(wait)
            wait = min(self.poll_max_s, wait * 1.3)
            run.job = self.describe(run.job_id)
            on_progress(run)
        return run

    def _call(self, operation: str, **params: Any) -> dict[str, Any]:
        answer = self.users._call(operation, **params)
        return answer or {}


class _HidePresignedQuery(logging.Filter):
    """Log records (httpx's ``HTTP Request: PUT <url>`` under ``--debug``) show a pre-signed URL without its query:
    the signature in it is a credential for the upload."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_without_query(a) for a in record.args)
        return True


def _without_query(value: Any) -> Any:
    text = str(value)
    return text.split("?", 1)[0] + "?…" if "X-Amz-Signature" in text else value


_HIDE_PRESIGNED = _HidePresignedQuery()


def put_file(url: str, path: Path) -> None:
    """PUT ``path`` to a pre-signed S3 URL with the header the URL was signed with; transport errors and 5xx are
    retried. Raises :class:`CognitoError` with S3's code on a refusal (an expired URL: run again)."""
    import httpx

    if _HIDE_PRESIGNED not in logging.getLogger("httpx").filters:
        logging.getLogger("httpx").addFilter(_HIDE_PRESIGNED)
    size = path.stat().st_size

    def once() -> httpx.Response:
        with path.open("rb") as body:
            return httpx.put(
                url,
                content=iter(lambda: body.read(1 << 20), b""),
                headers={"x-amz-server-side-encryption": "aws:kms", "Content-Length": str(size)},
                timeout=httpx.Timeout(30.0, write=300.0),
            )

    def again(e: BaseException) -> bool:
        return isinstance(e, httpx.TransportError)

    policy = retry.RetryPolicy(attempts=4, base=0.5, cap=8.0)
    response = policy.call(once, retry_error=again, retry_result=lambda r: r.status_code >= 500)
    if response.status_code >= 300:
        code = re.search(r"<Code>([^<]+)</Code>", response.text)
        raise CognitoError(
            f"uploading the import file failed: HTTP {response.status_code} {code.group(1) if code else ''}".rstrip(),
            "run again: a new job gets a new upload URL (they expire after 15 minutes)",
        )


def _when(value: Any) -> float:
    if isinstance(value, datetime.datetime):
        return value.timestamp()
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def ensure_job(client: JobClient, plan: JobPlan, part: JobPart, *, now: Callable[[], float] = time.time) -> JobRun:
    """The job for ``part`` (called only for a part with rows not in the pool): a running one of ours followed, a
    Created one (its URL still good) uploaded and started, else a new attempt created and started -- after one that
    ended, Succeeded included: the rows it did not import are still missing, and the new job says why."""
    jobs = client.jobs_named(plan.job_name(part))
    latest = jobs[0] if jobs else None
    name = plan.job_name(part, len(jobs) + 1)
    note = ""
    if latest is not None:
        status = str(latest.get("Status"))
        latest_name = str(latest["JobName"])
        if status in ACTIVE:
            return JobRun(latest_name, part, latest, ours=False, note=f"following {latest['JobId']} ({status})")
        fresh = now() - _when(latest.get("CreationDate")) < UPLOAD_URL_TTL_S
        if status == "Created" and fresh and part.path is not None:
            client.upload(str(latest["PreSignedUrl"]), part.path)
            started = client.start(str(latest["JobId"]))
            return JobRun(latest_name, part, started, ours=True, note=f"started {latest['JobId']}, created before")
        if status == "Created":
            note = f"{latest['JobId']} was never started and its upload URL has expired: a new attempt"
        elif status == "Succeeded":  # and yet rows of this part are not in the pool (they failed, or were removed)
            note = f"{latest['JobId']} ran before, but {part.new_rows:,} of its rows are not in the pool: a new attempt"
        else:
            note = f"{latest['JobId']} ended {status}: a new attempt"
    if part.path is None:
        raise AssertionError("a new job needs its file")  # plan_jobs wrote it: a programming error
    job = client.create(name)
    client.upload(str(job["PreSignedUrl"]), part.path)
    started = client.start(str(job["JobId"]))
    return JobRun(name, part, started, ours=True, note=note or f"created {job['JobId']}")


# -- per-row results ---------------------------------------------------------------------------------------------

SUCCEEDED, SKIPPED, FAILED = 1, 2, 3
_MAX_EMPTY_PAGES = 20
_CODES = {"SUCCEEDED": SUCCEEDED, "SKIPPED": SKIPPED, "FAILED": FAILED}


@dataclass
class PartResults:
    """Per data row of a part (0-based): 0 = not logged, else SUCCEEDED / SKIPPED / FAILED; failure messages."""

    run: JobRun
    codes: bytearray
    messages: dict[int, str] = field(default_factory=dict)
    verified: Callable[[UserRow], int] | None = None  # the row checked against the pool instead of the logs
    source: str = ""

    def of(self, position: int, row: UserRow) -> tuple[int, str]:
        if self.verified is not None:
            return self.verified(row), ""
        return self.codes[position], self.messages.get(position, "")


def log_names(pool: dict[str, Any], run: JobRun) -> tuple[str, str]:
    """The job's CloudWatch Logs group and stream: ``/aws/cognito/userpools/<pool id>/<pool name>`` and
    ``<job id>/<job name>`` (developer guide, "Viewing the user import results in the CloudWatch console")."""
    return f"/aws/cognito/userpools/{pool['Id']}/{pool['Name']}", f"{run.job_id}/{run.name}"


def read_log_lines(logs: Any, group: str, stream: str) -> Iterator[tuple[int, int, str]]:
    """``(code, line number, message)`` for each row event of a job's stream (``GetLogEvents``, paged)."""
    token: str | None = None
    empty = 0
    while True:
        params: dict[str, Any] = {"logGroupName": group, "logStreamName": stream, "startFromHead": True}
        if token:
            params["nextToken"] = token
        page = logs.get_log_events(**params)
        for event in page.get("events", []):
            match = _LOG_LINE_RE.match(str(event.get("message", "")).strip())
            if match:
                yield _CODES[match[1]], int(match[2]), match[3].strip()
        following = page.get("nextForwardToken")
        # The end of a stream answers the token it was given; an empty page before it is not the end
        # (aws-sdk-net#3218), but a run of them is taken as one (a stream still being written).
        empty = 0 if page.get("events") else empty + 1
        if not following or following == token or empty >= _MAX_EMPTY_PAGES:
            return
        token = following


class LineBase(enum.StrEnum):
    """What ``Line Number N`` counts from; no public source says (docs/cognito.md#user-import-jobs)."""

    AUTO = "auto"
    DATA = "data"  # the first data row is line 1
    FILE = "file"  # the header is line 1, the first data row line 2


def line_base(pinned: LineBase, low: int, high: int, rows: int) -> tuple[LineBase | None, str]:
    """The base of the log's line numbers: pinned, or found from the smallest and largest logged (``low``,
    ``high``; 0 when nothing was logged). Rows are numbered 1..rows (data) or 2..rows+1 (file): a 1 or a
    ``rows + 1`` settles it, and a job that logged every row shows one of them. ``None`` when undecided."""
    if pinned is not LineBase.AUTO:
        return pinned, f"line numbers as configured (import_log_line_numbers = {pinned.value})"
    if high == 0:
        return None, "the job logged no row"
    if high == rows + 1:
        return LineBase.FILE, "CloudWatch Logs count the header as line 1"
    if low == 1:
        return LineBase.DATA, "CloudWatch Logs count the first data row as line 1"
    return None, f"line numbers {low}-{high} for {rows} rows: cannot tell what they count from"


def results_from_logs(
    logs: Any,
    pool: dict[str, Any],
    run: JobRun,
    pinned: LineBase,
    *,
    sleep: Callable[[float], None] = time.sleep,
    attempts: int = 4,
) -> tuple[PartResults | None, str]:
    """The part's per-row results from the job's log stream, or ``None`` (with why) when the logs cannot be read,
    hold fewer rows than the job's counters even after waiting (CloudWatch Logs may lag: 1, 2, 4 s), or their line
    numbers cannot be placed or contradict ``pinned``. Memory: a byte per row, and the failure messages."""
    import botocore.exceptions

    group, stream = log_names(pool, run)
    rows = run.part.new_rows
    counted = tuple(int(run.job.get(k, 0) or 0) for k in ("ImportedUsers", "SkippedUsers", "FailedUsers"))
    for attempt in range(attempts):
        by_number = bytearray(rows + 2)  # indexed by the logged line number, 0..rows+1
        messages: dict[int, str] = {}
        low, high, tally = 0, 0, [0, 0, 0]
        try:
            for code, number, message in read_log_lines(logs, group, stream):
                if not 0 <= number <= rows + 1:
                    return None, f"line number {number} in {group} {stream} is beyond the {rows} rows of the job"
                by_number[number] = code
                tally[code - 1] += 1
                if code == FAILED:
                    messages[number] = message
                low = number if not low else min(low, number)
                high = max(high, number)
        except botocore.exceptions.ClientError as e:
            code_name = e.response.get("Error", {}).get("Code", "")
            return None, f"cannot read CloudWatch Logs {group} {stream} ({code_name})"
        except botocore.exceptions.BotoCoreError as e:
            return None, f"cannot read CloudWatch Logs {group} {stream} ({e})"
        if tuple(tally) == counted:
            break
        if attempt + 1 < attempts:
            sleep(2.0**attempt)
    else:
        return None, (
            f"its log shows {sum(tally):,} rows ({tally[0]} succeeded, {tally[1]} skipped, {tally[2]} failed) where "
            f"the job counts {sum(counted):,} ({counted[0]}, {counted[1]}, {counted[2]})"
        )
    # The log itself settles the base whenever it shows row 1 (data) or row ``rows + 1`` (file), as every complete
    # log does. A pin is checked against that; on a partial log that settles nothing a pin cannot be confirmed (a
    # wrong one would shift every row), so the pool is asked instead.
    base, said = line_base(LineBase.AUTO, low, high, rows)
    if pinned is not LineBase.AUTO and base is not None and base is not pinned:
        return None, f"import_log_line_numbers = {pinned.value} contradicts the log (lines {low}-{high}, {rows} rows)"
    if base is None:
        return None, said + ("" if pinned is LineBase.AUTO else f" (import_log_line_numbers = {pinned.value})")
    offset = 1 if base is LineBase.DATA else 2
    results = PartResults(run, by_number[offset : offset + rows].ljust(rows, b"\0"), source=said)
    results.messages = {n - offset: m for n, m in messages.items() if 0 <= n - offset < rows}
    return results, said


def results_from_pool(users: PoolUsers, run: JobRun) -> PartResults:
    """The part's rows checked against the pool (one listing when that is cheaper than a look-up per row): a user
    there as the row has it and ``RESET_REQUIRED`` counts as imported; one there otherwise (created meanwhile, as
    a job skips it) is compared and updated; one absent was not imported."""
    from cognito_privx.imports import learn_pool

    index = learn_pool(users, run.part.new_rows, dry_run=True)

    def verify(row: UserRow) -> int:
        user = index.get(row.email) if index is not None else _find(users, row.email)
        if user is None:
            return 0
        if isinstance(user, int):
            return SKIPPED  # several case variants: the API path says which
        attrs = attributes_of(user)
        imported = (
            str(user.get("UserStatus", "")) == "RESET_REQUIRED"
            and attrs.get(users.attribute) == row.group_value
            and (row.name or None) == (attrs.get("name") or None)
        )
        return SUCCEEDED if imported else SKIPPED

    return PartResults(run, bytearray(0), verified=verify, source="checked against the pool")


def _find(users: PoolUsers, email: str) -> Any:
    """The pool's user with this email (``AdminGetUser``), ``None``, or 2 when several case variants match."""
    from cognito_privx.errors import AmbiguousResourceError

    try:
        return users.find(email)
    except AmbiguousResourceError:
        return 2


def _exists(users: PoolUsers, email: str) -> bool:
    """Whether the pool holds a user with this email (several in different cases count: the API path says so)."""
    return _find(users, email) is not None


def row_result(row: UserRow, code: int, message: str, run: JobRun) -> UserResult | None:
    """A job row's result from its log code; ``None`` when it needs the API path (skipped: created meanwhile)."""
    if code == SUCCEEDED:
        return UserResult(
            row.email, Outcome.CREATED, f"imported by {run.job_id}, group {row.group}", row.line, "RESET_REQUIRED"
        )
    if code == FAILED:
        return UserResult(row.email, Outcome.FAILED, f"{run.job_id}: {message}", row.line)
    if code == SKIPPED:
        return None
    if run.status == "Succeeded":
        return UserResult(row.email, Outcome.FAILED, f"not imported by {run.job_id}", row.line)
    if run.status == "Failed":  # the whole job failed (its role, its file): every row it did not reach failed too
        why = run.job.get("CompletionMessage") or "the job failed"
        return UserResult(row.email, Outcome.FAILED, f"{run.job_id} failed: {why}", row.line)
    return UserResult(
        row.email,
        Outcome.NOT_ATTEMPTED,
        f"{run.job_id} ended {run.status}: {run.job.get('CompletionMessage', '')}".rstrip(": "),
        row.line,
    )


def new_workdir() -> tempfile.TemporaryDirectory[str]:
    """Where the job files are written (deleted afterwards)."""
    return tempfile.TemporaryDirectory(prefix="cognito-privx-import-")


def job_for_json(job: dict[str, Any]) -> dict[str, Any]:
    """A job description for the summary and JSON output: datetimes as ISO 8601 text, no pre-signed URL (its
    signature is a credential)."""
    out = {k: v for k, v in job.items() if k != "PreSignedUrl"}
    for key, value in out.items():
        if isinstance(value, datetime.datetime):
            out[key] = value.isoformat()
    return out


# -- the whole run -----------------------------------------------------------------------------------------------


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
    """Import ``rows`` (iterable more than once: a :class:`~cognito_privx.users.CsvScan`) through import jobs.

    Returns an :class:`~cognito_privx.imports.ImportReport` whose ``jobs`` describe the jobs. ``groups``: the
    file's distinct groups (checked before any job in ``cognito:groups`` mode). ``client``, ``logs`` and ``iam``
    (boto3 CloudWatch Logs and IAM clients) are seams. Raises :class:`CognitoError` when the logs role is missing
    or does not trust Cognito (IAM ``GetRole``, when allowed), or a job cannot be created, uploaded or started;
    a job that ends Failed or Stopped is reported per row, not raised.
    """
    from cognito_privx.imports import learn_pool

    started = time.monotonic()
    if not users.model.signs_in_with_email:
        raise CognitoError(
            f"pool {users.pool_id} does not sign users in by email: an import job cannot be planned for it",
            "import with --engine api, which says per row what is wrong",
        )
    if users.native_groups:
        for group in sorted(set(groups) - users.role_groups):
            users._require_native_group(group)
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
        return index.get(row.email) is not None if index is not None else _exists(users, row.email)

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
    import threading

    from cognito_privx.imports import AdaptiveRate, import_rows

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
            worker._call("admin_add_user_to_group", UserPoolId=worker.pool_id, Username=row.email, GroupName=group)
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


def check_logs_role(iam: Any, arn: str, account: str | None = None) -> str:
    """Raise :class:`CognitoError` when IAM says the logs role is missing, is another role, or does not let
    ``cognito-idp.amazonaws.com`` assume it (a job would only fail later, every row with it); ``""`` when it is
    fine, or a note when it could not be checked (no ``iam:GetRole``, or a role in another ``account`` than the
    caller's, when that is known)."""
    import botocore.exceptions

    if account is not None and arn.split(":")[4] != account:
        return f"the logs role {arn} is in another account than {account}: not checked"
    name = arn.rsplit("/", 1)[1]
    hint = (
        "give --logs-role-arn (or import_logs_role_arn) a role that trusts cognito-idp.amazonaws.com and may write "
        "CloudWatch Logs under /aws/cognito/* (docs/cognito.md#user-import-jobs)"
    )
    try:
        role = iam.get_role(RoleName=name)["Role"]
    except botocore.exceptions.ClientError as e:
        code = e.response.get("Error", {}).get("Code", "")
        if code == "NoSuchEntity":
            raise CognitoError(f"there is no IAM role {name} for import jobs' CloudWatch Logs ({arn})", hint) from None
        return f"could not check the logs role {arn} ({code}): a job fails at once if Cognito cannot assume it"
    except botocore.exceptions.BotoCoreError as e:
        return f"could not check the logs role {arn} ({e})"
    if role.get("Arn") != arn:
        raise CognitoError(f"IAM knows the role {name} as {role.get('Arn')}, not {arn}", hint)
    if not trusts_cognito(role.get("AssumeRolePolicyDocument")):
        raise CognitoError(f"the role {arn} does not let cognito-idp.amazonaws.com assume it", hint)
    return ""


def trusts_cognito(document: Any) -> bool:
    """Whether a trust policy (a dict, or its JSON text, maybe URL-encoded) lets ``cognito-idp.amazonaws.com``
    ``sts:AssumeRole``, read as IAM reads it: an ``Allow`` whose principal names the service (or ``*``) and whose
    ``Action`` matches (case-insensitive, ``*`` wildcards; or a ``NotAction`` that does not), and no such ``Deny``
    without a ``Condition`` (a conditional deny cannot be judged here, and is not held against the role)."""
    import fnmatch
    import json
    import urllib.parse

    if isinstance(document, str):
        try:
            document = json.loads(urllib.parse.unquote(document))
        except ValueError:
            return False
    statements = document.get("Statement", []) if isinstance(document, dict) else []
    statements = [statements] if isinstance(statements, dict) else statements

    def listed(value: Any) -> list[str]:
        return [value] if isinstance(value, str) else [str(v) for v in value or []]

    def principal_matches(principal: Any) -> bool:
        if principal == "*":
            return True
        if not isinstance(principal, dict):
            return False
        return "cognito-idp.amazonaws.com" in listed(principal.get("Service")) or "*" in [
            *listed(principal.get("Service")),
            *listed(principal.get("AWS")),
        ]

    def action_matches(statement: dict[str, Any]) -> bool:
        def hit(patterns: list[str]) -> bool:
            return any(fnmatch.fnmatchcase("sts:assumerole", p.lower()) for p in patterns)

        if "NotAction" in statement:
            return not hit(listed(statement["NotAction"]))
        return hit(listed(statement.get("Action")))

    def applies(statement: Any) -> bool:
        return (
            isinstance(statement, dict) and principal_matches(statement.get("Principal")) and action_matches(statement)
        )

    applying = [st for st in statements if applies(st)]
    allowed = any(st.get("Effect") == "Allow" for st in applying)
    denied = any(st.get("Effect") == "Deny" and not st.get("Condition") for st in applying)
    return allowed and not denied


def _client(users: PoolUsers, service: str) -> Any:
    """A boto3 client for ``service`` in the pool's region, from the Cognito client's session when there is one."""
    import boto3

    region = users.gw.client.meta.region_name
    if users.gw.session is not None:
        return users.gw.session.client(service, region_name=region)
    return boto3.client(service, region_name=region)


__all__ = [
    "ACTIVE",
    "AUTO_JOB_MIN_ROWS",
    "ENDED",
    "JOB_DIFFERENCES",
    "JOB_MAX_BYTES",
    "JOB_MAX_ROWS",
    "Engine",
    "EngineChoice",
    "JobClient",
    "JobCsv",
    "JobOptions",
    "JobPart",
    "JobPlan",
    "JobRun",
    "LineBase",
    "PartResults",
    "check_logs_role",
    "choose_engine",
    "ensure_job",
    "import_with_jobs",
    "job_for_json",
    "line_base",
    "log_names",
    "new_workdir",
    "plan_jobs",
    "put_file",
    "read_log_lines",
    "results_from_logs",
    "results_from_pool",
    "row_result",
    "trusts_cognito",
    "validate_role_arn",
]
