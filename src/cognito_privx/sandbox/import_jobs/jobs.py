"""The job record (:class:`ImportJob`, the model's ``UserImportJobType``), where jobs live (:func:`jobs_of`, on moto's
pool object), finding one (:func:`find_job`) and the Cognito error the operations raise (:func:`error`)."""

from __future__ import annotations

import dataclasses
import datetime
import re
import threading
import time
from typing import IO, Any

from cognito_privx.sandbox.import_jobs.settings import current_settings

__all__ = ["ACTIVE", "ImportJob", "error", "find_job", "importing", "jobs_of"]


def error(code: str, message: str) -> Exception:
    """A Cognito error as moto answers it: JSON ``{"__type": code, "message": ...}``, HTTP 400 (model: every error of
    these operations is 400 but InternalErrorException)."""
    from moto.core.exceptions import JsonRESTError

    return JsonRESTError(code, message)


def _stamp(seconds: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(seconds, datetime.UTC)


ACTIVE = frozenset({"Pending", "InProgress", "Stopping"})


@dataclasses.dataclass(eq=False)
class ImportJob:
    """One job; :meth:`to_json` is the model's ``UserImportJobType``. Times are seconds since the epoch."""

    name: str
    job_id: str
    pool_id: str
    role_arn: str
    url: str
    created: float
    status: str = "Created"
    started: float | None = None
    completed: float | None = None
    message: str | None = None
    imported: int = 0
    skipped: int = 0
    failed: int = 0
    upload: IO[bytes] | None = None  # the uploaded CSV (an anonymous temporary file)
    wake: threading.Event = dataclasses.field(default_factory=threading.Event)  # set on stop and at the end

    def to_json(self) -> dict[str, Any]:
        """``UserImportJobType``: ``StartDate``, ``CompletionDate`` and ``CompletionMessage`` only once set (as the
        DG and CLI examples of a ``Created`` job show them absent)."""
        out: dict[str, Any] = {
            "JobName": self.name,
            "JobId": self.job_id,
            "UserPoolId": self.pool_id,
            "PreSignedUrl": self.url,
            "CreationDate": _stamp(self.created),
            "Status": self.status,
            "CloudWatchLogsRoleArn": self.role_arn,
            "ImportedUsers": self.imported,
            "SkippedUsers": self.skipped,
            "FailedUsers": self.failed,
        }
        optional = {"StartDate": self.started, "CompletionDate": self.completed}
        out.update({key: _stamp(value) for key, value in optional.items() if value is not None})
        if self.message is not None:
            out["CompletionMessage"] = self.message
        return out

    def finish(self, status: str, message: str) -> None:
        """End the job (lock held): final status, message and date; the uploaded file is deleted (DG: "After they
        complete or expire, Amazon Cognito deletes your uploaded CSV file")."""
        self.status, self.message, self.completed = status, message, time.time()
        self.replace_upload(None)
        self.wake.set()

    def replace_upload(self, upload: IO[bytes] | None) -> None:
        if self.upload is not None:
            self.upload.close()
        self.upload = upload

    def expire_if_due(self, expire_s: float) -> None:
        """A ``Created`` job older than ``expire_s`` becomes ``Expired`` (evaluated lazily, lock held)."""
        if self.status == "Created" and time.time() - self.created > expire_s:
            self.finish("Expired", "The user import job has expired.")


def jobs_of(pool: Any) -> dict[str, ImportJob]:
    """The jobs of a moto pool, in creation order (kept on the pool object, so they go with it)."""
    found: dict[str, ImportJob] = pool.__dict__.setdefault("import_jobs", {})
    return found


def find_job(backend: Any, pool_id: str, job_id: str) -> ImportJob:
    """The job, expiry applied; ``ResourceNotFoundException`` for an unknown pool or job, ``InvalidParameterException``
    for a JobId off the model's pattern ``import-[0-9a-zA-Z-]+`` (1-55)."""
    pool = backend.describe_user_pool(pool_id)
    if not isinstance(job_id, str) or not re.fullmatch(r"import-[0-9a-zA-Z-]{1,48}", job_id):
        raise error("InvalidParameterException", f"Invalid JobId: {job_id!r}.")
    job = jobs_of(pool).get(job_id)
    if job is None:
        raise error("ResourceNotFoundException", f"Import job {job_id} does not exist.")
    job.expire_if_due(current_settings().expire_s)
    return job


def importing(pool: Any) -> bool:
    return any(job.status in ACTIVE for job in jobs_of(pool).values())
