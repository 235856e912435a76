"""What a pool's settings demand of a user write, read from ``DescribeUserPool`` (no call of its own):

- :class:`Recovery`: ``AccountRecoverySetting.RecoveryMechanisms`` (botocore ``RecoveryOptionType``:
  ``verified_email``, ``verified_phone_number``, ``admin_only``, "The ``admin_only`` option prevents self-service
  account recovery"). ``AdminResetUserPassword`` needs self-service recovery ("To use this API operation, your
  user pool must have self-service account recovery configured", botocore 1.44) and a verified email or phone
  (moto and AWS refuse "there is no registered/verified email or phone_number"). A pool without the setting
  recovers by verified phone, else email (the Developer Guide's legacy default): self-service.
- :func:`required_attributes`: ``SchemaAttributes`` with ``Required`` true; AWS refuses an ``AdminCreateUser``
  without them ("Attributes did not conform to the schema").
- :func:`group_max_length`: the group attribute's ``StringAttributeConstraints.MaxLength``; AWS refuses a longer
  value at the write.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cognito_privx.errors import UsageError

if TYPE_CHECKING:
    from cognito_privx.users.model import UserRow

# Attributes cognito-privx writes itself at AdminCreateUser (or Cognito makes): never asked for.
_WRITTEN = frozenset({"sub", "email", "email_verified"})
# What --attribute may not set: what the tool manages itself (the group attribute is added by the caller).
MANAGED = frozenset({"sub", "email", "email_verified", "name"})


@dataclass(frozen=True)
class Recovery:
    """The pool's self-service password recovery: the mechanisms, highest priority first."""

    mechanisms: tuple[str, ...]

    @classmethod
    def of(cls, pool: Any) -> Recovery:
        """From a ``DescribeUserPool`` ``UserPool`` (``None`` or no setting: Cognito's legacy default)."""
        setting = (pool or {}).get("AccountRecoverySetting") or {}
        listed = sorted(setting.get("RecoveryMechanisms") or [], key=lambda m: int(m.get("Priority", 1)))
        names = tuple(str(m.get("Name", "")) for m in listed)
        return cls(names or ("verified_phone_number", "verified_email"))

    @property
    def admin_only(self) -> bool:
        """No self-service recovery: no "Forgot your password?", no reset code (AdminResetUserPassword refused)."""
        return "admin_only" in self.mechanisms

    def words(self) -> str:
        return "admin-only" if self.admin_only else "self-service by " + " then ".join(self.mechanisms)


def required_attributes(pool: Any, group_attribute: str) -> list[str]:
    """The attributes the pool's schema requires that cognito-privx does not write itself (sorted)."""
    names = {
        str(a.get("Name"))
        for a in (pool or {}).get("SchemaAttributes") or []
        if a.get("Required") and a.get("Name") not in _WRITTEN and a.get("Name") != group_attribute
    }
    return sorted(names)


def group_max_length(pool: Any, group_attribute: str) -> int | None:
    """The group attribute's ``MaxLength`` (``None``: no limit read)."""
    for a in (pool or {}).get("SchemaAttributes") or []:
        if a.get("Name") == group_attribute:
            limit = (a.get("StringAttributeConstraints") or {}).get("MaxLength")
            try:
                return int(limit) if limit is not None else None
            except (TypeError, ValueError):
                return None
    return None


def too_long(groups: Iterable[str], limit: int | None) -> list[str]:
    """The groups longer than ``limit``."""
    return [] if limit is None else [g for g in groups if len(g) > limit]


def length_problem(value: str, group_attribute: str, limit: int | None) -> str | None:
    """Why ``value`` cannot be written to the group attribute, or ``None``."""
    if limit is None or len(value) <= limit:
        return None
    return (
        f"group {value!r} is {len(value)} characters, longer than the pool's {group_attribute} allows "
        f"(MaxLength {limit})"
    )


LENGTH_HINT = (
    "Cognito can never change a custom attribute: use shorter [roles] group names, or set [cognito] "
    "group_attribute to a new attribute (setup creates it with MaxLength 2048)"
)


def check_row(row: UserRow, pool: Any, group_attribute: str, *, where: str = "", creating: bool = True) -> None:
    """Raise ``UsageError`` (exit 2) when ``row`` cannot be written to this pool: a required attribute not given
    (``row.attributes`` / ``row.name``; only when ``creating``: AWS checks them at ``AdminCreateUser``), or a group
    value over the attribute's ``MaxLength``. Makes no call."""
    given = {name for name, _ in row.attributes} | ({"name"} if row.name else set())
    required = required_attributes(pool, group_attribute) if creating else []
    missing = [a for a in required if a not in given]
    if missing:
        example = " ".join(f"--attribute {a}=VALUE" for a in missing)
        raise UsageError(
            f"{where}the pool requires the attribute(s) {', '.join(missing)}, which {row.email} is not given",
            f"give them: add-user {row.email} --group {row.group} {example}"
            + (" (import-users cannot set them: add these users with add-user)" if where else ""),
        )
    problem = length_problem(row.group_value, group_attribute, group_max_length(pool, group_attribute))
    if problem:
        raise UsageError(f"{where}{row.email}: {problem}", LENGTH_HINT)


def any_row_refused(pool: Any, group_attribute: str, groups: Iterable[str], *, nameless: bool) -> bool:
    """Whether :func:`check_row` could refuse a row of a CSV import (no ``--attribute``, one group a row) whose
    distinct groups are ``groups`` and where some row has no name (``nameless``): the whole file is then checked
    row by row for the first refusal; otherwise no row can be refused and the file is not read again (issue 24)."""
    required = set(required_attributes(pool, group_attribute))
    if required - {"name"} or ("name" in required and nameless):
        return True
    limit = group_max_length(pool, group_attribute)
    return any(length_problem(g, group_attribute, limit) for g in groups)


def parse_attributes(values: Iterable[str], group_attribute: str) -> tuple[tuple[str, str], ...]:
    """``--attribute NAME=VALUE`` options as pairs; raises ``UsageError`` for a malformed one or one the tool
    manages itself (email, the group attribute, name: use --name)."""
    pairs: dict[str, str] = {}
    for item in values:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name or not value:
            raise UsageError(f"--attribute {item!r} is not NAME=VALUE", "for example --attribute family_name=Smith")
        if name in MANAGED or name == group_attribute:
            raise UsageError(
                f"--attribute {name} is set by cognito-privx itself",
                "use --group for the group, --name for the display name; the email is the argument",
            )
        pairs[name] = value
    return tuple(pairs.items())


__all__ = [
    "LENGTH_HINT",
    "Recovery",
    "any_row_refused",
    "check_row",
    "group_max_length",
    "length_problem",
    "parse_attributes",
    "required_attributes",
    "too_long",
]
