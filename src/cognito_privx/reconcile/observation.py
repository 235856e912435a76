"""What a run reads before its first write (:func:`observe`), so a bad state fails before anything changes;
how a PrivX directory can name our pool (:func:`pool_identity`); which client secret PrivX holds
(:func:`held_secret`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cognito_privx import cognito, privx
from cognito_privx.desired import DesiredState
from cognito_privx.errors import CognitoError, ForeignResourceError, aws_error_code

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


def observe(desired: DesiredState, services: Services, *, adopt: bool, lock: PoolLock | None = None) -> Observed:
    """Read everything setup compares. Raises on wrong credentials, an ambiguous or foreign pool or directory, a
    taken domain prefix, an attribute of the wrong type, another run holding the run lock (``lock``) — all before
    any write, on either side."""
    gw, px = services.cognito, services.privx
    px.login()
    pool = locked_pool(gw, desired.pool, lock, adopt=adopt)
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
