"""A fast path for ordinary email addresses: the verdict email-validator would give, at a fraction of its cost.

``email_validator.validate_email`` costs ~30-40 µs an address (its IDNA/UTS-46 checks run on every domain); an
import of 1,000,000 rows spent 44 % of its time there (issue 24). Almost every address in a real file is plain
ASCII: a dot-atom local part and a domain of letter-digit-hyphen labels under an alphabetic top-level domain. For
exactly those, :func:`ordinary_address` returns the normal form :func:`~cognito_privx.users.validate.
validate_email` would return (the address lower-cased); for anything else it returns ``None`` and the caller asks
email-validator. It never says "invalid": a refusal always comes from email-validator, with its message.

What an address must be to take the fast path (each rule is one email-validator 2.x applies, or stricter):

- at most :data:`FAST_MAX_LENGTH` characters (our 128-character limit for Cognito's user name; email-validator's
  254 is then met too), ASCII only (``re`` classes below are ASCII ranges, no IGNORECASE: ``ſ`` and the Kelvin
  sign would otherwise match ``[a-z]``);
- the local part: RFC 5322 ``dot-atom-text`` (``atext`` runs separated by single dots), what email-validator's
  ``DOT_ATOM_TEXT`` accepts without quoting (its local-part length limit applies only in ``strict`` mode);
- the domain: two or more labels of ``[A-Za-z0-9]`` and inner hyphens, at most 63 characters each (RFC 1035),
  the last one letters only (email-validator: a period required, the TLD ends with a letter); no ``--`` anywhere
  (deferred: email-validator refuses ``ab--`` labels, and ``xn--`` labels need an IDNA round trip); not a
  special-use name or under one (:data:`SPECIAL_USE_DOMAIN_NAMES`: email-validator's list, copied so that a file
  of ordinary addresses never imports the library, ~50 ms before the first call; a test holds it equal to the
  installed library's ``SPECIAL_USE_DOMAIN_NAMES``).

The normal form: email-validator keeps an ASCII local part as given and lower-cases an ASCII domain (UTS-46
mapping); the tool lower-cases the whole address (the pool's user name). ``tests/properties/test_email_fast.py``
checks the two agree on generated ordinary, edge and hostile addresses.
"""

from __future__ import annotations

import re

FAST_MAX_LENGTH = 128  # validate.MAX_EMAIL_LENGTH (not imported: validate imports this module)

_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ORDINARY = re.compile(rf"{_ATEXT}+(?:\.{_ATEXT}+)*@(?:{_LABEL}\.)+([A-Za-z]{{2,63}})")
# email_validator.SPECIAL_USE_DOMAIN_NAMES (2.x): tests/users/test_email_fast.py checks the copy is equal.
SPECIAL_USE_DOMAIN_NAMES = ("arpa", "invalid", "local", "localhost", "onion", "test")
_SPECIAL_USE = [d.lower() for d in SPECIAL_USE_DOMAIN_NAMES]
_SPECIAL_TLDS = frozenset(d for d in _SPECIAL_USE if "." not in d)  # all of them, in email-validator 2.x
_SPECIAL_LONGER = tuple(p + d for d in _SPECIAL_USE if "." in d for p in "@.")  # the name, or one under it


def ordinary_address(value: str) -> str | None:
    """``value`` (already stripped) lower-cased when it is an ordinary address email-validator accepts as it is;
    ``None`` when it is anything else (invalid, unusual, or just not sure): then ask email-validator."""
    if len(value) > FAST_MAX_LENGTH or "--" in value:
        return None
    match = _ORDINARY.fullmatch(value)
    if match is None or match[1].lower() in _SPECIAL_TLDS:
        return None
    address = value.lower()
    if _SPECIAL_LONGER and address.endswith(_SPECIAL_LONGER):
        return None  # a special-use name of several labels (none in email-validator 2.x), or one under it
    return address


__all__ = ["FAST_MAX_LENGTH", "SPECIAL_USE_DOMAIN_NAMES", "ordinary_address"]
