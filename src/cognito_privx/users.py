"""Users: add / set-group / disable / enable / remove / list, and the CSV an import reads.

Every operation is idempotent and reports in one vocabulary: created, updated, unchanged, failed. The user's
login name is their email (the pool has ``UsernameAttributes=["email"]``), lower-cased: Cognito pools made by
cognito-privx compare user names case-insensitively, and lower-casing makes ``Alice@x`` and ``alice@x`` the same
row everywhere (moto, unlike AWS, would create both).

Pools made elsewhere are read for their username model first (:mod:`cognito_privx.usernames`, from the
description :meth:`PoolUsers.open` already has). In a legacy case-sensitive pool Cognito resolves only the exact
capitalisation, so :meth:`PoolUsers.find` also searches the case variants of the address, acts on the user by
their real ``Username`` (the ``sub``), and refuses to guess when two users' emails differ only in case. Pools
whose users do not sign in with their email are refused by every command that looks a user up.

Retries: our own, with exponential backoff and full jitter on ``TooManyRequestsException``. botocore's retries
are switched off for this client because they would also retry ``LimitExceededException``, which is Cognito's
*daily* invite-email cap: retrying cannot help, so those rows fail at once with a message saying so. The bulk
import engine (worker threads, the adaptive creation rate) is :mod:`cognito_privx.imports`.
"""

from __future__ import annotations

import array
import codecs
import csv
import enum
import itertools
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
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

    from cognito_privx.imports import TokenBucket

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
    NOT_ATTEMPTED = "not attempted"  # an import stopped (Ctrl-C, the daily email cap) before this row


# Cognito's UserStatus values, and what each means for the person (the user commands show both).
STATUS_MEANING = {
    "FORCE_CHANGE_PASSWORD": "invitation pending",
    "CONFIRMED": "signed in",
    "RESET_REQUIRED": "password reset required",
    "UNCONFIRMED": "not confirmed",
    "EXTERNAL_PROVIDER": "federated",
    "ARCHIVED": "archived",
    "COMPROMISED": "compromised",
    "UNKNOWN": "unknown",
}
INVITATION_PENDING = "FORCE_CHANGE_PASSWORD"


def status_text(status: str) -> str:
    """``FORCE_CHANGE_PASSWORD (invitation pending)``: the status and what it means."""
    meaning = STATUS_MEANING.get(status)
    return f"{status} ({meaning})" if meaning else status


@dataclass(frozen=True)
class UserRow:
    email: str
    group: str
    name: str | None = None
    line: int | None = None  # CSV line number, for messages
    # Further native groups (group_claim = "cognito:groups" only; -g dev -g ops): ``group`` is the first.
    also: tuple[str, ...] = ()

    @property
    def groups(self) -> tuple[str, ...]:
        return (self.group, *self.also)

    @property
    def group_value(self) -> str:
        """The group attribute's value: the group, or the groups comma-joined (a group name holds no comma)."""
        return ",".join(self.groups)


@dataclass(frozen=True)
class UserResult:
    email: str
    outcome: Outcome
    detail: str = ""
    line: int | None = None
    status: str | None = None  # Cognito's UserStatus after the operation, when known
    old_group: str | None = None  # the group attribute before and after, when the operation read or set it
    new_group: str | None = None

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {"email": self.email, "outcome": self.outcome.value, "detail": self.detail}
        if self.line is not None:  # only rows of a file have a line
            document["line"] = self.line
        if self.status is not None:
            document["status"] = self.status
        if self.old_group is not None or self.new_group is not None:
            document["old_group"] = self.old_group
            document["new_group"] = self.new_group
        return document


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


# Cognito's limit on a standard attribute's value (its schema's StringAttributeConstraints MaxLength).
MAX_ATTRIBUTE_LENGTH = 2048


def validate_name(name: str | None) -> str | None:
    """The display name, trimmed (``None`` when empty); a :class:`UsageError` when Cognito could not store it
    (longer than its 2,048-character attribute limit, or a line break)."""
    value = (name or "").strip()
    if len(value) > MAX_ATTRIBUTE_LENGTH:
        raise UsageError(
            f"the name is {len(value):,} characters; Cognito keeps at most {MAX_ATTRIBUTE_LENGTH:,}",
            "shorten the name",
        )
    if "\n" in value or "\r" in value:
        raise UsageError("the name holds a line break", "give the name on one line")
    return value or None


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
                    self._require_native_group(group)
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
            created = self._create(row, invite=invite, temporary_password=temporary_password)
            if created is not None:
                if self.native_groups:
                    self._sync_groups(created["Username"], row.groups, dry_run=False)
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
        result = self._converge(row, user, dry_run=dry_run)
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
            self._call(
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
        user = self._require(email)
        status = str(user.get("UserStatus", ""))
        if status != INVITATION_PENDING:
            raise ConflictError(
                f"{email} has no pending invitation to resend: status {status_text(status)}",
                "only users who have not signed in yet (FORCE_CHANGE_PASSWORD) get an invitation; "
                "list them with `cognito-privx list-users --status FORCE_CHANGE_PASSWORD`",
            )
        self._call(
            "admin_create_user",
            UserPoolId=self.pool_id,
            Username=email_of(user) or email,
            MessageAction="RESEND",
            DesiredDeliveryMediums=["EMAIL"],
        )
        return UserResult(email, Outcome.UPDATED, _join(_found_as(user, email), "invitation sent again"), status=status)

    def _create(self, row: UserRow, *, invite: bool, temporary_password: str | None) -> UserTypeTypeDef | None:
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
        response = self._call("admin_create_user", absent="UsernameExistsException", **params)
        return None if response is None else cast("AdminCreateUserResponseTypeDef", response)["User"]

    def _converge(self, row: UserRow, user: AdminGetUserResponseTypeDef, *, dry_run: bool = False) -> UserResult:
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
        membership = self._sync_groups(username, row.groups, dry_run=dry_run) if self.native_groups else ""
        if membership:
            details.append(membership)
        if not user.get("Enabled", True):
            details.append("user is disabled (not re-enabled; use enable-user)")
        changed = bool(changes or membership)
        if found_as:
            details.insert(0, found_as)
        seen = {"status": str(user.get("UserStatus", "")) or None, "old_group": current, "new_group": row.group_value}
        if changed and dry_run:
            return UserResult(row.email, Outcome.UPDATED, "would update: " + "; ".join(details), row.line, **seen)
        if changes:
            self._call(
                "admin_update_user_attributes", UserPoolId=self.pool_id, Username=username, UserAttributes=changes
            )
        if changed:
            return UserResult(row.email, Outcome.UPDATED, "; ".join(details), row.line, **seen)
        return UserResult(row.email, Outcome.UNCHANGED, "; ".join(details), row.line, **seen)

    def _sync_groups(self, username: str, groups: Sequence[str], *, dry_run: bool) -> str:
        """Put the user into native groups ``groups`` and out of the other ``[roles]`` groups; what changed.

        ``username`` is the user's real ``Username`` (the ``sub`` in email pools), not the address given.
        """
        operation = "admin_list_groups_for_user"
        pages = self.gw.pages(
            operation, paged(self._call, operation), UserPoolId=self.pool_id, Username=username, Limit=60
        )
        current: set[str] = {g["GroupName"] for page in pages for g in page.get("Groups", [])}
        add = [g for g in groups if g not in current]
        remove = sorted((current & self.role_groups) - set(groups))
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
        status = str(user.get("UserStatus", "")) or None
        if bool(user.get("Enabled", True)) == enabled:
            return UserResult(email, Outcome.UNCHANGED, _join(found_as, "already " + state), status=status)
        operation = "admin_enable_user" if enabled else "admin_disable_user"
        self._call(operation, UserPoolId=self.pool_id, Username=user["Username"])
        return UserResult(email, Outcome.UPDATED, _join(found_as, state), status=status)

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
        status = str(target.get("UserStatus", "")) or None  # the status the user had
        return UserResult(email, Outcome.DELETED, _join(_found_as(target, email), "removed"), status=status)

    def list(
        self, group: str | None = None, on_page: Callable[[int], None] | None = None, *, status: str | None = None
    ) -> list[UserInfo]:
        """Every user (optionally of one group, of one ``UserStatus``). Custom attributes cannot be filtered
        server-side: a paged scan. A user of several native groups has them comma-joined in the attribute."""
        users: list[UserInfo] = []
        seen = 0
        for page in self.lookup.user_pages():
            seen += len(page)
            listed = (UserInfo.from_cognito(raw, self.attribute) for raw in page)
            users += [
                info
                for info in listed
                if (group is None or group in (info.group or "").split(","))
                and (status is None or info.status == status)
            ]
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
    """Parse and validate the whole file; every bad row is reported (with its line) before anything runs.

    Files as spreadsheets save them work: a UTF-8 byte-order mark, CRLF line ends, quoted fields, spaces around
    header names, and empty trailing columns (Excel's ``email,group,name,,``) are all taken. An empty header cell
    before a named one is reported by its position (``column 3``). UTF-16 and semicolon-separated files are
    refused with how to save them instead.
    """
    return list(scan_csv(path, cfg, force=force))


class CsvScan:
    """A CSV file validated whole, then read again row by row: :func:`read_csv` without holding the rows.

    ``scan_csv`` reads the file once and raises for any bad row (every one listed, nothing changed), keeping only
    16 bytes a row (hashes of each validated email, for the duplicates check, and of each row, so that a re-read
    finds the very rows it checked: an import matches results to rows by position) and the distinct groups.
    Iterating reads the file again and yields each :class:`UserRow`, so memory stays flat at any size (issue 15).
    A re-read does not validate an address again when the row holds exactly the address the scan validated at
    that position (its hash matches): email-validator costs ~30 µs a row, ~6 s a pass of 200,000 rows.
    """

    def __init__(self, path: Path, cfg: AppConfig, force: bool) -> None:
        self.path, self.cfg, self.force = path, cfg, force
        self.rows = 0
        self.groups: set[str] = set()
        self._hashes = hashes = array.array("q")
        self._row_hashes = array.array("q")  # each row as checked: a re-read must find the same rows
        errors: list[str] = []
        for item in self._parse():
            if isinstance(item, str):
                errors.append(item)
                continue
            self.rows += 1
            self.groups.add(item.group)
            hashes.append(hash(item.email))
            self._row_hashes.append(_row_hash(item))
        errors += self._duplicates(hashes)
        if errors:
            errors.sort(key=_line_of)
            shown = errors[:20] + ([f"... and {len(errors) - 20} more"] if len(errors) > 20 else [])
            raise CsvError(f"{path}: {len(errors)} bad row(s), nothing was changed", "fix these rows:", shown)

    def __len__(self) -> int:
        return self.rows

    def __iter__(self) -> Iterator[UserRow]:
        """The rows again, each the one the scan checked at its place: an address added, removed or changed since
        (which would shift whatever is matched by position, such as an import job's results) raises UsageError."""
        rows = self._row_hashes
        count = 0
        for position, item in enumerate(self._parse(validated=True)):
            if isinstance(item, str):
                raise UsageError(f"{self.path} changed while it was read: {item}", "run again on a file not in use")
            if position >= len(rows) or rows[position] != _row_hash(item):
                raise UsageError(
                    f"{self.path} changed while it was read: line {item.line} is not the row checked there",
                    "run again on a file not in use",
                )
            yield item
            count = position + 1
        if count != len(rows):
            raise UsageError(
                f"{self.path} changed while it was read: it has fewer rows", "run again on a file not in use"
            )

    def _duplicates(self, hashes: array.array[int]) -> list[str]:
        """``line N: x is also on line M`` for every repeated email (a hash match is checked on the emails)."""
        ordered = sorted(hashes)
        suspects = {a for a, b in itertools.pairwise(ordered) if a == b}
        if not suspects:
            return []
        first_line: dict[str, int] = {}
        errors = []
        for item in self._parse(validated=True):
            if isinstance(item, str) or hash(item.email) not in suspects:
                continue
            if item.email in first_line:
                errors.append(f"line {item.line}: {item.email} is also on line {first_line[item.email]}")
            else:
                first_line[item.email] = item.line or 0
        return errors

    def _parse(self, *, validated: bool = False) -> Iterator[UserRow | str]:
        """Each row of the file, validated (a :class:`UserRow`), or its error message. ``validated``: a re-read
        of a scanned file (addresses unchanged since the scan are not validated again)."""
        path = self.path
        save_as = "save the file as UTF-8 CSV with commas (Excel: File > Save As > CSV UTF-8 (Comma delimited))"
        try:
            with path.open("rb") as raw:
                start = raw.read(2)
            fh = path.open(encoding="utf-8-sig", newline="")
        except OSError as e:
            raise UsageError(f"cannot read {path}: {e.strerror}", "check the path") from None
        with fh:
            if start in (b"\xff\xfe", b"\xfe\xff"):
                raise UsageError(f"{path} is UTF-16, not UTF-8", save_as)
            reader = csv.reader(fh)
            try:
                yield from self._records(reader, save_as, validated)
            except UnicodeDecodeError:
                raise UsageError(f"{path} is not UTF-8 (byte {_first_bad_byte(path)})", save_as) from None

    def _records(self, reader: Any, save_as: str, validated: bool = False) -> Iterator[UserRow | str]:
        path, cfg, force = self.path, self.cfg, self.force
        cells: list[str] = next(reader, [])
        width = len(cells)
        while width and not cells[width - 1].strip():
            width -= 1  # empty trailing columns: a spreadsheet's, not the user's
        header = [cell.strip().lower() or f"column {i}" for i, cell in enumerate(cells[:width], start=1)]
        if len(header) == 1 and ";" in header[0]:
            raise UsageError(f"{path} is separated by semicolons, not commas (header: {cells[0].strip()})", save_as)
        missing = [c for c in ("email", "group") if c not in header]
        if missing:
            raise UsageError(
                f"{path}: the header lacks {', '.join(missing)} (found: {', '.join(header) or 'nothing'})",
                "the first line must be: email,group[,name]",
            )
        repeated = sorted({h for h in header if header.count(h) > 1})
        if repeated:
            raise UsageError(f"{path}: the header names {', '.join(repeated)} more than once", "name each column once")
        unknown = [h if cells[i].strip() else f"{h} (no name)" for i, h in enumerate(header) if h not in _CSV_COLUMNS]
        if unknown:
            raise UsageError(f"{path}: unknown column(s) {', '.join(unknown)}", "the columns are email, group, name")
        count = 0  # rows with content (valid or not), in file order
        for fields in reader:
            line = reader.line_num
            if any(f.strip() for f in fields[width:]):
                yield f"line {line}: more fields than the header names"
                continue
            record = dict(zip(header, fields, strict=False))
            email = record.get("email", "").strip()
            group = record.get("group", "").strip()
            name = record.get("name", "")
            if not email and not group and not name:
                continue  # a blank line, or one of empty cells
            position = count
            count += 1
            try:
                if not (validated and self._seen_as_validated(position, email)):
                    email = validate_email(email)
                validate_group(group, cfg, force=force)
                name = validate_name(name)
            except CognitoPrivxError as e:
                yield f"line {line}: {e.message}"
                continue
            yield UserRow(email, group, name, line)

    def _seen_as_validated(self, position: int, email: str) -> bool:
        """Whether ``email``, as written in row ``position``, is the address the scan validated and stored there
        (the hash of a validated, normalised address: an address written otherwise is validated again)."""
        return position < len(self._hashes) and self._hashes[position] == hash(email)


def _row_hash(row: UserRow) -> int:
    return hash((row.email, row.groups, row.name))


def scan_csv(path: Path, cfg: AppConfig, *, force: bool = False) -> CsvScan:
    """Validate the whole file (raising for any bad row, before anything runs); iterate the result for the rows."""
    return CsvScan(path, cfg, force)


def _line_of(error: str) -> int:
    number = error.removeprefix("line ").partition(":")[0]
    return int(number) if number.isdigit() else 0


def _first_bad_byte(path: Path) -> int:
    """The offset of the first byte that is not UTF-8 (read in pieces: the error path of a big file)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 16):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as e:
                return offset + e.start
            offset += len(chunk)
    return offset


_CSV_COLUMNS = ("email", "group", "name")


class CsvError(ConfigError):
    """A CSV file with bad rows: every row is listed."""

    def __init__(self, message: str, hint: str, rows: Sequence[str]) -> None:
        super().__init__(message, hint + "\n" + "\n".join(f"  {r}" for r in rows))
        self.rows = list(rows)


# -- the bulk engine: moved to cognito_privx.imports (issue 15); the old names still resolve here ---------------

_MOVED_TO_IMPORTS = frozenset({"ImportReport", "TokenBucket", "import_rows", "write_report"})


def __getattr__(name: str) -> Any:
    """``users.import_rows`` and friends, re-exported lazily from :mod:`cognito_privx.imports` (no import cycle)."""
    if name in _MOVED_TO_IMPORTS:
        from cognito_privx import imports

        return getattr(imports, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEFAULT_RATE",
    "DEFAULT_WORKERS",
    "AmbiguousUserError",
    "CsvScan",
    "InviteLimitError",
    "Outcome",
    "PoolUsers",
    "UserInfo",
    "UserNotFound",
    "UserResult",
    "UserRow",
    "password_problems",
    "read_csv",
    "scan_csv",
    "validate_email",
    "validate_group",
    "validate_name",
]
