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

The modules, in that order: :mod:`.choice` (which engine), :mod:`.plan` (the job files and parts), :mod:`.api` (the
job calls, the upload, a part's job found or created), :mod:`.logs` (results from CloudWatch Logs), :mod:`.results`
(results from the pool, a row's result), :mod:`.trust` (the logs role), :mod:`.run` (the whole run, the settle
pass through :mod:`cognito_privx.users.api_engine`).
"""
