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
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from cognito_privx import retry
from cognito_privx.cognito import CognitoGateway, find_our_pool
from cognito_privx.cognito.usernames import UsernameModel, username_model
from cognito_privx.desired import UsersSpec
from cognito_privx.errors import CognitoError, UsageError
from cognito_privx.users import lifecycle, pool_rules, recovery
from cognito_privx.users.calls import retrying_call
from cognito_privx.users.ending import AccessEnding
from cognito_privx.users.groups import Memberships
from cognito_privx.users.lookup import UserLookup, UserNotFound
from cognito_privx.users.model import (
    Outcome,
    UserInfo,
    UserResult,
    UserRow,
)
from cognito_privx.users.offboard import EndPrivX

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
        settings = (self.description or {}).get("UserAttributeUpdateSettings") or {}
        pending = "email" in (settings.get("AttributesRequireVerificationBeforeUpdate") or [])
        return UserLookup(self.gw, self.call, self.pool_id, self.model, email_change_pending=pending)

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

        ``temporary_password`` on an existing user with no password of their own (``FORCE_CHANGE_PASSWORD``, or
        ``RESET_REQUIRED``: imported, or reset) sets a temporary one (``AdminSetUserPassword``, not permanent; no
        email is sent): :func:`cognito_privx.users.recovery.set_temporary_password`; on a user who has signed in
        already it is not set, and the result says so.
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
        self.check_row(row, creating=user is None and create)  # before any write: exit 2
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
                    invitation="sent" if invite else "not sent",
                )
            user = self.find(row.email)  # created meanwhile (another run, a lost response): converge it
        if user is None:
            raise UserNotFound(
                f"no user {row.email}{self.lookup.any_case()} in pool {self.pool_id}",
                self.lookup.not_found_hint("add the user with add-user first"),
            )
        result = self.converge(row, user, dry_run=dry_run)
        if temporary_password:
            return recovery.set_temporary_password(self, result, user, temporary_password, dry_run=dry_run)
        return result

    def resend_invite(self, email: str) -> UserResult:
        """resend-invite: :func:`cognito_privx.users.recovery.resend_invite`."""
        return recovery.resend_invite(self, email)

    def reset_password(self, email: str) -> UserResult:
        """reset-password: :func:`cognito_privx.users.recovery.reset_password`."""
        return recovery.reset_password(self, email)

    def check_row(self, row: UserRow, *, where: str = "", creating: bool = True) -> None:
        """Raise ``UsageError`` when the pool's schema refuses ``row`` (:func:`~cognito_privx.users.pool_rules.
        check_row`): a required attribute missing, a group over the attribute's ``MaxLength``. No call when
        :meth:`open` had the description."""
        pool = self.description or self.gw.describe_pool(self.pool_id)
        pool_rules.check_row(row, pool, self.attribute, where=where, creating=creating)

    def create(self, row: UserRow, *, invite: bool, temporary_password: str | None) -> UserTypeTypeDef | None:
        """The created user (``AdminCreateUser``'s ``User``); ``None`` when the user name exists already."""
        attributes: list[AttributeTypeTypeDef] = [
            {"Name": "email", "Value": row.email},
            {"Name": "email_verified", "Value": "true"},
            {"Name": self.attribute, "Value": row.group_value},
        ]
        if row.name:
            attributes.append({"Name": "name", "Value": row.name})
        attributes += [{"Name": name, "Value": value} for name, value in row.attributes]
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
        """set-group and an import row: :func:`cognito_privx.users.lifecycle.converge`."""
        return lifecycle.converge(self, row, user, dry_run=dry_run)

    @property
    def ending(self) -> AccessEnding:
        """Ending a person's access with this object's calls: the Cognito sign-out and the PrivX hook."""
        return AccessEnding(self.call, self.pool_id, self.keep_sessions, self.end_privx)

    def set_enabled(self, email: str, enabled: bool) -> UserResult:
        """enable-user / disable-user: :func:`cognito_privx.users.lifecycle.set_enabled`."""
        return lifecycle.set_enabled(self, email, enabled)

    def end_sessions(self, email: str) -> UserResult:
        """end-sessions: :func:`cognito_privx.users.lifecycle.end_sessions`."""
        return lifecycle.end_sessions(self, email)

    def remove(self, email: str, *, user: AdminGetUserResponseTypeDef | _NotLooked | None = NOT_LOOKED) -> UserResult:
        """remove-user: :func:`cognito_privx.users.lifecycle.remove` (``user``: the answer of ``find(email)`` when
        the caller has it already, ``None`` for nobody)."""
        looked = not isinstance(user, _NotLooked)
        return lifecycle.remove(self, email, user if not isinstance(user, _NotLooked) else None, looked=looked)

    def list(
        self, group: str | None = None, on_page: Callable[[int], None] | None = None, *, status: str | None = None
    ) -> list[UserInfo]:
        """Every user (optionally of one group, of one ``UserStatus``): :meth:`UserLookup.listed`."""
        return self.lookup.listed(self.attribute, group, on_page, status=status)


__all__ = ["PoolUsers"]
