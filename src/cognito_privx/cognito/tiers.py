"""Feature plans (``UserPoolTier``): the tier a new pool gets when the config sets none (:func:`default_tier`, from
botocore's model), the tier a run will leave the pool on (:func:`effective_tier`), and the settings a tier gates,
refused before any change (:func:`check_tier`). docs/cognito.md#tiers"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

from cognito_privx.desired import DesiredState
from cognito_privx.errors import ConfigError

# What we fall back to when botocore's model says nothing we can read (an old botocore): its current wording.
_MODEL_DEFAULT_FALLBACK = "ESSENTIALS"


@functools.cache
def default_tier() -> str:
    """The tier ``CreateUserPool`` gives a pool created without ``UserPoolTier``, read from botocore's model
    (``CreateUserPoolRequest.UserPoolTier``: "Defaults to <code>ESSENTIALS</code>."); ``ESSENTIALS`` when the
    model has no such sentence."""
    import botocore.loaders

    try:
        model = botocore.loaders.Loader().load_service_model("cognito-idp", "service-2")
        doc = str(model["shapes"]["CreateUserPoolRequest"]["members"]["UserPoolTier"].get("documentation", ""))
        allowed = set(model["shapes"]["UserPoolTierType"]["enum"])
    except (KeyError, LookupError, OSError, ValueError):
        return _MODEL_DEFAULT_FALLBACK
    found = re.search(r"Defaults to <code>(\w+)</code>", doc)
    return found.group(1) if found and found.group(1) in allowed else _MODEL_DEFAULT_FALLBACK


def effective_tier(configured: str | None, pool: Mapping[str, Any] | None) -> str | None:
    """The tier the pool has after setup: the configured one; else the pool's own (never changed); else, for a pool
    this run creates, :func:`default_tier`. ``None`` when the pool's description has no tier (cognito-local)."""
    if configured is not None:
        return configured
    if pool is None:
        return default_tier()
    tier = pool.get("UserPoolTier")
    return str(tier) if tier else None


def check_tier(desired: DesiredState, pool: Mapping[str, Any] | None) -> None:
    """Refuse, before any write, a setting the pool's tier (:func:`effective_tier`) does not offer: managed login
    (``hosted_ui = "managed"``: "requires ... any feature plan other than Lite", botocore's model,
    ``CreateUserPoolDomain.ManagedLoginVersion``) and email MFA ("Essentials tier or higher", ``EmailMfaConfigType``).
    Raises :class:`ConfigError` (exit 2) naming the tier and the fix."""
    tier = effective_tier(desired.pool.tier, pool)
    if tier != "LITE":
        return
    whose = "tier is LITE" if desired.pool.tier else f"pool {pool['Id'] if pool else ''} is on LITE and tier is not set"
    if desired.domain is not None and desired.domain.needs_branding:
        raise ConfigError(
            f"managed login needs the ESSENTIALS or PLUS tier ({whose})",
            'set [cognito] tier = "ESSENTIALS" (setup raises the pool\'s plan) or hosted_ui = "classic"',
        )
    if desired.mfa is not None and desired.mfa.mode != "off" and "email" in desired.mfa.methods:
        raise ConfigError(
            f"email MFA needs the ESSENTIALS or PLUS tier ({whose})",
            'set [cognito] tier = "ESSENTIALS" (setup raises the pool\'s plan) or mfa_methods = ["totp"]',
        )
