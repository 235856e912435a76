"""Which engine an ``import-users`` run takes (``--engine api|job|auto``), and why: :func:`choose_engine`."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from cognito_privx.config import ROLE_ARN_RE
from cognito_privx.errors import UsageError


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
    "imported users are RESET_REQUIRED and get no invitation email: where the pool's account recovery is "
    "self-service they set their password with 'Forgot your password?' on the sign-in page (or `cognito-privx "
    "reset-password EMAIL` sends them Cognito's code); where it is admin-only, give each a temporary password "
    "with `cognito-privx add-user EMAIL --group G --temporary-password-prompt`"
)


__all__ = [
    "AUTO_JOB_MIN_ROWS",
    "JOB_DIFFERENCES",
    "Engine",
    "EngineChoice",
    "choose_engine",
    "validate_role_arn",
]
