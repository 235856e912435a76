"""Configuration: the TOML file, the environment and the flags, validated before any call.

Precedence, highest first: command-line flag > config file > environment > default, for every key the file can
hold (as Terraform's provider block beats ``AWS_REGION``). The environment only fills in what the file leaves
out: ``AWS_REGION`` / ``AWS_DEFAULT_REGION`` fill ``[cognito] region``, ``PRIVX_API_BASE_URL`` fills
``[privx] url``. Flags: ``--region`` (``[cognito] region``) and ``--pool-id`` (``[cognito] pool_id``). Every
value in the file is validated, also one a flag overrides, and an error names where the bad value came from
(the file, the variable or the flag).

The config file is found at ``--config``, else ``$COGNITO_PRIVX_CONFIG``, else ``./cognito-privx.toml``; when
there is none, that is an error (exit 2): nothing is ever created from defaults alone. It holds no credentials:
AWS credentials come from boto3's own chain, PrivX credentials from ``PRIVX_*`` variables
(:class:`PrivXCredentials`).

The sandbox hands out ``AWS_REGION`` and ``PRIVX_API_BASE_URL``; a config file that leaves out ``region`` and
``url`` (``examples/sandbox.toml``) is pointed at the sandbox by a shell that sourced its env file.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import re
import string
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from cognito_privx.errors import ConfigError, CredentialsError

DEFAULT_CONFIG_FILE = "cognito-privx.toml"
CONFIG_ENV = "COGNITO_PRIVX_CONFIG"

MANAGED_TAG_KEY = "managed-by"
MANAGED_TAG_VALUE = "cognito-privx"

# The callback path PrivX registers for every OIDC directory (docs/privx-api.md#callback-url).
CALLBACK_PATH = "/auth/api/v1/oidc-cb"
# The direct-login URL (docs/privx-api.md#direct-login-url). PrivX publishes no "direct login" format; the one
# documented way to start a login against one OIDC directory is PrivX's own OAuth authorize endpoint with the
# directory's id: the auth API reference lists `oidc_id` among its query parameters, privx-sdk-go v1 carries it as
# authorizer.Params.OidcID, and privx-sdk-go v2 (oauth/authcode.go) calls this endpoint with client `privx-ui` and
# redirect `/privx/oauth-callback` and expects a 307. No `state`: RFC 6749 makes it RECOMMENDED, not required, and
# it protects a flow its client starts and checks; a URL printed once and bookmarked would carry the same value
# forever (no protection) and could clash with the state the PrivX web UI checks at its callback. `login-url
# --verify` and `doctor` request the URL and confirm it leads to Cognito. Override with [privx] login_url_template.
DEFAULT_LOGIN_URL_TEMPLATE = (
    "{base_url}/auth/api/v1/oauth/authorize?response_type=code&client_id=privx-ui"
    "&redirect_uri=%2Fprivx%2Foauth-callback&oidc_id={directory_id}"
)
# The role rule's search_string for one group (docs/privx-api.md#role-rules). No public source shows the form
# for an OIDC directory. Every public search_string is an LDAP-style filter over user attributes -- `(cn=alice)`
# (PrivX v16 docs; the Python SDK's role example), `(principal=...)` (the built-in privx-admin role) -- the docs
# call rules "LDAP filters" (v17), and v44 stores a token user's claims as user attributes, the tags claim's
# values as the user's `tags`. So the default is a filter over `tags`. Alternatives: the bare tag value
# `{group}`. `doctor` finds out on a real PrivX which form matches a user of the directory.
DEFAULT_RULE_TEMPLATE = "(tags={group})"
# The forms doctor tries against a real user of the directory, after the configured one.
RULE_TEMPLATE_CANDIDATES = (DEFAULT_RULE_TEMPLATE, "{group}", "(tag={group})")

# MFA methods we manage (docs/cognito.md#mfa): TOTP apps, and email where the tier and SES sending allow it.
MFA_METHODS = ("totp", "email")

# Scopes a Cognito app client can allow without a resource server. ``openid`` is always requested by PrivX.
COGNITO_SCOPES = frozenset({"email", "profile", "phone", "aws.cognito.signin.user.admin"})

_REGION_PATTERN = r"[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}"
_REGION_RE = re.compile(rf"^{_REGION_PATTERN}$")
# A user pool id is ``<region>_<letters and digits>``, at most 55 characters (AWS: ``[\w-]+_[0-9a-zA-Z]+``).
_POOL_ID_RE = re.compile(rf"^(?P<region>{_REGION_PATTERN})_[0-9A-Za-z]+$")
_POOL_ID_MAX = 55
# The error type of a pool id outside the configured region (load_config names where the region came from).
_POOL_ID_REGION_ERROR = "pool_id_region"
# IAM role ARNs only (import jobs: the role Cognito assumes to write CloudWatch Logs).
ROLE_ARN_RE = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
# AWS: PoolName and ClientName are 1..128 of [\w\s+=,.@-]+.
_AWS_NAME_RE = re.compile(r"^[\w\s+=,.@-]{1,128}$")
# Cognito prefix domains (docs/cognito.md#domains).
_DOMAIN_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_DOMAIN_RESERVED = ("aws", "amazon", "cognito")
# Custom attribute names: AWS allows 1..20 printable characters; we keep to a portable subset (no ':' so
# that ``custom:group`` is caught: it would become ``custom:custom:group``).
_ATTRIBUTE_RE = re.compile(r"^[A-Za-z0-9_.-]{1,20}$")
# A group value must be carried by a Cognito string attribute, a Cognito group name and a PrivX tag.
# No comma and no space: "dev,ops" or "dev ops" is two groups typed as one, never one group's name.
_GROUP_RE = re.compile(r"^[\w.@+=-]{1,128}$")
_TAG_KEY_RE = re.compile(r"^[\w\s.:/=+@-]{1,128}$")

LOOPBACK_HOSTS = frozenset({"localhost"})


def is_loopback_host(host: str) -> bool:
    if host in LOOPBACK_HOSTS or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def validate_group_name(group: str) -> str:
    if any(c == "," or c.isspace() for c in group):
        raise ValueError(
            f"group {group!r} is not a valid group name: it holds a comma or a space (one group per value; several "
            'groups need group_claim = "cognito:groups" and -g once per group)'
        )
    if not _GROUP_RE.match(group):
        raise ValueError(f"group {group!r} is not a valid group name: use 1-128 letters, digits and _ . @ + = -")
    return group


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class PasswordPolicyConfig(_Section):
    """``[cognito.password_policy]``: the pool's password policy (AWS: length 6-99; temporary passwords 0-365 days)."""

    minimum_length: int = Field(default=12, ge=6, le=99)
    require_uppercase: bool = True
    require_lowercase: bool = True
    require_numbers: bool = True
    require_symbols: bool = True
    temporary_password_validity_days: int = Field(default=7, ge=1, le=365)


class CognitoConfig(_Section):
    region: str | None = None
    # Pins the user pool when names are ambiguous. Declared after ``region``: its check reads the region.
    pool_id: str | None = None
    pool_name: str = "privx"
    group_attribute: str = "group"
    app_client_name: str = "privx"
    domain_prefix: str = ""
    hosted_ui: Literal["classic", "managed"] = "classic"
    # None: LITE when the pool is created, and afterwards left as it is (raised in the console, or adopted).
    tier: Literal["LITE", "ESSENTIALS", "PLUS"] | None = None
    deletion_protection: bool = True
    tags: dict[str, str] = Field(default_factory=dict)
    # Where the group travels in the ID token: the custom attribute (default) or Cognito's native groups.
    group_claim: Literal["custom", "cognito:groups"] = "custom"
    # The pool's MFA (SetUserPoolMfaConfig). Unset: not managed, the pool keeps what it has (doctor still warns
    # when it is off). docs/cognito.md#mfa
    mfa: Literal["off", "optional", "required"] | None = None
    mfa_methods: tuple[str, ...] = ("totp",)
    # doctor warns when the app-client secret PrivX holds is older than this (rotate-secret renews it).
    max_secret_age_days: int | None = Field(default=None, ge=1, le=3650)
    # Unset: not managed (the pool keeps its policy).
    password_policy: PasswordPolicyConfig | None = None
    # The app client's token lifetimes (AWS: ID and access 5 minutes to 1 day, refresh 1 hour to 10 years); all
    # three or none. Unset: not managed.
    id_token_validity_minutes: int | None = Field(default=None, ge=5, le=1440)
    access_token_validity_minutes: int | None = Field(default=None, ge=5, le=1440)
    refresh_token_validity_days: int | None = Field(default=None, ge=1, le=3650)
    # import-users --engine job: the IAM role Cognito assumes to write an import job's CloudWatch Logs, and what the
    # logs' "Line Number N" counts from (undocumented: "auto" finds out). docs/cognito.md#user-import-jobs
    import_logs_role_arn: str | None = None
    import_log_line_numbers: Literal["auto", "data", "file"] = "auto"

    @model_validator(mode="after")
    def _token_lifetimes(self) -> CognitoConfig:
        given = (self.id_token_validity_minutes, self.access_token_validity_minutes, self.refresh_token_validity_days)
        if any(v is not None for v in given) and any(v is None for v in given):
            raise ValueError(
                "set all three of id_token_validity_minutes, access_token_validity_minutes and "
                "refresh_token_validity_days, or none"
            )
        return self

    @field_validator("mfa_methods")
    @classmethod
    def _mfa_methods(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for method in v:
            if method == "sms":
                raise ValueError(
                    "'sms' is not supported: SMS MFA needs an SNS role and a sandboxed SNS account; use 'totp'"
                )
            if method not in MFA_METHODS:
                raise ValueError(f"{method!r} is not an MFA method; choose from {', '.join(MFA_METHODS)}")
        if len(set(v)) != len(v):
            raise ValueError("an MFA method is listed twice")
        return v

    @model_validator(mode="after")
    def _mfa_consistent(self) -> CognitoConfig:
        if self.mfa in ("optional", "required") and not self.mfa_methods:
            raise ValueError(f'mfa = "{self.mfa}" needs at least one of mfa_methods (like ["totp"])')
        if "email" in self.mfa_methods and self.mfa in ("optional", "required") and self.tier in (None, "LITE"):
            raise ValueError(
                f"email MFA needs the ESSENTIALS or PLUS tier (tier is {self.tier or 'not set: LITE'}); "
                'use mfa_methods = ["totp"] or set tier'
            )
        return self

    @field_validator("import_logs_role_arn")
    @classmethod
    def _role_arn(cls, v: str | None) -> str | None:
        if v is not None and not ROLE_ARN_RE.match(v):
            raise ValueError(f"{v!r} is not an IAM role ARN (like arn:aws:iam::123456789012:role/CognitoImportLogs)")
        return v

    @field_validator("region")
    @classmethod
    def _region(cls, v: str | None) -> str | None:
        if v is not None and not _REGION_RE.match(v):
            raise ValueError(f"{v!r} is not an AWS region name (like eu-west-1)")
        return v

    @field_validator("pool_id")
    @classmethod
    def _pool_id(cls, v: str | None, info: ValidationInfo) -> str | None:
        if v is None:
            return None
        match = _POOL_ID_RE.match(v)
        if match is None or len(v) > _POOL_ID_MAX:
            raise ValueError(f"{v!r} is not a Cognito user pool id (like eu-west-1_AbC123xyz)")
        region = info.data.get("region")  # absent when the region itself was invalid: that error comes first
        if region is not None and match["region"] != region:
            raise PydanticCustomError(
                _POOL_ID_REGION_ERROR,
                "the pool {pool_id} is in {pool_region}, but the configured region is {region}",
                {"pool_id": v, "pool_region": match["region"], "region": region},
            )
        return v

    @field_validator("pool_name", "app_client_name")
    @classmethod
    def _aws_name(cls, v: str) -> str:
        if not _AWS_NAME_RE.match(v):
            raise ValueError(f"{v!r} must be 1-128 letters, digits, spaces or + = , . @ - _")
        return v

    @field_validator("group_attribute")
    @classmethod
    def _attribute(cls, v: str) -> str:
        if v.startswith("custom:"):
            raise ValueError(f"give the bare name {v.removeprefix('custom:')!r}, not {v!r}")
        if not _ATTRIBUTE_RE.match(v):
            raise ValueError(f"{v!r} must be 1-20 letters, digits or _ . -")
        return v

    @field_validator("domain_prefix")
    @classmethod
    def _domain(cls, v: str) -> str:
        if v == "":
            return v
        if not _DOMAIN_RE.match(v):
            raise ValueError(
                f"{v!r} must be 1-63 lower-case letters, digits or hyphens, not starting or ending with '-'"
            )
        for word in _DOMAIN_RESERVED:
            if word in v:
                raise ValueError(f"{v!r} contains the reserved word {word!r}, which Cognito refuses")
        return v

    @field_validator("tags")
    @classmethod
    def _tags(cls, v: dict[str, str]) -> dict[str, str]:
        for key, value in v.items():
            if not _TAG_KEY_RE.match(key) or key.lower().startswith("aws:"):
                raise ValueError(f"tag key {key!r} is invalid (1-128 characters, not starting with 'aws:')")
            if key == MANAGED_TAG_KEY:
                raise ValueError(f"tag {MANAGED_TAG_KEY!r} is set by cognito-privx itself")
            if len(value) > 256:
                raise ValueError(f"tag {key!r}: the value is longer than 256 characters")
        return v

    @property
    def attribute_name(self) -> str:
        """The attribute as it appears on users and in tokens: ``custom:<group_attribute>``."""
        return f"custom:{self.group_attribute}"

    @property
    def native_groups(self) -> bool:
        return self.group_claim == "cognito:groups"

    @property
    def tags_claim(self) -> str:
        """The ID-token claim PrivX reads the user's tags (groups) from."""
        return "cognito:groups" if self.native_groups else self.attribute_name

    @property
    def pool_tags(self) -> dict[str, str]:
        return {**self.tags, MANAGED_TAG_KEY: MANAGED_TAG_VALUE}

    @property
    def managed_login_version(self) -> int:
        return 2 if self.hosted_ui == "managed" else 1


class PrivXConfig(_Section):
    url: str | None = None
    directory_name: str = Field(default="Cognito", min_length=1, max_length=128)
    button_title: str = Field(default="Cognito", min_length=1, max_length=128)
    additional_scopes: tuple[str, ...] = ("email", "profile")
    login_url_template: str = DEFAULT_LOGIN_URL_TEMPLATE
    rule_template: str = Field(default=DEFAULT_RULE_TEMPLATE, min_length=7, max_length=256)
    timeout: float = Field(default=30.0, gt=0, le=600)
    retries: int = Field(default=4, ge=1, le=10)  # attempts per PrivX request (connection errors, 429, 5xx)
    # PrivX target-account attribute -> ID-token claim, e.g. {unix_account = "email"}: keyed by target, so one
    # claim can feed both targets, as PrivX's OIDC guide does (docs/privx-api.md#account-mapping).
    account_mapping: dict[str, str] = Field(default_factory=dict)

    @field_validator("account_mapping")
    @classmethod
    def _account_mapping(cls, v: dict[str, str]) -> dict[str, str]:
        targets = ("unix_account", "windows_account")
        for target, claim in v.items():
            if target not in targets and claim in targets:
                # The claim-keyed form of earlier versions.
                flipped = ", ".join(f'{c} = "{t}"' for t, c in v.items())
                raise ValueError(
                    f"the mapping is keyed by the target account now: write account_mapping = {{ {flipped} }}"
                )
            if target not in targets:
                raise ValueError(f"{target!r} is not a target account; use unix_account or windows_account")
            if not re.match(r"^[A-Za-z0-9_:.-]{1,64}$", claim):
                raise ValueError(f"{claim!r} is not a claim name (like email or custom:unix_user)")
        return v

    @field_validator("rule_template")
    @classmethod
    def _rule_template(cls, v: str) -> str:
        try:
            fields = {name for _, name, _, _ in string.Formatter().parse(v) if name is not None}
        except ValueError:
            raise ValueError(f"{v!r} is not a template: use {{group}} for the group, and no other braces") from None
        if fields != {"group"}:
            raise ValueError(f"{v!r} must contain {{group}} and no other placeholder, like (tags={{group}})")
        if v.count("(") != v.count(")"):
            raise ValueError(f"{v!r} has unbalanced parentheses")
        return v

    @field_validator("url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        if v is None:
            return None
        url = validate_privx_url(v)
        validate_callback_url(url + CALLBACK_PATH)
        return url

    @field_validator("additional_scopes")
    @classmethod
    def _scopes(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for scope in v:
            if scope == "openid":
                raise ValueError("'openid' is always requested; list only the scopes besides it")
            if scope not in COGNITO_SCOPES:
                raise ValueError(
                    f"scope {scope!r} is not one Cognito supports; choose from {', '.join(sorted(COGNITO_SCOPES))}"
                )
        if len(set(v)) != len(v):
            raise ValueError("a scope is listed twice")
        return v

    @field_validator("login_url_template")
    @classmethod
    def _template(cls, v: str) -> str:
        fields = {name for _, name, _, _ in string.Formatter().parse(v) if name is not None}
        unknown = fields - {"base_url", "directory_id"}
        if unknown:
            raise ValueError(f"unknown placeholder(s) {sorted(unknown)}; use {{base_url}} and {{directory_id}}")
        if "directory_id" not in fields:
            raise ValueError("the template must contain {directory_id}")
        return v


class RoleSpec(_Section):
    role: str = Field(min_length=1, max_length=128)
    permissions: tuple[str, ...] = ()
    comment: str = ""


class AppConfig(_Section):
    cognito: CognitoConfig = Field(default_factory=CognitoConfig)
    privx: PrivXConfig = Field(default_factory=PrivXConfig)
    # ``ops = "ops-admins"`` is short for ``[roles.ops] role = "ops-admins"``.
    roles: dict[str, RoleSpec] = Field(default_factory=dict)
    # Set by load_config only (so ``AppConfig.model_validate`` keeps working without it); read config_file.
    _config_file: Path | None = PrivateAttr(default=None)

    @property
    def config_file(self) -> Path | None:
        """The file this configuration was read from (as found: ``--config``, the variable, or the default)."""
        return self._config_file

    @field_validator("roles", mode="before")
    @classmethod
    def _role_shorthand(cls, v: Any) -> Any:
        if not isinstance(v, dict):
            return v
        out: dict[str, Any] = {}
        for group, value in v.items():
            validate_group_name(str(group))
            if isinstance(value, str):
                value = {"role": value}
            elif not isinstance(value, dict):
                raise ValueError(f"{group}: give a PrivX role name, or a table with role = ...")
            out[group] = value
        return out

    @property
    def role_map(self) -> dict[str, RoleSpec]:
        return dict(self.roles)

    @property
    def region(self) -> str:
        if self.cognito.region is None:
            raise ConfigError(
                "no AWS region is configured",
                "set [cognito] region in the config file, AWS_REGION, or pass --region",
            )
        return self.cognito.region

    @property
    def privx_url(self) -> str:
        if self.privx.url is None:
            raise ConfigError(
                "no PrivX URL is configured",
                "set [privx] url in the config file or PRIVX_API_BASE_URL",
            )
        return self.privx.url

    @property
    def callback_url(self) -> str:
        return self.privx_url + CALLBACK_PATH

    def issuer(self, pool_id: str) -> str:
        return f"https://cognito-idp.{self.region}.amazonaws.com/{pool_id}"


def validate_privx_url(v: str) -> str:
    parts = urlsplit(v.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError(f"{v!r} is not an http(s) URL like https://privx.example.com")
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise ValueError(f"{v!r} uses plain http; only https is allowed (http only for localhost)")
    if parts.query or parts.fragment:
        raise ValueError(f"{v!r} must not carry a query or fragment")
    if parts.path.strip("/"):
        # The web UI lives under /privx/; the API and the OIDC callback under the host's root.
        raise ValueError(f"{v!r} has a path; give PrivX's base URL, like {parts.scheme}://{parts.netloc}")
    if parts.username is not None or parts.password is not None:
        raise ValueError(f"{v!r} carries a user name or password; give PrivX's base URL without them")
    return normalise_url(v)


_DEFAULT_PORTS = {"https": 443, "http": 80}


def normalise_url(v: str) -> str:
    """The URL as Cognito compares callbacks and PrivX builds them: lower-case scheme and host, no default port,
    no trailing slash. ``https://PrivX.Example.com:443/`` → ``https://privx.example.com``."""
    parts = urlsplit(v.strip())
    scheme = parts.scheme.lower()
    host = parts.hostname or ""  # urlsplit lower-cases it
    if ":" in host:
        host = f"[{host}]"  # an IPv6 address
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"{v!r} has an invalid port") from None
    netloc = host if port is None or port == _DEFAULT_PORTS.get(scheme) else f"{host}:{port}"
    return f"{scheme}://{netloc}{parts.path.rstrip('/')}"


def validate_callback_url(url: str) -> str:
    """AWS accepts callback URLs with https, or http for ``localhost`` only (moto accepts anything)."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        return url
    if parts.scheme == "http" and parts.hostname == "localhost":
        return url
    raise ValueError(
        f"the callback URL {url} would be refused by Cognito, which accepts https, "
        "or http only with the host name 'localhost' (use http://localhost:PORT instead of an IP address)"
    )


class PrivXCredentials(BaseSettings):
    """PrivX API credentials, from the environment only (never the config file)."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True, populate_by_name=False)

    api_client_id: str | None = Field(
        default=None, validation_alias=AliasChoices("PRIVX_API_CLIENT_ID", "PRIVX_CLIENT_ID")
    )
    api_client_secret: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("PRIVX_API_CLIENT_SECRET", "PRIVX_CLIENT_SECRET")
    )
    oauth_client_id: str = Field(
        default="privx-external",
        validation_alias=AliasChoices("PRIVX_API_OAUTH_CLIENT_ID", "PRIVX_OAUTH_CLIENT_ID"),
    )
    oauth_client_secret: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("PRIVX_API_OAUTH_CLIENT_SECRET", "PRIVX_OAUTH_CLIENT_SECRET"),
    )
    bearer_token: SecretStr | None = Field(default=None, validation_alias="PRIVX_API_BEARER_TOKEN")
    ca_cert: str | None = Field(default=None, validation_alias="PRIVX_CA_CERT")

    def check(self) -> None:
        """Raise :class:`CredentialsError` unless a complete credential set is present."""
        if self.bearer_token is not None and self.bearer_token.get_secret_value():
            return
        names = {
            "PRIVX_API_CLIENT_ID": self.api_client_id,
            "PRIVX_API_CLIENT_SECRET": self.api_client_secret,
            "PRIVX_API_OAUTH_CLIENT_SECRET": self.oauth_client_secret,
        }
        missing = [n for n, v in names.items() if not v]
        if len(missing) == len(names):
            raise CredentialsError(
                "no PrivX API credentials are set",
                "export PRIVX_API_CLIENT_ID, PRIVX_API_CLIENT_SECRET and PRIVX_API_OAUTH_CLIENT_SECRET "
                "(from PrivX: Administration → Deployment → Integrate with PrivX using API clients), "
                "or PRIVX_API_BEARER_TOKEN",
            )
        if missing:
            raise CredentialsError(
                f"PrivX credentials are half-set: {', '.join(missing)} missing",
                "set all of PRIVX_API_CLIENT_ID, PRIVX_API_CLIENT_SECRET and PRIVX_API_OAUTH_CLIENT_SECRET",
            )

    def ca_pem(self) -> str | None:
        """The PrivX CA as PEM text, read from ``PRIVX_CA_CERT`` (PEM text itself, or a path)."""
        if not self.ca_cert:
            return None
        if "-----BEGIN" in self.ca_cert:
            return self.ca_cert
        path = Path(self.ca_cert).expanduser()
        try:
            text = path.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as e:
            raise CredentialsError(
                f"PRIVX_CA_CERT: cannot read {path}: {getattr(e, 'strerror', None) or e}",
                "set PRIVX_CA_CERT to a readable PEM file or to the PEM text itself",
            ) from None
        if "-----BEGIN CERTIFICATE-----" not in text:
            raise CredentialsError(
                f"PRIVX_CA_CERT: {path} holds no PEM certificate",
                "export the CA from PrivX's API-clients page as PEM",
            )
        return text


def find_config_file(explicit: Path | None, env: Mapping[str, str]) -> tuple[Path | None, bool]:
    """The config path and whether the user named it (a named file must exist); ``None`` when there is none."""
    if explicit is not None:
        return explicit, True
    if env.get(CONFIG_ENV):
        return Path(env[CONFIG_ENV]), True
    default = Path(DEFAULT_CONFIG_FILE)
    return (default, False) if default.exists() else (None, False)


def read_toml(path: Path, named_by: str = "--config") -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            f"config file {path} does not exist (named by {named_by})",
            f"fix {named_by}, or write a starter file with `cognito-privx init --config {path}`",
        ) from None
    except OSError as e:
        raise ConfigError(f"cannot read config file {path}: {e.strerror}", "check the path and permissions") from None
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not UTF-8 text", "save the config file as UTF-8") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: invalid TOML: {e}", "fix the syntax at the line shown") from None


def _describe_validation_error(e: ValidationError, source: str) -> ConfigError:
    err = e.errors()[0]
    loc = ".".join(str(p) for p in err["loc"])
    where = f"[{loc.rsplit('.', 1)[0]}] {loc.rsplit('.', 1)[-1]}" if "." in loc else loc
    where = where or "config"
    if err["type"] == "model_type":
        return ConfigError(
            f"{source}: {where} must be a table ([{where}])", "run `cognito-privx init` for a commented starter file"
        )
    if err["type"] == "extra_forbidden":
        return ConfigError(
            f"{source}: unknown key {where}",
            "check the spelling; the valid keys are in README.md (Configuration) and in the file `cognito-privx init` "
            "writes",
        )
    msg = str(err["msg"]).removeprefix("Value error, ")
    return ConfigError(f"{source}: {where}: {msg}", "fix the value; README.md (Configuration) lists each key")


def _region_from_env(env: Mapping[str, str]) -> tuple[str | None, str]:
    """``AWS_REGION``, else ``AWS_DEFAULT_REGION`` (an empty value counts as unset), and the variable's name."""
    name = "AWS_REGION" if env.get("AWS_REGION") else "AWS_DEFAULT_REGION"
    return env.get(name) or None, name


def _validate(layered: dict[str, Any], origins: Mapping[tuple[str, ...], str], source: str) -> AppConfig:
    """Validate one layering; an error names the origin of the bad value (a variable, a flag, else the file)."""
    try:
        return AppConfig.model_validate(layered)
    except ValidationError as e:
        first = e.errors()[0]
        loc = tuple(str(p) for p in first["loc"])
        err = _describe_validation_error(e, origins.get(loc, source))
        region_origin = origins.get(("cognito", "region"), source)
        if first["type"] == _POOL_ID_REGION_ERROR and region_origin != origins.get(loc, source):
            # The pool id and the region disagree and came from different places: name both.
            err = ConfigError(f"{err.message} (the region from {region_origin})", err.hint)
        raise err from None


def load_config(
    path: Path | None = None,
    *,
    env: Mapping[str, str] | None = None,
    region: str | None = None,
    pool_id: str | None = None,
) -> AppConfig:
    """Read, layer and validate the configuration. Raises :class:`ConfigError` (exit 2).

    Flag (``region``, ``pool_id``) > config file > environment > default. The file and the environment are
    validated first on their own, so a bad value in the file is reported even when a flag overrides it.
    """
    env = os.environ if env is None else env
    file, named = find_config_file(path, env)
    if file is None:
        raise ConfigError(
            f"no config file found (looked for --config, ${CONFIG_ENV}, ./{DEFAULT_CONFIG_FILE})",
            f"run `cognito-privx init` to write a commented ./{DEFAULT_CONFIG_FILE}, or pass --config FILE",
        )
    data = read_toml(file, "--config" if path is not None else CONFIG_ENV if named else str(file))
    source = str(file)

    layered: dict[str, Any] = {k: dict(v) if isinstance(v, dict) else v for k, v in data.items()}
    origins: dict[tuple[str, ...], str] = {}

    def put(section: str, key: str, value: str | None, origin: str, *, fill_only: bool) -> None:
        if not value:
            return
        sect = layered.setdefault(section, {})
        if not isinstance(sect, dict):
            return  # the model reports the wrong type of the section itself
        if fill_only and key in sect:
            return  # the file has it: the environment only fills in what the file leaves out
        sect[key] = value
        origins[(section, key)] = origin

    # The environment fills gaps the file leaves, unless a flag fills them anyway (an overridden
    # variable is not used, so it is not judged either).
    env_region, env_region_name = _region_from_env(env)
    if not region:
        put("cognito", "region", env_region, env_region_name, fill_only=True)
    put("privx", "url", env.get("PRIVX_API_BASE_URL"), "PRIVX_API_BASE_URL", fill_only=True)
    cfg = _validate(layered, origins, source)

    if region or pool_id:
        put("cognito", "region", region, "--region", fill_only=False)
        put("cognito", "pool_id", pool_id, "--pool-id", fill_only=False)
        cfg = _validate(layered, origins, source)
    cfg._config_file = file
    return cfg


class _MappingCredentials(PrivXCredentials):
    """Credentials from an explicit mapping only (``os.environ`` is not consulted)."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def load_credentials(env: Mapping[str, str] | None = None) -> PrivXCredentials:
    """PrivX credentials from the process environment, or from ``env`` alone when given."""
    if env is None:
        return PrivXCredentials()
    values: dict[str, Any] = {k: v for k, v in env.items() if k.startswith("PRIVX_")}
    return _MappingCredentials(**values)


# -- init: a commented starter file -------------------------------------------------------------------------------


def starter_toml(
    *, region: str | None, privx_url: str | None, pool_name: str = "privx", domain_prefix: str = ""
) -> str:
    """The text of a commented starter ``cognito-privx.toml``; a value not given is left commented out (the
    environment fills it in: ``AWS_REGION``, ``PRIVX_API_BASE_URL``)."""

    def line(key: str, value: str | None, example: str) -> str:
        return f"{key} = {json.dumps(value)}" if value else f"# {key} = {json.dumps(example)}"

    if privx_url:
        with contextlib.suppress(ValueError):  # else written as given: write_starter's validation says what is wrong
            privx_url = normalise_url(privx_url)

    return f"""\
# cognito-privx configuration, written by `cognito-privx init`. Every key is described in README.md
# (Configuration). Credentials never go here: AWS comes from boto3's chain (--profile, AWS_PROFILE, SSO),
# PrivX from PRIVX_API_CLIENT_ID, PRIVX_API_CLIENT_SECRET and PRIVX_API_OAUTH_CLIENT_SECRET.

[cognito]
# The AWS region of the user pool (--region beats it; AWS_REGION fills it in when it is left out).
{line("region", region, "eu-west-1")}
# The user pool: found by this name and the tag managed-by=cognito-privx, created by `cognito-privx setup`.
pool_name = {json.dumps(pool_name)}
# The hosted-UI domain https://<prefix>.auth.<region>.amazoncognito.com: lower-case letters, digits and hyphens,
# unique per region across all AWS accounts. Empty: no domain is managed.
domain_prefix = {json.dumps(domain_prefix)}
# Where a user's group travels: "custom" (the attribute custom:group, one group per user) or "cognito:groups"
# (Cognito's native groups, several per user).
# group_claim = "custom"
# import-users --engine job (Cognito's import jobs, for big files): the IAM role Cognito writes the job's
# CloudWatch Logs with (it trusts cognito-idp.amazonaws.com; docs/cognito.md#user-import-jobs).
# import_logs_role_arn = "arn:aws:iam::123456789012:role/CognitoImportLogs"

[privx]
# PrivX's base URL, without a path (PRIVX_API_BASE_URL fills it in when it is left out).
{line("url", privx_url, "https://privx.example.com")}
# directory_name = "Cognito"

[roles]
# Cognito group = PrivX role: a user of the group gets the role. Then: `cognito-privx plan`, `cognito-privx setup`.
# ops = "ops-admins"
# dev = "developers"
"""


def write_starter(path: Path, text: str) -> None:
    """Write a starter file at ``path`` after validating it; never over an existing file (:class:`ConfigError`)."""
    try:
        AppConfig.model_validate(tomllib.loads(text))
    except ValidationError as e:
        bad = _describe_validation_error(e, "init")
        raise ConfigError(
            bad.message, "fix the value given (--region, --privx-url, --pool-name, --domain-prefix)"
        ) from None
    try:
        with path.open("x", encoding="utf-8") as fh:
            fh.write(text)
    except FileExistsError:
        raise ConfigError(
            f"{path} exists already; nothing was written",
            "edit it, or write another file with `cognito-privx --config NEW.toml init`",
        ) from None
    except OSError as e:
        raise ConfigError(f"cannot write {path}: {e.strerror}", "check the path and permissions") from None
