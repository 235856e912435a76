"""Races between concurrent runs: which of several same-named objects of ours is the winner (the oldest), and
waiting for the losers to delete their own (ARCHITECTURE.md#races). Shared by the pool and the app client."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from cognito_privx.cognito.gateway import CognitoGateway

_Obj = TypeVar("_Obj", bound=Mapping[str, object])  # a described pool or client

# How long a run waits for a concurrent run to delete its losing object before calling it a duplicate (seconds).
RACE_SETTLE_S = 15.0
RACE_POLL_S = 0.5


# Two objects of ours created this close together are a race between concurrent runs, not a leftover: the
# older one wins, and the run that made the newer one deletes it (ARCHITECTURE.md#races).
RACE_WINDOW = timedelta(minutes=2)
NEVER = datetime.max.replace(tzinfo=UTC)


def created_at(obj: Mapping[str, object]) -> datetime:
    """When a described pool or client was created (UTC); :data:`NEVER` when its description has no date."""
    when = obj.get("CreationDate")
    if isinstance(when, datetime):
        return when if when.tzinfo else when.replace(tzinfo=UTC)
    if isinstance(when, int | float):
        return datetime.fromtimestamp(when, UTC)
    return NEVER


def age_key(obj: Mapping[str, object], id_key: str = "Id") -> tuple[datetime, str]:
    """Sort key that puts the oldest first: creation date, then id (the same order in every run)."""
    return created_at(obj), str(obj.get(id_key, ""))


def is_race(found: Sequence[Mapping[str, object]], id_key: str) -> bool:
    """Whether several objects of ours were created within :data:`RACE_WINDOW` of each other: concurrent runs,
    whose losers are about to delete their own (rather than a real duplicate, which needs a person)."""
    ordered = sorted(found, key=lambda o: age_key(o, id_key))
    first = created_at(ordered[0])
    return first is not NEVER and all(created_at(o) - first <= RACE_WINDOW for o in ordered[1:])


def settled(gw: CognitoGateway, look: Callable[[], list[_Obj]], id_key: str) -> list[_Obj]:
    """``look()`` again while it finds a race (see :func:`is_race`), up to ``gw.race_settle_s`` seconds: the
    runs that lost delete their objects within moments. Returns the last answer."""
    settle = gw.race_settle_s
    deadline = time.monotonic() + settle
    found = look()
    while len(found) > 1 and is_race(found, id_key) and time.monotonic() < deadline:
        gw.sleep(min(RACE_POLL_S, settle / 5))
        found = look()
    return found
