"""Amazon Cognito: a typed gateway over one boto3 client, and the ensure steps for setup.

Every ``ensure_*`` follows the ensure contract (ARCHITECTURE.md#the-ensure-contract): observe, diff (pure), act
unless dry-run (updates merge over the *full* described object, because Cognito resets what an update omits), report a
:class:`~cognito_privx.plan.Change`.

Where moto differs from AWS (``docs/cognito.md#where-moto-differs-from-aws``), the code follows AWS and says so.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, NewType, TypeVar, cast

from cognito_privx import retry
from cognito_privx.config import MANAGED_TAG_KEY, MANAGED_TAG_VALUE
from cognito_privx.desired import (
    ADOPTED_TAG_KEY,
    ADOPTED_TAG_VALUE,
    AttributeSpec,
    ClientSpec,
    DomainSpec,
    MfaSpec,
    PoolSpec,
)
from cognito_privx.errors import (
    AmbiguousResourceError,
    CognitoError,
    ConfigError,
    ConflictError,
    CredentialsError,
    ForeignResourceError,
)
from cognito_privx.plan import Action, Change, FieldChange, change_for, diff_fields

if TYPE_CHECKING:  # types-boto3-cognito-idp, a dev dependency: type checking only, never imported at run time
    from types_boto3_cognito_idp import CognitoIdentityProviderClient
    from types_boto3_cognito_idp.type_defs import (
        DescribeUserPoolClientResponseTypeDef,
        DescribeUserPoolDomainResponseTypeDef,
        DescribeUserPoolResponseTypeDef,
        DomainDescriptionTypeTypeDef,
        GroupTypeTypeDef,
        SchemaAttributeTypeTypeDef,
        UserPoolClientDescriptionTypeDef,
        UserPoolClientTypeTypeDef,
        UserPoolDescriptionTypeTypeDef,
        UserPoolTypeTypeDef,
    )

log = logging.getLogger(__name__)

UserPoolId = NewType("UserPoolId", str)
ClientId = NewType("ClientId", str)
_T = TypeVar("_T")
_Obj = TypeVar("_Obj", bound=Mapping[str, object])  # a described pool or client

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
    {
        "create_user_pool",
        "create_user_pool_client",
        "create_user_pool_domain",
        "add_custom_attributes",
        "create_group",
        "create_managed_login_branding",
        "add_user_pool_client_secret",  # a repeat would add a third secret (or fail): never repeated
        "create_user_import_job",  # job names may repeat: a repeat would make a second job
    }
)


# How long a run waits for a concurrent run to delete its losing object before calling it a duplicate (seconds).
RACE_SETTLE_S = 15.0
RACE_POLL_S = 0.5


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


def _plain(found: Mapping[str, object] | None) -> dict[str, Any] | None:
    """A look-up's answer as :meth:`CognitoGateway.create_once` takes it: a plain dict."""
    return None if found is None else dict(found)


def error_code(e: CognitoError) -> str:
    """The AWS error code behind one of our :class:`CognitoError` (``""`` when it has none)."""
    cause = e.__cause__
    return _error_code(cause) if isinstance(cause, Exception) else ""


def _error_code(e: Exception) -> str:
    response = getattr(e, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


@functools.cache
def _paginator_model() -> Any:
    """botocore's paging rules for cognito-idp (``paginators-1.json``: input and output token, limit key, result
    key per operation), loaded once; the same data ``client.get_paginator`` builds its paginators from."""
    import botocore.session

    return botocore.session.get_session().get_paginator_model("cognito-idp")


class CognitoGateway:
    """The Cognito calls cognito-privx makes, over one (thread-safe) boto3 client.

    ``observer`` is called with the operation name before each call; tests and ``--debug`` use it to count
    calls per side.
    """

    def __init__(
        self,
        client: CognitoIdentityProviderClient,
        observer: Callable[[str], None] | None = None,
        *,
        create_client: CognitoIdentityProviderClient | None = None,
        sleep: Callable[[float], None] = time.sleep,
        race_settle_s: float = RACE_SETTLE_S,
    ) -> None:
        self.client = client
        # CreateUserPool and CreateUserPoolClient are not idempotent: botocore would repeat them after a lost
        # response (a read timeout, a dropped connection) and leave two pools. They go through a client without
        # botocore retries; create_once() retries them itself, looking the object up first.
        self.create_client = create_client if create_client is not None else client
        self._observer = observer
        self._sleep = sleep
        self.sleep = sleep
        # How long to wait for a concurrent run to delete its losing pool or client (seconds).
        self.race_settle_s = race_settle_s
        self.session: Any = None  # the boto3 session, when connect() made the client

    def with_observer(self, observer: Callable[[str], None]) -> CognitoGateway:
        gateway = CognitoGateway(self.client, observer, create_client=self.create_client, sleep=self._sleep)
        gateway.session = self.session
        gateway.race_settle_s = self.race_settle_s
        return gateway

    def account_id(self) -> str | None:
        """The AWS account of the credentials (STS GetCallerIdentity, which needs no IAM permission); ``None``
        when it cannot be asked (no session, or STS unreachable)."""
        import botocore.exceptions

        if self.session is None:
            return None
        if self._observer is not None:
            self._observer("get_caller_identity")  # counted with the AWS reads
        try:
            sts = self.session.client("sts", region_name=self.client.meta.region_name)
            return str(sts.get_caller_identity()["Account"])
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
            log.debug("sts GetCallerIdentity failed: %s", e)
            return None

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
        gateway = cls(
            session.client("cognito-idp", config=config), create_client=session.client("cognito-idp", config=no_retries)
        )
        gateway.session = session
        return gateway

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
        the object up first, and create again only when it is absent; throttling is retried with backoff."""

        def create() -> dict[str, Any]:
            response = self.call(operation, **params)
            created: dict[str, Any] = response[key] if key is not None else response
            return created

        policy = dataclasses.replace(retry.COGNITO_CREATES, sleep=self._sleep)
        return policy.create_once(create, lookup, retry.cognito_verdict)

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

    def pages(
        self, operation: str, request: Callable[..., Mapping[str, Any]] | None = None, **params: Any
    ) -> Iterator[Mapping[str, Any]]:
        """The pages of a listing, walked by botocore's paginator for ``operation``: its token names (NextToken
        or PaginationToken), its stop rule, its refusal of a repeated token.

        botocore's paginator is handed :meth:`call` as the method it pages with, so every page is one counted,
        logged call whose errors are mapped like any other. ``request`` replaces it with a caller's wrapper around
        :meth:`call` (``users`` retries throttled pages); it takes the page's parameters.
        """
        import botocore.exceptions
        import botocore.paginate

        api = self.client.meta.method_to_api_mapping[operation]
        paginator = botocore.paginate.Paginator(
            request or functools.partial(self.call, operation),
            _paginator_model().get_paginator(api),
            self.client.meta.service_model.operation_model(api),
        )
        try:
            yield from paginator.paginate(**params)
        except botocore.exceptions.PaginationError as e:  # the same next token twice: the listing would never end
            raise CognitoError(f"Cognito {api} paged in a circle: {e}", "run again; it is safe to re-run") from e

    # -- pools ---------------------------------------------------------------------------------------------

    def describe_pool(self, pool_id: str) -> UserPoolTypeTypeDef:
        response = cast("DescribeUserPoolResponseTypeDef", self.call("describe_user_pool", UserPoolId=pool_id))
        return response["UserPool"]

    def user_pools(self) -> Iterator[UserPoolDescriptionTypeTypeDef]:
        """Every pool of the account and region, as ListUserPools lists them (no tags)."""
        for page in self.pages("list_user_pools", MaxResults=60):
            yield from page.get("UserPools", [])

    def _described(self, ids: list[str], describe: Callable[[str], _T]) -> list[_T]:
        """Describe each id; one deleted between the list and the describe (a concurrent run's loser) is skipped."""
        out = []
        for obj_id in ids:
            try:
                out.append(describe(obj_id))
            except CognitoError as e:
                if not (isinstance(e.__cause__, Exception) and _error_code(e.__cause__) == "ResourceNotFoundException"):
                    raise
        return out

    def pools_named(self, name: str) -> list[UserPoolTypeTypeDef]:
        """Every pool with this name, described (tags live only in the description)."""
        ids = [p["Id"] for p in self.user_pools() if p["Name"] == name]
        return self._described(ids, self.describe_pool)

    # -- app clients, domains, groups ----------------------------------------------------------------------

    def pool_clients(self, pool_id: str) -> Iterator[UserPoolClientDescriptionTypeDef]:
        """The pool's app clients as ListUserPoolClients lists them (id and name only)."""
        for page in self.pages("list_user_pool_clients", UserPoolId=pool_id, MaxResults=60):
            yield from page.get("UserPoolClients", [])

    def describe_client(self, pool_id: str, client_id: str) -> UserPoolClientTypeTypeDef:
        response = self.call("describe_user_pool_client", UserPoolId=pool_id, ClientId=client_id)
        return cast("DescribeUserPoolClientResponseTypeDef", response)["UserPoolClient"]

    def clients_named(self, pool_id: str, name: str) -> list[UserPoolClientTypeTypeDef]:
        """Every app client of the pool with this name, described (the list has no secret or settings)."""
        ids = [c["ClientId"] for c in self.pool_clients(pool_id) if c["ClientName"] == name]
        return self._described(ids, lambda client_id: self.describe_client(pool_id, client_id))

    def describe_domain(self, prefix: str) -> DomainDescriptionTypeTypeDef:
        """The domain's description; empty when the prefix is free."""
        response = cast("DescribeUserPoolDomainResponseTypeDef", self.call("describe_user_pool_domain", Domain=prefix))
        return response.get("DomainDescription") or {}

    def mfa_config(self, pool_id: str) -> dict[str, Any]:
        """GetUserPoolMfaConfig, without the response metadata and the members moto answers with null."""
        response = self.call("get_user_pool_mfa_config", UserPoolId=pool_id)
        return {k: v for k, v in response.items() if k != "ResponseMetadata" and v is not None}

    def groups(self, pool_id: str) -> Iterator[GroupTypeTypeDef]:
        """The pool's native groups."""
        for page in self.pages("list_groups", UserPoolId=pool_id, Limit=60):
            yield from page.get("Groups", [])


# -- what we send --------------------------------------------------------------------------------------------


def pool_create_params(spec: PoolSpec, attribute: AttributeSpec) -> dict[str, Any]:
    """CreateUserPool parameters: email as the case-insensitive user name, admin-only sign-up, our tags."""
    return {
        "PoolName": spec.name,
        "UsernameAttributes": ["email"],
        "UsernameConfiguration": {"CaseSensitive": False},
        "AutoVerifiedAttributes": ["email"],
        "Schema": [attribute.schema()],
        "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True},
        "AccountRecoverySetting": {"RecoveryMechanisms": [{"Priority": 1, "Name": "verified_email"}]},
        "UserPoolTier": spec.tier or "LITE",
        "DeletionProtection": "ACTIVE" if spec.deletion_protection else "INACTIVE",
        "UserPoolTags": spec.pool_tags,
        **({"Policies": {"PasswordPolicy": dict(spec.password_policy)}} if spec.password_policy is not None else {}),
    }


def pool_managed_fields(spec: PoolSpec, current: UserPoolTypeTypeDef, *, adopt: bool = False) -> dict[str, object]:
    """The pool fields we converge on an existing pool (only those the description carries).

    A pool that is not ours yet (``adopt``) also gets the adopted tag, so teardown never deletes it.
    """
    tags = {**(current.get("UserPoolTags") or {}), **spec.pool_tags}
    if adopt and not is_ours(current):
        tags[ADOPTED_TAG_KEY] = ADOPTED_TAG_VALUE
    desired: dict[str, object] = {
        "DeletionProtection": "ACTIVE" if spec.deletion_protection else "INACTIVE",
        # Tags: ours must be present; tags someone else set are kept.
        "UserPoolTags": tags,
    }
    # moto's description has no UserPoolTier; never "update" a field we cannot observe.
    if "UserPoolTier" in current and spec.tier is not None:
        desired["UserPoolTier"] = spec.tier
    if spec.password_policy is not None:
        # Ours laid over the pool's policy (PasswordHistorySize and the like are kept).
        policies: dict[str, Any] = dict(current.get("Policies") or {})
        have: dict[str, Any] = dict(policies.get("PasswordPolicy") or {})
        policies["PasswordPolicy"] = {**have, **dict(spec.password_policy)}
        desired["Policies"] = policies
    return desired


def pool_update_params(
    current: Mapping[str, object], changes: Mapping[str, object], keys: Iterable[str] = ()
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


# Lists where someone else's additions are kept (a superset satisfies us).
CLIENT_SUPERSET_FIELDS = ("ReadAttributes", "ExplicitAuthFlows")


def client_create_params(spec: ClientSpec, pool_id: str) -> dict[str, Any]:
    return {
        "UserPoolId": pool_id,
        "ClientName": spec.name,
        "GenerateSecret": True,
        "PreventUserExistenceErrors": "ENABLED",
        "EnableTokenRevocation": True,
        **spec.desired(),
    }


def client_update_params(
    current: Mapping[str, object], fields: tuple[FieldChange, ...], keys: Iterable[str] = ()
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


# -- which object is ours, and races ------------------------------------------------------------------------

# Two objects of ours created this close together are a race between concurrent runs, not a leftover: the
# older one wins, and the run that made the newer one deletes it (ARCHITECTURE.md#races).
RACE_WINDOW = timedelta(minutes=2)
_NEVER = datetime.max.replace(tzinfo=UTC)


def _created(obj: Mapping[str, object]) -> datetime:
    when = obj.get("CreationDate")
    if isinstance(when, datetime):
        return when if when.tzinfo else when.replace(tzinfo=UTC)
    if isinstance(when, int | float):
        return datetime.fromtimestamp(when, UTC)
    return _NEVER


def age_key(obj: Mapping[str, object], id_key: str = "Id") -> tuple[datetime, str]:
    """Sort key that puts the oldest first: creation date, then id (the same order in every run)."""
    return _created(obj), str(obj.get(id_key, ""))


def is_race(found: Sequence[Mapping[str, object]], id_key: str) -> bool:
    """Whether several objects of ours were created within :data:`RACE_WINDOW` of each other: concurrent runs,
    whose losers are about to delete their own (rather than a real duplicate, which needs a person)."""
    ordered = sorted(found, key=lambda o: age_key(o, id_key))
    first = _created(ordered[0])
    return first is not _NEVER and all(_created(o) - first <= RACE_WINDOW for o in ordered[1:])


def settled(gw: CognitoGateway, look: Callable[[], list[_Obj]], id_key: str) -> list[_Obj]:
    """``look()`` again while it finds a race (see :func:`is_race`), up to ``gw.race_settle_s`` seconds: the
    runs that lost delete their objects within moments. Returns the last answer."""
    settle = gw.race_settle_s
    deadline = time.monotonic() + settle
    found = look()
    while len(found) > 1 and is_race(found, id_key) and time.monotonic() < deadline:
        gw.sleep(min(RACE_POLL_S, settle / 5))
        found = look()
    return found


def is_ours(pool: UserPoolTypeTypeDef) -> bool:
    """Whether a described pool carries ``managed-by=cognito-privx``."""
    return (pool.get("UserPoolTags") or {}).get(MANAGED_TAG_KEY) == MANAGED_TAG_VALUE


def is_adopted(pool: UserPoolTypeTypeDef) -> bool:
    """Whether the pool was taken over with ``setup --adopt`` (teardown never deletes it unasked)."""
    return (pool.get("UserPoolTags") or {}).get(ADOPTED_TAG_KEY) == ADOPTED_TAG_VALUE


def _pool_line(pool: UserPoolTypeTypeDef) -> str:
    when = _created(pool)
    created = when.strftime("%Y-%m-%d %H:%M:%S UTC") if when is not _NEVER else "unknown date"
    return f"{pool['Id']} (created {created}, {pool.get('EstimatedNumberOfUsers', 0)} user(s))"


def check_adoptable(pool: UserPoolTypeTypeDef) -> None:
    """Raise :class:`ConflictError` unless the pool's users sign in with their email, case-insensitively (the
    PrivX guide's pool; AWS can never change a pool's username model)."""
    from cognito_privx.usernames import username_model

    problem = username_model(pool).unsuitable_reason()
    if problem:
        raise ConflictError(
            f"pool {pool.get('Id')} cannot be adopted: {problem}",
            "AWS cannot change a pool's username model; let cognito-privx create a new pool "
            "(choose another [cognito] pool_name)",
        )


def find_our_pool(gw: CognitoGateway, spec: PoolSpec, *, adopt: bool = False) -> UserPoolTypeTypeDef | None:
    """Our pool, described; ``None`` when there is none.

    With ``spec.pool_id`` that pool (it must exist, carry the name and be ours, or ``adopt``). Otherwise the
    pool named ``spec.name`` that carries our tag. Raises :class:`AmbiguousResourceError` when several do and
    they are not a race (each listed with id, creation date and user count), :class:`ForeignResourceError` for
    a same-named pool that is not ours (unless ``adopt``), :class:`ConflictError` when an adopted pool's users
    do not sign in with their email case-insensitively.
    """
    name = spec.name
    if spec.pool_id:
        try:
            pinned = gw.describe_pool(spec.pool_id)
        except CognitoError as e:
            cause = e.__cause__
            if not (isinstance(cause, Exception) and _error_code(cause) == "ResourceNotFoundException"):
                raise
            raise ConfigError(
                f"[cognito] pool_id {spec.pool_id} does not exist in {spec.region}",
                "check pool_id / --pool-id and the region, or remove pool_id to find the pool by name",
            ) from None
        if pinned.get("Name") != name:
            raise ConfigError(
                f"[cognito] pool_id {spec.pool_id} is named {pinned.get('Name')!r}, not {name!r}",
                "set [cognito] pool_name to the pool's name, or fix pool_id",
            )
        if not is_ours(pinned):
            if not adopt:
                raise ForeignResourceError(
                    f"user pool {spec.pool_id} ({name!r}) was not created by cognito-privx",
                    "pass --adopt to tag that pool and manage it",
                )
            check_adoptable(pinned)
        return pinned
    matches: list[UserPoolTypeTypeDef] = []

    def look() -> list[UserPoolTypeTypeDef]:
        nonlocal matches
        matches = gw.pools_named(name)
        return [p for p in matches if is_ours(p)]

    ours = settled(gw, look, "Id")
    if len(ours) > 1:
        listing = "; ".join(_pool_line(p) for p in sorted(ours, key=age_key))
        raise AmbiguousResourceError(
            f"{len(ours)} user pools named {name!r} carry the tag {MANAGED_TAG_KEY}={MANAGED_TAG_VALUE}: {listing}",
            "set [cognito] pool_id (or pass --pool-id) to the one to manage; delete the others or remove their tag",
        )
    if ours:
        return ours[0]
    if not matches:
        return None
    if adopt and len(matches) == 1:
        check_adoptable(matches[0])
        return matches[0]
    listing = "; ".join(_pool_line(p) for p in sorted(matches, key=age_key))
    if adopt:
        raise AmbiguousResourceError(
            f"{len(matches)} user pools are named {name!r}: {listing}; cannot choose one to adopt",
            "set [cognito] pool_id (or pass --pool-id) to the one to adopt",
        )
    raise ForeignResourceError(
        f"a user pool named {name!r} exists ({listing}) but was not created by cognito-privx",
        "choose another [cognito] pool_name, or pass --adopt to tag that pool and manage it",
    )


def delete_pool(gw: CognitoGateway, pool: UserPoolTypeTypeDef) -> None:
    """Delete a pool (its domain must be gone), switching deletion protection off first when it is on."""
    if pool.get("DeletionProtection") == "ACTIVE":
        keys = gw.input_members("update_user_pool")
        gw.call("update_user_pool", **pool_update_params(pool, {"DeletionProtection": "INACTIVE"}, keys))
    gw.call("delete_user_pool", UserPoolId=pool["Id"])


def _settle_pool_race(
    gw: CognitoGateway, spec: PoolSpec, created: UserPoolTypeTypeDef
) -> tuple[UserPoolTypeTypeDef, str]:
    """Look again after creating a pool: when a concurrent run made one too, the older wins and ours (just
    made, still empty) is deleted. Returns the pool to carry on with and a note ("" when there was no race)."""
    ours = [p for p in gw.pools_named(spec.name) if is_ours(p)]
    if len(ours) < 2:
        return created, ""
    winner = min(ours, key=age_key)
    if winner["Id"] == created["Id"]:
        return created, ""
    delete_pool(gw, created)
    return (
        winner,
        f"a concurrent run created pool {winner['Id']} first; the one this run made ({created['Id']}) was deleted",
    )


@dataclass(frozen=True)
class PoolState:
    change: Change
    pool: UserPoolTypeTypeDef | None  # None only in a dry run that would create it

    @property
    def pool_id(self) -> UserPoolId | None:
        return UserPoolId(self.pool["Id"]) if self.pool else None


def ensure_pool(
    gw: CognitoGateway,
    spec: PoolSpec,
    attribute: AttributeSpec,
    *,
    dry_run: bool,
    adopt: bool = False,
    current: UserPoolTypeTypeDef | _Unset | None = UNSET,
) -> PoolState:
    """Create the pool (with the attribute in its schema) or converge an existing one. After a create, a pool
    made at the same time by a concurrent run is settled: the older wins (see :func:`_settle_pool_race`)."""
    name = spec.name
    if isinstance(current, _Unset):
        current = find_our_pool(gw, spec, adopt=adopt)
    if current is None:
        params = pool_create_params(spec, attribute)
        shown = {k: params[k] for k in ("UserPoolTier", "DeletionProtection", "UserPoolTags")}
        change = change_for("cognito user pool", name, None, {"UsernameAttributes": ["email"], **shown})
        if dry_run:
            return PoolState(change, None)
        created = gw.create_once("create_user_pool", "UserPool", lambda: _plain(find_our_pool(gw, spec)), **params)
        pool, note = _settle_pool_race(gw, spec, gw.describe_pool(created["Id"]))
        if note:
            change = Change(change.resource, change.name, Action.NOOP, notes=(note,))
        return PoolState(change, pool)

    desired = pool_managed_fields(spec, current, adopt=adopt)
    fields = diff_fields(current, desired)
    notes: tuple[str, ...] = ()
    if not is_ours(current):
        notes = (
            f"adopting pool {current['Id']}: it gets the tags {MANAGED_TAG_KEY}={MANAGED_TAG_VALUE} and "
            f"{ADOPTED_TAG_KEY}={ADOPTED_TAG_VALUE} (teardown keeps an adopted pool and its users)",
        )
    change = Change("cognito user pool", name, Action.UPDATE if fields else Action.NOOP, fields, notes)
    if not fields or dry_run:
        return PoolState(change, current)
    keys = gw.input_members("update_user_pool")
    gw.call("update_user_pool", **pool_update_params(current, {f.field: f.after for f in fields}, keys))
    after = gw.describe_pool(current["Id"])
    return PoolState(_with_unstuck(change, after, desired), after)


def _with_unstuck(change: Change, after: Mapping[str, object], desired: Mapping[str, object]) -> Change:
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


def ensure_attribute(gw: CognitoGateway, spec: AttributeSpec, pool: PoolState, *, dry_run: bool) -> Change:
    attr = spec.attribute_name
    wanted = {"AttributeDataType": "String", "Mutable": True}
    if pool.change.action is Action.CREATE:
        # CreateUserPool carries the attribute in its schema: no call of its own.
        return change_for("cognito custom attribute", attr, None, wanted, notes=("created with the pool",))
    assert pool.pool is not None
    if check_attribute(spec, pool.pool) is None:
        change = change_for("cognito custom attribute", attr, None, wanted)
        if not dry_run:
            pool_id = pool.pool["Id"]
            try:
                gw.create_once(
                    "add_custom_attributes",
                    None,
                    lambda: _plain(check_attribute(spec, gw.describe_pool(pool_id))),
                    UserPoolId=pool_id,
                    CustomAttributes=[spec.schema()],
                )
            except CognitoError:
                # A concurrent run may have added it a moment ago ("Existing attribute already has name").
                if check_attribute(spec, gw.describe_pool(pool_id)) is None:
                    raise
        return change
    return Change("cognito custom attribute", attr, Action.NOOP)


def check_attribute(spec: AttributeSpec, pool: UserPoolTypeTypeDef | None) -> SchemaAttributeTypeTypeDef | None:
    """The pool's group attribute, ``None`` if missing; raises when it exists with the wrong type or mutability."""
    attr = spec.attribute_name
    found: SchemaAttributeTypeTypeDef | None = next(
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
    client: UserPoolClientTypeTypeDef | None

    @property
    def client_id(self) -> ClientId | None:
        return ClientId(self.client["ClientId"]) if self.client else None


def find_client(gw: CognitoGateway, spec: ClientSpec, pool_id: str) -> UserPoolClientTypeTypeDef | None:
    """Our app client by name; raises when two share it (and are not a race), or when ours has no secret."""
    name = spec.name
    found = settled(gw, lambda: gw.clients_named(pool_id, name), "ClientId")
    if len(found) > 1:
        ids = ", ".join(c["ClientId"] for c in sorted(found, key=lambda c: age_key(c, "ClientId")))
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


def _settle_client_race(
    gw: CognitoGateway, spec: ClientSpec, pool_id: str, created: UserPoolClientTypeTypeDef
) -> tuple[UserPoolClientTypeTypeDef, str]:
    """Look again after creating the client: the older of two wins; ours (just made) is deleted."""
    found = gw.clients_named(pool_id, spec.name)
    if len(found) < 2:
        return created, ""
    winner = min(found, key=lambda c: age_key(c, "ClientId"))
    if winner["ClientId"] == created["ClientId"]:
        return created, ""
    delete_client(gw, pool_id, created["ClientId"])
    return winner, f"a concurrent run created client {winner['ClientId']} first; this run's was deleted"


def ensure_client(
    gw: CognitoGateway,
    spec: ClientSpec,
    pool_id: str | None,
    *,
    dry_run: bool,
    current: UserPoolClientTypeTypeDef | _Unset | None = UNSET,
) -> ClientState:
    name = spec.name
    desired = spec.desired()
    if isinstance(current, _Unset):
        current = find_client(gw, spec, pool_id) if pool_id else None
    if current is None:
        change = change_for("cognito app client", name, None, {"GenerateSecret": True, **desired})
        if dry_run or pool_id is None:
            return ClientState(change, None)
        created = gw.create_once(
            "create_user_pool_client",
            "UserPoolClient",
            lambda: _plain(find_client(gw, spec, pool_id)),
            **client_create_params(spec, pool_id),
        )
        client, note = _settle_client_race(gw, spec, pool_id, cast("UserPoolClientTypeTypeDef", created))
        if note:
            change = Change(change.resource, change.name, Action.NOOP, notes=(note,))
        return ClientState(change, client)
    fields = diff_fields(current, desired, superset_ok=CLIENT_SUPERSET_FIELDS)
    change = Change("cognito app client", name, Action.UPDATE if fields else Action.NOOP, fields)
    if not fields or dry_run:
        return ClientState(change, current)
    params = client_update_params(current, fields, gw.input_members("update_user_pool_client"))
    updated = gw.call("update_user_pool_client", **params)["UserPoolClient"]
    return ClientState(_with_unstuck(change, updated, {f.field: f.after for f in fields}), updated)


@dataclass(frozen=True)
class DomainObservation:
    """The prefix domain as observed: ``description`` of the configured prefix (empty when free) and the
    pool's current domain ``old`` when it is another prefix (setup replaces it)."""

    description: DomainDescriptionTypeTypeDef
    old: str | None = None


def observe_domain(
    gw: CognitoGateway, spec: DomainSpec | None, pool: UserPoolTypeTypeDef | None
) -> DomainObservation | None:
    """The prefix domain, ``None`` when no domain is managed (``domain_prefix`` empty).

    Raises :class:`ConflictError` when the prefix belongs to another pool: AWS refuses that (moto silently
    accepts it and even moves the domain), so this is checked before anything is written. A pool of ours with
    another prefix is not an error: setup deletes the old domain and creates the new one.
    """
    if spec is None:
        return None
    prefix = spec.prefix
    pool_id = pool["Id"] if pool else None
    existing = pool.get("Domain") if pool else None
    desc = gw.describe_domain(prefix)
    owner = desc.get("UserPoolId")
    if owner and owner != pool_id:
        label = _pool_label(gw, owner)
        where = "another user pool" if label != owner else "a user pool of another AWS account (or one you cannot read)"
        raise ConflictError(
            f"the domain prefix {prefix!r} is taken by {where}: {label}",
            "choose another [cognito] domain_prefix (prefixes are unique per region across all AWS accounts)",
        )
    return DomainObservation(desc, existing if existing and existing != prefix else None)


def domain_taken_error(prefix: str, e: CognitoError) -> ConflictError | None:
    """CreateUserPoolDomain's refusal of a prefix another AWS account holds (DescribeUserPoolDomain shows only
    domains of this account, so the observation found it free), said plainly; ``None`` for any other error."""
    if error_code(e) != "InvalidParameterException" or "already" not in e.message.lower():
        return None
    return ConflictError(
        f"the domain prefix {prefix!r} is taken by a user pool of another AWS account",
        "choose another [cognito] domain_prefix (prefixes are unique per region across all AWS accounts)",
    )


def ensure_domain(
    gw: CognitoGateway,
    spec: DomainSpec | None,
    pool: UserPoolTypeTypeDef | None,
    *,
    dry_run: bool,
    current: DomainObservation | _Unset | None = UNSET,
) -> list[Change]:
    """Our pool's hosted-UI prefix domain; nothing when ``domain_prefix`` is empty (not managed). A changed
    prefix is two changes: delete the old domain (Cognito allows one prefix domain per pool), create the new."""
    seen = observe_domain(gw, spec, pool) if isinstance(current, _Unset) else current
    if seen is None or spec is None:
        return []
    changes: list[Change] = []
    prefix, version = spec.prefix, spec.managed_login_version
    desired = {"ManagedLoginVersion": version}
    pool_id = pool["Id"] if pool else None
    if seen.old is not None and pool_id is not None:
        changes.append(Change("cognito domain", seen.old, Action.DELETE, notes=(f"replaced by {prefix!r}",)))
        if not dry_run:
            delete_domain(gw, seen.old, pool_id)
    owner = seen.description.get("UserPoolId")
    if owner:
        have = {"ManagedLoginVersion": seen.description.get("ManagedLoginVersion", version)}
        fields = diff_fields(have, desired)
        changes.append(Change("cognito domain", prefix, Action.UPDATE if fields else Action.NOOP, fields))
        if fields and not dry_run:
            gw.call("update_user_pool_domain", Domain=prefix, UserPoolId=owner, ManagedLoginVersion=version)
        return changes
    changes.append(change_for("cognito domain", prefix, None, desired))
    if not dry_run and pool_id is not None:

        def ours() -> dict[str, Any] | None:
            desc = gw.describe_domain(prefix)
            return _plain(desc) if desc.get("UserPoolId") == pool_id else None

        try:
            gw.create_once(
                "create_user_pool_domain", None, ours, Domain=prefix, UserPoolId=pool_id, ManagedLoginVersion=version
            )
        except CognitoError as e:
            if ours() is None:  # not a concurrent run of ours that made it a moment ago
                raise domain_taken_error(prefix, e) or e from e
    return changes


def _delete(gw: CognitoGateway, operation: str, **params: Any) -> None:
    """A delete where "already gone" is the result we wanted (a repeat after a lost answer, a concurrent run)."""
    try:
        gw.call(operation, **params)
    except CognitoError as e:
        if error_code(e) != "ResourceNotFoundException":
            raise


def delete_client(gw: CognitoGateway, pool_id: str, client_id: str) -> None:
    """Delete an app client; one already gone is fine."""
    _delete(gw, "delete_user_pool_client", UserPoolId=pool_id, ClientId=client_id)


def delete_group(gw: CognitoGateway, pool_id: str, name: str) -> None:
    """Delete a native group; one already gone is fine."""
    _delete(gw, "delete_group", UserPoolId=pool_id, GroupName=name)


def delete_domain(gw: CognitoGateway, prefix: str, pool_id: str) -> None:
    """Delete a pool's prefix domain; one already gone is fine."""
    try:
        gw.call("delete_user_pool_domain", Domain=prefix, UserPoolId=pool_id)
    except CognitoError:
        if gw.describe_domain(prefix).get("UserPoolId") == pool_id:
            raise


GROUP_DESCRIPTION = "PrivX role group, managed by cognito-privx"


def list_groups(gw: CognitoGateway, pool_id: str) -> dict[str, GroupTypeTypeDef]:
    return {g["GroupName"]: g for g in gw.groups(pool_id)}


def is_our_group(group: GroupTypeTypeDef) -> bool:
    """A native group cognito-privx created (our description)."""
    return group.get("Description") == GROUP_DESCRIPTION


def group_is_empty(gw: CognitoGateway, pool_id: str, name: str) -> bool:
    return not gw.call("list_users_in_group", UserPoolId=pool_id, GroupName=name, Limit=1).get("Users")


def ensure_groups(
    gw: CognitoGateway,
    groups: frozenset[str],
    pool_id: str | None,
    *,
    dry_run: bool,
    current: dict[str, GroupTypeTypeDef] | _Unset | None = UNSET,
) -> list[Change]:
    """Native Cognito groups for the ``[roles]`` keys (only with ``group_claim = "cognito:groups"``).

    Groups that exist are left as they are; a group we created that is no longer mapped is reported as unused
    (teardown removes it when empty); groups that are not ours are never touched.
    """
    if isinstance(current, _Unset):
        current = list_groups(gw, pool_id) if pool_id else None
    existing = current or {}
    changes = []
    for group in sorted(groups):
        if group in existing:
            changes.append(Change("cognito group", group, Action.NOOP))
            continue
        changes.append(change_for("cognito group", group, None, {"Description": GROUP_DESCRIPTION}))
        if not dry_run and pool_id is not None:
            try:
                gw.create_once(
                    "create_group",
                    None,
                    lambda g=group: _plain(list_groups(gw, pool_id).get(g)),  # type: ignore[misc]
                    GroupName=group,
                    UserPoolId=pool_id,
                    Description=GROUP_DESCRIPTION,
                )
            except CognitoError as e:
                if not (isinstance(e.__cause__, Exception) and _error_code(e.__cause__) == "GroupExistsException"):
                    raise  # GroupExists: a concurrent run made it a moment ago
    for name in sorted(set(existing) - groups):
        if is_our_group(existing[name]):
            changes.append(
                Change(
                    "cognito group",
                    name,
                    Action.NOOP,
                    notes=(
                        "unused: created by cognito-privx, no longer a [roles] key; teardown removes it when empty",
                    ),
                )
            )
    return changes


def _pool_label(gw: CognitoGateway, pool_id: str) -> str:
    """``id (name)`` when we may describe the pool, else the id alone (it may be another account's)."""
    try:
        return f"{pool_id} ({gw.describe_pool(pool_id).get('Name', '?')})"
    except CognitoError:
        return pool_id


# -- MFA (docs/cognito.md#mfa) -------------------------------------------------------------------------------

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


def mfa_set_params(
    pool_id: str, current: Mapping[str, Any] | None, spec: MfaSpec, keys: Iterable[str] = ()
) -> dict[str, Any]:
    """Full SetUserPoolMfaConfig parameters: what the pool has (SMS, passkeys) with our fields over it."""
    params: dict[str, Any] = {k: v for k, v in (current or {}).items() if k != "MfaConfiguration"}
    params["UserPoolId"] = pool_id
    params["MfaConfiguration"] = spec.configuration
    if spec.mode != "off":
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
    return _with_unstuck(change, mfa_view(gw.mfa_config(pool_id)), desired)


# -- managed-login branding (docs/cognito.md#the-app-client-privx-needs) -------------------------------------

BRANDING = "cognito managed-login branding"


def find_branding(gw: CognitoGateway, pool_id: str, client_id: str) -> dict[str, Any] | None:
    """The app client's managed-login branding style, ``None`` when it has none (only "not found" means absent)."""
    try:
        response = gw.call("describe_managed_login_branding_by_client", UserPoolId=pool_id, ClientId=client_id)
    except CognitoError as e:
        if error_code(e) == "ResourceNotFoundException":
            return None
        raise
    style: dict[str, Any] = response.get("ManagedLoginBranding") or {}
    return style or None


def ensure_branding(
    gw: CognitoGateway,
    client: str,
    pool_id: str | None,
    client_id: str | None,
    *,
    dry_run: bool,
    current: dict[str, Any] | _Unset | None = UNSET,
) -> Change:
    """Managed login shows no sign-in page for a client without a branding style: create one with Cognito's
    defaults (``UseCognitoProvidedValues``) when the client has none. A style that exists is kept as it is,
    whoever made or customised it."""
    if isinstance(current, _Unset):
        current = find_branding(gw, pool_id, client_id) if pool_id and client_id else None
    if current is not None:
        return Change(BRANDING, client, Action.NOOP)
    change = change_for(BRANDING, client, None, {"UseCognitoProvidedValues": True})
    if dry_run or pool_id is None or client_id is None:
        return change
    try:
        gw.create_once(
            "create_managed_login_branding",
            "ManagedLoginBranding",
            lambda: find_branding(gw, pool_id, client_id),
            UserPoolId=pool_id,
            ClientId=client_id,
            UseCognitoProvidedValues=True,
        )
    except CognitoError as e:
        # ManagedLoginBrandingExists: a concurrent run made it a moment ago.
        if error_code(e) != "ManagedLoginBrandingExistsException" or find_branding(gw, pool_id, client_id) is None:
            raise
        return Change(BRANDING, client, Action.NOOP, notes=("a concurrent run created it first",))
    return change


def delete_branding(gw: CognitoGateway, pool_id: str, branding_id: str) -> None:
    """Delete a branding style; one already gone is fine."""
    try:
        gw.call("delete_managed_login_branding", UserPoolId=pool_id, ManagedLoginBrandingId=branding_id)
    except CognitoError as e:
        if error_code(e) != "ResourceNotFoundException":
            raise


# -- client secrets (docs/cognito.md#client-secrets) ---------------------------------------------------------


@dataclass(frozen=True)
class ClientSecret:
    """One active secret of the app client, as ListUserPoolClientSecrets describes it (no value)."""

    id: str
    created: datetime | None


def list_secrets(gw: CognitoGateway, pool_id: str, client_id: str) -> list[ClientSecret]:
    """The app client's active secrets, oldest first (the first is what DescribeUserPoolClient answers)."""
    found: list[ClientSecret] = []
    params: dict[str, Any] = {"UserPoolId": pool_id, "ClientId": client_id}
    for _ in range(10):  # at most two secrets: botocore has no paginator for this listing
        page = gw.call("list_user_pool_client_secrets", **params)
        for d in page.get("ClientSecrets", []):
            created = d.get("ClientSecretCreateDate")
            found.append(ClientSecret(str(d["ClientSecretId"]), created if isinstance(created, datetime) else None))
        if not page.get("NextToken"):
            break
        params["NextToken"] = page["NextToken"]
    epoch = datetime.min.replace(tzinfo=UTC)
    return sorted(found, key=lambda s: (_aware(s.created) or epoch, s.id))


def _aware(stamp: datetime | None) -> datetime | None:
    return stamp.replace(tzinfo=UTC) if stamp is not None and stamp.tzinfo is None else stamp


def secret_age_days(secret: ClientSecret, now: datetime | None = None) -> int | None:
    created = _aware(secret.created)
    if created is None:
        return None
    return max(0, ((now or datetime.now(UTC)) - created).days)


def add_secret(gw: CognitoGateway, pool_id: str, client_id: str, value: str) -> str:
    """Add ``value`` as a second secret (Cognito does not echo a value it was given); its id."""
    response = gw.call("add_user_pool_client_secret", UserPoolId=pool_id, ClientId=client_id, ClientSecret=value)
    return str(response["ClientSecretDescriptor"]["ClientSecretId"])


def delete_secret(gw: CognitoGateway, pool_id: str, client_id: str, secret_id: str) -> None:
    """Delete one secret; one already gone is fine."""
    try:
        gw.call("delete_user_pool_client_secret", UserPoolId=pool_id, ClientId=client_id, ClientSecretId=secret_id)
    except CognitoError as e:
        if error_code(e) != "ResourceNotFoundException":
            raise
