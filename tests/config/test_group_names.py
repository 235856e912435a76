"""Group names (issue 20, part 3): the safe character set, and the folding that makes two spellings one group."""

from __future__ import annotations

import unicodedata

import pytest

from cognito_privx.config.validate import GroupNameError, fold_group, group_collisions, validate_group_name, wide_part

SPELLINGS = ("ops", "OPS", "Ops", "op\u017f", "\uff4f\uff50\uff53", "\uff2f\uff30\uff33")


@pytest.mark.parametrize("order", ["nfkc-then-casefold", "casefold-then-nfkc"])
def test_both_orders_fold_the_issues_spellings_together(order: str) -> None:
    def fold(g: str) -> str:
        if order == "nfkc-then-casefold":
            return unicodedata.normalize("NFKC", g).casefold()
        return unicodedata.normalize("NFKC", g.casefold())

    assert {fold(s) for s in SPELLINGS} == {"ops"}


def test_the_fold_taken_is_both_and_catches_what_each_order_alone_misses() -> None:
    # U+1D2C MODIFIER LETTER CAPITAL A: casefold leaves it, NFKC makes it "A": casefold-then-NFKC keeps the capital.
    assert unicodedata.normalize("NFKC", "\u1d2c".casefold()) == "A"
    # U+01F0 j with caron: casefold decomposes it, so NFKC-then-casefold is not NFKC-normal.
    assert unicodedata.normalize("NFKC", "\u01f0").casefold() != unicodedata.normalize("NFKC", "\u01f0")
    assert fold_group("\u1d2c") == fold_group("a")
    assert fold_group("\u01f0") == unicodedata.normalize("NFKC", "\u01f0")
    assert {fold_group(s) for s in SPELLINGS} == {"ops"}


def test_collisions_name_both_spellings_in_order() -> None:
    assert group_collisions(["ops", "dev", "OPS", "op\u017f"]) == [("ops", "OPS"), ("ops", "op\u017f")]
    assert group_collisions(["ops", "dev", "ops"]) == []


@pytest.mark.parametrize("name", ["ops", "OPS", "ops-admins", "a.b_c@d+e=f", "x" * 128, "42"])
def test_safe_names_are_taken(name: str) -> None:
    assert validate_group_name(name) == name


@pytest.mark.parametrize(
    "name", ["op\u017f", "\uff4f\uff50\uff53", "caf\u00e9", "ops*", "(ops)", "a\\b", "a\x00b", "x" * 129, "", "a/b"]
)
def test_other_names_are_refused_with_a_hint(name: str) -> None:
    with pytest.raises(GroupNameError) as e:
        validate_group_name(name)
    assert "ASCII letters, digits" in str(e.value) and e.value.hint


@pytest.mark.parametrize(
    ("template", "part"),
    [
        ("(tags={group})", None),
        ("{group}", None),
        ("(tag={group})", None),
        ("(custom:group={group})", None),
        ("(tags={group}*)", "*"),
        ("(|(tags={group})(tags=*))", "|"),
        ("(!(tags={group}))", "!"),
        ("(&(tags={group})(x=y))", "&"),
        ("(tags>={group})", ">="),
        ("(tags~={group})", "~="),
        ("(tags:dn:={group})", ":="),
    ],
)
def test_wide_part(template: str, part: str | None) -> None:
    assert wide_part(template) == part
