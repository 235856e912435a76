"""Fixes 1-5: moto's own Cognito calls corrected where they are laxer than AWS or differ from it (app-client dates,
the create-only pool settings, case-insensitive user names, ``RESEND``, the ``MFA_SETUP`` challenge).

Line numbers are moto 5.2.5's ``moto/cognitoidp/models.py`` (the package docstring says more).
"""

from __future__ import annotations

import uuid
from typing import Any

from cognito_privx.sandbox.moto_fixes.clock import clock
from cognito_privx.sandbox.moto_patch import Method, wrap

__all__ = [
    "fix_admin_auth_mfa_setup",
    "fix_case_insensitive_names",
    "fix_client_dates",
    "fix_create_only_pool_settings",
    "fix_resend_invitation",
]


def fix_client_dates(models: Any) -> None:
    """App clients carry ``CreationDate`` and ``LastModifiedDate``, as on AWS.

    AWS: ``UserPoolClientType`` (the ``UserPoolClient`` of the CreateUserPoolClient, DescribeUserPoolClient and
    UpdateUserPoolClient responses) has members ``CreationDate`` and ``LastModifiedDate``, both ``DateType``
    (``timestamp``, "returns this timestamp in UNIX epoch time format") in botocore's
    ``cognito-idp/2016-04-18/service-2.json.gz``. ListUserPoolClients returns ``UserPoolClientDescription``
    (``ClientId``, ``UserPoolId``, ``ClientName``) without them.

    moto 5.2.5: ``CognitoIdpUserPoolClient.__init__`` (line 724) records no time and ``_base_json`` /
    ``to_json`` (lines 749-763) return none; ``CognitoIdpBackend.update_user_pool_client`` (line 1122) only
    merges the new settings. Here a client is stamped when made, ``to_json(extended=True)`` (the three responses
    above) returns both dates, and an update keeps ``CreationDate`` and moves ``LastModifiedDate`` on.
    """
    client_cls = models.CognitoIdpUserPoolClient

    def init(original: Method) -> Method:
        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
            original(self, *args, **kwargs)
            self.creation_date = self.last_modified_date = clock.now()

        return __init__

    def to_json(original: Method) -> Method:
        def to_json(self: Any, extended: bool = False) -> dict[str, Any]:
            result: dict[str, Any] = original(self, extended)
            if extended and hasattr(self, "creation_date"):
                result["CreationDate"] = self.creation_date
                result["LastModifiedDate"] = self.last_modified_date
            return result

        return to_json

    def update(original: Method) -> Method:
        def update_user_pool_client(self: Any, *args: Any, **kwargs: Any) -> Any:
            client = original(self, *args, **kwargs)
            client.last_modified_date = clock.now()
            return client

        return update_user_pool_client

    wrap(client_cls, "__init__", init)
    wrap(client_cls, "to_json", to_json)
    wrap(models.CognitoIdpBackend, "update_user_pool_client", update)


# Members of botocore's CreateUserPoolRequest that UpdateUserPoolRequest lacks (besides Schema, which moto keeps
# apart in ``schema_attributes``): AWS fixes them when the pool is made.
_CREATE_ONLY_POOL_SETTINGS = ("UsernameAttributes", "UsernameConfiguration", "AliasAttributes")


def fix_create_only_pool_settings(models: Any) -> None:
    """``UpdateUserPool`` keeps the pool's username model, which AWS never changes after creation.

    AWS: botocore's ``UpdateUserPoolRequest`` has no ``UsernameAttributes``, ``UsernameConfiguration`` or
    ``AliasAttributes`` member (``CreateUserPoolRequest`` has all three), and ``CreateUserPoolRequest``'s
    ``UsernameConfiguration`` says "This configuration is immutable after you set it". An update resets what it
    omits to defaults, but these are not settings an update can touch.

    moto 5.2.5: ``CognitoIdpUserPool.update_extended_config`` (line 471,
    ``self.extended_config = DEFAULT_USER_POOL_CONFIG.copy()``), called by ``CognitoIdpBackend.update_user_pool``
    (line 1047), rebuilds the whole config from the update's parameters, dropping all three. After one update the
    pool no longer takes the email as the user name (``_get_user``, line 522, and ``admin_create_user``,
    line 1332, read ``UsernameAttributes``): even an exact duplicate user is accepted. Here an update carries
    them over from the config it replaces (the first call, from ``__init__``, sets them as created).
    """

    def make(original: Method) -> Method:
        def update_extended_config(self: Any, extended_config: dict[str, Any]) -> None:
            previous: dict[str, Any] | None = self.__dict__.get("extended_config")
            original(self, extended_config)
            if previous is None:  # creation
                return
            for key in _CREATE_ONLY_POOL_SETTINGS:
                if key in previous:
                    self.extended_config[key] = previous[key]
                else:
                    self.extended_config.pop(key, None)

        return update_extended_config

    wrap(models.CognitoIdpUserPool, "update_extended_config", make)


def fix_case_insensitive_names(models: Any) -> None:
    """A case-insensitive pool finds a user by any capitalisation of the user name or email/phone user name.

    AWS: botocore's ``UsernameConfigurationType.CaseSensitive``: with ``false`` "users can sign in using
    ``username``, ``USERNAME``, or ``UserName``", and (``CreateUserPoolRequest.UsernameConfiguration``) "Amazon
    Cognito treats any variation in case as the same user, and prevents a case variation from being assigned to
    the same attribute for a different user", for email user names too. So AdminCreateUser of
    ``Alice@example.com`` beside ``alice@example.com`` is ``UsernameExistsException``, and AdminGetUser finds
    either spelling.

    moto 5.2.5: nothing reads ``UsernameConfiguration``; ``CognitoIdpUserPool._get_user`` (lines 519-531), through
    which every user lookup goes (``admin_get_user``, the ``admin_create_user`` duplicate check, ...), compares
    names and ``UsernameAttributes`` values exactly. Here a pool with ``CaseSensitive`` false does the same lookup,
    in the same order, ignoring case; other pools keep moto's. Stored names keep the case they were given.
    """
    flatten_attrs = models.flatten_attrs

    def make(original: Method) -> Method:
        def _get_user(self: Any, username: str) -> Any:
            config = self.extended_config.get("UsernameConfiguration") or {}
            if config.get("CaseSensitive", True) is not False or not isinstance(username, str):
                return original(self, username)
            # moto's order (UsernameAttributes values, then the stored name), ignoring case; one pass each.
            folded = username.lower()
            attribute_types = self.extended_config.get("UsernameAttributes") or []
            # A snapshot (one C-level call under the GIL): in-process moto has no lock, and import-users' workers
            # create users while others look them up ("OrderedDict mutated during iteration").
            users = list(self.users.items())
            if attribute_types:
                for _, candidate in users:
                    values = flatten_attrs(candidate.attributes)
                    if any((values.get(kind) or "").lower() == folded for kind in attribute_types):
                        return candidate
            exact = self.users.get(username)
            if exact is not None:
                return exact
            return next((user for name, user in users if name.lower() == folded), None)

        return _get_user

    wrap(models.CognitoIdpUserPool, "_get_user", make)


def fix_resend_invitation(models: Any) -> None:
    """``AdminCreateUser`` with ``MessageAction=RESEND`` sends the invitation again to the existing user.

    AWS: botocore's ``AdminCreateUserRequest.MessageAction``: "Set to RESEND to resend the invitation message to a
    user that already exists, and to reset the temporary-password duration with a new temporary password"; the
    response's ``User`` is that user.

    moto 5.2.5: ``CognitoIdpBackend.admin_create_user`` (line 1315) checks that the user exists on RESEND and then
    carries on as for a new user, so an email pool gets a second user with a new ``sub``. Here RESEND answers the
    existing user, with a new temporary password when one is given; nothing else changes.
    """

    def make(original: Method) -> Method:
        def admin_create_user(
            self: Any, user_pool_id: str, username: str, message_action: str, temporary_password: str, *args: Any
        ) -> Any:
            if message_action != "RESEND":
                return original(self, user_pool_id, username, message_action, temporary_password, *args)
            user = self.admin_get_user(user_pool_id, username)
            if temporary_password:
                user.password = temporary_password
            return user

        return admin_create_user

    wrap(models.CognitoIdpBackend, "admin_create_user", make)


def fix_admin_auth_mfa_setup(models: Any) -> None:
    """``AdminInitiateAuth`` in a pool with ``MfaConfiguration=ON`` asks a user with no second factor to set one up.

    AWS: botocore's ``AdminInitiateAuthResponse.ChallengeName`` documents ``MFA_SETUP``: "For users who are required
    to setup an MFA factor before they can sign in. The MFA types activated for the user pool will be listed in the
    challenge parameters MFAS_CAN_SETUP value." A challenge answer carries no tokens.

    moto 5.2.5: ``CognitoIdpBackend.initiate_auth`` (lines 1646-1661) answers ``MFA_SETUP`` so, but
    ``admin_initiate_auth`` (lines 1532-1578) only looks at the user's own MFA settings and signs an unenrolled user
    straight in. Here its password flows do what ``initiate_auth`` does: a session and ``MFA_SETUP`` with the
    pool's ``MFAS_CAN_SETUP``.
    """

    def make(original: Method) -> Method:
        def admin_initiate_auth(
            self: Any, user_pool_id: str, client_id: str, auth_flow: Any, auth_parameters: dict[str, str]
        ) -> Any:
            result = original(self, user_pool_id, client_id, auth_flow, auth_parameters)
            if not isinstance(result, dict) or "AuthenticationResult" not in result:
                return result
            user_pool = self.describe_user_pool(user_pool_id)
            username = (auth_parameters or {}).get("USERNAME")
            if user_pool.mfa_config != "ON" or not username or "PASSWORD" not in (auth_parameters or {}):
                return result
            user = self.admin_get_user(user_pool_id, username)
            if user.software_token_mfa_enabled or user.sms_mfa_enabled or getattr(user, "token_verified", False):
                return result
            can_setup = []
            if user_pool.token_mfa_config == {"Enabled": True}:
                can_setup.append("SOFTWARE_TOKEN_MFA")
            if user_pool.sms_mfa_config:
                can_setup.append("SMS_MFA")
            session = str(uuid.uuid4())
            self.sessions[session] = (username, user_pool)
            return {
                "ChallengeName": "MFA_SETUP",
                "ChallengeParameters": {"MFAS_CAN_SETUP": can_setup},
                "Session": session,
            }

        return admin_initiate_auth

    wrap(models.CognitoIdpBackend, "admin_initiate_auth", make)
