"""Who loses a role when a grant is revoked: the users of our directory that hold the role through the revoked rule
now and that the role's rules after the change no longer match (issue 21, item 2).

PrivX answers "who does this rule match" with ``POST /role-store/api/v1/roles/evaluate`` (privx-sdk-go
``rolestore.EvaluateRole``: the users a role definition matches now, ``ResultSet[User]``). Calls: one evaluate per
revoked rule and one for the role as it will be (none when no rule is left), whatever the number of users; where
PrivX does not offer evaluate (404) or fails (5xx), the role's members (``GET /role-store/api/v1/roles/{id}/members``,
paged) stand in for the users of the rule, and nobody is assumed to keep the role (an over-count, never an
under-count). Only users whose ``source`` is our directory count, and never the login rehearsal's identities
(:func:`cognito_privx.desired.is_rehearsal`): they are the tool's, and the rehearsal ends its own sessions.

Their live sessions keep the role until PrivX refreshes their access token, at an interval PrivX does not publish
(docs/privx-api.md#sessions-and-connections); ``setup --end-sessions`` ends them (:func:`~.sessions.end_user`);
after a ``setup`` without it, ``cognito-privx end-sessions`` by their addresses (a later run cannot find them).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cognito_privx.desired import is_rehearsal
from cognito_privx.privx import answers
from cognito_privx.privx.rules import leaves, role_rule
from cognito_privx.privx.sessions import pages
from cognito_privx.privx.transport import ROLES_PATH

if TYPE_CHECKING:
    from cognito_privx.privx.client import PrivXClient

# How many holders a plan line names before "and N more"; how many addresses setup's end-sessions line gives.
NAMED = 5
COMMANDED = 10


@dataclass(frozen=True)
class Holder:
    """A PrivX user of our directory who holds a role now: its PrivX ``id`` and ``principal`` (their email)."""

    id: str
    principal: str

    def to_json(self) -> dict[str, str]:
        return {"id": self.id, "principal": self.principal}


def of_directory(users: Iterable[Mapping[str, Any]], directory_id: str) -> dict[str, Holder]:
    """The users of ``directory_id`` among ``users`` (PrivX ``User`` objects), rehearsal identities left out, by id."""
    out = {}
    for user in users:
        name = str(user.get("principal") or user.get("email") or "")
        if user.get("source") != directory_id or not user.get("id"):
            continue
        if is_rehearsal(str(user.get("email") or "")) or is_rehearsal(name):
            continue
        out[str(user["id"])] = Holder(str(user["id"]), name)
    return out


def _matched(px: PrivXClient, role: Mapping[str, Any], rules: Any) -> list[dict[str, Any]] | None:
    return px.evaluate({**role, "source_rules": rules})


def losing(
    px: PrivXClient, role: Mapping[str, Any], after: Mapping[str, Any], revoked: Iterable[str], directory_id: str
) -> dict[str, tuple[Holder, ...]]:
    """Per revoked ``search_string``: the users of ``directory_id`` who hold ``role`` through it now and whom
    ``after`` (the role as the change leaves it) no longer matches, ordered by principal.

    Raises what :meth:`PrivXClient.evaluate` raises (a 400: PrivX refused the rules)."""
    revoked = list(revoked)
    if not revoked:
        return {}
    keep: set[str] = set()
    if leaves(after.get("source_rules")):
        kept = _matched(px, role, after.get("source_rules"))
        keep = set(of_directory(kept or [], directory_id))
    members: list[dict[str, Any]] | None = None
    out = {}
    for search in revoked:
        one = {"type": "GROUP", "match": "ANY", "rules": [role_rule(directory_id, search)]}
        now = _matched(px, role, one)
        if now is None:  # evaluate not offered: the role's members now, every one counted
            if members is None:
                path = f"{ROLES_PATH}/{role.get('id')}/members"
                members = [u for items in pages(px, "GET", path, shape=answers.Users) for u in items]
            now, keep = members, set()
        found = of_directory(now, directory_id)
        out[search] = tuple(sorted((h for i, h in found.items() if i not in keep), key=lambda h: h.principal))
    return out


def words(holders: tuple[Holder, ...], *, after: str = "plan") -> str:
    """The note about a revoked grant's holders: how many, who, and what happens to their live sessions.

    ``after``: ``"plan"`` (nothing written yet: `setup --end-sessions` can still find them and end their sessions);
    ``"revoked"`` (setup wrote the revocation without ``--end-sessions``: once the rule is gone PrivX no longer
    counts them as holders, so the note names the command that ends them by address, the first
    :data:`COMMANDED` of them); ``"ended"`` (setup ends them right after: no "keep it")."""
    if not holders:
        return "no PrivX user of the directory holds it now through this rule"
    n = len(holders)
    users = f"{n} PrivX user{'s' if n != 1 else ''} of the directory"
    if after == "revoked":
        names = " ".join(h.principal or h.id for h in holders[:COMMANDED])
        more = f" (and {n - COMMANDED} more; `-o json` lists all)" if n > COMMANDED else ""
        return (
            f"{users} held it; their live sessions keep it until PrivX refreshes their access token (PrivX does not "
            f"publish when): end them now with `cognito-privx end-sessions {names}`{more}"
        )
    names = ", ".join(h.principal or h.id for h in holders[:NAMED])
    more = f" and {n - NAMED} more" if n > NAMED else ""
    if after == "ended":
        return f"{users} held it ({names}{more}); their sessions and connections are ended below"
    return (
        f"{users} hold{'s' if n == 1 else ''} it now ({names}{more}); "
        "their live sessions keep it until PrivX refreshes their access token (PrivX does not publish when): "
        "`setup --end-sessions` ends those sessions"
    )


__all__ = ["COMMANDED", "NAMED", "Holder", "losing", "of_directory", "words"]
