"""``doctor``: prove the wiring between Cognito and PrivX, one check at a time. Returns data; prints nothing.

Every check gives one :class:`Check` (``ok`` / ``fail`` / ``warn`` / ``skip``, a one-line message and, when
something is wrong, a hint). A check never raises for a failed dependency: a check that cannot run because an
earlier one failed is ``skip`` and says which. Only read calls are made, except in the token probe
(``--probe``), which creates a temporary user and app client and always deletes them again.

Checks, in order (``[roles]`` adds one ``role:<group>`` check per group; ``managed-login-branding`` only with
``hosted_ui = "managed"``; ``token-probe`` only with ``--probe``)::

    aws-credentials  cognito-pool  cognito-attribute  app-client  client-oauth-flow  client-scopes
    client-callback  client-read-attributes  client-refresh-token  cognito-domain  managed-login-branding
    oidc-discovery  privx-status  privx-api  privx-directory  directory-enabled  directory-issuer
    directory-client-id  directory-tags-attribute  directory-scopes  role:<group>  direct-login-url  token-probe

Where each piece is fetched from
--------------------------------
- The discovery document and the JWKS come over HTTPS with httpx, through :data:`transport_factory` (tests
  inject a transport, as with ``reconcile.transport_factory``). When boto3 talks to an endpoint that is not
  AWS's own (``AWS_ENDPOINT_URL``, ``AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER`` or a profile's
  ``endpoint_url``: whatever the boto3 client actually uses), discovery is fetched from
  ``<endpoint>/<pool-id>/.well-known/openid-configuration`` instead of the issuer URL, and the message says so.
  moto's server serves that document with the AWS issuer and a ``jwks_uri`` on itself.
- The token probe verifies the ID token with the JWKS fetched by ``oidc-discovery`` (so against a moto server
  it works over HTTP, and against AWS it uses the real keys). moto signs every token with one key, ``kid``
  "dummy", which its JWKS lists.
- The direct-login URL is requested with the PrivX HTTP client (its CA, its transport), without following
  redirects.
"""

from __future__ import annotations

import base64
import binascii
import enum
import functools
import json
import secrets
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from cognito_privx import cognito, privx
from cognito_privx.config import MANAGED_TAG_KEY, MANAGED_TAG_VALUE, AppConfig
from cognito_privx.desired import DesiredState
from cognito_privx.errors import CognitoError, CognitoPrivxError, PrivXConnectionError


def _no_transport() -> httpx.BaseTransport | None:
    return None


# Tests replace this to serve discovery and JWKS without a network (an httpx.MockTransport).
transport_factory: Callable[[], httpx.BaseTransport | None] = _no_transport

HTTP_TIMEOUT = 15.0
PROBE_PREFIX = "cognito-privx-doctor-"
_SETUP_HINT = "run `cognito-privx setup`"


class Status(enum.StrEnum):
    OK = "ok"
    FAIL = "fail"
    WARN = "warn"
    SKIP = "skip"


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    message: str
    hint: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status.value, "message": self.message, "hint": self.hint}


@dataclass(frozen=True)
class Report:
    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        """True unless a check failed (warnings and skips do not fail)."""
        return not any(c.status is Status.FAIL for c in self.checks)

    def by_name(self) -> dict[str, Check]:
        return {c.name: c for c in self.checks}

    def to_json(self) -> dict[str, Any]:
        return {"checks": [c.to_json() for c in self.checks], "ok": self.ok}


class _Outcome(Exception):
    """Ends a check early with a status other than ``ok``."""

    def __init__(self, status: Status, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.hint = status, message, hint


def _fail(message: str, hint: str | None = _SETUP_HINT) -> _Outcome:
    return _Outcome(Status.FAIL, message, hint)


def _skip(message: str) -> _Outcome:
    return _Outcome(Status.SKIP, message)


def _warn(message: str, hint: str | None = None) -> _Outcome:
    return _Outcome(Status.WARN, message, hint)


class ProbeError(Exception):
    """A step of the token probe found something wrong (message + hint, like the error tree)."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message, self.hint = message, hint


def _error_code(e: BaseException | None) -> str:
    response = getattr(e, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def _join(items: Iterable[object]) -> str:
    return ", ".join(str(i) for i in items)


# -- ID-token verification ---------------------------------------------------------------------------------


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def verify_id_token(
    token: str, jwks: Mapping[str, Any], *, issuer: str, audience: str, now: float | None = None
) -> dict[str, Any]:
    """The claims of an RS256-signed ID token, after checking its signature against ``jwks``, ``iss``, ``aud``
    and ``exp``. Raises :class:`ProbeError`."""
    try:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding, rsa
    except ImportError:
        raise ProbeError(
            "cannot verify the token signature: the 'cryptography' package is not installed",
            "pip install cryptography",
        ) from None
    try:
        header_b64, payload_b64, signature_b64 = token.split(".")
        header = json.loads(_b64decode(header_b64))
        claims: dict[str, Any] = json.loads(_b64decode(payload_b64))
        signature = _b64decode(signature_b64)
    except (ValueError, binascii.Error) as e:
        raise ProbeError(f"the ID token is not a well-formed JWT ({type(e).__name__})") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise ProbeError("the ID token is not a well-formed JWT")
    if header.get("alg") != "RS256":
        raise ProbeError(f"the ID token is signed with {header.get('alg')!r}, not RS256")
    kid = header.get("kid")
    key = next((k for k in jwks.get("keys") or [] if isinstance(k, dict) and k.get("kid") == kid), None)
    if key is None or key.get("kty") != "RSA":
        raise ProbeError(
            f"the JWKS has no RSA key with the token's kid {kid!r}", "check that the JWKS belongs to this user pool"
        )
    try:
        numbers = rsa.RSAPublicNumbers(
            e=int.from_bytes(_b64decode(str(key["e"])), "big"), n=int.from_bytes(_b64decode(str(key["n"])), "big")
        )
        numbers.public_key().verify(
            signature, f"{header_b64}.{payload_b64}".encode(), padding.PKCS1v15(), hashes.SHA256()
        )
    except InvalidSignature:
        raise ProbeError(
            f"the ID token's signature does not verify with the JWKS key {kid!r}",
            "the JWKS does not belong to the pool that issued the token: check the issuer and AWS_ENDPOINT_URL",
        ) from None
    except (KeyError, ValueError, binascii.Error) as e:
        raise ProbeError(f"the JWKS key {kid!r} is not a usable RSA key ({type(e).__name__})") from None
    if claims.get("iss") != issuer:
        raise ProbeError(f"the ID token's iss is {claims.get('iss')!r}, not {issuer}")
    aud = claims.get("aud")
    if aud != audience and not (isinstance(aud, list) and audience in aud):
        raise ProbeError(f"the ID token's aud is {aud!r}, not the client {audience}")
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or exp <= (time.time() if now is None else now):
        raise ProbeError(f"the ID token has expired or carries no exp ({exp!r})", "check this machine's clock")
    return claims


# -- the checks --------------------------------------------------------------------------------------------


class _Doctor:
    def __init__(self, cfg: AppConfig, gw: cognito.CognitoGateway, px: privx.PrivXClient, http: httpx.Client) -> None:
        self.cfg = cfg
        self.desired = DesiredState.from_config(cfg)
        self.gw = gw
        self.px = px
        self.http = http
        self.pool: dict[str, Any] | None = None
        self.client: dict[str, Any] | None = None
        self.discovery: dict[str, Any] | None = None
        self.jwks: dict[str, Any] | None = None
        self.privx_reachable = True
        self.privx_api_ok = False
        self._directory: dict[str, Any] | None = None
        self._directory_error: CognitoPrivxError | None = None
        self._directory_loaded = False
        self._roles: dict[str, dict[str, Any]] | None = None

    # -- plumbing ----------------------------------------------------------------------------------------

    def run(self, name: str, body: Callable[[], str]) -> Check:
        try:
            return Check(name, Status.OK, body())
        except _Outcome as o:
            return Check(name, o.status, o.message, o.hint)
        except CognitoPrivxError as e:
            return Check(name, Status.FAIL, e.message, e.hint)

    def need_pool(self) -> dict[str, Any]:
        if self.pool is None:
            raise _skip("skipped: no user pool (see cognito-pool)")
        return self.pool

    def need_client(self) -> dict[str, Any]:
        if self.client is None:
            raise _skip("skipped: no usable app client (see app-client)")
        return self.client

    def issuer(self) -> str:
        return self.cfg.issuer(self.need_pool()["Id"])

    def load_directory(self) -> dict[str, Any] | None:
        """The PrivX directory (memoised, errors too), for the checks that compare with it."""
        if not self._directory_loaded:
            self._directory_loaded = True
            try:
                self._directory = self.px.find_directory(self.cfg.privx.directory_name)
            except CognitoPrivxError as e:
                self._directory_error = e
        if self._directory_error is not None:
            raise self._directory_error
        return self._directory

    def need_directory(self) -> dict[str, Any]:
        if not self.privx_api_ok:
            raise _skip("skipped: the PrivX API is not usable (see privx-api)")
        try:
            directory = self.load_directory()
        except CognitoPrivxError:
            directory = None
        if directory is None or (directory.get("connection") or {}).get("type") != "OIDC":
            raise _skip("skipped: no OIDC directory (see privx-directory)")
        return directory

    def connection(self) -> dict[str, Any]:
        conn: dict[str, Any] = self.need_directory().get("connection") or {}
        return conn

    # -- Cognito -----------------------------------------------------------------------------------------

    def aws_credentials(self) -> str:
        self.gw.call("list_user_pools", MaxResults=1)
        return f"the AWS credentials work (Cognito answered in {self.cfg.region})"

    def cognito_pool(self) -> str:
        name = self.cfg.cognito.pool_name
        pool = cognito.find_our_pool(self.gw, self.desired.pool)
        if pool is None:
            hint = f"{_SETUP_HINT} (it creates the pool), or check [cognito] pool_name and the region"
            # Setup refuses to re-point a directory whose issuer is another pool (a deleted one, say) without
            # --adopt: never send the user to a command that then refuses.
            directory = self.px.find_directory(self.cfg.privx.directory_name)
            if directory is not None:
                hint = (
                    f"run `cognito-privx setup --adopt`: it creates the pool and re-points the PrivX directory "
                    f"{self.cfg.privx.directory_name!r}, which names {privx.issuer_of(directory)}; or check "
                    "[cognito] pool_name and the region"
                )
            raise _fail(f"no user pool named {name!r} with the tag {MANAGED_TAG_KEY}={MANAGED_TAG_VALUE}", hint)
        self.pool = pool
        return f"{name} ({pool['Id']}), tagged {MANAGED_TAG_KEY}={MANAGED_TAG_VALUE}"

    def cognito_attribute(self) -> str:
        attr = self.cfg.cognito.attribute_name
        if cognito.check_attribute(self.desired.attribute, self.need_pool()) is None:
            raise _fail(f"the pool has no attribute {attr}", f"{_SETUP_HINT} (it adds the attribute)")
        return f"{attr} is a mutable String"

    def app_client(self) -> str:
        pool = self.need_pool()
        client = cognito.find_client(self.gw, self.desired.client, pool["Id"])
        if client is None:
            raise _fail(
                f"pool {pool['Id']} has no app client named {self.cfg.cognito.app_client_name!r}",
                f"{_SETUP_HINT} (it creates the app client)",
            )
        self.client = client
        return f"{client['ClientName']} ({client['ClientId']}) has a client secret"

    def client_oauth_flow(self) -> str:
        client = self.need_client()
        problems = []
        if client.get("AllowedOAuthFlowsUserPoolClient") is not True:
            problems.append("OAuth is not enabled for the client (AllowedOAuthFlowsUserPoolClient)")
        if "code" not in (client.get("AllowedOAuthFlows") or []):
            problems.append(f"the code flow is not allowed (flows: {client.get('AllowedOAuthFlows') or 'none'})")
        if "COGNITO" not in (client.get("SupportedIdentityProviders") or []):
            problems.append("the identity provider COGNITO is not enabled")
        if problems:
            raise _fail("; ".join(problems), f"{_SETUP_HINT} (it enables the authorization-code flow)")
        return "authorization-code flow with the COGNITO identity provider"

    def client_scopes(self) -> str:
        client = self.need_client()
        allowed = set(client.get("AllowedOAuthScopes") or [])
        wanted: dict[str, str] = {"openid": "always"}
        wanted.update({s: "the config" for s in self.cfg.privx.additional_scopes})
        note = ""
        try:
            directory = self.load_directory()
        except CognitoPrivxError:
            directory, note = None, " (PrivX directory not readable: compared with the config only)"
        if directory is not None:
            asked = (directory.get("connection") or {}).get("oidc_additional_scopes") or []
            for scope in asked:
                wanted.setdefault(str(scope), "the PrivX directory")
        missing = [s for s in wanted if s not in allowed]
        if missing:
            which = _join(f"{s} (asked by {wanted[s]})" for s in missing)
            raise _fail(
                f"the app client does not allow the scope(s) {which}: PrivX's login would fail with invalid_scope",
                f"{_SETUP_HINT} (it allows openid + [privx] additional_scopes and sets the directory's scopes to "
                "match); add a scope the directory needs to [privx] additional_scopes first",
            )
        return f"allows {_join(sorted(wanted))}{note}"

    def client_callback(self) -> str:
        client = self.need_client()
        want = self.cfg.callback_url
        have = client.get("CallbackURLs") or []
        if want not in have:
            raise _fail(
                f"the callback {want} is not among the app client's callback URLs ({_join(have) or 'none'}): "
                "Cognito would answer redirect_mismatch",
                f"{_SETUP_HINT} (it sets the callback to {want})",
            )
        return f"callback {want}"

    def client_read_attributes(self) -> str:
        client = self.need_client()
        if self.cfg.cognito.native_groups:
            return "cognito:groups mode: the group travels in cognito:groups, which needs no read permission"
        attr = self.cfg.cognito.attribute_name
        if attr not in (client.get("ReadAttributes") or []):
            raise _fail(
                f"the app client cannot read {attr}, so it is missing from the ID token and PrivX sees no group",
                f"{_SETUP_HINT} (it adds {attr} to the client's ReadAttributes)",
            )
        return f"{attr} is readable (in the ID token)"

    def client_refresh_token(self) -> str:
        client = self.need_client()
        flows = client.get("ExplicitAuthFlows") or []
        if "ALLOW_REFRESH_TOKEN_AUTH" not in flows:
            raise _fail(
                f"refresh tokens are not allowed (ExplicitAuthFlows: {_join(flows) or 'none'}); PrivX needs them",
                f"{_SETUP_HINT} (it adds ALLOW_REFRESH_TOKEN_AUTH)",
            )
        return "refresh tokens allowed (ALLOW_REFRESH_TOKEN_AUTH)"

    def hosted_ui_url(self) -> str | None:
        pool = self.pool or {}
        if pool.get("CustomDomain"):
            return f"https://{pool['CustomDomain']}"
        prefix = self.cfg.cognito.domain_prefix or pool.get("Domain")
        return cognito.domain_url(prefix, self.cfg.region) if prefix else None

    def cognito_domain(self) -> str:
        pool = self.need_pool()
        prefix = self.cfg.cognito.domain_prefix or pool.get("Domain") or pool.get("CustomDomain")
        if not prefix:
            raise _fail(
                f"pool {pool['Id']} has no domain, so there is no hosted UI (/oauth2/authorize) to log in with",
                "set [cognito] domain_prefix and run `cognito-privx setup`",
            )
        desc = self.gw.describe_domain(prefix)
        owner = desc.get("UserPoolId")
        if not owner:
            raise _fail(f"the domain {prefix!r} does not exist", f"{_SETUP_HINT} (it creates the domain)")
        if owner != pool["Id"]:
            raise _fail(
                f"the domain {prefix!r} belongs to another user pool ({owner})",
                "choose another [cognito] domain_prefix and run `cognito-privx setup`",
            )
        status = desc.get("Status")
        url = self.hosted_ui_url() or prefix
        if status != "ACTIVE":
            if status in ("CREATING", "UPDATING"):
                raise _warn(f"{url} is {status}: a new domain takes up to a few minutes", "run doctor again shortly")
            raise _fail(f"{url} is {status or 'in an unknown state'}, not ACTIVE", "check the domain in the console")
        return f"{url} is ACTIVE"

    def managed_login_branding(self) -> str:
        pool, client = self.need_pool(), self.need_client()
        try:
            self.gw.call(
                "describe_managed_login_branding_by_client", UserPoolId=pool["Id"], ClientId=client["ClientId"]
            )
        except NotImplementedError:  # moto in-process (cognito.md: not in moto)
            raise _warn("could not verify: this Cognito does not implement managed-login branding") from None
        except CognitoError as e:
            code = _error_code(e.__cause__)
            if code == "ResourceNotFoundException":
                raise _fail(
                    "the app client has no managed-login branding style: its login pages say 'unavailable'",
                    'create a style (Cognito console → Managed login → Styles), or set hosted_ui = "classic"',
                ) from None
            raise _warn(f"could not verify the managed-login branding: {e.message}") from None
        return "a managed-login branding style exists for the app client"

    def _fetch_json(self, url: str, what: str) -> dict[str, Any]:
        try:
            response = self.http.get(url)
        except httpx.HTTPError as e:
            raise _fail(f"cannot fetch the {what} {url}: {type(e).__name__}: {e}", "check the network") from None
        if response.status_code != 200:
            raise _fail(
                f"the {what} {url} answered HTTP {response.status_code}",
                "check that the user pool exists and the region is right",
            )
        try:
            body = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = None
        if not isinstance(body, dict):
            raise _fail(f"the {what} {url} is not a JSON object", None)
        return body

    def discovery_base(self) -> str | None:
        """boto3's endpoint when it is not AWS's own (a moto server, a proxy), else ``None``."""
        endpoint = getattr(getattr(self.gw.client, "meta", None), "endpoint_url", None)
        if not isinstance(endpoint, str):
            return None
        host = urlsplit(endpoint).hostname or ""
        return None if host.endswith(".amazonaws.com") else endpoint.rstrip("/")

    def oidc_discovery(self) -> str:
        pool = self.need_pool()
        issuer = self.issuer()
        base = self.discovery_base()
        url = f"{base or issuer}/{pool['Id'] + '/' if base else ''}.well-known/openid-configuration"
        where = f" (from the endpoint override {base}, as AWS_ENDPOINT_URL asks)" if base else ""
        doc = self._fetch_json(url, "discovery document")
        if doc.get("issuer") != issuer:
            raise _fail(
                f"the discovery document{where} names the issuer {doc.get('issuer')!r}, not {issuer}",
                "check the region and the pool id; PrivX compares the issuer exactly",
            )
        self.discovery = doc
        jwks_uri = doc.get("jwks_uri")
        if not isinstance(jwks_uri, str):
            raise _fail(f"the discovery document{where} has no jwks_uri", None)
        jwks = self._fetch_json(jwks_uri, "JWKS")
        keys = jwks.get("keys")
        if not isinstance(keys, list) or not keys:
            raise _fail(f"the JWKS {jwks_uri} holds no keys", None)
        self.jwks = jwks
        return f"issuer {issuer}{where}; JWKS has {len(keys)} key(s)"

    # -- PrivX -------------------------------------------------------------------------------------------

    def privx_status(self) -> str:
        try:
            status = self.px.status()
        except PrivXConnectionError:
            self.privx_reachable = False
            raise
        version = status.get("version") or status.get("app_version") or "(version not given)"
        return f"PrivX {version} answers at {self.cfg.privx_url}"

    def privx_api(self) -> str:
        if not self.privx_reachable:
            raise _skip("skipped: PrivX cannot be reached (see privx-status)")
        self.px.login()
        sources = self.px.list_sources()
        self.px.request("GET", privx.ROLES_PATH, params={"offset": 0, "limit": 1})
        self.privx_api_ok = True
        return f"the API client can read sources ({len(sources)}) and roles"

    def privx_directory(self) -> str:
        if not self.privx_api_ok:
            raise _skip("skipped: the PrivX API is not usable (see privx-api)")
        name = self.cfg.privx.directory_name
        directory = self.load_directory()
        if directory is None:
            raise _fail(f"PrivX has no directory named {name!r}", f"{_SETUP_HINT} (it creates the directory)")
        kind = (directory.get("connection") or {}).get("type")
        if kind != "OIDC":
            raise _fail(
                f"the PrivX directory {name!r} is of type {kind!r}, not OIDC",
                "set [privx] directory_name to a name no other directory uses",
            )
        return f"{name} ({directory.get('id')}) is an OIDC directory"

    def directory_enabled(self) -> str:
        directory = self.need_directory()
        off = [
            what
            for what, value in (
                ("the directory", directory.get("enabled")),
                ("its OIDC login", (directory.get("connection") or {}).get("oidc_enabled")),
            )
            if value is not True
        ]
        if off:
            raise _fail(f"{' and '.join(off)} is disabled in PrivX", f"{_SETUP_HINT} (it enables the directory)")
        return "the directory and its OIDC login are enabled"

    def directory_issuer(self) -> str:
        have = self.connection().get("oidc_issuer")
        if self.pool is None:
            raise _skip("skipped: no user pool to compare with (see cognito-pool)")
        want = (self.discovery or {}).get("issuer") or self.issuer()
        source = "the discovery document's issuer" if self.discovery else "the pool's issuer"
        if have != want:
            host = urlsplit(str(have or "")).hostname or ""
            why = (
                " — that is the hosted-UI domain, which is not the issuer"
                if host.endswith(".amazoncognito.com") or (have and have == self.hosted_ui_url())
                else ""
            )
            raise _fail(
                f"the directory's issuer is {have!r}, not {want} ({source}){why}",
                f"{_SETUP_HINT} (it sets the issuer to {want})",
            )
        return f"{have} (equals {source})"

    def directory_client_id(self) -> str:
        have = self.connection().get("oidc_client_id")
        want = self.need_client()["ClientId"]
        if have != want:
            raise _fail(
                f"the directory's client id is {have!r}, not the app client {want}",
                f"{_SETUP_HINT} (it sets the client id and secret)",
            )
        return f"client id {want}"

    def directory_tags_attribute(self) -> str:
        have = self.connection().get("oidc_tags_attribute_name")
        want = self.cfg.cognito.tags_claim
        if have != want:
            raise _fail(
                f"the directory takes tags from {have!r}, not {want}: the role rules would match nobody",
                f"{_SETUP_HINT} (it sets the tags attribute to {want})",
            )
        return f"tags from {want}"

    def directory_scopes(self) -> str:
        have = self.connection().get("oidc_additional_scopes") or []
        want = list(self.cfg.privx.additional_scopes)
        if sorted(set(have)) != sorted(set(want)):
            raise _fail(
                f"the directory asks for the scopes {_join(have) or 'none'}, the config says {_join(want) or 'none'}",
                f"{_SETUP_HINT} (it sets the directory's scopes to [privx] additional_scopes)",
            )
        return f"openid + {_join(want) or 'nothing more'}"

    def roles(self) -> dict[str, dict[str, Any]]:
        if self._roles is None:
            names = sorted({spec.role for spec in self.cfg.roles.values()})
            found = self.px.resolve_roles(names)
            self._roles = {name: self.px.get_role(str(r["id"])) for name, r in found.items()}
        return self._roles

    def role(self, group: str) -> str:
        directory = self.need_directory()
        name = self.cfg.roles[group].role
        role = self.roles().get(name)
        if role is None:
            raise _fail(f"PrivX has no role {name!r} for the group {group!r}", f"{_SETUP_HINT} (it creates the role)")
        if not privx.has_rule(role, str(directory["id"]), group):
            leaf = privx.role_rule(str(directory["id"]), group)
            raise _fail(
                f"role {name!r} has no rule for tag {group!r} of directory {directory['id']} ({json.dumps(leaf)})",
                f"{_SETUP_HINT} (it adds the rule and keeps the role's other rules)",
            )
        return f"group {group} → role {name}"

    def direct_login_url(self) -> str:
        directory = self.need_directory()
        client = self.need_client()
        url = privx.login_url(self.cfg, directory) or ""
        hint = "compare [privx] login_url_template with the Direct Login URL in the PrivX directory's settings"
        try:
            response = self.px.http.get(url, follow_redirects=False)
        except httpx.HTTPError as e:
            raise _warn(f"could not verify {url}: {type(e).__name__}: {e}") from None
        location = response.headers.get("location")
        if not response.is_redirect or not location:
            raise _warn(f"could not verify {url}: it answered HTTP {response.status_code}, not a redirect", hint)
        target = urlsplit(location)
        query = {k: v[0] for k, v in parse_qs(target.query).items()}
        problems = []
        if not target.path.endswith("/oauth2/authorize"):
            problems.append("not to Cognito's /oauth2/authorize")
        if query.get("client_id") != client["ClientId"]:
            problems.append(f"client_id is {query.get('client_id')!r}, not {client['ClientId']}")
        if query.get("redirect_uri") != self.cfg.callback_url:
            problems.append(f"redirect_uri is {query.get('redirect_uri')!r}, not {self.cfg.callback_url}")
        base = f"{target.scheme}://{target.netloc}{target.path}"
        if problems:
            raise _fail(f"{url} redirects to {base}: {'; '.join(problems)}", hint)
        expected = (self.discovery or {}).get("authorization_endpoint")
        if not expected and self.hosted_ui_url():
            expected = f"{self.hosted_ui_url()}/oauth2/authorize"
        if expected != base:
            raise _warn(
                f"{url} redirects to {base} with our client id and callback, but the hosted UI's authorize endpoint "
                f"is {expected or 'unknown'}: could not confirm the host",
                "check the directory's issuer and the pool's domain" if expected else None,
            )
        return f"{url} → {base} with our client id and callback"

    # -- the token probe ---------------------------------------------------------------------------------

    def token_probe(self) -> str:
        pool, client = self.need_pool(), self.need_client()
        if self.jwks is None:
            raise _skip("skipped: no JWKS to verify a token with (see oidc-discovery)")
        cfg = self.cfg
        group = min(cfg.roles) if cfg.roles else None
        if group is None and cfg.cognito.native_groups:
            raise _skip("skipped: cognito:groups mode needs a [roles] group to put the test user in")
        group = group or "cognito-privx-probe"
        suffix = secrets.token_hex(6)
        username = f"{PROBE_PREFIX}{suffix}@example.com"
        client_name = f"{PROBE_PREFIX}{suffix}"
        pool_id = pool["Id"]
        created_user = created_client = False
        temp_client_id: str | None = None
        message = ""
        failure: _Outcome | None = None
        try:
            created_client = True
            temp = self.gw.call(
                "create_user_pool_client",
                UserPoolId=pool_id,
                ClientName=client_name,
                GenerateSecret=False,
                ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
                ReadAttributes=list(client.get("ReadAttributes") or []),
            )["UserPoolClient"]
            temp_client_id = str(temp["ClientId"])
            created_user = True
            self.gw.call(
                "admin_create_user",
                UserPoolId=pool_id,
                Username=username,
                MessageAction="SUPPRESS",
                UserAttributes=[
                    {"Name": "email", "Value": username},
                    {"Name": "email_verified", "Value": "true"},
                    {"Name": cfg.cognito.attribute_name, "Value": group},
                ],
            )
            if cfg.cognito.native_groups:
                self.gw.call("admin_add_user_to_group", UserPoolId=pool_id, Username=username, GroupName=group)
            password = "Aa1!" + secrets.token_urlsafe(48)
            self.gw.call(
                "admin_set_user_password", UserPoolId=pool_id, Username=username, Password=password, Permanent=True
            )
            auth = self.gw.call(
                "admin_initiate_auth",
                UserPoolId=pool_id,
                ClientId=temp_client_id,
                AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": username, "PASSWORD": password},
            )
            token = (auth.get("AuthenticationResult") or {}).get("IdToken")
            if not token:
                raise ProbeError(f"Cognito returned no ID token (challenge {auth.get('ChallengeName')!r})")
            claims = verify_id_token(token, self.jwks, issuer=self.issuer(), audience=temp_client_id)
            claim = cfg.cognito.tags_claim
            value = claims.get(claim)
            carried = group in value if isinstance(value, list) else value == group
            if not carried:
                raise ProbeError(
                    f"the ID token's {claim} is {value!r}, not {group!r}: PrivX would see no group",
                    f"{_SETUP_HINT} (it makes {claim} readable)",
                )
            message = f"a test user in group {group} got a valid RS256 ID token (iss, aud, {claim} = {group})"
        except (ProbeError, CognitoPrivxError) as e:
            failure = _fail(f"token probe: {e.message}", e.hint)
        finally:
            leftovers = self._probe_cleanup(
                pool_id, username if created_user else None, client_name if created_client else None, temp_client_id
            )
        if leftovers:
            raise _fail(
                f"{(failure.message + '; ') if failure else ''}could not remove the temporary {_join(leftovers)}",
                "delete them in the Cognito console (their names start with cognito-privx-doctor-)",
            )
        if failure is not None:
            raise failure
        return message + "; temporary user and client deleted"

    def _probe_cleanup(
        self, pool_id: str, username: str | None, client_name: str | None, client_id: str | None
    ) -> list[str]:
        """Delete the probe's user and client (also after a failure); what could not be deleted."""
        left: list[str] = []
        if username is not None:
            try:
                self.gw.call("admin_delete_user", UserPoolId=pool_id, Username=username)
            except CognitoError as e:
                if _error_code(e.__cause__) != "UserNotFoundException":
                    left.append(f"user {username}")
        if client_name is not None:
            try:
                ids = [client_id] if client_id else [c["ClientId"] for c in self.gw.clients_named(pool_id, client_name)]
                for cid in ids:
                    self.gw.call("delete_user_pool_client", UserPoolId=pool_id, ClientId=cid)
            except CognitoError:
                left.append(f"app client {client_name}")
        return left

    # -- order -------------------------------------------------------------------------------------------

    def checks(self, *, probe: bool) -> Iterator[Check]:
        steps: list[tuple[str, Callable[[], str]]] = [
            ("aws-credentials", self.aws_credentials),
            ("cognito-pool", self.cognito_pool),
            ("cognito-attribute", self.cognito_attribute),
            ("app-client", self.app_client),
            ("client-oauth-flow", self.client_oauth_flow),
            ("client-scopes", self.client_scopes),
            ("client-callback", self.client_callback),
            ("client-read-attributes", self.client_read_attributes),
            ("client-refresh-token", self.client_refresh_token),
            ("cognito-domain", self.cognito_domain),
        ]
        if self.cfg.cognito.hosted_ui == "managed":
            steps.append(("managed-login-branding", self.managed_login_branding))
        steps += [
            ("oidc-discovery", self.oidc_discovery),
            ("privx-status", self.privx_status),
            ("privx-api", self.privx_api),
            ("privx-directory", self.privx_directory),
            ("directory-enabled", self.directory_enabled),
            ("directory-issuer", self.directory_issuer),
            ("directory-client-id", self.directory_client_id),
            ("directory-tags-attribute", self.directory_tags_attribute),
            ("directory-scopes", self.directory_scopes),
        ]
        for group in sorted(self.cfg.roles):
            steps.append((f"role:{group}", functools.partial(self.role, group)))
        steps.append(("direct-login-url", self.direct_login_url))
        if probe:
            steps.append(("token-probe", self.token_probe))
        aws_ok = True
        for name, body in steps:
            if not aws_ok and name in _COGNITO_CHECKS:
                yield Check(name, Status.SKIP, "skipped: Cognito is not usable (see aws-credentials)")
                continue
            check = self.run(name, body)
            if name == "aws-credentials" and check.status is Status.FAIL:
                aws_ok = False
            yield check


_COGNITO_CHECKS = frozenset(
    {
        "cognito-pool",
        "cognito-attribute",
        "app-client",
        "client-oauth-flow",
        "client-scopes",
        "client-callback",
        "client-read-attributes",
        "client-refresh-token",
        "cognito-domain",
        "managed-login-branding",
        "oidc-discovery",
        "token-probe",
    }
)


def run_checks(cfg: AppConfig, gw: cognito.CognitoGateway, px: privx.PrivXClient, *, probe: bool = False) -> Report:
    """Run every check (and, with ``probe``, the token probe) and return the report. Never raises for a failed
    check; the caller renders the report and exits 1 unless ``report.ok``."""
    with httpx.Client(
        transport=transport_factory(),
        timeout=HTTP_TIMEOUT,
        follow_redirects=True,
        headers={"User-Agent": "cognito-privx"},
    ) as http:
        return Report(tuple(_Doctor(cfg, gw, px, http).checks(probe=probe)))


__all__ = ["Check", "ProbeError", "Report", "Status", "run_checks", "transport_factory", "verify_id_token"]
