"""The desired state, derived once from the config as frozen specs.

``plan``, ``setup``, ``teardown`` and ``doctor`` compare live state against this one description; teardown uses
:meth:`DesiredState.nothing`, the same identity (names, pool, directory) with no grants, roles or groups.

Shapes::

    DesiredState
      pool       PoolSpec        name, region, pinned pool id, tier, deletion protection, tags
      attribute  AttributeSpec   the bare custom attribute name (``group`` → ``custom:group``)
      client     ClientSpec      app client name and its OAuth settings
      domain     DomainSpec?     hosted-UI prefix domain; None when no domain is managed
      mfa        MfaSpec?        the pool's MFA; None when not managed ([cognito] mfa unset)
      groups     frozenset[str]  native Cognito groups (only with group_claim = "cognito:groups")
      directory  DirectoryTemplate   the PrivX OIDC directory, less what is known only at run time
      roles      tuple[RoleSpec]     PrivX roles the config names, with their permissions and comment
      grants     frozenset[Grant]    (group, role) pairs: "users of group G get role R"
      rule_template / wide_rule_template  the rule form, and whether it matches beyond the group (allowed)
      login_url_template  str       [privx] login_url_template: the direct-login URL's form
      privx_url / public_url  str  [privx] url (the API) and public_url (browsers: callback, direct-login URL)

    UsersSpec    what the user commands need (pool, group attribute, native groups, [roles] groups), no PrivX

Pure data: no I/O, and nothing here imports boto3 or httpx.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from cognito_privx.config import (
    CALLBACK_PATH,
    DEFAULT_LOGIN_URL_TEMPLATE,
    DEFAULT_RULE_TEMPLATE,
    MANAGED_TAG_KEY,
    MANAGED_TAG_VALUE,
    AppConfig,
    PasswordPolicyConfig,
    partitions,
    wide_part,
)

# A pool taken over with ``setup --adopt`` carries this tag as well as ``managed-by``: teardown never deletes
# it (or its users) unless told to with --delete-adopted-pool.
ADOPTED_TAG_KEY = "cognito-privx-adopted"
ADOPTED_TAG_VALUE = "true"

# ``doctor --login``'s rehearsal signs in as one fixed identity per group, reused run after run (issue 21): these
# users are the tool's, never a person, so plan's counts and the access report leave them out (and mark them where
# shown). ``example.com`` is reserved (RFC 2606): no mail ever reaches it. The prefix of the temporary users of
# versions before 0.3, whose PrivX records stay behind (PrivX has no API to delete a directory user), counts too.
REHEARSAL_PREFIX = "cognito-privx-rehearsal-"
OLD_REHEARSAL_PREFIX = "cognito-privx-login-"
REHEARSAL_DOMAIN = "@example.com"


def rehearsal_email(group: str) -> str:
    """The rehearsal identity of ``group``: ``cognito-privx-rehearsal-<slug>-<8 hex>@example.com``, the slug the
    group lower-cased with anything but ``a-z0-9._-`` as ``-`` (at most 30), the hex from the group's SHA-256 so
    that ``Ops`` and ``ops`` (or ``a+b`` and ``a=b``) get different identities; the local part stays under 64."""
    slug = re.sub(r"[^a-z0-9._-]", "-", group.lower())[:30].strip(".-") or "group"
    digest = hashlib.sha256(group.encode()).hexdigest()[:8]
    return f"{REHEARSAL_PREFIX}{slug}-{digest}{REHEARSAL_DOMAIN}"


def is_rehearsal(email: str | None) -> bool:
    """Whether an email (or PrivX principal) is a login rehearsal's identity, this version's or an older one's."""
    folded = (email or "").casefold()
    return folded.endswith(REHEARSAL_DOMAIN) and folded.startswith((REHEARSAL_PREFIX, OLD_REHEARSAL_PREFIX))


def filter_escape(value: str) -> str:
    """``value`` as an LDAP filter value (RFC 4515 section 3): ``\\``, ``*``, ``(``, ``)`` and NUL escaped."""
    return "".join(f"\\{ord(c):02x}" if c in "\\*()\0" else c for c in value)


def search_string_for(template: str, group: str) -> str:
    """``template`` (a ``[privx] rule_template``) filled in for ``group``; escaped when it is an LDAP-style filter."""
    return template.format(group=filter_escape(group) if template.startswith("(") else group)


def login_url_for(template: str, base_url: str, directory_id: str) -> str:
    """A direct-login URL: ``template`` (a ``[privx] login_url_template`` or one of the candidates doctor probes)
    filled in with PrivX's base URL and the directory's id. The one place the URL's form is applied."""
    return template.format(base_url=base_url, directory_id=directory_id)


def _password_policy(policy: PasswordPolicyConfig | None) -> tuple[tuple[str, object], ...] | None:
    if policy is None:
        return None
    return (
        ("MinimumLength", policy.minimum_length),
        ("RequireUppercase", policy.require_uppercase),
        ("RequireLowercase", policy.require_lowercase),
        ("RequireNumbers", policy.require_numbers),
        ("RequireSymbols", policy.require_symbols),
        ("TemporaryPasswordValidityDays", policy.temporary_password_validity_days),
    )


@dataclass(frozen=True)
class PoolSpec:
    """The user pool: found by ``name`` and our tag, or pinned by ``pool_id``."""

    name: str
    region: str
    pool_id: str | None = None
    tier: str | None = None  # None: AWS's default on create (cognito.default_tier), then left as it is
    deletion_protection: bool = True
    tags: tuple[tuple[str, str], ...] = ()
    # The PasswordPolicy fields we converge, as (AWS key, value); None: not managed.
    password_policy: tuple[tuple[str, object], ...] | None = None
    # AllowAdminCreateUserOnly: None: on for pools we create and keep, an adopted pool's left as it is.
    admin_only_sign_up: bool | None = None

    @property
    def pool_tags(self) -> dict[str, str]:
        """Every tag we set: the configured ones and ``managed-by=cognito-privx``."""
        return {**dict(self.tags), MANAGED_TAG_KEY: MANAGED_TAG_VALUE}

    def issuer(self, pool_id: str) -> str:
        """The OIDC issuer of a pool: ``https://cognito-idp.<region>.<partition's DNS suffix>/<pool id>`` (never
        the hosted-UI domain; config/partitions.py)."""
        return partitions.issuer(self.region, pool_id)


@dataclass(frozen=True)
class AttributeSpec:
    """The custom attribute that carries a user's group: String, mutable, created with its bare name."""

    name: str
    groups: tuple[str, ...] = ()  # the [roles] groups its value must hold (checked against its MaxLength)

    @property
    def attribute_name(self) -> str:
        """As it appears on users and in tokens: ``custom:<name>``."""
        return f"custom:{self.name}"

    def schema(self) -> dict[str, Any]:
        # The bare name: Cognito adds "custom:" itself (passing "custom:group" creates "custom:custom:group").
        return {
            "Name": self.name,
            "AttributeDataType": "String",
            "Mutable": True,
            "StringAttributeConstraints": {"MinLength": "0", "MaxLength": "2048"},
        }


# ExplicitAuthFlows: the refresh flow, what an unset list allows (botocore's model), and what a rotating client
# keeps when nothing else is left (docs/cognito.md#refresh-token-rotation).
REFRESH_FLOW = "ALLOW_REFRESH_TOKEN_AUTH"
UNSET_AUTH_FLOWS = ("ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_CUSTOM_AUTH")
ROTATION_FALLBACK_FLOW = "ALLOW_USER_SRP_AUTH"
# RetryGracePeriodSeconds when refresh_token_grace_period_seconds is unset: AWS's maximum, the most room for retries.
DEFAULT_REFRESH_GRACE_SECONDS = 60

# What our app client lets a user write of their own, beside the pool's required attributes: the display name.
WRITABLE_BASE = ("name",)
# When the account mapping reads ``name``: another harmless standard attribute keeps the list non-empty.
WRITABLE_FALLBACK = ("name", "nickname", "zoneinfo", "locale")
# The standard attributes every user pool has (DG "Working with user attributes", standard attributes), with the
# two verification flags; ``sub`` left out (always in the ID token; AWS need not accept it in ReadAttributes).
# DescribeUserPool lists them in SchemaAttributes; moto does only for a pool made without custom attributes.
STANDARD_ATTRIBUTES = (
    "address",
    "birthdate",
    "email",
    "email_verified",
    "family_name",
    "gender",
    "given_name",
    "locale",
    "middle_name",
    "name",
    "nickname",
    "phone_number",
    "phone_number_verified",
    "picture",
    "preferred_username",
    "profile",
    "updated_at",
    "website",
    "zoneinfo",
)
# What users may write on a client whose WriteAttributes is unset, in either reading (the API reference: the
# standard attributes; the console: all): the standard ones less the verification flags, which only admins set.
USER_WRITABLE_STANDARD = tuple(a for a in STANDARD_ATTRIBUTES if not a.endswith("_verified"))
# What our client always reads, beside the group attribute and the account mapping's claims.
READABLE_BASE = ("email", "email_verified", "name")
# Claims of Cognito's ID token that are not user attributes (no client can write them).
_NOT_ATTRIBUTES = frozenset({"sub", "aud", "iss", "exp", "iat", "auth_time", "token_use", "event_id", "jti"})


def attributes_read(tags_claim: str, account_mapping: Iterable[str]) -> tuple[str, ...]:
    """The user attributes PrivX's grants and account mapping read: the tags claim when it is an attribute (not
    ``cognito:groups``), and every mapped claim that is an attribute."""
    claims = (tags_claim, *account_mapping)
    return tuple(sorted({c for c in claims if c and not c.startswith("cognito:") and c not in _NOT_ATTRIBUTES}))


@dataclass(frozen=True)
class ClientSpec:
    """The app client PrivX logs users in with (docs/cognito.md#the-app-client-privx-needs)."""

    name: str
    callback_url: str
    scopes: tuple[str, ...]
    group_attribute: str  # custom:<attr>, which must be readable or it is missing from the ID token
    # (ID minutes, access minutes, refresh days); None: not managed.
    token_validity: tuple[int, int, int] | None = None
    # The user attributes the grants and the account mapping read: no app client of the pool may let a user write
    # them (docs/security.md#who-may-change-a-group). doctor fails any client that may.
    protected_attributes: tuple[str, ...] = ()
    # The user attributes ``[privx] account_mapping`` reads: each must be readable or PrivX sets no account.
    mapped_attributes: tuple[str, ...] = ()

    @property
    def read_attributes(self) -> tuple[str, ...]:
        """What our client must read: email, its flag and name, the group attribute (missing from the ID token
        unless readable) and every attribute the account mapping reads, in that order."""
        return tuple(dict.fromkeys((*READABLE_BASE, self.group_attribute, *self.mapped_attributes)))

    def unreadable_in(self, pool_attributes: Iterable[str] | None) -> tuple[str, ...]:
        """The mapped custom attributes the pool does not have (``pool_attributes``: the names in its
        SchemaAttributes; None: a pool not made yet, which gets only the group attribute): AWS refuses them in
        ReadAttributes ("Invalid read attributes specified"), so they are never sent."""
        have = {*(pool_attributes or ()), self.group_attribute}
        return tuple(a for a in self.mapped_attributes if a.startswith("custom:") and a not in have)

    def read_attributes_for(
        self, current: Iterable[str] | None, pool_attributes: Iterable[str] | None, *, adopted: bool
    ) -> list[str]:
        """Our client's ``ReadAttributes``: :attr:`read_attributes` less :meth:`unreadable_in`; for an existing
        (``adopted``) client with the list unset (``current`` None or empty), every attribute either reading of
        unset allows as well (botocore's model: the standard attributes; the console: all, custom ones included),
        so no app loses a claim when the list becomes explicit (docs/cognito.md#who-may-read-an-attribute)."""
        missing = set(self.unreadable_in(pool_attributes))
        wanted = [a for a in self.read_attributes if a not in missing]
        if not adopted or current:
            return wanted
        customs = {a for a in pool_attributes or () if a.startswith("custom:")}
        return sorted({*STANDARD_ATTRIBUTES, *customs, *wanted})

    # Refresh-token rotation (RefreshTokenRotation) and its grace period in seconds (0-60):
    # docs/cognito.md#refresh-token-rotation
    refresh_token_rotation: bool = False
    refresh_grace_seconds: int = DEFAULT_REFRESH_GRACE_SECONDS

    @property
    def never_writable(self) -> frozenset[str]:
        """What our client never lets a user write: the protected attributes and the group attribute (also in
        ``cognito:groups`` mode, where nothing reads it, so that switching modes opens nothing)."""
        return frozenset((*self.protected_attributes, self.group_attribute))

    def write_attributes(
        self, current: Iterable[str] | None, required: Iterable[str] = (), *, existing: bool = False
    ) -> list[str]:
        """Our client's ``WriteAttributes``, always explicit (AWS's sources disagree on what unset means).

        An existing explicit list is narrowed: only the never-writable attributes are dropped. An ``existing``
        (adopted) client with the list unset keeps what both readings of unset let users write -- the standard
        attributes (less ``sub`` and the ``*_verified`` flags, which no user writes) -- less the never-writable
        ones, so other apps' profile edits keep working. A new client: the pool's required mutable attributes,
        which the hosted UI's new-password page asks a first-time user for and which the client must be able to
        write (docs/cognito.md#who-may-write-an-attribute), with ``name``; never-writable ones left out. Never
        empty: an empty list might read as unset.
        """
        never = self.never_writable
        have = [a for a in (current or ()) if a not in never]
        if current and have:
            return sorted(have)
        kept = USER_WRITABLE_STANDARD if existing and not current else ()
        wanted = sorted({*required, *WRITABLE_BASE, *kept} - never)
        return wanted or [next(a for a in WRITABLE_FALLBACK if a not in never)]

    def desired(self) -> dict[str, Any]:
        """The UpdateUserPoolClient fields we converge, with their wanted values."""
        return {
            "AllowedOAuthFlows": ["code"],
            "AllowedOAuthFlowsUserPoolClient": True,
            "AllowedOAuthScopes": ["openid", *self.scopes],
            "CallbackURLs": [self.callback_url],
            "SupportedIdentityProviders": ["COGNITO"],
            # Without ReadAttributes a custom attribute is not readable and is missing from the ID token
            # (moto puts it there anyway). ensure_client narrows it to what the pool has (read_attributes_for).
            "ReadAttributes": list(self.read_attributes),
            # PrivX needs refresh tokens: without rotation through ALLOW_REFRESH_TOKEN_AUTH; with rotation the token
            # endpoint issues them and AWS requires that flow off (auth_flows).
            "ExplicitAuthFlows": [ROTATION_FALLBACK_FLOW] if self.refresh_token_rotation else [REFRESH_FLOW],
            # Sign-in errors never tell whether a user exists.
            "PreventUserExistenceErrors": "ENABLED",
            **self._validity(),
            **({"RefreshTokenRotation": self.rotation} if self.refresh_token_rotation else {}),
        }

    @property
    def rotation(self) -> dict[str, Any]:
        """The ``RefreshTokenRotation`` we send: ENABLED with the grace period, or DISABLED."""
        if self.refresh_token_rotation:
            return {"Feature": "ENABLED", "RetryGracePeriodSeconds": self.refresh_grace_seconds}
        return {"Feature": "DISABLED"}

    def auth_flows(self, current: Iterable[str] | None) -> list[str]:
        """Our client's ``ExplicitAuthFlows`` given the ``current`` ones (None: a new client, or unset).

        Rotation off: ``ALLOW_REFRESH_TOKEN_AUTH`` (others' flows are kept by the superset rule). Rotation on:
        "You can't authenticate with REFRESH_TOKEN_AUTH in app clients with refresh token rotation enabled"
        (Cognito developer guide, amazon-cognito-user-pools-using-the-refresh-token), so the current flows less that
        one, compared exactly (:attr:`flows_superset`). Unset flows mean "ALLOW_REFRESH_TOKEN_AUTH,
        ALLOW_USER_SRP_AUTH, and ALLOW_CUSTOM_AUTH" (botocore's model): those less refresh. Never empty (an empty
        list might read as unset): a client left with none gets ``ALLOW_USER_SRP_AUTH``, which needs the user's
        password and the client secret, no more than the hosted UI's sign-in.
        """
        if not self.refresh_token_rotation:
            # Unset on an existing client allows refresh, SRP and custom: made explicit, none of them dropped.
            return [REFRESH_FLOW] if current else list(UNSET_AUTH_FLOWS)
        have = list(current) if current else list(UNSET_AUTH_FLOWS)
        kept = [f for f in have if f != REFRESH_FLOW]
        return kept or [ROTATION_FALLBACK_FLOW]

    @property
    def flows_superset(self) -> bool:
        """Whether others' extra ``ExplicitAuthFlows`` satisfy us (rotation off), or the list is exact (rotation on:
        ``ALLOW_REFRESH_TOKEN_AUTH`` must go)."""
        return not self.refresh_token_rotation

    def _validity(self) -> dict[str, Any]:
        if self.token_validity is None:
            return {}
        id_minutes, access_minutes, refresh_days = self.token_validity
        return {
            "IdTokenValidity": id_minutes,
            "AccessTokenValidity": access_minutes,
            "RefreshTokenValidity": refresh_days,
            "TokenValidityUnits": {"IdToken": "minutes", "AccessToken": "minutes", "RefreshToken": "days"},
        }


@dataclass(frozen=True)
class DomainSpec:
    """The hosted-UI prefix domain (``https://<prefix>.auth.<region>.amazoncognito.com``)."""

    prefix: str
    managed_login_version: int = 1

    @property
    def needs_branding(self) -> bool:
        """Managed login (version 2) shows no sign-in page for an app client without a branding style."""
        return self.managed_login_version == 2


@dataclass(frozen=True)
class MfaSpec:
    """The pool's MFA (``SetUserPoolMfaConfig``): ``mode`` off / optional / required and the methods offered
    (``totp``, ``email``). docs/cognito.md#mfa"""

    mode: str
    methods: tuple[str, ...] = ("totp",)

    @property
    def configuration(self) -> str:
        """Cognito's ``MfaConfiguration``: OFF, OPTIONAL or ON."""
        return {"off": "OFF", "optional": "OPTIONAL", "required": "ON"}[self.mode]

    def desired(self) -> dict[str, Any]:
        """What we converge, in the flat view of ``cognito.mfa_view``: ``MfaConfiguration`` and, unless MFA is
        off, which methods are on (``SoftwareTokenMfa``, ``EmailMfa``). With MFA off the methods are not compared."""
        wanted: dict[str, Any] = {"MfaConfiguration": self.configuration}
        if self.mode != "off":
            wanted["SoftwareTokenMfa"] = "totp" in self.methods
            wanted["EmailMfa"] = "email" in self.methods
        return wanted


@dataclass(frozen=True)
class DirectoryTemplate:
    """The PrivX OIDC directory, less the issuer, client id and secret that are known only at run time."""

    name: str
    button_title: str
    tags_claim: str
    additional_scopes: tuple[str, ...]
    account_mapping: tuple[tuple[str, str], ...] = ()  # (target account attribute, claim)


@dataclass(frozen=True)
class RoleSpec:
    """A PrivX role the config names. ``permissions`` are added when missing, never removed."""

    name: str
    permissions: tuple[str, ...] = ()
    comment: str = ""


@dataclass(frozen=True, order=True)
class Grant:
    """Users of Cognito group ``group`` get PrivX role ``role``: one rule leaf in the role whose ``source`` is our
    directory and whose ``search_string`` is ``search_string`` (the group in ``[privx] rule_template``'s form)."""

    role: str
    group: str
    search_string: str = ""

    def __str__(self) -> str:
        return f"{self.role} ← group {self.group}"


@dataclass(frozen=True)
class UsersSpec:
    """What the user commands (and ``import-users``) need of the config, and nothing of PrivX: they run with a
    config that has no ``[privx]`` section.

    ``pool``: the pool (name, region, pinned id); ``attribute_name``: the attribute that carries a user's group
    (``custom:group``); ``native_groups``: users' groups are native Cognito groups instead
    (``group_claim = "cognito:groups"``); ``role_groups``: the ``[roles]`` keys, the groups a user may be put in
    (empty: any group).
    """

    pool: PoolSpec
    attribute_name: str
    native_groups: bool = False
    role_groups: frozenset[str] = frozenset()

    @classmethod
    def from_config(cls, cfg: AppConfig) -> UsersSpec:
        """Raises :class:`~cognito_privx.errors.ConfigError` when the region is missing."""
        c = cfg.cognito
        return cls(
            pool=PoolSpec(name=c.pool_name, region=cfg.region, pool_id=c.pool_id),
            attribute_name=c.attribute_name,
            native_groups=c.native_groups,
            role_groups=frozenset(cfg.roles),
        )


@dataclass(frozen=True)
class DesiredState:
    """Everything cognito-privx manages, as the config describes it. See the module docstring."""

    pool: PoolSpec
    attribute: AttributeSpec
    client: ClientSpec
    domain: DomainSpec | None
    directory: DirectoryTemplate
    privx_url: str
    groups: frozenset[str] = frozenset()
    roles: tuple[RoleSpec, ...] = ()
    grants: frozenset[Grant] = field(default_factory=frozenset)
    rule_template: str = DEFAULT_RULE_TEMPLATE
    # The rule_template matches users beyond the group ([privx] allow_wide_rule_template = true lets it): plan
    # counts them for each grant.
    wide_rule_template: bool = False
    mfa: MfaSpec | None = None
    max_secret_age_days: int | None = None  # doctor warns beyond it
    # [privx] login_url_template: how the direct-login URL is built from the base URL and the directory id.
    login_url_template: str = DEFAULT_LOGIN_URL_TEMPLATE
    # [privx] public_url: where browsers reach PrivX, when not at privx_url (the API's); None: privx_url.
    privx_public_url: str | None = None

    @property
    def public_url(self) -> str:
        """The URL browsers reach PrivX at (``[privx] public_url``, else the API URL): the callback registered in
        Cognito and the direct-login URL are built from it; API calls use ``privx_url``."""
        return self.privx_public_url or self.privx_url

    def login_url(self, directory_id: str) -> str:
        """The direct-login URL of the PrivX directory ``directory_id``: ``login_url_template`` filled in with the
        public URL."""
        return login_url_for(self.login_url_template, self.public_url, directory_id)

    def search_string(self, group: str) -> str:
        """The rule ``search_string`` that matches the users of ``group`` (``rule_template`` filled in; in an
        LDAP-style filter the group is escaped as RFC 4515 asks)."""
        return search_string_for(self.rule_template, group)

    def group_of(self, search_string: str) -> str | None:
        """The group a ``search_string`` of ``rule_template``'s form names; ``None`` for any other form."""
        head, _, tail = self.rule_template.partition("{group}")
        if search_string.startswith(head) and search_string.endswith(tail) and len(search_string) > len(head + tail):
            return search_string[len(head) : len(search_string) - len(tail)]
        return None

    @classmethod
    def from_config(cls, cfg: AppConfig) -> DesiredState:
        """Derive the desired state. Raises :class:`~cognito_privx.errors.ConfigError` when the region or the
        PrivX URL is missing."""
        c, p = cfg.cognito, cfg.privx
        region, url, public = cfg.region, cfg.privx_url, cfg.privx_public_url
        by_role: dict[str, RoleSpec] = {}
        for spec in cfg.roles.values():
            known = by_role.get(spec.role)
            # A role mapped from two groups: permissions add up; the first non-empty comment is kept.
            by_role[spec.role] = RoleSpec(
                spec.role,
                tuple(dict.fromkeys((*(known.permissions if known else ()), *spec.permissions))),
                (known.comment if known and known.comment else spec.comment),
            )
        return cls(
            pool=PoolSpec(
                name=c.pool_name,
                region=region,
                pool_id=c.pool_id,
                tier=c.tier,
                deletion_protection=c.deletion_protection,
                tags=tuple(sorted(c.tags.items())),
                password_policy=_password_policy(c.password_policy),
                admin_only_sign_up=c.admin_only_sign_up,
            ),
            attribute=AttributeSpec(c.group_attribute, tuple(cfg.roles)),
            client=ClientSpec(
                name=c.app_client_name,
                callback_url=public + CALLBACK_PATH,
                scopes=p.additional_scopes,
                group_attribute=c.attribute_name,
                token_validity=(
                    (c.id_token_validity_minutes, c.access_token_validity_minutes, c.refresh_token_validity_days)
                    if c.id_token_validity_minutes is not None
                    and c.access_token_validity_minutes is not None
                    and c.refresh_token_validity_days is not None
                    else None
                ),
                protected_attributes=attributes_read(c.tags_claim, p.account_mapping.values()),
                mapped_attributes=attributes_read("", p.account_mapping.values()),
                refresh_token_rotation=c.refresh_token_rotation,
                refresh_grace_seconds=(
                    DEFAULT_REFRESH_GRACE_SECONDS
                    if c.refresh_token_grace_period_seconds is None
                    else c.refresh_token_grace_period_seconds
                ),
            ),
            domain=DomainSpec(c.domain_prefix, c.managed_login_version) if c.domain_prefix else None,
            directory=DirectoryTemplate(
                name=p.directory_name,
                button_title=p.button_title,
                tags_claim=c.tags_claim,
                additional_scopes=p.additional_scopes,
                account_mapping=tuple(sorted(p.account_mapping.items())),
            ),
            privx_url=url,
            groups=frozenset(cfg.roles) if c.native_groups else frozenset(),
            roles=tuple(sorted(by_role.values(), key=lambda r: r.name)),
            grants=frozenset(
                Grant(spec.role, group, search_string_for(p.rule_template, group)) for group, spec in cfg.roles.items()
            ),
            rule_template=p.rule_template,
            wide_rule_template=wide_part(p.rule_template) is not None,
            mfa=MfaSpec(c.mfa, c.mfa_methods) if c.mfa is not None else None,
            max_secret_age_days=c.max_secret_age_days,
            login_url_template=p.login_url_template,
            privx_public_url=p.public_url,
        )

    def nothing(self) -> DesiredState:
        """The same identity with nothing granted: what teardown converges to."""
        return DesiredState(
            pool=self.pool,
            attribute=self.attribute,
            client=self.client,
            domain=self.domain,
            directory=self.directory,
            privx_url=self.privx_url,
            rule_template=self.rule_template,
            login_url_template=self.login_url_template,
            privx_public_url=self.privx_public_url,
        )

    def role(self, name: str) -> RoleSpec | None:
        return next((r for r in self.roles if r.name == name), None)

    def grants_of(self, role: str) -> list[Grant]:
        """The grants that give ``role``, sorted by group."""
        return sorted(g for g in self.grants if g.role == role)
