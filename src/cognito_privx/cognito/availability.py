"""Whether an endpoint has a call: what says "this endpoint does not have it" (an older region or partition, an
emulator) and what says "IAM denies it" (docs/reliability.md#calls-an-endpoint-lacks-or-iam-denies), and the
warning a call that only adds information degrades to."""

from __future__ import annotations

from cognito_privx.errors import CognitoError, aws_error_code

# docs/reliability.md#calls-an-endpoint-lacks-or-iam-denies: what says "this endpoint does not have the call" (an
# older region or partition, an emulator: botocore's UnknownOperationException, the query protocol's InvalidAction,
# a 404, an answer botocore cannot parse, no endpoint at all; cognito-local's ``CognitoLocal#Unsupported``, which
# botocore reads as ``Unsupported``: its server.js) and what says "IAM denies it".
UNSUPPORTED_CODES = frozenset(
    {
        "UnknownOperationException",
        "Unsupported",
        "UnknownOperation",
        "InvalidAction",
        "404",
        "NotImplemented",
        "NotImplementedException",
    }
)
DENIED_CODES = frozenset({"AccessDeniedException", "AccessDenied", "UnauthorizedOperation"})


class UnsupportedCallError(CognitoError):
    """The endpoint does not know the call (its answer could not be parsed, or no endpoint for it exists);
    ``action`` is the call's API name (``DescribeUserPoolDomain``), when known."""

    def __init__(self, message: str, hint: str | None = None, *, action: str = "", endpoint: str = "") -> None:
        super().__init__(message, hint)
        self.action = action
        self.endpoint = endpoint or "this endpoint"


def why_unavailable(error: BaseException) -> str | None:
    """``"unsupported"`` when ``error`` says the endpoint lacks the call, ``"denied"`` when IAM refused it, else
    ``None`` (a real failure)."""
    code = aws_error_code(error)
    if isinstance(error, UnsupportedCallError) or code in UNSUPPORTED_CODES:
        return "unsupported"
    if code in DENIED_CODES:
        return "denied"
    return None


def unavailable_note(error: BaseException, action: str, what: str, where: str = "this endpoint") -> str | None:
    """The warning for a call that only adds information: what could not be checked and why, naming the IAM
    action; ``None`` when ``error`` is neither "unsupported" nor "denied"."""
    why = why_unavailable(error)
    if why == "unsupported":
        return f"{what} could not be checked: {where} does not support {action}"
    if why == "denied":
        return f"{what} could not be checked: IAM denies {action} (grant it to see this)"
    return None


__all__ = ["DENIED_CODES", "UNSUPPORTED_CODES", "UnsupportedCallError", "unavailable_note", "why_unavailable"]
