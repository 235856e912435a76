"""What stops ``DeleteUserPool`` that teardown can see before its first deletion.

botocore's model (cognito-idp 2016-04-18, ``DeleteUserPool``) lists, besides access and throttling errors:

- ``UserImportInProgressException``: "thrown when you're trying to modify a user pool while a user import job is in
  progress for that pool". ``UpdateUserPool`` lists it too, so switching deletion protection off is refused as well.
  A job counts as running while its status (``UserImportJobStatusType``) is ``Pending``, ``InProgress`` or
  ``Stopping`` (the stand-in, sandbox/import_jobs, refuses in the same three: ``Stopping`` is still importing).
- ``InvalidParameterException`` for a pool whose ``DeletionProtection`` is ``ACTIVE`` (the model's
  ``UserPoolType.DeletionProtection``): not a blocker here, :func:`~cognito_privx.cognito.pool.delete_pool`
  switches it off first (and the plan says so).
- A pool with a domain cannot be deleted (DG "Deleting a user pool"): teardown deletes the domain first.

So the only blocker left to find beforehand is a running import job: :func:`running_import_jobs`.
"""

from __future__ import annotations

from typing import Any

from cognito_privx.cognito.gateway import CognitoGateway
from cognito_privx.errors import ConflictError

RUNNING = frozenset({"Pending", "InProgress", "Stopping"})


def running_import_jobs(gw: CognitoGateway, pool_id: str) -> list[dict[str, Any]]:
    """The pool's import jobs that block changing or deleting it (status in :data:`RUNNING`), oldest first.

    ``ListUserImportJobs`` has no paginator in botocore's model: paged by hand, 60 a page (``MaxResults`` 1-60)."""
    found: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        params: dict[str, Any] = {"UserPoolId": pool_id, "MaxResults": 60}
        if token:
            params["PaginationToken"] = token
        page = gw.call("list_user_import_jobs", **params)
        found += [dict(j) for j in page.get("UserImportJobs", []) if j.get("Status") in RUNNING]
        token = page.get("PaginationToken")
        if not token:
            return found[::-1]


def import_jobs_block(jobs: list[dict[str, Any]], pool_id: str) -> ConflictError:
    """The error for a pool delete that ``jobs`` (from :func:`running_import_jobs`) would refuse: each job by id and
    status, and the two ways on (stop it, or wait for it to end)."""
    named = ", ".join(f"{j.get('JobId')} ({j.get('JobName')}, {j.get('Status')})" for j in jobs)
    region = pool_id.split("_", 1)[0]
    first = jobs[0].get("JobId")
    return ConflictError(
        f"a user import job is running in pool {pool_id}: {named}; Cognito refuses to delete the pool while it runs "
        "(UserImportInProgressException); nothing was removed",
        f"stop it: aws cognito-idp stop-user-import-job --region {region} --user-pool-id {pool_id} --job-id {first}"
        " (or wait until it ends), then run teardown again; --keep-pool removes the rest now",
    )
