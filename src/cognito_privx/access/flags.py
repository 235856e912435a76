"""The mismatches an access review flags, each a small pure function over one row's facts.

==========================  =========================================================================================
flag                        when
==========================  =========================================================================================
``role-not-in-config``      PrivX gives the user a role the config does not give their current group(s) (the roles
                            named); a role from a rule outside the config, or one left from a group they were moved
                            out of (PrivX keeps it until it refreshes the user's token)
``disabled-with-live-       disabled in Cognito, with a valid PrivX login session or an open connection
sessions``
``invitation-expired``      ``FORCE_CHANGE_PASSWORD`` for longer than the pool's temporary-password validity,
                            counted from ``UserLastModifiedDate`` (a resent invitation starts it again)
``never-signed-in``         no PrivX record in our directory (the note says whether Cognito shows them
                            ``CONFIRMED``)
``not-in-cognito``          a PrivX record of our directory whose Cognito user is gone (deleted, or re-created under
                            another address): it still holds what PrivX gave it
``rehearsal``               ``doctor --login``'s identity (shown only with ``--include-rehearsal``; never counted)
==========================  =========================================================================================
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from cognito_privx.config import fold_group
from cognito_privx.desired import Grant
from cognito_privx.users.model import INVITATION_PENDING

ROLE_NOT_IN_CONFIG = "role-not-in-config"
DISABLED_WITH_LIVE_SESSIONS = "disabled-with-live-sessions"
INVITATION_EXPIRED = "invitation-expired"
NEVER_SIGNED_IN = "never-signed-in"
NOT_IN_COGNITO = "not-in-cognito"
REHEARSAL = "rehearsal"
# The order flags are listed and counted in.
FLAGS = (ROLE_NOT_IN_CONFIG, DISABLED_WITH_LIVE_SESSIONS, INVITATION_EXPIRED, NEVER_SIGNED_IN, NOT_IN_COGNITO)


def granted(grants: Iterable[Grant]) -> dict[str, frozenset[str]]:
    """Folded group -> the roles the config gives it (PrivX's matcher compares groups folded, so ``OPS`` gets
    the roles of ``ops``)."""
    by_group: dict[str, set[str]] = {}
    for g in grants:
        by_group.setdefault(fold_group(g.group), set()).add(g.role)
    return {group: frozenset(roles) for group, roles in by_group.items()}


def roles_not_in_config(held: Iterable[str], groups: Iterable[str], given: Mapping[str, frozenset[str]]) -> list[str]:
    """The roles in ``held`` that the config gives none of ``groups``, sorted."""
    allowed: set[str] = set()
    for group in groups:
        allowed |= given.get(fold_group(group), frozenset())
    return sorted(set(held) - allowed)


def invitation_expired(status: str, last_modified: datetime | None, days: int, now: datetime) -> bool:
    """Whether an invitation's temporary password has run out: ``FORCE_CHANGE_PASSWORD`` and last modified more
    than ``days`` ago (Cognito: "the temporary password expires after TemporaryPasswordValidityDays"; a resend
    (``MessageAction=RESEND``) gives a new one and modifies the user)."""
    return status == INVITATION_PENDING and last_modified is not None and now - last_modified > timedelta(days=days)


def disabled_with_live_sessions(enabled: bool, sessions: int, connections: int) -> bool:
    return not enabled and (sessions > 0 or connections > 0)


__all__ = [
    "DISABLED_WITH_LIVE_SESSIONS",
    "FLAGS",
    "INVITATION_EXPIRED",
    "NEVER_SIGNED_IN",
    "NOT_IN_COGNITO",
    "REHEARSAL",
    "ROLE_NOT_IN_CONFIG",
    "disabled_with_live_sessions",
    "granted",
    "invitation_expired",
    "roles_not_in_config",
]
