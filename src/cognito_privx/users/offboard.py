"""The PrivX half of ending a person's access (issue 21), as the user commands see it: the hook ``PoolUsers``
calls after a Cognito sign-out (:data:`EndPrivX`, built by the CLI: ``reconcile.offboarding``), and the words and
counts a result carries (:class:`PrivXEnded`).

``users`` stays PrivX-agnostic in what it does: the hook finds our directory and ends the person's sessions and
connections there; a failure it raises (a :class:`~cognito_privx.errors.PrivXError`, exit 1) already says what
the command did (``done()``) and that a re-run finishes.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from cognito_privx.users.model import attributes_of

if TYPE_CHECKING:
    from types_boto3_cognito_idp.type_defs import AdminGetUserResponseTypeDef

    from cognito_privx.privx.sessions import EndedAccess


@dataclass(frozen=True)
class Stale:
    """Ask the hook to end only the records that hold a group the person no longer has: ``groups`` the groups
    they have now, ``role_groups`` the [roles] keys (only those grant a role; compared folded, as PrivX compares
    groups). Without PrivX credentials (or a config without a PrivX part) the hook ends nothing and says nothing:
    the command took nothing away (an unchanged set-group)."""

    groups: Collection[str]
    role_groups: Collection[str]


class EndPrivX(Protocol):
    """``(email, sub, done, stale=None) -> what was ended``, ``None`` when this pool has no PrivX directory; with
    ``stale`` only the records holding a group the person lost (:class:`Stale`)."""

    def __call__(
        self, email: str, sub: str, done: Callable[[], str], /, *, stale: Stale | None = None
    ) -> EndedAccess | None: ...


NO_DIRECTORY = "no PrivX directory of this pool: nothing to end"
WOULD_END = "would end PrivX sessions and connections"


@dataclass(frozen=True)
class PrivXEnded:
    """What ending a person's PrivX access did: its words for the result detail and the counts for JSON
    (``None``: nothing was tried, or the pool has no PrivX directory); ``records``: their PrivX user records."""

    words: str
    sessions: int | None = None
    connections: int | None = None
    records: int = 0

    def __add__(self, other: PrivXEnded) -> PrivXEnded:
        """Two passes over one person (a demotion ends before and after the group changes): summed."""
        if other.sessions is None or other.connections is None:
            return self
        if self.sessions is None or self.connections is None:
            return other
        from cognito_privx.privx.sessions import EndedAccess

        total = EndedAccess(
            max(self.records, other.records), self.sessions + other.sessions, self.connections + other.connections
        )
        return PrivXEnded(total.words(), total.sessions, total.connections, total.records)


NOTHING = PrivXEnded("")


def end_privx(
    hook: EndPrivX | None,
    email: str,
    user: AdminGetUserResponseTypeDef | None,
    done: Callable[[], str],
    *,
    stale: Stale | None = None,
) -> PrivXEnded:
    """Run the hook for this Cognito user (their ``sub``, else their ``Username``; ``None``: no Cognito user any
    more, their records by email and principal only): :data:`NOTHING` without a hook. With ``stale`` only what
    ended is reported (nothing, quietly, when nothing held a lost group). Raises what the hook raises."""
    if hook is None:
        return NOTHING
    sub = "" if user is None else attributes_of(user).get("sub") or str(user.get("Username", ""))
    ended = hook(email, sub, done, stale=stale)
    if ended is None:
        return NOTHING if stale is not None else PrivXEnded(NO_DIRECTORY)
    if stale is not None and not (ended.sessions or ended.connections):
        return NOTHING
    return PrivXEnded(ended.words(), ended.sessions, ended.connections, ended.records)


__all__ = ["NOTHING", "NO_DIRECTORY", "WOULD_END", "EndPrivX", "PrivXEnded", "Stale", "end_privx"]
