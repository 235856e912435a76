"""The check ``account-mapping`` (registered in :mod:`.checks`, after ``role-rule-form``): which direction PrivX
reads the directory's ``attribute_mapping`` in, as a login showed it (privx/accounts.py), and whether the map is
written that way. Unverified until a login after setup shows it; ``doctor --login``'s rehearsal is such a login.

docs/privx-api.md#account-mapping.
"""

from __future__ import annotations

from cognito_privx.desired import DesiredState
from cognito_privx.doctor.facts import Facts, Failed
from cognito_privx.doctor.registry import SETUP_HINT, fail, got, skip, warn
from cognito_privx.errors import PrivXNotFoundError, PrivXPermissionError
from cognito_privx.privx.accounts import TARGET, keyed_by_words

LOGIN_HINT = (
    "run `cognito-privx doctor --login` (its rehearsed login shows which direction PrivX reads), then "
    "`cognito-privx setup` (it records it)"
)


def account_mapping(facts: Facts, desired: DesiredState) -> str:
    """The direction of ``attribute_mapping``: ok when a login showed it and the map is written so; warn while
    unverified; fail when a login shows PrivX set no account with the map as written, or contradicts the record."""
    if isinstance(facts.account_mapping, PrivXPermissionError | PrivXNotFoundError):
        raise warn(
            f"could not verify the account mapping's direction: {facts.account_mapping.message}",
            "give the API client's PrivX role users-view, so doctor can read the directory's users",
        )
    found = got(facts.account_mapping) if isinstance(facts.account_mapping, Failed) else facts.account_mapping
    if found is None:
        raise skip("skipped: no OIDC directory (see privx-directory)")
    written = found.written or TARGET
    seen = found.evidence
    if found.recorded is not None:
        recorded = found.recorded
        if written != recorded:
            raise fail(
                f"a login showed PrivX reads attribute_mapping {keyed_by_words(recorded)}, but the map is written "
                f"{keyed_by_words(written)}",
                f"{SETUP_HINT} (it writes the map {keyed_by_words(recorded)})",
            )
        if seen is not None and seen.found != recorded:
            raise fail(
                f"PrivX set no account although the map is {keyed_by_words(recorded)}, the direction a login showed "
                f"before: {seen.detail}",
                "check the directory's account mapping in PrivX's UI and the claim in the ID token (doctor --login "
                "shows the claims PrivX received)",
            )
        confirmed = f"; confirmed by {seen.user}'s login" if seen is not None else ""
        return f"PrivX reads attribute_mapping {keyed_by_words(recorded)} (found by a login, recorded){confirmed}"
    if seen is None:
        raise warn(
            f"the account mapping's direction is unverified: the map is written {keyed_by_words(written)}, and no "
            "login since then shows whether PrivX reads it so",
            LOGIN_HINT,
        )
    if seen.found != written:
        raise fail(
            f"{seen.text()}; the map is written {keyed_by_words(written)}, so PrivX sets no account",
            f"{SETUP_HINT} (it writes the map {keyed_by_words(seen.found)} and records the direction)",
        )
    raise warn(f"{seen.text()}; not recorded yet", f"{SETUP_HINT} (it records the direction)")
