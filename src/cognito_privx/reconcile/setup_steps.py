"""``setup`` (and ``plan``, its dry run): observe, then the ensure steps in order, Cognito first (pool → attribute
→ MFA → app client → domain → managed-login branding → groups), then PrivX (directory → grants); ids and the
app-client secret pass from one step to the next in memory only. What a run returns: :class:`Result`, with its
:class:`Outputs`."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

from cognito_privx import cognito, privx
from cognito_privx.desired import DesiredState
from cognito_privx.errors import CognitoPrivxError, ConflictError, UsageError, refusal_of
from cognito_privx.plan import KNOWN_AFTER_APPLY, Action, Change, Plan
from cognito_privx.privx import holders as holding
from cognito_privx.reconcile import migration, records
from cognito_privx.reconcile.ending import Refusals, end_holders
from cognito_privx.reconcile.lock import PoolLock
from cognito_privx.reconcile.observation import HeldSecret, held_secret, observe, open_path_notes
from cognito_privx.reconcile.services import Services, WriteAhead


@dataclass(frozen=True)
class Outputs:
    pool_id: str
    client_id: str
    issuer: str
    domain: str | None
    callback_url: str
    directory_id: str
    login_url: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Result:
    """A run: its plan, outputs and calls; ``error``: a refusal met after every change was made (``setup
    --end-sessions`` not allowed to end sessions), for the command to report after its output (exit 1)."""

    plan: Plan
    outputs: Outputs
    calls: dict[str, int]
    error: CognitoPrivxError | None = None


@contextlib.contextmanager
def attempting(plan: Plan, *planned: Change) -> Iterator[None]:
    """Run a step's writes; when the server refuses one (or it fails), add the ``planned`` changes as refused
    (``✗ create privx role developers: refused (403: needs roles-manage)``) before the error goes on, so a run
    says what it did not do as well as what it did. Every change a step made is added after its writes, by the
    caller: a change is reported when it has happened (ARCHITECTURE.md#the-ensure-contract)."""
    try:
        yield
    except CognitoPrivxError as e:
        if not isinstance(e, UsageError):
            verb, reason = refusal_of(e)
            for change in planned:
                plan.add(change.refusal(reason, verb))
        raise


def pending(resource: str, name: str) -> Change:
    """A step's change before its outcome is known (what a refusal is reported as, when the step's own change is
    only computed by its writes: the Cognito ensure steps)."""
    return Change(resource, name, Action.NOOP)


class _LostPoolRace(Exception):
    """A concurrent run created the pool first; carry on with its pool (``pool_id``)."""

    def __init__(self, pool_id: str, note: str) -> None:
        super().__init__(note)
        self.pool_id = pool_id
        self.note = note


def setup(
    desired: DesiredState,
    services: Services,
    *,
    dry_run: bool,
    adopt: bool = False,
    on_change: Callable[[Change], None] | None = None,
    resend_secret: bool = False,
    lock: PoolLock | None = None,
    end_sessions: bool = False,
    fresh_secret: tuple[str, str] | None = None,
) -> Result:
    """Bring Cognito and PrivX to the config (or, with ``dry_run``, only say what that would change).

    Both directions: what the config grants is created, what it no longer grants is revoked. ``on_change`` sees
    every change as it happens, so a run that fails half-way has already said what it did. When a concurrent
    run created the pool first, this run deleted its own and converges that run's pool instead. ``lock`` (the run
    lock's ``hold``, reconcile/lock.py) is taken on the pool before anything is read from it.
    """
    try:
        return _setup_once(
            desired,
            services,
            dry_run=dry_run,
            adopt=adopt,
            on_change=on_change,
            resend_secret=resend_secret,
            lock=lock,
            end_sessions=end_sessions,
            fresh_secret=fresh_secret,
        )
    except _LostPoolRace as race:
        pinned = replace(desired, pool=replace(desired.pool, pool_id=race.pool_id))
        return _setup_once(
            pinned,
            services,
            dry_run=dry_run,
            adopt=adopt,
            on_change=on_change,
            pool_note=race.note,
            resend_secret=resend_secret,
            lock=lock,
            end_sessions=end_sessions,
            fresh_secret=fresh_secret,
        )


def converged(
    desired: DesiredState, services: Services, *, adopt: bool = False, end_sessions: bool = False
) -> Result | None:
    """``setup`` where nothing needs changing, run without the run lock: setup's own steps (not plan's: the same
    checks, notes and outputs as a run that converges) with every write stopped before it is sent
    (:meth:`CallCounter.reads_only`). A no-op needs no lock: it reads what ``plan`` reads and writes nothing, not
    even the lock's tag (issue 24: a no-op ``setup`` at the minimum of reads).

    Returns the run's :class:`Result` when it ended having written and changed nothing; ``None`` when it was about
    to write, or met a conflict (:class:`ConflictError`, :class:`SecretNeeded` included), which a concurrent run's
    half-made deployment can cause: the caller then runs ``setup`` under the lock, which reads everything again
    (what was read here does not count once the lock is held). Other errors are raised as they are: the locked
    run would meet them too."""
    with services.counter.reads_only():
        try:
            result = setup(desired, services, dry_run=False, adopt=adopt, end_sessions=end_sessions)
        except (WriteAhead, ConflictError):
            return None
    if result.error is not None or result.plan.has_changes:
        return None
    return result


class SecretNeeded(ConflictError):
    """setup must send PrivX the client secret and Cognito does not return its value (it is the newer of two, or
    the original secret was deleted: floci-io/floci PR #345 reports ``DescribeUserPoolClient`` then answers no
    ``ClientSecret`` for good). Raised before any PrivX write; the CLI answers it with a fresh secret
    (rotate-secret's steps) and runs setup again with it (``fresh_secret``)."""


def _unshown_secret(
    client: Mapping[str, Any],
    secrets: list[cognito.ClientSecret] | None,
    held: HeldSecret,
    directory: dict[str, Any] | None,
) -> HeldSecret:
    """DescribeUserPoolClient answered no ``ClientSecret``. A client with secrets (listed) or one PrivX holds by
    our marker: the value is unknown, never compared. A client with none at all (a public client) cannot get one:
    the fix leaves it as it is, for whoever uses it."""
    listed = secrets is not None and not getattr(secrets, "unavailable", "")
    if (listed and not secrets) or (not listed and privx.secret_id_of(directory) is None):
        raise ConflictError(
            f"app client {client.get('ClientName')!r} ({client.get('ClientId')}) shows no client secret"
            + (" and has none (a public client); Cognito cannot add one to an existing client" if listed else ""),
            "set [cognito] app_client_name to a new name: setup makes a new app client with a secret and leaves "
            "this one as it is (logins through it keep working)",
        )
    secret_id = held.secret_id or privx.secret_id_of(directory)
    if directory is None or secret_id is None:
        return HeldSecret(secret_id, True, "Cognito no longer shows the client secret: a fresh one is needed")
    return HeldSecret(
        secret_id, True, f"PrivX holds client secret {secret_id}; Cognito no longer shows secrets: not compared"
    )


def _restated(change: Change, after: str) -> Change:
    """A revoke's holders note as setup writes it (:func:`privx.holders.words`: ``after`` "revoked" or "ended")
    instead of the plan's."""
    users = dict(change.data).get("holder_users")
    if not users:
        return change
    who = tuple(holding.Holder(str(u["id"]), str(u["principal"])) for u in users)
    said, meant = holding.words(who), holding.words(who, after=after)
    return replace(change, notes=tuple(meant if n == said else n for n in change.notes))


def _setup_once(
    desired: DesiredState,
    services: Services,
    *,
    dry_run: bool,
    adopt: bool,
    on_change: Callable[[Change], None] | None = None,
    pool_note: str = "",
    resend_secret: bool = False,
    lock: PoolLock | None = None,
    end_sessions: bool = False,
    fresh_secret: tuple[str, str] | None = None,
) -> Result:
    plan = Plan(listener=on_change)
    gw, px = services.cognito, services.privx
    now = observe(desired, services, adopt=adopt, lock=lock)

    with attempting(plan, pending("cognito user pool", desired.pool.name)):
        pool = cognito.ensure_pool(gw, desired.pool, desired.attribute, dry_run=dry_run, adopt=adopt, current=now.pool)
    if now.pool is None and pool.pool is not None and pool.change.action is Action.NOOP:
        raise _LostPoolRace(pool.pool["Id"], pool.change.notes[0])  # the run lock is taken on it when observed
    if lock is not None and pool.pool_id is not None and lock(pool.pool_id):  # a pool made here: born with it
        raise _LostPoolRace(pool.pool_id, "")  # (not expected) taken only now: read everything again
    pool_change = pool.change
    warnings = open_path_notes(desired, now, adopt=adopt)
    if pool_note or warnings:
        pool_change = replace(pool_change, notes=(*pool_change.notes, *((pool_note,) if pool_note else ()), *warnings))
    plan.add(pool_change)
    with attempting(plan, pending("cognito custom attribute", desired.attribute.name)):
        plan.add(cognito.ensure_attribute(gw, desired.attribute, pool, dry_run=dry_run))
    with attempting(plan, pending("cognito mfa", desired.pool.name)):
        mfa = cognito.ensure_mfa(gw, desired.mfa, desired.pool.name, pool.pool_id, dry_run=dry_run, current=now.mfa)
    if mfa is not None:
        plan.add(mfa)
    # Our record on the pool: what this run will create, written before it does (cognito/record.py).
    # (plan of a new pool: the record it will get, as setup writes it once the pool exists)
    intent = records.pool_intent(now.pool_record, desired, pool.pool if pool.pool or not dry_run else {}, now.client)
    if intent is not None and intent != now.pool_record and not dry_run and pool.pool_id is not None:
        cognito.write_record(gw, pool.pool_id, intent)
    with attempting(plan, pending("cognito app client", desired.client.name)):
        client = cognito.ensure_client(
            gw,
            desired.client,
            pool.pool_id,
            dry_run=dry_run,
            current=now.client,
            required=cognito.required_attributes(pool.pool),
            pool_attributes=cognito.attribute_names(pool.pool),
        )
    plan.add(client.change)
    if intent is not None:
        final = records.pool_final(intent, client.client_id or (KNOWN_AFTER_APPLY if dry_run else None))
        if final != intent and not dry_run and pool.pool_id is not None:
            cognito.write_record(gw, pool.pool_id, final)
        notes = tuple(n for n in now.record_notes if n.startswith("no ownership record (set up"))
        record_change = cognito.record_change(desired.pool.name, now.pool_record, final, notes)
        if record_change.action is not Action.NOOP:
            plan.add(record_change)
    domain_name = desired.domain.prefix if desired.domain else "(none)"
    with attempting(plan, pending("cognito domain", domain_name)):
        domain_changes = cognito.ensure_domain(gw, desired.domain, pool.pool, dry_run=dry_run, current=now.domain)
    for change in domain_changes:
        plan.add(change)
    if desired.domain is None and not (pool.pool or {}).get("Domain"):
        plan.add(
            Change(
                "cognito domain", "(none)", Action.NOOP, (), notes=(f"{cognito.NO_DOMAIN}: {cognito.NO_DOMAIN_FIX}",)
            )
        )
    if desired.domain is not None and desired.domain.needs_branding:
        # now.client is None when this run creates the client: then it has no style yet either.
        branding = now.branding if now.client is not None else None
        with attempting(plan, pending(cognito.BRANDING, desired.client.name)):
            style = cognito.ensure_branding(
                gw, desired.client.name, pool.pool_id, client.client_id, dry_run=dry_run, current=branding
            )
        plan.add(style)
    if desired.groups or now.groups:
        with attempting(plan, pending("cognito group", ", ".join(sorted(desired.groups)) or "(ours)")):
            group_changes = cognito.ensure_groups(gw, desired.groups, pool.pool_id, dry_run=dry_run, current=now.groups)
        for change in group_changes:
            plan.add(change)
    if now.pool is not None and pool.pool_id is not None:
        # A group_claim switch with users in the pool: their groups moved to where the claim reads them, before
        # PrivX reads the new claim (reconcile/migration.py).
        with attempting(plan, pending(migration.RESOURCE, f"to {desired.directory.tags_claim}")):
            migration.setup_step(gw, desired, pool.pool_id, dry_run=dry_run, add=plan.add)

    pool_id = pool.pool_id or KNOWN_AFTER_APPLY
    issuer = desired.pool.issuer(pool_id)
    client_id = client.client_id or KNOWN_AFTER_APPLY
    secret = (client.client or {}).get("ClientSecret") or ""
    secrets = now.secrets if now.client is not None else None
    if secrets is None and client.client is not None and pool.pool_id is not None:
        secrets = cognito.list_secrets(gw, pool.pool_id, client.client["ClientId"])  # made by this run
    held = held_secret(secrets, now.directory)
    if fresh_secret is not None:  # issued by this run (rotate-secret's steps), PrivX gets it with the update
        held = HeldSecret(fresh_secret[0], note=f"client secret {fresh_secret[0]}, issued by this run")
        secret = fresh_secret[1]
    elif client.client is not None and not secret:
        held = _unshown_secret(client.client, secrets, held, now.directory)
    known_id = str(now.directory["id"]) if now.directory is not None else None
    pre = records.directory_pre(now.directory_record, desired, now.roles, known_id)
    pre, keyed_by, mapping_notes = records.account_mapping_direction(px, desired, pre, now.directory)
    spec = privx.DirectorySpec.from_template(
        desired.directory,
        issuer=issuer,
        client_id=client_id,
        client_secret=secret,
        secret_id=held.secret_id,
        record=pre,
        mapping_keyed_by=keyed_by,
    )
    if held.value_unknown:
        # PrivX holds a secret whose value Cognito does not return (the newer of two, or any once the original was
        # deleted): keep it, never send another. An update needs a value: a fresh secret, issued first.
        directory = privx.ensure_directory(px, spec, dry_run=True, current=now.directory)
        if directory.change.action is not Action.NOOP or resend_secret or pre.pending:
            if not dry_run:
                raise SecretNeeded(
                    f"the PrivX directory must be updated and Cognito does not return the value of the client "
                    f"secret PrivX holds ({held.secret_id or 'none named'})",
                    "run `cognito-privx rotate-secret` (it issues a fresh secret and hands it to PrivX; logins keep "
                    "working), then `cognito-privx setup`",
                )
            note = "setup first issues a fresh client secret (as rotate-secret does): the update must carry one"
            directory = replace(directory, change=replace(directory.change, notes=(*directory.change.notes, note)))
    else:
        planned = privx.ensure_directory(px, spec, dry_run=True, current=now.directory, resend_secret=resend_secret)
        with attempting(plan, planned.change):
            directory = privx.ensure_directory(
                px, spec, dry_run=dry_run, current=now.directory, resend_secret=resend_secret
            )
    extra = (*(n for n in now.record_notes if n.startswith("no ownership record on the PrivX")), *mapping_notes)
    if held.note or extra:
        notes = (*directory.change.notes, *((held.note,) if held.note else ()), *extra)
        directory = replace(directory, change=replace(directory.change, notes=notes))
    plan.add(directory.change)
    directory_id = directory.directory_id or KNOWN_AFTER_APPLY
    roles_changed = False
    refusals = Refusals()
    for step in privx.plan_grants(px, desired, directory_id, now.roles, record=pre, holders=True):
        if step.apply is not None and not dry_run:
            with attempting(plan, *(c for c in step.changes if c.changed)):
                step.apply()
            roles_changed = True
        for change in step.changes:  # after PrivX accepted them
            plan.add(change if dry_run else _restated(change, "ended" if end_sessions else "revoked"))
        if end_sessions and step.holders:
            plan.add(end_holders(px, step, dry_run=dry_run, refusals=refusals))
    if not dry_run and directory.directory is not None and not held.value_unknown:
        # The record completed: the roles made, by id; the groups granted now (roles read again only if changed).
        roles_after = px.list_roles() if roles_changed else now.roles
        completed = records.directory_final(pre, desired, directory_id, roles_after)
        if completed != pre:
            fresh = px.get_source(directory_id)
            spec_final = replace(spec, record=completed)
            with attempting(plan, privx.ensure_directory(px, spec_final, dry_run=True, current=fresh).change):
                done = privx.ensure_directory(px, spec_final, dry_run=False, current=fresh)
            plan.add(done.change)
            directory = replace(directory, directory=done.directory)
    elif dry_run and not held.value_unknown:
        # plan: the record setup completes after the grants, from the roles as the grant steps leave them.
        completed = records.directory_final(
            pre, desired, directory_id, records.roles_after_plan(pre, desired, directory_id, now.roles)
        )
        if completed != pre:
            written = {**spec.overlay(directory.directory), "id": directory_id}
            written["connection"]["oidc_client_secret"] = ""  # never kept, even in memory, for a dry run
            done = privx.ensure_directory(px, replace(spec, record=completed), dry_run=True, current=written)
            plan.add(done.change)

    prefix = desired.domain.prefix if desired.domain else (pool.pool or {}).get("Domain")
    outputs = Outputs(
        pool_id=pool_id,
        client_id=client_id,
        issuer=issuer,
        domain=cognito.domain_url(prefix, desired.pool.region) if prefix else None,
        callback_url=desired.client.callback_url,
        directory_id=directory_id,
        login_url=privx.login_url(desired, directory.directory) or KNOWN_AFTER_APPLY,
    )
    return Result(plan, outputs, dict(services.counter.calls), refusals.error_if_any())
