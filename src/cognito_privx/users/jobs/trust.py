"""The CloudWatch Logs role of import jobs checked before any job: it exists, is the role named, and lets Cognito
assume it, read as IAM reads a trust policy (:func:`check_logs_role`, :func:`trusts_cognito`)."""

from __future__ import annotations

from typing import Any

from cognito_privx.errors import CognitoError, aws_error_code


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
        code = aws_error_code(e)
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


__all__ = ["check_logs_role", "trusts_cognito"]
