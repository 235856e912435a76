"""The CloudWatch Logs role of the import jobs: the one the sandbox makes (:func:`create_logs_role`), and whether a
job's role is one Cognito could assume (:func:`role_problem`: found in moto's IAM, its trust policy judged by
:mod:`.trust_policy`)."""

from __future__ import annotations

from typing import Any

from cognito_privx.sandbox.import_jobs.trust_policy import COGNITO_SERVICE, may_assume_role

__all__ = [
    "LOGS_ROLE_ARN",
    "LOGS_ROLE_NAME",
    "LOGS_ROLE_TRUST_POLICY",
    "UNASSUMABLE_MESSAGE",
    "create_logs_role",
    "role_problem",
]

UNASSUMABLE_MESSAGE = "The CloudWatch Logs role cannot be assumed."

# The CloudWatch Logs role the sandbox makes for its import jobs (DG "Creating the CloudWatch Logs IAM role": the
# role trusts cognito-idp.amazonaws.com). moto's default account.
LOGS_ROLE_NAME = "CognitoImportLogs"
LOGS_ROLE_ARN = f"arn:aws:iam::123456789012:role/{LOGS_ROLE_NAME}"
LOGS_ROLE_TRUST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "cognito-idp.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}


def create_logs_role(iam: Any, name: str = LOGS_ROLE_NAME) -> str:
    """Make the role import jobs write their CloudWatch Logs with, through ``iam`` (a boto3 IAM client over moto);
    returns its ARN. An existing role of that name is kept (``EntityAlreadyExists``)."""
    import json

    try:
        made = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(LOGS_ROLE_TRUST_POLICY))
        return str(made["Role"]["Arn"])
    except iam.exceptions.EntityAlreadyExistsException:
        return str(iam.get_role(RoleName=name)["Role"]["Arn"])


def role_problem(backend: Any, role_arn: str) -> str | None:
    """Why Cognito could not assume ``role_arn`` for a job of ``backend`` (moto's Cognito backend; lock held), or
    ``None``: the ARN must be an IAM role of the backend's own account, found in moto's IAM by that very ARN (the
    same name under another path is another role), whose trust policy lets ``cognito-idp.amazonaws.com``
    ``sts:AssumeRole`` (DG: a role that "cannot be assumed" fails the job)."""
    from moto.iam.models import iam_backends
    from moto.utilities.utils import get_partition

    parts = role_arn.split(":", 5)
    if len(parts) < 6 or parts[2] != "iam" or parts[4] != backend.account_id or "/" not in parts[5]:
        return UNASSUMABLE_MESSAGE
    iam = iam_backends[backend.account_id][get_partition(backend.region_name)]
    role = next((r for r in list(iam.roles.values()) if r.arn == role_arn), None)
    if role is None or not may_assume_role(getattr(role, "assume_role_policy_document", None), COGNITO_SERVICE):
        return UNASSUMABLE_MESSAGE
    return None
