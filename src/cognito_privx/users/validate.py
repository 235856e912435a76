"""Validation of a user's values, pure and before any call: email, display name, group, a password's problems."""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

from cognito_privx.config import GroupNameError, fold_group, group_collisions, validate_group_name
from cognito_privx.errors import UsageError
from cognito_privx.users.email_fast import ordinary_address

if TYPE_CHECKING:  # types-boto3-cognito-idp, a dev dependency: type checking only
    from types_boto3_cognito_idp.type_defs import PasswordPolicyTypeTypeDef

# Cognito's limit on a user name, and the email is the user name in our pools.
MAX_EMAIL_LENGTH = 128


def validate_email(email: str) -> str:
    """The address as the pool's user name: checked by email-validator (syntax only, no DNS), lower-cased.

    Only ASCII addresses are taken. Cognito sends its invitations through Amazon SES, which supports no SMTPUTF8
    (a non-ASCII local part cannot be delivered at all) and wants a non-ASCII domain in its Punycode form (SES API
    reference, ``Destination``: "If the domain part of an address ... contains non-ASCII characters, they must be
    encoded using Punycode, as described in RFC3492"; Cognito refuses such an address unencoded, aws-cdk#8473).
    An internationalised domain is refused with its Punycode form in the message, not converted silently: the
    address is also the user's sign-in name, so the one stored must be the one the user is told to type.

    An ordinary address takes a fast path with the same verdict and normal form
    (:func:`~cognito_privx.users.email_fast.ordinary_address`); anything else is email-validator's to judge.
    """
    value = email.strip()
    fast = ordinary_address(value)
    if fast is not None:
        return fast
    import email_validator  # only for the unusual address: ordinary files never load it (issue 24)

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


def configured_spelling(group: str, known_groups: Collection[str]) -> str | None:
    """The ``[roles]`` key that is ``group`` to PrivX's matcher (equal once folded, see
    :func:`~cognito_privx.config.validate.fold_group`), ``None`` when there is none."""
    folded = fold_group(group)
    return next((k for k in sorted(known_groups) if fold_group(k) == folded), None)


def validate_group(group: str, known_groups: Collection[str], *, force: bool = False) -> str:
    """``group`` when it is a valid group name and one of ``known_groups`` (the ``[roles]`` keys; any group when
    there are none, or with ``force``). Raises :class:`UsageError` (exit 2) otherwise.

    A spelling of a ``[roles]`` key that is not the key itself (``OPS``, ``opſ``, ``ｏｐｓ`` for ``ops``) is refused
    even with ``force``: PrivX's matcher would take it for the key, so it is that group, written otherwise."""
    configured = configured_spelling(group, known_groups)
    if configured is not None and configured != group:
        raise UsageError(
            f"group {group!r} is the [roles] group {configured!r} spelled differently (PrivX compares groups "
            "ignoring case and Unicode width)",
            f"use --group {configured}, the spelling in [roles]",
        )
    try:
        validate_group_name(group)
    except GroupNameError as e:
        raise UsageError(str(e), e.hint) from None
    known = sorted(known_groups)
    if known and group not in known and not force:
        raise UsageError(
            f"unknown group {group!r}; the [roles] in the config know: {', '.join(known)}",
            "use one of those, add the group to [roles], or pass --force",
        )
    return group


def group_filter(group: str, known_groups: Collection[str], *, force: bool = False) -> str | None:
    """A listing's ``--group`` (``list-users``, ``access``), compared as PrivX's matcher compares groups (folded):
    the ``[roles]`` key it is (``OPS`` is ``ops``), ``None`` when it is none. A group outside ``[roles]`` is refused
    (:func:`validate_group`, exit 2) unless ``force`` (a read: finding the users of a group to rename, under any
    name); an empty one always."""
    configured = configured_spelling(group, known_groups)
    if not group:
        validate_group(group, known_groups)  # raises: empty
    if configured is None and not force:
        validate_group(group, known_groups)
    return configured


def require_distinct_groups(groups: Collection[str]) -> None:
    """Raise :class:`UsageError` when two of ``groups`` are one group to PrivX's matcher (equal once folded)."""
    for first, second in group_collisions(groups):
        raise UsageError(
            f"{first!r} and {second!r} are one group to PrivX, which compares groups ignoring case and Unicode width",
            "give the group once, in one spelling",
        )


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


__all__ = [
    "MAX_ATTRIBUTE_LENGTH",
    "MAX_EMAIL_LENGTH",
    "configured_spelling",
    "password_problems",
    "require_distinct_groups",
    "validate_email",
    "validate_group",
    "validate_name",
]
