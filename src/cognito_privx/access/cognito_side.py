"""The Cognito side of an access review: the pool's facts (its MFA setting, how long an invitation's temporary
password lasts, how many users it holds), the native-group memberships (``group_claim = "cognito:groups"``), and
the users streamed page by page with their MFA.

Calls: ``ListUsers`` pages of 60 (:meth:`UserLookup.user_pages`, throttling retried); with native groups one
``ListUsersInGroup`` walk per ``[roles]`` group, never a call per user; and, only when the pool's MFA is not
``OFF``, one ``AdminGetUser`` per user (ListUsers does not say whether a user set up TOTP; AdminGetUser's
``UserMFASettingList`` does), paced at :data:`MFA_READ_RATE` a second on :data:`MFA_WORKERS` threads, each
throttling retried by :func:`cognito_privx.users.calls.retrying_call`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from cognito_privx.config import fold_group
from cognito_privx.errors import CognitoError, aws_error_code
from cognito_privx.pacing import TokenBucket
from cognito_privx.users import PoolUsers
from cognito_privx.users.calls import paged
from cognito_privx.users.model import attributes_of

if TYPE_CHECKING:
    from types_boto3_cognito_idp.type_defs import UserTypeTypeDef

# Cognito's default when the pool says nothing (API reference, PasswordPolicyType.TemporaryPasswordValidityDays).
DEFAULT_TEMPORARY_PASSWORD_DAYS = 7
# AdminGetUser is in Cognito's UserRead quota category (120 requests/s by default, shared by the account): the MFA
# reads take at most this many a second, leaving room for everything else.
MFA_READ_RATE = 50.0
MFA_WORKERS = 4
MFA_OFF = "off (pool)"
_METHODS = {"SOFTWARE_TOKEN_MFA": "TOTP", "SMS_MFA": "SMS", "EMAIL_OTP": "email"}


@dataclass(frozen=True)
class PoolFacts:
    """What the review needs of the pool's description (``DescribeUserPool``, read once by ``PoolUsers.open``)."""

    pool_id: str
    mfa: str  # MfaConfiguration: OFF, ON or OPTIONAL
    temporary_password_days: int
    estimated_users: int | None

    @classmethod
    def of(cls, users: PoolUsers) -> PoolFacts:
        """From the description ``PoolUsers.open`` read; the validity from ``Policies.PasswordPolicy.
        TemporaryPasswordValidityDays``, else the deprecated ``AdminCreateUserConfig.UnusedAccountValidityDays``,
        else Cognito's default of 7 days."""
        pool: Mapping[str, Any] = users.description or {}
        policy = (pool.get("Policies") or {}).get("PasswordPolicy") or {}
        days = policy.get("TemporaryPasswordValidityDays") or (pool.get("AdminCreateUserConfig") or {}).get(
            "UnusedAccountValidityDays"
        )
        estimated = pool.get("EstimatedNumberOfUsers")
        return cls(
            users.pool_id,
            str(pool.get("MfaConfiguration") or "OFF"),
            int(days) if isinstance(days, int) and days > 0 else DEFAULT_TEMPORARY_PASSWORD_DAYS,
            estimated if isinstance(estimated, int) else None,
        )


@dataclass(frozen=True)
class CognitoUser:
    """One user of the pool as the review shows them."""

    username: str
    sub: str
    email: str
    name: str | None
    groups: tuple[str, ...]
    status: str
    enabled: bool
    last_modified: datetime | None
    mfa: str


def native_memberships(users: PoolUsers, groups: frozenset[str]) -> dict[str, tuple[str, ...]]:
    """Username -> the ``[roles]`` groups they are a member of: one ``ListUsersInGroup`` walk (pages of 60) per
    group. A group the pool lacks (setup not run since it was added) has no members."""
    members: dict[str, list[str]] = {}
    operation = "list_users_in_group"
    for group in sorted(groups):
        pages = users.gw.pages(
            operation, paged(users.call, operation), UserPoolId=users.pool_id, GroupName=group, Limit=60
        )
        try:
            for page in pages:
                for user in page.get("Users", []):
                    members.setdefault(user["Username"], []).append(group)
        except CognitoError as e:
            if aws_error_code(e) != "ResourceNotFoundException":
                raise
    return {name: tuple(found) for name, found in members.items()}


def mfa_of(answer: Mapping[str, Any] | None) -> str:
    """``set up (TOTP)``, ``not set up``, or ``unknown`` (the user went between the listing and the read)."""
    if answer is None:
        return "unknown"
    methods = [_METHODS.get(str(m), str(m)) for m in answer.get("UserMFASettingList") or []]
    return f"set up ({', '.join(methods)})" if methods else "not set up"


@dataclass
class CognitoSide:
    """The pool's users, page by page (each page joined and shown before the next is read)."""

    users: PoolUsers
    facts: PoolFacts
    attribute: str  # the group attribute, custom:<attr>
    memberships: dict[str, tuple[str, ...]] | None = None  # native groups, or None (the attribute is the group)
    workers: int = MFA_WORKERS
    rate: float = MFA_READ_RATE
    mfa_reads: int = field(default=0, init=False)

    def pages(self, on_page: Callable[[int], None] | None = None) -> Iterator[list[CognitoUser]]:
        """Each ``ListUsers`` page as :class:`CognitoUser`s, with their MFA when the pool's MFA is not off."""
        limiter = TokenBucket(self.rate, burst=2) if self.facts.mfa != "OFF" else None
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="access-mfa") as pool:
            for raw_page in self.users.lookup.user_pages():
                if limiter is None:
                    mfa = [MFA_OFF] * len(raw_page)
                else:
                    mfa = list(pool.map(lambda u: self._mfa(u["Username"], limiter), raw_page))
                    self.mfa_reads += len(raw_page)
                yield [self._user(raw, m) for raw, m in zip(raw_page, mfa, strict=True)]
                if on_page is not None:
                    on_page(len(raw_page))

    def _mfa(self, username: str, limiter: TokenBucket) -> str:
        limiter.acquire()
        answer = self.users.call(
            "admin_get_user", absent="UserNotFoundException", UserPoolId=self.users.pool_id, Username=username
        )
        return mfa_of(answer)

    def _user(self, raw: UserTypeTypeDef, mfa: str) -> CognitoUser:
        attrs = attributes_of(raw)
        if self.memberships is not None:
            groups = self.memberships.get(raw["Username"], ())
        else:
            value = attrs.get(self.attribute) or ""
            groups = tuple(g for g in value.split(",") if g)
        modified = raw.get("UserLastModifiedDate")
        return CognitoUser(
            username=raw["Username"],
            sub=attrs.get("sub", ""),
            email=attrs.get("email", raw["Username"]),
            name=attrs.get("name"),
            groups=groups,
            status=str(raw.get("UserStatus", "")),
            enabled=bool(raw.get("Enabled", True)),
            last_modified=modified if isinstance(modified, datetime) else None,
            mfa=mfa,
        )


def in_group(groups: tuple[str, ...], wanted: str | None) -> bool:
    """Whether ``groups`` holds ``wanted`` as PrivX's matcher compares groups (folded); any when ``None``."""
    return wanted is None or fold_group(wanted) in {fold_group(g) for g in groups}


__all__ = [
    "DEFAULT_TEMPORARY_PASSWORD_DAYS",
    "MFA_OFF",
    "MFA_READ_RATE",
    "MFA_WORKERS",
    "CognitoSide",
    "CognitoUser",
    "PoolFacts",
    "in_group",
    "mfa_of",
    "native_memberships",
]
