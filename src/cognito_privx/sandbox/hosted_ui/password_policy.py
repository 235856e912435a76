r"""Whether a new password meets a user pool's password policy: the hosted-UI stand-in's own reading of Cognito's.

The new-password page (a ``FORCE_CHANGE_PASSWORD`` user's first sign-in) refuses a password the pool's
``Policies.PasswordPolicy`` does not allow. These rules are written from AWS's documentation, never from
cognito-privx's own check of a temporary password: a mistake there must not be repeated here, or a test would pass
both the product and its fake.

Sources: **DG** the Developer Guide's "Managing users' passwords", section "Password policies"
(https://docs.aws.amazon.com/cognito/latest/developerguide/managing-users-passwords.html; formerly "Adding user pool
password requirements", https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-settings-policies.html,
archived in ``awsdocs/amazon-cognito-developer-guide`` ``doc_source/user-pool-settings-policies.md``); **model**
botocore 1.44's ``cognito-idp/2016-04-18/service-2.json.gz`` (``PasswordPolicyType``, ``PasswordType``).

- Length: at least ``MinimumLength`` characters (model: 6-99; absent: 8, the "Cognito defaults" policy, DG), and at
  most 256 (DG: "your users can set passwords up to 256 characters long"; model: ``PasswordType`` max 256).
- Something other than white space (model: ``PasswordType`` pattern ``[\S]+``).
- ``RequireUppercase`` / ``RequireLowercase``: an upper-case / lower-case letter of the basic Latin alphabet, ``A-Z``
  / ``a-z`` (DG: "Uppercase and lowercase basic latin letters"): ``É`` is neither.
- ``RequireNumbers``: a digit ``0-9`` (DG: "Numbers"; that other Unicode digits do not count is **unverified**, the
  strict reading).
- ``RequireSymbols``: one of the DG's special characters ``^ $ * . [ ] { } ( ) ? " ! @ # % & / \ , > < ' : ; | _ ~
  ` = + -``, or a space that is neither the first nor the last character (DG: "Non-leading, non-trailing space
  characters").

A requirement the policy leaves out (or sets ``false``) is not checked. The problems come back in that order, worded
to follow "Password does not conform to policy: it needs ..." (the wording is the stand-in's).
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any

__all__ = ["DEFAULT_MINIMUM_LENGTH", "MAX_PASSWORD_LENGTH", "SYMBOLS", "policy_problems"]

DEFAULT_MINIMUM_LENGTH = 8  # DG: the "Cognito defaults" policy
MAX_PASSWORD_LENGTH = 256  # DG; model: PasswordType max 256
SYMBOLS = frozenset("^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+-")  # DG, the special characters (the space: below)


def policy_problems(password: str, policy: Mapping[str, Any]) -> list[str]:
    """What ``password`` lacks under ``policy`` (a pool's ``Policies.PasswordPolicy``); empty when it is allowed."""
    problems = []
    minimum = int(policy.get("MinimumLength") or DEFAULT_MINIMUM_LENGTH)
    if len(password) < minimum:
        problems.append(f"at least {minimum} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        problems.append(f"at most {MAX_PASSWORD_LENGTH} characters")
    if password and password.isspace():
        problems.append("a character other than white space")
    if policy.get("RequireUppercase") and not any(c in string.ascii_uppercase for c in password):
        problems.append("an upper-case letter")
    if policy.get("RequireLowercase") and not any(c in string.ascii_lowercase for c in password):
        problems.append("a lower-case letter")
    if policy.get("RequireNumbers") and not any(c in string.digits for c in password):
        problems.append("a number")
    if policy.get("RequireSymbols") and not _has_symbol(password):
        problems.append("a symbol")
    return problems


def _has_symbol(password: str) -> bool:
    inner_space = " " in password[1:-1]
    return inner_space or any(c in SYMBOLS for c in password)
