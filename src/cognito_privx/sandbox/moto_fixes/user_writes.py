"""Fix 13: the user writes AWS refuses and moto 5.2.5 accepts (issue 23).

- ``AdminResetUserPassword`` on a pool whose account recovery is admin-only: botocore 1.44's documentation of the
  operation says "To use this API operation, your user pool must have self-service account recovery configured";
  ``RecoveryOptionType`` names ``admin_only`` as the option that "prevents self-service account recovery". The
  error code AWS returns is not documented: the stand-in answers ``NotAuthorizedException`` (moto's code for the
  operation's other refusals); the tool refuses before the call, so it copes with any code.
- ``AdminCreateUser`` without an attribute the pool's schema marks ``Required``: AWS refuses the write
  (``InvalidParameterException`` "Attributes did not conform to the schema: <name>: The attribute is required",
  as practitioners report it); moto creates the user.
- ``AdminCreateUser`` / ``AdminUpdateUserAttributes`` with a string value longer than the attribute's
  ``StringAttributeConstraints.MaxLength`` (botocore: "The maximum length of a string attribute value"): AWS refuses
  (``InvalidParameterException``); moto stores it.
- ``AdminUpdateUserAttributes`` changing ``email`` without ``email_verified=true``: botocore's
  ``AdminUpdateUserAttributes.UserAttributes``: in a pool with ``UserAttributeUpdateSettings``
  ``AttributesRequireVerificationBeforeUpdate`` holding ``email``, "Amazon Cognito doesn't immediately update the
  value... Your user can sign in and receive messages with the original attribute value until they verify the new
  value" (the original is kept here; the pending value is nowhere in Cognito's answers); without that setting the
  new address is stored unverified (``email_verified`` false), which moto leaves ``true``.
"""

from __future__ import annotations

from typing import Any

from cognito_privx.sandbox.moto_patch import Method, wrap

__all__ = ["fix_user_writes"]


def _admin_only(pool: Any) -> bool:
    mechanisms = (pool.extended_config.get("AccountRecoverySetting") or {}).get("RecoveryMechanisms") or []
    return any(m.get("Name") == "admin_only" for m in mechanisms)


def _check_lengths(models: Any, pool: Any, attributes: list[dict[str, str]]) -> None:
    for attribute in attributes or []:
        schema = pool.schema_attributes.get(attribute.get("Name", "").removeprefix("custom:"))
        if schema is None:
            schema = pool.schema_attributes.get(attribute.get("Name", ""))
        limits = getattr(schema, "string_constraints", None) or {}
        limit = limits.get("MaxLength")
        if limit is not None and len(attribute.get("Value", "")) > int(limit):
            raise models.InvalidParameterException(
                f"String attribute {attribute['Name']} exceeds the maximum length of {limit}"
            )


def fix_user_writes(models: Any) -> None:
    """Make moto refuse what AWS refuses (see the module docstring)."""
    backend = models.CognitoIdpBackend

    def reset(original: Method) -> Method:
        def patched(self: Any, user_pool_id: str, username: str) -> Any:
            if _admin_only(self.describe_user_pool(user_pool_id)):
                raise models.NotAuthorizedError(
                    "Password reset is not allowed: the user pool's account recovery is admin-only"
                )
            return original(self, user_pool_id, username)

        return patched

    def create(original: Method) -> Method:
        def patched(
            self: Any,
            user_pool_id: str,
            username: str,
            message_action: str,
            temporary_password: str,
            attributes: list[dict[str, str]],
        ) -> Any:
            pool = self.describe_user_pool(user_pool_id)
            if message_action != "RESEND":
                given = {a.get("Name") for a in attributes or [] if a.get("Value")}
                if "email" in (pool.extended_config.get("UsernameAttributes") or []) and "@" in username:
                    given.add("email")
                for name, schema in pool.schema_attributes.items():
                    if name != "sub" and getattr(schema, "required", False) and name not in given:
                        raise models.InvalidParameterException(
                            f"Attributes did not conform to the schema: {name}: The attribute is required"
                        )
                _check_lengths(models, pool, attributes)
            return original(self, user_pool_id, username, message_action, temporary_password, attributes)

        return patched

    def update(original: Method) -> Method:
        def patched(self: Any, user_pool_id: str, username: str, attributes: list[dict[str, str]]) -> Any:
            pool = self.describe_user_pool(user_pool_id)
            _check_lengths(models, pool, attributes)
            names = {a.get("Name"): a.get("Value") for a in attributes or []}
            if "email" in names and names.get("email_verified") != "true":
                settings = pool.extended_config.get("UserAttributeUpdateSettings") or {}
                if "email" in (settings.get("AttributesRequireVerificationBeforeUpdate") or []):
                    # The original address stays until the user verifies the new one.
                    attributes = [a for a in attributes if a.get("Name") != "email"]
                else:
                    attributes = [*(a for a in attributes if a.get("Name") != "email_verified")]
                    attributes.append({"Name": "email_verified", "Value": "false"})
            return original(self, user_pool_id, username, attributes)

        return patched

    wrap(backend, "admin_reset_user_password", reset)
    wrap(backend, "admin_create_user", create)
    wrap(backend, "admin_update_user_attributes", update)
