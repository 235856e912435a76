"""Getting a user who cannot sign in to a password, by what the pool's recovery settings allow
(:class:`~cognito_privx.users.pool_rules.Recovery`): ``resend-invite`` (a user who never signed in),
``reset-password`` (Cognito's reset code, ``AdminResetUserPassword``), and a temporary password set by
``add-user --temporary-password`` (``AdminSetUserPassword`` ``Permanent=false``: the user is then
``FORCE_CHANGE_PASSWORD`` and sets their own at the first sign-in), which is also the only way in for an imported
(``RESET_REQUIRED``) user of a pool whose recovery is admin-only.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from cognito_privx.errors import ConflictError
from cognito_privx.users.model import (
    INVITATION_PENDING,
    RESET_REQUIRED,
    Outcome,
    UserResult,
    attributes_of,
    email_of,
    found_as,
    join_words,
    status_text,
)
from cognito_privx.users.pool_rules import Recovery

if TYPE_CHECKING:
    from types_boto3_cognito_idp.type_defs import AdminGetUserResponseTypeDef

    from cognito_privx.users.pool import PoolUsers

# The statuses a temporary password can be set for: no password of the user's own would be replaced.
SETTABLE = (INVITATION_PENDING, RESET_REQUIRED)


def recovery(users: PoolUsers) -> Recovery:
    """The pool's recovery settings, from the description ``PoolUsers.open`` read (else one ``DescribeUserPool``)."""
    return Recovery.of(users.description or users.gw.describe_pool(users.pool_id))


def temporary_password_hint(users: PoolUsers, email: str, user: AdminGetUserResponseTypeDef) -> str:
    """``add-user EMAIL --group G --temporary-password-prompt``, with the user's own group, for a user with no
    password of their own; for anyone else the AWS CLI line that sets one on purpose (add-user never replaces a
    password of the user's own: a re-run must not lock anyone out)."""
    if str(user.get("UserStatus", "")) not in SETTABLE:
        return (
            f"aws cognito-idp admin-set-user-password --user-pool-id {users.pool_id} --username {email} "
            "--password '<temporary>' --no-permanent"
        )
    group = attributes_of(user).get(users.attribute) or "GROUP"
    groups = " ".join(f"--group {g}" for g in group.split(",")) if users.native_groups else f"--group {group}"
    return f"cognito-privx add-user {email} {groups} --temporary-password-prompt"


def what_works(users: PoolUsers, email: str, user: AdminGetUserResponseTypeDef) -> str:
    """How a user who needs a password gets one in this pool: the hint of every refusal here."""
    set_one = temporary_password_hint(users, email, user)
    if recovery(users).admin_only:
        return (
            "this pool's account recovery is admin-only (Cognito sends no reset code, and the sign-in page's "
            f"password recovery does not work): set a temporary password and give it to the user: {set_one}"
        )
    return (
        f"send Cognito's reset code: cognito-privx reset-password {email} (or the user chooses 'Forgot your "
        f"password?' on the sign-in page); or set a temporary password: {set_one}"
    )


def set_temporary_password(
    users: PoolUsers, result: UserResult, user: AdminGetUserResponseTypeDef, password: str, *, dry_run: bool
) -> UserResult:
    """``add-user --temporary-password`` on an existing user: set for one who has no password of their own
    (``FORCE_CHANGE_PASSWORD``, ``RESET_REQUIRED``); for anyone else not set, and the result says so."""
    status = str(user.get("UserStatus", ""))
    if status not in SETTABLE:
        note = f"temporary password not set: the user has signed in already (status {status_text(status)})"
        return replace(result, detail="; ".join(filter(None, [result.detail, note])))
    if dry_run:
        note = "would set the temporary password"
    else:
        users.call(
            "admin_set_user_password",
            UserPoolId=users.pool_id,
            Username=user["Username"],
            Password=password,
            Permanent=False,
        )
        note = "temporary password set (no email is sent: give it to the user; they choose their own at sign-in)"
        status = INVITATION_PENDING
    return replace(
        result,
        outcome=Outcome.UPDATED,
        status=status,
        detail="; ".join(filter(None, [result.detail, note])),
    )


def resend_invite(users: PoolUsers, email: str) -> UserResult:
    """``AdminCreateUser`` ``MessageAction=RESEND`` (a new temporary password, emailed) for a user who never signed
    in; raises ``ConflictError`` naming what works for anyone else, ``UserNotFound`` for nobody."""
    user = users.lookup.require(email)
    status = str(user.get("UserStatus", ""))
    if status == RESET_REQUIRED:
        raise ConflictError(
            f"{email} has no invitation to resend: status {status_text(status)} (imported, or their password was "
            "reset)",
            what_works(users, email, user),
        )
    if status != INVITATION_PENDING:
        raise ConflictError(
            f"{email} has no pending invitation to resend: status {status_text(status)}",
            "only users who have not signed in yet (FORCE_CHANGE_PASSWORD) get an invitation; "
            "list them with `cognito-privx list-users --status FORCE_CHANGE_PASSWORD`",
        )
    users.call(
        "admin_create_user",
        UserPoolId=users.pool_id,
        Username=email_of(user) or email,
        MessageAction="RESEND",
        DesiredDeliveryMediums=["EMAIL"],
    )
    return UserResult(
        email,
        Outcome.UPDATED,
        join_words(found_as(user, email), "invitation sent again"),
        status=status,
        invitation="sent",
    )


def reset_password(users: PoolUsers, email: str) -> UserResult:
    """``reset-password``: ``AdminResetUserPassword``, which makes the user ``RESET_REQUIRED`` and sends Cognito's
    reset code; they enter it with a new password at their next sign-in. Refused before the call (``ConflictError``,
    naming what works) when the pool's recovery is admin-only, the user never signed in (resend-invite), is
    disabled, or has no verified email or phone to receive the code."""
    user = users.lookup.require(email)
    status = str(user.get("UserStatus", ""))
    attrs = attributes_of(user)
    if recovery(users).admin_only:
        raise ConflictError(
            f"Cognito sends no reset code in pool {users.pool_id}: its account recovery is admin-only "
            "(AdminResetUserPassword needs self-service recovery)",
            f"set a temporary password and give it to the user: {temporary_password_hint(users, email, user)}",
        )
    if status == INVITATION_PENDING:
        raise ConflictError(
            f"{email} has not signed in yet (status {status_text(status)}): there is no password to reset",
            f"send the invitation (a new temporary password): cognito-privx resend-invite {email}",
        )
    if not user.get("Enabled", True):
        raise ConflictError(f"{email} is disabled: Cognito resets no password of a disabled user", "enable-user first")
    if "true" not in (attrs.get("email_verified"), attrs.get("phone_number_verified")):
        raise ConflictError(
            f"{email} has no verified email or phone number to receive Cognito's reset code",
            f"set a temporary password and give it to the user: {temporary_password_hint(users, email, user)}",
        )
    users.call("admin_reset_user_password", UserPoolId=users.pool_id, Username=user["Username"])
    return UserResult(
        email,
        Outcome.UPDATED,
        join_words(
            found_as(user, email),
            "password reset: Cognito sent a reset code; the user enters it with a new password at sign-in "
            "(or via 'Forgot your password?')",
        ),
        status=RESET_REQUIRED,
    )


__all__ = ["resend_invite", "reset_password", "set_temporary_password", "what_works"]
