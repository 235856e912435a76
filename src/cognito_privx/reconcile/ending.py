"""``setup --end-sessions`` (and ``plan --end-sessions``): the live PrivX sessions and connections of the users who
lose a role by a revocation, ended right after the revocation is written (issue 21, item 2).

Whom: the holders a grant step counted before anything was written (:attr:`cognito_privx.privx.RoleStep.holders`,
:mod:`cognito_privx.privx.holders`). They are known only then: once the rule is gone PrivX no longer counts them
as holders, so a later run cannot find them again. A refusal (the API client's role lacks a permission) is
therefore not "run again": the error lists the users whose sessions were not ended, by principal and PrivX id, for
the administrator to end by hand or, with the permission added, with ``end-sessions`` (their addresses).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cognito_privx import privx
from cognito_privx.errors import PrivXPermissionError
from cognito_privx.plan import Action, Change
from cognito_privx.privx.holders import Holder
from cognito_privx.privx.sessions import EndedAccess, end_user, live_connections, user_sessions


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


@dataclass
class Refusals:
    """The holders whose sessions were not ended, and the first refusal (its permission and hint)."""

    users: list[Holder] = field(default_factory=list)
    error: PrivXPermissionError | None = None

    def error_if_any(self) -> PrivXPermissionError | None:
        """The error to end the run with (exit 1), naming the permission and every user not ended; ``None``."""
        if self.error is None:
            return None
        names = ", ".join(f"{h.principal or '?'} (PrivX user {h.id})" for h in self.users)
        error = PrivXPermissionError(
            f"the grant changes are done, but live sessions of {len(self.users)} user(s) who lost a role were not "
            f"ended: {names}. {self.error.message}",
            f"give the API client's PrivX role the permission {self.error.permission or '(see above)'} "
            "(docs/permissions.md#privx); a re-run of setup cannot find these users again (the role no longer names "
            "them): with the permission added, run `cognito-privx end-sessions "
            + " ".join(h.principal or h.id for h in self.users)
            + "`, or end their sessions in PrivX",
            status=self.error.status,
        )
        error.permission = self.error.permission
        return error


def end_holders(px: privx.PrivXClient, step: privx.RoleStep, *, dry_run: bool, refusals: Refusals) -> Change:
    """The change that ends (or, ``dry_run``, would end) the live sessions and connections of ``step``'s holders.

    A refusal is added to ``refusals`` (the holders not ended yet) instead of raised, so that the other grant
    changes are still made; the run ends with it (:meth:`Refusals.error_if_any`)."""
    revoked = next(c for c in step.changes if c.verb == "revoke")
    role = dict(revoked.data).get("role", revoked.name)
    name = f"of {len(step.holders)} user(s) who lose {role}"
    data: tuple[tuple[str, object], ...] = (("role", role), ("users", [h.to_json() for h in step.holders]))
    if dry_run:
        sessions = sum(len(user_sessions(px, h.id)) for h in step.holders)
        connections = sum(1 for _ in live_connections(px, [h.id for h in step.holders]))
        data += (("sessions", sessions), ("connections", connections))
        if not (sessions or connections):
            return Change(
                "privx sessions", name, Action.NOOP, notes=("no live PrivX session or connection",), data=data
            )
        note = (
            f"would end {_count(sessions, 'PrivX session')} and {_count(connections, 'connection')} of "
            f"{len(step.holders)} user(s)"
        )
        return Change("privx sessions", name, Action.DELETE, notes=(note,), verb="end", data=data)
    sessions = connections = 0
    left: tuple[Holder, ...] = ()
    for i, holder in enumerate(step.holders):
        try:
            s, c = end_user(px, holder.id)
        except PrivXPermissionError as e:
            left = step.holders[i:]
            refusals.users.extend(left)
            refusals.error = refusals.error or e
            break
        sessions, connections = sessions + s, connections + c
    data += (("sessions", sessions), ("connections", connections), ("not_ended", [h.to_json() for h in left]))
    notes: tuple[str, ...] = (EndedAccess(len(step.holders), sessions, connections).words(),)
    if left:
        refused = f"PrivX refused to end those of {len(left)} user(s): see the error below"
        notes = (*notes, refused) if sessions or connections else (refused,)
    action = Action.DELETE if sessions or connections else Action.NOOP
    return Change("privx sessions", name, action, notes=notes, verb="end" if action is Action.DELETE else "", data=data)


__all__ = ["Refusals", "end_holders"]
