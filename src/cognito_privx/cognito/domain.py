"""The pool's hosted-UI prefix domain: its URL, observing it (a prefix another pool holds is refused before any
write), ensuring it (a changed prefix replaces the old domain) and deleting it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cognito_privx.cognito.availability import UnsupportedCallError
from cognito_privx.cognito.ensure import UNSET, Unset, plain
from cognito_privx.config import partitions
from cognito_privx.desired import DomainSpec
from cognito_privx.errors import CognitoError, ConflictError, aws_error_code
from cognito_privx.plan import Action, Change, change_for, diff_fields

if TYPE_CHECKING:  # types-boto3-cognito-idp, a dev dependency: type checking only, never imported at run time
    from types_boto3_cognito_idp.type_defs import DomainDescriptionTypeTypeDef, UserPoolTypeTypeDef

    from cognito_privx.cognito.gateway import CognitoGateway


NO_DOMAIN = "no one can sign in until the pool has a domain (there is no hosted UI without one)"
NO_DOMAIN_FIX = "set [cognito] domain_prefix and run `cognito-privx setup`"


def domain_url(prefix: str, region: str) -> str:
    """The hosted-UI prefix domain's URL, per partition (``auth-fips`` in GovCloud; config/partitions.py)."""
    return partitions.domain_url(prefix, region)


@dataclass(frozen=True)
class DomainObservation:
    """The prefix domain as observed: ``description`` of the configured prefix (empty when free) and the
    pool's current domain ``old`` when it is another prefix (setup replaces it)."""

    description: DomainDescriptionTypeTypeDef
    old: str | None = None


def observe_domain(
    gw: CognitoGateway, spec: DomainSpec | None, pool: UserPoolTypeTypeDef | None
) -> DomainObservation | None:
    """The prefix domain, ``None`` when no domain is managed (``domain_prefix`` empty).

    Raises :class:`ConflictError` when the prefix belongs to another pool: AWS refuses that (moto silently
    accepts it and even moves the domain), so this is checked before anything is written. A pool of ours with
    another prefix is not an error: setup deletes the old domain and creates the new one.
    """
    if spec is None:
        return None
    prefix = spec.prefix
    pool_id = pool["Id"] if pool else None
    existing = pool.get("Domain") if pool else None
    try:
        desc = gw.describe_domain(prefix)
    except UnsupportedCallError as e:
        raise no_domains_error(prefix, e) from e
    owner = desc.get("UserPoolId")
    if owner and owner != pool_id:
        label = _pool_label(gw, owner)
        where = "another user pool" if label != owner else "a user pool of another AWS account (or one you cannot read)"
        raise ConflictError(
            f"the domain prefix {prefix!r} is taken by {where}: {label}",
            "choose another [cognito] domain_prefix (prefixes are unique per region across all AWS accounts)",
        )
    return DomainObservation(desc, existing if existing and existing != prefix else None)


def no_domains_error(prefix: str, e: UnsupportedCallError) -> CognitoError:
    """An endpoint without the domain calls (cognito-local: every ``*UserPoolDomain`` is ❌ in its README) while a
    domain is configured: needed, not informational (the hosted-UI domain is where users log in), so the run stops
    before any change, naming the endpoint and the call (docs/reliability.md#endpoints-that-lack-a-newer-call)."""
    return CognitoError(
        f"the domain prefix {prefix!r} cannot be managed: {e.endpoint} does not support cognito-idp:{e.action} "
        "(the hosted-UI domain is where users log in)",
        'use an endpoint with user-pool domains, or set [cognito] domain_prefix = "" to leave the domain to '
        "someone else (nothing was changed)",
    )


def domain_taken_error(prefix: str, e: CognitoError) -> ConflictError | None:
    """CreateUserPoolDomain's refusal of a prefix another AWS account holds (DescribeUserPoolDomain shows only
    domains of this account, so the observation found it free), said plainly; ``None`` for any other error."""
    if aws_error_code(e) != "InvalidParameterException" or "already" not in e.message.lower():
        return None
    return ConflictError(
        f"the domain prefix {prefix!r} is taken by a user pool of another AWS account",
        "choose another [cognito] domain_prefix (prefixes are unique per region across all AWS accounts)",
    )


def ensure_domain(
    gw: CognitoGateway,
    spec: DomainSpec | None,
    pool: UserPoolTypeTypeDef | None,
    *,
    dry_run: bool,
    current: DomainObservation | Unset | None = UNSET,
) -> list[Change]:
    """Our pool's hosted-UI prefix domain; nothing when ``domain_prefix`` is empty (not managed). A changed
    prefix is two changes: delete the old domain (Cognito allows one prefix domain per pool), create the new."""
    seen = observe_domain(gw, spec, pool) if isinstance(current, Unset) else current
    if seen is None or spec is None:
        return []
    changes: list[Change] = []
    prefix, version = spec.prefix, spec.managed_login_version
    desired = {"ManagedLoginVersion": version}
    pool_id = pool["Id"] if pool else None
    if seen.old is not None and pool_id is not None:
        changes.append(Change("cognito domain", seen.old, Action.DELETE, notes=(f"replaced by {prefix!r}",)))
        if not dry_run:
            delete_domain(gw, seen.old, pool_id)
    owner = seen.description.get("UserPoolId")
    if owner:
        have = {"ManagedLoginVersion": seen.description.get("ManagedLoginVersion", version)}
        fields = diff_fields(have, desired)
        changes.append(Change("cognito domain", prefix, Action.UPDATE if fields else Action.NOOP, fields))
        if fields and not dry_run:
            gw.call("update_user_pool_domain", Domain=prefix, UserPoolId=owner, ManagedLoginVersion=version)
        return changes
    changes.append(change_for("cognito domain", prefix, None, desired))
    if not dry_run and pool_id is not None:

        def ours() -> dict[str, Any] | None:
            desc = gw.describe_domain(prefix)
            return plain(desc) if desc.get("UserPoolId") == pool_id else None

        try:
            gw.create_once(
                "create_user_pool_domain", None, ours, Domain=prefix, UserPoolId=pool_id, ManagedLoginVersion=version
            )
        except CognitoError as e:
            if ours() is None:  # not a concurrent run of ours that made it a moment ago
                taken = domain_taken_error(prefix, e)
                if taken is not None:
                    raise taken from e
                raise  # as it is: its cause stays botocore's error (which call, which code)
    return changes


def delete_domain(gw: CognitoGateway, prefix: str, pool_id: str) -> None:
    """Delete a pool's prefix domain; one already gone is fine."""
    try:
        gw.call("delete_user_pool_domain", Domain=prefix, UserPoolId=pool_id)
    except CognitoError:
        if gw.describe_domain(prefix).get("UserPoolId") == pool_id:
            raise


def _pool_label(gw: CognitoGateway, pool_id: str) -> str:
    """``id (name)`` when we may describe the pool, else the id alone (it may be another account's)."""
    try:
        return f"{pool_id} ({gw.describe_pool(pool_id).get('Name', '?')})"
    except CognitoError:
        return pool_id
