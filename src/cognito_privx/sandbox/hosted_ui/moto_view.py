"""The hosted UI's window on moto's Cognito: pools, domains, app clients and users, read at every request.

One source of truth: nothing here is copied or cached. Pools live in
``moto.cognitoidp.models.cognitoidp_backends[account_id][region]``; moto picks the account per request
(``MOTO_ACCOUNT_ID``, the ``x-moto-account-id`` header, the IAM owner of the access key, else
``moto.core.DEFAULT_ACCOUNT_ID`` = ``123456789012``: ``moto/core/responses.py`` ``get_current_account``), so a pool
or a domain is looked up in every account that has a backend for the region, the default account first. A
backend is read with ``dict.get`` so that looking never creates one (``AccountSpecificBackend`` builds backends
on ``[]``).

Writes go back into moto's own objects: a new password and ``CONFIRMED`` after ``FORCE_CHANGE_PASSWORD`` (what
moto's ``respond_to_auth_challenge`` does for ``NEW_PASSWORD_REQUIRED``).

moto's model classes are untyped here (``Any``); each reader turns what it needs into plain typed values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cognito_privx.sandbox.moto_fixes import client_secrets
from cognito_privx.sandbox.moto_fixes.refresh_rotation import rotation_of
from cognito_privx.sandbox.moto_fixes.sign_outs import generation

# moto's model objects (moto.cognitoidp.models.CognitoIdpUserPool, CognitoIdpUser): untyped.
MotoPool = Any
MotoUser = Any

_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}


def _region_backends(region: str) -> list[Any]:
    from moto.cognitoidp.models import cognitoidp_backends
    from moto.core.models import DEFAULT_ACCOUNT_ID

    accounts = sorted(list(cognitoidp_backends.items()), key=lambda item: item[0] != DEFAULT_ACCOUNT_ID)
    found = (dict.get(per_account, region) for _, per_account in accounts)
    return [backend for backend in found if backend is not None]


def find_pool(region: str, pool_id: str) -> MotoPool | None:
    for backend in _region_backends(region):
        pool = backend.user_pools.get(pool_id)
        if pool is not None:
            return pool
    return None


def pool_for_domain(region: str, prefix: str) -> MotoPool | None:
    """The pool whose domain is ``prefix``; ``None`` when no pool of the region has it."""
    for backend in _region_backends(region):
        domain = backend.user_pool_domains.get(prefix)
        if domain is not None:
            pool = backend.user_pools.get(domain.user_pool_id)
            if pool is not None:
                return pool
    return None


def domain_of(region: str, pool: MotoPool) -> str | None:
    """The pool's hosted-UI domain: its prefix domain, else a custom domain, else ``None`` (no hosted UI)."""
    names: list[tuple[bool, str]] = []
    for backend in _region_backends(region):
        for name, domain in backend.user_pool_domains.items():
            if domain.user_pool_id == pool.id:
                names.append((bool(domain.custom_domain_config), str(name)))
    return min(names)[1] if names else None


def issuer(region: str, pool_id: str) -> str:
    """The pool's OIDC issuer, as AWS names it (DG "Verifying a JSON web token")."""
    return f"https://cognito-idp.{region}.amazonaws.com/{pool_id}"


def _validity(config: dict[str, Any], kind: str, default: int, default_unit: str) -> int:
    value = config.get(f"{kind}Validity")
    unit = (config.get("TokenValidityUnits") or {}).get(kind) or default_unit
    return int(value or default) * _SECONDS.get(str(unit), _SECONDS[default_unit])


@dataclass(frozen=True)
class AppClient:
    """What the hosted UI needs of an app client (botocore ``UserPoolClientType``), read from moto."""

    id: str
    pool_id: str
    secret: str | None
    secrets: tuple[str, ...]  # every active secret (two during a rotation); the token endpoint takes any
    callback_urls: tuple[str, ...]
    oauth_enabled: bool  # AllowedOAuthFlowsUserPoolClient
    oauth_flows: frozenset[str]  # AllowedOAuthFlows: code, implicit, client_credentials
    oauth_scopes: tuple[str, ...]  # AllowedOAuthScopes
    explicit_auth_flows: tuple[str, ...] | None  # None: not set (AWS then allows refresh, SRP, custom)
    read_attributes: frozenset[str] | None  # None: not set (the standard attributes, no custom ones)
    identity_providers: frozenset[str]  # SupportedIdentityProviders
    access_validity: int  # seconds
    id_validity: int
    refresh_validity: int
    auth_session_validity: int
    rotation: bool = False  # RefreshTokenRotation ENABLED: each refresh returns a new refresh token
    grace: int = 0  # RetryGracePeriodSeconds: how long a rotated-out refresh token still works

    @classmethod
    def of(cls, pool: MotoPool, client_id: str) -> AppClient | None:
        client = pool.clients.get(client_id) if client_id else None
        if client is None:
            return None
        config: dict[str, Any] = dict(client.extended_config)
        explicit = config.get("ExplicitAuthFlows")
        readable = config.get("ReadAttributes")
        return cls(
            id=str(client.id),
            pool_id=str(pool.id),
            secret=str(client.secret) if client.generate_secret else None,
            secrets=tuple(str(s["ClientSecretValue"]) for s in client_secrets(client))
            if client.generate_secret
            else (),
            callback_urls=tuple(config.get("CallbackURLs") or ()),
            oauth_enabled=bool(config.get("AllowedOAuthFlowsUserPoolClient")),
            oauth_flows=frozenset(config.get("AllowedOAuthFlows") or ()),
            oauth_scopes=tuple(config.get("AllowedOAuthScopes") or ()),
            explicit_auth_flows=tuple(explicit) if explicit else None,
            read_attributes=frozenset(readable) if readable else None,
            identity_providers=frozenset(config.get("SupportedIdentityProviders") or ()),
            access_validity=_validity(config, "AccessToken", 1, "hours"),
            id_validity=_validity(config, "IdToken", 1, "hours"),
            refresh_validity=_validity(config, "RefreshToken", 30, "days"),
            auth_session_validity=int(config.get("AuthSessionValidity") or 3) * 60,
            rotation=rotation_of(config)[0],
            grace=rotation_of(config)[1],
        )


# -- users ------------------------------------------------------------------------------------------------------


def attributes(user: MotoUser) -> dict[str, str]:
    return {str(a["Name"]): str(a["Value"]) for a in user.attributes}


def status(user: MotoUser) -> str:
    value = user.status
    return str(getattr(value, "value", value))  # moto's UserStatus is a str enum


def groups(user: MotoUser) -> list[str]:
    """The user's group names, by precedence (lowest first, groups without one last), then name."""
    ordered = sorted(user.groups, key=lambda g: (g.precedence is None, g.precedence or 0, g.group_name))
    return [str(g.group_name) for g in ordered]


def find_user(pool: MotoPool, login: str) -> MotoUser | None:
    """The user ``login`` names, as the pool resolves sign-in names (DG "User pool attributes", sign-in options;
    botocore ``UsernameConfigurationType``):

    - ``UsernameAttributes`` (``email`` / ``phone_number`` as the user name): the attribute value;
    - the user name itself (for such pools the internal name, the ``sub``);
    - ``AliasAttributes``: ``preferred_username``, or a **verified** ``email`` / ``phone_number``.

    A pool with ``UsernameConfiguration.CaseSensitive`` false compares ignoring case (pools without it are
    case-sensitive). Done here rather than through moto's ``_get_user`` so that it holds with or without
    :mod:`cognito_privx.sandbox.moto_fixes`, and knows aliases, which moto's lookup does not.
    """
    if not login:
        return None
    config: dict[str, Any] = pool.extended_config
    sensitive = (config.get("UsernameConfiguration") or {}).get("CaseSensitive", True) is not False
    wanted = login if sensitive else login.casefold()

    def same(value: str | None) -> bool:
        return value is not None and (value if sensitive else value.casefold()) == wanted

    users = list(pool.users.values())
    for kind in config.get("UsernameAttributes") or ():
        match = next((u for u in users if same(attributes(u).get(kind))), None)
        if match is not None:
            return match
    match = next((u for u in users if same(str(u.username))), None)
    if match is not None:
        return match
    for kind in config.get("AliasAttributes") or ():
        for user in users:
            values = attributes(user)
            verified = kind == "preferred_username" or values.get(f"{kind}_verified") == "true"
            if verified and same(values.get(kind)):
                return user
    return None


def user_by_name(pool: MotoPool, username: str) -> MotoUser | None:
    """The user with this internal user name (``cognito:username``), exactly."""
    return pool.users.get(username)


def token_generation(pool: MotoPool, username: str) -> int:
    """How many times the user's refresh tokens have been ended (global sign-out, disable, deletion): a refresh
    token issued at another count is refused (:mod:`cognito_privx.sandbox.moto_fixes.sign_outs`)."""
    return generation(pool, username)


def password_policy(pool: MotoPool) -> dict[str, Any]:
    return dict((pool.extended_config.get("Policies") or {}).get("PasswordPolicy") or {})


def set_password(user: MotoUser, password: str) -> None:
    """The new password takes: ``CONFIRMED`` (moto's ``respond_to_auth_challenge``, ``NEW_PASSWORD_REQUIRED``)."""
    from moto.cognitoidp.models import UserStatus
    from moto.core.utils import utcnow

    user.password = password
    user.status = UserStatus.CONFIRMED
    user.last_modified_date = utcnow()
