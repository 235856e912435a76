"""Users: add / set-group / disable / enable / remove / list, and the bulk import engine.

Every operation is idempotent and reports in one vocabulary: created, updated, unchanged, failed. The user's
login name is their email (the pool has ``UsernameAttributes=["email"]``), lower-cased: Cognito pools made by
cognito-privx compare user names case-insensitively, and lower-casing makes ``Alice@x`` and ``alice@x`` the same
row everywhere (moto, unlike AWS, would create both).

Pools made elsewhere are read for their username model first (:mod:`cognito_privx.usernames`, from the
description :meth:`PoolUsers.open` already has). In a legacy case-sensitive pool Cognito resolves only the exact
capitalisation, so :meth:`PoolUsers.find` also searches the case variants of the address, acts on the user by
their real ``Username`` (the ``sub``), and refuses to guess when two users' emails differ only in case. Pools
whose users do not sign in with their email are refused by every command that looks a user up.

Throughput: one boto3 client shared by the worker threads (clients are thread-safe), a token bucket that keeps
``AdminCreateUser`` under the account's ``UserCreation`` quota (50/s by default), and our own retry with
exponential backoff and full jitter on ``TooManyRequestsException``. botocore's retries are switched off for
this client because they would also retry ``LimitExceededException``, which is Cognito's *daily* invite-email
cap: retrying cannot help, so those rows fail at once with a message saying so.
"""

from __future__ import annotations

import csv
import enum
import io
import itertools
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import email_validator

from cognito_privx import retry
from cognito_privx.cognito import CognitoGateway, find_our_pool
from cognito_privx.config import AppConfig, validate_group_name
from cognito_privx.desired import PoolSpec
from cognito_privx.errors import (
    AmbiguousResourceError,
    CognitoError,
    CognitoPrivxError,
    ConfigError,
    ConflictError,
    UsageError,
)
from cognito_privx.usernames import UsernameModel, username_model

if TYPE_CHECKING:  # types-boto3-cognito-idp, a dev dependency: type checking only
    from types_boto3_cognito_idp.type_defs import (
        AdminCreateUserResponseTypeDef,
        AdminGetUserResponseTypeDef,
        AttributeTypeTypeDef,
        PasswordPolicyTypeTypeDef,
        UserPoolTypeTypeDef,
        UserTypeTypeDef,
    )

# Cognito's limit on a user name, and the email is the user name in our pools.
MAX_EMAIL_LENGTH = 128
DEFAULT_RATE = 48.0  # requests/s: a little under the 50/s UserCreation quota
DEFAULT_WORKERS = 16


class Outcome(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    DELETED = "deleted"
    FAILED = "failed"


@dataclass(frozen=True)
class UserRow:
    email: str
    group: str
    name: str | None = None
    line: int | None = None  # CSV line number, for messages


@dataclass(frozen=True)
class UserResult:
    email: str
    outcome: Outcome
    detail: str = ""
    line: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"email": self.email, "outcome": self.outcome.value, "detail": self.detail, "line": self.line}


@dataclass(frozen=True)
class UserInfo:
    email: str
    group: str | None
    status: str
    enabled: bool
    created: str
    name: str | None = None

    @classmethod
    def from_cognito(cls, raw: UserTypeTypeDef, attribute: str) -> UserInfo:
        """A ``ListUsers`` entry; ``attribute`` is the group attribute (``custom:group``)."""
        attrs = attributes_of(raw)
        created = raw.get("UserCreateDate")
        return cls(
            email=attrs.get("email", raw.get("Username", "")),
            group=attrs.get(attribute),
            status=str(raw.get("UserStatus", "")),
            enabled=raw.get("Enabled", True),
            created=created.isoformat(timespec="seconds") if isinstance(created, datetime) else "",
            name=attrs.get("name"),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "email": self.email,
            "group": self.group,
            "status": self.status,
            "enabled": self.enabled,
            "created": self.created,
            "name": self.name,
        }


# -- validation (pure, before any call) ------------------------------------------------------------------


def validate_email(email: str) -> str:
    """The address as the pool's user name: checked by email-validator (syntax only, no DNS), lower-cased.

    Only ASCII addresses are taken. Cognito sends its invitations through Amazon SES, which supports no SMTPUTF8
    (a non-ASCII local part cannot be delivered at all) and wants a non-ASCII domain in its Punycode form (SES API
    reference, ``Destination``: "If the domain part of an address ... contains non-ASCII characters, they must be
    encoded using Punycode, as described in RFC3492"; Cognito refuses such an address unencoded, aws-cdk#8473).
    An internationalised domain is refused with its Punycode form in the message, not converted silently: the
    address is also the user's sign-in name, so the one stored must be the one the user is told to type.
    """
    value = email.strip()
    hint = "give the user's email, like alice@example.com"
    try:
        checked = email_validator.validate_email(value, check_deliverability=False, allow_smtputf8=False)
    except email_validator.EmailNotValidError as e:
        raise UsageError(f"{email!r} is not a valid email address: {e}", hint) from None
    if not value.isascii():  # by now only the domain can be (a non-ASCII local part was refused above)
        ascii_form = str(checked.ascii_email).lower()
        raise UsageError(
            f"{email!r} is not a valid email address for Cognito: its domain is not ASCII (as ASCII: {ascii_form})",
            f"give the address with its domain in Punycode, {ascii_form}, and tell the user to sign in with it",
        )
    address = str(checked.ascii_email).lower()
    if len(address) > MAX_EMAIL_LENGTH:
        raise UsageError(f"{email!r} is not a valid email address: longer than {MAX_EMAIL_LENGTH} characters", hint)
    return address


def validate_group(group: str, cfg: AppConfig, *, force: bool = False) -> str:
    try:
        validate_group_name(group)
    except ValueError as e:
        raise UsageError(str(e), "group names are what PrivX role rules match on; keep them simple") from None
    known = sorted(cfg.roles)
    if known and group not in known and not force:
        raise UsageError(
            f"unknown group {group!r}; the [roles] in the config know: {', '.join(known)}",
            "use one of those, add the group to [roles], or pass --force",
        )
    return group


def password_problems(password: str, policy: PasswordPolicyTypeTypeDef) -> list[str]:
    """What ``password`` lacks under a Cognito password policy (``Policies.PasswordPolicy``)."""
    problems = []
    minimum = int(policy.get("MinimumLength", 8))
    if len(password) < minimum:
        problems.append(f"at least {minimum} characters")
    if policy.get("RequireUppercase") and not any(c.isupper() for c in password):
        problems.append("an upper-case letter")
    if policy.get("RequireLowercase") and not any(c.islower() for c in password):
        problems.append("a lower-case letter")
    if policy.get("RequireNumbers") and not any(c.isdigit() for c in password):
        problems.append("a number")
    # Cognito's symbol set: ^ $ * . [ ] { } ( ) ? " ! @ # % & / \ , > < ' : ; | _ ~ ` = + - and space.
    if policy.get("RequireSymbols") and not any(c in "^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- " for c in password):
        problems.append("a symbol")
    return problems


# -- the user-facing operations ----------------------------------------------------------------------------


class TokenBucket:
    """A thread-safe rate limiter: at most ``rate`` acquisitions per second, bursts of ``burst``.

    A burst of 2 lets the bucket absorb the sleep overshoot of waiting threads (with 1, every oversleep is time
    lost for good) while any one-second window still stays under ``rate + 1``.
    """

    def __init__(self, rate: float, burst: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.burst = max(burst, 1.0)
        self._tokens = self.burst
        self._clock = clock
        self._last = clock()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        while True:
            with self._lock:
                now = self._clock()
                self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
                self._last = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                wait_s = (1 - self._tokens) / self.rate
            time.sleep(wait_s)


class _NotLooked(enum.Enum):
    NOT_LOOKED = "not looked up"


NOT_LOOKED = _NotLooked.NOT_LOOKED


class InviteLimitError(CognitoError):
    """Cognito's daily invite-email cap (LimitExceededException): retrying the same day cannot help."""


# A request of PoolUsers: one call with its throttling retries; ``absent=<error code>`` answers None for that error.
Request = Callable[..., "dict[str, Any] | None"]


@dataclass(frozen=True)
class UserLookup:
    """Finding a user by email under the pool's username model (:mod:`cognito_privx.usernames`).

    A pool like ours answers with one ``AdminGetUser``: Cognito resolves every capitalisation. A legacy
    case-sensitive pool resolves only the exact one and may hold ``Bob@x`` and ``bob@x`` as two users: the case
    variants are listed too, each is confirmed by a read, and two of them are an error, never a guess.
    """

    gw: CognitoGateway
    request: Request
    pool_id: str
    model: UsernameModel

    def find(self, email: str) -> AdminGetUserResponseTypeDef | None:
        """The user whose email is ``email`` (an ``AdminGetUser`` answer), ``None`` when there is none.

        Act on the result by its ``Username`` (in email pools the ``sub``), never by ``email``: in a legacy pool the
        address given may differ in case from the one Cognito knows.

        Raises ``AmbiguousUserError`` when two users' emails differ from ``email`` only in case (never a guess),
        ``ConflictError`` when the pool's users do not sign in with their email.
        """
        self.require_email_pool()
        exact = self.get(email)
        if self.model.case_insensitive:
            # Cognito resolves every capitalisation itself in these pools and refuses a second user whose email
            # differs only in case (Developer Guide, "User pool case sensitivity"): one call answers.
            return exact
        # A case-sensitive pool resolves only the exact capitalisation (UsernameConfigurationType: "users must sign
        # in using the exact capitalization"), and may hold Bob@x and bob@x as two users.
        found: dict[str, AdminGetUserResponseTypeDef] = {exact["Username"]: exact} if exact is not None else {}
        for listed in self._listed_case_variants(email):
            name = listed["Username"]
            if name in found:
                continue
            # ListUsers is eventually consistent (API reference: "To validate the existence or configuration of an
            # individual user, use AdminGetUser"): keep only what a read by the real user name confirms now.
            user = self.get(name)
            if user is not None and email_of(user).lower() == email.lower():
                found[name] = user
        if len(found) > 1:
            users = ", ".join(f"{email_of(u)} ({name})" for name, u in sorted(found.items()))
            raise AmbiguousUserError(
                f"{len(found)} users in pool {self.pool_id} have the email {email} in different capitalisations: "
                f"{users}",
                "the pool compares emails case-sensitively, so these are separate accounts and cognito-privx will "
                "not guess which one you mean: delete or disable the extra one in the AWS console",
            )
        return next(iter(found.values()), None)

    def get(self, username: str) -> AdminGetUserResponseTypeDef | None:
        """``AdminGetUser`` by the real user name; ``None`` when there is no such user."""
        answer = self.request(
            "admin_get_user", absent="UserNotFoundException", UserPoolId=self.pool_id, Username=username
        )
        return cast("AdminGetUserResponseTypeDef | None", answer)

    def user_pages(self, where: str | None = None) -> Iterator[list[UserTypeTypeDef]]:
        """``ListUsers``, page by page, each page one request; ``where`` is a ``Filter`` expression."""
        params = {"Filter": where} if where else {}
        pages = self.gw.pages(
            "list_users", paged(self.request, "list_users"), UserPoolId=self.pool_id, Limit=60, **params
        )
        for page in pages:
            yield page.get("Users", [])

    def _listed_case_variants(self, email: str) -> list[UserTypeTypeDef]:
        """Users listed with an email equal to ``email`` but for case (ListUsers entries, possibly stale).

        ListUsers can only filter ``email`` by ``=`` or ``^=`` (prefix), and whether AWS compares those values
        case-insensitively is documented inconsistently (the API reference marks only ``username``, ``status`` and
        ``cognito:user_status``); moto compares them exactly (``str.startswith`` in
        ``moto/cognitoidp/models.py``, ``list_users``). So: one prefix query per capitalisation of the first three
        letters (at most 8), comparing whole emails case-folded here. Correct either way, and far cheaper than a
        scan of the pool (ListUsers allows 30 requests/s per account).
        """
        wanted = email.lower()
        listed: dict[str, UserTypeTypeDef] = {}
        for prefix in _case_prefixes(email):
            for page in self.user_pages(f'email ^= "{_quote(prefix)}"'):
                for user in page:
                    if email_of(user).lower() == wanted:
                        listed.setdefault(user["Username"], user)
        return list(listed.values())

    def require_email_pool(self) -> None:
        if self.model.signs_in_with_email:
            return
        raise ConflictError(
            f"cannot manage the users of pool {self.pool_id} by email: {self.model.unsuitable_reason()}",
            "cognito-privx manages users of pools whose users sign in with their email; use a pool made by "
            "`cognito-privx setup` (list-users still works here)",
        )

    def any_case(self) -> str:
        """`` in any capitalisation`` for messages about a case-sensitive pool, else ``""``."""
        return " in any capitalisation" if self.model.case_sensitive else ""


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
    max_attempts: int = 8
    backoff_base: float = 0.2
    backoff_cap: float = 8.0
    sleep: Callable[[float], None] = time.sleep
    retries: int = field(default=0, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @classmethod
    def open(cls, gw: CognitoGateway, cfg: AppConfig, **kwargs: Any) -> PoolUsers:
        spec = PoolSpec(name=cfg.cognito.pool_name, region=cfg.region, pool_id=cfg.cognito.pool_id)
        pool = find_our_pool(gw, spec)
        if pool is None:
            raise CognitoError(
                f"no user pool named {cfg.cognito.pool_name!r} managed by cognito-privx",
                "run `cognito-privx setup` first (or check --config / --region)",
            )
        # find_our_pool returns the pool described (its tags live only there): its username model costs no call.
        return cls(
            gw,
            pool["Id"],
            cfg.cognito.attribute_name,
            native_groups=cfg.cognito.native_groups,
            role_groups=frozenset(cfg.roles),
            model=username_model(pool),
            description=pool,
            **kwargs,
        )

    # -- calls, with throttling retries ---------------------------------------------------------------------

    def _call(self, operation: str, *, absent: str | None = None, **params: Any) -> dict[str, Any] | None:
        """One Cognito call; ``None`` when it fails with the ``absent`` error code (not found / exists).

        Throttling and Cognito's internal errors are retried under :mod:`cognito_privx.retry`'s policy; the daily
        invite-email cap never is. A repeated ``AdminCreateUser`` cannot make a second user: the user name is
        unique, and the repeat's ``UsernameExistsException`` comes back as ``None``, so the caller looks it up.
        """

        def once() -> dict[str, Any] | None:
            if operation == "admin_create_user" and self.create_limiter is not None:
                self.create_limiter.acquire()
            try:
                return self.gw.call(operation, **params)
            except CognitoError as e:
                code = _code_of(e)
                if absent is not None and code == absent:
                    return None
                if code == retry.EMAIL_CAP_CODE and operation == "admin_create_user":
                    raise InviteLimitError(
                        "Cognito's daily email limit is reached: no more invitation emails today",
                        "re-run with --no-invite (users then need a password from you), or configure SES for "
                        "the pool; rows already done stay done",
                    ) from e
                raise

        def count() -> None:
            with self._lock:
                self.retries += 1

        policy = retry.RetryPolicy(self.max_attempts, self.backoff_base, self.backoff_cap, self.sleep)
        return policy.call(once, retry_error=_throttled_or_internal, on_retry=count)

    @property
    def lookup(self) -> UserLookup:
        """Finding users by email in this pool, with this object's calls (throttling retried)."""
        return UserLookup(self.gw, self._call, self.pool_id, self.model)

    def find(self, email: str) -> AdminGetUserResponseTypeDef | None:
        """The user whose email is ``email`` (an ``AdminGetUser`` answer), ``None`` when there is none: see
        :meth:`UserLookup.find`. Act on the result by its ``Username``, never by ``email``."""
        return self.lookup.find(email)

    def password_policy(self) -> PasswordPolicyTypeTypeDef:
        pool = self.description or self.gw.describe_pool(self.pool_id)
        return (pool.get("Policies") or {}).get("PasswordPolicy") or {}

    def _require(self, email: str) -> AdminGetUserResponseTypeDef:
        user = self.find(email)
        if user is None:
            raise UserNotFound(
                f"no user {email}{self.lookup.any_case()} in pool {self.pool_id}",
                "check the address, or add the user with add-user",
            )
        return user

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
        """Create the user, or bring an existing one to ``row.group`` (and ``row.name`` if given)."""
        if self.native_groups and row.group not in self.role_groups:
            self._require_native_group(row.group)
        user = self.find(row.email)
        if user is None and create and dry_run:
            return UserResult(row.email, Outcome.CREATED, f"would create, group {row.group}", row.line)
        if user is None and create:
            created = self._create(row, invite=invite, temporary_password=temporary_password)
            if created is not None:
                if self.native_groups:
                    self._sync_groups(created["Username"], row.group, dry_run=False)
                return UserResult(row.email, Outcome.CREATED, f"group {row.group}", row.line)
            user = self.find(row.email)  # created meanwhile (another run, a lost response): converge it
        if user is None:
            raise UserNotFound(
                f"no user {row.email}{self.lookup.any_case()} in pool {self.pool_id}",
                "add the user with add-user first",
            )
        result = self._converge(row, user, dry_run=dry_run)
        if temporary_password:
            note = "temporary password not set: the user already exists"
            return UserResult(result.email, result.outcome, "; ".join(filter(None, [result.detail, note])), result.line)
        return result

    def _create(self, row: UserRow, *, invite: bool, temporary_password: str | None) -> UserTypeTypeDef | None:
        """The created user (``AdminCreateUser``'s ``User``); ``None`` when the user name exists already."""
        attributes: list[AttributeTypeTypeDef] = [
            {"Name": "email", "Value": row.email},
            {"Name": "email_verified", "Value": "true"},
            {"Name": self.attribute, "Value": row.group},
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
        response = self._call("admin_create_user", absent="UsernameExistsException", **params)
        return None if response is None else cast("AdminCreateUserResponseTypeDef", response)["User"]

    def _converge(self, row: UserRow, user: AdminGetUserResponseTypeDef, *, dry_run: bool = False) -> UserResult:
        attrs = attributes_of(user)
        username = user["Username"]
        changes: list[AttributeTypeTypeDef] = []
        details: list[str] = []
        found_as = _found_as(user, row.email)
        current = attrs.get(self.attribute)
        if current != row.group:
            changes.append({"Name": self.attribute, "Value": row.group})
            details.append(f"group: {current or '(none)'} → {row.group}")
        if row.name and attrs.get("name") != row.name:
            changes.append({"Name": "name", "Value": row.name})
            details.append("name")
        membership = self._sync_groups(username, row.group, dry_run=dry_run) if self.native_groups else ""
        if membership:
            details.append(membership)
        if not user.get("Enabled", True):
            details.append("user is disabled (not re-enabled; use enable-user)")
        changed = bool(changes or membership)
        if found_as:
            details.insert(0, found_as)
        if changed and dry_run:
            return UserResult(row.email, Outcome.UPDATED, "would update: " + "; ".join(details), row.line)
        if changes:
            self._call(
                "admin_update_user_attributes", UserPoolId=self.pool_id, Username=username, UserAttributes=changes
            )
        if changed:
            return UserResult(row.email, Outcome.UPDATED, "; ".join(details), row.line)
        return UserResult(row.email, Outcome.UNCHANGED, "; ".join(details), row.line)

    def _sync_groups(self, username: str, group: str, *, dry_run: bool) -> str:
        """Put the user into native group ``group`` and out of the other ``[roles]`` groups; what changed.

        ``username`` is the user's real ``Username`` (the ``sub`` in email pools), not the address given.
        """
        operation = "admin_list_groups_for_user"
        pages = self.gw.pages(
            operation, paged(self._call, operation), UserPoolId=self.pool_id, Username=username, Limit=60
        )
        current: set[str] = {g["GroupName"] for page in pages for g in page.get("Groups", [])}
        add = [group] if group not in current else []
        remove = sorted((current & self.role_groups) - {group})
        if not dry_run:
            for name in add:
                self._call("admin_add_user_to_group", UserPoolId=self.pool_id, Username=username, GroupName=name)
            for name in remove:
                self._call("admin_remove_user_from_group", UserPoolId=self.pool_id, Username=username, GroupName=name)
        return ", ".join([*(f"+ group {g}" for g in add), *(f"- group {g}" for g in remove)])

    def _require_native_group(self, group: str) -> None:
        if self._call("get_group", absent="ResourceNotFoundException", UserPoolId=self.pool_id, GroupName=group):
            return
        raise UsageError(
            f'the pool has no Cognito group {group!r} (group_claim = "cognito:groups")',
            "add the group to [roles] and run `cognito-privx setup`, which creates it",
        )

    def set_enabled(self, email: str, enabled: bool) -> UserResult:
        user = self._require(email)
        found_as = _found_as(user, email)
        state = "enabled" if enabled else "disabled"
        if bool(user.get("Enabled", True)) == enabled:
            return UserResult(email, Outcome.UNCHANGED, _join(found_as, "already " + state))
        operation = "admin_enable_user" if enabled else "admin_disable_user"
        self._call(operation, UserPoolId=self.pool_id, Username=user["Username"])
        return UserResult(email, Outcome.UPDATED, _join(found_as, state))

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
        deleted = (
            self._call(
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
        return UserResult(email, Outcome.DELETED, _join(_found_as(target, email), "removed"))

    def list(self, group: str | None = None, on_page: Callable[[int], None] | None = None) -> list[UserInfo]:
        """Every user (optionally of one group). Custom attributes cannot be filtered server-side: a paged scan."""
        users: list[UserInfo] = []
        seen = 0
        for page in self.lookup.user_pages():
            seen += len(page)
            listed = (UserInfo.from_cognito(raw, self.attribute) for raw in page)
            users += [info for info in listed if group is None or info.group == group]
            if on_page is not None:
                on_page(seen)
        return sorted(users, key=lambda u: u.email)


class UserNotFound(CognitoError):
    """The user does not exist (exit 1: the job cannot be done)."""


class AmbiguousUserError(AmbiguousResourceError):
    """A case-sensitive pool holds two or more users whose emails differ only in case (exit 1); all are listed."""


def _join(*parts: str) -> str:
    return " ".join(p for p in parts if p)


def attributes_of(user: AdminGetUserResponseTypeDef | UserTypeTypeDef) -> dict[str, str]:
    """A user's attributes by name, from an ``AdminGetUser`` answer (``UserAttributes``) or a listed or created user
    (``Attributes``)."""
    lists = cast("Mapping[str, list[AttributeTypeTypeDef]]", user)  # one of the two keys, by the operation
    return {a["Name"]: a.get("Value", "") for a in lists.get("UserAttributes") or lists.get("Attributes") or []}


def email_of(user: AdminGetUserResponseTypeDef | UserTypeTypeDef) -> str:
    return attributes_of(user).get("email", "")


def _found_as(user: AdminGetUserResponseTypeDef, email: str) -> str:
    """``"as Bob@X.com"`` when the pool knows the user under another capitalisation, else ``""``."""
    real = email_of(user)
    return f"as {real}" if real and real != email else ""


def paged(request: Request, operation: str) -> Callable[..., Mapping[str, Any]]:
    """``request`` for :meth:`CognitoGateway.pages`: one page of ``operation`` with the caller's retries."""
    return lambda **params: request(operation, **params) or {}


def _quote(value: str) -> str:
    """A ListUsers filter value: quotation marks and backslashes escaped with a backslash (API reference)."""
    return value.replace("\\", "\\\\").replace('"', '\\"')


def _case_prefixes(email: str, letters: int = 3) -> list[str]:
    """Every capitalisation of ``email``'s start, up to its ``letters``-th letter and the caseless characters after.

    ``"bob.smith@x"`` → ``["bob.", "boB.", ..., "BOB."]`` (8). Addresses are ASCII (``validate_email``).
    """
    start: list[str] = []
    cased = 0
    for ch in email:
        if ch.lower() != ch.upper():
            if cased == letters:
                break
            cased += 1
        start.append(ch)
    options = [sorted({ch.lower(), ch.upper()}) for ch in start]
    return ["".join(p) for p in itertools.product(*options)]


def _throttled_or_internal(e: BaseException) -> bool:
    """Whether a user operation is repeated: Cognito throttled it or failed inside (never the email cap)."""
    return (
        isinstance(e, CognitoError)
        and not isinstance(e, InviteLimitError)
        and retry.code_verdict(_code_of(e)) is not retry.Verdict.FAIL
    )


def _code_of(e: CognitoError) -> str:
    cause = e.__cause__
    response = getattr(cause, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


# -- CSV -------------------------------------------------------------------------------------------------


def read_csv(path: Path, cfg: AppConfig, *, force: bool = False) -> list[UserRow]:
    """Parse and validate the whole file; every bad row is reported (with its line) before anything runs."""
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise UsageError(f"cannot read {path}: {e.strerror}", "check the path") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise UsageError(f"{path} is not UTF-8 (byte {e.start})", "save the file as UTF-8 (Excel: CSV UTF-8)") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in ("email", "group") if c not in header]
    if missing:
        raise UsageError(
            f"{path}: the header lacks {', '.join(missing)} (found: {', '.join(header) or 'nothing'})",
            "the first line must be: email,group[,name]",
        )
    repeated = sorted({h for h in header if header.count(h) > 1})
    if repeated:
        raise UsageError(f"{path}: the header names {', '.join(repeated)} more than once", "name each column once")
    unknown = [h for h in header if h not in ("email", "group", "name")]
    if unknown:
        raise UsageError(f"{path}: unknown column(s) {', '.join(unknown)}", "the columns are email, group, name")
    reader.fieldnames = header
    rows: list[UserRow] = []
    errors: list[str] = []
    first_line: dict[str, int] = {}
    for record in reader:
        line = reader.line_num
        if None in record:
            errors.append(f"line {line}: too many fields")
            continue
        email = (record.get("email") or "").strip()
        group = (record.get("group") or "").strip()
        name = (record.get("name") or "").strip() or None
        if not email and not group and not name:
            continue  # a blank line
        try:
            email = validate_email(email)
            validate_group(group, cfg, force=force)
        except CognitoPrivxError as e:
            errors.append(f"line {line}: {e.message}")
            continue
        if email in first_line:
            errors.append(f"line {line}: {email} is also on line {first_line[email]}")
            continue
        first_line[email] = line
        rows.append(UserRow(email, group, name, line))
    if errors:
        shown = errors[:20] + ([f"... and {len(errors) - 20} more"] if len(errors) > 20 else [])
        raise CsvError(f"{path}: {len(errors)} bad row(s), nothing was changed", "fix these rows:", shown)
    return rows


class CsvError(ConfigError):
    """A CSV file with bad rows: every row is listed."""

    def __init__(self, message: str, hint: str, rows: Sequence[str]) -> None:
        super().__init__(message, hint + "\n" + "\n".join(f"  {r}" for r in rows))
        self.rows = list(rows)


# -- the bulk engine -------------------------------------------------------------------------------------


@dataclass
class ImportReport:
    results: list[UserResult]
    seconds: float
    retries: int
    stopped: str | None = None  # why the run stopped early, if it did

    def count(self, outcome: Outcome) -> int:
        return sum(1 for r in self.results if r.outcome is outcome)

    @property
    def failed(self) -> int:
        return self.count(Outcome.FAILED)

    @property
    def attempted(self) -> int:
        """Rows that were run (a stopped run leaves the rest "not attempted")."""
        return sum(1 for r in self.results if not r.detail.startswith("not attempted"))

    def summary(self) -> dict[str, Any]:
        return {
            "rows": len(self.results),
            **{o.value: self.count(o) for o in (Outcome.CREATED, Outcome.UPDATED, Outcome.UNCHANGED, Outcome.FAILED)},
            "seconds": round(self.seconds, 2),
            "rows_per_second": round(self.attempted / self.seconds, 1) if self.seconds else None,
            "throttle_retries": self.retries,
            "stopped": self.stopped,
        }


def import_rows(
    users: PoolUsers,
    rows: Sequence[UserRow],
    *,
    workers: int = DEFAULT_WORKERS,
    invite: bool = True,
    dry_run: bool = False,
    on_result: Callable[[UserResult], None] | None = None,
) -> ImportReport:
    """Run every row through :meth:`PoolUsers.add` on ``workers`` threads, sharing one client.

    A row's failure is recorded and the run goes on, except the daily invite cap: then no further row is
    started (each would fail the same way) and the remaining rows are reported as failed with that reason.
    """
    start = time.monotonic()
    results: dict[int, UserResult] = {}
    stop = threading.Event()
    stop_reason: list[str] = []

    def one(index: int, row: UserRow) -> None:
        if stop.is_set():
            result = UserResult(row.email, Outcome.FAILED, f"not attempted: {stop_reason[0]}", row.line)
        else:
            try:
                result = users.add(row, invite=invite, dry_run=dry_run)
            except InviteLimitError as e:
                if not stop.is_set():
                    stop_reason.append(e.message)
                    stop.set()
                result = UserResult(row.email, Outcome.FAILED, e.message, row.line)
            except CognitoPrivxError as e:
                result = UserResult(row.email, Outcome.FAILED, e.message, row.line)
        results[index] = result
        if on_result is not None:
            on_result(result)

    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="import")
    try:
        pending = {pool.submit(one, i, row) for i, row in enumerate(rows)}
        while pending:
            # Short waits: a Ctrl-C may be delivered to any thread, and Python runs the handler only when the main
            # thread runs Python code again; a wait without a timeout would hold it until every row was done.
            done, pending = wait(pending, timeout=0.2, return_when=FIRST_EXCEPTION)
            for f in done:
                f.result()  # re-raise a programming error instead of hiding it
    except BaseException as e:
        # Ctrl-C (or a bug): start no further row, let the in-flight ones finish, keep what was done.
        if not stop.is_set():
            stop_reason.append("interrupted" if isinstance(e, KeyboardInterrupt) else f"stopped by {type(e).__name__}")
            stop.set()
        pool.shutdown(wait=True, cancel_futures=True)
        if not isinstance(e, KeyboardInterrupt):
            raise
    finally:
        pool.shutdown(wait=True)
    ordered = [
        results.get(i) or UserResult(row.email, Outcome.FAILED, f"not attempted: {stop_reason[0]}", row.line)
        for i, row in enumerate(rows)
    ]
    return ImportReport(ordered, time.monotonic() - start, users.retries, stop_reason[0] if stop_reason else None)


def write_report(path: Path, report: ImportReport) -> None:
    """Per-row results as JSON (``.json``) or CSV (anything else)."""
    if path.suffix.lower() == ".json":
        import json

        doc = {"summary": report.summary(), "rows": [r.to_json() for r in report.results]}
        path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
        return
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["line", "email", "outcome", "detail"])
        for r in report.results:
            writer.writerow([r.line or "", r.email, r.outcome.value, r.detail])


__all__ = [
    "DEFAULT_RATE",
    "DEFAULT_WORKERS",
    "AmbiguousUserError",
    "ImportReport",
    "InviteLimitError",
    "Outcome",
    "PoolUsers",
    "TokenBucket",
    "UserInfo",
    "UserNotFound",
    "UserResult",
    "UserRow",
    "import_rows",
    "password_problems",
    "read_csv",
    "validate_email",
    "validate_group",
    "write_report",
]
