"""The config file's sections as pydantic models, each key with its default and its check: ``[cognito]``
(:class:`CognitoConfig`, with ``[cognito.password_policy]``), ``[privx]`` (:class:`PrivXConfig`), ``[roles]``
(:class:`RoleSpec`), and the whole file (:class:`AppConfig`). Unknown keys are an error."""

from __future__ import annotations

import re
import string
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from cognito_privx.config.constants import (
    CALLBACK_PATH,
    COGNITO_SCOPES,
    DEFAULT_LOGIN_URL_TEMPLATE,
    DEFAULT_RULE_TEMPLATE,
    MANAGED_TAG_KEY,
    MANAGED_TAG_VALUE,
    MFA_METHODS,
)
from cognito_privx.config.partitions import UnknownRegionError, check_region, region_hint
from cognito_privx.config.validate import (
    ATTRIBUTE_RE,
    AWS_NAME_RE,
    DOMAIN_RE,
    DOMAIN_RESERVED,
    GROUP_NAMES_DOC,
    POOL_ID_MAX,
    POOL_ID_RE,
    POOL_ID_REGION_ERROR,
    ROLE_ARN_RE,
    TAG_KEY_RE,
    GroupNameError,
    control_characters,
    group_collisions,
    validate_callback_url,
    validate_group_name,
    validate_privx_url,
    wide_part,
)
from cognito_privx.errors import ConfigError


def _is_region(region: str) -> bool:
    try:
        check_region(region)
    except UnknownRegionError:
        return False
    return True


def _error(kind: str, message: str, hint: str) -> PydanticCustomError:
    """A validation error with its own hint (``describe_validation_error`` shows it instead of the generic one)."""
    return PydanticCustomError(kind, "{message}", {"message": message, "hint": hint})


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
    # None: AWS's default (ESSENTIALS, botocore's model) when the pool is created, and afterwards the pool's own
    # tier, never changed (raised in the console, or adopted). Settings a tier gates are checked against the tier
    # the pool will have, before any change (here when the tier is set, else once the pool is read).
    tier: Literal["LITE", "ESSENTIALS", "PLUS"] | None = None
    deletion_protection: bool = True
    tags: dict[str, str] = Field(default_factory=dict)
    # Where the group travels in the ID token: the custom attribute (default) or Cognito's native groups.
    group_claim: Literal["custom", "cognito:groups"] = "custom"
    # Self sign-up (AllowAdminCreateUserOnly). Unset: pools cognito-privx creates are admin-only and kept so; an
    # adopted pool is left as it is (setup --adopt refuses one with self sign-up while the group is an attribute).
    # true: setup turns self sign-up off on any pool. docs/security.md#who-may-change-a-group
    admin_only_sign_up: bool | None = None
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
    # Refresh-token rotation on the app client (RefreshTokenRotation; AWS then requires ALLOW_REFRESH_TOKEN_AUTH off)
    # and how long a rotated-out refresh token still works (RetryGracePeriodSeconds, AWS: 0-60; unset: 60).
    # Whether PrivX keeps the new refresh token is unknown. docs/cognito.md#refresh-token-rotation
    refresh_token_rotation: bool = False
    refresh_token_grace_period_seconds: int | None = Field(default=None, ge=0, le=60)
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

    @model_validator(mode="after")
    def _rotation(self) -> CognitoConfig:
        if self.refresh_token_grace_period_seconds is not None and not self.refresh_token_rotation:
            raise ValueError(
                "refresh_token_grace_period_seconds applies only with refresh_token_rotation = true; set that too "
                "or remove the grace period"
            )
        return self

    @model_validator(mode="after")
    def _sign_up(self) -> CognitoConfig:
        if self.admin_only_sign_up is False and self.group_claim == "custom":
            raise ValueError(
                "admin_only_sign_up = false lets anyone sign up and choose their own group while the group is the "
                "attribute custom:" + self.group_attribute + '; use group_claim = "cognito:groups" (only '
                "administrators change native groups) or leave admin_only_sign_up unset"
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
        if "email" in self.mfa_methods and self.mfa in ("optional", "required") and self.tier == "LITE":
            raise ValueError(
                'email MFA needs the ESSENTIALS or PLUS tier (tier is LITE); use mfa_methods = ["totp"] or set tier'
            )
        return self

    @model_validator(mode="after")
    def _managed_login_tier(self) -> CognitoConfig:
        # botocore's model, CreateUserPoolDomain.ManagedLoginVersion: managed login "requires ... any feature plan
        # other than Lite" (else FeatureUnavailableInTierException at the domain step, after pool and client).
        if self.hosted_ui == "managed" and self.tier == "LITE":
            raise ValueError(
                'managed login needs the ESSENTIALS or PLUS tier (tier is LITE); set tier = "ESSENTIALS" or '
                'hosted_ui = "classic"'
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
        if v is not None and not _is_region(v):  # botocore's endpoint data (config/partitions.py)
            raise PydanticCustomError(
                "region",
                "'{region}' is not an AWS region name (like eu-west-1)",
                {"region": v, "hint": region_hint()},
            )
        return v

    @field_validator("pool_id")
    @classmethod
    def _pool_id(cls, v: str | None, info: ValidationInfo) -> str | None:
        if v is None:
            return None
        match = POOL_ID_RE.match(v)
        if match is None or len(v) > POOL_ID_MAX or not _is_region(match["region"]):
            raise ValueError(f"{v!r} is not a Cognito user pool id (like eu-west-1_AbC123xyz)")
        region = info.data.get("region")  # absent when the region itself was invalid: that error comes first
        if region is not None and match["region"] != region:
            raise PydanticCustomError(
                POOL_ID_REGION_ERROR,
                "the pool {pool_id} is in {pool_region}, but the configured region is {region}",
                {"pool_id": v, "pool_region": match["region"], "region": region},
            )
        return v

    @field_validator("pool_name", "app_client_name")
    @classmethod
    def _aws_name(cls, v: str) -> str:
        if not AWS_NAME_RE.match(v):
            raise ValueError(f"{v!r} must be 1-128 letters, digits, spaces or + = , . @ - _")
        return v

    @field_validator("group_attribute")
    @classmethod
    def _attribute(cls, v: str) -> str:
        if v.startswith("custom:"):
            raise ValueError(f"give the bare name {v.removeprefix('custom:')!r}, not {v!r}")
        if not ATTRIBUTE_RE.match(v):
            raise ValueError(f"{v!r} must be 1-20 letters, digits or _ . -")
        return v

    @field_validator("domain_prefix")
    @classmethod
    def _domain(cls, v: str) -> str:
        if v == "":
            return v
        if not DOMAIN_RE.match(v):
            raise ValueError(
                f"{v!r} must be 1-63 lower-case letters, digits or hyphens, not starting or ending with '-'"
            )
        for word in DOMAIN_RESERVED:
            if word in v:
                raise ValueError(f"{v!r} contains the reserved word {word!r}, which Cognito refuses")
        return v

    @field_validator("tags")
    @classmethod
    def _tags(cls, v: dict[str, str]) -> dict[str, str]:
        for key, value in v.items():
            if not TAG_KEY_RE.match(key) or key.lower().startswith("aws:"):
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
    # The URL browsers reach PrivX at, when it is not the API's (a load balancer in front): the callback and the
    # direct-login URL are built from it. None: the API URL. Declared before url: url's check reads it (only the
    # URL the callback is built from is held to Cognito's callback rules).
    public_url: str | None = None
    url: str | None = None
    directory_name: str = Field(default="Cognito", min_length=1, max_length=128)
    button_title: str = Field(default="Cognito", min_length=1, max_length=128)
    additional_scopes: tuple[str, ...] = ("email", "profile")
    login_url_template: str = DEFAULT_LOGIN_URL_TEMPLATE
    # A rule_template that matches more than the group's users (a wildcard, |, &, !, ... outside {group}) is
    # refused unless this says the widening is meant; plan then counts the users each grant matches beyond its group.
    # Declared before rule_template: its check reads this.
    allow_wide_rule_template: bool = False
    rule_template: str = Field(default=DEFAULT_RULE_TEMPLATE, min_length=7, max_length=256)
    timeout: float = Field(default=30.0, gt=0, le=600)
    retries: int = Field(default=4, ge=1, le=10)  # attempts per PrivX request (connection errors, 429, 5xx)
    # PrivX target-account attribute -> ID-token claim, e.g. {unix_account = "email"}. Either direction is accepted
    # ({email = "unix_account"} too: PrivX's auth API documents oidc_attribute_mapping as "attribute:token
    # mappings", its UI as Source=Target pairs, docs/privx-api.md#account-mapping); the targets are the known two,
    # so each pair's direction is plain. Held keyed by target: one claim can feed both targets.
    account_mapping: dict[str, str] = Field(default_factory=dict)

    @field_validator("account_mapping")
    @classmethod
    def _account_mapping(cls, v: dict[str, str]) -> dict[str, str]:
        targets = ("unix_account", "windows_account")
        keyed: dict[str, str] = {}
        for key, value in v.items():
            if key in targets and value in targets:
                raise ValueError(f"{key} = {value!r} maps a target to a target; name the ID-token claim")
            if key in targets:
                target, claim = key, value
            elif value in targets:
                target, claim = value, key  # the claim-keyed (source = target) form
            else:
                raise ValueError(
                    f"{key} = {value!r} names no target account; one side must be unix_account or windows_account"
                )
            if not re.match(r"^[A-Za-z0-9_:.-]{1,64}$", claim):
                raise ValueError(f"{claim!r} is not a claim name (like email or custom:unix_user)")
            if target in keyed and keyed[target] != claim:
                raise ValueError(f"{target} is mapped twice ({keyed[target]!r} and {claim!r}); keep one")
            keyed[target] = claim
        return dict(sorted(keyed.items()))

    @field_validator("rule_template")
    @classmethod
    def _rule_template(cls, v: str, info: ValidationInfo) -> str:
        try:
            fields = {name for _, name, _, _ in string.Formatter().parse(v) if name is not None}
        except ValueError:
            raise ValueError(f"{v!r} is not a template: use {{group}} for the group, and no other braces") from None
        if fields != {"group"}:
            raise ValueError(f"{v!r} must contain {{group}} and no other placeholder, like (tags={{group}})")
        if v.count("(") != v.count(")"):
            raise ValueError(f"{v!r} has unbalanced parentheses")
        part = wide_part(v)
        if part is not None and not info.data.get("allow_wide_rule_template"):
            raise _error(
                "wide_rule_template",
                f"{v!r} widens every grant: its {part!r} outside {{group}} lets a rule match users who are not in "
                "the group",
                'use a template that names only the group, like "(tags={group})"; if the widening is meant, also set '
                "[privx] allow_wide_rule_template = true (plan then counts the users each grant matches beyond its "
                "group)",
            )
        return v

    @field_validator("url", "public_url")
    @classmethod
    def _url(cls, v: str | None, info: ValidationInfo) -> str | None:
        if v is None:
            return None
        url = validate_privx_url(v)
        if info.field_name == "public_url" or info.data.get("public_url") is None:
            validate_callback_url(url + CALLBACK_PATH)  # the URL the callback is built from
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

    @field_validator("role", "comment")
    @classmethod
    def _printable(cls, v: str, info: ValidationInfo) -> str:
        bad = control_characters(v)
        if bad:
            raise ValueError(
                f"the {info.field_name} {v!r} holds control character(s) {', '.join(bad)}; PrivX shows it to people, "
                "where such characters can make it read as something else"
            )
        return v


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

    def set_config_file(self, file: Path) -> None:
        """Remember the file this configuration was read from (:func:`~cognito_privx.config.loading.load_config`
        only)."""
        self._config_file = file

    @field_validator("roles", mode="before")
    @classmethod
    def _role_shorthand(cls, v: Any) -> Any:
        if not isinstance(v, dict):
            return v
        # One group, one spelling: PrivX's matcher folds case and Unicode, so two keys that fold alike would be one
        # group granted two roles. Checked before the names, so that the error names both spellings.
        for first, second in group_collisions(str(g) for g in v):
            raise _error(
                "group_collision",
                f"{first!r} and {second!r} are one group to PrivX, which compares groups ignoring case and Unicode "
                "width: a user of either would get both roles",
                f"keep one spelling of the group in [roles], like {first!r}, mapped to the one role it should get; "
                f"move users whose group is {second!r} to {first!r} with set-group ({GROUP_NAMES_DOC})",
            )
        out: dict[str, Any] = {}
        for group, value in v.items():
            try:
                validate_group_name(str(group))
            except GroupNameError as e:
                raise _error("group_name", str(e), e.hint) from None
            if isinstance(value, str):
                value = {"role": value}
            elif not isinstance(value, dict):
                raise ValueError(f"{group}: give a PrivX role name, or a table with role = ...")
            out[group] = value
        return out

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
    def privx_public_url(self) -> str:
        """The URL browsers reach PrivX at: ``[privx] public_url``, else the API URL."""
        return self.privx.public_url or self.privx_url

    @property
    def callback_url(self) -> str:
        return self.privx_public_url + CALLBACK_PATH
