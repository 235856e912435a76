"""The user side's vocabulary: outcomes, Cognito's user statuses, a row to apply, a result, a listed user.

Every operation is idempotent and reports in one vocabulary: created, updated, unchanged, failed (and, for an
import that stopped, not attempted, or unknown: abandoned in flight). ``attributes_of`` and ``email_of`` read
Cognito's user shapes.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:  # types-boto3-cognito-idp, a dev dependency: type checking only
    from types_boto3_cognito_idp.type_defs import (
        AdminGetUserResponseTypeDef,
        AttributeTypeTypeDef,
        UserTypeTypeDef,
    )


class Outcome(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    DELETED = "deleted"
    FAILED = "failed"
    NOT_ATTEMPTED = "not attempted"  # an import stopped (Ctrl-C, the daily email cap) before this row
    # An import abandoned this row in flight (a third Ctrl-C; a stop while an import job runs): it may or may not
    # have been applied. A re-run settles it (created, or found and compared).
    UNKNOWN = "unknown"


# Cognito's UserStatus values, and what each means for the person (the user commands show both).
STATUS_MEANING = {
    # Cognito keeps no record of whether AdminCreateUser sent the invitation (MessageAction=SUPPRESS leaves the same
    # status): only the add-user that created the user knows, and says "invitation sent" / "no invitation sent".
    "FORCE_CHANGE_PASSWORD": "not signed in yet: invitation sent, or none sent (--no-invite)",
    "CONFIRMED": "signed in",
    "RESET_REQUIRED": "password reset required",
    "UNCONFIRMED": "not confirmed",
    "EXTERNAL_PROVIDER": "federated",
    "ARCHIVED": "archived",
    "COMPROMISED": "compromised",
    "UNKNOWN": "unknown",
}
INVITATION_PENDING = "FORCE_CHANGE_PASSWORD"
RESET_REQUIRED = "RESET_REQUIRED"


def status_text(status: str, invitation: str | None = None) -> str:
    """``CONFIRMED (signed in)``: the status and what it means; ``invitation`` ("sent" / "not sent"), known only to
    the add-user that created the user, replaces the unknown of ``FORCE_CHANGE_PASSWORD``."""
    meaning = STATUS_MEANING.get(status)
    if status == INVITATION_PENDING and invitation is not None:
        meaning = "invitation sent" if invitation == "sent" else "no invitation sent"
    return f"{status} ({meaning})" if meaning else status


@dataclass(frozen=True)
class UserRow:
    email: str
    group: str
    name: str | None = None
    line: int | None = None  # CSV line number, for messages
    # Further native groups (group_claim = "cognito:groups" only; -g dev -g ops): ``group`` is the first.
    also: tuple[str, ...] = ()
    # Further attributes set at creation (add-user --attribute NAME=VALUE: what the pool's schema requires)
    attributes: tuple[tuple[str, str], ...] = ()

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
    # AdminUserGlobalSignOut done (True) or skipped by --keep-sessions (False); None when the operation ends no
    # access (no group taken away, enable-user, nothing to remove)
    signed_out: bool | None = None
    # PrivX sessions and connections of the person ended in our directory (None: not tried, or no directory)
    privx_sessions: int | None = None
    privx_connections: int | None = None
    # Whether this operation had Cognito send the invitation ("sent") or suppressed it ("not sent"); None when it
    # created nobody (Cognito cannot tell afterwards: STATUS_MEANING)
    invitation: str | None = None

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {"email": self.email, "outcome": self.outcome.value, "detail": self.detail}
        if self.invitation is not None:
            document["invitation"] = self.invitation
        if self.line is not None:  # only rows of a file have a line
            document["line"] = self.line
        if self.status is not None:
            document["status"] = self.status
        if self.old_group is not None or self.new_group is not None:
            document["old_group"] = self.old_group
            document["new_group"] = self.new_group
        if self.signed_out is not None:
            document["signed_out"] = self.signed_out
        if self.privx_sessions is not None:
            document["privx_sessions_ended"] = self.privx_sessions
        if self.privx_connections is not None:
            document["privx_connections_ended"] = self.privx_connections
        return document


@dataclass(frozen=True)
class UserInfo:
    email: str
    group: str | None
    status: str
    enabled: bool
    created: str
    name: str | None = None
    # email_verified: false after an email change that was not verified (a pool without
    # AttributesRequireVerificationBeforeUpdate stores the new address unverified)
    email_verified: bool = True

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
            email_verified=attrs.get("email_verified", "true") == "true",
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "email": self.email,
            "group": self.group,
            "status": self.status,
            "enabled": self.enabled,
            "created": self.created,
            "name": self.name,
            "email_verified": self.email_verified,
        }


def attributes_of(user: AdminGetUserResponseTypeDef | UserTypeTypeDef) -> dict[str, str]:
    """A user's attributes by name, from an ``AdminGetUser`` answer (``UserAttributes``) or a listed or created user
    (``Attributes``)."""
    lists = cast("Mapping[str, list[AttributeTypeTypeDef]]", user)  # one of the two keys, by the operation
    return {a["Name"]: a.get("Value", "") for a in lists.get("UserAttributes") or lists.get("Attributes") or []}


def email_of(user: AdminGetUserResponseTypeDef | UserTypeTypeDef) -> str:
    return attributes_of(user).get("email", "")


def join_words(*parts: str) -> str:
    """The non-empty parts, space-joined (a result detail's pieces)."""
    return " ".join(p for p in parts if p)


def found_as(user: AdminGetUserResponseTypeDef, email: str) -> str:
    """``"as Bob@X.com"`` when the pool knows the user under another capitalisation, else ``""``."""
    real = email_of(user)
    return f"as {real}" if real and real != email else ""


__all__ = [
    "INVITATION_PENDING",
    "RESET_REQUIRED",
    "STATUS_MEANING",
    "Outcome",
    "UserInfo",
    "UserResult",
    "UserRow",
    "attributes_of",
    "email_of",
    "found_as",
    "join_words",
    "status_text",
]
