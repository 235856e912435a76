"""The fast path for ordinary addresses against email-validator: same verdict, same normal form, or it defers."""

from __future__ import annotations

import string

import email_validator
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from cognito_privx.errors import UsageError
from cognito_privx.users.email_fast import ordinary_address
from cognito_privx.users.validate import MAX_EMAIL_LENGTH


def slow(value: str) -> str | None:
    """What the tool stored before the fast path: email-validator's ASCII form, lower-cased; None when refused
    (by email-validator, for a non-ASCII domain, or over 128 characters)."""
    try:
        checked = email_validator.validate_email(value, check_deliverability=False, allow_smtputf8=False)
    except email_validator.EmailNotValidError:
        return None
    if not value.isascii():
        return None
    address = str(checked.ascii_email).lower()
    return address if len(address) <= MAX_EMAIL_LENGTH else None


ATEXT = string.ascii_letters + string.digits + "!#$%&'*+/=?^_`{|}~-"
LDH = string.ascii_letters + string.digits + "-"
atoms = st.text(ATEXT, min_size=1, max_size=12)
labels = st.text(LDH, min_size=1, max_size=64)
tlds = st.text(string.ascii_letters + string.digits + "-", min_size=1, max_size=8) | st.sampled_from(
    ["com", "COM", "org", "test", "local", "localhost", "invalid", "onion", "arpa", "xn--p1ai", "c0m", "1", "io"]
)
# Ordinary: what real files hold.
plain = st.builds(
    lambda user, host, tld: f"{user}@{host}.{tld}",
    st.from_regex(r"[a-z][a-z0-9._+-]{0,20}[a-z0-9]", fullmatch=True),
    st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True),
    st.sampled_from(["com", "org", "net", "fi", "co", "museum", "Example", "COM"]),
)
# Edge: dots, hyphens, lengths, special-use names, Punycode, digits in the TLD.
edge = st.builds(
    lambda local, hosts, tld, sep: sep.join([".".join(local), ".".join([*hosts, tld])]),
    st.lists(atoms | st.just(""), min_size=1, max_size=4),
    st.lists(labels | st.sampled_from(["xn--bcher-kva", "ab--cd", "-a", "a-", "", "a" * 63, "a" * 64]), max_size=4),
    tlds,
    st.sampled_from(["@", "@@", " @", "@ "]),
)
# Hostile: anything at all, near-misses of the ASCII classes (ſ, K, fullwidth), whitespace, quotes, brackets.
hostile = st.text(
    st.characters() | st.sampled_from(list('@."\\[]<> \t\n\r\x00ſK＠．ａ')) | st.sampled_from(list(ATEXT)),
    max_size=140,
)


@settings(max_examples=500, deadline=None)
@given(plain | edge | hostile)
@example("Alice.Smith+ops@Example.COM")
@example("a@b.test")
@example("a@sub.localhost")
@example("a@xn--p1ai.com")
@example("a@ab--cd.com")
@example("a@1.2.3.com4")
@example("ſ@example.com")
@example("a@example.com" + "m" * 120)
@example(("a" * 64) + "@" + ("b" * 58) + ".com")
@example("a..b@example.com")
@example(".a@example.com")
@example("a@-example.com")
@example("postmaster@EXAMPLE.com")
def test_the_fast_path_agrees_with_email_validator_or_defers(value: str) -> None:
    value = value.strip()
    fast = ordinary_address(value)
    if fast is not None:
        assert fast == slow(value), value


@settings(max_examples=200, deadline=None)
@given(plain)
def test_ordinary_addresses_take_the_fast_path(value: str) -> None:
    # "--" anywhere defers on purpose (IDNA's reserved "xn--"-style labels are email-validator's call).
    if slow(value) is not None and "--" not in value:
        assert ordinary_address(value) == value.lower()


@pytest.mark.parametrize("value", ["x@example.com", "  Bob@Example.org ", "a.b-c+d@mail.example.co.uk"])
def test_validate_email_answers_ordinary_addresses_without_email_validator(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cognito_privx.users import validate

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("email-validator was asked")

    monkeypatch.setattr(email_validator, "validate_email", refuse)
    assert validate.validate_email(value) == value.strip().lower()


@pytest.mark.parametrize("value", ["a@b.test", "ſ@example.com", "a@xn--p1ai.com", "no-at-sign"])
def test_unusual_addresses_still_get_email_validators_verdict(value: str) -> None:
    from cognito_privx.users.validate import validate_email

    expected = slow(value)
    if expected is None:
        with pytest.raises(UsageError):
            validate_email(value)
    else:
        assert validate_email(value) == expected


def test_the_special_use_names_are_email_validators() -> None:
    from cognito_privx.users.email_fast import SPECIAL_USE_DOMAIN_NAMES

    assert sorted(SPECIAL_USE_DOMAIN_NAMES) == sorted(str(d) for d in email_validator.SPECIAL_USE_DOMAIN_NAMES)
