"""The lifecycle commands that take access away or give it back: ``disable-user`` / ``enable-user``
(:func:`set_enabled`), ``remove-user`` (:func:`remove`), and ``set-group`` / an import row (:func:`converge`), each
ending the person's access in an order that leaves no gap and lets a re-run finish
(:class:`~cognito_privx.users.ending.AccessEnding`)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from cognito_privx import retry
from cognito_privx.errors import CognitoError, aws_error_code
from cognito_privx.users.ending import SIGNED_OUT
from cognito_privx.users.model import Outcome, UserResult, UserRow, attributes_of, email_of, found_as, join_words
from cognito_privx.users.offboard import NOTHING, WOULD_END

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from types_boto3_cognito_idp.type_defs import AdminGetUserResponseTypeDef, AttributeTypeTypeDef

    from cognito_privx.users.pool import PoolUsers


def set_enabled(users: PoolUsers, email: str, enabled: bool) -> UserResult:
    """Enable or disable the user; a disable signs them out and ends their PrivX access (in that order, below).
    Raises what the look-up and the calls raise (a refused step names its permission; a re-run finishes)."""
    user = users.lookup.require(email)
    ending = users.ending
    seen_as = found_as(user, email)
    state = "enabled" if enabled else "disabled"
    status = str(user.get("UserStatus", "")) or None
    if bool(user.get("Enabled", True)) == enabled:
        detail = join_words(seen_as, "already " + state)
        ended, words = NOTHING, SIGNED_OUT
        if not enabled and not users.keep_sessions:
            # Again: the run that disabled the user may have been refused the sign-out or the PrivX part (a
            # re-run finishes it), or a session lives on that was opened before.
            words = ending.sign_out(email, user["Username"], done=f"{email} is disabled")
            detail += "; " + words
            ended = ending.end_privx(email, user, f"{email} is disabled; {words}")
        return UserResult(
            email,
            Outcome.UNCHANGED,
            "; ".join(filter(None, [detail, ended.words])),
            status=status,
            signed_out=ending.signed_out_flag(enabled, words),
            privx_sessions=ended.sessions,
            privx_connections=ended.connections,
        )
    operation = "admin_enable_user" if enabled else "admin_disable_user"
    users.call(operation, UserPoolId=users.pool_id, Username=user["Username"])
    if enabled:
        # AdminEnableUser does not bring back tokens ended by the disable's sign-out: the user signs in anew.
        return UserResult(email, Outcome.UPDATED, join_words(seen_as, state), status=status)
    # Disabled FIRST, then signed out: once disabled nobody can sign in, so the sign-out ends every refresh
    # token there will ever be for this user. (Signed out first, a sign-in between the two calls would get a
    # refresh token that survives the sign-out, and works again after enable-user if Cognito revives it.)
    # PrivX last: the sessions and connections a disabled user has can no longer be renewed from Cognito.
    signed_words = ending.sign_out(email, user["Username"], done=f"{email} is disabled")
    ended = ending.end_privx(email, user, f"{email} is disabled; {signed_words}")
    detail = "; ".join(filter(None, [join_words(seen_as, state), signed_words, ended.words]))
    return UserResult(
        email,
        Outcome.UPDATED,
        detail,
        status=status,
        signed_out=ending.signed_out_flag(enabled, signed_words),
        privx_sessions=ended.sessions,
        privx_connections=ended.connections,
    )


def remove(users: PoolUsers, email: str, user: AdminGetUserResponseTypeDef | None, *, looked: bool) -> UserResult:
    """Delete the user ``find(email)`` returns; ``user`` is that answer when the caller already has it (``looked``;
    ``None``: nobody was found), so the user confirmed at a prompt is the one deleted.

    A removal is reported only when the same look-up, run again after ``AdminDeleteUser``, finds nobody; "no
    such user" only when it found nobody to begin with. Raises ``CognitoError`` when a user with that email (in
    a legacy pool: in any capitalisation) is still there afterwards, and what :meth:`find` raises.
    """
    target = user if looked else users.find(email)
    ending = users.ending
    if target is None:
        # Gone from Cognito (deleted in the console, or remove-user --keep-sessions): the PrivX records of this
        # email in our directory may still be live; they are ended all the same (by email and principal).
        gone = f"no such user{users.lookup.any_case()} (already removed)"
        ended = ending.end_privx(email, None, f"{email}: {gone}")
        if ended.sessions is None:  # no PrivX step, or no directory of this pool: nothing more to say
            return UserResult(email, Outcome.UNCHANGED, gone)
        gone = f"no such user in Cognito{users.lookup.any_case()} (already removed)"
        return UserResult(
            email,
            Outcome.UNCHANGED,
            f"{gone}; {ended.words}",
            privx_sessions=ended.sessions,
            privx_connections=ended.connections,
        )
    # Signed out BEFORE the deletion: afterwards there is nobody to sign out, and a refused sign-out then leaves
    # the user in place for a re-run. A sign-in between the two calls is harmless: deletion ends its tokens.
    signed = ending.sign_out(email, target["Username"], done="nothing was changed", absent_ok=True)
    # PrivX before the deletion too: a refusal leaves the user in the pool, and a re-run does it all again.
    ended = ending.end_privx(email, target, f"{email}: {signed}; not removed yet")
    deleted = (
        users.call(
            "admin_delete_user",
            absent="UserNotFoundException",
            UserPoolId=users.pool_id,
            Username=target["Username"],
        )
        is not None
    )
    left = users.find(email)
    if left is not None:
        raise CognitoError(
            f"{email_of(left) or email} is still in pool {users.pool_id} after the deletion "
            f"(user name {left['Username']})",
            "run remove-user again; if the user stays, delete it in the AWS console",
        )
    if not deleted:
        return UserResult(email, Outcome.UNCHANGED, f"no such user{users.lookup.any_case()} (already removed)")
    status = str(target.get("UserStatus", "")) or None  # the status the user had
    detail = "; ".join(filter(None, [join_words(found_as(target, email), "removed"), signed, ended.words]))
    return UserResult(
        email,
        Outcome.DELETED,
        detail,
        status=status,
        signed_out=signed == SIGNED_OUT,
        privx_sessions=ended.sessions,
        privx_connections=ended.connections,
    )


def end_sessions(users: PoolUsers, email: str) -> UserResult:
    """``end-sessions``: sign the person out of Cognito (when the pool has them) and end their PrivX sessions and
    connections in our directory (by ``sub`` and email; by email alone when the Cognito user is gone), changing
    neither their group nor whether they are enabled. Outcome ``updated`` when something was signed out or ended.
    Raises what the sign-out and the hook raise (a refusal names its permission; a re-run finishes)."""
    user = users.find(email)
    ending = users.ending
    if user is None:
        done = f"{email}: no such user in Cognito{users.lookup.any_case()}"
        ended = ending.end_privx(email, None, done)
        words = [done.removeprefix(f"{email}: "), ended.words]
        signed_out = None
    else:
        signed = ending.sign_out(email, user["Username"], done="nothing was changed", absent_ok=True)
        ended = ending.end_privx(email, user, f"{email}: {signed}")
        words = [found_as(user, email), signed, ended.words]
        signed_out = True
    acted = signed_out or bool(ended.sessions or ended.connections)
    return UserResult(
        email,
        Outcome.UPDATED if acted else Outcome.UNCHANGED,
        "; ".join(filter(None, words)),
        status=None if user is None else str(user.get("UserStatus", "")) or None,
        signed_out=signed_out,
        privx_sessions=ended.sessions,
        privx_connections=ended.connections,
    )


def converge(users: PoolUsers, row: UserRow, user: AdminGetUserResponseTypeDef, *, dry_run: bool = False) -> UserResult:
    """Bring an existing user to ``row`` (group, name; native groups too): a demotion signs them out and ends
    their PrivX access before the group changes and again after (below). ``dry_run`` changes nothing."""
    ending = users.ending
    attrs = attributes_of(user)
    username = user["Username"]
    changes: list[AttributeTypeTypeDef] = []
    details: list[str] = []
    seen_as = found_as(user, row.email)
    current = attrs.get(users.attribute)
    if current != row.group_value:
        changes.append({"Name": users.attribute, "Value": row.group_value})
        details.append(f"group: {current or '(none)'} → {row.group_value}")
    if row.name and attrs.get("name") != row.name:
        changes.append({"Name": "name", "Value": row.name})
        details.append("name")
    signed: bool | None = None  # signed out (True), sessions kept (False), or no group taken away (None)
    ended = NOTHING  # what was ended in PrivX
    membership = users.memberships.sync(username, row.groups, dry_run=dry_run) if users.native_groups else ""
    if membership:
        details.append(membership)
        if _left_native(membership) and not changes and not dry_run:
            # Native groups only (the attribute unchanged): the membership is already changed; signed out now.
            signed_words = ending.sign_out(row.email, username, done=f"done: {membership}")
            details.append(signed_words)
            signed = signed_words == SIGNED_OUT
            ended = ending.end_privx(row.email, user, f"{row.email}: {membership}; {signed_words}")
    if not user.get("Enabled", True):
        details.append("user is disabled (not re-enabled; use enable-user)")
    changed = bool(changes or membership)
    if seen_as:
        details.insert(0, seen_as)
    seen: dict[str, Any] = {
        "status": str(user.get("UserStatus", "")) or None,
        "old_group": current,
        "new_group": row.group_value,
    }
    demoted = bool(set(_groups_of(current)) - set(row.groups)) or _left_native(membership)
    if changed and dry_run:
        if demoted:
            details.append(ending.would_sign_out())
            if not users.keep_sessions and users.end_privx is not None:
                details.append(WOULD_END)
        return UserResult(row.email, Outcome.UPDATED, "would update: " + "; ".join(details), row.line, **seen)
    if demoted and changes:
        # Signed out BEFORE the group changes, so that a sign-out the caller may not do leaves nothing changed
        # and a re-run (which would see no group change) does the whole job. A refresh token issued in the
        # milliseconds between the two calls survives, but every token Cognito makes from it afterwards carries
        # the new group (a refresh reads the user's attributes), so no refresh brings the old group back.
        done = f"done: {membership}" if membership else "nothing was changed"
        signed_words = ending.sign_out(row.email, username, done=done)
        details.append(signed_words)
        signed = signed_words == SIGNED_OUT
        # PrivX too, before the group changes (a refusal leaves the group for a re-run) and again after it: a
        # sign-in between the sign-out and the change got the old group, and the second pass ends it (nothing
        # live: no write).
        ended = ending.end_privx(row.email, user, f"{row.email}: {signed_words}; the group is not changed yet")
    if changes:
        _update_attributes(users, username, changes)
        if demoted and ended.sessions is not None:
            so_far = "; ".join(filter(None, [details[-1], ended.words]))
            ended += ending.end_privx(row.email, user, f"{row.email}: group changed; {so_far}")
    if not dry_run and ended is NOTHING:
        # Nothing taken away now, but an earlier run may have changed the group and failed to end the PrivX access
        # after the change (a sign-in in between holds the old group; the re-run sees no change): the records
        # still holding a lost [roles] group are ended now (without PrivX credentials: quietly nothing).
        before = "; ".join(filter(None, [*details])) or "unchanged"
        ended = ending.end_stale(row.email, user, row.groups, users.role_groups, f"{row.email}: {before}")
    if ended.words:
        details.append(ended.words)
    return UserResult(
        row.email,
        Outcome.UPDATED if changed else Outcome.UNCHANGED,
        "; ".join(details),
        row.line,
        signed_out=signed if changed else None,
        **seen,
        privx_sessions=ended.sessions,
        privx_connections=ended.connections,
    )


def _update_attributes(users: PoolUsers, username: str, changes: list[AttributeTypeTypeDef]) -> None:
    """``AdminUpdateUserAttributes`` with ``changes``. Its lost answers are repeated (it is safe to repeat:
    users/calls.py ``SAFE_TO_REPEAT``); when every answer was lost, the user is read back (``AdminGetUser``) and
    the update counts as done when each attribute holds what was sent. Otherwise the error, as it came."""
    try:
        users.call("admin_update_user_attributes", UserPoolId=users.pool_id, Username=username, UserAttributes=changes)
    except CognitoError as e:
        if not e.unknown_outcome and retry.code_verdict(aws_error_code(e)) is not retry.Verdict.UNKNOWN:
            raise
        now = users.call("admin_get_user", UserPoolId=users.pool_id, Username=username)
        held = attributes_of(now) if now is not None else {}  # type: ignore[arg-type]
        if now is None or any(held.get(c["Name"], "") != c.get("Value", "") for c in changes):
            raise
        log.info("%s: the update's answer was lost; read back, it was applied", username)


def _groups_of(value: str | None) -> list[str]:
    """The groups of a group attribute's value (comma-joined), none for an unset one."""
    return [g for g in (value or "").split(",") if g]


def _left_native(membership: str) -> bool:
    """Whether :meth:`Memberships.sync`'s account of a change removed the user from a group."""
    return "- group " in membership


__all__ = ["converge", "end_sessions", "remove", "set_enabled"]
