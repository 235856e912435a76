"""Fix 13: ``SetUserPoolMfaConfig`` refuses what AWS refuses: MFA off together with a factor, MFA on or optional
with none, email MFA on a Lite pool."""

from __future__ import annotations

from typing import Any

from cognito_privx.sandbox.moto_fixes.tiers import FEATURE_UNAVAILABLE, tier_of
from cognito_privx.sandbox.moto_patch import Method, wrap

__all__ = ["fix_mfa_config"]

_FACTORS = ("SmsMfaConfiguration", "SoftwareTokenMfaConfiguration", "EmailMfaConfiguration")


def fix_mfa_config(models: Any) -> None:
    """``SetUserPoolMfaConfig`` as strict as AWS, checked before anything is set:

    - ``MfaConfiguration`` ``OFF`` with any factor block (SMS, TOTP -- even ``Enabled: false`` -- or email):
      ``InvalidParameterException`` "Invalid MFA configuration given, can't turn off MFA and configure an MFA
      together." (go-to-k/cdkd#1923: four calls against a real ESSENTIALS pool; lgallard/terraform-aws-cognito-
      user-pool#74). Whether ``Enabled: false`` alone is refused is not reported: the stricter reading.
      ``WebAuthnConfiguration`` with ``OFF`` is accepted (passkeys are no MFA factor).
    - ``ON`` / ``OPTIONAL`` with no factor enabled (TOTP absent or ``Enabled: false``, no SMS, no email):
      ``InvalidParameterException`` "Invalid MFA configuration given, can't disable all MFAs with a required or
      optional configuration." (aws/aws-sdk-js#4186, anomalyco/sst#5177).
    - ``EmailMfaConfiguration`` on a Lite pool: ``FeatureUnavailableInTierException`` (model,
      ``EmailMfaConfigType``: "your user pool must be in the Essentials tier or higher"; the operation lists the
      exception).

    moto 5.2.5 (``responses.py``, ``set_user_pool_mfa_config``) refuses only ON/OPTIONAL with neither an SMS nor a
    TOTP block and stores whatever else it is given.
    """
    from moto.cognitoidp import responses
    from moto.cognitoidp.exceptions import InvalidParameterException
    from moto.core.exceptions import JsonRESTError

    def make(original: Method) -> Method:
        def set_user_pool_mfa_config(self: Any) -> Any:
            mode = self._get_param("MfaConfiguration")
            given = {name: self._get_param(name) for name in _FACTORS}
            if mode == "OFF" and any(v is not None for v in given.values()):
                raise InvalidParameterException(
                    "Invalid MFA configuration given, can't turn off MFA and configure an MFA together."
                )
            if mode in ("ON", "OPTIONAL"):
                totp = bool((given["SoftwareTokenMfaConfiguration"] or {}).get("Enabled"))
                if not (totp or given["SmsMfaConfiguration"] or given["EmailMfaConfiguration"] is not None):
                    raise InvalidParameterException(
                        "Invalid MFA configuration given, can't disable all MFAs with a required or optional "
                        "configuration."
                    )
            if given["EmailMfaConfiguration"] is not None:
                pool = self.backend.describe_user_pool(self._get_param("UserPoolId"))
                if tier_of(pool) == "LITE":
                    raise JsonRESTError(FEATURE_UNAVAILABLE, "Email MFA requires the Essentials or Plus plan.")
            return original(self)

        return set_user_pool_mfa_config

    wrap(responses.CognitoIdpResponse, "set_user_pool_mfa_config", make)
