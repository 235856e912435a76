"""Fix 16: an app client's refresh-token rotation (``RefreshTokenRotation``), as AWS documents it. moto 5.2.5 stores
whatever ``CreateUserPoolClient`` / ``UpdateUserPoolClient`` send in the client's ``extended_config`` and answers it
back in ``DescribeUserPoolClient``, but checks nothing.

What AWS documents, and what this stand-in does:

- The shape (botocore 1.44 ``RefreshTokenRotationType``): ``Feature`` required, ``ENABLED`` or ``DISABLED``;
  ``RetryGracePeriodSeconds`` an integer 0-60. Anything else is ``InvalidParameterException`` (botocore validates
  this on the client side already; moto's server, reached without botocore, did not).
- Rotation and ``ALLOW_REFRESH_TOKEN_AUTH``: "You can't authenticate with REFRESH_TOKEN_AUTH in app clients with
  refresh token rotation enabled" and, with rotation, "you must disable this authentication flow" (Cognito developer
  guide, amazon-cognito-user-pools-using-the-refresh-token; API reference ``RefreshTokenRotationType``: "Refresh
  token rotation must be completed with GetTokensFromRefreshToken"). Whether AWS *refuses to store* a client with
  both is not documented; the stand-in takes the stricter reading and refuses it (``InvalidParameterException``,
  the message its own), counting what the client's flows allow as
  :func:`cognito_privx.sandbox.moto_fixes.auth_flows.allowed_flags` does: unset flows allow refresh, so they are
  refused with rotation too.
- ``UpdateUserPoolClient`` replaces the client ("If you don't provide a value for an attribute, Amazon Cognito sets
  it to its default value", botocore's model): the request alone is judged, as AWS would end up with it; an omitted
  ``ExplicitAuthFlows`` is the default set, which allows refresh.
- ``REFRESH_TOKEN_AUTH`` in ``InitiateAuth`` / ``AdminInitiateAuth`` on such a client is refused by fix 11 (the flag
  is off). What the token endpoint does with a rotating client (a new refresh token each time, the old one valid for
  the grace period): the hosted-UI stand-in, :mod:`cognito_privx.sandbox.hosted_ui.token`.
"""

from __future__ import annotations

from typing import Any

from cognito_privx.sandbox.moto_fixes.auth_flows import allowed_flags
from cognito_privx.sandbox.moto_patch import Method, wrap

__all__ = ["FEATURES", "MAX_GRACE_SECONDS", "check_rotation", "fix_refresh_rotation", "rotation_of"]

FEATURES = frozenset({"ENABLED", "DISABLED"})
MAX_GRACE_SECONDS = 60
REFRESH_FLAG = "ALLOW_REFRESH_TOKEN_AUTH"


def rotation_of(config: dict[str, Any]) -> tuple[bool, int]:
    """``(enabled, grace seconds)`` of a client's stored config; no ``RefreshTokenRotation``: off. An enabled one
    without ``RetryGracePeriodSeconds`` has no grace period (0: the model documents no default, so the stricter)."""
    rotation = config.get("RefreshTokenRotation") or {}
    enabled = rotation.get("Feature") == "ENABLED"
    return enabled, int(rotation.get("RetryGracePeriodSeconds") or 0) if enabled else 0


def check_rotation(config: dict[str, Any]) -> str | None:
    """Why AWS would refuse the client ``config`` (one request's parameters), or None (see the module docstring)."""
    rotation = config.get("RefreshTokenRotation")
    if rotation is None:
        return None
    if not isinstance(rotation, dict) or rotation.get("Feature") not in FEATURES:
        return "RefreshTokenRotation.Feature must be ENABLED or DISABLED"
    grace = rotation.get("RetryGracePeriodSeconds")
    if grace is not None and (
        isinstance(grace, bool) or not isinstance(grace, int) or not 0 <= grace <= MAX_GRACE_SECONDS
    ):
        return f"RefreshTokenRotation.RetryGracePeriodSeconds must be between 0 and {MAX_GRACE_SECONDS}"
    if rotation["Feature"] == "ENABLED" and REFRESH_FLAG in allowed_flags(config.get("ExplicitAuthFlows")):
        return f"refresh token rotation cannot be enabled while ExplicitAuthFlows allows {REFRESH_FLAG}"
    return None


def fix_refresh_rotation(models: Any) -> None:
    """Install :func:`check_rotation` on moto's ``create_user_pool_client`` and ``update_user_pool_client``."""
    error = models.InvalidParameterException

    def create(original: Method) -> Method:
        def create_user_pool_client(
            self: Any, user_pool_id: str, generate_secret: bool, extended_config: dict[str, Any]
        ) -> Any:
            if why := check_rotation(extended_config or {}):
                raise error(why)
            return original(self, user_pool_id, generate_secret, extended_config)

        return create_user_pool_client

    def update(original: Method) -> Method:
        def update_user_pool_client(
            self: Any, user_pool_id: str, client_id: str, extended_config: dict[str, Any]
        ) -> Any:
            if why := check_rotation(extended_config or {}):
                raise error(why)
            client = original(self, user_pool_id, client_id, extended_config)
            if "RefreshTokenRotation" not in (extended_config or {}):
                # AWS resets an omitted field to its default (rotation off); moto would keep the old value.
                client.extended_config.pop("RefreshTokenRotation", None)
            return client

        return update_user_pool_client

    wrap(models.CognitoIdpBackend, "create_user_pool_client", create)
    wrap(models.CognitoIdpBackend, "update_user_pool_client", update)
