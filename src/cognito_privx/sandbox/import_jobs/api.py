"""The six operations moto lacks, as ``CognitoIdpBackend`` methods (``GetCSVHeader``, ``CreateUserImportJob``,
``DescribeUserImportJob``, ``StartUserImportJob``, ``StopUserImportJob``, ``ListUserImportJobs``) and
``CognitoIdpResponse`` actions, and :func:`install`, which patches them into moto with the rest of the stand-in's
rules (no pool changes while importing; every in-process action under :data:`.settings.BACKEND_LOCK`)."""

from __future__ import annotations

import re
import secrets
import string
import threading
import time
from collections.abc import Callable
from typing import Any

from cognito_privx.sandbox.import_jobs.csv_file import csv_header
from cognito_privx.sandbox.import_jobs.jobs import ACTIVE, ImportJob, error, find_job, importing, jobs_of
from cognito_privx.sandbox.import_jobs.processor import Processor
from cognito_privx.sandbox.import_jobs.row_rules import Rules
from cognito_privx.sandbox.import_jobs.settings import BACKEND_LOCK, current_settings
from cognito_privx.sandbox.import_jobs.upload import presign, upload_server
from cognito_privx.sandbox.moto_patch import Method, add_missing, wrap

__all__ = [
    "MAX_JOBS_PER_POOL",
    "create_user_import_job",
    "describe_user_import_job",
    "get_csv_header",
    "install",
    "list_user_import_jobs",
    "start_user_import_job",
    "stop_user_import_job",
]

MAX_JOBS_PER_POOL = 1000  # Quotas: "User import jobs per user pool | 1,000"
_JOB_ID_CHARS = string.ascii_letters + string.digits

# -- the operations (CognitoIdpBackend methods) --------------------------------------------------------------------

_JOB_NAME = re.compile(r"[\w\s+=,.@-]{1,128}", re.ASCII)  # model: UserImportJobNameType
_ROLE_ARN = re.compile(  # model: ArnType, 20-2048
    r"arn:[\w+=/,.@-]+:[\w+=/,.@-]+:([\w+=/,.@-]*)?:[0-9]+:[\w+=/,.@-]+(:[\w+=/,.@-]+)?(:[\w+=/,.@-]+)?", re.ASCII
)


def get_csv_header(self: Any, pool_id: str) -> list[str]:
    """GetCSVHeader: :func:`csv_header`; ``ResourceNotFoundException`` for an unknown pool."""
    return csv_header(self.describe_user_pool(pool_id))


def create_user_import_job(
    self: Any, pool_id: str, job_name: Any, role_arn: Any, hashing: str | None = None
) -> dict[str, Any]:
    """CreateUserImportJob: a ``Created`` job with a pre-signed URL. ``InvalidParameterException`` for a JobName off
    ``[\\w\\s+=,.@-]+`` (1-128), a role ARN off the model's ArnType (20-2048) or any ``PasswordHashingAlgorithm`` (the
    stand-in imports no hashes); ``ResourceNotFoundException`` for an unknown pool; ``LimitExceededException`` past
    1,000 jobs in the pool (Quotas; that finished jobs count is unverified). Names need not be unique (RefArch reuses
    one name)."""
    if not isinstance(job_name, str) or not _JOB_NAME.fullmatch(job_name):
        raise error("InvalidParameterException", "JobName must be 1-128 characters of [\\w\\s+=,.@-].")
    if not isinstance(role_arn, str) or not 20 <= len(role_arn) <= 2048 or not _ROLE_ARN.fullmatch(role_arn):
        raise error("InvalidParameterException", "CloudWatchLogsRoleArn is not a valid ARN.")
    pool = self.describe_user_pool(pool_id)
    if hashing is not None:
        raise error("InvalidParameterException", "PasswordHashingAlgorithm is not supported by this stand-in.")
    jobs = jobs_of(pool)
    if len(jobs) >= MAX_JOBS_PER_POOL:
        raise error("LimitExceededException", f"A user pool can have at most {MAX_JOBS_PER_POOL} import jobs.")
    job_id = "import-" + "".join(secrets.choice(_JOB_ID_CHARS) for _ in range(10))
    now = time.time()
    path = f"/{self.account_id}/{pool.id}/{job_id}"
    url = f"{upload_server().url}{path}?{presign(path, now, current_settings().url_ttl_s)}"
    jobs[job_id] = ImportJob(job_name, job_id, pool.id, role_arn, url, now)
    return jobs[job_id].to_json()


def describe_user_import_job(self: Any, pool_id: str, job_id: str) -> dict[str, Any]:
    """DescribeUserImportJob: the job, counters as they stand."""
    return find_job(self, pool_id, job_id).to_json()


def start_user_import_job(self: Any, pool_id: str, job_id: str) -> dict[str, Any]:
    """StartUserImportJob: ``Pending`` with a ``StartDate``; a daemon thread imports (:class:`.processor.Processor`).

    ``PreconditionNotMetException`` when: the job is not ``Created`` (expired, started, ended: code unverified);
    no file was uploaded ("No csv file was uploaded for <job id>", a user's report in aws-amplify/amplify-js#6416);
    the pool has no auto-verified attributes (DG: "the import job will not start"; code unverified); another job is
    active in any pool of this account and region (DG: "Only one import job can be active at a time per account";
    code unverified).
    """
    job = find_job(self, pool_id, job_id)
    pool = self.describe_user_pool(pool_id)
    if job.status != "Created":
        raise error("PreconditionNotMetException", f"Import job {job_id} is {job.status}; it cannot be started.")
    if job.upload is None:
        raise error("PreconditionNotMetException", f"No csv file was uploaded for {job_id}")
    if not Rules(pool).auto_verified:
        raise error("PreconditionNotMetException", f"User pool {pool_id} has no auto-verified attributes.")
    active = next((j for p in self.user_pools.values() for j in jobs_of(p).values() if j.status in ACTIVE), None)
    if active is not None:
        raise error("PreconditionNotMetException", f"Import job {active.job_id} is already active in this account.")
    job.status, job.started = "Pending", time.time()
    processor = Processor(self, pool, job, current_settings())
    threading.Thread(target=processor.run, name=f"cognito-{job_id}", daemon=True).start()
    return job.to_json()


def stop_user_import_job(self: Any, pool_id: str, job_id: str) -> dict[str, Any]:
    """StopUserImportJob: a ``Pending`` or ``InProgress`` job becomes ``Stopping``, then ``Stopped`` (with
    ``CompletionMessage`` "The Import Job was stopped by the developer." and ``CompletionDate``; API) once its thread
    sees it, keeping the rows already imported. AWS's example answers ``Stopped`` at once. Any other status:
    ``PreconditionNotMetException`` (code unverified). A stopped job cannot be started again (DG)."""
    job = find_job(self, pool_id, job_id)
    if job.status not in ("Pending", "InProgress"):
        raise error("PreconditionNotMetException", f"Import job {job_id} is {job.status}; it cannot be stopped.")
    job.status = "Stopping"
    job.wake.set()
    return job.to_json()


def list_user_import_jobs(
    self: Any, pool_id: str, max_results: Any, token: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """ListUserImportJobs: newest first (DG: "from last created to first created"), at most ``min(MaxResults, 50)``
    a page (model: MaxResults 1-60, the list 1-50 items) and a ``PaginationToken`` while more remain, shaped as the
    API example's ``<pool id>#<job id>#<creation ms>``. ``InvalidParameterException`` for a MaxResults off 1-60 or a
    token this pool did not hand out."""
    if isinstance(max_results, bool) or not isinstance(max_results, int) or not 1 <= max_results <= 60:
        raise error("InvalidParameterException", "MaxResults must be an integer from 1 to 60.")
    jobs = list(reversed(jobs_of(self.describe_user_pool(pool_id)).values()))
    for job in jobs:
        job.expire_if_due(current_settings().expire_s)
    start = 0
    if token is not None:
        start = next((i for i, job in enumerate(jobs) if _token(job) == token), -1)
        if start < 0:
            raise error("InvalidParameterException", "The pagination token is not valid.")
    end = start + min(max_results, 50)
    return [job.to_json() for job in jobs[start:end]], (_token(jobs[end]) if end < len(jobs) else None)


def _token(job: ImportJob) -> str:
    return f"{job.pool_id}#{job.job_id}#{int(job.created * 1000)}"


# -- installation into moto ----------------------------------------------------------------------------------------


def _result(body: dict[str, Any]) -> Any:
    from moto.core.responses import ActionResult

    return ActionResult(body)


def _act_get_csv_header(self: Any) -> Any:
    pool_id = self._get_param("UserPoolId")
    return _result({"UserPoolId": pool_id, "CSVHeader": self.backend.get_csv_header(pool_id)})


def _act_create(self: Any) -> Any:
    job = self.backend.create_user_import_job(
        self._get_param("UserPoolId"),
        self._get_param("JobName"),
        self._get_param("CloudWatchLogsRoleArn"),
        self._get_param("PasswordHashingAlgorithm"),
    )
    return _result({"UserImportJob": job})


def _job_action(method: str) -> Callable[[Any], Any]:
    def act(self: Any) -> Any:
        job = getattr(self.backend, method)(self._get_param("UserPoolId"), self._get_param("JobId"))
        return _result({"UserImportJob": job})

    return act


def _act_list(self: Any) -> Any:
    jobs, token = self.backend.list_user_import_jobs(
        self._get_param("UserPoolId"), self._get_param("MaxResults"), self._get_param("PaginationToken")
    )
    return _result({"UserImportJobs": jobs, **({"PaginationToken": token} if token else {})})


def _refuse_while_importing(original: Callable[..., Any]) -> Callable[..., Any]:
    def guarded(self: Any, user_pool_id: str, *args: Any, **kwargs: Any) -> Any:
        pool = self.user_pools.get(user_pool_id)
        if pool is not None and importing(pool):
            raise error("UserImportInProgressException", f"A user import job is in progress for {user_pool_id}.")
        return original(self, user_pool_id, *args, **kwargs)

    return guarded


def _serialise_actions(response_cls: type) -> None:
    """Make every action of ``response_cls`` (a moto ``BaseResponse``) take :data:`BACKEND_LOCK`, so in-process calls
    never meet a job thread mid-change (moto's server takes the lock itself; it is re-entrant)."""

    def make(inherited: Method) -> Method:
        def call_action(self: Any) -> Any:
            with BACKEND_LOCK:
                return inherited(self)

        return call_action

    wrap(response_cls, "call_action", make)


def install(models: Any) -> None:
    """Add the six operations to moto's Cognito (backend methods and response actions, never replacing one moto
    has), refuse ``UpdateUserPool``, ``DeleteUserPool`` and ``AddCustomAttributes`` with
    ``UserImportInProgressException`` while a job of the pool is ``Pending``, ``InProgress`` or ``Stopping`` (model:
    the only operations listing that error; Stopping is included as still importing, unverified), and serialise
    moto's in-process Cognito and CloudWatch Logs actions with :data:`BACKEND_LOCK`. Idempotent."""
    from moto.cognitoidp import responses
    from moto.logs.responses import LogsResponse

    backend_methods = {
        "get_csv_header": get_csv_header,
        "create_user_import_job": create_user_import_job,
        "describe_user_import_job": describe_user_import_job,
        "start_user_import_job": start_user_import_job,
        "stop_user_import_job": stop_user_import_job,
        "list_user_import_jobs": list_user_import_jobs,
    }
    add_missing(models.CognitoIdpBackend, backend_methods)
    actions = {
        "get_csv_header": _act_get_csv_header,
        "create_user_import_job": _act_create,
        "describe_user_import_job": _job_action("describe_user_import_job"),
        "start_user_import_job": _job_action("start_user_import_job"),
        "stop_user_import_job": _job_action("stop_user_import_job"),
        "list_user_import_jobs": _act_list,
    }
    add_missing(responses.CognitoIdpResponse, actions)
    for name in ("update_user_pool", "delete_user_pool", "add_custom_attributes"):
        wrap(models.CognitoIdpBackend, name, _refuse_while_importing)
    _serialise_actions(responses.CognitoIdpResponse)
    _serialise_actions(LogsResponse)
