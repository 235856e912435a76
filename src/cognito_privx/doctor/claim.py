"""The check ``group-claim`` (with ``doctor --login``): existing users of each ``[roles]`` group have it where
``[cognito] group_claim`` reads it (the custom attribute set, or the native group membership present).

The login rehearsal proves the wiring with an identity prepared fresh each time, so it passes after a
``group_claim`` switch that left every real user's groups behind. This check reads the real users instead,
without signing in as them (no password is needed or used): :func:`cognito_privx.reconcile.migration.survey`.
"""

from __future__ import annotations

from cognito_privx import cognito
from cognito_privx.desired import DesiredState
from cognito_privx.doctor.checks import need_pool
from cognito_privx.doctor.facts import Facts
from cognito_privx.doctor.registry import Definition, fail
from cognito_privx.reconcile import migration

NAME = "group-claim"
MIGRATE_HINT = (
    "run `cognito-privx setup`: it moves them to where the claim reads their groups (the group_claim migration; "
    "`cognito-privx plan` lists them first)"
)


def definition(gw: cognito.CognitoGateway) -> Definition:
    """The ``group-claim`` check over ``gw`` (read-only: ``ListUsers``, ``ListUsersInGroup`` per group)."""

    def body(facts: Facts, desired: DesiredState) -> str:
        pool = need_pool(facts)
        found = migration.survey(
            gw,
            migration.retrying_request(gw),
            pool["Id"],
            attribute=desired.attribute.attribute_name,
            role_groups=frozenset(g.group for g in desired.grants),
            native=desired.directory.tags_claim == migration.NATIVE,
        )
        return verdict(found, sorted({g.group for g in desired.grants}))

    return Definition.single(NAME, body, cognito=True)


def verdict(found: migration.Survey, groups: list[str]) -> str:
    """The check's ``ok`` message, or raises its failure: users left behind by a ``group_claim`` switch fail it,
    naming the migration; users with several native groups under the attribute claim fail naming ``set-group``."""
    claim = f"group_claim = {found.claim!r}"
    if found.moves:
        named = ", ".join(f"{m.email} ({', '.join(m.groups)})" for m in found.moves[: migration.SHOWN])
        more = f" and {len(found.moves) - migration.SHOWN} more" if len(found.moves) > migration.SHOWN else ""
        raise fail(
            f"{len(found.moves)} existing user(s) have their groups in {found.source()}, which {claim} does not "
            f"read: their sign-ins get no tags and no roles: {named}{more}",
            MIGRATE_HINT,
        )
    blocked = [x for x in found.left if x.blocking]
    if blocked:
        raise fail(
            f"{len(blocked)} existing user(s) have groups {claim} cannot carry: "
            + "; ".join(f"{x.email}: {x.why}" for x in blocked[: migration.SHOWN]),
            "choose each one's group with `cognito-privx set-group`",
        )
    seen = [f"{g}: {found.members[g][0]}" for g in groups if found.members.get(g)]
    empty = [g for g in groups if not found.members.get(g)]
    message = f"existing users have their groups where {claim} reads them"
    message += f" ({'; '.join(seen)})" if seen else ""
    message += f"; no existing user of {', '.join(empty)}" if empty else ""
    return message


__all__ = ["NAME", "definition", "verdict"]
