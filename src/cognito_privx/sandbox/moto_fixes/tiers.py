"""Fix 12: feature plans (``UserPoolTier``): a pool remembers its tier, and what needs a plan above Lite is refused
on a Lite pool with ``FeatureUnavailableInTierException``, as AWS does."""

from __future__ import annotations

from typing import Any

from cognito_privx.sandbox.moto_patch import Method, wrap

__all__ = ["DEFAULT_TIER", "FEATURE_UNAVAILABLE", "fix_tiers", "tier_of"]

# botocore's model, CreateUserPoolRequest.UserPoolTier: "Defaults to <code>ESSENTIALS</code>."
DEFAULT_TIER = "ESSENTIALS"
FEATURE_UNAVAILABLE = "FeatureUnavailableInTierException"


def tier_of(pool: Any) -> str:
    """The pool's ``UserPoolTier`` as the stand-in keeps it (:data:`DEFAULT_TIER` when it was never given)."""
    return str(pool.extended_config.get("UserPoolTier") or DEFAULT_TIER)


def fix_tiers(models: Any) -> None:
    """Tiers as AWS documents them (botocore's model; developer guide "User pool feature plans"):

    - ``CreateUserPool`` without ``UserPoolTier`` makes an ``ESSENTIALS`` pool ("Defaults to ESSENTIALS");
      ``DescribeUserPool`` answers the tier. An ``UpdateUserPool`` without it keeps the pool's tier
      **(unverified**: the model does not say).
    - ``CreateUserPoolDomain`` / ``UpdateUserPoolDomain`` with ``ManagedLoginVersion`` 2: "Managed login requires
      that your user pool be configured for any feature plan other than Lite"; both list
      ``FeatureUnavailableInTierException``.
    - ``CreateManagedLoginBranding`` on a Lite pool: refused the same way. Branding styles are managed login's
      (developer guide "Managed login"), which Lite lacks; the operation's error list does not name the
      exception **(unverified**: the stand-in takes the stricter reading).
    - ``UserPoolAddOns`` with ``AdvancedSecurityMode`` other than ``OFF`` on a pool below Plus: "your user pool
      must be on the Plus tier" (model, ``UserPoolAddOnsType``); ``CreateUserPool`` and ``UpdateUserPool`` list
      the exception.

    moto 5.2.5 keeps ``UserPoolTier`` only when it is given and checks none of this.
    """
    from moto.cognitoidp import responses
    from moto.core.exceptions import JsonRESTError

    def unavailable(message: str) -> JsonRESTError:
        return JsonRESTError(FEATURE_UNAVAILABLE, message)

    def check_add_ons(config: dict[str, Any], tier: str) -> None:
        mode = (config.get("UserPoolAddOns") or {}).get("AdvancedSecurityMode", "OFF")
        if mode != "OFF" and tier != "PLUS":
            raise unavailable(f"Threat protection (AdvancedSecurityMode {mode}) requires the Plus feature plan.")

    def keep_tier(original: Method) -> Method:
        def update_extended_config(self: Any, extended_config: dict[str, Any]) -> None:
            previous: dict[str, Any] | None = self.__dict__.get("extended_config")
            tier = extended_config.get("UserPoolTier") or (previous or {}).get("UserPoolTier") or DEFAULT_TIER
            check_add_ons(extended_config, tier)
            original(self, extended_config)
            self.extended_config["UserPoolTier"] = tier

        return update_extended_config

    wrap(models.CognitoIdpUserPool, "update_extended_config", keep_tier)

    def managed_login_needs_a_plan(original: Method) -> Method:
        def action(self: Any) -> Any:
            pool_id = self._get_param("UserPoolId")
            lite = bool(pool_id) and tier_of(self.backend.describe_user_pool(pool_id)) == "LITE"
            if self._get_param("ManagedLoginVersion") == 2 and lite:
                raise unavailable("Managed login requires a feature plan other than Lite.")
            return original(self)

        return action

    for name in ("create_user_pool_domain", "update_user_pool_domain"):
        wrap(responses.CognitoIdpResponse, name, managed_login_needs_a_plan)

    def branding_needs_a_plan(original: Method) -> Method:
        def action(self: Any) -> Any:
            pool_id = self._get_param("UserPoolId")
            if pool_id and tier_of(self.backend.describe_user_pool(pool_id)) == "LITE":
                raise unavailable("Managed login branding requires a feature plan other than Lite.")
            return original(self)

        return action

    wrap(responses.CognitoIdpResponse, "create_managed_login_branding", branding_needs_a_plan)
