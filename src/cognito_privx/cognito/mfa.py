"""The pool's MFA (docs/cognito.md#mfa): GetUserPoolMfaConfig as the fields we compare, the check that email MFA
can be sent, and setting the whole configuration."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from cognito_privx.cognito.ensure import with_unstuck
from cognito_privx.desired import MfaSpec
from cognito_privx.errors import ConfigError
from cognito_privx.plan import Action, Change, diff_fields

if TYPE_CHECKING:
    from cognito_privx.cognito.gateway import CognitoGateway

# A pool as CreateUserPool makes it: MFA off, no method.
MFA_OF_NEW_POOL: dict[str, Any] = {"MfaConfiguration": "OFF"}


def mfa_view(config: Mapping[str, Any] | None) -> dict[str, Any]:
    """GetUserPoolMfaConfig as the flat fields :meth:`MfaSpec.desired` compares: ``MfaConfiguration``,
    ``SoftwareTokenMfa`` (TOTP on) and ``EmailMfa`` (an email configuration present)."""
    config = config or MFA_OF_NEW_POOL
    return {
        "MfaConfiguration": config.get("MfaConfiguration", "OFF"),
        "SoftwareTokenMfa": bool((config.get("SoftwareTokenMfaConfiguration") or {}).get("Enabled")),
        "EmailMfa": config.get("EmailMfaConfiguration") is not None,
    }


def check_mfa_methods(spec: MfaSpec | None, pool: Mapping[str, Any] | None) -> None:
    """Refuse email MFA, before any write, unless the pool sends email through SES (``EmailSendingAccount``
    ``DEVELOPER``): Cognito's default sender cannot carry MFA codes. The tier is checked by the config."""
    if spec is None or spec.mode == "off" or "email" not in spec.methods:
        return
    sending = ((pool or {}).get("EmailConfiguration") or {}).get("EmailSendingAccount") or "COGNITO_DEFAULT"
    if sending != "DEVELOPER":
        where = f"pool {pool['Id']} sends" if pool else "a new pool sends"
        raise ConfigError(
            f"email MFA needs the pool to send email through Amazon SES, but {where} with {sending}",
            "configure SES sending for the pool (EmailConfiguration, EmailSendingAccount=DEVELOPER), or set "
            'mfa_methods = ["totp"]',
        )


# The factor blocks of SetUserPoolMfaConfig. AWS refuses any of them with MfaConfiguration OFF ("Invalid MFA
# configuration given, can't turn off MFA and configure an MFA together": go-to-k/cdkd#1923, four calls on a real
# pool; lgallard/terraform-aws-cognito-user-pool#74), and ON/OPTIONAL with none enabled ("can't disable all MFAs
# with a required or optional configuration": aws/aws-sdk-js#4186). WebAuthnConfiguration is no factor: kept.
MFA_FACTOR_BLOCKS = ("SmsMfaConfiguration", "SoftwareTokenMfaConfiguration", "EmailMfaConfiguration")


def mfa_set_params(
    pool_id: str, current: Mapping[str, Any] | None, spec: MfaSpec, keys: Iterable[str] = ()
) -> dict[str, Any]:
    """Full SetUserPoolMfaConfig parameters: what the pool has (SMS, passkeys) with our fields over it.

    With ``spec.mode`` off: ``MfaConfiguration`` OFF and no factor block (:data:`MFA_FACTOR_BLOCKS`), which AWS
    refuses together with OFF; the pool's ``WebAuthnConfiguration`` (passkeys, no MFA factor) is kept. ``keys``:
    the request members botocore's model knows (empty: all)."""
    params: dict[str, Any] = {k: v for k, v in (current or {}).items() if k != "MfaConfiguration"}
    params["UserPoolId"] = pool_id
    params["MfaConfiguration"] = spec.configuration
    if spec.mode == "off":
        for block in MFA_FACTOR_BLOCKS:
            params.pop(block, None)
    else:
        params["SoftwareTokenMfaConfiguration"] = {"Enabled": "totp" in spec.methods}
        if "email" in spec.methods:
            params["EmailMfaConfiguration"] = dict(params.get("EmailMfaConfiguration") or {})
        else:
            params.pop("EmailMfaConfiguration", None)
    allowed = set(keys)
    return {k: v for k, v in params.items() if not allowed or k in allowed}


def ensure_mfa(
    gw: CognitoGateway,
    spec: MfaSpec | None,
    pool_name: str,
    pool_id: str | None,
    *,
    dry_run: bool,
    current: Mapping[str, Any] | None,
) -> Change | None:
    """The pool's MFA as ``[cognito] mfa`` says; ``None`` when it is not managed. ``current`` is the observed
    GetUserPoolMfaConfig (``None`` for a pool this run creates: MFA off). Set whole, then read back."""
    if spec is None:
        return None
    desired = spec.desired()
    fields = diff_fields(mfa_view(current), desired)
    change = Change("cognito mfa", pool_name, Action.UPDATE if fields else Action.NOOP, fields)
    if not fields or dry_run or pool_id is None:
        return change
    gw.call(
        "set_user_pool_mfa_config",
        **mfa_set_params(pool_id, current, spec, gw.input_members("set_user_pool_mfa_config")),
    )
    return with_unstuck(change, mfa_view(gw.mfa_config(pool_id)), desired)
