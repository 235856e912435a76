"""An AWS session from boto3's credential chain, for the gateway: credentials that cannot be loaded (an expired
SSO token names its ``aws sso login`` line), none at all (the chain and IMDS named), an MFA prompt with no terminal
to answer it (exit 2 with the way out), the AWS CLI's assume-role cache shared, and FIPS endpoints where Cognito
has only those (GovCloud)."""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from cognito_privx.errors import CognitoError, CognitoPrivxError, CredentialsError

log = logging.getLogger("cognito_privx.cognito")


def credential_load_errors() -> tuple[type[Exception], ...]:
    """botocore's errors for credentials that exist but cannot be loaded (an expired SSO token, a failing
    credential_process, half a key pair)."""
    import botocore.exceptions as bx

    return (bx.SSOError, bx.TokenRetrievalError, bx.CredentialRetrievalError, bx.PartialCredentialsError)


def credential_load_error(e: Exception, profile: str | None) -> CognitoPrivxError:
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
        "the AWS SDK (botocore) looked, in order, at: the environment (AWS_ACCESS_KEY_ID / "
        "AWS_SECRET_ACCESS_KEY), the profile (--profile / AWS_PROFILE: role_arn, web identity, SSO, "
        "~/.aws/credentials, credential_process), the "
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


def share_aws_cli_cache(botocore_session: Any, profile: str | None) -> None:
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


def fips_where_required(core: Any, session: Any, region: str, config: Any) -> Any:
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


class AwsSession:
    """An AWS session: botocore's own (``core``: the profile, the credential chain, the data loader) with a default
    region, making clients as boto3's ``Session.client`` does (a pass-through to ``core.create_client``) without
    importing boto3: the tool uses none of boto3's resources or S3 transfers, and boto3's import (s3transfer,
    multiprocessing among them) was ~30 ms of CPU before ``import-users``' first create (issue 24). Thread-safety
    is botocore's: make clients on one thread at a time (:class:`OpenedClients` holds a lock); the clients are
    thread-safe."""

    def __init__(self, core: Any, region: str) -> None:
        self.core = core
        core.set_config_variable("region", region)  # as boto3's Session(region_name=...) does
        self.region_name = region

    def client(self, service_name: str, region_name: str | None = None, config: Any = None) -> Any:
        """A botocore client for ``service_name`` (``region_name``: the session's region when ``None``)."""
        return self.core.create_client(service_name, region_name=region_name, config=config)

    def get_credentials(self) -> Any:
        """The credentials of botocore's chain, or ``None`` (botocore's errors for ones it cannot load)."""
        return self.core.get_credentials()


class OpenedClients:
    """What :func:`open_clients` made: the :class:`AwsSession`, the cognito-idp client (botocore retries on), the one
    for creating calls (retries off: ``create_once`` repeats them itself) and the STS client, and the profile used.

    The creating client and the STS client are made on first use (most commands never create, and building a
    botocore client is most of a short command's CPU); where ``client``'s retries are off already
    (``total_max_attempts`` 1) the two configurations are the same, and ``client`` serves creating calls too.
    The creating client is made under a lock (botocore's sessions are not thread-safe; its clients are: import-users'
    workers share them). The STS client is kept without one: its only caller, :func:`caller_account`, runs on the
    main thread (two threads asking at once would each make one, and either serves)."""

    def __init__(self, session: Any, client: Any, profile: str | None, *, create_config: Any = None) -> None:
        self.session = session
        self.client = client
        self.profile = profile
        self._create_config = create_config  # None: ``client`` serves creating calls
        self._made: dict[str, Any] = {}
        self.sts: Any = None  # the STS client: :func:`caller_account` makes it on the first ask
        self._lock = threading.Lock()

    @property
    def create_client(self) -> Any:
        """The cognito-idp client without botocore retries (``client`` itself when its retries are off)."""
        if self._create_config is None:
            return self.client
        return self._once("cognito-idp", lambda: self.session.client("cognito-idp", config=self._create_config))

    def _once(self, name: str, make: Callable[[], Any]) -> Any:
        with self._lock:
            if name not in self._made:
                self._made[name] = make()
            return self._made[name]


def open_clients(region: str, profile: str | None, *, max_attempts: int = 6) -> OpenedClients:
    """An :class:`AwsSession` for ``profile`` (boto3's chain when ``None``: botocore's) and its cognito-idp clients
    in ``region``.
    ``AWS_MAX_ATTEMPTS`` (the AWS CLI's knob) replaces ``max_attempts`` when that is above 1. Raises
    :class:`CredentialsError` (profile not found, no credentials, an expired SSO session, an MFA prompt with no
    terminal) and :class:`CognitoError` (credentials that cannot be loaded)."""
    import botocore.config
    import botocore.exceptions
    import botocore.session

    if max_attempts > 1 and os.environ.get("AWS_MAX_ATTEMPTS", "").isdigit():
        max_attempts = max(1, int(os.environ["AWS_MAX_ATTEMPTS"]))
    from cognito_privx.config.partitions import data_loader, data_path

    try:
        core = botocore.session.Session(profile=profile)
        core.get_scoped_config()  # ProfileNotFound now rather than at the first call
        if core.get_config_variable("data_path") == data_path():  # the data the region check read
            core.register_component("data_loader", data_loader())
        session = AwsSession(core, region)
    except botocore.exceptions.ProfileNotFound:
        name = profile or os.environ.get("AWS_PROFILE")
        raise CredentialsError(f"AWS profile {name!r} not found", "check --profile and ~/.aws/config") from None
    share_aws_cli_cache(core, profile or core.profile)  # AWS_PROFILE when no --profile: the one to name
    config = botocore.config.Config(
        retries={"mode": "standard", "total_max_attempts": max_attempts},
        connect_timeout=10,
        read_timeout=30,
        max_pool_connections=512,  # import-users --workers' largest: one kept-alive connection per row in flight
        user_agent_extra="cognito-privx",
    )
    try:
        credentials = session.get_credentials()
    except credential_load_errors() as e:
        raise credential_load_error(e, profile or core.profile) from None
    if credentials is None:
        raise no_credentials_error()
    config = fips_where_required(core, session, region, config)
    no_retries = config.merge(botocore.config.Config(retries={"mode": "standard", "total_max_attempts": 1}))
    return OpenedClients(
        session,
        session.client("cognito-idp", config=config),
        profile or core.profile,
        create_config=no_retries if max_attempts > 1 else None,
    )


def caller_account(session: Any, region: str, *, kept: OpenedClients | None = None) -> tuple[str | None, str]:
    """(the account, ``""``), or (``None``, why not: STS not available at an endpoint, denied, unreachable), from
    STS GetCallerIdentity (which needs no IAM permission).

    An endpoint without STS (an emulator behind ``AWS_ENDPOINT_URL``) answers with something botocore cannot parse
    (``ResponseParserError``, not a ``BotoCoreError``) or a 404: that is "not available", never a traceback.
    ``kept``: the session's clients, where the STS client is kept for the next ask (one a session and region);
    without it, a new STS client each time.
    """
    import botocore.exceptions
    import botocore.parsers

    from cognito_privx.cognito.availability import DENIED_CODES, UNSUPPORTED_CODES
    from cognito_privx.errors import aws_error_code

    where = "this endpoint"
    try:
        if kept is not None and kept.sts is not None and kept.sts.meta.region_name == region:
            sts = kept.sts
        else:
            sts = session.client("sts", region_name=region)
            if kept is not None:
                kept.sts = sts  # two threads asking at once may each make one: either serves
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
        if isinstance(e, credential_load_errors()):  # an expired SSO token: the Cognito call names the way out
            return None, "the AWS credentials could not be loaded"
        code = aws_error_code(e)
        if code in DENIED_CODES:
            return None, "sts:GetCallerIdentity denied"
        if isinstance(e, botocore.exceptions.ClientError) and code not in UNSUPPORTED_CODES:
            return None, f"STS answered {code}"
        return None, f"STS not available at {where}"


__all__ = [
    "AwsSession",
    "OpenedClients",
    "caller_account",
    "controlling_terminal",
    "credential_load_error",
    "credential_load_errors",
    "fips_where_required",
    "no_credentials_error",
    "open_clients",
    "share_aws_cli_cache",
]
