"""How a user pool names its users: what users sign in with, and whether case matters.

Both are fixed when a pool is created (``UpdateUserPool`` has neither ``UsernameAttributes`` nor
``UsernameConfiguration`` in botocore's service model), so a pool made elsewhere can differ from ours in ways no
update can fix. PrivX's guide wants what ``setup`` creates: users sign in with their email address, compared
case-insensitively.

Usage::

    model = username_model(gw.describe_pool(pool_id))   # describe_user_pool()["UserPool"]
    problem = model.unsuitable_reason()
    if problem:
        raise ConflictError(f"pool {pool_id} cannot be adopted: {problem}", ...)

What a missing ``UsernameConfiguration`` means (legacy pools, and pools created through the API without it):
the pool is **case-sensitive**. The Amazon Cognito Developer Guide, "User pool case sensitivity"
(https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-case-sensitivity.html): "If you do not
specify a value, CaseSensitive defaults to true ... Before February 12, 2020, user pools defaulted to case
sensitive regardless of platform."; the API reference of ``UsernameConfigurationType.CaseSensitive``: "true ...
users must sign in using the exact capitalization of their given username ... This is the default value."
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

_SIGN_IN_NAMES = {"email": "an email address", "phone_number": "a phone number"}


@dataclass(frozen=True)
class UsernameModel:
    """What a pool's users sign in with, read once from its description.

    ``username_attributes``: ``("email",)``, ``("phone_number",)``, both, or ``()`` for plain user names (then
    ``alias_attributes`` may let users sign in with an ``email`` / ``phone_number`` / ``preferred_username``
    alias instead). ``case_sensitive``: whether ``Bob@x`` and ``bob@x`` are two different users.
    """

    username_attributes: tuple[str, ...] = ("email",)
    alias_attributes: tuple[str, ...] = ()
    case_sensitive: bool = False

    @property
    def signs_in_with_email(self) -> bool:
        """The email address is the user name (``UsernameAttributes`` holds ``email``), as in pools we create."""
        return "email" in self.username_attributes

    @property
    def case_insensitive(self) -> bool:
        """``Bob@Example.com`` and ``bob@example.com`` are the same user (Cognito resolves either)."""
        return not self.case_sensitive

    def sign_in(self) -> str:
        """What users sign in with, in words: ``"an email address"``, ``"a user name (or an email address as an
        alias)"``."""
        if self.username_attributes:
            return " or ".join(_SIGN_IN_NAMES.get(a, a) for a in self.username_attributes)
        aliases = [_SIGN_IN_NAMES.get(a, a.replace("_", " ")) for a in self.alias_attributes]
        return "a user name" + (f" (or {' or '.join(aliases)} as an alias)" if aliases else "")

    def unsuitable_reason(self) -> str | None:
        """Why PrivX's guide cannot use this pool, as one clause about "it"; ``None`` when it can.

        Example: ``"its users sign in with a phone number instead of an email address; Cognito cannot change that
        after a pool is created"``. Lower-case start and no full stop, to follow ``"pool X cannot be adopted: "``.
        """
        problems = []
        if not self.signs_in_with_email:
            problems.append(f"its users sign in with {self.sign_in()} instead of an email address")
        if self.case_sensitive:
            problems.append("it compares user names case-sensitively (a legacy pool: Bob@x and bob@x can be two users)")
        if not problems:
            return None
        either = "either" if len(problems) > 1 else "that"
        return f"{' and '.join(problems)}; Cognito cannot change {either} after a pool is created"


def username_model(pool: Mapping[str, object]) -> UsernameModel:
    """The username model of a described pool: ``describe_user_pool(UserPoolId=...)["UserPool"]``.

    Reads ``UsernameAttributes`` (absent or ``[]`` = plain user names), ``AliasAttributes`` and
    ``UsernameConfiguration.CaseSensitive`` (absent = ``True``: see the module docstring). Makes no call.

    Raises ``ValueError`` when ``pool`` is the whole ``describe_user_pool`` response instead of its ``UserPool``,
    or when one of those fields has the wrong type.
    """
    if "UserPool" in pool and "Id" not in pool:
        raise ValueError("pass describe_user_pool()['UserPool'], not the whole response")
    username_attributes = _strings(pool, "UsernameAttributes")
    alias_attributes = _strings(pool, "AliasAttributes")
    config = pool.get("UsernameConfiguration") or {}
    if not isinstance(config, Mapping):
        raise ValueError(f"UsernameConfiguration must be an object, not {type(config).__name__}")
    case_sensitive = config.get("CaseSensitive", True)
    if not isinstance(case_sensitive, bool):
        raise ValueError(f"UsernameConfiguration.CaseSensitive must be a boolean, not {case_sensitive!r}")
    return UsernameModel(username_attributes, alias_attributes, case_sensitive)


def _strings(pool: Mapping[str, object], key: str) -> tuple[str, ...]:
    value = pool.get(key) or []
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{key} must be a list of strings, not {value!r}")
    return tuple(value)


__all__ = ["UsernameModel", "username_model"]
