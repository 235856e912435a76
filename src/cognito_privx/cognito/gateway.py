"""The typed gateway over one boto3 cognito-idp client: the one place that calls boto3, how its errors read
(credentials, access, throttling), and how its listings page (botocore's paginator model)."""

from __future__ import annotations

import dataclasses
import functools
import logging
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from urllib.parse import urlsplit

from cognito_privx import net, retry
from cognito_privx.cognito.races import RACE_SETTLE_S
from cognito_privx.errors import CognitoError, CognitoPrivxError, CredentialsError, aws_error_code

if TYPE_CHECKING:  # types-boto3-cognito-idp, a dev dependency: type checking only, never imported at run time
    from types_boto3_cognito_idp import CognitoIdentityProviderClient
    from types_boto3_cognito_idp.type_defs import (
        DescribeUserPoolClientResponseTypeDef,
        DescribeUserPoolDomainResponseTypeDef,
        DescribeUserPoolResponseTypeDef,
        DomainDescriptionTypeTypeDef,
        GroupTypeTypeDef,
        UserPoolClientDescriptionTypeDef,
        UserPoolClientTypeTypeDef,
        UserPoolDescriptionTypeTypeDef,
        UserPoolTypeTypeDef,
    )

# The logger keeps the name it had before the package split (``--debug`` prints it).
log = logging.getLogger("cognito_privx.cognito")

_T = TypeVar("_T")

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
# docs/reliability.md#calls-an-endpoint-lacks-or-iam-denies: what says "this endpoint does not have the call" (an
# older region or partition, an emulator: botocore's UnknownOperationException, the query protocol's InvalidAction,
# a 404, an answer botocore cannot parse, no endpoint at all; cognito-local's ``CognitoLocal#Unsupported``, which
# botocore reads as ``Unsupported``: its server.js) and what says "IAM denies it".
UNSUPPORTED_CODES = frozenset(
    {
        "UnknownOperationException",
        "Unsupported",
        "UnknownOperation",
        "InvalidAction",
        "404",
        "NotImplemented",
        "NotImplementedException",
    }
)
DENIED_CODES = frozenset({"AccessDeniedException", "AccessDenied", "UnauthorizedOperation"})


class UnsupportedCallError(CognitoError):
    """The endpoint does not know the call (its answer could not be parsed, or no endpoint for it exists);
    ``action`` is the call's API name (``DescribeUserPoolDomain``), when known."""

    def __init__(self, message: str, hint: str | None = None, *, action: str = "", endpoint: str = "") -> None:
        super().__init__(message, hint)
        self.action = action
        self.endpoint = endpoint or "this endpoint"


def why_unavailable(error: BaseException) -> str | None:
    """``"unsupported"`` when ``error`` says the endpoint lacks the call, ``"denied"`` when IAM refused it, else
    ``None`` (a real failure)."""
    code = aws_error_code(error)
    if isinstance(error, UnsupportedCallError) or code in UNSUPPORTED_CODES:
        return "unsupported"
    if code in DENIED_CODES:
        return "denied"
    return None


def unavailable_note(error: BaseException, action: str, what: str, where: str = "this endpoint") -> str | None:
    """The warning for a call that only adds information: what could not be checked and why, naming the IAM
    action; ``None`` when ``error`` is neither "unsupported" nor "denied"."""
    why = why_unavailable(error)
    if why == "unsupported":
        return f"{what} could not be checked: {where} does not support {action}"
    if why == "denied":
        return f"{what} could not be checked: IAM denies {action} (grant it to see this)"
    return None


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


def _credential_load_errors() -> tuple[type[Exception], ...]:
    """botocore's errors for credentials that exist but cannot be loaded (an expired SSO token, a failing
    credential_process, half a key pair)."""
    import botocore.exceptions as bx

    return (bx.SSOError, bx.TokenRetrievalError, bx.CredentialRetrievalError, bx.PartialCredentialsError)


def _credential_load_error(e: Exception, profile: str | None) -> CognitoPrivxError:
    """An SSO token that expired (or was never fetched) names the exact ``aws sso login`` line to run."""
    import botocore.exceptions as bx

    detail = str(e).rstrip(": ")
    if isinstance(e, (bx.SSOError, bx.TokenRetrievalError)) or "sso" in detail.lower():
        return CredentialsError(
            f"the AWS SSO session of profile {profile or 'default'!r} has expired or was never started: {detail}",
            f"run `aws sso login --profile {profile or 'default'}`, then run again",
        )
    return CognitoError(
        f"AWS credentials could not be loaded: {detail}", "check the profile's credential settings in ~/.aws/config"
    )


def no_credentials_error() -> CredentialsError:
    """No credentials anywhere in boto3's chain: the hint names the chain, IMDS and its container classic."""
    imds = (
        "skipped: AWS_EC2_METADATA_DISABLED is set"
        if os.environ.get("AWS_EC2_METADATA_DISABLED", "").lower() == "true"
        else "in a container on EC2, IMDSv2 answers only with the instance's HttpPutResponseHopLimit at 2 or more: "
        "`aws ec2 modify-instance-metadata-options --instance-id <id> --http-put-response-hop-limit 2 "
        "--http-tokens required`"
    )
    return CredentialsError(
        "no AWS credentials found",
        "boto3 looked, in order, at: the environment (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY), the profile "
        "(--profile / AWS_PROFILE: role_arn, web identity, SSO, ~/.aws/credentials, credential_process), the "
        f"container endpoint (ECS/EKS), and the EC2 instance metadata service ({imds}); run `aws sts "
        "get-caller-identity` to see what the AWS CLI finds",
    )


def controlling_terminal() -> bool:
    """Whether botocore can ask for an MFA code: ``getpass`` reads ``/dev/tty``, else a terminal on stdin."""
    try:
        fd = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    except OSError:
        return sys.stdin is not None and sys.stdin.isatty()
    os.close(fd)
    return True


def _mfa_prompter(profile: str | None, mfa_serial: str) -> Callable[[str], str]:
    """botocore's MFA prompt, refused up front when no terminal can answer it (CI): exit 2 with the way out,
    instead of a read from a closed or never-closing stdin."""
    import getpass

    def prompt(text: str) -> str:
        if controlling_terminal():
            return getpass.getpass(text)
        name = profile or "default"
        raise CredentialsError(
            f"AWS profile {name!r} assumes its role with an MFA code ({mfa_serial}), and there is no terminal to "
            "ask for it",
            f"run `aws sts get-caller-identity --profile {name}` in a terminal first (the AWS CLI asks for the code "
            "and caches the role's credentials in ~/.aws/cli/cache, which cognito-privx reads until they expire), "
            "run cognito-privx in a terminal, or give a role without mfa_serial",
        )

    return prompt


def _share_aws_cli_cache(botocore_session: Any, profile: str | None) -> None:
    """Use the AWS CLI's assume-role cache (``~/.aws/cli/cache``, as the AWS CLI does) and our MFA prompt.

    botocore keeps assumed-role credentials in memory only; the AWS CLI puts a file cache on the same provider
    (awscli ``customizations/assumerole.py``), so a role assumed with an MFA code in a terminal is reused here.
    """
    from botocore.utils import JSONFileCache

    try:
        provider = botocore_session.get_component("credential_provider").get_provider("assume-role")
    except Exception:  # noqa: BLE001 - a botocore without the provider: keep its defaults
        return
    provider.cache = JSONFileCache(os.path.expanduser(os.path.join("~", ".aws", "cli", "cache")))
    try:
        mfa_serial = botocore_session.get_scoped_config().get("mfa_serial")
    except Exception:  # noqa: BLE001 - an unreadable profile fails later with botocore's own message
        mfa_serial = None
    if mfa_serial and hasattr(provider, "_prompter"):
        provider._prompter = _mfa_prompter(profile, str(mfa_serial))  # botocore's prompt hook (getpass by default)


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
        self.profile: str | None = None  # the AWS profile connect() used (for the hints)
        # Tags a pool this gateway creates is born with, beside the spec's: the run lock (reconcile/lock.py); and
        # the ids of the pools it created with them (None: a creation whose answer has not come back).
        self.pool_birth_tags: dict[str, str] = {}
        self.pools_born: list[str | None] = []

    def with_observer(self, observer: Callable[[str], None]) -> CognitoGateway:
        gateway = CognitoGateway(self.client, observer, create_client=self.create_client, sleep=self._sleep)
        gateway.session = self.session
        gateway.profile = self.profile
        gateway.race_settle_s = self.race_settle_s
        gateway.pool_birth_tags = self.pool_birth_tags
        gateway.pools_born = self.pools_born
        return gateway

    def trust(self) -> net.Trust:
        """The CAs boto3 verifies AWS's TLS with (botocore's ``ca_bundle``: ``AWS_CA_BUNDLE``, else the profile's),
        then the ecosystem's settings (:func:`cognito_privx.net.aws_trust`): for the tool's own HTTPS to AWS."""
        core = getattr(self.session, "_session", None)
        bundle = core.get_config_variable("ca_bundle") if core is not None else None
        return net.aws_trust(bundle or None, self.profile)

    def account_id(self) -> str | None:
        """The AWS account of the credentials (STS GetCallerIdentity, which needs no IAM permission); ``None``
        when it cannot be asked (no session, or STS unreachable)."""
        account, _ = self.account()
        return account

    def account(self) -> tuple[str | None, str]:
        """(the account, ``""``), or (``None``, why not: STS not available at an endpoint, denied, unreachable).

        An endpoint without STS (an emulator behind ``AWS_ENDPOINT_URL``) answers with something botocore cannot
        parse (``ResponseParserError``, not a ``BotoCoreError``) or a 404: that is "not available", never a
        traceback.
        """
        import botocore.exceptions
        import botocore.parsers

        if self.session is None:
            return None, "no AWS session"
        if self._observer is not None:
            self._observer("get_caller_identity")  # counted with the AWS reads
        where = "this endpoint"
        try:
            sts = self.session.client("sts", region_name=self.client.meta.region_name)
            where = str(sts.meta.endpoint_url)
            return str(sts.get_caller_identity()["Account"]), ""
        except (
            botocore.exceptions.BotoCoreError,
            botocore.exceptions.ClientError,
            botocore.parsers.ResponseParserError,
            KeyError,
            TypeError,
        ) as e:
            log.debug("sts GetCallerIdentity failed: %s", e)
            code = aws_error_code(e)
            if code in DENIED_CODES:
                return None, "sts:GetCallerIdentity denied"
            if isinstance(e, botocore.exceptions.ClientError) and code not in UNSUPPORTED_CODES:
                return None, f"STS answered {code}"
            return None, f"STS not available at {where}"

    @classmethod
    def connect(cls, region: str, profile: str | None = None, *, max_attempts: int = 6) -> CognitoGateway:
        """A gateway over a new client. ``max_attempts=1`` turns botocore's retries off (the user commands
        retry throttling themselves, see ``users``)."""
        import boto3
        import botocore.config
        import botocore.exceptions

        if max_attempts > 1 and os.environ.get("AWS_MAX_ATTEMPTS", "").isdigit():
            max_attempts = max(1, int(os.environ["AWS_MAX_ATTEMPTS"]))  # the AWS CLI's own knob
        import botocore.session

        try:
            core = botocore.session.Session(profile=profile)
            core.get_scoped_config()  # ProfileNotFound now rather than at the first call
            session = boto3.session.Session(botocore_session=core, region_name=region)
        except botocore.exceptions.ProfileNotFound:
            name = profile or os.environ.get("AWS_PROFILE")
            raise CredentialsError(f"AWS profile {name!r} not found", "check --profile and ~/.aws/config") from None
        _share_aws_cli_cache(core, profile)
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
            raise _credential_load_error(e, profile or core.profile) from None
        if credentials is None:
            raise no_credentials_error()
        config = _fips_where_required(core, session, region, config)
        no_retries = config.merge(botocore.config.Config(retries={"mode": "standard", "total_max_attempts": 1}))
        gateway = cls(
            session.client("cognito-idp", config=config), create_client=session.client("cognito-idp", config=no_retries)
        )
        gateway.session = session
        gateway.profile = profile or core.profile
        return gateway

    # -- the one place that calls boto3 --------------------------------------------------------------------

    def _action(self, operation: str) -> str:
        """The API / IAM name of a boto3 method, e.g. ``list_user_pools`` → ``ListUserPools``."""
        mapping = getattr(getattr(self.client, "meta", None), "method_to_api_mapping", {}) or {}
        return str(mapping.get(operation, operation))

    def call(self, operation: str, **params: Any) -> dict[str, Any]:
        import botocore.exceptions
        import botocore.parsers

        if self._observer is not None:
            self._observer(operation)
        log.debug("cognito-idp %s", operation)
        client = self.create_client if operation in NON_IDEMPOTENT else self.client
        try:
            result: dict[str, Any] = getattr(client, operation)(**params)
        except botocore.exceptions.NoCredentialsError:
            raise no_credentials_error() from None
        except _credential_load_errors() as e:
            raise _credential_load_error(e, self.profile) from None
        except botocore.exceptions.ClientError as e:
            raise self._translate(operation, e) from e
        except botocore.parsers.ResponseParserError as e:
            action = self._action(operation)
            raise UnsupportedCallError(
                f"the endpoint answered {action} with something that is not a Cognito answer",
                f"an endpoint without {action} (an emulator, an older region?); check AWS_ENDPOINT_URL",
                action=action,
                endpoint=self.endpoint,
            ) from e
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

    @property
    def endpoint(self) -> str:
        """The Cognito endpoint the client calls (``AWS_ENDPOINT_URL`` when set), for messages."""
        return str(getattr(getattr(self.client, "meta", None), "endpoint_url", None) or "this endpoint")

    def _translate(self, operation: str, e: Exception) -> CognitoError:
        code = aws_error_code(e)
        message = str(getattr(e, "response", {}).get("Error", {}).get("Message", "")) or code
        mapping = getattr(getattr(self.client, "meta", None), "method_to_api_mapping", {}) or {}
        action = mapping.get(operation, operation)  # the API / IAM name, e.g. ListUserPools
        if code in UNSUPPORTED_CODES:  # why_unavailable(): "unsupported"; the code stays readable (__cause__)
            return UnsupportedCallError(
                f"{self.endpoint} does not support cognito-idp:{action} ({code}: {message})",
                f"an endpoint without {action} (an emulator such as cognito-local, an older region or partition); "
                "check AWS_ENDPOINT_URL and the region",
                action=str(action),
                endpoint=self.endpoint,
            )
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
                if aws_error_code(e) != "ResourceNotFoundException":
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


def _fips_where_required(core: Any, session: Any, region: str, config: Any) -> Any:
    """``use_fips_endpoint`` in a partition where Cognito answers only on FIPS endpoints (GovCloud: "Amazon
    Cognito in AWS GovCloud (US) uses FIPS endpoints only", the GovCloud User Guide), unless an endpoint was
    configured (``AWS_ENDPOINT_URL``, the profile's ``endpoint_url``) or FIPS was chosen either way
    (``AWS_USE_FIPS_ENDPOINT`` / ``use_fips_endpoint``)."""
    import botocore.config

    from cognito_privx.config.partitions import region_info

    if not region_info(region).partition.fips:
        return config
    if core.get_config_variable("use_fips_endpoint") is not None:
        return config
    probe = session.client("cognito-idp", config=config)
    host = urlsplit(str(probe.meta.endpoint_url)).hostname or ""
    if host != f"cognito-idp.{region}.{region_info(region).partition.dns_suffix}":
        return config  # an endpoint of the user's choosing
    return config.merge(botocore.config.Config(use_fips_endpoint=True))


def endpoint_override(gw: CognitoGateway) -> str | None:
    """boto3's endpoint when it is not AWS's own (a moto server, a proxy), else ``None``."""
    endpoint = getattr(getattr(gw.client, "meta", None), "endpoint_url", None)
    if not isinstance(endpoint, str):
        return None
    host = urlsplit(endpoint).hostname or ""
    return None if host.endswith(".amazonaws.com") else endpoint.rstrip("/")
