"""The emulator's rule matcher compares values as RFC 4518 prepares them (NFKC and case folding), the widest
reading of an LDAP-style matcher: every spelling of a group that such a matcher may take for it matches, so the
tool's refusal of those spellings (tests/properties/test_group_spelling.py) guards against a real effect."""

from __future__ import annotations

import pytest

from cognito_privx.sandbox.emulator.ldapfilter import matches


@pytest.mark.parametrize("tag", ["ops", "OPS", "Ops", "op\u017f", "\uff4f\uff50\uff53", "\uff2f\uff30\uff33"])
def test_every_spelling_of_a_group_matches_its_rule(tag: str) -> None:
    assert matches("(tags=ops)", {"tags": [tag]})
    assert matches("(tags=o*s)", {"tags": [tag]})


def test_other_groups_do_not_match() -> None:
    assert not matches("(tags=ops)", {"tags": ["ops-x", "op", "dev"]})
