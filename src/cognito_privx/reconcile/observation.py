"""What a run reads before its first write (:func:`observe`), so a bad state fails before anything changes;
how a PrivX directory can name our pool (:func:`pool_identity`); which client secret PrivX holds
(:func:`held_secret`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cognito_privx import cognito, privx
from cognito_privx.desired import DesiredState
from cognito_privx.errors import CognitoError, ConflictError, ForeignResourceError, aws_error_code

if TYPE_CHECKING:  # types-boto3-cognito-idp: type checking only
    from types_boto3_cognito_idp.type_defs import GroupTypeTypeDef, UserPoolClientTypeTypeDef, UserPoolTypeTypeDef

from cognito_privx.reconcile.lock import PoolLock, locked_pool
from cognito_privx.reconcile.services import Services


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
    # Our ownership records (ARCHITECTURE.md#ownership), derived once when an older version left none.
    pool_record: cognito.PoolRecord = field(default_factory=cognito.PoolRecord)
    directory_record: privx.DirectoryRecord = field(default_factory=privx.DirectoryRecord)
    record_notes: tuple[str, ...] = ()
    # Every app client of the pool, described: read only while the group is an attribute (open_path_notes).
    clients: list[UserPoolClientTypeTypeDef] | None = None


def observe(desired: DesiredState, services: Services, *, adopt: bool, lock: PoolLock | None = None) -> Observed:
    """Read everything setup compares. Raises on wrong credentials, an ambiguous or foreign pool or directory, a
    taken domain prefix, an attribute of the wrong type, another run holding the run lock (``lock``) — all before
    any write, on either side."""
    gw, px = services.cognito, services.privx
    px.login()
    clients: list[UserPoolClientTypeTypeDef] | None = None
    described_in: str | None = None  # the pool whose clients ``clients`` are, described under the run lock
    if adopt:  # an open pool is refused before the run lock tags it (a refusal changes nothing)
        candidate = cognito.find_our_pool(gw, desired.pool, adopt=adopt)
        if candidate is not None and not cognito.is_ours(candidate):
            clients = cognito.described_clients(gw, candidate["Id"])
            check_closed(desired, candidate, clients)
    pool = locked_pool(gw, desired.pool, lock, adopt=adopt)
    if pool is not None and clients is None and _group_is_attribute(desired):
        clients = cognito.described_clients(gw, pool["Id"])  # the one listing (open_path_notes, find_client)
        described_in = str(pool["Id"])
    cognito.check_attribute(desired.attribute, pool)
    cognito.check_tier(desired, pool)
    cognito.check_mfa_methods(desired.mfa, pool)
    mfa = gw.mfa_config(pool["Id"]) if pool and desired.mfa else None
    domain = cognito.observe_domain(gw, desired.domain, pool)
    # Ours among the clients described above (for the same pool), else listed and described by name.
    described = clients if pool is not None and described_in == str(pool["Id"]) else None
    client = cognito.find_client(gw, desired.client, pool["Id"], described=described) if pool else None
    pool_record, notes = pool_record_of(desired, pool, client)
    _refuse_foreign_domain(desired, pool, pool_record)
    groups = cognito.list_groups(gw, pool["Id"]) if pool and desired.groups else None
    branding = (
        cognito.observe_branding(gw, pool["Id"], client["ClientId"])
        if pool and client and desired.domain and desired.domain.needs_branding
        else None
    )
    found = privx.find_directories(px, desired.directory.name, pool_identity(desired, pool))
    directory = found.ours
    if directory is None and found.foreign is not None:
        if not adopt:
            foreign = found.foreign
            raise ForeignResourceError(
                f"the PrivX directory {foreign.get('name')!r} ({foreign.get('id')}) is not this config's: "
                f"{found.foreign_reason()}{_issuer_pool_note(gw, desired, foreign)}",
                "choose another [privx] directory_name, or, if it was this config's, pass --adopt to point it at "
                "this config's pool",
            )
        directory = found.foreign
    secrets = cognito.list_secrets(gw, pool["Id"], client["ClientId"]) if pool and client else None
    roles = px.list_roles()
    directory_record, more = directory_record_of(desired, directory if directory is found.ours else None, roles)
    return Observed(
        pool,
        domain,
        client,
        groups,
        directory,
        roles,
        mfa,
        branding,
        secrets,
        pool_record,
        directory_record,
        (*notes, *more),
        clients,
    )


def _group_is_attribute(desired: DesiredState) -> bool:
    """Whether the group comes from a user attribute (not ``cognito:groups``, which only administrators change)."""
    return desired.directory.tags_claim in desired.client.protected_attributes


def open_path_notes(desired: DesiredState, now: Observed, *, adopt: bool) -> tuple[str, ...]:
    """A warning per open path on a pool of ours that this run leaves open (cognito/exposure.py, doctor's words):
    each other app's client that may write an attribute the grants read, and self sign-up unless setup closes it.
    Never a refusal: an administrator must always be able to run setup (e.g. to revoke a grant)."""
    if now.pool is None or now.clients is None or not _group_is_attribute(desired):
        return ()
    others = [c for c in now.clients if c.get("ClientName") != desired.client.name]  # ours: narrowed by setup
    closes = cognito.wanted_admin_only(desired.pool, now.pool, adopt=adopt) is True
    paths = cognito.open_paths(now.pool, others, desired.client.protected_attributes, sign_up_matters=not closes)
    return tuple(f"warning: {p.message}; fix: {p.hint}" for p in paths)


def pool_record_of(
    desired: DesiredState, pool: UserPoolTypeTypeDef | None, client: UserPoolClientTypeTypeDef | None
) -> tuple[cognito.PoolRecord, tuple[str, ...]]:
    """The pool's ownership record; for a pool of ours an older version set up, derived (and a note saying so)."""
    record = cognito.PoolRecord.of(pool)
    if pool is None or record.present or not cognito.is_ours(pool):
        return record, ()
    derived, note = cognito.derive_record(pool, client, desired.domain.prefix if desired.domain else None)
    return derived, (note,)


def _refuse_foreign_domain(desired: DesiredState, pool: UserPoolTypeTypeDef | None, record: cognito.PoolRecord) -> None:
    """A pool has one prefix domain: one we did not create, under another prefix, is never replaced."""
    have = (pool or {}).get("Domain")
    if pool is None or desired.domain is None or not have or have == desired.domain.prefix:
        return
    if record.owns_domain(have):
        return
    raise ConflictError(
        f"pool {pool['Id']} already has the prefix domain {have!r}, which cognito-privx did not create; a pool has "
        "one prefix domain, and setup never deletes one it did not make",
        f'keep that prefix (domain_prefix = "{have}") or manage no domain (domain_prefix = "")',
    )


def directory_record_of(
    desired: DesiredState, directory: dict[str, Any] | None, roles: list[dict[str, Any]]
) -> tuple[privx.DirectoryRecord, tuple[str, ...]]:
    """The directory's ownership record; for a directory an older version made (our marker, no record), derived
    once from today's rules and never wider: roles carrying our marker for it, and the groups of the leaves in a
    form we write that point at it, with the groups the config grants."""
    record = privx.record_of(directory)
    if record.present or directory is None or not privx.is_marked(directory):
        return record, ()
    directory_id = str(directory["id"])
    mine = tuple(str(r["id"]) for r in roles if privx.made_by_us(r, directory_id) and not r.get("system"))
    groups = {g.group for g in desired.grants}
    for role in roles:
        for leaf in privx.our_leaves(role, directory_id):
            group = privx.group_in(str(leaf.get("search_string")), desired.rule_template)
            if group is not None:
                groups.add(group)
    derived = privx.DirectoryRecord(True, mine, (), tuple(sorted(groups)), (desired.rule_template,))
    return derived, (f"no ownership record on the PrivX directory (made by an older version): {derived.text()}",)


def check_closed(desired: DesiredState, pool: UserPoolTypeTypeDef, clients: list[UserPoolClientTypeTypeDef]) -> None:
    """Refuse to adopt a pool where someone other than an administrator could change a user's group, unless
    setup closes that path itself: our own client (its WriteAttributes is narrowed) and self sign-up when
    ``[cognito] admin_only_sign_up = true``. Other apps' clients are never edited: each is named with its fix."""
    from cognito_privx.errors import UsageError

    protected = desired.client.protected_attributes
    others = [c for c in clients if c.get("ClientName") != desired.client.name]
    sign_up_matters = desired.directory.tags_claim in protected and desired.pool.admin_only_sign_up is not True
    paths = cognito.open_paths(pool, others, protected, sign_up_matters=sign_up_matters)
    if paths:
        raise UsageError(
            f"pool {pool['Id']} cannot be adopted as it is: "
            + "; ".join(f"({i}) {p.message}" for i, p in enumerate(paths, 1))
            + "; nothing was changed",
            "; ".join(f"({i}) {p.hint}" for i, p in enumerate(paths, 1)),
        )


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
    prefix = desired.pool.issuer("")  # the issuer of any pool of the region, less the pool id
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
    unavailable = getattr(secrets, "unavailable", "")
    if unavailable:  # the listing is missing or denied: keep the marker PrivX has, say what was not checked
        return HeldSecret(privx.secret_id_of(directory), note=f"warning: {unavailable}")
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
