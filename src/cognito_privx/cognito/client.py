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


# Lists where someone else's additions are kept (a superset satisfies us). ExplicitAuthFlows only while refresh-token
# rotation is off: with it on, ALLOW_REFRESH_TOKEN_AUTH must go (ClientSpec.auth_flows), so the list is exact.
CLIENT_SUPERSET_FIELDS = ("ReadAttributes", "ExplicitAuthFlows")

# Said by plan and setup while rotation is on: the tool cannot find out what PrivX does with a rotated refresh token.
ROTATION_UNVERIFIED = (
    "refresh-token rotation is on: could not verify that PrivX keeps the new refresh token Cognito returns at each "
    "refresh (undocumented, and PrivX's API does not show it); if PrivX keeps using the old one, its users are "
    "logged out of PrivX at its first IdP refresh after the {grace}-second grace period "
    "(docs/cognito.md#refresh-token-rotation)"
)


def rotation_note(spec: ClientSpec) -> str:
    """The warning :data:`ROTATION_UNVERIFIED` for ``spec``'s grace period."""
    return ROTATION_UNVERIFIED.format(grace=spec.refresh_grace_seconds)


def client_desired(spec: ClientSpec, current: Mapping[str, Any] | None, writes: list[str]) -> dict[str, Any]:
    """What ``ensure_client`` converges for ``current`` (None: a new client): ``spec.desired()`` with the write
    attributes, the auth flows for the current ones, and rotation turned off again when the config has it off but
    the client has it on (a client without ``RefreshTokenRotation``, or DISABLED, is left as it is)."""
    desired = {**spec.desired(), "WriteAttributes": writes}
    if current is not None:
        desired["ExplicitAuthFlows"] = spec.auth_flows(current.get("ExplicitAuthFlows"))
        have = current.get("RefreshTokenRotation") or {}
        if not spec.refresh_token_rotation and have.get("Feature") == "ENABLED":
            desired["RefreshTokenRotation"] = spec.rotation
    return desired


def superset_fields(spec: ClientSpec) -> tuple[str, ...]:
    """:data:`CLIENT_SUPERSET_FIELDS` less ``ExplicitAuthFlows`` while rotation is on."""
    return tuple(f for f in CLIENT_SUPERSET_FIELDS if spec.flows_superset or f != "ExplicitAuthFlows")


# What plan/setup say when an adopted client's ReadAttributes was unset (docs/cognito.md#who-may-read-an-attribute).
READ_UNSET_NOTE = (
    "ReadAttributes was unset (botocore's model reads that as the standard attributes, the console as all of "
    "them): made explicit with every attribute either reading allows, so no app loses a claim"
)


def client_create_params(
    spec: ClientSpec, pool_id: str, required: Iterable[str] = (), pool_attributes: Iterable[str] | None = None
) -> dict[str, Any]:
    return {
        "UserPoolId": pool_id,
        "ClientName": spec.name,
        "GenerateSecret": True,
        "PreventUserExistenceErrors": "ENABLED",
        "EnableTokenRevocation": True,
        **spec.desired(),
        "ReadAttributes": spec.read_attributes_for(None, pool_attributes, adopted=False),
        "WriteAttributes": spec.write_attributes(None, required),
    }


def attribute_names(pool: Mapping[str, Any] | None) -> tuple[str, ...] | None:
    """The names in the pool's ``SchemaAttributes`` (None: no pool yet)."""
    if not pool:
        return None
    return tuple(str(a["Name"]) for a in pool.get("SchemaAttributes") or [] if a.get("Name"))


def _unreadable_notes(spec: ClientSpec, pool_attributes: Iterable[str] | None) -> tuple[str, ...]:
    return tuple(
        f"[privx] account_mapping reads {a}, which is not an attribute of the pool: not made readable (PrivX gets "
        "no such claim); add the custom attribute to the pool or change account_mapping"
        for a in spec.unreadable_in(pool_attributes)
    )


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
    pool_attributes: Iterable[str] | None = None,
) -> ClientState:
    """Create our app client or converge it. ``required``: the pool's required attributes
    (:func:`required_attributes`), which a new client's ``WriteAttributes`` lets users fill in;
    ``pool_attributes``: the names in the pool's SchemaAttributes (:func:`attribute_names`), which decide what
    ``ReadAttributes`` may hold (:meth:`ClientSpec.read_attributes_for`). An existing client whose
    ``ReadAttributes`` is unset gets an explicit list that keeps what either reading of unset allowed."""
    name = spec.name
    names = tuple(pool_attributes) if pool_attributes is not None else None
    if isinstance(current, Unset):
        current = find_client(gw, spec, pool_id) if pool_id else None
    writes = spec.write_attributes(
        current.get("WriteAttributes") if current else None, required, existing=current is not None
    )
    read_now = current.get("ReadAttributes") if current else None
    reads = spec.read_attributes_for(read_now, names, adopted=current is not None)
    desired = {**client_desired(spec, cast("Mapping[str, Any] | None", current), writes), "ReadAttributes": reads}
    notes = (*_unreadable_notes(spec, names), *((rotation_note(spec),) if spec.refresh_token_rotation else ()))
    if current is None:
        change = change_for("cognito app client", name, None, {"GenerateSecret": True, **desired}, notes=notes)
        if dry_run or pool_id is None:
            return ClientState(change, None)
        created = gw.create_once(
            "create_user_pool_client",
            "UserPoolClient",
            lambda: plain(find_client(gw, spec, pool_id)),
            **client_create_params(spec, pool_id, required, names),
        )
        client, note = _settle_client_race(gw, spec, pool_id, cast("UserPoolClientTypeTypeDef", created))
        if note:
            change = Change(change.resource, change.name, Action.NOOP, notes=(*notes, note))
        return ClientState(change, client)
    superset = superset_fields(spec)
    if not read_now:  # unset: shown as unset (None) before the explicit list
        superset = tuple(f for f in superset if f != "ReadAttributes")
        notes = (READ_UNSET_NOTE, *notes)
    fields = diff_fields(current, desired, superset_ok=superset)
    change = Change("cognito app client", name, Action.UPDATE if fields else Action.NOOP, fields, notes)
    if not fields or dry_run:
        return ClientState(change, current)
    params = client_update_params(current, fields, gw.input_members("update_user_pool_client"))
    updated = gw.call("update_user_pool_client", **params)["UserPoolClient"]
    return ClientState(with_unstuck(change, updated, {f.field: f.after for f in fields}), updated)


def delete_client(gw: CognitoGateway, pool_id: str, client_id: str) -> None:
    """Delete an app client; one already gone is fine."""
    idempotent_delete(gw, "delete_user_pool_client", UserPoolId=pool_id, ClientId=client_id)
