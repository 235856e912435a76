"""The import-job calls (:class:`JobClient`), the upload to the pre-signed URL (:func:`put_file`, the URL's
signature kept out of the logs), and finding or creating a part's job so a re-run never starts a duplicate
(:func:`ensure_job`)."""

from __future__ import annotations

import datetime
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cognito_privx import net, retry
from cognito_privx.errors import CognitoError, aws_error_code
from cognito_privx.users.jobs.plan import JobPart, JobPlan
from cognito_privx.users.pool import PoolUsers

# The pre-signed URL lives 15 minutes (X-Amz-Expires=899); a Created job older than this needs a new one.
UPLOAD_URL_TTL_S = 14 * 60
ACTIVE = frozenset({"Pending", "InProgress", "Stopping"})
ENDED = frozenset({"Succeeded", "Failed", "Stopped", "Expired"})


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

    ``upload``: PUTs a file to a pre-signed URL (a seam; ``None``: :func:`put_file`, through :meth:`send_file`).
    ``sleep``, ``clock``: seams
    for polling. Raises :class:`CognitoError` for refusals, with what to do.
    """

    users: PoolUsers
    role_arn: str
    upload: Callable[[str, Path], None] | None = None
    sleep: Callable[[float], None] = time.sleep
    poll_first_s: float = 0.25
    poll_max_s: float = 5.0

    def send_file(self, url: str, path: Path) -> None:
        """PUT ``path`` to the pre-signed ``url``: ``upload`` when given, else :func:`put_file` trusting what boto3
        trusts (the gateway's :meth:`~cognito_privx.cognito.CognitoGateway.trust`)."""
        if self.upload is not None:
            self.upload(url, path)
        else:
            put_file(url, path, self.users.gw.trust())

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
            if aws_error_code(e) == "PreconditionNotMetException":
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
        answer = self.users.call(operation, **params)
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


def put_file(url: str, path: Path, trust: net.Trust | None = None) -> None:
    """PUT ``path`` to a pre-signed S3 URL with the header the URL was signed with, trusting ``trust`` (default:
    :func:`cognito_privx.net.aws_trust` from the environment; docs/network.md); transport errors and 5xx are
    retried. Raises :class:`CognitoError` with S3's code on a refusal (an expired URL: run again)."""
    import httpx

    if _HIDE_PRESIGNED not in logging.getLogger("httpx").filters:
        logging.getLogger("httpx").addFilter(_HIDE_PRESIGNED)
    size = path.stat().st_size

    def once() -> httpx.Response:
        with path.open("rb") as body, net.http_client(trust or net.aws_trust(None)) as http:
            return http.put(
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
            client.send_file(str(latest["PreSignedUrl"]), part.path)
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
    client.send_file(str(job["PreSignedUrl"]), part.path)
    started = client.start(str(job["JobId"]))
    return JobRun(name, part, started, ours=True, note=note or f"created {job['JobId']}")


def job_for_json(job: dict[str, Any]) -> dict[str, Any]:
    """A job description for the summary and JSON output: datetimes as ISO 8601 text, no pre-signed URL (its
    signature is a credential)."""
    out = {k: v for k, v in job.items() if k != "PreSignedUrl"}
    for key, value in out.items():
        if isinstance(value, datetime.datetime):
            out[key] = value.isoformat()
    return out


__all__ = [
    "ACTIVE",
    "ENDED",
    "UPLOAD_URL_TTL_S",
    "JobClient",
    "JobRun",
    "ensure_job",
    "job_for_json",
    "put_file",
]
