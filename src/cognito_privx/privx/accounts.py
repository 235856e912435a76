"""The direction of the directory's ``attribute_mapping`` (``[privx] account_mapping``), found by evidence.

PrivX documents neither direction for a directory (source): the Go SDK's ``SourceConnection.AttributeMapping`` is
a bare ``map[string]string``; its OIDC guide maps one claim to both targets (which only a target-keyed map can
hold), while its auth API documents the IdP client's ``oidc_attribute_mapping`` as "attribute:token mappings",
keyed by the source (docs/privx-api.md#account-mapping). So the tool does not guess: until a login shows it, the
map is written keyed by ``target`` (``{"unix_account": "email"}``) and the direction is said to be unverified.

The evidence (:func:`evidence`) is a user of our directory who logged in *after* the directory was last written
(its ``updated`` later than the directory's), whose ID token carried a mapped claim (PrivX keeps a token user's
claims in ``attributes``): if PrivX set the account to that claim's value, PrivX reads the map the way it is
stored; if it set no account, it reads it the other way (only two readings are plausible). The first login after
``setup`` (``doctor --login``'s rehearsal is one) settles it; ``setup`` then records the direction in our
ownership record on the directory (``mapping=target|claim``, privx/record.py) and writes the map that way from
then on; ``doctor``'s ``account-mapping`` check says which was found.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from cognito_privx.privx.record import record_of

Direction = Literal["target", "claim"]
TARGET: Direction = "target"
CLAIM: Direction = "claim"
ACCOUNT_TARGETS = ("unix_account", "windows_account")


def other(direction: Direction) -> Direction:
    return CLAIM if direction == TARGET else TARGET


def keyed_by_words(direction: Direction) -> str:
    """``keyed by target account`` or ``keyed by claim``, for messages."""
    return "keyed by target account" if direction == TARGET else "keyed by claim"


def attribute_mapping(account_mapping: Mapping[str, str], direction: Direction = TARGET) -> dict[str, str]:
    """The directory's ``attribute_mapping`` for ``[privx] account_mapping`` (held target -> claim) in
    ``direction``: ``target`` gives ``{"unix_account": "email", "windows_account": "email"}``; ``claim`` gives
    ``{"email": "unix_account"}`` -- a claim-keyed map holds one target per claim, so when one claim feeds both
    targets the first (``unix_account``) is kept (:func:`dropped` names the other)."""
    pairs = sorted(account_mapping.items())
    if direction == TARGET:
        return dict(pairs)
    out: dict[str, str] = {}
    for target, claim in pairs:
        out.setdefault(claim, target)
    return out


def dropped(account_mapping: Mapping[str, str], direction: Direction) -> tuple[str, ...]:
    """The targets a map in ``direction`` cannot carry (claim-keyed: a second target of the same claim)."""
    kept = set(attribute_mapping(account_mapping, direction).values() if direction == CLAIM else account_mapping)
    return tuple(t for t in sorted(account_mapping) if t not in kept)


def stored_direction(directory: Mapping[str, Any] | None) -> Direction | None:
    """The direction the directory's map is written in: recorded by us (found by evidence), else read from its
    shape (targets as keys or as values); ``None`` when it has no map or the shape says neither."""
    recorded = record_of(directory).mapping
    if recorded in (TARGET, CLAIM):
        return recorded
    mapping = ((directory or {}).get("connection") or {}).get("attribute_mapping")
    if not isinstance(mapping, dict) or not mapping:
        return None
    if all(k in ACCOUNT_TARGETS for k in mapping):
        return TARGET
    if all(v in ACCOUNT_TARGETS for v in mapping.values()):
        return CLAIM
    return None


def recorded_direction(directory: Mapping[str, Any] | None) -> Direction | None:
    """The direction our record says a login showed; ``None``: unverified."""
    recorded = record_of(directory).mapping
    return recorded if recorded in (TARGET, CLAIM) else None


def mapping_in_force(directory: Mapping[str, Any], written: Direction) -> dict[str, str]:
    """The directory's stored ``attribute_mapping`` as target -> claim pairs, read in the ``written`` direction
    (pairs that name no account target left out)."""
    mapping = (directory.get("connection") or {}).get("attribute_mapping")
    if not isinstance(mapping, Mapping):
        return {}
    pairs = [(str(k), str(v)) for k, v in mapping.items()]
    if written == TARGET:
        return {k: v for k, v in pairs if k in ACCOUNT_TARGETS}
    return {v: k for k, v in pairs if v in ACCOUNT_TARGETS}


@dataclass(frozen=True)
class Evidence:
    """What one login showed: the direction PrivX reads (``found``), from whom, and why, in words."""

    found: Direction
    user: str
    detail: str

    def text(self) -> str:
        return f"PrivX reads attribute_mapping {keyed_by_words(self.found)}: {self.detail}"


def _when(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def _claims(user: Mapping[str, Any]) -> dict[str, str]:
    pairs = user.get("attributes")
    out: dict[str, str] = {}
    for pair in pairs if isinstance(pairs, list) else []:
        if isinstance(pair, Mapping) and pair.get("key") and isinstance(pair.get("value"), str):
            out.setdefault(str(pair["key"]), str(pair["value"]))
    return out


def evidence(
    users: Iterable[Mapping[str, Any]], directory: Mapping[str, Any], account_mapping: Mapping[str, str]
) -> Evidence | None:
    """The direction PrivX reads ``directory``'s map in, shown by a user who logged in after the directory was
    last written with a mapped claim in their token; ``None`` when no login shows it yet (or the map's shape or
    the timestamps cannot be read). A login that set the account wins over one that did not."""
    written = stored_direction(directory)
    since = _when(directory.get("updated"))
    if written is None or since is None or not account_mapping:
        return None
    # A login is judged by the map it was made under: the directory's, not the config's (which may have changed
    # since; judging by the config's claims would read a claim the map in force never named as "no account").
    in_force = mapping_in_force(directory, written)
    negative: Evidence | None = None
    for user in users:
        at = _when(user.get("updated"))
        if at is None or at <= since:
            continue  # logged in before the map was (last) written: it says nothing about this map
        claims = _claims(user)
        who = str(user.get("principal") or user.get("email") or user.get("id"))
        for target, claim in sorted(in_force.items()):
            value = claims.get(claim)
            if not value:
                continue
            got = user.get(target)
            if got == value:
                return Evidence(
                    written, who, f"{who}'s login set {target} = {value!r} from claim {claim} with the map so keyed"
                )
            if not got and negative is None:
                negative = Evidence(
                    other(written),
                    who,
                    f"{who}'s token carried {claim} but PrivX set no {target} with the map {keyed_by_words(written)}",
                )
    return negative
