"""The check ``client-refresh-token`` (registered in :mod:`.checks`, after the app-client checks): PrivX gets refresh
tokens by the pair of settings AWS requires, the same pair ``setup`` converges to; with refresh-token rotation on, a
warning that what PrivX does with a rotated refresh token could not be verified. A pure function over the facts.

docs/cognito.md#refresh-token-rotation.
"""

from __future__ import annotations

from typing import Any

from cognito_privx import cognito
from cognito_privx.desired import REFRESH_FLOW, DesiredState
from cognito_privx.doctor.facts import Facts, Failed
from cognito_privx.doctor.registry import SETUP_HINT, fail, skip, warn


def _client(facts: Facts) -> dict[str, Any]:
    if facts.client is None or isinstance(facts.client, Failed):
        raise skip("skipped: no usable app client (see app-client)")
    return dict(facts.client)


def client_refresh_token(facts: Facts, desired: DesiredState) -> str:
    """PrivX gets refresh tokens, by the pair AWS requires: rotation off with ``ALLOW_REFRESH_TOKEN_AUTH``, or
    rotation on (with the configured grace period) without it (docs/cognito.md#refresh-token-rotation). Both are
    what ``setup`` converges to, so its hint never loops. Rotation on and right is a warning: whether PrivX keeps a
    rotated refresh token cannot be verified."""
    client = _client(facts)
    spec = desired.client
    flows = list(client.get("ExplicitAuthFlows") or [])
    rotation: dict[str, Any] = dict(client.get("RefreshTokenRotation") or {})
    on = rotation.get("Feature") == "ENABLED"
    if not spec.refresh_token_rotation:
        if on:
            raise fail(
                "refresh-token rotation is on, but refresh_token_rotation is false in the config",
                f"{SETUP_HINT} (it turns rotation off and allows ALLOW_REFRESH_TOKEN_AUTH), or set "
                "refresh_token_rotation = true",
            )
        if not flows:  # unset: "ALLOW_REFRESH_TOKEN_AUTH, ALLOW_USER_SRP_AUTH, and ALLOW_CUSTOM_AUTH" (model)
            return "refresh tokens allowed (ExplicitAuthFlows unset: refresh, SRP and custom), rotation off"
        want = spec.auth_flows(flows)
        if missing := [w for w in want if w not in flows]:
            raise fail(
                f"refresh tokens are not allowed (ExplicitAuthFlows: {', '.join(flows) or 'none'}); PrivX needs them",
                f"{SETUP_HINT} (it adds {', '.join(missing)})",
            )
        return f"refresh tokens allowed ({', '.join(want)}), rotation off"
    grace = rotation.get("RetryGracePeriodSeconds")
    if not on or grace != spec.refresh_grace_seconds:
        have = f"on, grace period {grace} s" if on else "off"
        raise fail(
            f"refresh-token rotation is {have}; the config wants it on with a {spec.refresh_grace_seconds}-second "
            "grace period",
            f"{SETUP_HINT} (it sets RefreshTokenRotation and removes ALLOW_REFRESH_TOKEN_AUTH)",
        )
    if REFRESH_FLOW in flows:
        raise fail(
            "refresh-token rotation is on, but ALLOW_REFRESH_TOKEN_AUTH is still allowed, which AWS says must be off",
            f"{SETUP_HINT} (it removes ALLOW_REFRESH_TOKEN_AUTH)",
        )
    raise warn(
        cognito.rotation_note(spec),
        "if you have not confirmed that PrivX keeps the rotated refresh token (sign in, wait past the access-token "
        "lifetime plus the grace period, use PrivX again), set refresh_token_rotation = false and run setup",
    )
