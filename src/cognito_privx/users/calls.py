"""One Cognito call of the user side, with its throttling retries: where a user operation gets repeated.

Retries: our own, with exponential backoff and full jitter on ``TooManyRequestsException``. botocore's retries
are switched off for this client because they would also retry ``LimitExceededException``, which is Cognito's
*daily* invite-email cap: retrying cannot help, so those rows fail at once with a message saying so
(:class:`InviteLimitError`). ``PoolUsers.call`` runs every user operation through :func:`retrying_call`; the bulk
import's pacing of creations (a throttled create sent again through the limiter) is
:mod:`cognito_privx.users.api_engine`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from cognito_privx import retry
from cognito_privx.cognito import CognitoGateway
from cognito_privx.errors import CognitoError, aws_error_code

if TYPE_CHECKING:
    from cognito_privx.pacing import TokenBucket


class InviteLimitError(CognitoError):
    """Cognito's daily invite-email cap (LimitExceededException): retrying the same day cannot help."""


# A request of PoolUsers: one call with its throttling retries; ``absent=<error code>`` answers None for that error.
Request = Callable[..., "dict[str, Any] | None"]


def retrying_call(
    gw: CognitoGateway,
    operation: str,
    params: Mapping[str, Any],
    *,
    absent: str | None,
    create_limiter: TokenBucket | None,
    policy: retry.RetryPolicy,
    on_retry: Callable[[], None],
) -> dict[str, Any] | None:
    """One Cognito call; ``None`` when it fails with the ``absent`` error code (not found / exists).

    Throttling and Cognito's internal errors are retried under :mod:`cognito_privx.retry`'s ``policy`` (each repeat
    reported to ``on_retry``), and so is a lost answer (a connection closed after the request was sent) of an
    operation that is :data:`SAFE_TO_REPEAT`; the daily invite-email cap never is. A repeated ``AdminCreateUser``
    cannot make a second user: the user name is unique, and the repeat's ``UsernameExistsException`` comes back as
    ``None``, so the caller looks it up. ``create_limiter`` paces each ``AdminCreateUser`` attempt.
    """

    def once() -> dict[str, Any] | None:
        if operation == "admin_create_user" and create_limiter is not None:
            create_limiter.acquire()
        try:
            return gw.call(operation, **params)
        except CognitoError as e:
            code = aws_error_code(e)
            if absent is not None and code == absent:
                return None
            if code == retry.EMAIL_CAP_CODE and operation == "admin_create_user":
                raise InviteLimitError(
                    "Cognito's daily email limit is reached: no more invitation emails today",
                    "re-run with --no-invite (users then need a password from you), or configure SES for "
                    "the pool; rows already done stay done",
                ) from e
            raise

    def retried(e: BaseException) -> bool:
        return _throttled_or_internal(e) or (operation in SAFE_TO_REPEAT and _answer_lost(e))

    return policy.call(once, retry_error=retried, on_retry=on_retry)


def paged(request: Request, operation: str) -> Callable[..., Mapping[str, Any]]:
    """``request`` for :meth:`CognitoGateway.pages`: one page of ``operation`` with the caller's retries."""
    return lambda **params: request(operation, **params) or {}


# Operations whose repeat leaves the state a single call would (setting what is set, adding a member who is one,
# reading): after a lost answer (the connection closed after the request went out: it may have been carried out)
# they are sent again. Not AdminCreateUser (handled by its caller: a repeat answers UsernameExistsException),
# nor what sends a message again (AdminResetUserPassword, a RESEND invitation) or deletes.
SAFE_TO_REPEAT = frozenset(
    {
        "admin_update_user_attributes",
        "admin_add_user_to_group",
        "admin_remove_user_from_group",
        "admin_enable_user",
        "admin_disable_user",
        "admin_user_global_sign_out",
        "admin_get_user",
        "admin_list_groups_for_user",
        "list_users",
        "list_users_in_group",
        "list_groups",
        "get_group",
        "describe_user_pool",
    }
)


def _answer_lost(e: BaseException) -> bool:
    """The request went out and no answer came back (:attr:`CognitoError.unknown_outcome`)."""
    return isinstance(e, CognitoError) and e.unknown_outcome


def _throttled_or_internal(e: BaseException) -> bool:
    """Whether a user operation is repeated: Cognito throttled it or failed inside (never the email cap)."""
    return (
        isinstance(e, CognitoError)
        and not isinstance(e, InviteLimitError)
        and retry.code_verdict(aws_error_code(e)) is not retry.Verdict.FAIL
    )


__all__ = ["SAFE_TO_REPEAT", "InviteLimitError", "Request", "paged", "retrying_call"]
