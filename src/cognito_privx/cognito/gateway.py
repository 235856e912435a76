"""The typed gateway over one boto3 cognito-idp client: the one place that calls boto3, how its errors read
(credentials, access, throttling), and how its listings page (botocore's paginator model)."""

from __future__ import annotations

import dataclasses
import functools
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from urllib.parse import urlsplit

from cognito_privx import retry
from cognito_privx.cognito import session as session_setup
from cognito_privx.cognito.availability import (
    UNSUPPORTED_CODES,
    UnsupportedCallError,
)
from cognito_privx.cognito.races import RACE_SETTLE_S
from cognito_privx.errors import CognitoError, aws_error_code

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

    from cognito_privx import net

# The logger keeps the name it had before the package split (``--debug`` prints it).
log = logging.getLogger("cognito_privx.cognito")

_T = TypeVar("_T")


def _network_docs() -> str:
    """:data:`cognito_privx.net.DOCS`, imported when an error names it: ``net`` brings httpx, which a Cognito call
    never needs (issue 24: time to the first create)."""
    from cognito_privx import net

    return net.DOCS


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
        self._create_client = create_client
        self._opened: session_setup.OpenedClients | None = None  # connect()'s: its lazily made clients
        self._observer = observer
        self._sleep = sleep
        self.sleep = sleep
        # How long to wait for a concurrent run to delete its losing pool or client (seconds).
        self.race_settle_s = race_settle_s
        self.session: Any = None  # the AwsSession (cognito/session.py), when connect() made the client
        self.profile: str | None = None  # the AWS profile connect() used (for the hints)
        # Tags a pool this gateway creates is born with, beside the spec's: the run lock (reconcile/lock.py); and
        # the ids of the pools it created with them (None: a creation whose answer has not come back).
        self.pool_birth_tags: dict[str, str] = {}
        self.pools_born: list[str | None] = []

    @property
    def create_client(self) -> CognitoIdentityProviderClient:
        """The client for the calls botocore must not repeat (:data:`NON_IDEMPOTENT`): the one given, else
        connect()'s (made on first use: :class:`cognito_privx.cognito.session.OpenedClients`), else ``client``."""
        if self._create_client is not None:
            return self._create_client
        if self._opened is not None:
            return cast("CognitoIdentityProviderClient", self._opened.create_client)
        return self.client

    def share_clients(self, other: CognitoGateway) -> None:
        """Use ``other``'s session, profile and clients (those not made yet too)."""
        self._create_client = other._create_client
        self._opened = other._opened
        self.session = other.session
        self.profile = other.profile

    def with_observer(self, observer: Callable[[str], None]) -> CognitoGateway:
        gateway = CognitoGateway(self.client, observer, sleep=self._sleep)
        gateway.share_clients(self)
        gateway.race_settle_s = self.race_settle_s
        gateway.pool_birth_tags = self.pool_birth_tags
        gateway.pools_born = self.pools_born
        return gateway

    def trust(self) -> net.Trust:
        """The CAs boto3 verifies AWS's TLS with (botocore's ``ca_bundle``: ``AWS_CA_BUNDLE``, else the profile's),
        then the ecosystem's settings (:func:`cognito_privx.net.aws_trust`): for the tool's own HTTPS to AWS."""
        from cognito_privx import net  # httpx and all: imported when the tool makes its own HTTPS call (issue 24)

        core = self._core()
        bundle = core.get_config_variable("ca_bundle") if core is not None else None
        return net.aws_trust(bundle or None, self.profile)

    def _boto_ca(self) -> str:
        """Which CA boto3 verified with: its ``ca_bundle`` setting, else its default bundle."""
        core = self._core()
        bundle = core.get_config_variable("ca_bundle") if core is not None else None
        return self.trust().describe() if bundle else "botocore's default bundle"

    def account_id(self) -> str | None:
        """The AWS account of the credentials (STS GetCallerIdentity, which needs no IAM permission); ``None``
        when it cannot be asked (no session, or STS unreachable)."""
        account, _ = self.account()
        return account

    def account(self) -> tuple[str | None, str]:
        """(the account, ``""``), or (``None``, why not): :func:`cognito_privx.cognito.session.caller_account`."""
        if self.session is None:
            return None, "no AWS session"
        if self._observer is not None:
            self._observer("get_caller_identity")  # counted with the AWS reads
        region = self.client.meta.region_name
        opened = self._opened if self._opened is not None and self._opened.session is self.session else None
        return session_setup.caller_account(self.session, region, kept=opened)

    @classmethod
    def connect(cls, region: str, profile: str | None = None, *, max_attempts: int = 6) -> CognitoGateway:
        """A gateway over a new client (:func:`cognito_privx.cognito.session.open_clients`). ``max_attempts=1``
        turns botocore's retries off (the user commands retry throttling themselves, see ``users``)."""
        opened = session_setup.open_clients(region, profile, max_attempts=max_attempts)
        gateway = cls(opened.client)
        gateway._opened = opened
        gateway.session = opened.session
        gateway.profile = opened.profile
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
            raise session_setup.no_credentials_error() from None
        except session_setup.credential_load_errors() as e:
            raise session_setup.credential_load_error(e, self.profile) from None
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
        except botocore.exceptions.SSLError as e:
            # The handshake failed: nothing was sent. boto3 trusts only botocore's ca_bundle (docs/network.md).
            raise CognitoError(
                f"TLS verification of Cognito's endpoint failed during {operation}: {e} (CA: {self._boto_ca()})",
                "behind a TLS-inspecting proxy, set AWS_CA_BUNDLE (or the profile's ca_bundle) to its CA bundle, as "
                f"for the AWS CLI; boto3 reads neither SSL_CERT_FILE nor REQUESTS_CA_BUNDLE (see {_network_docs()})",
            ) from e
        except botocore.exceptions.ProxyConnectionError as e:
            # The proxy did not answer: nothing reached Cognito (botocore redacts the proxy's credentials).
            raise CognitoError(
                f"cannot reach Cognito for {operation} through the proxy: {e}",
                f"check HTTPS_PROXY / https_proxy (and NO_PROXY) as for the AWS CLI; see {_network_docs()}",
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
            self._paginator_model().get_paginator(api),
            self.client.meta.service_model.operation_model(api),
        )
        try:
            yield from paginator.paginate(**params)
        except botocore.exceptions.PaginationError as e:  # the same next token twice: the listing would never end
            raise CognitoError(f"Cognito {api} paged in a circle: {e}", "run again; it is safe to re-run") from e

    def _paginator_model(self) -> Any:
        """The paging rules, through connect()'s botocore session where there is one (its data loader, which the
        client and the region check read through too: no second session and loader made, issue 24)."""
        core = self._core()
        return core.get_paginator_model("cognito-idp") if core is not None else _paginator_model()

    def _core(self) -> Any:
        """connect()'s botocore session (``AwsSession.core``), or ``None`` for a gateway over a client handed in."""
        return getattr(self.session, "core", None)

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

    def pools_named(
        self, name: str, listed: list[UserPoolDescriptionTypeTypeDef] | None = None
    ) -> list[UserPoolTypeTypeDef]:
        """Every pool with this name, described (tags live only in the description). ``listed``: the pools as
        this run already listed them (:meth:`user_pools`), instead of listing again."""
        ids = [p["Id"] for p in (self.user_pools() if listed is None else listed) if p["Name"] == name]
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


def endpoint_override(gw: CognitoGateway) -> str | None:
    """boto3's endpoint when it is not AWS's own (a moto server, a proxy), else ``None``."""
    endpoint = getattr(getattr(gw.client, "meta", None), "endpoint_url", None)
    if not isinstance(endpoint, str):
        return None
    from cognito_privx.config.partitions import partitions

    host = urlsplit(endpoint).hostname or ""
    ours = host.endswith(tuple(f".{p.dns_suffix}" for p in partitions()))  # every AWS partition's own endpoints
    return None if ours else endpoint.rstrip("/")
