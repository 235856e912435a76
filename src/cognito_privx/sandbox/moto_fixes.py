"""Small patches that make moto's Cognito as strict and as faithful as AWS where cognito-privx depends on it.

Written against moto 5.2.5 (``moto/cognitoidp/models.py``; line numbers below are that file's) and botocore
1.44's service model (``botocore/data/cognito-idp/2016-04-18/service-2.json.gz``). :func:`apply` wraps moto's model
methods in place, once per process, keeping moto's behaviour otherwise:

1. :func:`_fix_client_dates`: app clients get ``CreationDate`` and ``LastModifiedDate``.
2. :func:`_fix_create_only_pool_settings`: ``UpdateUserPool`` keeps ``UsernameAttributes``,
   ``UsernameConfiguration`` and ``AliasAttributes``.
3. :func:`_fix_case_insensitive_names`: a pool with ``UsernameConfiguration={"CaseSensitive": False}`` finds
   users whatever the case of the name (moto ignores the setting altogether).
4. :func:`_fix_resend_invitation`: ``AdminCreateUser`` with ``MessageAction=RESEND`` answers the existing user
   instead of making a second one.
5. :func:`_fix_admin_auth_mfa_setup`: an admin sign-in to a pool with MFA required, by a user with no second
   factor, answers the ``MFA_SETUP`` challenge instead of tokens.
6. :func:`_add_managed_login_branding`: a stand-in for ``CreateManagedLoginBranding``,
   ``DescribeManagedLoginBranding(ByClient)`` and ``DeleteManagedLoginBranding``, which moto lacks, kept on
   moto's own pool objects.
7. :func:`_add_client_secrets`: ``AddUserPoolClientSecret``, ``ListUserPoolClientSecrets`` and
   ``DeleteUserPoolClientSecret`` (at most two active secrets), kept on moto's client objects;
   ``DescribeUserPoolClient``'s ``ClientSecret`` is the first active one.
8. :func:`cognito_privx.sandbox.import_jobs.install`: user import jobs (``GetCSVHeader``, ``CreateUserImportJob``,
   ``StartUserImportJob``, ``DescribeUserImportJob``, ``ListUserImportJobs``, ``StopUserImportJob``), kept on
   moto's pool objects, with a pre-signed-URL upload server and a processing thread per started job;
   ``UpdateUserPool``, ``DeleteUserPool`` and ``AddCustomAttributes`` refuse a pool that is importing; moto's
   in-process Cognito and CloudWatch Logs actions take the process-wide ``import_jobs.BACKEND_LOCK``.

The in-process ``mock_aws`` and moto's server use the same model classes, so one :func:`apply` covers both.
"""

from __future__ import annotations

import datetime
import functools
import re
import threading
import uuid
from collections.abc import Callable
from typing import Any

__all__ = ["apply"]

_MARK = "__cognito_privx_moto_fix__"
_apply_lock = threading.Lock()

Method = Callable[..., Any]


def _add_missing(cls: type, methods: dict[str, Any]) -> None:
    """Give moto's ``cls`` the operations it lacks (never replacing one moto has: idempotent, and a newer moto
    that implements the call wins)."""
    for name, method in methods.items():
        if name not in cls.__dict__:
            setattr(cls, name, method)


def apply() -> None:
    """Patch moto's Cognito models; idempotent and thread-safe. Does nothing when moto is not installed."""
    try:
        from moto.cognitoidp import models
    except ImportError:
        return
    with _apply_lock:
        _fix_client_dates(models)
        _fix_create_only_pool_settings(models)
        _fix_case_insensitive_names(models)
        _fix_resend_invitation(models)
        _fix_admin_auth_mfa_setup(models)
        _add_managed_login_branding(models)
        _add_client_secrets(models)
        from cognito_privx.sandbox import import_jobs  # here: import_jobs builds on this module's helpers

        import_jobs.install(models)


def _wrap(owner: type, name: str, make: Callable[[Method], Method]) -> None:
    """Replace ``owner.name`` by ``make(original)`` unless it is already our wrapper."""
    original = owner.__dict__[name]
    if getattr(original, _MARK, False):
        return
    wrapper = functools.wraps(original)(make(original))
    setattr(wrapper, _MARK, True)
    setattr(owner, name, wrapper)


class _Clock:
    """Naive-UTC timestamps (as moto's ``utcnow``), truncated to the millisecond moto puts on the wire
    (``moto/core/serialize.py`` ``_timestamp_unixtimestamp``, lines 133-139), each strictly later than the one before.

    Sequential calls to real Cognito are milliseconds apart on the network, so their stamps differ; in-process
    moto can answer two calls within one millisecond, which would make "the older object wins" a tie that AWS
    practically never produces for sequential calls. (A true tie is still possible on AWS for concurrent calls:
    test that path with a Stubber, not with moto.)
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: datetime.datetime | None = None

    def now(self) -> datetime.datetime:
        stamp = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
        stamp = stamp.replace(microsecond=stamp.microsecond - stamp.microsecond % 1000)
        with self._lock:
            if self._last is not None and stamp <= self._last:
                stamp = self._last + datetime.timedelta(milliseconds=1)
            self._last = stamp
        return stamp


_clock = _Clock()


def _fix_client_dates(models: Any) -> None:
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
            self.creation_date = self.last_modified_date = _clock.now()

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
            client.last_modified_date = _clock.now()
            return client

        return update_user_pool_client

    _wrap(client_cls, "__init__", init)
    _wrap(client_cls, "to_json", to_json)
    _wrap(models.CognitoIdpBackend, "update_user_pool_client", update)


# Members of botocore's CreateUserPoolRequest that UpdateUserPoolRequest lacks (besides Schema, which moto keeps
# apart in ``schema_attributes``): AWS fixes them when the pool is made.
_CREATE_ONLY_POOL_SETTINGS = ("UsernameAttributes", "UsernameConfiguration", "AliasAttributes")


def _fix_create_only_pool_settings(models: Any) -> None:
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

    _wrap(models.CognitoIdpUserPool, "update_extended_config", make)


def _fix_case_insensitive_names(models: Any) -> None:
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

    _wrap(models.CognitoIdpUserPool, "_get_user", make)


def _fix_resend_invitation(models: Any) -> None:
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

    _wrap(models.CognitoIdpBackend, "admin_create_user", make)


def _fix_admin_auth_mfa_setup(models: Any) -> None:
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

    _wrap(models.CognitoIdpBackend, "admin_initiate_auth", make)


def _add_managed_login_branding(models: Any) -> None:
    """Managed-login branding styles, which moto does not implement, as a stand-in kept on moto's pool objects.

    AWS (botocore's model and the API reference of each operation): ``CreateManagedLoginBranding`` (``UserPoolId``,
    ``ClientId``, ``UseCognitoProvidedValues``, ``Settings``, ``Assets``) answers ``{"ManagedLoginBranding":
    ManagedLoginBrandingType}`` (``ManagedLoginBrandingId``, ``UserPoolId``, ``UseCognitoProvidedValues``,
    ``Settings``, ``Assets``, ``CreationDate``, ``LastModifiedDate``; no client id); one style per app client, a
    second is ``ManagedLoginBrandingExistsException``; an unknown client is ``ResourceNotFoundException``;
    ``UseCognitoProvidedValues`` with ``Settings`` is ``InvalidParameterException``.
    ``DescribeManagedLoginBrandingByClient`` / ``DescribeManagedLoginBranding`` answer the same shape or
    ``ResourceNotFoundException``; ``DeleteManagedLoginBranding`` (``ManagedLoginBrandingId``, ``UserPoolId``)
    answers nothing. Deleting the app client or the pool takes its style along **(unverified** for the client).

    moto 5.2.5: none of these exist (``NotImplementedError`` in-process, HTTP 500 from the server). Here the
    backend gets the four methods and ``CognitoIdpResponse`` the four actions; the styles live in the pool object's
    ``managed_login_brandings`` (id → record with the client id), so they go with the pool and one state serves
    the in-process mock and the server alike.
    """
    from moto.cognitoidp import responses
    from moto.cognitoidp.exceptions import InvalidParameterException, ResourceNotFoundError
    from moto.core.exceptions import JsonRESTError
    from moto.core.responses import ActionResult, EmptyResult

    class ManagedLoginBrandingExistsException(JsonRESTError):
        def __init__(self, message: str) -> None:
            super().__init__("ManagedLoginBrandingExistsException", message)

    def styles(pool: Any) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = pool.__dict__.setdefault("managed_login_brandings", {})
        for style_id, style in list(found.items()):  # a deleted client takes its style along
            if style["ClientId"] not in pool.clients:
                del found[style_id]
        return found

    def public(style: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in style.items() if k != "ClientId"}

    def find(backend: Any, pool_id: str, style_id: str) -> dict[str, Any]:
        style = styles(backend.describe_user_pool(pool_id)).get(style_id)
        if style is None:
            raise ResourceNotFoundError(f"Managed login branding {style_id} does not exist.")
        return style

    def create(self: Any, pool_id: str, client_id: str, use_cognito: bool, settings: Any, assets: Any) -> Any:
        pool = self.describe_user_pool(pool_id)
        if client_id not in pool.clients:
            raise ResourceNotFoundError(f"App client {client_id} does not exist.")
        if use_cognito and settings:
            raise InvalidParameterException("Settings cannot be given with UseCognitoProvidedValues.")
        if any(s["ClientId"] == client_id for s in styles(pool).values()):
            raise ManagedLoginBrandingExistsException(f"A managed login branding exists for client {client_id}.")
        now = _clock.now()
        style = {
            "ManagedLoginBrandingId": str(uuid.uuid4()),
            "UserPoolId": pool_id,
            "UseCognitoProvidedValues": bool(use_cognito),
            **({"Settings": settings} if settings else {}),
            "Assets": assets or [],
            "CreationDate": now,
            "LastModifiedDate": now,
            "ClientId": client_id,
        }
        styles(pool)[style["ManagedLoginBrandingId"]] = style
        return public(style)

    def by_client(self: Any, pool_id: str, client_id: str) -> Any:
        pool = self.describe_user_pool(pool_id)
        style = next((s for s in styles(pool).values() if s["ClientId"] == client_id), None)
        if style is None:
            raise ResourceNotFoundError(f"No managed login branding for client {client_id}.")
        return public(style)

    def describe(self: Any, pool_id: str, style_id: str) -> Any:
        return public(find(self, pool_id, style_id))

    def delete(self: Any, pool_id: str, style_id: str) -> None:
        find(self, pool_id, style_id)
        del styles(self.describe_user_pool(pool_id))[style_id]

    backend_methods = {
        "create_managed_login_branding": create,
        "describe_managed_login_branding_by_client": by_client,
        "describe_managed_login_branding": describe,
        "delete_managed_login_branding": delete,
    }
    _add_missing(models.CognitoIdpBackend, backend_methods)

    def act_create(self: Any) -> Any:
        style = self.backend.create_managed_login_branding(
            self._get_param("UserPoolId"),
            self._get_param("ClientId"),
            self._get_param("UseCognitoProvidedValues"),
            self._get_param("Settings"),
            self._get_param("Assets"),
        )
        return ActionResult({"ManagedLoginBranding": style})

    def act_by_client(self: Any) -> Any:
        style = self.backend.describe_managed_login_branding_by_client(
            self._get_param("UserPoolId"), self._get_param("ClientId")
        )
        return ActionResult({"ManagedLoginBranding": style})

    def act_describe(self: Any) -> Any:
        style = self.backend.describe_managed_login_branding(
            self._get_param("UserPoolId"), self._get_param("ManagedLoginBrandingId")
        )
        return ActionResult({"ManagedLoginBranding": style})

    def act_delete(self: Any) -> Any:
        self.backend.delete_managed_login_branding(
            self._get_param("UserPoolId"), self._get_param("ManagedLoginBrandingId")
        )
        return EmptyResult()

    actions = {
        "create_managed_login_branding": act_create,
        "describe_managed_login_branding_by_client": act_by_client,
        "describe_managed_login_branding": act_describe,
        "delete_managed_login_branding": act_delete,
    }
    _add_missing(responses.CognitoIdpResponse, actions)


# AddUserPoolClientSecret's ClientSecret (botocore: min 24, max 64, pattern [\w+]+); two active secrets at most.
_SECRET_RE = re.compile(r"^[\w+]{24,64}$")
MAX_CLIENT_SECRETS = 2


def client_secrets(client: Any) -> list[dict[str, Any]]:
    """The active secrets of a moto app client, oldest first (made from moto's own ``secret`` at first use)."""
    found: list[dict[str, Any]] | None = client.__dict__.get("client_secrets")
    if found is None:
        found = []
        if getattr(client, "generate_secret", False) and getattr(client, "secret", None):
            stamp = getattr(client, "creation_date", None) or _clock.now()
            found.append({"ClientSecretId": uuid.uuid4().hex, "ClientSecretValue": client.secret, "Date": stamp})
        client.__dict__["client_secrets"] = found
    return found


def _add_client_secrets(models: Any) -> None:
    r"""Client-secret rotation, which moto lacks, kept on moto's own app-client objects.

    AWS (botocore's model; API reference): ``AddUserPoolClientSecret`` (``UserPoolId``, ``ClientId``, optional
    ``ClientSecret`` of 24-64 characters of ``[\w+]``) "Supports up to 2 active secrets per app client"; it answers
    ``ClientSecretDescriptor`` (``ClientSecretId``, ``ClientSecretCreateDate``, and ``ClientSecretValue`` only for a
    secret Cognito generated). ``ListUserPoolClientSecrets`` answers ``ClientSecrets`` (descriptors without
    values). ``DeleteUserPoolClientSecret`` (``ClientSecretId``): "You cannot delete the last remaining secret".
    A third secret is ``LimitExceededException`` **(the code is unverified)**; a client made without a secret
    cannot get one (``InvalidParameterException``).

    moto 5.2.5: none of the three exist. Here the secrets live in the client object's ``client_secrets`` (oldest
    first, seeded from moto's own ``secret``), and moto's ``secret`` -- what ``DescribeUserPoolClient`` answers as
    ``ClientSecret`` -- is kept equal to the first active one: one state for the in-process mock, the server and
    the hosted-UI stand-in (whose token endpoint takes any active secret).
    """
    from moto.cognitoidp import responses
    from moto.cognitoidp.exceptions import InvalidParameterException, ResourceNotFoundError
    from moto.core.exceptions import JsonRESTError
    from moto.core.responses import ActionResult, EmptyResult

    class LimitExceededException(JsonRESTError):
        def __init__(self, message: str) -> None:
            super().__init__("LimitExceededException", message)

    def client_of(backend: Any, pool_id: str, client_id: str) -> Any:
        client = backend.describe_user_pool(pool_id).clients.get(client_id)
        if client is None:
            raise ResourceNotFoundError(f"App client {client_id} does not exist.")
        return client

    def descriptor(secret: dict[str, Any], *, value: bool = False) -> dict[str, Any]:
        out = {"ClientSecretId": secret["ClientSecretId"], "ClientSecretCreateDate": secret["Date"]}
        if value:
            out["ClientSecretValue"] = secret["ClientSecretValue"]
        return out

    def add(self: Any, pool_id: str, client_id: str, value: str | None) -> dict[str, Any]:
        client = client_of(self, pool_id, client_id)
        found = client_secrets(client)
        if not found:
            raise InvalidParameterException(f"App client {client_id} has no client secret.")
        if len(found) >= MAX_CLIENT_SECRETS:
            raise LimitExceededException(f"App client {client_id} already has {MAX_CLIENT_SECRETS} client secrets.")
        if value is not None and not _SECRET_RE.match(value):
            raise InvalidParameterException("ClientSecret must be 24-64 characters of [\\w+].")
        generated = value is None
        secret = {
            "ClientSecretId": uuid.uuid4().hex,
            "ClientSecretValue": value if value is not None else uuid.uuid4().hex + uuid.uuid4().hex[:20],
            "Date": _clock.now(),
        }
        found.append(secret)
        client.secret = found[0]["ClientSecretValue"]
        return descriptor(secret, value=generated)

    def listing(self: Any, pool_id: str, client_id: str) -> list[dict[str, Any]]:
        return [descriptor(s) for s in client_secrets(client_of(self, pool_id, client_id))]

    def delete(self: Any, pool_id: str, client_id: str, secret_id: str) -> None:
        client = client_of(self, pool_id, client_id)
        found = client_secrets(client)
        index = next((i for i, s in enumerate(found) if s["ClientSecretId"] == secret_id), None)
        if index is None:
            raise ResourceNotFoundError(f"Client secret {secret_id} does not exist.")
        if len(found) == 1:
            raise InvalidParameterException("The last client secret of an app client cannot be deleted.")
        del found[index]
        client.secret = found[0]["ClientSecretValue"]

    backend_methods = {
        "add_user_pool_client_secret": add,
        "list_user_pool_client_secrets": listing,
        "delete_user_pool_client_secret": delete,
    }
    _add_missing(models.CognitoIdpBackend, backend_methods)

    def act_add(self: Any) -> Any:
        made = self.backend.add_user_pool_client_secret(
            self._get_param("UserPoolId"), self._get_param("ClientId"), self._get_param("ClientSecret")
        )
        return ActionResult({"ClientSecretDescriptor": made})

    def act_list(self: Any) -> Any:
        found = self.backend.list_user_pool_client_secrets(self._get_param("UserPoolId"), self._get_param("ClientId"))
        return ActionResult({"ClientSecrets": found})

    def act_delete(self: Any) -> Any:
        self.backend.delete_user_pool_client_secret(
            self._get_param("UserPoolId"), self._get_param("ClientId"), self._get_param("ClientSecretId")
        )
        return EmptyResult()

    actions = {
        "add_user_pool_client_secret": act_add,
        "list_user_pool_client_secrets": act_list,
        "delete_user_pool_client_secret": act_delete,
    }
    _add_missing(responses.CognitoIdpResponse, actions)
