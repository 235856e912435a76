"""The one error tree of cognito-privx.

Every error carries a one-line ``message`` (what went wrong) and a ``hint`` (what to do). The CLI prints
both and exits with ``exit_code``; nothing else is shown unless ``--debug``. Messages never contain secrets.

::

    CognitoPrivxError                  exit 1: the job failed
    ├── UsageError                     exit 2: bad usage or input, found before anything changed
    │   ├── ConfigError                    a config file, environment or flag value is invalid
    │   └── CredentialsError               PrivX/AWS credentials are missing or half-set
    ├── AmbiguousResourceError         two or more objects match where one was expected (either side)
    ├── ForeignResourceError           an object of that name exists but is not ours
    ├── ConflictError                  an object is in a state we cannot converge (immutable, taken)
    ├── CognitoError                   an AWS call failed (wraps botocore's ClientError)
    └── PrivXError                     a PrivX call failed
        ├── PrivXAuthError                 401: the API client or OAuth client credentials were refused
        ├── PrivXPermissionError           403: the API client's role lacks a permission
        ├── PrivXNotFoundError             404
        ├── PrivXConnectionError           the server could not be reached (DNS, refused, TLS, timeout)
        └── PrivXAPIError                  any other status, with PrivX's error_code when it sent one
"""

from __future__ import annotations

import re
from collections.abc import Mapping


class CognitoPrivxError(Exception):
    """Base of every error cognito-privx raises on purpose."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class UsageError(CognitoPrivxError):
    """Bad usage or bad input, detected before any API call that changes something."""

    exit_code = 2


class ConfigError(UsageError):
    """A configuration value (file, environment or flag) is invalid."""


class CredentialsError(UsageError):
    """Credentials are missing, half-set or unreadable."""


class CognitoError(CognitoPrivxError):
    """An Amazon Cognito call failed, or Cognito holds a state we cannot work with."""

    unknown_outcome = False  # the request was sent but no answer came: it may have been processed


class AmbiguousResourceError(CognitoPrivxError):
    """More than one object matches where exactly one was expected."""


class ForeignResourceError(CognitoPrivxError):
    """An object with the configured name exists but was not created by cognito-privx."""


class ConflictError(CognitoPrivxError):
    """An existing object is in a state that cannot be converged (immutable field, name taken elsewhere)."""


class PrivXError(CognitoPrivxError):
    """A PrivX API call failed."""

    def __init__(
        self, message: str, hint: str | None = None, *, status: int | None = None, unknown_outcome: bool = False
    ) -> None:
        super().__init__(message, hint)
        self.status = status
        # The request PrivX answered so, ("POST", "/role-store/api/v1/roles"), when known (refusal_of reads it).
        self.call: tuple[str, str] | None = None
        # True when the request may have been processed although no answer arrived (a lost response).
        self.unknown_outcome = unknown_outcome or status in (500, 502, 503, 504)


class PrivXAuthError(PrivXError):
    """401 from PrivX."""


class PrivXPermissionError(PrivXError):
    """403 from PrivX. ``permission`` names the PrivX permission to add, when the step that was refused is known."""

    permission: str | None = None


class PrivXNotFoundError(PrivXError):
    """404 from PrivX."""


class PrivXConnectionError(PrivXError):
    """PrivX could not be reached: DNS, connection refused, TLS verification, timeout."""

    tls = False  # a TLS verification failure: repeating cannot help


class PrivXAPIError(PrivXError):
    """Any other unexpected PrivX answer."""


_VERBS = {"POST": "create", "PUT": "update", "DELETE": "delete"}


def refusal_of(error: BaseException) -> tuple[str, str]:
    """What a failed write says in a refused step's line: ``(verb, reason)``, e.g. ``("create", "refused (403:
    needs roles-manage)")``, ``("update", "refused (AccessDeniedException: needs
    cognito-idp:UpdateUserPoolClient)")`` or ``("", "failed (HTTP 500)")``. The verb is the failed call's (PrivX:
    POST create, PUT update, DELETE delete; Cognito: the operation's first word), ``""`` when unknown."""
    verb, reason = "", ""
    if isinstance(error, PrivXError):
        method = error.call[0] if error.call else ""
        verb = _VERBS.get(method, "")
        permission = getattr(error, "permission", None)
        if error.status == 403:
            return verb, f"refused (403: needs {permission})" if permission else "refused (403)"
        if error.status is not None and 200 <= error.status < 300:  # accepted, but its answer made no sense
            return verb, f"outcome unknown (PrivX answered {error.status}, of an unexpected shape)"
        reason = f"HTTP {error.status}" if error.status else type(error).__name__
    cause, operation = error.__cause__, ""
    for _ in range(4):  # botocore's ClientError, maybe behind one of ours (``raise e from e`` included)
        operation = str(getattr(cause, "operation_name", "") or "")
        if operation or cause is None:
            break
        cause = cause.__cause__
    if operation:
        verb = re.sub(r"([a-z])([A-Z]).*", r"\1", operation).lower()
        code = aws_error_code(cause)
        if code in ("AccessDeniedException", "AccessDenied", "UnauthorizedOperation"):
            return verb, f"refused ({code}: needs cognito-idp:{operation})"
        reason = code or type(error).__name__
    return verb, f"failed ({reason or type(error).__name__})"


def aws_error_code(error: BaseException | None) -> str:
    """The AWS error code of ``error``, e.g. ``"ResourceNotFoundException"``, or ``""`` when it has none.

    The code is botocore's ``ClientError.response["Error"]["Code"]``, read from ``error`` itself or, for one of our
    errors (a :class:`CognitoError` wraps botocore's ``ClientError``), from the exception it was raised from
    (``__cause__``). Duck-typed, so this module needs no botocore. The one place that decides "which AWS error
    is this"; every caller asks here.
    """
    for candidate in (error, getattr(error, "__cause__", None)):
        response = getattr(candidate, "response", None)
        if isinstance(response, Mapping):
            code = response.get("Error", {}).get("Code")
            if code:
                return str(code)
    return ""
