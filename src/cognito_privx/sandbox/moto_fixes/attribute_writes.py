"""Fix 9: who may write a user's attributes. moto 5.2.6 checks neither the app client's ``WriteAttributes`` nor
the access token's scope in ``UpdateUserAttributes``, and ignores ``AllowAdminCreateUserOnly`` in ``SignUp``:
any signed-in user could set any attribute of their own (``custom:group`` included) and anyone could sign up.

What AWS does, and what this stand-in does:

- ``UpdateUserAttributes`` (an access token): the token must carry the ``aws.cognito.signin.user.admin`` scope
  (DG "Using the access token": "The aws.cognito.signin.user.admin scope grants access to Amazon Cognito user pool
  API operations that require access tokens, such as UpdateUserAttributes"; tokens from ``InitiateAuth`` carry it,
  hosted-UI tokens only when requested), else ``NotAuthorizedException`` "Access Token does not have required
  scopes" (the answer AWS gives, as reported in aws-amplify/amplify-js#1906 and #6444).
- A client may write only what its ``WriteAttributes`` lists (botocore ``UserPoolClientType.WriteAttributes``:
  "their access token authorizes them to set or modify their own attribute value for any attribute in this
  list"); a write to any other is ``NotAuthorizedException`` "A client attempted to write unauthorized attribute"
  (aws/aws-sdk-js#1319, amazon-cognito-identity-js#397; the same for ``SignUp``: aws-amplify/amplify-js#5345).
- ``WriteAttributes`` unset: the API reference says the standard attributes are writable; the console, CDK and
  Terraform authors say all of them. The stand-in runs in either reading (:mod:`.variant`,
  ``write_attributes_unset``); its default is the reading worst for security, **all** attributes (custom ones
  included), so an attack through such a client can be rehearsed (COMMON rule: the stand-in is at least as strict
  as AWS where AWS is clear, and as open as its widest reading where it is not); ``standard``: no ``custom:*``
  (nor ``dev:*``) attribute.
- ``SignUp`` on a pool with ``AdminCreateUserConfig.AllowAdminCreateUserOnly`` true is ``NotAuthorizedException``
  "SignUp is not permitted for this user pool" (the answer AWS gives: pmill/aws-cognito#37, awslabs/
  media-analysis-solution#8).
- Admin calls (``AdminUpdateUserAttributes``, ``AdminCreateUser``) are not limited by ``WriteAttributes``: left
  as moto has them.

moto's access tokens are ``user_pool.access_tokens[token] = (client_id, username)`` (``models.py``,
``CognitoIdpUserPool.create_access_token``); their JWT ``scope`` claim is read here without verifying (moto made
and holds them).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from typing import Any

from cognito_privx.sandbox.moto_fixes import variant
from cognito_privx.sandbox.moto_patch import Method, wrap

__all__ = ["ADMIN_SCOPE", "fix_attribute_writes", "writable"]

ADMIN_SCOPE = "aws.cognito.signin.user.admin"
UNAUTHORIZED_ATTRIBUTE = "A client attempted to write unauthorized attribute"
MISSING_SCOPE = "Access Token does not have required scopes"
SIGN_UP_CLOSED = "SignUp is not permitted for this user pool"


def _scopes(token: str) -> set[str]:
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return set()
    return set(str(claims.get("scope", "")).split()) if isinstance(claims, dict) else set()


def writable(client: Any, names: Iterable[str]) -> list[str]:
    """The attributes among ``names`` that ``client`` may **not** write (empty: all allowed). Unset
    ``WriteAttributes``: every attribute, or only the standard ones, as the variant in force says (see the module
    docstring)."""
    allowed = client.extended_config.get("WriteAttributes")
    if not allowed:
        if variant.configured().write_attributes_unset == "all":
            return []
        return [n for n in names if n.startswith(("custom:", "dev:"))]
    return [n for n in names if n not in set(allowed)]


def fix_attribute_writes(models: Any) -> None:
    """Install the checks of the module docstring on moto's ``update_user_attributes`` and ``sign_up``."""
    error = models.NotAuthorizedError

    def update(original: Method) -> Method:
        def update_user_attributes(self: Any, access_token: str, attributes: list[dict[str, str]]) -> Any:
            for pool in self.user_pools.values():
                if access_token in pool.access_tokens:
                    client_id, _ = pool.access_tokens[access_token]
                    if ADMIN_SCOPE not in _scopes(access_token):
                        raise error(MISSING_SCOPE)
                    client = pool.clients.get(client_id)
                    if client is None or writable(client, [a["Name"] for a in attributes]):
                        raise error(UNAUTHORIZED_ATTRIBUTE)
                    break
            return original(self, access_token, attributes)

        return update_user_attributes

    def sign_up(original: Method) -> Method:
        def sign_up(self: Any, client_id: str, username: str, password: str, attributes: Any) -> Any:
            for pool in self.user_pools.values():
                client = pool.clients.get(client_id)
                if client is None:
                    continue
                if (pool.extended_config.get("AdminCreateUserConfig") or {}).get("AllowAdminCreateUserOnly"):
                    raise error(SIGN_UP_CLOSED)
                if writable(client, [a["Name"] for a in attributes or []]):
                    raise error(UNAUTHORIZED_ATTRIBUTE)
                break
            return original(self, client_id, username, password, attributes)

        return sign_up

    wrap(models.CognitoIdpBackend, "update_user_attributes", update)
    wrap(models.CognitoIdpBackend, "sign_up", sign_up)
