"""Fix 12: what ends a user's refresh tokens, recorded where the hosted-UI stand-in can see it.

moto 5.2.5's ``AdminUserGlobalSignOut`` (``models.py``, ``CognitoIdpUserPool.sign_out``) voids only the refresh
tokens moto itself issued (``InitiateAuth``); the hosted-UI stand-in keeps its own, and would still accept them.
AWS (botocore 1.44 ``AdminUserGlobalSignOut``): "Amazon Cognito no longer accepts a signed-out user's refresh
tokens in refresh requests". This fix counts, per pool and internal user name, the events that end every refresh
token issued before them (:func:`generation`); the stand-in remembers the count at issue and refuses a refresh
token when it has moved on:

- ``AdminUserGlobalSignOut`` and ``GlobalSignOut`` (moto's ``sign_out``): documented as above.
- ``AdminDisableUser`` ("deactivates a user and revokes all access tokens for the user", botocore 1.44). Whether a
  refresh token issued before the disable works again after ``AdminEnableUser`` is **unverified** on AWS: the
  sandbox takes the stricter reading (the token stays dead, as after a sign-out) and also voids moto's own refresh
  tokens then, so an offboarding can be rehearsed against the worse case.
- ``AdminDeleteUser``: the user is gone; counted too, so a user re-created under the same internal name (a pool
  whose users sign in by user name) does not inherit the old tokens.
"""

from __future__ import annotations

from typing import Any

from cognito_privx.sandbox.moto_patch import Method, wrap

__all__ = ["fix_sign_outs", "generation", "sign_outs"]

_ATTRIBUTE = "cognito_privx_token_generations"
_SIGN_OUTS = "cognito_privx_sign_outs"


def generation(pool: Any, username: str) -> int:
    """How many times the user's refresh tokens have been ended in ``pool`` (a moto pool object)."""
    return int(getattr(pool, _ATTRIBUTE, {}).get(username, 0))


def sign_outs(pool: Any, username: str) -> int:
    """How many global sign-outs (``AdminUserGlobalSignOut``, ``GlobalSignOut``) the user has had in ``pool``: what
    the sandbox shows of a sign-out besides its effect, which a disable has too."""
    return int(getattr(pool, _SIGN_OUTS, {}).get(username, 0))


def _bump(pool: Any, username: str, attribute: str = _ATTRIBUTE) -> None:
    counts: dict[str, int] = pool.__dict__.setdefault(attribute, {})
    counts[username] = counts.get(username, 0) + 1


def fix_sign_outs(models: Any) -> None:
    """Count sign-outs, disables and deletions on moto's pool objects (see the module docstring)."""

    def sign_out(original: Method) -> Method:
        def patched(self: Any, username: str) -> None:
            original(self, username)
            _bump(self, username)

        return patched

    def admin_sign_out(original: Method) -> Method:
        # moto passes the name as given (an email, in a pool that signs in by email) to sign_out, which compares it
        # with internal names: signed out by the internal name here, which moto's own tokens carry too.
        def patched(self: Any, user_pool_id: str, username: str) -> None:
            original(self, user_pool_id, username)
            pool = self.describe_user_pool(user_pool_id)
            internal = self.admin_get_user(user_pool_id, username).username
            pool.sign_out(internal)
            _bump(pool, internal, _SIGN_OUTS)

        return patched

    def disable(original: Method) -> Method:
        def patched(self: Any, user_pool_id: str, username: str) -> None:
            original(self, user_pool_id, username)
            pool = self.describe_user_pool(user_pool_id)
            pool.sign_out(self.admin_get_user(user_pool_id, username).username)

        return patched

    def delete(original: Method) -> Method:
        def patched(self: Any, user_pool_id: str, username: str) -> None:
            pool = self.describe_user_pool(user_pool_id)
            internal = self.admin_get_user(user_pool_id, username).username
            original(self, user_pool_id, username)
            _bump(pool, internal)

        return patched

    wrap(models.CognitoIdpUserPool, "sign_out", sign_out)
    wrap(models.CognitoIdpBackend, "admin_user_global_sign_out", admin_sign_out)
    wrap(models.CognitoIdpBackend, "admin_disable_user", disable)
    wrap(models.CognitoIdpBackend, "admin_delete_user", delete)
