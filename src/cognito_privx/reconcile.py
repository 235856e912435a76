"""The order of setup, plan and teardown: Cognito first (pool → attribute → MFA → app client → domain → managed-login
branding → groups), then PrivX (directory → grants); teardown the other way round.

Ids and the app-client secret pass from one step to the next here, in memory only: the secret is read from
Cognito on every run and never stored.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from cognito_privx import cognito, privx
from cognito_privx.config import AppConfig, PrivXCredentials
from cognito_privx.desired import DesiredState
from cognito_privx.errors import CognitoError, ForeignResourceError, aws_error_code
from cognito_privx.plan import KNOWN_AFTER_APPLY, Action, Change, Plan
from cognito_privx.privx import directlogin
from cognito_privx.retry import RetryPolicy

if TYPE_CHECKING:  # types-boto3-cognito-idp: type checking only
    from types_boto3_cognito_idp.type_defs import GroupTypeTypeDef, UserPoolClientTypeTypeDef, UserPoolTypeTypeDef


@dataclass
class CallCounter:
    """Counts API calls per side; a call is a write unless it only reads."""

    calls: Counter[str] = field(default_factory=Counter)

    _COGNITO_READ_PREFIXES = ("describe_", "list_", "get_", "admin_get_")

    def cognito(self, operation: str) -> None:
        write = not operation.startswith(self._COGNITO_READ_PREFIXES)
        self.calls["cognito_writes" if write else "cognito_reads"] += 1

    def privx(self, method: str, path: str) -> None:
        write = not privx.only_reads(method, path)
        self.calls["privx_writes" if write else "privx_reads"] += 1


def open_privx(
    cfg: AppConfig,
    creds: PrivXCredentials,
    counter: CallCounter,
    *,
    transport: httpx.BaseTransport | None = None,
    retry_base: float | None = None,
) -> privx.PrivXClient:
    """The PrivX client. Checks the credentials and the CA locally; calls nothing yet. ``transport`` replaces
    the network and ``retry_base`` (seconds) the first backoff window (tests hand in the emulator and a short wait)."""
    creds.check()
    http = privx.build_http_client(cfg.privx_url, ca_pem=creds.ca_pem(), timeout=cfg.privx.timeout, transport=transport)
    policy = RetryPolicy(attempts=cfg.privx.retries, base=retry_base) if retry_base is not None else None
    return privx.PrivXClient(http, creds, observer=counter.privx, max_attempts=cfg.privx.retries, retry=policy)


@dataclass
class Services:
    cognito: cognito.CognitoGateway
    privx: privx.PrivXClient
    counter: CallCounter

    def close(self) -> None:
        self.privx.http.close()


def open_services(
    cfg: AppConfig,
    creds: PrivXCredentials,
    *,
    profile: str | None = None,
    privx_transport: httpx.BaseTransport | None = None,
    privx_retry_base: float | None = None,
    race_settle_s: float | None = None,
) -> Services:
    """Connect to both sides. Every local check (config, credentials, CA) runs first: nothing is called yet.

    The keyword arguments after ``profile`` are test seams (``cli.Seams``): the transport to PrivX, the first
    backoff window of PrivX retries and how long to wait for a concurrent run's loser to go (seconds).
    """
    counter = CallCounter()
    region = cfg.region
    px = open_privx(cfg, creds, counter, transport=privx_transport, retry_base=privx_retry_base)
    gateway = cognito.CognitoGateway.connect(region, profile).with_observer(counter.cognito)
    if race_settle_s is not None:
        gateway.race_settle_s = race_settle_s
    return Services(gateway, px, counter)


@dataclass(frozen=True)
class Target:
    """What a run acts on, shown as its first line: config file, AWS account and region, pool, PrivX URL."""

    config_file: str
    account: str
    region: str
    pool: str
    privx_url: str

    def line(self) -> str:
        return (
            f"target: config {self.config_file} · AWS account {self.account}, {self.region} · "
            f"pool {self.pool} · PrivX {self.privx_url}"
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def target(desired: DesiredState, services: Services, config_file: Path | None) -> Target:
    """The target line's facts. The account comes from STS GetCallerIdentity, which needs no permission."""
    spec = desired.pool
    return Target(
        config_file=str(config_file) if config_file else "(none)",
        account=services.cognito.account_id() or "(unknown)",
        region=spec.region,
        pool=f"{spec.name} ({spec.pool_id})" if spec.pool_id else spec.name,
        privx_url=desired.privx_url,
    )


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
    plan: Plan
    outputs: Outputs
    calls: dict[str, int]


@dataclass(frozen=True)
class Observed:
    """Live state, read before the first write (so a bad state fails before anything changes)."""

    pool: UserPoolTypeTypeDef | None
    domain: cognito.DomainObservation | None
    client: UserPoolClientTypeTypeDef | None
    groups: dict[str, GroupTypeTypeDef] | None
    directory: dict[str, Any] | None
    roles: list[dict[str, Any]]
    mfa: dict[str, Any] | None = None  # GetUserPoolMfaConfig, read only when [cognito] mfa is set
    branding: dict[str, Any] | None = None  # the client's managed-login style, read only with managed login
    secrets: list[cognito.ClientSecret] | None = None  # the client's active secrets (ids), oldest first


def observe(desired: DesiredState, services: Services, *, adopt: bool) -> Observed:
    """Read everything setup compares. Raises on wrong credentials, an ambiguous or foreign pool or directory, a
    taken domain prefix, an attribute of the wrong type — all before any write, on either side."""
    gw, px = services.cognito, services.privx
    px.login()
    pool = cognito.find_our_pool(gw, desired.pool, adopt=adopt)
    cognito.check_attribute(desired.attribute, pool)
    cognito.check_mfa_methods(desired.mfa, pool)
    mfa = gw.mfa_config(pool["Id"]) if pool and desired.mfa else None
    domain = cognito.observe_domain(gw, desired.domain, pool)
    client = cognito.find_client(gw, desired.client, pool["Id"]) if pool else None
    groups = cognito.list_groups(gw, pool["Id"]) if pool and desired.groups else None
    branding = (
        cognito.find_branding(gw, pool["Id"], client["ClientId"])
        if pool and client and desired.domain and desired.domain.needs_branding
        else None
    )
    found = privx.find_directories(px, desired.directory.name, pool_identity(desired, pool))
    directory = found.ours
    if directory is None and found.foreign is not None:
        if not adopt:
            foreign = found.foreign
            raise ForeignResourceError(
                f"the PrivX directory {desired.directory.name!r} ({foreign.get('id')}) is not this config's: "
                f"{found.foreign_reason()}{_issuer_pool_note(gw, desired, foreign)}",
                "choose another [privx] directory_name, or, if it was this config's, pass --adopt to point it at "
                "this config's pool",
            )
        directory = found.foreign
    secrets = cognito.list_secrets(gw, pool["Id"], client["ClientId"]) if pool and client else None
    return Observed(pool, domain, client, groups, directory, px.list_roles(), mfa, branding, secrets)


def pool_identity(desired: DesiredState, pool: UserPoolTypeTypeDef | None) -> privx.PoolIdentity | None:
    """How a PrivX directory can name our pool (``None`` while the pool does not exist)."""
    if pool is None:
        return None
    prefixes = {p for p in (pool.get("Domain"), desired.domain.prefix if desired.domain else None) if p}
    hosted = tuple(cognito.domain_url(p, desired.pool.region) for p in sorted(prefixes))
    custom = pool.get("CustomDomain")
    return privx.PoolIdentity(desired.pool.issuer(pool["Id"]), (*hosted, *((f"https://{custom}",) if custom else ())))


def _issuer_pool_note(gw: cognito.CognitoGateway, desired: DesiredState, directory: dict[str, Any]) -> str:
    """'; pool X does not exist in this account and region' when the foreign directory's issuer names a pool
    that cannot be found here (deleted, or another account's): the likely story behind a refused directory."""
    issuer = privx.issuer_of(directory) or ""
    prefix = f"https://cognito-idp.{desired.pool.region}.amazonaws.com/"
    if not issuer.startswith(prefix):
        return ""
    pool_id = issuer.removeprefix(prefix).strip("/")
    try:
        gw.describe_pool(pool_id)
    except CognitoError as e:
        # Only "not found" says the pool is gone; access denied or throttling says nothing about it.
        if aws_error_code(e) == "ResourceNotFoundException":
            return f"; its pool {pool_id} does not exist in this AWS account and region (deleted, or another account's)"
    return ""


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
) -> Result:
    """Bring Cognito and PrivX to the config (or, with ``dry_run``, only say what that would change).

    Both directions: what the config grants is created, what it no longer grants is revoked. ``on_change`` sees
    every change as it happens, so a run that fails half-way has already said what it did. When a concurrent
    run created the pool first, this run deleted its own and converges that run's pool instead.
    """
    try:
        return _setup_once(
            desired, services, dry_run=dry_run, adopt=adopt, on_change=on_change, resend_secret=resend_secret
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
        )


def _setup_once(
    desired: DesiredState,
    services: Services,
    *,
    dry_run: bool,
    adopt: bool,
    on_change: Callable[[Change], None] | None = None,
    pool_note: str = "",
    resend_secret: bool = False,
) -> Result:
    plan = Plan(listener=on_change)
    gw, px = services.cognito, services.privx
    now = observe(desired, services, adopt=adopt)

    pool = cognito.ensure_pool(gw, desired.pool, desired.attribute, dry_run=dry_run, adopt=adopt, current=now.pool)
    if now.pool is None and pool.pool is not None and pool.change.action is Action.NOOP:
        raise _LostPoolRace(pool.pool["Id"], pool.change.notes[0])
    pool_change = pool.change
    if pool_note:
        pool_change = replace(pool_change, notes=(*pool_change.notes, pool_note))
    plan.add(pool_change)
    plan.add(cognito.ensure_attribute(gw, desired.attribute, pool, dry_run=dry_run))
    mfa = cognito.ensure_mfa(gw, desired.mfa, desired.pool.name, pool.pool_id, dry_run=dry_run, current=now.mfa)
    if mfa is not None:
        plan.add(mfa)
    client = cognito.ensure_client(gw, desired.client, pool.pool_id, dry_run=dry_run, current=now.client)
    plan.add(client.change)
    for change in cognito.ensure_domain(gw, desired.domain, pool.pool, dry_run=dry_run, current=now.domain):
        plan.add(change)
    if desired.domain is not None and desired.domain.needs_branding:
        # now.client is None when this run creates the client: then it has no style yet either.
        branding = now.branding if now.client is not None else None
        plan.add(
            cognito.ensure_branding(
                gw, desired.client.name, pool.pool_id, client.client_id, dry_run=dry_run, current=branding
            )
        )
    if desired.groups or now.groups:
        for change in cognito.ensure_groups(gw, desired.groups, pool.pool_id, dry_run=dry_run, current=now.groups):
            plan.add(change)

    pool_id = pool.pool_id or KNOWN_AFTER_APPLY
    issuer = desired.pool.issuer(pool_id)
    client_id = client.client_id or KNOWN_AFTER_APPLY
    secret = (client.client or {}).get("ClientSecret") or ""
    if client.client is not None and not secret:
        from cognito_privx.errors import ConflictError

        raise ConflictError(
            f"Cognito returned no secret for app client {client.client.get('ClientId')}",
            "check that the caller may read it (cognito-idp:DescribeUserPoolClient); nothing was sent to PrivX",
        )
    secrets = now.secrets if now.client is not None else None
    if secrets is None and client.client is not None and pool.pool_id is not None:
        secrets = cognito.list_secrets(gw, pool.pool_id, client.client["ClientId"])  # made by this run
    held = held_secret(secrets, now.directory)
    spec = privx.DirectorySpec.from_template(
        desired.directory, issuer=issuer, client_id=client_id, client_secret=secret, secret_id=held.secret_id
    )
    if held.value_unknown:
        # PrivX holds the newer of two secrets, whose value Cognito never returns: keep it, never send the other.
        directory = privx.ensure_directory(px, spec, dry_run=True, current=now.directory)
        if directory.change.action is not Action.NOOP or resend_secret:
            from cognito_privx.errors import ConflictError

            raise ConflictError(
                f"the app client has two secrets and PrivX holds the newer one ({held.secret_id}), whose value "
                "Cognito does not return, so the directory cannot be updated now",
                "run `cognito-privx rotate-secret` to finish the rotation, then `cognito-privx setup`",
            )
    else:
        directory = privx.ensure_directory(
            px, spec, dry_run=dry_run, current=now.directory, resend_secret=resend_secret
        )
    if held.note:
        directory = replace(directory, change=replace(directory.change, notes=(*directory.change.notes, held.note)))
    plan.add(directory.change)
    directory_id = directory.directory_id or KNOWN_AFTER_APPLY
    for step in privx.plan_grants(px, desired, directory_id, now.roles):
        for change in step.changes:
            plan.add(change)
        if step.apply is not None and not dry_run:
            step.apply()

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
    return Result(plan, outputs, dict(services.counter.calls))


@dataclass(frozen=True)
class HeldSecret:
    """Which app-client secret PrivX should hold: its id (for our marker), whether its value is unknown (the
    newer of two, which Cognito never returns), and what to say about it."""

    secret_id: str | None = None
    value_unknown: bool = False
    note: str = ""


def held_secret(secrets: list[cognito.ClientSecret] | None, directory: dict[str, Any] | None) -> HeldSecret:
    """With one secret, that one (DescribeUserPoolClient's ``ClientSecret``). With two (a rotation under way),
    setup does not guess: it keeps the one our marker on the directory names (without a marker, the older one,
    which is all setup could ever have sent)."""
    if not secrets:
        return HeldSecret()
    marked = privx.secret_id_of(directory)
    age = cognito.secret_age_days(secrets[0])
    if len(secrets) == 1:
        return HeldSecret(secrets[0].id, note=f"client secret {secrets[0].id}, {age} day(s) old")
    older, newer = secrets[0], secrets[-1]
    if marked == newer.id:
        return HeldSecret(newer.id, True, f"the app client has two secrets; PrivX holds {newer.id} (our marker): kept")
    if marked not in (None, older.id):
        from cognito_privx.errors import ConflictError

        raise ConflictError(
            f"the app client has two secrets ({older.id}, {newer.id}) and our marker on the PrivX directory names "
            f"neither ({marked})",
            "run `cognito-privx rotate-secret`: it puts a fresh secret into PrivX and removes the others",
        )
    why = "our marker" if marked else "no marker: the older, the one setup sends"
    return HeldSecret(older.id, note=f"the app client has two secrets; PrivX holds {older.id} ({why}): kept")


@dataclass(frozen=True)
class LoginURL:
    """The direct-login URL of our directory and, when verified, every candidate as PrivX answered it."""

    url: str
    client_id: str
    callback_url: str
    probes: tuple[directlogin.Probe, ...] = ()

    @property
    def working(self) -> directlogin.Probe | None:
        """The first candidate that leads to Cognito with our client id and callback (configured one first)."""
        return next((p for p in self.probes if not p.problems(self.client_id, self.callback_url)), None)


def direct_login_url(desired: DesiredState, services: Services, *, verify: bool = False) -> LoginURL:
    """The direct-login URL of our directory (its issuer names our pool; the name alone is not proof). With
    ``verify``, every candidate is requested without following redirects (:mod:`cognito_privx.privx.directlogin`).

    Raises :class:`PrivXNotFoundError` when this config has no directory yet.
    """
    from cognito_privx.errors import PrivXNotFoundError

    services.privx.login()
    pool = cognito.find_our_pool(services.cognito, desired.pool)
    found = privx.find_directories(services.privx, desired.directory.name, pool_identity(desired, pool))
    directory = found.ours
    if directory is None:
        why = f" ({desired.directory.name!r} exists but is not this config's: {found.foreign_reason()})"
        raise PrivXNotFoundError(
            f"this config has no PrivX directory{why if found.foreign else ''}",
            # Never a hint into a command that then refuses: setup would refuse that directory without --adopt.
            "choose another [privx] directory_name (then run `cognito-privx setup`), or run `cognito-privx setup "
            "--adopt` to point it at this config's pool"
            if found.foreign
            else "run `cognito-privx setup` first",
        )
    url = privx.login_url(desired, directory) or ""
    client_id = str((directory.get("connection") or {}).get("oidc_client_id") or "")
    probes: tuple[directlogin.Probe, ...] = ()
    if verify:
        probes = tuple(
            directlogin.probe_all(
                services.privx.http, desired.login_url_template, desired.privx_url, str(directory["id"])
            )
        )
    return LoginURL(url, client_id, desired.client.callback_url, probes)


# -- teardown --------------------------------------------------------------------------------------------


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
) -> Result:
    """Remove what setup made, PrivX side first, so no dead login button or dangling rule is left.

    The same machinery as setup with "nothing of ours" as the desired state: every rule leaf whose source is our
    directory is revoked from every role; roles we created are deleted once nothing else is in them; then the
    directory, the domain, the app client, our native groups (when the pool stays) and the pool. Only what is
    provably ours is touched: the pool by its tag (an adopted pool is kept unless ``delete_adopted_pool``), the
    directory by its issuer. Everything is observed and the whole list confirmed (``confirm`` gets every change:
    DELETE, and what stays) before the first change; a refusal raises :class:`UsageError` and removes nothing.
    """
    from cognito_privx.errors import UsageError

    gw, px = services.cognito, services.privx
    px.login()
    steps: list[Step] = []
    pool_notes: list[str] = []
    try:
        pool = cognito.find_our_pool(gw, desired.pool)
    except ForeignResourceError as e:
        pool, pool_notes = None, [f"left alone: {e.message}"]
    found = privx.find_directories(px, desired.directory.name, pool_identity(desired, pool))
    directory = found.ours
    client = cognito.find_client(gw, desired.client, pool["Id"]) if pool else None
    adopted = pool is not None and cognito.is_adopted(pool)
    delete_pool = pool is not None and not keep_pool and (not adopted or delete_adopted_pool)

    # 1. Grants: every leaf of ours, in every role; roles we made, once empty.
    if directory is not None:
        owned = {r.name: r.permissions for r in desired.roles}
        for role_step in privx.plan_grants(
            px, desired.nothing(), str(directory["id"]), px.list_roles(), owned_permissions=owned, delete_unused=True
        ):
            for i, change in enumerate(role_step.changes):
                steps.append(Step(change, role_step.apply if i == 0 else None))
    # 2. The directory: no login button pointing at a pool that is about to go.
    name = desired.directory.name
    if directory is not None:
        steps.append(
            Step(
                Change("privx directory", str(directory.get("name")), Action.DELETE),
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
        steps.extend(_cognito_teardown_steps(gw, desired, pool, client, delete_pool=delete_pool))
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
    else:
        steps.append(
            Step(
                Change(
                    "cognito user pool", desired.pool.name, Action.NOOP, notes=tuple(pool_notes) or ("already gone",)
                )
            )
        )

    plan = Plan([s.change for s in steps])
    deletions = [s.change for s in steps if s.change.action is Action.DELETE]
    if deletions and not dry_run and confirm is not None and not confirm(plan.changes):
        raise UsageError("nothing was removed", "confirm the list above, or pass --yes")
    if not dry_run:
        for s in steps:
            if s.apply is not None:
                s.apply()
    empty = Outputs("", "", "", None, desired.client.callback_url, "", "")
    return Result(plan, empty, dict(services.counter.calls))


def _cognito_teardown_steps(
    gw: cognito.CognitoGateway,
    desired: DesiredState,
    pool: UserPoolTypeTypeDef,
    client: UserPoolClientTypeTypeDef | None,
    *,
    delete_pool: bool,
) -> list[Step]:
    steps: list[Step] = []
    pool_id = str(pool["Id"])
    domain = pool.get("Domain")
    if domain:

        def delete_domain() -> None:
            cognito.delete_domain(gw, domain, pool_id)

        steps.append(Step(Change("cognito domain", domain, Action.DELETE), delete_domain))
    else:
        prefix = desired.domain.prefix if desired.domain else "(none)"
        steps.append(Step(Change("cognito domain", prefix, Action.NOOP, notes=("already gone",))))
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
    else:
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
