"""Ending a person's access when a command takes it away (issue 21): the Cognito sign-out
(``AdminUserGlobalSignOut``) and then the PrivX hook (:mod:`.offboard`), in one :class:`AccessEnding` that
disable-user, remove-user, a demoting set-group and an import row share; ``--keep-sessions`` skips both.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cognito_privx.cognito.availability import UnsupportedCallError
from cognito_privx.errors import CognitoError, aws_error_code
from cognito_privx.users.offboard import NOTHING, EndPrivX, PrivXEnded, Stale, end_privx

if TYPE_CHECKING:
    from types_boto3_cognito_idp.type_defs import AdminGetUserResponseTypeDef

SIGNED_OUT = "signed out (refresh tokens revoked)"
SESSIONS_KEPT = "sessions kept (--keep-sessions)"
SIGN_OUT_PERMISSION = "cognito-idp:AdminUserGlobalSignOut"

# PoolUsers.call: (operation, absent=error code meaning "none", **params) -> the answer, None when absent.
Call = Callable[..., "dict[str, Any] | None"]


@dataclass(frozen=True)
class AccessEnding:
    """How one pool's user commands end a person's access: ``call`` is :meth:`PoolUsers.call` (throttling
    retried), ``end_privx`` the PrivX hook (``None``: no PrivX step), ``keep_sessions`` skips both."""

    call: Call
    pool_id: str
    keep_sessions: bool = False
    hook: EndPrivX | None = None

    def signed_out_flag(self, enabled: bool, words: str = SIGNED_OUT) -> bool | None:
        """The result's ``signed_out``: ``None`` for an enable, else whether the user was signed out (``words``:
        what :meth:`sign_out` answered)."""
        return None if enabled else not self.keep_sessions and words == SIGNED_OUT

    def would_sign_out(self) -> str:
        """A dry run's words for the sign-out."""
        return SESSIONS_KEPT if self.keep_sessions else "would sign out (revoke refresh tokens)"

    def end_privx(self, email: str, user: AdminGetUserResponseTypeDef | None, done: str) -> PrivXEnded:
        """After the Cognito sign-out: the person's PrivX sessions and connections ended (:mod:`.offboard`;
        ``user`` ``None``: no Cognito user any more, their records by email); nothing with ``keep_sessions``. A
        failure raises a ``PrivXError`` starting with ``done``."""
        return NOTHING if self.keep_sessions else end_privx(self.hook, email, user, lambda: done)

    def end_stale(
        self,
        email: str,
        user: AdminGetUserResponseTypeDef,
        groups: Collection[str],
        role_groups: Collection[str],
        done: str,
    ) -> PrivXEnded:
        """For a person whose group is already as asked: end the PrivX records that still hold a [roles] group
        not in ``groups`` (a sign-in before an earlier run changed the group; that run's second pass failed).
        Nothing, quietly, without PrivX credentials or when nothing is stale; nothing with ``keep_sessions``."""
        if self.keep_sessions:
            return NOTHING
        return end_privx(self.hook, email, user, lambda: done, stale=Stale(tuple(groups), tuple(role_groups)))

    def sign_out(self, email: str, username: str, *, done: str, absent_ok: bool = False) -> str:
        """``AdminUserGlobalSignOut`` ("Amazon Cognito no longer accepts a signed-out user's refresh tokens in
        refresh requests", botocore's model): the result's words for it. Skipped with ``keep_sessions``.

        A sign-out the caller's IAM policy does not allow raises :class:`CognitoError` naming the permission and
        ``done`` (what this command changed already); a re-run finishes the job. An endpoint without the call
        (cognito-local; docs/reliability.md#endpoints-that-lack-a-newer-call) cannot sign anyone out: the words say
        so (a warning), and the command goes on with the PrivX part. No policy could change that there, and the
        refresh tokens it issued end anyway: a disabled or deleted user cannot refresh (AdminDisableUser "revokes
        all access tokens", botocore's model), and a refresh reads the user's new group."""
        if self.keep_sessions:
            return SESSIONS_KEPT
        try:
            self.call(
                "admin_user_global_sign_out",
                absent="UserNotFoundException" if absent_ok else None,
                UserPoolId=self.pool_id,
                Username=username,
            )
        except UnsupportedCallError as e:
            return (
                f"warning: not signed out of Cognito: {e.endpoint} does not support {SIGN_OUT_PERMISSION} (refresh "
                "tokens it issued are not revoked)"
            )
        except CognitoError as e:
            if aws_error_code(e) not in ("AccessDeniedException", "AccessDenied"):
                raise
            raise CognitoError(
                f"{email}: {done}; not signed out: the caller may not call {SIGN_OUT_PERMISSION} "
                "(the user's refresh tokens still work)",
                f"add {SIGN_OUT_PERMISSION} to the caller's IAM policy (docs/permissions.md) and run the command "
                "again to finish",
            ) from e
        return SIGNED_OUT


__all__ = ["SESSIONS_KEPT", "SIGNED_OUT", "SIGN_OUT_PERMISSION", "AccessEnding"]
