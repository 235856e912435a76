"""``users.password_problems``: a temporary password against a pool's ``Policies.PasswordPolicy``, directly."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from cognito_privx.users import password_problems

if TYPE_CHECKING:
    from types_boto3_cognito_idp.type_defs import PasswordPolicyTypeTypeDef

# Cognito's default policy (what setup's pools and moto's have).
DEFAULT: PasswordPolicyTypeTypeDef = {
    "MinimumLength": 8,
    "RequireUppercase": True,
    "RequireLowercase": True,
    "RequireNumbers": True,
    "RequireSymbols": True,
}
# Cognito's symbol set (Developer Guide, "Password policies"), space included.
SYMBOLS = "^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- "


def test_a_password_that_meets_every_rule_has_no_problem() -> None:
    assert password_problems("Str0ng!Passw0rd", DEFAULT) == []


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("Sh0rt!x", "at least 8 characters"),
        ("str0ng!passw0rd", "an upper-case letter"),
        ("STR0NG!PASSW0RD", "a lower-case letter"),
        ("Strong!Password", "a number"),
        ("Str0ngPassw0rd", "a symbol"),
    ],
)
def test_each_missing_rule_is_named(password: str, problem: str) -> None:
    assert password_problems(password, DEFAULT) == [problem]


def test_every_problem_is_listed_in_a_fixed_order() -> None:
    assert password_problems("", DEFAULT) == [
        "at least 8 characters",
        "an upper-case letter",
        "a lower-case letter",
        "a number",
        "a symbol",
    ]


def test_the_minimum_length_is_the_pools() -> None:
    policy: PasswordPolicyTypeTypeDef = {**DEFAULT, "MinimumLength": 12}
    assert password_problems("Str0ng!Pass", policy) == ["at least 12 characters"]
    assert password_problems("Str0ng!Passw", policy) == []


def test_an_empty_policy_means_eight_characters_and_nothing_else() -> None:
    assert password_problems("alllower", {}) == []
    assert password_problems("short", {}) == ["at least 8 characters"]


def test_rules_the_policy_turns_off_are_not_checked() -> None:
    policy: PasswordPolicyTypeTypeDef = {
        "MinimumLength": 6,
        "RequireUppercase": False,
        "RequireNumbers": False,
        "RequireSymbols": False,
    }
    assert password_problems("abcdef", policy) == []


def test_each_of_cognitos_symbols_counts_and_nothing_else_does() -> None:
    assert [s for s in SYMBOLS if password_problems(f"Passw0rd{s}", DEFAULT)] == []
    assert [c for c in "§€£é¿" if password_problems(f"Passw0rd{c}", DEFAULT) != ["a symbol"]] == []
