"""The hosted-UI stand-in's own reading of Cognito's password policy (``sandbox/hosted_ui/password_policy.py``).

The stand-in judges a new password by AWS's documentation, not by cognito-privx's check of a temporary password
(``users.password_problems``, tests/users/test_password_policy.py). Where the two readings differ, the tests marked
"differs" pin the stand-in's (stricter) one.
"""

from __future__ import annotations

from typing import Any

import pytest

from cognito_privx.sandbox.hosted_ui.password_policy import SYMBOLS, policy_problems

DEFAULT: dict[str, Any] = {
    "MinimumLength": 8,
    "RequireUppercase": True,
    "RequireLowercase": True,
    "RequireNumbers": True,
    "RequireSymbols": True,
}
# The Developer Guide's special characters ("Password policies": ^ $ * . [ ] { } ( ) ? " ! @ # % & / \ , > < ' : ; | _
# ~ ` = + -), the space apart.
DG_SYMBOLS = list("^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+-")


def test_a_password_that_meets_every_rule_has_no_problem() -> None:
    assert policy_problems("Str0ng!Passw0rd", DEFAULT) == []


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
    assert policy_problems(password, DEFAULT) == [problem]


def test_every_problem_is_listed_in_a_fixed_order() -> None:
    assert policy_problems("", DEFAULT) == [
        "at least 8 characters",
        "an upper-case letter",
        "a lower-case letter",
        "a number",
        "a symbol",
    ]


def test_the_minimum_length_is_the_pools_and_eight_without_one() -> None:
    assert policy_problems("Str0ng!Pass", {**DEFAULT, "MinimumLength": 12}) == ["at least 12 characters"]
    assert policy_problems("Str0ng!Passw", {**DEFAULT, "MinimumLength": 12}) == []
    assert policy_problems("alllower", {}) == []
    assert policy_problems("short", {}) == ["at least 8 characters"]


def test_rules_the_policy_turns_off_are_not_checked() -> None:
    policy = {"MinimumLength": 6, "RequireUppercase": False, "RequireNumbers": False, "RequireSymbols": False}
    assert policy_problems("abcdef", policy) == []


def test_the_symbol_set_is_the_developer_guides() -> None:
    assert set(DG_SYMBOLS) == SYMBOLS
    assert [s for s in DG_SYMBOLS if policy_problems(f"Passw0rd{s}", DEFAULT)] == []
    assert [c for c in "§€£é¿" if policy_problems(f"Passw0rd{c}", DEFAULT) != ["a symbol"]] == []


# -- where the stand-in's reading differs from users.password_problems --------------------------------------------


def test_differs_a_space_counts_as_a_symbol_only_inside_the_password() -> None:
    """DG: "Non-leading, non-trailing space characters" (add-user's check takes a space anywhere)."""
    assert policy_problems("Passw0rd word", DEFAULT) == []
    assert policy_problems("Passw0rd ", DEFAULT) == ["a symbol"]
    assert policy_problems(" Passw0rd", DEFAULT) == ["a symbol"]


def test_differs_letters_are_basic_latin_letters() -> None:
    """DG: "Uppercase and lowercase basic latin letters" (add-user's check takes any Unicode case)."""
    assert policy_problems("ÉCOLE-passw0rd", DEFAULT) == []  # C, O, L, E are basic Latin
    assert policy_problems("ÄÖÜ-passw0rd", DEFAULT) == ["an upper-case letter"]
    assert policy_problems("PASSW0RD-äöü", DEFAULT) == ["a lower-case letter"]


def test_differs_numbers_are_the_digits_0_to_9() -> None:
    """Other Unicode digits (Arabic-Indic, superscripts) do not count: the strict reading of DG's "Numbers"."""
    assert policy_problems("Password-٧", DEFAULT) == ["a number"]
    assert policy_problems("Password-²", DEFAULT) == ["a number"]


def test_differs_at_most_256_characters() -> None:
    """DG: "your users can set passwords up to 256 characters long"; botocore's PasswordType max 256."""
    assert policy_problems("Aa1!" * 64, DEFAULT) == []
    assert policy_problems("Aa1!" * 64 + "x", DEFAULT) == ["at most 256 characters"]


def test_differs_white_space_alone_is_no_password() -> None:
    """botocore's PasswordType pattern ``[\\S]+``: something other than white space."""
    assert policy_problems(" " * 8, {}) == ["a character other than white space"]
