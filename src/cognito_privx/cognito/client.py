"""The app client PrivX signs in through: what we send (create and full update parameters), finding it by name,
ensuring it, settling one two concurrent runs created, and deleting it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NewType, cast

from cognito_privx.cognito.ensure import UNSET, Unset, idempotent_delete, plain, with_unstuck
from cognito_privx.cognito.races import age_key, settled
from cognito_privx.desired import ClientSpec
from cognito_privx.errors import AmbiguousResourceError
from cognito_privx.plan import Action, Change, FieldChange, change_for, diff_fields

if TYPE_CHECKING:  # types-boto3-cognito-idp, a dev dependency: type checking only, never imported at run time
    from types_boto3_cognito_idp.type_defs import UserPoolClientTypeTypeDef

    from cognito_privx.cognito.gateway import CognitoGateway

ClientId = NewType("ClientId", str)

# The parameters UpdateUserPoolClient accepts (ClientSecret, dates etc. are read-only).
_CLIENT_UPDATE_KEYS = (
    "UserPoolId",
    "ClientId",
    "ClientName",
    "RefreshTokenValidity",
    "AccessTokenValidity",
    "IdTokenValidity",
    "TokenValidityUnits",
    "ReadAttributes",
    "WriteAttributes",
    "ExplicitAuthFlows",
    "SupportedIdentityProviders",
    "CallbackURLs",
    "LogoutURLs",
    "DefaultRedirectURI",
    "AllowedOAuthFlows",
    "AllowedOAuthScopes",
    "AllowedOAuthFlowsUserPoolClient",
    "AnalyticsConfiguration",
    "PreventUserExistenceErrors",
    "EnableTokenRevocation",
    "EnablePropagateAdditionalUserContextData",
    "AuthSessionValidity",
    "RefreshTokenRotation",
)


# Lists where someone else's additions are kept (a superset satisfies us).
CLIENT_SUPERSET_FIELDS = ("ReadAttributes", "ExplicitAuthFlows")


def client_create_params(spec: ClientSpec, pool_id: str, required: Iterable[str] = ()) -> dict[str, Any]:
    return {
        "UserPoolId": pool_id,
        "ClientName": spec.name,
        "GenerateSecret": True,
        "PreventUserExistenceErrors": "ENABLED",
        "EnableTokenRevocation": True,
        **spec.desired(),
        "WriteAttributes": spec.write_attributes(None, required),
    }


def required_attributes(pool: Mapping[str, Any] | None) -> tuple[str, ...]:
    """The pool's required attributes a user can set (``SchemaAttributes`` with ``Required`` and not immutable,
    like ``sub``): what the hosted UI's new-password page may ask a first-time user for."""
    schema = (pool or {}).get("SchemaAttributes") or []
    return tuple(
        str(a["Name"]) for a in schema if a.get("Required") and a.get("Mutable", True) is not False and a.get("Name")
    )


def client_update_params(
    current: Mapping[str, object], fields: tuple[FieldChange, ...], keys: Iterable[str] = ()
) -> dict[str, Any]:
    """Full UpdateUserPoolClient parameters: the described client with the changed fields over it.

    AWS resets every omitted field to its default; moto merges instead, so this is pinned by Stubber tests.
    """
    params = {k: current[k] for k in dict.fromkeys((*_CLIENT_UPDATE_KEYS, *keys)) if k in current}
    for f in fields:
        params[f.field] = f.after
    return params


@dataclass(frozen=True)
class ClientState:
    change: Change
    client: UserPoolClientTypeTypeDef | None

    @property
    def client_id(self) -> ClientId | None:
        return ClientId(self.client["ClientId"]) if self.client else None


def find_client(
    gw: CognitoGateway,
    spec: ClientSpec,
    pool_id: str,
    *,
    described: list[UserPoolClientTypeTypeDef] | None = None,
) -> UserPoolClientTypeTypeDef | None:
    """Our app client by name; raises when two share it (and are not a race). ``described``: every client of the
    pool, already described by this run (:func:`~cognito_privx.cognito.exposure.described_clients`): the first
    look, instead of listing and describing again; a race still looks again."""
    name = spec.name
    first = None if described is None else [c for c in described if c.get("ClientName") == name]

    def look() -> list[UserPoolClientTypeTypeDef]:
        nonlocal first
        if first is not None:
            found, first = first, None
            return found
        return gw.clients_named(pool_id, name)

    found = settled(gw, look, "ClientId")
    if len(found) > 1:
        ids = ", ".join(c["ClientId"] for c in sorted(found, key=lambda c: age_key(c, "ClientId")))
        raise AmbiguousResourceError(
            f"{len(found)} app clients named {name!r} in pool {pool_id}: {ids}",
            "delete the extra app client in the Cognito console, then run again",
        )
    # No ClientSecret here is no proof of a public client: once the original secret is deleted, Cognito may show
    # none for good (floci-io/floci PR #345). setup tells the two apart by listing the secrets.
    return found[0] if found else None


def _settle_client_race(
    gw: CognitoGateway, spec: ClientSpec, pool_id: str, created: UserPoolClientTypeTypeDef
) -> tuple[UserPoolClientTypeTypeDef, str]:
    """Look again after creating the client: the older of two wins; ours (just made) is deleted."""
    found = gw.clients_named(pool_id, spec.name)
    if len(found) < 2:
        return created, ""
    winner = min(found, key=lambda c: age_key(c, "ClientId"))
    if winner["ClientId"] == created["ClientId"]:
        return created, ""
    delete_client(gw, pool_id, created["ClientId"])
    return winner, f"a concurrent run created client {winner['ClientId']} first; this run's was deleted"


def ensure_client(
    gw: CognitoGateway,
    spec: ClientSpec,
    pool_id: str | None,
    *,
    dry_run: bool,
    current: UserPoolClientTypeTypeDef | Unset | None = UNSET,
    required: Iterable[str] = (),
) -> ClientState:
    """Create our app client or converge it. ``required``: the pool's required attributes
    (:func:`required_attributes`), which a new client's ``WriteAttributes`` lets users fill in."""
    name = spec.name
    if isinstance(current, Unset):
        current = find_client(gw, spec, pool_id) if pool_id else None
    writes = spec.write_attributes(current.get("WriteAttributes") if current else None, required)
    desired = {**spec.desired(), "WriteAttributes": writes}
    if current is None:
        change = change_for("cognito app client", name, None, {"GenerateSecret": True, **desired})
        if dry_run or pool_id is None:
            return ClientState(change, None)
        created = gw.create_once(
            "create_user_pool_client",
            "UserPoolClient",
            lambda: plain(find_client(gw, spec, pool_id)),
            **client_create_params(spec, pool_id, required),
        )
        client, note = _settle_client_race(gw, spec, pool_id, cast("UserPoolClientTypeTypeDef", created))
        if note:
            change = Change(change.resource, change.name, Action.NOOP, notes=(note,))
        return ClientState(change, client)
    fields = diff_fields(current, desired, superset_ok=CLIENT_SUPERSET_FIELDS)
    change = Change("cognito app client", name, Action.UPDATE if fields else Action.NOOP, fields)
    if not fields or dry_run:
        return ClientState(change, current)
    params = client_update_params(current, fields, gw.input_members("update_user_pool_client"))
    updated = gw.call("update_user_pool_client", **params)["UserPoolClient"]
    return ClientState(with_unstuck(change, updated, {f.field: f.after for f in fields}), updated)


def delete_client(gw: CognitoGateway, pool_id: str, client_id: str) -> None:
    """Delete an app client; one already gone is fine."""
    idempotent_delete(gw, "delete_user_pool_client", UserPoolId=pool_id, ClientId=client_id)
