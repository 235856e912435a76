"""The PrivX half of ending a person's access (issue 21), as the user commands see it: the hook ``PoolUsers``
calls after a Cognito sign-out (:data:`EndPrivX`, built by the CLI: ``reconcile.offboarding``), and the words and
counts a result carries (:class:`PrivXEnded`).

``users`` stays PrivX-agnostic in what it does: the hook finds our directory and ends the person's sessions and
connections there; a failure it raises (a :class:`~cognito_privx.errors.PrivXError`, exit 1) already says what
the command did (``done()``) and that a re-run finishes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cognito_privx.users.model import attributes_of

if TYPE_CHECKING:
    from types_boto3_cognito_idp.type_defs import AdminGetUserResponseTypeDef

    from cognito_privx.privx.sessions import EndedAccess

# (email, sub, done) -> what was ended, or None when this pool has no PrivX directory.
EndPrivX = Callable[[str, str, Callable[[], str]], "EndedAccess | None"]
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
    hook: EndPrivX | None, email: str, user: AdminGetUserResponseTypeDef, done: Callable[[], str]
) -> PrivXEnded:
    """Run the hook for this Cognito user (their ``sub``, else their ``Username``): :data:`NOTHING` without a
    hook. Raises what the hook raises."""
    if hook is None:
        return NOTHING
    sub = attributes_of(user).get("sub") or str(user.get("Username", ""))
    ended = hook(email, sub, done)
    if ended is None:
        return PrivXEnded(NO_DIRECTORY)
    return PrivXEnded(ended.words(), ended.sessions, ended.connections, ended.records)


__all__ = ["NOTHING", "NO_DIRECTORY", "WOULD_END", "EndPrivX", "PrivXEnded", "end_privx"]
