"""The user commands on one pool (:class:`PoolUsers`): add / set-group / disable / enable / remove / list.

Every operation is idempotent and reports in one vocabulary (:mod:`cognito_privx.users.model`). The user's login
name is their email (the pool has ``UsernameAttributes=["email"]``), lower-cased: Cognito pools made by
cognito-privx compare user names case-insensitively, and lower-casing makes ``Alice@x`` and ``alice@x`` the same
row everywhere (moto, unlike AWS, would create both). A user is found by :class:`~cognito_privx.users.lookup.UserLookup`
and acted on by their real ``Username`` (the ``sub``); every call goes through :meth:`PoolUsers.call`, which
repeats throttling (:mod:`cognito_privx.users.calls`); native group membership is
:class:`~cognito_privx.users.groups.Memberships`.
"""

from __future__ import annotations

import enum
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, cast

from cognito_privx import retry
from cognito_privx.cognito import CognitoGateway, find_our_pool
from cognito_privx.cognito.usernames import UsernameModel, username_model
from cognito_privx.desired import UsersSpec
from cognito_privx.errors import CognitoError, ConflictError, UsageError, aws_error_code
from cognito_privx.users.calls import retrying_call
from cognito_privx.users.groups import Memberships
from cognito_privx.users.lookup import UserLookup, UserNotFound
from cognito_privx.users.model import (
    INVITATION_PENDING,
    Outcome,
    UserInfo,
    UserResult,
    UserRow,
    attributes_of,
    email_of,
    status_text,
)
from cognito_privx.users.offboard import NOTHING, WOULD_END, EndPrivX, PrivXEnded, end_privx

if TYPE_CHECKING:  # types-boto3-cognito-idp, a dev dependency: type checking only
    from types_boto3_cognito_idp.type_defs import (
        AdminCreateUserResponseTypeDef,
        AdminGetUserResponseTypeDef,
        AttributeTypeTypeDef,
        PasswordPolicyTypeTypeDef,
        UserPoolTypeTypeDef,
        UserTypeTypeDef,
    )

    from cognito_privx.pacing import TokenBucket


class _NotLooked(enum.Enum):
    NOT_LOOKED = "not looked up"


NOT_LOOKED = _NotLooked.NOT_LOOKED


@dataclass
class PoolUsers:
    """The user side of our pool: every user operation goes through here."""

    gw: CognitoGateway
    pool_id: str
    attribute: str  # custom:<group_attribute>
    native_groups: bool = False  # group_claim = "cognito:groups": membership of native groups too
    role_groups: frozenset[str] = frozenset()  # the [roles] keys: the native groups we move users between
    model: UsernameModel = field(default_factory=UsernameModel)  # how the pool names its users (default: ours)
    description: UserPoolTypeTypeDef | None = None  # describe_user_pool()["UserPool"], when open() had it
    create_limiter: TokenBucket | None = None
    keep_sessions: bool = False  # --keep-sessions: no AdminUserGlobalSignOut on disable / remove / demotion
    # After the sign-out: end the person's PrivX sessions and connections (users.offboard; the CLI builds it)
    end_privx: EndPrivX | None = None
    max_attempts: int = 8
    backoff_base: float = 0.2
    backoff_cap: float = 8.0
    sleep: Callable[[float], None] = time.sleep
    retries: int = field(default=0, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @classmethod
    def open(cls, gw: CognitoGateway, spec: UsersSpec, **kwargs: Any) -> PoolUsers:
        """The users of ``spec``'s pool (found by name and our tag, or its pinned id). Raises
        :class:`CognitoError` when there is no such pool."""
        pool = find_our_pool(gw, spec.pool)
        if pool is None:
            raise CognitoError(
                f"no user pool named {spec.pool.name!r} managed by cognito-privx",
                "run `cognito-privx setup` first (or check --config / --region)",
            )
        # find_our_pool returns the pool described (its tags live only there): its username model costs no call.
        return cls(
            gw,
            pool["Id"],
            spec.attribute_name,
            native_groups=spec.native_groups,
            role_groups=spec.role_groups,
            model=username_model(pool),
            description=pool,
            **kwargs,
        )

    # -- calls, with throttling retries ---------------------------------------------------------------------

    def call(self, operation: str, *, absent: str | None = None, **params: Any) -> dict[str, Any] | None:
        """One Cognito call; ``None`` when it fails with the ``absent`` error code (not found / exists).

        Throttling and Cognito's internal errors are retried under :mod:`cognito_privx.retry`'s policy; the daily
        invite-email cap never is (:func:`cognito_privx.users.calls.retrying_call`).
        """
        policy = retry.RetryPolicy(self.max_attempts, self.backoff_base, self.backoff_cap, self.sleep)
        return retrying_call(
            self.gw,
            operation,
            params,
            absent=absent,
            create_limiter=self.create_limiter,
            policy=policy,
            on_retry=self._count_retry,
        )

    def _count_retry(self) -> None:
        with self._lock:
            self.retries += 1

    @property
    def lookup(self) -> UserLookup:
        """Finding users by email in this pool, with this object's calls (throttling retried)."""
        return UserLookup(self.gw, self.call, self.pool_id, self.model)

    @property
    def memberships(self) -> Memberships:
        """The users' native group memberships in this pool, with this object's calls (throttling retried)."""
        return Memberships(self.gw, self.call, self.pool_id, self.role_groups)

    def find(self, email: str) -> AdminGetUserResponseTypeDef | None:
        """The user whose email is ``email`` (an ``AdminGetUser`` answer), ``None`` when there is none: see
        :meth:`UserLookup.find`. Act on the result by its ``Username``, never by ``email``."""
        return self.lookup.find(email)

    def password_policy(self) -> PasswordPolicyTypeTypeDef:
        pool = self.description or self.gw.describe_pool(self.pool_id)
        return (pool.get("Policies") or {}).get("PasswordPolicy") or {}

    # -- operations ---------------------------------------------------------------------------------------

    def add(
        self,
        row: UserRow,
        *,
        invite: bool = True,
        temporary_password: str | None = None,
        create: bool = True,
        dry_run: bool = False,
    ) -> UserResult:
        """Create the user, or bring an existing one to ``row.group`` (and ``row.name`` if given).

        ``temporary_password`` on an existing user whose invitation is pending (``FORCE_CHANGE_PASSWORD``) replaces
        their temporary password (``AdminSetUserPassword``, not permanent; no email is sent); on a user who has
        signed in already it is not set, and the result says so.
        """
        if len(row.groups) > 1 and not self.native_groups:
            raise UsageError(
                f"{row.email}: several groups ({', '.join(row.groups)}), but a user has one group when "
                '[cognito] group_claim = "custom"',
                'give one --group, or set group_claim = "cognito:groups" in the config and run setup',
            )
        if self.native_groups:
            for group in row.groups:
                if group not in self.role_groups:
                    self.memberships.require_group(group)
        user = self.find(row.email)
        if user is None and create and dry_run:
            return UserResult(
                row.email,
                Outcome.CREATED,
                f"would create, group {row.group_value}",
                row.line,
                new_group=row.group_value,
            )
        if user is None and create:
            created = self.create(row, invite=invite, temporary_password=temporary_password)
            if created is not None:
                if self.native_groups:
                    self.memberships.sync(created["Username"], row.groups, dry_run=False)
                status = str(created.get("UserStatus", "")) or None
                return UserResult(
                    row.email,
                    Outcome.CREATED,
                    f"group {row.group_value}",
                    row.line,
                    status=status,
                    new_group=row.group_value,
                )
            user = self.find(row.email)  # created meanwhile (another run, a lost response): converge it
        if user is None:
            raise UserNotFound(
                f"no user {row.email}{self.lookup.any_case()} in pool {self.pool_id}",
                "add the user with add-user first",
            )
        result = self.converge(row, user, dry_run=dry_run)
        if temporary_password:
            return self._set_temporary_password(result, user, temporary_password, dry_run=dry_run)
        return result

    def _set_temporary_password(
        self, result: UserResult, user: AdminGetUserResponseTypeDef, password: str, *, dry_run: bool
    ) -> UserResult:
        status = str(user.get("UserStatus", ""))
        if status != INVITATION_PENDING:
            note = f"temporary password not set: the user has signed in already (status {status_text(status)})"
            return replace(result, detail="; ".join(filter(None, [result.detail, note])))
        if dry_run:
            note = "would set the temporary password"
        else:
            self.call(
                "admin_set_user_password",
                UserPoolId=self.pool_id,
                Username=user["Username"],
                Password=password,
                Permanent=False,
            )
            note = "temporary password set (no email is sent: give it to the user)"
        return replace(result, outcome=Outcome.UPDATED, detail="; ".join(filter(None, [result.detail, note])))

    def resend_invite(self, email: str) -> UserResult:
        """Send the invitation email again (``AdminCreateUser`` with ``MessageAction=RESEND``), which also resets the
        temporary password and its expiry. Only for a user whose invitation is pending (``FORCE_CHANGE_PASSWORD``);
        raises ``ConflictError`` for anyone else, ``UserNotFound`` when there is no such user."""
        user = self.lookup.require(email)
        status = str(user.get("UserStatus", ""))
        if status != INVITATION_PENDING:
            raise ConflictError(
                f"{email} has no pending invitation to resend: status {status_text(status)}",
                "only users who have not signed in yet (FORCE_CHANGE_PASSWORD) get an invitation; "
                "list them with `cognito-privx list-users --status FORCE_CHANGE_PASSWORD`",
            )
        self.call(
            "admin_create_user",
            UserPoolId=self.pool_id,
            Username=email_of(user) or email,
            MessageAction="RESEND",
            DesiredDeliveryMediums=["EMAIL"],
        )
        return UserResult(email, Outcome.UPDATED, _join(_found_as(user, email), "invitation sent again"), status=status)

    def create(self, row: UserRow, *, invite: bool, temporary_password: str | None) -> UserTypeTypeDef | None:
        """The created user (``AdminCreateUser``'s ``User``); ``None`` when the user name exists already."""
        attributes: list[AttributeTypeTypeDef] = [
            {"Name": "email", "Value": row.email},
            {"Name": "email_verified", "Value": "true"},
            {"Name": self.attribute, "Value": row.group_value},
        ]
        if row.name:
            attributes.append({"Name": "name", "Value": row.name})
        params: dict[str, Any] = {
            "UserPoolId": self.pool_id,
            "Username": row.email,
            "UserAttributes": attributes,
        }
        if invite:
            params["DesiredDeliveryMediums"] = ["EMAIL"]
        else:
            params["MessageAction"] = "SUPPRESS"
        if temporary_password:
            params["TemporaryPassword"] = temporary_password
        response = self.call("admin_create_user", absent="UsernameExistsException", **params)
        return None if response is None else cast("AdminCreateUserResponseTypeDef", response)["User"]

    def converge(self, row: UserRow, user: AdminGetUserResponseTypeDef, *, dry_run: bool = False) -> UserResult:
        attrs = attributes_of(user)
        username = user["Username"]
        changes: list[AttributeTypeTypeDef] = []
        details: list[str] = []
        found_as = _found_as(user, row.email)
        current = attrs.get(self.attribute)
        if current != row.group_value:
            changes.append({"Name": self.attribute, "Value": row.group_value})
            details.append(f"group: {current or '(none)'} → {row.group_value}")
        if row.name and attrs.get("name") != row.name:
            changes.append({"Name": "name", "Value": row.name})
            details.append("name")
        signed: bool | None = None  # signed out (True), sessions kept (False), or no group taken away (None)
        ended = NOTHING  # what was ended in PrivX
        membership = self.memberships.sync(username, row.groups, dry_run=dry_run) if self.native_groups else ""
        if membership:
            details.append(membership)
            if _left_native(membership) and not changes and not dry_run:
                # Native groups only (the attribute unchanged): the membership is already changed; signed out now.
                signed_words = self._sign_out(row.email, username, done=f"done: {membership}")
                details.append(signed_words)
                signed = not self.keep_sessions
                ended = self._end_privx(row.email, user, f"{row.email}: {membership}; {signed_words}")
        if not user.get("Enabled", True):
            details.append("user is disabled (not re-enabled; use enable-user)")
        changed = bool(changes or membership)
        if found_as:
            details.insert(0, found_as)
        seen: dict[str, Any] = {
            "status": str(user.get("UserStatus", "")) or None,
            "old_group": current,
            "new_group": row.group_value,
        }
        demoted = bool(set(_groups_of(current)) - set(row.groups)) or _left_native(membership)
        if changed and dry_run:
            if demoted:
                details.append(self._would_sign_out())
                if not self.keep_sessions and self.end_privx is not None:
                    details.append(WOULD_END)
            return UserResult(row.email, Outcome.UPDATED, "would update: " + "; ".join(details), row.line, **seen)
        if demoted and changes:
            # Signed out BEFORE the group changes, so that a sign-out the caller may not do leaves nothing changed
            # and a re-run (which would see no group change) does the whole job. A refresh token issued in the
            # milliseconds between the two calls survives, but every token Cognito makes from it afterwards carries
            # the new group (a refresh reads the user's attributes), so no refresh brings the old group back.
            done = f"done: {membership}" if membership else "nothing was changed"
            signed_words = self._sign_out(row.email, username, done=done)
            details.append(signed_words)
            signed = not self.keep_sessions
            # PrivX too, before the group changes (a refusal leaves the group for a re-run) and again after it: a
            # sign-in between the sign-out and the change got the old group, and the second pass ends it (nothing
            # live: no write).
            ended = self._end_privx(row.email, user, f"{row.email}: {signed_words}; the group is not changed yet")
        if changes:
            self.call(
                "admin_update_user_attributes", UserPoolId=self.pool_id, Username=username, UserAttributes=changes
            )
            if demoted and ended.sessions is not None:
                so_far = "; ".join(filter(None, [details[-1], ended.words]))
                ended += self._end_privx(row.email, user, f"{row.email}: group changed; {so_far}")
        if changed:
            if ended.words:
                details.append(ended.words)
            return UserResult(
                row.email,
                Outcome.UPDATED,
                "; ".join(details),
                row.line,
                signed_out=signed,
                **seen,
                privx_sessions=ended.sessions,
                privx_connections=ended.connections,
            )
        return UserResult(row.email, Outcome.UNCHANGED, "; ".join(details), row.line, **seen)

    def set_enabled(self, email: str, enabled: bool) -> UserResult:
        user = self.lookup.require(email)
        found_as = _found_as(user, email)
        state = "enabled" if enabled else "disabled"
        status = str(user.get("UserStatus", "")) or None
        if bool(user.get("Enabled", True)) == enabled:
            detail = _join(found_as, "already " + state)
            ended = NOTHING
            if not enabled and not self.keep_sessions:
                # Again: the run that disabled the user may have been refused the sign-out or the PrivX part (a
                # re-run finishes it), or a session lives on that was opened before.
                detail += "; " + self._sign_out(email, user["Username"], done=f"{email} is disabled")
                ended = self._end_privx(email, user, f"{email} is disabled; {SIGNED_OUT}")
            return UserResult(
                email,
                Outcome.UNCHANGED,
                "; ".join(filter(None, [detail, ended.words])),
                status=status,
                signed_out=self._signed_out_flag(enabled),
                privx_sessions=ended.sessions,
                privx_connections=ended.connections,
            )
        operation = "admin_enable_user" if enabled else "admin_disable_user"
        self.call(operation, UserPoolId=self.pool_id, Username=user["Username"])
        if enabled:
            # AdminEnableUser does not bring back tokens ended by the disable's sign-out: the user signs in anew.
            return UserResult(email, Outcome.UPDATED, _join(found_as, state), status=status)
        # Disabled FIRST, then signed out: once disabled nobody can sign in, so the sign-out ends every refresh
        # token there will ever be for this user. (Signed out first, a sign-in between the two calls would get a
        # refresh token that survives the sign-out, and works again after enable-user if Cognito revives it.)
        # PrivX last: the sessions and connections a disabled user has can no longer be renewed from Cognito.
        signed_words = self._sign_out(email, user["Username"], done=f"{email} is disabled")
        ended = self._end_privx(email, user, f"{email} is disabled; {signed_words}")
        detail = "; ".join(filter(None, [_join(found_as, state), signed_words, ended.words]))
        return UserResult(
            email,
            Outcome.UPDATED,
            detail,
            status=status,
            signed_out=self._signed_out_flag(enabled),
            privx_sessions=ended.sessions,
            privx_connections=ended.connections,
        )

    def remove(self, email: str, *, user: AdminGetUserResponseTypeDef | _NotLooked | None = NOT_LOOKED) -> UserResult:
        """Delete the user ``find(email)`` returns; ``user`` is that answer when the caller already has it (``None``:
        nobody was found), so the user confirmed at a prompt is the one deleted.

        A removal is reported only when the same look-up, run again after ``AdminDeleteUser``, finds nobody; "no
        such user" only when it found nobody to begin with. Raises ``CognitoError`` when a user with that email (in
        a legacy pool: in any capitalisation) is still there afterwards, and what :meth:`find` raises.
        """
        target = self.find(email) if isinstance(user, _NotLooked) else user
        if target is None:
            return UserResult(email, Outcome.UNCHANGED, f"no such user{self.lookup.any_case()} (already removed)")
        # Signed out BEFORE the deletion: afterwards there is nobody to sign out, and a refused sign-out then leaves
        # the user in place for a re-run. A sign-in between the two calls is harmless: deletion ends its tokens.
        signed = self._sign_out(email, target["Username"], done="nothing was changed", absent_ok=True)
        # PrivX before the deletion too: a refusal leaves the user in the pool, and a re-run does it all again.
        ended = self._end_privx(email, target, f"{email}: {signed}; not removed yet")
        deleted = (
            self.call(
                "admin_delete_user",
                absent="UserNotFoundException",
                UserPoolId=self.pool_id,
                Username=target["Username"],
            )
            is not None
        )
        left = self.find(email)
        if left is not None:
            raise CognitoError(
                f"{email_of(left) or email} is still in pool {self.pool_id} after the deletion "
                f"(user name {left['Username']})",
                "run remove-user again; if the user stays, delete it in the AWS console",
            )
        if not deleted:
            return UserResult(email, Outcome.UNCHANGED, f"no such user{self.lookup.any_case()} (already removed)")
        status = str(target.get("UserStatus", "")) or None  # the status the user had
        detail = "; ".join(filter(None, [_join(_found_as(target, email), "removed"), signed, ended.words]))
        return UserResult(
            email,
            Outcome.DELETED,
            detail,
            status=status,
            signed_out=not self.keep_sessions,
            privx_sessions=ended.sessions,
            privx_connections=ended.connections,
        )

    # -- ending sessions ----------------------------------------------------------------------------------------

    def _signed_out_flag(self, enabled: bool) -> bool | None:
        return None if enabled else not self.keep_sessions

    def _would_sign_out(self) -> str:
        return SESSIONS_KEPT if self.keep_sessions else "would sign out (revoke refresh tokens)"

    def _end_privx(self, email: str, user: AdminGetUserResponseTypeDef, done: str) -> PrivXEnded:
        """After the Cognito sign-out: the person's PrivX sessions and connections ended (:mod:`.offboard`);
        nothing with ``keep_sessions``. A failure raises a ``PrivXError`` starting with ``done``."""
        return NOTHING if self.keep_sessions else end_privx(self.end_privx, email, user, lambda: done)

    def _sign_out(self, email: str, username: str, *, done: str, absent_ok: bool = False) -> str:
        """``AdminUserGlobalSignOut`` ("Amazon Cognito no longer accepts a signed-out user's refresh tokens in
        refresh requests", botocore's model): the result's words for it. Skipped with ``keep_sessions``.

        A sign-out the caller's IAM policy does not allow raises :class:`CognitoError` naming the permission and
        ``done`` (what this command changed already); a re-run finishes the job."""
        if self.keep_sessions:
            return SESSIONS_KEPT
        try:
            self.call(
                "admin_user_global_sign_out",
                absent="UserNotFoundException" if absent_ok else None,
                UserPoolId=self.pool_id,
                Username=username,
            )
        except CognitoError as e:
            if aws_error_code(e) not in ("AccessDeniedException", "AccessDenied"):
                raise
            raise CognitoError(
                f"{email}: {done}; not signed out: the caller may not call {SIGN_OUT_PERMISSION} "
                "(the user's refresh tokens still work)",
                f"add {SIGN_OUT_PERMISSION} to the caller's IAM policy (docs/permissions.md) and run the command "
                "again to finish; or pass --keep-sessions to leave the user's sessions",
            ) from e
        return SIGNED_OUT

    def list(
        self, group: str | None = None, on_page: Callable[[int], None] | None = None, *, status: str | None = None
    ) -> list[UserInfo]:
        """Every user (optionally of one group, of one ``UserStatus``): :meth:`UserLookup.listed`."""
        return self.lookup.listed(self.attribute, group, on_page, status=status)


SIGNED_OUT = "signed out (refresh tokens revoked)"
SESSIONS_KEPT = "sessions kept (--keep-sessions)"
SIGN_OUT_PERMISSION = "cognito-idp:AdminUserGlobalSignOut"


def _groups_of(value: str | None) -> list[str]:
    """The groups of a group attribute's value (comma-joined), none for an unset one."""
    return [g for g in (value or "").split(",") if g]


def _left_native(membership: str) -> bool:
    """Whether :meth:`Memberships.sync`'s account of a change removed the user from a group."""
    return "- group " in membership


def _join(*parts: str) -> str:
    return " ".join(p for p in parts if p)


def _found_as(user: AdminGetUserResponseTypeDef, email: str) -> str:
    """``"as Bob@X.com"`` when the pool knows the user under another capitalisation, else ``""``."""
    real = email_of(user)
    return f"as {real}" if real and real != email else ""


__all__ = ["PoolUsers"]
