"""Amazon Cognito: a typed gateway over one boto3 client, and the ensure steps for setup.

Every ``ensure_*`` follows the ensure contract of design.md: observe, diff (pure), act unless dry-run (updates
merge over the *full* described object, because Cognito resets what an update omits), report a
:class:`~cognito_privx.plan.Change`.

Where moto differs from AWS (``shared/reference/cognito.md``), the code follows AWS and says so.
"""

from __future__ import annotations

import logging
import os
import random
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, NewType

from cognito_privx.config import MANAGED_TAG_KEY, MANAGED_TAG_VALUE, AppConfig
from cognito_privx.errors import (
    AmbiguousResourceError,
    CognitoError,
    ConflictError,
    CredentialsError,
    ForeignResourceError,
)
from cognito_privx.plan import Action, Change, FieldChange, change_for, diff_fields

log = logging.getLogger(__name__)

UserPoolId = NewType("UserPoolId", str)
ClientId = NewType("ClientId", str)

# The parameters UpdateUserPool accepts. Anything else that DescribeUserPool returns is read-only.
_POOL_UPDATE_KEYS = (
    "Policies",
    "DeletionProtection",
    "LambdaConfig",
    "AutoVerifiedAttributes",
    "SmsVerificationMessage",
    "EmailVerificationMessage",
    "EmailVerificationSubject",
    "VerificationMessageTemplate",
    "SmsAuthenticationMessage",
    "UserAttributeUpdateSettings",
    "MfaConfiguration",
    "DeviceConfiguration",
    "EmailConfiguration",
    "SmsConfiguration",
    "UserPoolTags",
    "AdminCreateUserConfig",
    "UserPoolAddOns",
    "AccountRecoverySetting",
    "PoolName",
    "UserPoolTier",
    "AcrConfiguration",
    "DcrConfiguration",
    "IssuerConfiguration",
    "KeyConfiguration",
)

# The parameters UpdateUserPoolClient accepts (ClientSecret, dates etc. are read-only).
_CLIENT_UPDATE_KEYS = (
    "UserPoolId",
    "ClientId",
    "ClientName",
    "RefreshTokenValidity",
    "AccessTokenValidity",
    "IdTokenValidity",
    "TokenValidityUnits",
    "ReadAttributes",
    "WriteAttributes",
    "ExplicitAuthFlows",
    "SupportedIdentityProviders",
    "CallbackURLs",
    "LogoutURLs",
    "DefaultRedirectURI",
    "AllowedOAuthFlows",
    "AllowedOAuthScopes",
    "AllowedOAuthFlowsUserPoolClient",
    "AnalyticsConfiguration",
    "PreventUserExistenceErrors",
    "EnableTokenRevocation",
    "EnablePropagateAdditionalUserContextData",
    "AuthSessionValidity",
    "RefreshTokenRotation",
)

_CREDENTIAL_CODES = frozenset(
    {
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "ExpiredTokenException",
        "ExpiredToken",
        "InvalidSignatureException",
        "SignatureDoesNotMatch",
    }
)
# Not NotAuthorizedException: in Cognito that is a wrong password or a disabled user, not IAM.
_ACCESS_CODES = frozenset({"AccessDeniedException", "AccessDenied"})


# Creating calls that botocore must not repeat by itself: a repeat after a lost response makes a second pool or
# client, or fails with "already exists" although the first call worked. create_once() handles their retries.
NON_IDEMPOTENT = frozenset(
    {"create_user_pool", "create_user_pool_client", "create_user_pool_domain", "add_custom_attributes", "create_group"}
)
THROTTLE_CODES = frozenset({"TooManyRequestsException", "ThrottlingException"})
CREATE_ATTEMPTS = 5


class _Unset:
    """Marks an ``ensure_*`` argument the caller did not observe: the step observes it itself."""


UNSET = _Unset()


def _credential_load_errors() -> tuple[type[Exception], ...]:
    """botocore's errors for credentials that exist but cannot be loaded (an expired SSO token, a failing
    credential_process, half a key pair)."""
    import botocore.exceptions as bx

    return (bx.SSOError, bx.TokenRetrievalError, bx.CredentialRetrievalError, bx.PartialCredentialsError)


def _credential_load_error(e: Exception) -> CognitoError:
    return CognitoError(
        f"AWS credentials could not be loaded: {str(e).rstrip(': ')}",
        "for an SSO profile run `aws sso login`; otherwise check the profile's credential settings",
    )


def _error_code(e: Exception) -> str:
    response = getattr(e, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


class CognitoGateway:
    """The Cognito calls cognito-privx makes, over one (thread-safe) boto3 client.

    ``observer`` is called with the operation name before each call; tests and ``--debug`` use it to count
    calls per side.
    """

    def __init__(
        self,
        client: Any,
        observer: Callable[[str], None] | None = None,
        *,
        create_client: Any = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        # CreateUserPool and CreateUserPoolClient are not idempotent: botocore would repeat them after a lost
        # response (a read timeout, a dropped connection) and leave two pools. They go through a client without
        # botocore retries; create_once() retries them itself, looking the object up first.
        self.create_client = create_client if create_client is not None else client
        self._observer = observer
        self._sleep = sleep

    def with_observer(self, observer: Callable[[str], None]) -> CognitoGateway:
        return CognitoGateway(self.client, observer, create_client=self.create_client, sleep=self._sleep)

    @classmethod
    def connect(cls, region: str, profile: str | None = None, *, max_attempts: int = 6) -> CognitoGateway:
        """A gateway over a new client. ``max_attempts=1`` turns botocore's retries off (the user commands
        retry throttling themselves, see ``users``)."""
        import boto3
        import botocore.config
        import botocore.exceptions

        if max_attempts > 1 and os.environ.get("AWS_MAX_ATTEMPTS", "").isdigit():
            max_attempts = max(1, int(os.environ["AWS_MAX_ATTEMPTS"]))  # the AWS CLI's own knob
        try:
            session = boto3.session.Session(profile_name=profile, region_name=region)
        except botocore.exceptions.ProfileNotFound:
            raise CredentialsError(f"AWS profile {profile!r} not found", "check --profile and ~/.aws/config") from None
        config = botocore.config.Config(
            retries={"mode": "standard", "total_max_attempts": max_attempts},
            connect_timeout=10,
            read_timeout=30,
            max_pool_connections=32,
            user_agent_extra="cognito-privx",
        )
        try:
            credentials = session.get_credentials()
        except _credential_load_errors() as e:
            raise _credential_load_error(e) from None
        if credentials is None:
            raise CredentialsError(
                "no AWS credentials found",
                "configure them as for the AWS CLI: AWS_PROFILE / --profile, aws sso login, "
                "or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
            )
        no_retries = config.merge(botocore.config.Config(retries={"mode": "standard", "total_max_attempts": 1}))
        return cls(
            session.client("cognito-idp", config=config), create_client=session.client("cognito-idp", config=no_retries)
        )

    # -- the one place that calls boto3 --------------------------------------------------------------------

    def call(self, operation: str, **params: Any) -> dict[str, Any]:
        import botocore.exceptions

        if self._observer is not None:
            self._observer(operation)
        log.debug("cognito-idp %s", operation)
        client = self.create_client if operation in NON_IDEMPOTENT else self.client
        try:
            result: dict[str, Any] = getattr(client, operation)(**params)
        except botocore.exceptions.NoCredentialsError:
            raise CredentialsError(
                "no AWS credentials found", "configure AWS credentials (AWS_PROFILE, aws sso login, env)"
            ) from None
        except _credential_load_errors() as e:
            raise _credential_load_error(e) from None
        except botocore.exceptions.ClientError as e:
            raise self._translate(operation, e) from e
        except (botocore.exceptions.EndpointConnectionError, botocore.exceptions.ConnectTimeoutError) as e:
            raise CognitoError(
                f"cannot reach Cognito for {operation}: {e}",
                "check the network, the region and AWS_ENDPOINT_URL if you set one",
            ) from e
        except (botocore.exceptions.ConnectionError, botocore.exceptions.HTTPClientError) as e:
            # Sent, but no answer came back (read timeout, connection closed): it may have been processed.
            error = CognitoError(
                f"the connection to Cognito failed during {operation}: {e}", "run again; it is safe to re-run"
            )
            error.unknown_outcome = True
            raise error from e
        return result

    def create_once(
        self, operation: str, key: str | None, lookup: Callable[[], dict[str, Any] | None], **params: Any
    ) -> dict[str, Any]:
        """Call a creating operation without ever making two: after an answer that may hide a success, look
        the object up first; retry throttling with backoff."""
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self.call(operation, **params)
                created: dict[str, Any] = response[key] if key is not None else response
                return created
            except CognitoError as e:
                code = _error_code(e.__cause__) if isinstance(e.__cause__, Exception) else ""
                unknown = e.unknown_outcome or code in (
                    "InternalErrorException",
                    "InternalFailure",
                    "ServiceUnavailable",
                )
                if attempt >= CREATE_ATTEMPTS or not (unknown or code in THROTTLE_CODES):
                    raise
                if unknown:
                    found = lookup()
                    if found is not None:
                        log.debug("%s succeeded after all: found it", operation)
                        return found
            self._sleep(random.uniform(0, min(5.0, 0.2 * 2**attempt)))  # noqa: S311 - backoff jitter

    def input_members(self, operation: str) -> tuple[str, ...]:
        """The parameter names the botocore model gives ``operation`` (empty when the model is unavailable)."""
        try:
            api_name = self.client.meta.method_to_api_mapping[operation]
            shape = self.client.meta.service_model.operation_model(api_name).input_shape
        except (AttributeError, KeyError):
            return ()
        return tuple(shape.members)

    def _translate(self, operation: str, e: Exception) -> CognitoError:
        code = _error_code(e)
        message = str(getattr(e, "response", {}).get("Error", {}).get("Message", "")) or code
        mapping = getattr(getattr(self.client, "meta", None), "method_to_api_mapping", {}) or {}
        action = mapping.get(operation, operation)  # the API / IAM name, e.g. ListUserPools
        if code in _CREDENTIAL_CODES:
            return CognitoError(
                f"AWS refused the credentials ({code}) on {action}",
                "refresh or fix your AWS credentials (aws sso login, AWS_PROFILE)",
            )
        if code in _ACCESS_CODES:
            return CognitoError(
                f"access denied to cognito-idp:{action}: {message}",
                f"grant the caller's IAM policy cognito-idp:{action} on the user pool",
            )
        if code in ("TooManyRequestsException", "ThrottlingException"):
            return CognitoError(
                f"Cognito throttled {action} after retries",
                "wait a minute and run again; it is safe to re-run",
            )
        return CognitoError(f"Cognito {action} failed: {code}: {message}", "see the AWS message above")

    def paginate(self, operation: str, key: str, **params: Any) -> Iterator[dict[str, Any]]:
        token_in, token_out = "NextToken", "NextToken"
        while True:
            page = self.call(operation, **params)
            yield from page.get(key, [])
            token = page.get(token_out)
            if not token:
                return
            params = {**params, token_in: token}

    # -- pools ---------------------------------------------------------------------------------------------

    def describe_pool(self, pool_id: str) -> dict[str, Any]:
        pool: dict[str, Any] = self.call("describe_user_pool", UserPoolId=pool_id)["UserPool"]
        return pool

    def pools_named(self, name: str) -> list[dict[str, Any]]:
        """Every pool with this name, described (tags live only in the description)."""
        ids = [p["Id"] for p in self.paginate("list_user_pools", "UserPools", MaxResults=60) if p["Name"] == name]
        return [self.describe_pool(i) for i in ids]

    def clients_named(self, pool_id: str, name: str) -> list[dict[str, Any]]:
        ids = [
            c["ClientId"]
            for c in self.paginate("list_user_pool_clients", "UserPoolClients", UserPoolId=pool_id, MaxResults=60)
            if c["ClientName"] == name
        ]
        return [self.call("describe_user_pool_client", UserPoolId=pool_id, ClientId=i)["UserPoolClient"] for i in ids]

    def describe_domain(self, prefix: str) -> dict[str, Any]:
        """The domain's description; empty when the prefix is free."""
        desc: dict[str, Any] = self.call("describe_user_pool_domain", Domain=prefix).get("DomainDescription") or {}
        return desc


# -- desired state -----------------------------------------------------------------------------------------


def attribute_schema(cfg: AppConfig) -> dict[str, Any]:
    # The bare name: Cognito adds "custom:" itself (passing "custom:group" creates "custom:custom:group").
    return {
        "Name": cfg.cognito.group_attribute,
        "AttributeDataType": "String",
        "Mutable": True,
        "StringAttributeConstraints": {"MinLength": "0", "MaxLength": "2048"},
    }


def pool_create_params(cfg: AppConfig) -> dict[str, Any]:
    c = cfg.cognito
    return {
        "PoolName": c.pool_name,
        "UsernameAttributes": ["email"],
        "UsernameConfiguration": {"CaseSensitive": False},
        "AutoVerifiedAttributes": ["email"],
        "Schema": [attribute_schema(cfg)],
        "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True},
        "AccountRecoverySetting": {"RecoveryMechanisms": [{"Priority": 1, "Name": "verified_email"}]},
        "UserPoolTier": c.tier,
        "DeletionProtection": "ACTIVE" if c.deletion_protection else "INACTIVE",
        "UserPoolTags": c.pool_tags,
    }


def pool_managed_fields(cfg: AppConfig, current: Mapping[str, Any]) -> dict[str, Any]:
    """The pool fields we converge on an existing pool (only those the description carries)."""
    c = cfg.cognito
    desired: dict[str, Any] = {
        "DeletionProtection": "ACTIVE" if c.deletion_protection else "INACTIVE",
        # Tags: ours must be present; tags someone else set are kept.
        "UserPoolTags": {**(current.get("UserPoolTags") or {}), **c.pool_tags},
    }
    # moto's description has no UserPoolTier; never "update" a field we cannot observe.
    if "UserPoolTier" in current:
        desired["UserPoolTier"] = c.tier
    return desired


def pool_update_params(
    current: Mapping[str, Any], changes: Mapping[str, Any], keys: Iterable[str] = ()
) -> dict[str, Any]:
    """Full UpdateUserPool parameters: every updatable field of ``current`` with ``changes`` over it.

    UpdateUserPool resets every field it is not given (AWS docs; boto3 #1607), so nothing may be left out.
    ``keys`` adds parameter names from the installed botocore model, so fields AWS adds later are kept too.
    """
    params: dict[str, Any] = {"UserPoolId": current["Id"]}
    for key in dict.fromkeys((*_POOL_UPDATE_KEYS, *keys)):
        if key in current and key != "PoolName":
            params[key] = current[key]
    params.update(changes)
    # DescribeUserPool echoes the deprecated UnusedAccountValidityDays next to the password policy's
    # TemporaryPasswordValidityDays; AWS refuses an update that carries both.
    acu = params.get("AdminCreateUserConfig")
    if isinstance(acu, dict) and "UnusedAccountValidityDays" in acu:
        temp_days = (params.get("Policies") or {}).get("PasswordPolicy", {}).get("TemporaryPasswordValidityDays")
        if temp_days is not None:
            params["AdminCreateUserConfig"] = {k: v for k, v in acu.items() if k != "UnusedAccountValidityDays"}
    # The legacy verification fields duplicate VerificationMessageTemplate; sending both may conflict.
    if "VerificationMessageTemplate" in params:
        for legacy in ("EmailVerificationMessage", "EmailVerificationSubject", "SmsVerificationMessage"):
            params.pop(legacy, None)
    return params


def client_desired(cfg: AppConfig) -> dict[str, Any]:
    return {
        "AllowedOAuthFlows": ["code"],
        "AllowedOAuthFlowsUserPoolClient": True,
        "AllowedOAuthScopes": ["openid", *cfg.privx.additional_scopes],
        "CallbackURLs": [cfg.callback_url],
        "SupportedIdentityProviders": ["COGNITO"],
        # Without ReadAttributes a custom attribute is not readable and is missing from the ID token
        # (moto puts it there anyway).
        "ReadAttributes": ["email", "email_verified", "name", cfg.cognito.attribute_name],
        # PrivX needs refresh tokens.
        "ExplicitAuthFlows": ["ALLOW_REFRESH_TOKEN_AUTH"],
    }


# Lists where someone else's additions are kept (a superset satisfies us).
CLIENT_SUPERSET_FIELDS = ("ReadAttributes", "ExplicitAuthFlows")


def client_create_params(cfg: AppConfig, pool_id: str) -> dict[str, Any]:
    return {
        "UserPoolId": pool_id,
        "ClientName": cfg.cognito.app_client_name,
        "GenerateSecret": True,
        "PreventUserExistenceErrors": "ENABLED",
        "EnableTokenRevocation": True,
        **client_desired(cfg),
    }


def client_update_params(
    current: Mapping[str, Any], fields: tuple[FieldChange, ...], keys: Iterable[str] = ()
) -> dict[str, Any]:
    """Full UpdateUserPoolClient parameters: the described client with the changed fields over it.

    AWS resets every omitted field to its default; moto merges instead, so this is pinned by Stubber tests.
    """
    params = {k: current[k] for k in dict.fromkeys((*_CLIENT_UPDATE_KEYS, *keys)) if k in current}
    for f in fields:
        params[f.field] = f.after
    return params


def domain_url(prefix: str, region: str) -> str:
    return f"https://{prefix}.auth.{region}.amazoncognito.com"


# -- ensure steps ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PoolState:
    change: Change
    pool: dict[str, Any] | None  # None only in a dry run that would create it

    @property
    def pool_id(self) -> UserPoolId | None:
        return UserPoolId(self.pool["Id"]) if self.pool else None


def _is_ours(pool: Mapping[str, Any]) -> bool:
    return (pool.get("UserPoolTags") or {}).get(MANAGED_TAG_KEY) == MANAGED_TAG_VALUE


def find_our_pool(gw: CognitoGateway, cfg: AppConfig, *, adopt: bool = False) -> dict[str, Any] | None:
    """Our pool by name **and** tag; ``None`` when there is none. Raises on ambiguity or a foreign pool."""
    name = cfg.cognito.pool_name
    matches = gw.pools_named(name)
    ours = [p for p in matches if _is_ours(p)]
    if len(ours) > 1:
        ids = ", ".join(sorted(p["Id"] for p in ours))
        raise AmbiguousResourceError(
            f"{len(ours)} user pools named {name!r} carry the tag {MANAGED_TAG_KEY}={MANAGED_TAG_VALUE}: {ids}",
            "delete the extra pool (or remove its tag), then run again",
        )
    if ours:
        return ours[0]
    if not matches:
        return None
    ids = ", ".join(sorted(p["Id"] for p in matches))
    if adopt and len(matches) == 1:
        return matches[0]
    if adopt:
        raise AmbiguousResourceError(
            f"{len(matches)} user pools are named {name!r}: {ids}; cannot choose one to adopt",
            "rename or delete the ones you do not want",
        )
    raise ForeignResourceError(
        f"a user pool named {name!r} exists ({ids}) but was not created by cognito-privx",
        "choose another [cognito] pool_name, or pass --adopt to tag that pool and manage it",
    )


def ensure_pool(
    gw: CognitoGateway,
    cfg: AppConfig,
    *,
    dry_run: bool,
    adopt: bool = False,
    current: dict[str, Any] | _Unset | None = UNSET,
) -> PoolState:
    name = cfg.cognito.pool_name
    if isinstance(current, _Unset):
        current = find_our_pool(gw, cfg, adopt=adopt)
    if current is None:
        params = pool_create_params(cfg)
        shown = {k: params[k] for k in ("UserPoolTier", "DeletionProtection", "UserPoolTags")}
        change = change_for("cognito user pool", name, None, {"UsernameAttributes": ["email"], **shown})
        if dry_run:
            return PoolState(change, None)
        created = gw.create_once("create_user_pool", "UserPool", lambda: find_our_pool(gw, cfg), **params)
        return PoolState(change, gw.describe_pool(created["Id"]))

    desired = pool_managed_fields(cfg, current)
    fields = diff_fields(current, desired)
    notes: tuple[str, ...] = ()
    if not _is_ours(current):
        notes = (f"adopting pool {current['Id']}: it gets the tag {MANAGED_TAG_KEY}={MANAGED_TAG_VALUE}",)
    if "email" not in (current.get("UsernameAttributes") or []):
        notes += ("this pool does not use email as the user name; add-user expects it to",)
    change = Change("cognito user pool", name, Action.UPDATE if fields else Action.NOOP, fields, notes)
    if not fields or dry_run:
        return PoolState(change, current)
    keys = gw.input_members("update_user_pool")
    gw.call("update_user_pool", **pool_update_params(current, {f.field: f.after for f in fields}, keys))
    after = gw.describe_pool(current["Id"])
    return PoolState(_with_unstuck(change, after, desired), after)


def _with_unstuck(change: Change, after: Mapping[str, Any], desired: Mapping[str, Any]) -> Change:
    """Add a note for every field that did not take the value we sent (read back after the write)."""
    missed = [f.field for f in diff_fields(after, {f.field: desired[f.field] for f in change.fields})]
    if not missed:
        return change
    return Change(
        change.resource,
        change.name,
        change.action,
        change.fields,
        (*change.notes, f"did not stick after the update: {', '.join(missed)}"),
    )


def ensure_attribute(gw: CognitoGateway, cfg: AppConfig, pool: PoolState, *, dry_run: bool) -> Change:
    attr = cfg.cognito.attribute_name
    wanted = {"AttributeDataType": "String", "Mutable": True}
    if pool.change.action is Action.CREATE:
        # CreateUserPool carries the attribute in its schema: no call of its own.
        return change_for("cognito custom attribute", attr, None, wanted, notes=("created with the pool",))
    assert pool.pool is not None
    if check_attribute(cfg, pool.pool) is None:
        change = change_for("cognito custom attribute", attr, None, wanted)
        if not dry_run:
            pool_id = pool.pool["Id"]
            gw.create_once(
                "add_custom_attributes",
                None,
                lambda: check_attribute(cfg, gw.describe_pool(pool_id)),
                UserPoolId=pool_id,
                CustomAttributes=[attribute_schema(cfg)],
            )
        return change
    return Change("cognito custom attribute", attr, Action.NOOP)


def check_attribute(cfg: AppConfig, pool: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The pool's group attribute, ``None`` if missing; raises when it exists with the wrong type or mutability."""
    attr = cfg.cognito.attribute_name
    found: dict[str, Any] | None = next(
        (a for a in (pool or {}).get("SchemaAttributes", []) if a.get("Name") == attr), None
    )
    if found is None:
        return None
    wrong = diff_fields(found, {"AttributeDataType": "String", "Mutable": True})
    if wrong:
        what = ", ".join(f"{f.field} is {f.before!r}" for f in wrong)
        raise ConflictError(
            f"the pool's attribute {attr} exists but {what} (need String, mutable); Cognito can never change "
            "or remove a custom attribute",
            "set [cognito] group_attribute to a new name (for example 'privx_group')",
        )
    return found


@dataclass(frozen=True)
class ClientState:
    change: Change
    client: dict[str, Any] | None

    @property
    def client_id(self) -> ClientId | None:
        return ClientId(self.client["ClientId"]) if self.client else None


def find_client(gw: CognitoGateway, cfg: AppConfig, pool_id: str) -> dict[str, Any] | None:
    """Our app client by name; raises when two share it, or when ours has no secret (PrivX needs one)."""
    name = cfg.cognito.app_client_name
    found = gw.clients_named(pool_id, name)
    if len(found) > 1:
        ids = ", ".join(sorted(c["ClientId"] for c in found))
        raise AmbiguousResourceError(
            f"{len(found)} app clients named {name!r} in pool {pool_id}: {ids}",
            "delete the extra app client in the Cognito console, then run again",
        )
    if found and not found[0].get("ClientSecret"):
        raise ConflictError(
            f"app client {name!r} ({found[0]['ClientId']}) has no client secret, and Cognito cannot add one "
            "to an existing client",
            "delete that app client, or set [cognito] app_client_name to a new name",
        )
    return found[0] if found else None


def ensure_client(
    gw: CognitoGateway,
    cfg: AppConfig,
    pool_id: str | None,
    *,
    dry_run: bool,
    current: dict[str, Any] | _Unset | None = UNSET,
) -> ClientState:
    name = cfg.cognito.app_client_name
    desired = client_desired(cfg)
    if isinstance(current, _Unset):
        current = find_client(gw, cfg, pool_id) if pool_id else None
    if current is None:
        change = change_for("cognito app client", name, None, {"GenerateSecret": True, **desired})
        if dry_run or pool_id is None:
            return ClientState(change, None)
        created = gw.create_once(
            "create_user_pool_client",
            "UserPoolClient",
            lambda: find_client(gw, cfg, pool_id),
            **client_create_params(cfg, pool_id),
        )
        return ClientState(change, created)
    fields = diff_fields(current, desired, superset_ok=CLIENT_SUPERSET_FIELDS)
    change = Change("cognito app client", name, Action.UPDATE if fields else Action.NOOP, fields)
    if not fields or dry_run:
        return ClientState(change, current)
    params = client_update_params(current, fields, gw.input_members("update_user_pool_client"))
    updated = gw.call("update_user_pool_client", **params)["UserPoolClient"]
    return ClientState(_with_unstuck(change, updated, {f.field: f.after for f in fields}), updated)


def observe_domain(gw: CognitoGateway, cfg: AppConfig, pool: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The prefix domain's description (empty when free), ``None`` when no domain is managed.

    Raises when the prefix belongs to another pool or our pool already has another domain: AWS refuses both
    (moto silently accepts them and even moves the domain), so this is checked before anything is written.
    """
    prefix = cfg.cognito.domain_prefix
    if not prefix:
        return None
    pool_id = pool["Id"] if pool else None
    existing = pool.get("Domain") if pool else None
    if existing and existing != prefix:
        raise ConflictError(
            f"pool {pool_id} already has the domain {existing!r}; Cognito allows one prefix domain per pool",
            f"set [cognito] domain_prefix = {existing!r}, or delete that domain first",
        )
    desc = gw.describe_domain(prefix)
    owner = desc.get("UserPoolId")
    if owner and owner != pool_id:
        raise ConflictError(
            f"the domain prefix {prefix!r} belongs to another user pool: {_pool_label(gw, owner)}",
            "choose another [cognito] domain_prefix (prefixes are unique per region across all AWS accounts)",
        )
    return desc


def ensure_domain(
    gw: CognitoGateway,
    cfg: AppConfig,
    pool: dict[str, Any] | None,
    *,
    dry_run: bool,
    current: dict[str, Any] | _Unset | None = UNSET,
) -> Change | None:
    """Our pool's hosted-UI prefix domain; ``None`` when ``domain_prefix`` is empty (not managed)."""
    desc = observe_domain(gw, cfg, pool) if isinstance(current, _Unset) else current
    if desc is None:
        return None
    prefix = cfg.cognito.domain_prefix
    version = cfg.cognito.managed_login_version
    desired = {"ManagedLoginVersion": version}
    pool_id = pool["Id"] if pool else None
    owner = desc.get("UserPoolId")
    if owner:
        current = {"ManagedLoginVersion": desc.get("ManagedLoginVersion", version)}
        fields = diff_fields(current, desired)
        change = Change("cognito domain", prefix, Action.UPDATE if fields else Action.NOOP, fields)
        if fields and not dry_run:
            gw.call("update_user_pool_domain", Domain=prefix, UserPoolId=owner, ManagedLoginVersion=version)
        return change
    change = change_for("cognito domain", prefix, None, desired)
    if not dry_run and pool_id is not None:
        gw.create_once(
            "create_user_pool_domain",
            None,
            lambda: desc if (desc := gw.describe_domain(prefix)).get("UserPoolId") == pool_id else None,
            Domain=prefix,
            UserPoolId=pool_id,
            ManagedLoginVersion=version,
        )
    return change


GROUP_DESCRIPTION = "PrivX role group, managed by cognito-privx"


def list_groups(gw: CognitoGateway, pool_id: str) -> dict[str, dict[str, Any]]:
    return {g["GroupName"]: g for g in gw.paginate("list_groups", "Groups", UserPoolId=pool_id, Limit=60)}


def ensure_groups(
    gw: CognitoGateway,
    cfg: AppConfig,
    pool_id: str | None,
    *,
    dry_run: bool,
    current: dict[str, dict[str, Any]] | _Unset | None = UNSET,
) -> list[Change]:
    """Native Cognito groups for the ``[roles]`` keys (only with ``group_claim = "cognito:groups"``).

    Groups that exist are left as they are; groups that are not ``[roles]`` keys are never touched.
    """
    if not cfg.cognito.native_groups:
        return []
    if isinstance(current, _Unset):
        current = list_groups(gw, pool_id) if pool_id else None
    existing = current or {}
    changes = []
    for group in sorted(cfg.roles):
        if group in existing:
            changes.append(Change("cognito group", group, Action.NOOP))
            continue
        changes.append(change_for("cognito group", group, None, {"Description": GROUP_DESCRIPTION}))
        if not dry_run and pool_id is not None:
            gw.create_once(
                "create_group",
                None,
                lambda g=group: list_groups(gw, pool_id).get(g),  # type: ignore[misc]
                GroupName=group,
                UserPoolId=pool_id,
                Description=GROUP_DESCRIPTION,
            )
    return changes


def _pool_label(gw: CognitoGateway, pool_id: str) -> str:
    """``id (name)`` when we may describe the pool, else the id alone (it may be another account's)."""
    try:
        return f"{pool_id} ({gw.describe_pool(pool_id).get('Name', '?')})"
    except CognitoError:
        return pool_id
