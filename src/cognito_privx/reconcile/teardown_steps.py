"""``teardown``: the same machinery as setup with "nothing of ours" as the desired state, in reverse order (live
PrivX sessions and connections of our directory's users → PrivX grants → directory → domain → branding → app client
→ groups → pool); only what is provably ours is removed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from cognito_privx import cognito, privx
from cognito_privx.cognito.tags import retag_pool
from cognito_privx.desired import DesiredState
from cognito_privx.errors import CognitoError, ForeignResourceError
from cognito_privx.plan import Action, Change, FieldChange, Plan

if TYPE_CHECKING:  # types-boto3-cognito-idp: type checking only
    from types_boto3_cognito_idp.type_defs import UserPoolClientTypeTypeDef, UserPoolTypeTypeDef

from cognito_privx.reconcile.lock import PoolLock, locked_pool
from cognito_privx.reconcile.observation import directory_record_of, pool_identity, pool_record_of
from cognito_privx.reconcile.offboarding import end_live_access, live_access
from cognito_privx.reconcile.records import claim_pending
from cognito_privx.reconcile.services import Services
from cognito_privx.reconcile.setup_steps import Outputs, Result, attempting


@dataclass(frozen=True)
class Step:
    """One planned change of a teardown and how to carry it out (``None``: nothing to do)."""

    change: Change
    apply: Callable[[], None] | None = None


def teardown(
    desired: DesiredState,
    services: Services,
    *,
    dry_run: bool,
    keep_pool: bool = False,
    delete_adopted_pool: bool = False,
    confirm: Callable[[list[Change]], bool] | None = None,
    lock: PoolLock | None = None,
    on_change: Callable[[Change], None] | None = None,
) -> Result:
    """Remove what setup made, PrivX side first, so no dead login button or dangling rule is left.

    The same machinery as setup with "nothing of ours" as the desired state: every rule leaf whose source is our
    directory is revoked from every role; roles we created are deleted once nothing else is in them; then the
    directory, the domain, the app client, our native groups (when the pool stays) and the pool. Only what is
    provably ours is touched: the pool by its tag (an adopted pool is kept unless ``delete_adopted_pool``), the
    directory by its issuer. Everything is observed and the whole list confirmed (``confirm`` gets every change:
    DELETE, and what stays) before the first change; a refusal raises :class:`UsageError` and removes nothing.
    ``lock`` (the run lock's ``hold``, reconcile/lock.py) is taken on the pool before anything else is read.
    ``on_change`` sees each change once it is made (a refused one as refused, then the error is raised), so a
    teardown stopped half-way has said what it removed.
    """
    from cognito_privx.errors import UsageError

    gw, px = services.cognito, services.privx
    px.login()
    steps: list[Step] = []
    pool_notes: list[str] = []
    try:
        pool = locked_pool(gw, desired.pool, lock)
    except ForeignResourceError as e:
        pool, pool_notes = None, [f"left alone: {e.message}"]
    found = privx.find_directories(px, desired.directory.name, pool_identity(desired, pool))
    directory = found.ours
    client = cognito.find_client(gw, desired.client, pool["Id"]) if pool else None
    adopted = pool is not None and cognito.is_adopted(pool)
    delete_pool = pool is not None and not keep_pool and (not adopted or delete_adopted_pool)
    record, _ = pool_record_of(desired, pool, client)

    # 0. Live access through our directory: its users' sessions and connections, ended first (PrivX applies the
    # grants' removal only when a session refreshes its token; reconcile/offboarding.py).
    if directory is not None:
        live = live_access(px, str(directory["id"]))
        if live.users:
            steps.append(
                Step(
                    Change("privx sessions", str(directory.get("name")), Action.DELETE, notes=(live.words(),)),
                    lambda: end_live_access(px, live),
                )
            )
    # 1. Grants: every leaf of ours (our record's groups), in every role; roles we made (our record), once empty.
    if directory is not None:
        owned = {r.name: r.permissions for r in desired.roles}
        roles = px.list_roles()
        granted, _ = directory_record_of(desired, directory, roles)
        granted = claim_pending(granted, roles, str(directory["id"]))  # a role a killed setup created
        for role_step in privx.plan_grants(
            px,
            desired.nothing(),
            str(directory["id"]),
            roles,
            owned_permissions=owned,
            delete_unused=True,
            record=granted,
        ):
            for i, change in enumerate(role_step.changes):
                steps.append(Step(change, role_step.apply if i == 0 else None))
    # 2. The directory: no login button pointing at a pool that is about to go.
    name = desired.directory.name
    if directory is not None:
        left = _others_rules_note(desired, str(directory["id"]), roles, granted)
        steps.append(
            Step(
                Change("privx directory", str(directory.get("name")), Action.DELETE, notes=left),
                lambda: px.delete_source(str(directory["id"])),
            )
        )
    elif found.foreign is not None:
        steps.append(
            Step(Change("privx directory", name, Action.NOOP, notes=(f"left alone: {found.foreign_reason()}",)))
        )
    else:
        steps.append(Step(Change("privx directory", name, Action.NOOP, notes=("already gone",))))
    # 3-6. Cognito: the domain (a pool with a domain cannot be deleted), the app client, our groups, the pool.
    if pool is not None:
        steps.extend(_cognito_teardown_steps(gw, desired, pool, client, record, delete_pool=delete_pool))
    else:
        steps.append(Step(Change("cognito app client", desired.client.name, Action.NOOP, notes=("already gone",))))
    if pool is not None and delete_pool:
        notes = [f"{pool.get('EstimatedNumberOfUsers', 0)} user(s) go with it"]
        if pool.get("DeletionProtection") == "ACTIVE":
            notes.append("deletion protection is switched off first")
        if adopted:
            notes.append("adopted with --adopt; deleted because of --delete-adopted-pool")
        steps.append(
            Step(
                Change("cognito user pool", f"{desired.pool.name} ({pool['Id']})", Action.DELETE, notes=tuple(notes)),
                lambda: cognito.delete_pool(gw, pool),
            )
        )
    elif pool is not None:
        why = (
            "kept (--keep-pool)"
            if keep_pool
            else (
                f"kept: adopted with --adopt, with its {pool.get('EstimatedNumberOfUsers', 0)} user(s); "
                "pass --delete-adopted-pool to delete it"
            )
        )
        steps.append(Step(Change("cognito user pool", desired.pool.name, Action.NOOP, notes=(why,))))
        if adopted:
            steps.extend(_untag_steps(gw, desired, pool))
    else:
        steps.append(
            Step(
                Change(
                    "cognito user pool", desired.pool.name, Action.NOOP, notes=tuple(pool_notes) or ("already gone",)
                )
            )
        )

    # What would refuse the pool's delete half-way (botocore's model: UserImportInProgressException), found before
    # the first deletion: a run refused here has removed nothing (cognito/blockers.py).
    if pool is not None and delete_pool:
        try:
            jobs = cognito.running_import_jobs(gw, str(pool["Id"]))
        except CognitoError as e:
            # Only adds information: an endpoint without the call (cognito-local) or an IAM policy without it
            # leaves Cognito's own refusal (UserImportInProgressException) to say it, at the pool's delete.
            note = cognito.unavailable_note(e, "cognito-idp:ListUserImportJobs", "running user import jobs")
            if note is None:
                raise
            jobs, note = [], f"warning: {note}"
            steps[-1] = Step(replace(steps[-1].change, notes=(*steps[-1].change.notes, note)), steps[-1].apply)
        if jobs and not dry_run:
            raise cognito.import_jobs_block(jobs, str(pool["Id"]))
        if jobs:
            block = f"blocked: import job {jobs[0].get('JobId')} is running (stop it or wait before teardown)"
            steps[-1] = Step(replace(steps[-1].change, notes=(*steps[-1].change.notes, block)), steps[-1].apply)
    plan = Plan([s.change for s in steps])
    deletions = [s.change for s in steps if s.change.action is Action.DELETE]
    if deletions and not dry_run and confirm is not None and not confirm(plan.changes):
        raise UsageError("nothing was removed", "confirm the list above, or pass --yes")
    if not dry_run:
        made = Plan(listener=on_change)
        for s in steps:
            if s.apply is not None:
                with attempting(made, s.change):
                    s.apply()
            made.add(s.change)
    empty = Outputs("", "", "", None, desired.client.callback_url, "", "")
    return Result(plan, empty, dict(services.counter.calls))


def _cognito_teardown_steps(
    gw: cognito.CognitoGateway,
    desired: DesiredState,
    pool: UserPoolTypeTypeDef,
    client: UserPoolClientTypeTypeDef | None,
    record: cognito.PoolRecord,
    *,
    delete_pool: bool,
) -> list[Step]:
    """The pool's domain and app client go with the pool; on a pool that stays, only those our record names (and
    the domain only while ``domain_prefix`` is set: empty means no domain is managed)."""
    steps: list[Step] = []
    pool_id = str(pool["Id"])
    domain = pool.get("Domain")
    if domain and not delete_pool and not (desired.domain is not None and record.owns_domain(domain)):
        why = (
            "domain_prefix is empty: no domain is managed" if desired.domain is None else "not created by cognito-privx"
        )
        steps.append(Step(Change("cognito domain", domain, Action.NOOP, notes=(f"left alone: {why}",))))
    elif domain:

        def delete_domain() -> None:
            cognito.delete_domain(gw, domain, pool_id)

        steps.append(Step(Change("cognito domain", domain, Action.DELETE), delete_domain))
    else:
        prefix = desired.domain.prefix if desired.domain else "(none)"
        steps.append(Step(Change("cognito domain", prefix, Action.NOOP, notes=("already gone",))))
    if client is not None and not delete_pool and not record.owns_client(client):
        why = "left alone: it was there before cognito-privx adopted the pool"
        steps.append(Step(Change("cognito app client", desired.client.name, Action.NOOP, notes=(why,))))
        client = None
        leave_client = True
    else:
        leave_client = False
    if client is not None and desired.domain is not None and desired.domain.needs_branding:
        style = cognito.find_branding(gw, pool_id, str(client["ClientId"]))
        if style is not None:
            style_id = str(style["ManagedLoginBrandingId"])

            def delete_branding() -> None:
                cognito.delete_branding(gw, pool_id, style_id)

            steps.append(Step(Change(cognito.BRANDING, desired.client.name, Action.DELETE), delete_branding))
    if client is not None:
        client_id = str(client["ClientId"])

        def delete_client() -> None:
            cognito.delete_client(gw, pool_id, client_id)

        steps.append(Step(Change("cognito app client", desired.client.name, Action.DELETE), delete_client))
    elif not leave_client:
        steps.append(Step(Change("cognito app client", desired.client.name, Action.NOOP, notes=("already gone",))))
    if not delete_pool:
        for name, group in sorted(cognito.list_groups(gw, pool_id).items()):
            if not cognito.is_our_group(group):
                continue
            if cognito.group_is_empty(gw, pool_id, name):
                change = Change("cognito group", name, Action.DELETE, notes=("created by cognito-privx; empty",))
                steps.append(Step(change, _group_deleter(gw, pool_id, name)))
            else:
                steps.append(Step(Change("cognito group", name, Action.NOOP, notes=("kept: it still has members",))))
    return steps


def _group_deleter(gw: cognito.CognitoGateway, pool_id: str, name: str) -> Callable[[], None]:
    def delete() -> None:
        cognito.delete_group(gw, pool_id, name)

    return delete


def _others_rules_note(
    desired: DesiredState, directory_id: str, roles: list[dict[str, Any]], record: privx.DirectoryRecord
) -> tuple[str, ...]:
    """The rules of others (not in a form and group our record names) that still point at the directory about to
    be deleted: PrivX keeps a rule whose source is gone, and it matches no one (the emulator, core.py choice 8)."""
    owned = privx.owned_search_strings(desired.rule_template, record.groups, record.forms)
    held = [
        str(role.get("name"))
        for role in roles
        for leaf in privx.our_leaves(role, directory_id)
        if leaf.get("search_string") not in owned
    ]
    if not held:
        return ()
    return (
        f"{len(held)} rule(s) of others still point at this directory: "
        f"{', '.join(f'role {name}' for name in dict.fromkeys(held))} "
        "(PrivX keeps them; they match no one once it is gone)",
    )


def _untag_steps(gw: cognito.CognitoGateway, desired: DesiredState, pool: UserPoolTypeTypeDef) -> list[Step]:
    """An adopted pool that stays loses our tags (managed-by, adopted, the ownership record), so a later setup
    needs --adopt again; the run lock's own tag goes when the run ends (reconcile/lock.py). UntagResource removes
    only those keys: every other tag and setting is left (an endpoint without the tag calls gets the rest of the tag
    set through UpdateUserPool: :func:`cognito.tags.retag_pool`)."""
    tags = pool.get("UserPoolTags") or {}
    ours = sorted(k for k in tags if cognito.is_our_tag(k))
    if not ours:
        return []
    pool_id = str(pool["Id"])

    def untag() -> None:
        retag_pool(gw, pool_id, remove=ours)

    fields = tuple(FieldChange(k, tags[k], None) for k in ours)
    why = "the pool stays; without our tags a later setup needs --adopt again"
    return [Step(Change("cognito user pool tags", desired.pool.name, Action.DELETE, fields, (why,)), untag)]
