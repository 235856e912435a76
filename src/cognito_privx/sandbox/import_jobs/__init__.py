"""A strict stand-in for Cognito's user import jobs, which moto 5.2.5 lacks, installed into moto's model classes.

moto implements none of ``GetCSVHeader``, ``CreateUserImportJob``, ``StartUserImportJob``,
``DescribeUserImportJob``, ``ListUserImportJobs`` and ``StopUserImportJob`` (``NotImplementedError`` in-process,
HTTP 500 from its server). :func:`install` (called by :func:`cognito_privx.sandbox.moto_fixes.apply`) adds them to
``CognitoIdpBackend`` and ``CognitoIdpResponse``, as moto_fixes adds its other missing operations, so one state
serves the in-process ``mock_aws`` and moto's server alike. Jobs live on moto's pool object (``import_jobs``, id →
:class:`ImportJob`): deleting the pool deletes them.

Sources (short names as in ``docs/cognito.md`` "User import jobs"): **DG** the Developer Guide's "Importing users
into a user pool from a CSV file" pages (archived ``awsdocs/amazon-cognito-developer-guide`` commit ``85b058f``,
``doc_source/cognito-user-pools-using-import-tool*.md``, and the current single page
https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pools-using-import-tool.html); **API** the
API reference pages ``API_ListUserImportJobs`` / ``API_StopUserImportJob``; **model** botocore 1.44's
``cognito-idp/2016-04-18/service-2.json.gz``; **Quotas** https://docs.aws.amazon.com/cognito/latest/developerguide/quotas.html;
**RefArch** ``aws-solutions/cognito-user-profiles-export-reference-architecture``
``source/workflow-import/import-users.js``. What no source settles is marked **(unverified)**.

One module per concern:

- :mod:`.settings`: :class:`ImportJobSettings` / :func:`configure` / :func:`configured`, the process-wide knobs
  (processing rate, time in ``Pending``, URL lifetime, expiry, line numbering), and :data:`BACKEND_LOCK`, a
  process-wide re-entrant lock around moto's state. moto's backends are process-global and not thread-safe; the job
  threads, moto's server (:class:`cognito_privx.sandbox.runner.MotoServer`), the hosted-UI stand-in and (after
  :func:`install`) every in-process Cognito and CloudWatch Logs call take it.
- :mod:`.jobs`: the job record :class:`ImportJob`, kept on moto's pool (:func:`jobs_of`).
- :mod:`.csv_file`: the CSV as Cognito reads it (the header, rows, values); :mod:`.row_rules`: what a row must
  satisfy in its pool, and the users it would meet.
- :mod:`.trust_policy`: IAM's reading of a role's trust policy; :mod:`.logs_role`: the job's CloudWatch Logs role
  (the sandbox's own, and whether Cognito could assume a job's).
- :mod:`.processor`: a started job's import, in a daemon thread, in batches of at most 100 rows under the lock.
- :mod:`.upload`: the pre-signed-URL target, an S3-shaped PUT endpoint on loopback (:class:`UploadServer` /
  :func:`upload_server`), started lazily once per process by the first ``CreateUserImportJob``.
- :mod:`.api`: the six operations and :func:`install`, which patches them into moto.
"""

from __future__ import annotations

from cognito_privx.sandbox.import_jobs.api import install
from cognito_privx.sandbox.import_jobs.csv_file import csv_header, split_fields
from cognito_privx.sandbox.import_jobs.jobs import ImportJob, jobs_of
from cognito_privx.sandbox.import_jobs.logs_role import LOGS_ROLE_ARN, create_logs_role
from cognito_privx.sandbox.import_jobs.processor import TOO_MANY_MESSAGE
from cognito_privx.sandbox.import_jobs.row_rules import AUTO_VERIFIED_MESSAGE
from cognito_privx.sandbox.import_jobs.settings import (
    BACKEND_LOCK,
    ImportJobSettings,
    configure,
    configured,
    current_settings,
)
from cognito_privx.sandbox.import_jobs.upload import UploadServer, upload_server

__all__ = [
    "AUTO_VERIFIED_MESSAGE",
    "BACKEND_LOCK",
    "LOGS_ROLE_ARN",
    "TOO_MANY_MESSAGE",
    "ImportJob",
    "ImportJobSettings",
    "UploadServer",
    "configure",
    "configured",
    "create_logs_role",
    "csv_header",
    "current_settings",
    "install",
    "jobs_of",
    "split_fields",
    "upload_server",
]
