"""TEMPORARY re-export for the restructure; removed when importers move.

``import-users --engine job`` now lives in :mod:`cognito_privx.users.jobs` (``choice``, ``plan``, ``api``, ``logs``,
``results``, ``trust``, ``run``).
"""

from cognito_privx.users.jobs.api import ACTIVE, ENDED, JobClient, JobRun, ensure_job, job_for_json, put_file
from cognito_privx.users.jobs.choice import (
    AUTO_JOB_MIN_ROWS,
    JOB_DIFFERENCES,
    Engine,
    EngineChoice,
    choose_engine,
    validate_role_arn,
)
from cognito_privx.users.jobs.logs import LineBase, line_base, log_names, read_log_lines, results_from_logs
from cognito_privx.users.jobs.plan import JOB_MAX_BYTES, JOB_MAX_ROWS, JobCsv, JobPart, JobPlan, new_workdir, plan_jobs
from cognito_privx.users.jobs.results import PartResults, results_from_pool, row_result
from cognito_privx.users.jobs.run import JobOptions, import_with_jobs
from cognito_privx.users.jobs.trust import check_logs_role, trusts_cognito

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
