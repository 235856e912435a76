"""The live facts doctor's checks read, gathered once, with read calls only.

A fact is the value read, or the :class:`~cognito_privx.errors.CognitoPrivxError` that reading it raised (a
check that needs it then fails with that error's message and hint). A fact whose prerequisite is missing is
not gathered and stays ``None``: no app client, domain or discovery document without a pool; nothing on PrivX
beyond its status when it cannot be reached; no directory when the API is not usable (the directory then
carries the API's error); no roles or direct-login redirect without an OIDC directory.

Where each piece comes from
---------------------------
- The discovery document and the JWKS come over HTTPS with the ``http`` client :func:`gather` is given (its
  transport is the test seam). When boto3 talks to an endpoint that is not AWS's own (``AWS_ENDPOINT_URL``,
  ``AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER`` or a profile's ``endpoint_url``: whatever the boto3 client
  actually uses), discovery is fetched from ``<endpoint>/<pool-id>/.well-known/openid-configuration`` instead
  of the issuer URL. moto's server serves that document with the AWS issuer and a ``jwks_uri`` on itself
  (docs/cognito.md#testing-with-moto).
- The direct-login URL is requested with the PrivX HTTP client (its CA, its transport), without following
  redirects (docs/privx-api.md#direct-login-url).
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from cognito_privx import cognito, net, privx
from cognito_privx.config import RULE_TEMPLATE_CANDIDATES
from cognito_privx.desired import DesiredState, search_string_for
from cognito_privx.errors import CognitoError, CognitoPrivxError, PrivXAPIError, PrivXConnectionError, aws_error_code
from cognito_privx.privx import directlogin
from cognito_privx.reconcile import pool_identity

if TYPE_CHECKING:  # types-boto3-cognito-idp: type checking only
    from types_boto3_cognito_idp.type_defs import (
        DomainDescriptionTypeTypeDef,
        UserPoolClientTypeTypeDef,
        UserPoolTypeTypeDef,
    )

T = TypeVar("T")

# A fact that could not be read: the error says why (message + hint). Held, never raised, by the facts.
Failed = CognitoPrivxError


class Branding(enum.Enum):
    """What Cognito says about the app client's managed-login branding style."""

    FOUND = "found"
    NOT_FOUND = "not found"
    UNSUPPORTED = "unsupported"  # moto in-process (docs/cognito.md#where-moto-differs-from-aws)


@dataclass(frozen=True)
class Document:
    """A JSON object fetched over HTTP(S): its body, or why it could not be had."""

    url: str
    body: dict[str, Any] | Failed


@dataclass(frozen=True)
class Domain:
    """The hosted-UI domain the pool should have, and its description (empty when the prefix is free)."""

    prefix: str
    description: DomainDescriptionTypeTypeDef | Failed


@dataclass(frozen=True)
class RuleForm:
    """One candidate ``search_string`` form, evaluated by PrivX for one user of the directory."""

    template: str
    search_string: str
    matches: bool | None  # None: PrivX could not tell (roles/evaluate not offered or failing)
    refused: str | None = None  # PrivX's 400, when it refused the form


@dataclass(frozen=True)
class Calibration:
    """Which rule forms match a real user of our directory (docs/privx-api.md#role-rules). ``user`` is ``None``
    when the directory has no user in PrivX yet (an OIDC user appears at the first login)."""

    user: str | None = None
    tag: str | None = None
    forms: tuple[RuleForm, ...] = ()


@dataclass(frozen=True)
class AccountMapping:
    """The direction of the directory's ``attribute_mapping`` (privx/accounts.py): what our record says a login
    showed (``None``: unverified), how the map is written now, and what the newest logins show (``None``: none
    since the directory was last written, with a mapped claim)."""

    recorded: privx.accounts.Direction | None
    written: privx.accounts.Direction | None
    evidence: privx.accounts.Evidence | None


@dataclass(frozen=True)
class Facts:
    """Everything the checks compare with the desired state. See the module docstring."""

    aws: Failed | None = None  # None: Cognito answered with these credentials
    pool: UserPoolTypeTypeDef | Failed | None = None
    mfa: dict[str, Any] | Failed | None = None  # GetUserPoolMfaConfig of the pool
    client: UserPoolClientTypeTypeDef | Failed | None = None
    clients: list[UserPoolClientTypeTypeDef] | Failed | None = None  # every app client of the pool, described
    secrets: list[cognito.ClientSecret] | Failed | None = None  # the app client's active secrets, oldest first
    domain: Domain | None = None  # None: neither the config nor the pool names a domain
    branding: Branding | Failed | None = None  # only with managed login
    endpoint_override: str | None = None  # boto3's endpoint when it is not AWS's own
    discovery: Document | None = None
    jwks: Document | None = None
    privx_status: dict[str, Any] | Failed | None = None
    privx_sources: int | Failed | None = None  # what the API client reads; None: PrivX cannot be reached
    directory: dict[str, Any] | Failed | None = None
    roles: dict[str, dict[str, Any]] | Failed | None = None  # by name
    login: tuple[directlogin.Probe, ...] = ()  # the configured login URL first, then the other candidates
    calibration: Calibration | Failed | None = None
    account_mapping: AccountMapping | Failed | None = None  # only with [privx] account_mapping


def _read(read: Callable[[], T]) -> T | Failed:
    try:
        return read()
    except CognitoPrivxError as e:
        return e


def managed_login(desired: DesiredState) -> bool:
    """Whether the hosted UI is managed login (``ManagedLoginVersion=2``), which needs a branding style
    (docs/cognito.md#the-app-client-privx-needs)."""
    return desired.domain is not None and desired.domain.managed_login_version == 2


def domain_prefix(desired: DesiredState, pool: UserPoolTypeTypeDef) -> str | None:
    """The domain the hosted UI lives on: the configured prefix, else whichever the pool has."""
    return (desired.domain.prefix if desired.domain else None) or pool.get("Domain") or pool.get("CustomDomain")


def is_oidc(directory: object) -> bool:
    """Whether a directory fact is a readable OIDC directory."""
    return isinstance(directory, dict) and (directory.get("connection") or {}).get("type") == "OIDC"


def _fetch_json(http: httpx.Client, url: str, what: str) -> Document:
    try:
        response = http.get(url)
    except httpx.HTTPError as e:
        note, hint = network_note(http, e)
        return Document(url, Failed(f"cannot fetch the {what} {url}: {type(e).__name__}: {e}{note}", hint))
    if response.status_code != 200:
        return Document(
            url,
            Failed(
                f"the {what} {url} answered HTTP {response.status_code}",
                "check that the user pool exists and the region is right",
            ),
        )
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = None
    return Document(url, body if isinstance(body, dict) else Failed(f"the {what} {url} is not a JSON object"))


def network_note(http: httpx.Client, error: httpx.HTTPError) -> tuple[str, str]:
    """For a request that met ``error``: the message's tail naming the CA and the proxy it used, and the hint
    (the CA settings for a failed verification, else the network and proxy settings; docs/network.md)."""
    where = str(error.request.url) if isinstance(error, httpx.RequestError) else ""
    route = f" ({http.route(where)})" if isinstance(http, net.Client) and where else ""
    if net.is_tls_failure(error):
        return route, (
            "behind a TLS-inspecting proxy, set AWS_CA_BUNDLE (or the profile's ca_bundle) to its CA bundle, as for "
            f"the AWS CLI; see {net.DOCS}"
        )
    return route, f"check the network and the proxy settings (HTTPS_PROXY, NO_PROXY; see {net.DOCS})"


def _branding(gw: cognito.CognitoGateway, pool_id: str, client_id: str) -> Branding | Failed:
    try:
        gw.call("describe_managed_login_branding_by_client", UserPoolId=pool_id, ClientId=client_id)
    except NotImplementedError:
        return Branding.UNSUPPORTED
    except CognitoError as e:
        if aws_error_code(e) == "ResourceNotFoundException":
            return Branding.NOT_FOUND
        if cognito.why_unavailable(e) == "unsupported":  # an endpoint without managed-login branding
            return Branding.UNSUPPORTED
        return e
    return Branding.FOUND


def _privx_api(px: privx.PrivXClient) -> list[dict[str, Any]]:
    """Log in and read sources and roles, as setup must: the sources (the run's one listing of them)."""
    px.login()
    sources = px.list_sources()
    px.request("GET", privx.ROLES_PATH, params={"offset": 0, "limit": 1})
    return sources


def _roles(px: privx.PrivXClient, desired: DesiredState) -> dict[str, dict[str, Any]]:
    found = px.resolve_roles([role.name for role in desired.roles])
    return {name: px.get_role(str(r["id"])) for name, r in found.items()}


def _login_probes(
    desired: DesiredState, px: privx.PrivXClient, directory: Mapping[str, Any]
) -> tuple[directlogin.Probe, ...]:
    template, base_url = desired.login_url_template, desired.public_url
    return tuple(directlogin.probe_all(px.http, template, base_url, str(directory["id"])))


def _calibrate(px: privx.PrivXClient, desired: DesiredState, directory_id: str) -> Calibration:
    """Evaluate each candidate rule form (the configured one first) for one user of our directory with a tag:
    the form whose evaluation returns that user is the one this PrivX understands."""
    groups = {g.group for g in desired.grants}
    users = px.search_users(directory_id)
    tagged = [(u, t) for u in users for t in (u.get("tags") or []) if t in groups] or [
        (u, t) for u in users for t in (u.get("tags") or [])
    ]
    if not tagged:
        return Calibration()
    user, tag = tagged[0]
    forms = []
    for template in dict.fromkeys((desired.rule_template, *RULE_TEMPLATE_CANDIDATES)):
        search = search_string_for(template, tag)
        body = {
            "name": "cognito-privx-rule-check",
            "permissions": [],
            "source_rules": {"type": "GROUP", "match": "ANY", "rules": [privx.role_rule(directory_id, search)]},
        }
        try:
            found = px.evaluate(body)
        except PrivXAPIError as e:
            forms.append(RuleForm(template, search, False, refused=e.message))
            continue
        matched = None if found is None else any(str(u.get("id")) == str(user.get("id")) for u in found)
        forms.append(RuleForm(template, search, matched))
    label = str(user.get("principal") or user.get("email") or user.get("id"))
    return Calibration(label, tag, tuple(forms))


def _account_mapping(px: privx.PrivXClient, desired: DesiredState, directory: Mapping[str, Any]) -> AccountMapping:
    users = px.search_users(str(directory["id"]), newest_first=True)
    return AccountMapping(
        privx.accounts.recorded_direction(directory),
        privx.accounts.stored_direction(directory),
        privx.accounts.evidence(users, directory, dict(desired.directory.account_mapping)),
    )


def gather(
    desired: DesiredState,
    gw: cognito.CognitoGateway,
    px: privx.PrivXClient,
    http: httpx.Client,
) -> Facts:
    """Read everything the checks need, once. Raises only what is not a :class:`CognitoPrivxError` (a bug)."""
    # Each list read once per run: the pools listed here answer both the credentials check and the pool search
    # (a pinned pool_id needs no listing: one page of one proves the credentials).
    listed: list[Any] | Failed
    if desired.pool.pool_id:
        listed = _read(lambda: gw.call("list_user_pools", MaxResults=1).get("UserPools", []))
    else:
        listed = _read(lambda: list(gw.user_pools()))
    aws = listed if isinstance(listed, Failed) else None
    pool = (
        None
        if isinstance(listed, Failed)
        else _read(lambda: cognito.find_our_pool(gw, desired.pool, listed=None if desired.pool.pool_id else listed))
    )
    client = domain = branding = discovery = jwks = mfa = secrets = clients = None
    base = cognito.endpoint_override(gw)
    if pool is not None and not isinstance(pool, Failed):
        pool_id = pool["Id"]
        mfa = _read(lambda: gw.mfa_config(pool_id))
        clients = _read(lambda: cognito.described_clients(gw, pool_id))  # the one listing: ours among them
        described = clients if isinstance(clients, list) else None
        client = _read(lambda: cognito.find_client(gw, desired.client, pool_id, described=described))
        prefix = domain_prefix(desired, pool)
        if prefix:
            domain = Domain(prefix, _read(lambda: gw.describe_domain(prefix)))
        if client is not None and not isinstance(client, Failed):
            client_id = client["ClientId"]
            secrets = _read(lambda: cognito.list_secrets(gw, pool_id, client_id))
        if client is not None and not isinstance(client, Failed) and managed_login(desired):
            branding = _branding(gw, pool_id, client["ClientId"])
        issuer = desired.pool.issuer(pool_id)
        where = f"{base}/{pool_id}" if base else issuer
        discovery = _fetch_json(http, f"{where}/.well-known/openid-configuration", "discovery document")
        jwks_uri = discovery.body.get("jwks_uri") if isinstance(discovery.body, dict) else None
        if isinstance(jwks_uri, str):
            jwks = _fetch_json(http, jwks_uri, "JWKS")

    status = _read(px.status)
    if isinstance(status, PrivXConnectionError) and isinstance(px.http, net.Client):
        # Which CA and proxy the way to PrivX used (docs/network.md).
        routed = PrivXConnectionError(f"{status.message} ({px.http.route(desired.privx_url)})", status.hint)
        routed.tls, routed.unknown_outcome = status.tls, status.unknown_outcome
        status = routed
    listing = None if isinstance(status, PrivXConnectionError) else _read(lambda: _privx_api(px))
    sources = len(listing) if isinstance(listing, list) else listing
    directory: dict[str, Any] | Failed | None = None
    if isinstance(listing, list):
        # Ours by its issuer (ARCHITECTURE.md#ownership); a same-named one of another pool is checked too, so
        # the issuer check says why it is not ours.
        def ours_or_named() -> dict[str, Any] | None:
            identity = pool_identity(desired, pool if isinstance(pool, dict) else None)
            found = privx.find_directories(px, desired.directory.name, identity, listed=listing)
            return found.ours or found.foreign

        directory = _read(ours_or_named)
    else:  # why it cannot be read: the API's error, or PrivX's unreachability
        directory = listing if listing is not None else status if isinstance(status, Failed) else None
    roles = None
    login: tuple[directlogin.Probe, ...] = ()
    calibration: Calibration | Failed | None = None
    account_mapping: AccountMapping | Failed | None = None
    if isinstance(directory, dict) and is_oidc(directory):
        if desired.roles:
            roles = _read(lambda: _roles(px, desired))
        if client is not None and not isinstance(client, Failed):
            login = _login_probes(desired, px, directory)
        if desired.grants:
            calibration = _read(lambda: _calibrate(px, desired, str(directory["id"])))
        if desired.directory.account_mapping:
            account_mapping = _read(lambda: _account_mapping(px, desired, directory))

    return Facts(
        aws=aws if isinstance(aws, Failed) else None,
        pool=pool,
        mfa=mfa,
        client=client,
        clients=clients,
        secrets=secrets,
        domain=domain,
        branding=branding,
        endpoint_override=base,
        discovery=discovery,
        jwks=jwks,
        privx_status=status,
        privx_sources=sources,
        directory=directory,
        roles=roles,
        login=login,
        calibration=calibration,
        account_mapping=account_mapping,
    )
