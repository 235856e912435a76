"""How setup keeps our ownership records (ARCHITECTURE.md#ownership): on the pool (cognito/record.py) and on the
PrivX directory (privx/record.py). Each record is written *before* the objects it names are made (the domain's
prefix, ``creating`` for the app client, ``pending`` role names) and completed after, so a crash at any point
leaves a record the next run can finish, and never one naming an object someone else made."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from cognito_privx import cognito, privx
from cognito_privx.desired import DesiredState, search_string_for
from cognito_privx.errors import PrivXNotFoundError, PrivXPermissionError
from cognito_privx.plan import KNOWN_AFTER_APPLY
from cognito_privx.privx.accounts import CLAIM, TARGET, Direction, dropped, evidence, keyed_by_words, stored_direction

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
        True,
        tuple(dict.fromkeys((*pre.roles, *created))),
        (),
        tuple(sorted(groups)),
        tuple(dict.fromkeys(forms)),
        pre.mapping,
    )


def account_mapping_direction(
    px: privx.PrivXClient, desired: DesiredState, pre: privx.DirectoryRecord, directory: dict[str, Any] | None
) -> tuple[privx.DirectoryRecord, Direction, tuple[str, ...]]:
    """The direction to write ``attribute_mapping`` in (privx/accounts.py), the record with it when a login has just
    shown it, and the notes that say so. Recorded earlier: kept. Unverified: the users of our directory are read
    (newest first; ``users-view``) for a login after the directory's last write; none yet, the map stays as it is
    written (keyed by target at first) and the note says the direction is unverified."""
    mapping = dict(desired.directory.account_mapping)
    if not mapping:
        return pre, TARGET, ()
    recorded = pre.mapping if pre.mapping in (TARGET, CLAIM) else None
    if recorded is not None:
        return pre, recorded, _dropped(mapping, recorded)
    written = stored_direction(directory) or TARGET
    found, why = None, "no login since it was written shows it yet"
    if directory is not None:
        try:
            users = px.search_users(str(directory["id"]), newest_first=True)
        except (PrivXPermissionError, PrivXNotFoundError) as e:
            users, why = [], f"the directory's users cannot be read ({e.message}; needs users-view)"
        found = evidence(users, directory, mapping)
    if found is None:
        note = (
            f"account mapping direction unverified: written {keyed_by_words(written)} ({why}); a login settles it: "
            "run `cognito-privx doctor --login`, then setup"
        )
        return pre, written, (note, *_dropped(mapping, written))
    note = f"account mapping: {found.text()}; recorded, and written so from now on"
    return replace(pre, mapping=found.found), found.found, (note, *_dropped(mapping, found.found))


def _dropped(mapping: dict[str, str], direction: Direction) -> tuple[str, ...]:
    lost = dropped(mapping, direction)
    if not lost:
        return ()
    return (f"a map {keyed_by_words(direction)} holds one target per claim: PrivX sets no {', '.join(lost)}",)


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
