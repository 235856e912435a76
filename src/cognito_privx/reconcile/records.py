"""How setup keeps our ownership records (ARCHITECTURE.md#ownership): on the pool (cognito/record.py) and on the
PrivX directory (privx/record.py). Each record is written *before* the objects it names are made (the domain's
prefix, ``creating`` for the app client, ``pending`` role names) and completed after, so a crash at any point
leaves a record the next run can finish, and never one naming an object someone else made."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from cognito_privx import cognito, privx
from cognito_privx.desired import DesiredState, search_string_for
from cognito_privx.plan import KNOWN_AFTER_APPLY

if TYPE_CHECKING:  # types-boto3-cognito-idp: type checking only
    from types_boto3_cognito_idp.type_defs import UserPoolClientTypeTypeDef, UserPoolTypeTypeDef


def pool_intent(
    before: cognito.PoolRecord,
    desired: DesiredState,
    pool: UserPoolTypeTypeDef | None,
    client: UserPoolClientTypeTypeDef | None,
) -> cognito.PoolRecord | None:
    """The pool's record before the client and domain steps (``None`` while the pool does not exist yet).

    The domain: the configured prefix when this run will create it (a domain already there under that prefix and
    not recorded was there before: not ours). The client: ``creating`` when this run will create it; a client found
    while the record says ``creating`` is the one a crashed run made.
    """
    if pool is None:
        return None
    intent = replace(before, present=True)
    if desired.domain is not None and pool.get("Domain") != desired.domain.prefix:
        intent = replace(intent, domain=desired.domain.prefix)
    if client is None:
        intent = replace(intent, client=cognito.CREATING)
    elif intent.client == cognito.CREATING:
        intent = replace(intent, client=client["ClientId"])
    return intent


def pool_final(intent: cognito.PoolRecord, client_id: str | None) -> cognito.PoolRecord:
    if intent.client == cognito.CREATING and client_id:
        return replace(intent, client=client_id)
    return intent


def claim_pending(
    record: privx.DirectoryRecord, roles: list[dict[str, Any]], directory_id: str | None
) -> privx.DirectoryRecord:
    """``record`` with the roles a crashed run created (named in ``pending``, found with our marker for this
    directory: privx/rules.py ``made_by_us``) recorded by id; a role of a pending name without that marker is
    someone else's. Setup (:func:`directory_pre`) and teardown make this same claim."""
    if not record.pending or directory_id is None:
        return record
    claimed = [
        str(r.get("id"))
        for r in roles
        if str(r.get("name")) in record.pending and not r.get("system") and privx.made_by_us(r, directory_id)
    ]
    return replace(record, roles=tuple(dict.fromkeys((*record.roles, *claimed))))


def directory_pre(
    before: privx.DirectoryRecord,
    desired: DesiredState,
    roles: list[dict[str, Any]],
    directory_id: str | None = None,
) -> privx.DirectoryRecord:
    """The directory's record before the grants: the roles it names that still exist (and a pending one found,
    made by a crashed run: :func:`claim_pending`), the roles this run will create as ``pending``, and the groups it
    named together with the ones the config grants (so nothing this run writes is ever unrecorded)."""
    by_name = {str(r.get("name")): str(r.get("id")) for r in roles}
    existing = set(by_name.values())
    claimed = claim_pending(before, roles, directory_id).roles
    kept = tuple(dict.fromkeys(r for r in claimed if r in existing))
    pending = tuple(r.name for r in desired.roles if r.name not in by_name)
    groups = tuple(sorted({*before.groups, *(g.group for g in desired.grants)}))
    forms = tuple(dict.fromkeys((*before.forms, desired.rule_template)))
    return privx.DirectoryRecord(True, kept, pending, groups, forms)


def directory_final(
    pre: privx.DirectoryRecord, desired: DesiredState, directory_id: str, roles: list[dict[str, Any]]
) -> privx.DirectoryRecord:
    """The record after the grants: the roles created (pending names now found, by id) and the groups the config
    grants, with any recorded group whose leaf could not be revoked (a copy inside an ALL group stays ours)."""
    by_name = {str(r.get("name")): str(r.get("id")) for r in roles}
    created = [by_name[n] for n in pre.pending if n in by_name]
    owned = privx.owned_search_strings(desired.rule_template, pre.groups, pre.forms)
    leaves = [str(leaf.get("search_string")) for role in roles for leaf in privx.our_leaves(role, directory_id, owned)]
    left = {privx.group_in(s, desired.rule_template, pre.forms) for s in leaves}
    groups = {g.group for g in desired.grants} | {g for g in left if g is not None and g in pre.groups}
    # An old form stays recorded while a leaf of it is left (one that could not be revoked, e.g. inside ALL).
    current = {search_string_for(desired.rule_template, g) for g in pre.groups}
    forms = (desired.rule_template, *(f for f in pre.forms if any(s not in current for s in leaves)))
    return privx.DirectoryRecord(
        True, tuple(dict.fromkeys((*pre.roles, *created))), (), tuple(sorted(groups)), tuple(dict.fromkeys(forms))
    )


def roles_after_plan(
    pre: privx.DirectoryRecord, desired: DesiredState, directory_id: str, roles: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """For plan: the roles as setup's grant steps will leave them, as far as the record needs them — every leaf of
    ours the config no longer asks for revoked where it can be (a copy inside an ALL group stays), and each role
    setup creates present by name, its id known after apply."""
    owned = privx.owned_search_strings(desired.rule_template, pre.groups, pre.forms)
    doomed = set(owned - {g.search_string for g in desired.grants})
    after = [privx.remove_leaves(role, directory_id, doomed)[0] for role in roles]
    names = {str(r.get("name")) for r in roles}
    created = [{"name": n, "id": KNOWN_AFTER_APPLY} for n in pre.pending if n not in names]
    return [*after, *created]
