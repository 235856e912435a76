"""What PrivX received from a rehearsed login and what it did with it, as Teleport's ``tctl sso test`` shows it
(issue 21, item 3): the ID token's claims as PrivX recorded them, which claim became the tags, which rule of ours
matched, which roles followed.

The claims are the PrivX user record's ``attributes`` (``{key, value}`` pairs: PrivX v44 keeps a token user's
claims there for rules to match, docs/privx-api.md#users); a PrivX that returns none is said to. Never shown: a
value that looks like a JWT or a long opaque token, and the claims that are one-time or derived from tokens or
secrets (:data:`WITHHELD`: ``nonce``, ``at_hash``, ``c_hash``, ``s_hash``, ``jti``, ``origin_jti``, and any name
with ``token`` (bar ``token_use``), ``secret``, ``password`` or ``signature`` in it); their names are listed as
withheld, so the administrator sees they were there.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from cognito_privx.desired import DesiredState

WITHHELD = frozenset({"nonce", "at_hash", "c_hash", "s_hash", "jti", "origin_jti"})
_SECRET_WORDS = ("token", "secret", "password", "signature")
_JWT = re.compile(r"^[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*$")
_OPAQUE = re.compile(r"^[A-Za-z0-9_\-+/=.]{64,}$")  # a token-like blob (a sub or an email is never this long)


def shown(key: str, value: str) -> bool:
    """Whether a claim may be printed: not a withheld name, not a JWT- or token-looking value."""
    name = key.casefold()
    if name in WITHHELD or (any(w in name for w in _SECRET_WORDS) and name != "token_use"):
        return False
    return not (_JWT.match(value) or _OPAQUE.match(value))


def typed(value: str) -> Any:
    """A claim value as the token had it: PrivX keeps each attribute value as text, a non-string claim as its JSON
    text (the emulator does so: ``auth_time`` ``"1700000000"``, ``email_verified`` ``"true"``), so a value that is
    a JSON number or boolean is given back as one; anything else stays the string it is. (A string claim that
    reads as a number is ambiguous in PrivX's record; it is shown as the number.)"""
    try:
        parsed = json.loads(value)
    except ValueError:
        return value
    return parsed if isinstance(parsed, (bool, int, float)) else value


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def received(desired: DesiredState, group: str, record: Mapping[str, Any], roles: Sequence[str]) -> dict[str, Any]:
    """The rehearsal's ``received`` block: ``claims`` (name -> value, or a list when a claim has several; ``None``
    when PrivX returned no attributes), ``withheld`` (claim names not shown), ``tags_claim``, ``tags`` (as PrivX
    recorded them), ``rule`` (``search_string``, the ``roles`` whose grant carries it, and whether it ``matched``:
    PrivX gives the user all of them) and ``roles`` (what PrivX gives the user now)."""
    pairs = record.get("attributes")
    claims: dict[str, Any] | None = None
    withheld: set[str] = set()
    if isinstance(pairs, list) and pairs:
        claims = {}
        for pair in pairs:
            if not isinstance(pair, Mapping):
                continue
            key, value = str(pair.get("key") or ""), str(pair.get("value") or "")
            if not key:
                continue
            if not shown(key, value):
                withheld.add(key)
                continue
            if key in claims:
                before = claims[key]
                claims[key] = [*(before if isinstance(before, list) else [before]), typed(value)]
            else:
                claims[key] = typed(value)
    carrying = sorted({g.role for g in desired.grants if g.group == group})
    return {
        "claims": claims,
        "withheld": sorted(withheld),
        "tags_claim": desired.directory.tags_claim,
        "tags": [str(t) for t in record.get("tags") or []],
        "rule": {
            "search_string": desired.search_string(group),
            "roles": carrying,
            "matched": bool(carrying) and all(r in roles for r in carrying),
        },
        "roles": list(roles),
    }


def lines(block: Mapping[str, Any]) -> list[str]:
    """The ``received`` block as text lines (indented under the check by the renderer)."""
    out = []
    claims = block.get("claims")
    if claims is None:
        out.append("claims PrivX received: none shown (PrivX returned no attributes for the user)")
    else:
        out.append("claims PrivX received:")
        out.extend(
            f"  {key} = {', '.join(map(_text, v)) if isinstance(v, list) else _text(v)}" for key, v in claims.items()
        )
    if block.get("withheld"):
        out.append(f"  (withheld, never printed: {', '.join(block['withheld'])})")
    tags = ", ".join(block.get("tags") or []) or "(none)"
    out.append(f"tags: claim {block.get('tags_claim')} became {tags}")
    rule = block.get("rule") or {}
    verdict = "matched" if rule.get("matched") else "did not match"
    out.append(f"our rule {rule.get('search_string')} (role {', '.join(rule.get('roles') or [])}): {verdict}")
    out.append(f"roles: {', '.join(block.get('roles') or []) or '(none)'}")
    return out


__all__ = ["WITHHELD", "lines", "received", "shown"]
