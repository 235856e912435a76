"""Fix 11: an app client signs users in only by the flows its ``ExplicitAuthFlows`` allows. moto 5.2.5 stores
``ExplicitAuthFlows`` and never reads it: ``InitiateAuth`` and ``AdminInitiateAuth`` accept any flow the call knows
(``models.py``, ``CognitoIdpBackend.initiate_auth`` / ``admin_initiate_auth`` check only the flow's name), so a
client that allows only ``ALLOW_REFRESH_TOKEN_AUTH`` (cognito-privx's own) would take a password.

What AWS does, and what this stand-in does:

- Each flow needs its flag (botocore 1.44 ``UserPoolClientType.ExplicitAuthFlows``: "ALLOW_ADMIN_USER_PASSWORD_AUTH:
  Enable admin based user password authentication flow ADMIN_USER_PASSWORD_AUTH. This setting replaces the
  ADMIN_NO_SRP_AUTH setting", "ALLOW_USER_PASSWORD_AUTH: Enable user password-based authentication",
  "ALLOW_USER_SRP_AUTH: Enable SRP-based authentication", "ALLOW_REFRESH_TOKEN_AUTH: Enable authflow to refresh
  tokens", "ALLOW_CUSTOM_AUTH: Enable Lambda trigger based authentication"): :data:`NEEDS`.
- A flow the client does not allow is ``InvalidParameterException`` "<FLOW> flow not enabled for this client" (the
  answer AWS gives, e.g. "USER_PASSWORD_AUTH flow not enabled for this client"; reproduced by the floci emulator's
  fix, floci-io/floci#3974), given before the credentials are looked at: a refused flow says nothing about the
  password.
- ``ExplicitAuthFlows`` unset: "your app client supports ALLOW_REFRESH_TOKEN_AUTH, ALLOW_USER_SRP_AUTH, and
  ALLOW_CUSTOM_AUTH" (same botocore documentation): :data:`DEFAULT`. An empty list is not described; the stand-in
  takes it as unset (the wider reading).
- The legacy values ``ADMIN_NO_SRP_AUTH``, ``USER_PASSWORD_AUTH`` and ``CUSTOM_AUTH_FLOW_ONLY`` (still in botocore's
  ``ExplicitAuthFlowsType`` enum; "You can't assign these legacy ExplicitAuthFlows values to user pool clients at the
  same time as values that begin with ALLOW_", CloudFormation ``AWS::Cognito::UserPoolClient``) come from before the
  ``ALLOW_`` flags, when SRP, refresh and custom sign-in needed no flag: a client listing any of them keeps those
  three (:data:`LEGACY_ALWAYS`), and gains the password flow each names (:data:`LEGACY`). ``CUSTOM_AUTH_FLOW_ONLY``
  ("Only allow Custom Authentication", the console's words) leaves custom sign-in and refresh only. A list mixing
  both kinds (which AWS refuses to store and moto stores) gets the union: the wider reading.
- Flows the call itself does not take (``ADMIN_NO_SRP_AUTH`` in ``InitiateAuth``, moto's "Initiate Auth method not
  supported") are left to moto's own check.
"""

from __future__ import annotations

from typing import Any

from cognito_privx.sandbox.moto_patch import Method, wrap

__all__ = ["DEFAULT", "LEGACY", "NEEDS", "allowed_flags", "fix_auth_flows", "not_enabled"]

NEEDS: dict[str, str] = {
    "USER_PASSWORD_AUTH": "ALLOW_USER_PASSWORD_AUTH",
    "ADMIN_USER_PASSWORD_AUTH": "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    "ADMIN_NO_SRP_AUTH": "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    "USER_SRP_AUTH": "ALLOW_USER_SRP_AUTH",
    "REFRESH_TOKEN_AUTH": "ALLOW_REFRESH_TOKEN_AUTH",
    "REFRESH_TOKEN": "ALLOW_REFRESH_TOKEN_AUTH",
    "CUSTOM_AUTH": "ALLOW_CUSTOM_AUTH",
    "USER_AUTH": "ALLOW_USER_AUTH",
}
"""The ``ExplicitAuthFlows`` flag each ``AuthFlow`` needs."""

DEFAULT = frozenset({"ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_CUSTOM_AUTH"})
"""What a client with no ``ExplicitAuthFlows`` allows."""

LEGACY: dict[str, str] = {
    "ADMIN_NO_SRP_AUTH": "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    "USER_PASSWORD_AUTH": "ALLOW_USER_PASSWORD_AUTH",
}
"""The password flow each legacy value turns on."""

LEGACY_ALWAYS = DEFAULT
"""What a client with legacy values allows besides them (unless ``CUSTOM_AUTH_FLOW_ONLY``)."""

CUSTOM_ONLY = "CUSTOM_AUTH_FLOW_ONLY"

USER_FLOWS = frozenset({"USER_SRP_AUTH", "REFRESH_TOKEN_AUTH", "REFRESH_TOKEN", "CUSTOM_AUTH", "USER_PASSWORD_AUTH"})
"""The flows moto's ``initiate_auth`` takes (others it refuses itself)."""

ADMIN_FLOWS = frozenset({"ADMIN_NO_SRP_AUTH", "ADMIN_USER_PASSWORD_AUTH", "REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"})
"""The flows moto's ``admin_initiate_auth`` takes."""


def not_enabled(flow: str) -> str:
    """AWS's message for a flow the client does not allow."""
    return f"{flow} flow not enabled for this client"


def allowed_flags(explicit: list[str] | None) -> frozenset[str]:
    """The ``ALLOW_`` flags a client with ``ExplicitAuthFlows=explicit`` has (see the module docstring)."""
    if not explicit:
        return DEFAULT
    flags = {f for f in explicit if f.startswith("ALLOW_")}
    legacy = [f for f in explicit if not f.startswith("ALLOW_")]
    if legacy:
        if CUSTOM_ONLY in legacy:
            flags |= {"ALLOW_CUSTOM_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}
        else:
            flags |= LEGACY_ALWAYS | {LEGACY[f] for f in legacy if f in LEGACY}
    return frozenset(flags)


def _check(client: Any, flow: str, takes: frozenset[str], error: type[Exception]) -> None:
    if client is None or flow not in takes:
        return  # moto's own answer (unknown client, a flow this call does not take)
    if NEEDS[flow] not in allowed_flags(client.extended_config.get("ExplicitAuthFlows")):
        raise error(not_enabled(flow))


def fix_auth_flows(models: Any) -> None:
    """Install the check of the module docstring on moto's ``initiate_auth`` and ``admin_initiate_auth``."""
    error = models.InvalidParameterException

    def user(original: Method) -> Method:
        def initiate_auth(self: Any, client_id: str, auth_flow: str, auth_parameters: dict[str, str]) -> Any:
            for pool in self.user_pools.values():
                if client_id in pool.clients:
                    _check(pool.clients[client_id], str(auth_flow), USER_FLOWS, error)
                    break
            return original(self, client_id, auth_flow, auth_parameters)

        return initiate_auth

    def admin(original: Method) -> Method:
        def admin_initiate_auth(
            self: Any, user_pool_id: str, client_id: str, auth_flow: str, auth_parameters: dict[str, str]
        ) -> Any:
            pool = self.user_pools.get(user_pool_id)
            if pool is not None:
                _check(pool.clients.get(client_id), str(auth_flow), ADMIN_FLOWS, error)
            return original(self, user_pool_id, client_id, auth_flow, auth_parameters)

        return admin_initiate_auth

    wrap(models.CognitoIdpBackend, "initiate_auth", user)
    wrap(models.CognitoIdpBackend, "admin_initiate_auth", admin)
