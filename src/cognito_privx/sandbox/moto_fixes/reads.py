"""Fix 16: who may read a user's attributes. moto 5.2.6's ``create_id_token`` (``InitiateAuth``,
``AdminInitiateAuth``, the refresh flow) puts every ``custom:*`` attribute in the ID token whatever the app client's
``ReadAttributes``, and no standard one beyond what the list names, so an unset list gives no ``email`` and a
client that may not read the group attribute still carries it.

What AWS does, and what this stand-in does (the hosted-UI stand-in's tokens and ``/oauth2/userInfo`` use the same
rule, :func:`readable`):

- "Your user's ID token from an app only contains claims that correspond to the readable attributes" (DG "Working
  with user attributes"): with ``ReadAttributes`` set, exactly what it lists; ``dev:custom:*`` never.
- Unset: botocore's model (``UserPoolClientType.ReadAttributes``) says the standard attributes and the two
  ``*_verified`` flags; the console says every attribute. The variant in force decides
  (:mod:`.variant`, ``read_attributes_unset``: ``standard`` or ``all``).
- ``cognito:groups``, ``sub``, ``cognito:username`` and the token's own claims are not attributes: always there.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cognito_privx.sandbox.moto_fixes import variant
from cognito_privx.sandbox.moto_patch import Method, wrap

__all__ = ["STANDARD_ATTRIBUTES", "fix_id_token_reads", "readable"]

# DG "Working with user attributes", standard attributes (with the two verification flags; sub is no claim here).
STANDARD_ATTRIBUTES = frozenset(
    {
        "address",
        "birthdate",
        "email",
        "email_verified",
        "family_name",
        "gender",
        "given_name",
        "locale",
        "middle_name",
        "name",
        "nickname",
        "phone_number",
        "phone_number_verified",
        "picture",
        "preferred_username",
        "profile",
        "updated_at",
        "website",
        "zoneinfo",
    }
)


def readable(values: Mapping[str, str], read_attributes: frozenset[str] | None) -> dict[str, str]:
    """The user attributes an app client may read (``sub`` aside), as stored (strings). ``read_attributes``
    None: unset, read as the variant in force says (see the module docstring)."""
    if read_attributes is None:
        if variant.configured().read_attributes_unset == "all":
            return {k: v for k, v in values.items() if not k.startswith("dev:") and k != "sub"}
        return {k: v for k, v in values.items() if k in STANDARD_ATTRIBUTES}
    return {k: v for k, v in values.items() if k in read_attributes and not k.startswith("dev:")}


def fix_id_token_reads(models: Any) -> None:
    """Install the rule of the module docstring on moto's ``CognitoIdpUserPool.create_id_token``."""

    def create(original: Method) -> Method:
        def create_id_token(self: Any, client_id: str, username: str, origin_jti: str) -> tuple[str, int]:
            client = self.clients.get(client_id)
            listed = (client.extended_config.get("ReadAttributes") if client is not None else None) or None
            user = self._get_user(username)
            values = {str(a["Name"]): str(a["Value"]) for a in user.attributes}
            extra: dict[str, Any] = {**readable(values, frozenset(listed) if listed else None)}
            extra["origin_jti"] = origin_jti
            if user.groups:
                extra["cognito:groups"] = [group.group_name for group in user.groups]
            # (moto's create_jwt still writes the username as ``email`` in a pool whose usernames are emails.)
            id_token, expires_in = self.create_jwt(client_id, username, "id", extra_data=extra)
            self.id_tokens[id_token] = (client_id, username)
            return id_token, expires_in

        return create_id_token

    wrap(models.CognitoIdpUserPool, "create_id_token", create)
