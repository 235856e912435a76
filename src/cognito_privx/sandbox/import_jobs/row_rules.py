"""What a data row must satisfy in one pool (:class:`Rules`, read from moto's pool when the job starts), and the
users a row would meet (:class:`Existing`: a row whose user exists is SKIPPED)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

__all__ = ["AUTO_VERIFIED_MESSAGE", "MAX_VALUE_CHARS", "Existing", "Rules"]

MAX_VALUE_CHARS = 2048  # moto's STANDARD_SCHEMA MaxLength; model: attribute values up to 2048
AUTO_VERIFIED_MESSAGE = (
    "The User Record does not set any of the auto verified attributes to true. (Example: email_verified to true)."
)


_BOOLEANS = {"true", "false"}  # DG writes true/false, its example rows TRUE/FALSE: case-insensitive (inference)
_MFA_VALUES = {"OFF": ("false", ""), "ON": ("true", ""), "OPTIONAL": ("true", "false", "")}
_VERIFIED = {"email": "email_verified", "phone_number": "phone_number_verified"}
_FORMATS = {
    "birthdate": (r"\d{2}/\d{2}/\d{4}", "birthdate must be in the format mm/dd/yyyy."),  # DG
    "updated_at": (r"\d+", "updated_at must be epoch time in seconds."),  # DG
}


class Rules:
    """What a data row must satisfy in one pool, read from moto's pool when the job starts (the pool cannot change
    while the job runs: UpdateUserPool and AddCustomAttributes raise UserImportInProgressException).

    DG rules: ``cognito:username`` required, no spaces or tabs; at least one auto-verified attribute ``true`` with its
    value present ("If the user pool only has one auto-verified attribute, that attribute must be verified for each
    user"); ``cognito:mfa_enabled`` per the pool's MFA (current DG: OFF → false or blank, ON → true or blank, OPTIONAL
    → either or blank); the pool's required attributes; birthdate and updated_at formats. Lengths: the schema's
    string constraints where moto keeps them, 2048 at most. In a pool whose ``UsernameAttributes`` include email the
    user name must be an email (moto's ``admin_create_user`` check and message).
    """

    def __init__(self, pool: Any) -> None:
        config = pool.extended_config
        self.username_attributes: list[str] = list(config.get("UsernameAttributes") or [])
        self.fold = (config.get("UsernameConfiguration") or {}).get("CaseSensitive", True) is False
        self.by_email = "email" in self.username_attributes or "email" in (config.get("AliasAttributes") or [])
        self.auto_verified = [a for a in config.get("AutoVerifiedAttributes") or [] if a in _VERIFIED]
        self.mfa: str = pool.mfa_config or "OFF"
        attributes = pool.schema_attributes
        self.required = [name for name, a in attributes.items() if getattr(a, "required", False) and name != "sub"]
        self.lengths = {name: _length_limits(a) for name, a in attributes.items()}
        self.numbers = {name for name, a in attributes.items() if getattr(a, "data_type", "") == "Number"}

    def problem(self, values: dict[str, str]) -> str | None:
        """Why the row FAILED, or ``None``."""
        checks: tuple[Callable[[dict[str, str]], str | None], ...] = (
            self._username,
            self._verified,
            self._mfa,
            self._required,
            self._values,
        )
        return next((p for p in (check(values) for check in checks) if p is not None), None)

    def attributes(self, values: dict[str, str]) -> list[dict[str, str]]:
        """The user's attributes: every non-empty column but the two ``cognito:`` ones, booleans lower-case."""
        skip = ("cognito:username", "cognito:mfa_enabled")
        return [
            {"Name": name, "Value": value.lower() if name.endswith("_verified") else value}
            for name, value in values.items()
            if value and name not in skip
        ]

    def _username(self, values: dict[str, str]) -> str | None:
        from moto.cognitoidp.utils import validate_username_format

        username = values["cognito:username"]
        if not username:
            return "The cognito:username value is required."
        if " " in username or "\t" in username:
            return "The cognito:username value cannot contain spaces or tabs."
        if len(username) > 128:  # model: UsernameType max 128 (unverified for imports)
            return "The cognito:username value is longer than 128 characters."
        kinds = self.username_attributes
        if kinds and not any(validate_username_format(username, _format=kind) for kind in kinds):
            names = {"email": "an email", "phone_number": "a phone number"}
            return f"Username should be {' or '.join(names.get(k, k) for k in kinds)}."
        return None

    def _verified(self, values: dict[str, str]) -> str | None:
        if any(values.get(_VERIFIED[a], "").lower() == "true" and values.get(a) for a in self.auto_verified):
            return None
        return AUTO_VERIFIED_MESSAGE

    def _mfa(self, values: dict[str, str]) -> str | None:
        allowed = _MFA_VALUES.get(self.mfa, _MFA_VALUES["OPTIONAL"])
        if values["cognito:mfa_enabled"].lower() in allowed:
            return None
        spelled = " or ".join(v or "blank" for v in allowed)
        return f"cognito:mfa_enabled must be {spelled} when the user pool's MFA configuration is {self.mfa}."

    def _required(self, values: dict[str, str]) -> str | None:
        missing = next((name for name in self.required if not values.get(name)), None)
        return None if missing is None else f"The required attribute {missing} has no value."

    def _values(self, values: dict[str, str]) -> str | None:
        for name, value in values.items():
            if not value or name.startswith("cognito:"):
                continue
            problem = self._value(name, value)
            if problem is not None:
                return problem
        return None

    def _value(self, name: str, value: str) -> str | None:
        low, high = self.lengths.get(name, (0, MAX_VALUE_CHARS))
        if len(value) > high or len(value) < low:
            return f"The value of {name} must be {low} to {high} characters long."
        if name.endswith("_verified") and value.lower() not in _BOOLEANS:
            return f"{name} must be true or false."
        if name in self.numbers and not re.fullmatch(r"-?\d+", value):
            return f"{name} must be a number."
        pattern, message = _FORMATS.get(name, (None, ""))
        return message if pattern is not None and not re.fullmatch(pattern, value) else None


def _length_limits(attribute: Any) -> tuple[int, int]:
    """(min, max) characters of a moto schema attribute's string constraints, capped at 2048."""
    constraints = getattr(attribute, "string_constraints", None) or {}

    def limit(key: str, default: int) -> int:
        try:
            return int(constraints.get(key, default))
        except (TypeError, ValueError):
            return default

    return limit("MinLength", 0), min(limit("MaxLength", MAX_VALUE_CHARS), MAX_VALUE_CHARS)


class Existing:
    """The user names (and, where email is a user name or an alias, the emails) already in a pool, folded when the
    pool is case-insensitive: one O(1) lookup per row where moto's ``_get_user`` scans every user."""

    def __init__(self, fold: bool, by_email: bool) -> None:
        self.fold, self.by_email = fold, by_email
        self.keys: set[str] = set()

    def _key(self, value: str) -> str:
        return value.lower() if self.fold else value

    def rebuild(self, users: dict[str, Any]) -> None:
        self.keys = {self._key(name) for name in users}
        if self.by_email:
            emails = (getattr(user, "attribute_lookup", {}).get("email") for user in users.values())
            self.keys.update(self._key(email) for email in emails if email)

    def has(self, username: str, email: str) -> bool:
        return self._key(username) in self.keys or (self.by_email and bool(email) and self._key(email) in self.keys)

    def add(self, user: Any, username: str, email: str) -> None:
        self.keys.update(self._key(v) for v in (user.username, username, email if self.by_email else "") if v)
