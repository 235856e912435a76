"""PrivX: an API client over an injected ``httpx.Client``, and the ensure step for the OIDC directory.

Authentication (privx-api.md §1): the OAuth password grant with the OAuth client in Basic auth and the API
client as user, a token reused until shortly before it expires, and one fresh login after a 401.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import json
import logging
import random
import ssl
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, NewType

import httpx

from cognito_privx.config import AppConfig, PrivXCredentials
from cognito_privx.desired import DesiredState, DirectoryTemplate, RoleSpec
from cognito_privx.errors import (
    AmbiguousResourceError,
    ForeignResourceError,
    PrivXAPIError,
    PrivXAuthError,
    PrivXConnectionError,
    PrivXError,
    PrivXNotFoundError,
    PrivXPermissionError,
)
from cognito_privx.plan import KNOWN_AFTER_APPLY, SENSITIVE, Action, Change, FieldChange, change_for, diff_fields

log = logging.getLogger(__name__)

DirectoryId = NewType("DirectoryId", str)

TOKEN_PATH = "/auth/api/v1/oauth/token"
STATUS_PATH = "/role-store/api/v1/status"
SOURCES_PATH = "/role-store/api/v1/sources"
ROLES_PATH = "/role-store/api/v1/roles"
# Seconds; the n-th retry waits up to base * 2**n (full jitter). Tests lower it.
DEFAULT_RETRY_BASE = 0.5
_READ_POSTS = ("/roles/resolve", "/roles/evaluate", "/sources/search")
MASKED = "*****"
# Log in again this long before the token expires (the Python SDK keeps 3 s; clocks and slow calls differ).
TOKEN_MARGIN_S = 10.0
# Keys a server may use for a directory's direct-login URL (none is documented, privx-api.md §4).
MANAGED_MARKER = "managed by cognito-privx"
LOGIN_URL_KEYS = ("direct_login_url", "oidc_login_url", "login_url")

_HINT_401 = (
    "check PRIVX_API_CLIENT_ID / PRIVX_API_CLIENT_SECRET (the API client) and "
    "PRIVX_API_OAUTH_CLIENT_ID / PRIVX_API_OAUTH_CLIENT_SECRET (the OAuth client) on PrivX's API-clients page"
)
_HINT_403 = "give the API client's PrivX role the permissions sources-view, sources-manage, roles-view and roles-manage"


def build_http_client(
    base_url: str,
    *,
    ca_pem: str | None = None,
    timeout: float = 30.0,
    transport: httpx.BaseTransport | None = None,
) -> httpx.Client:
    """The httpx client for PrivX: verification always on, the PrivX CA added when given."""
    verify: ssl.SSLContext | bool = True
    if ca_pem:
        ctx = ssl.create_default_context()
        try:
            ctx.load_verify_locations(cadata=ca_pem)
        except (ssl.SSLError, TypeError, ValueError) as e:
            from cognito_privx.errors import CredentialsError

            reason = getattr(e, "reason", None) or str(e).split(":")[0] or type(e).__name__
            raise CredentialsError(
                f"PRIVX_CA_CERT is not a valid PEM certificate ({reason})", "export the CA again as PEM (ASCII text)"
            ) from None
        verify = ctx
    return httpx.Client(
        base_url=base_url,
        verify=verify,
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        transport=transport,
        headers={"User-Agent": "cognito-privx"},
        follow_redirects=False,
    )


def _error_text(response: httpx.Response) -> str:
    """PrivX's error message, from either error body shape, or a short note when there is none."""
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return f"HTTP {response.status_code} (no JSON body)"
    if isinstance(body, dict):
        code = body.get("error_code") or body.get("error") or ""
        msg = body.get("error_message") or body.get("error_description") or ""
        prop = body.get("property")
        text = ": ".join(str(p) for p in (code, msg) if p)
        if prop:
            text += f" (property {prop})"
        return text or f"HTTP {response.status_code}"
    return f"HTTP {response.status_code}"


class PrivXClient:
    """The PrivX calls cognito-privx makes. ``observer`` sees ``(method, path)`` of every request."""

    def __init__(
        self,
        http: httpx.Client,
        credentials: PrivXCredentials,
        *,
        clock: Callable[[], float] = time.monotonic,
        observer: Callable[[str, str], None] | None = None,
        max_attempts: int = 4,
        retry_base: float | None = None,
        retry_cap: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.http = http
        self.max_attempts = max(1, max_attempts)
        self.retry_base = DEFAULT_RETRY_BASE if retry_base is None else retry_base
        self.retry_cap = retry_cap
        self._sleep = sleep
        self._creds = credentials
        self._clock = clock
        self._observer = observer
        self._token: str | None = None
        self._token_expires = 0.0

    # -- transport ------------------------------------------------------------------------------------------

    def _retryable(self, method: str, path: str) -> bool:
        """Whether repeating the request is harmless (idempotent, or a POST that only reads or logs in)."""
        return method in ("GET", "HEAD", "PUT", "DELETE") or path == TOKEN_PATH or path.endswith(_READ_POSTS)

    def _pause(self, attempt: int, retry_after: str | None = None) -> None:
        delay = random.uniform(0, min(self.retry_cap, self.retry_base * 2**attempt))  # noqa: S311 - jitter
        if retry_after:
            with contextlib.suppress(ValueError):  # an HTTP date: keep the backoff
                delay = min(max(float(retry_after), 0.0), 60.0)
        log.debug("privx: retrying in %.2f s", delay)
        self._sleep(delay)

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One request with retries: connection errors, 429 (honouring Retry-After), 502/503/504.

        A request that may have been processed (its response was lost, or a gateway failed) is repeated only
        when that is harmless; a creating POST is left to its caller, which looks the object up first.
        """
        retryable = self._retryable(method, path)
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._send_once(method, path, **kwargs)
            except PrivXConnectionError as e:
                if attempt >= self.max_attempts or e.tls or (e.unknown_outcome and not retryable):
                    raise
                self._pause(attempt)
                continue
            status = response.status_code
            if attempt < self.max_attempts and (status == 429 or (status in (502, 503, 504) and retryable)):
                self._pause(attempt, response.headers.get("Retry-After") if status in (429, 503) else None)
                continue
            return response

    def _send_once(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        if self._observer is not None:
            self._observer(method, path)
        log.debug("privx %s %s", method, path)
        try:
            return self.http.request(method, path, **kwargs)
        except httpx.ConnectError as e:
            if isinstance(e.__context__, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in str(e):
                error = PrivXConnectionError(
                    f"TLS verification of {self.http.base_url} failed: {e}",
                    "set PRIVX_CA_CERT to PrivX's CA certificate (PEM text or a path), "
                    "shown on PrivX's API-clients page",
                )
                error.tls = True
                raise error from e
            # Nothing was sent: repeating is always safe.
            raise PrivXConnectionError(
                f"cannot connect to PrivX at {self.http.base_url}: {e}",
                "check [privx] url / PRIVX_API_BASE_URL and that PrivX is reachable from here",
            ) from e
        except httpx.ConnectTimeout as e:
            raise PrivXConnectionError(
                f"PrivX at {self.http.base_url} did not accept a connection in time",
                "check the network and [privx] url",
            ) from e
        except httpx.TimeoutException as e:
            raise PrivXConnectionError(
                f"PrivX at {self.http.base_url} did not answer in time ({type(e).__name__})",
                "check the network, or raise [privx] timeout",
                unknown_outcome=True,
            ) from e
        except httpx.TransportError as e:
            raise PrivXConnectionError(
                f"the connection to PrivX failed: {type(e).__name__}: {e}",
                "run again; it is safe to re-run",
                unknown_outcome=True,
            ) from e

    def _fixed_token(self) -> str | None:
        """A ready bearer token (``PRIVX_API_BEARER_TOKEN``), if one is set and not empty."""
        token = self._creds.bearer_token
        return token.get_secret_value() if token is not None and token.get_secret_value() else None

    def _login(self) -> str:
        creds = self._creds
        fixed = self._fixed_token()
        if fixed is not None:
            return fixed
        assert creds.api_client_id and creds.api_client_secret and creds.oauth_client_secret  # checked earlier
        basic = base64.b64encode(
            f"{creds.oauth_client_id}:{creds.oauth_client_secret.get_secret_value()}".encode()
        ).decode()
        response = self._send(
            "POST",
            TOKEN_PATH,
            headers={"Authorization": f"Basic {basic}"},
            data={
                "grant_type": "password",
                "username": creds.api_client_id,
                "password": creds.api_client_secret.get_secret_value(),
            },
        )
        if response.status_code in (400, 401, 403):
            raise PrivXAuthError(
                f"PrivX refused the login: {_error_text(response)}", _HINT_401, status=response.status_code
            )
        if response.status_code != 200:
            raise self._error("POST", TOKEN_PATH, response)
        try:
            body = response.json()
            token = body["access_token"]
        except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError) as e:
            raise PrivXAPIError(
                "PrivX's token endpoint answered without an access token",
                "check that [privx] url points at PrivX itself, not a proxy or login page",
                status=response.status_code,
            ) from e
        self._token = str(token)
        expires_in = float(body.get("expires_in", 300))
        self._token_expires = self._clock() + max(expires_in - TOKEN_MARGIN_S, expires_in / 2)
        return self._token

    def _bearer(self) -> str:
        fixed = self._fixed_token()
        if fixed is not None:
            return fixed
        if self._token is None or self._clock() >= self._token_expires:
            return self._login()
        return self._token

    def request(self, method: str, path: str, *, json_body: Any = None, params: Mapping[str, Any] | None = None) -> Any:
        """An authenticated call; the decoded JSON body (``None`` when empty). Raises :class:`PrivXError`."""
        response: httpx.Response | None = None
        for attempt in (1, 2):
            headers = {"Authorization": f"Bearer {self._bearer()}"}
            response = self._send(method, path, json=json_body, params=params, headers=headers)
            if response.status_code == 401 and attempt == 1 and self._fixed_token() is None:
                self._token = None  # expired or revoked early: log in once more
                continue
            break
        assert response is not None
        if response.is_success:
            if not response.content:
                return None
            try:
                return response.json()
            except json.JSONDecodeError as e:
                raise PrivXAPIError(
                    f"PrivX answered {method} {path} with a body that is not JSON",
                    "check that [privx] url points at PrivX itself, not a proxy or login page",
                    status=response.status_code,
                ) from e
        raise self._error(method, path, response)

    @staticmethod
    def _error(method: str, path: str, response: httpx.Response) -> PrivXError:
        status = response.status_code
        text = _error_text(response)
        where = f"{method} {path}"
        if status == 401:
            return PrivXAuthError(f"PrivX refused the credentials on {where}: {text}", _HINT_401, status=status)
        if status == 403:
            return PrivXPermissionError(f"PrivX denied {where}: {text}", _HINT_403, status=status)
        if status == 404:
            hint = (
                "the object was removed meanwhile; run again"
                if path.startswith(SOURCES_PATH + "/")
                else "check [privx] url / PRIVX_API_BASE_URL (the PrivX base URL, without /privx)"
            )
            return PrivXNotFoundError(f"PrivX has no {path}: {text}", hint, status=status)
        if status >= 500:
            return PrivXAPIError(
                f"PrivX failed on {where}: {text}", "PrivX had a server error; run again later", status=status
            )
        return PrivXAPIError(f"PrivX rejected {where}: {text}", "see PrivX's message above", status=status)

    # -- API ------------------------------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        """The unauthenticated status document (version etc.)."""
        response = self._send("GET", STATUS_PATH)
        if not response.is_success:
            raise self._error("GET", STATUS_PATH, response)
        try:
            body: dict[str, Any] = response.json()
        except json.JSONDecodeError as e:
            raise PrivXAPIError(
                f"{self.http.base_url} does not look like PrivX (its status is not JSON)",
                "check [privx] url / PRIVX_API_BASE_URL",
            ) from e
        return body

    def login(self) -> None:
        """Authenticate now, so bad credentials fail before anything is changed anywhere."""
        self._bearer()

    def list_sources(self) -> list[dict[str, Any]]:
        body = self.request("GET", SOURCES_PATH)
        items: list[dict[str, Any]] = body.get("items", [])
        return items

    def get_source(self, source_id: str) -> dict[str, Any]:
        source: dict[str, Any] = self.request("GET", f"{SOURCES_PATH}/{source_id}")
        return source

    def _create(self, path: str, body: Mapping[str, Any], lookup: Callable[[], str | None]) -> str:
        """POST a new object. A POST is never blindly repeated: when its outcome is unknown (a lost response,
        a gateway error) or the name is taken meanwhile, the object is looked up by name first, so a lost
        response never leaves two of them."""
        attempt = 0
        while True:
            attempt += 1
            try:
                return str(self.request("POST", path, json_body=body)["id"])
            except PrivXError as e:
                if not (e.unknown_outcome or e.status == 409):
                    raise
                found = lookup()
                if found is not None:
                    log.debug("privx: %s was created after all (%s)", body.get("name"), found)
                    return found
                if attempt >= self.max_attempts or e.status == 409:
                    raise
                self._pause(attempt)

    def create_source(self, body: Mapping[str, Any]) -> DirectoryId:
        def lookup() -> str | None:
            found = [s for s in self.list_sources() if s.get("name") == body.get("name")]
            return str(found[0]["id"]) if found else None

        return DirectoryId(self._create(SOURCES_PATH, body, lookup))

    def _delete(self, path: str) -> None:
        # A DELETE repeated after a lost response finds the object gone: that is the result we wanted.
        with contextlib.suppress(PrivXNotFoundError):
            self.request("DELETE", path)

    def delete_source(self, source_id: str) -> None:
        self._delete(f"{SOURCES_PATH}/{source_id}")

    def delete_role(self, role_id: str) -> None:
        self._delete(f"{ROLES_PATH}/{role_id}")

    def update_source(self, source_id: str, body: Mapping[str, Any]) -> None:
        self.request("PUT", f"{SOURCES_PATH}/{source_id}", json_body=body)

    def resolve_roles(self, names: list[str]) -> dict[str, dict[str, Any]]:
        """Existing roles by name (``roles/resolve``); names that do not exist are absent."""
        if not names:
            return {}
        body = self.request("POST", ROLES_PATH + "/resolve", json_body=names) or {}
        return {str(r["name"]): r for r in body.get("items") or [] if r.get("name") in names}

    def get_role(self, role_id: str) -> dict[str, Any]:
        role: dict[str, Any] = self.request("GET", f"{ROLES_PATH}/{role_id}")
        return role

    def create_role(self, body: Mapping[str, Any]) -> str:
        def lookup() -> str | None:
            found = self.resolve_roles([str(body.get("name"))]).get(str(body.get("name")))
            return str(found["id"]) if found else None

        return self._create(ROLES_PATH, body, lookup)

    def update_role(self, role_id: str, body: Mapping[str, Any]) -> None:
        self.request("PUT", f"{ROLES_PATH}/{role_id}", json_body=body)

    def evaluate_role(self, body: Mapping[str, Any]) -> int | None:
        """How many users a role definition would match today; ``None`` when PrivX cannot tell us.

        Only a preview for the plan: any refusal (not offered, a validation error) is no reason to stop.
        """
        role = {k: v for k, v in body.items() if k not in ROLE_READ_ONLY and k != "id"}
        try:
            result = self.request("POST", ROLES_PATH + "/evaluate", json_body=role) or {}
        except (PrivXNotFoundError, PrivXAPIError) as e:
            log.debug("privx: roles/evaluate unavailable: %s", e.message)
            return None
        return int(result.get("count", len(result.get("items") or [])))

    def find_directory(self, name: str) -> dict[str, Any] | None:
        """The directory named ``name`` (full object), ``None`` when absent; raises when two share the name."""
        found = [s for s in self.list_sources() if s.get("name") == name]
        if len(found) > 1:
            ids = ", ".join(sorted(str(s.get("id")) for s in found))
            raise AmbiguousResourceError(
                f"{len(found)} PrivX directories are named {name!r}: {ids}",
                "delete or rename the extra directory in PrivX, then run again",
            )
        # The list may abbreviate objects; the full one is what a PUT must start from.
        return self.get_source(str(found[0]["id"])) if found else None

    def list_roles(self) -> list[dict[str, Any]]:
        """Every role, paged (``offset``/``limit``; stop at ``count`` or a short page, privx-api.md §5)."""
        roles: list[dict[str, Any]] = []
        while True:
            body = self.request("GET", ROLES_PATH, params={"offset": len(roles), "limit": ROLE_PAGE}) or {}
            page: list[dict[str, Any]] = body.get("items") or []
            roles.extend(page)
            if len(page) < ROLE_PAGE or len(roles) >= int(body.get("count") or 0):
                return roles


# The largest page PrivX serves (privx-api.md §3: limit max 1000).
ROLE_PAGE = 1000


# -- the OIDC directory ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DirectorySpec:
    """What the PrivX directory must say; ``client_secret`` is the real Cognito app-client secret."""

    name: str
    issuer: str
    client_id: str
    client_secret: str
    button_title: str
    tags_attribute: str
    additional_scopes: tuple[str, ...]
    account_mapping: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_template(
        cls, template: DirectoryTemplate, *, issuer: str, client_id: str, client_secret: str
    ) -> DirectorySpec:
        return cls(
            name=template.name,
            issuer=issuer,
            client_id=client_id,
            client_secret=client_secret,
            button_title=template.button_title,
            tags_attribute=template.tags_attribute,
            additional_scopes=template.additional_scopes,
            account_mapping=template.account_mapping,
        )

    def __repr__(self) -> str:  # never show the secret, even in a traceback
        return f"DirectorySpec(name={self.name!r}, issuer={self.issuer!r}, client_id={self.client_id!r})"

    def managed(self) -> dict[str, Any]:
        """The fields we compare, flattened as ``connection.<key>`` (the secret cannot be read back)."""
        return {
            "name": self.name,
            "enabled": True,
            "connection.type": "OIDC",
            "connection.oidc_enabled": True,
            "connection.oidc_issuer": self.issuer,
            "connection.oidc_client_id": self.client_id,
            "connection.oidc_button_title": self.button_title,
            "connection.oidc_tags_attribute_name": self.tags_attribute,
            "connection.oidc_additional_scopes": list(self.additional_scopes),
            **(
                {"connection.attribute_mapping": attribute_mapping(dict(self.account_mapping))}
                if self.account_mapping
                else {}
            ),
        }

    def overlay(self, current: Mapping[str, Any] | None) -> dict[str, Any]:
        """The whole object to send: ``current`` (if any) with every managed field and the real secret over it."""
        body: dict[str, Any] = (
            copy.deepcopy(dict(current))
            if current
            else {"name": self.name, "comment": f"Amazon Cognito user pool, {MANAGED_MARKER}"}
        )
        connection = body.setdefault("connection", {})
        for key, value in self.managed().items():
            if key.startswith("connection."):
                connection[key.removeprefix("connection.")] = value
            else:
                body[key] = value
        connection["oidc_client_secret"] = self.client_secret
        if MANAGED_MARKER not in str(body.get("comment") or ""):  # an adopted directory: mark it as ours
            body["comment"] = f"{body.get('comment') or ''} ({MANAGED_MARKER})".strip()
        return body


def attribute_mapping(account_mapping: Mapping[str, str]) -> dict[str, str]:
    """The directory's ``attribute_mapping`` for ``[privx] account_mapping`` (claim -> target account attribute).

    PrivX's UI takes "Source=Target" pairs such as ``email=windows_account``; the JSON direction of the stored
    map is unverified (privx-api.md §2), so it is decided here and only here: ``{claim: target}``.
    """
    return dict(sorted(account_mapping.items()))


def issuer_of(directory: Mapping[str, Any]) -> str | None:
    issuer = (directory.get("connection") or {}).get("oidc_issuer")
    return str(issuer) if issuer else None


@dataclass(frozen=True)
class PoolIdentity:
    """How a directory can name our pool: its issuer, and the hosted-UI base URLs of its domains.

    A directory is ours when its ``oidc_issuer`` is the issuer, also in the two forms people get wrong and setup
    repairs (a trailing slash; the hosted-UI domain instead of the issuer, cognito.md "Identity of things").
    """

    issuer: str
    hosted_ui: tuple[str, ...] = ()

    def named_by(self, directory: Mapping[str, Any]) -> bool:
        issuer = (issuer_of(directory) or "").rstrip("/")
        return bool(issuer) and (issuer == self.issuer or issuer in self.hosted_ui)


def _age(directory: Mapping[str, Any]) -> tuple[str, str]:
    # RFC 3339 UTC timestamps of one server sort as strings; the id breaks ties the same way in every run.
    return str(directory.get("created") or "9999"), str(directory.get("id"))


def _is_race(directories: list[dict[str, Any]]) -> bool:
    """Whether directories of ours were created within two minutes of each other (concurrent runs, whose losers
    delete their own), rather than a real duplicate that needs a person."""
    from datetime import datetime, timedelta

    try:
        times = sorted(datetime.fromisoformat(str(d.get("created")).replace("Z", "+00:00")) for d in directories)
    except ValueError:
        return False
    return times[-1] - times[0] <= timedelta(minutes=2)


@dataclass(frozen=True)
class DirectoryMatch:
    """The directories that matter to us.

    ``ours``: the directory whose issuer is our pool (the oldest, when a race left two); ``foreign``: a directory
    with the configured name that is not ours (its issuer is another pool, whatever its comment says).
    """

    ours: dict[str, Any] | None
    foreign: dict[str, Any] | None

    def foreign_reason(self) -> str:
        """Why ``foreign`` is not ours, in one clause."""
        d = self.foreign or {}
        marked = MANAGED_MARKER in str(d.get("comment") or "")
        return f"its issuer {issuer_of(d)} is not our pool's" + (
            " (it carries cognito-privx's marker: another config's deployment, or a pool deleted since)"
            if marked
            else ""
        )


def find_directories(privx: PrivXClient, name: str, pool: PoolIdentity | None) -> DirectoryMatch:
    """Ours (its issuer names our pool; the marker alone never makes a directory ours) and a same-named foreign one.

    ``pool`` is ``None`` when our pool does not exist yet: then nothing is ours. Raises
    :class:`AmbiguousResourceError` when several same-named directories are not ours.
    """
    sources = privx.list_sources()
    ours = [s for s in sources if pool is not None and pool.named_by(s)]
    named_foreign = [s for s in sources if s.get("name") == name and s not in ours]
    if len(named_foreign) > 1:
        ids = ", ".join(sorted(str(s.get("id")) for s in named_foreign))
        raise AmbiguousResourceError(
            f"{len(named_foreign)} PrivX directories are named {name!r}: {ids}",
            "delete or rename the extra directory in PrivX, then run again",
        )
    chosen = None
    if len(ours) > 1 and not _is_race(ours):
        ids = ", ".join(str(s.get("id")) for s in sorted(ours, key=_age))
        raise AmbiguousResourceError(
            f"{len(ours)} PrivX directories point at this config's pool ({name!r} among them): {ids}",
            "delete the extra directory in PrivX, then run again",
        )
    if ours:
        named = [s for s in ours if s.get("name") == name]
        chosen = min(named or ours, key=_age)
        # The list may abbreviate objects; the full one is what a PUT must start from.
        chosen = privx.get_source(str(chosen["id"]))
    foreign = privx.get_source(str(named_foreign[0]["id"])) if named_foreign else None
    return DirectoryMatch(chosen, foreign)


@dataclass(frozen=True)
class DirectoryState:
    change: Change
    directory: dict[str, Any] | None

    @property
    def directory_id(self) -> DirectoryId | None:
        return DirectoryId(str(self.directory["id"])) if self.directory else None


def flatten(source: Mapping[str, Any]) -> dict[str, Any]:
    """A directory as ``{"enabled": .., "connection.<key>": ..}`` for comparison with :meth:`DirectorySpec.managed`."""
    flat = {k: v for k, v in source.items() if k != "connection"}
    for key, value in (source.get("connection") or {}).items():
        flat[f"connection.{key}"] = value
    return flat


_SECRET_FIELD = "connection.oidc_client_secret"
_READ_ONLY = frozenset({"author", "created", "updated", "status_code", "status_text"})


def _settle_directory_race(privx: PrivXClient, spec: DirectorySpec, created_id: str) -> tuple[str, str]:
    """Look again after creating the directory: when a concurrent run made one for our pool too (a PrivX that
    allows duplicate names), the older wins and ours is deleted. Returns the id to carry on with and a note."""
    ours = [s for s in privx.list_sources() if (issuer_of(s) or "").rstrip("/") == spec.issuer]
    if len(ours) < 2:
        return created_id, ""
    winner = str(min(ours, key=_age)["id"])
    if winner == created_id:
        return created_id, ""
    privx.delete_source(created_id)
    return winner, f"a concurrent run created directory {winner} first; this run's was deleted"


_UNSET: Any = object()


def ensure_directory(
    privx: PrivXClient, spec: DirectorySpec, *, dry_run: bool, current: dict[str, Any] | None = _UNSET
) -> DirectoryState:
    """Create or converge the OIDC directory. ``current`` is ours (or one being adopted), observed by the caller;
    when left out, it is looked up (and a same-named directory that is not ours raises
    :class:`ForeignResourceError`)."""
    if current is _UNSET:
        found = find_directories(privx, spec.name, PoolIdentity(spec.issuer))
        if found.ours is None and found.foreign is not None:
            raise ForeignResourceError(
                f"the PrivX directory {spec.name!r} ({found.foreign.get('id')}) is not ours: {found.foreign_reason()}",
                "choose another [privx] directory_name",
            )
        current = found.ours
    desired = spec.managed()
    if current is None:
        change = change_for("privx directory", spec.name, None, {**desired, _SECRET_FIELD: SENSITIVE})
        if dry_run:
            return DirectoryState(change, None)
        new_id, note = _settle_directory_race(privx, spec, privx.create_source(spec.overlay(None)))
        created = privx.get_source(new_id)
        if note or diff_fields(flatten(created), desired):
            # Created meanwhile by a concurrent run (or found by name after a lost answer): converge it too.
            state = ensure_directory(privx, spec, dry_run=False, current=created)
            return DirectoryState(
                Change(
                    change.resource,
                    change.name,
                    state.change.action,
                    state.change.fields,
                    (*state.change.notes, note) if note else state.change.notes,
                ),
                state.directory,
            )
        return DirectoryState(change, created)
    fields = diff_fields(flatten(current), desired)
    if not fields:
        return DirectoryState(Change("privx directory", spec.name, Action.NOOP), current)
    # The secret reads back masked, so drift cannot be seen: it is re-sent with every update, and said so.
    fields = (*fields, FieldChange(_SECRET_FIELD, SENSITIVE, SENSITIVE))
    notes: tuple[str, ...] = ("the client secret is re-sent with every update (PrivX never returns it)",)
    if MANAGED_MARKER not in str(current.get("comment") or ""):
        notes = (f"adopting directory {current.get('id')}: it gets our marker in its comment", *notes)
    change = Change("privx directory", spec.name, Action.UPDATE, fields, notes)
    if dry_run:
        return DirectoryState(change, current)
    body = {k: v for k, v in spec.overlay(current).items() if k not in _READ_ONLY}
    privx.update_source(str(current["id"]), body)
    after = privx.get_source(str(current["id"]))
    missed = diff_fields(flatten(after), desired)
    if missed:
        names = ", ".join(f.field for f in missed)
        change = Change(
            change.resource,
            change.name,
            change.action,
            change.fields,
            (*change.notes, f"PrivX did not keep: {names} (an older PrivX may ignore these keys)"),
        )
    return DirectoryState(change, after)


def login_url(cfg: AppConfig, directory: Mapping[str, Any] | None) -> str | None:
    """The direct-login URL: a login-URL field of the server's own if it has one, else the template."""
    if directory is None:
        return None
    for holder in (directory, directory.get("connection") or {}):
        for key in LOGIN_URL_KEYS:
            value = holder.get(key)
            if isinstance(value, str) and value.startswith(("https://", "http://")):
                return value
    return cfg.privx.login_url_template.format(base_url=cfg.privx_url, directory_id=directory["id"])


# -- grants: a Cognito group gets a PrivX role -------------------------------------------------------------

ROLE_READ_ONLY = frozenset({"member_count", "created", "updated", "author"})
_EMPTY_RULES: dict[str, Any] = {"type": "GROUP", "match": "ANY", "rules": []}


def role_rule(directory_id: str, group: str) -> dict[str, Any]:
    """The rule leaf that gives a role to the users of ``directory_id`` whose tag is ``group``.

    The exact ``search_string`` form for an OIDC directory has no public example (privx-api.md §3): the user's
    tag value itself is our reading. It is decided here and only here.
    """
    return {"type": "RULE", "source": directory_id, "search_string": group, "rules": []}


def _leaves(node: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    if node.get("type") == "RULE":
        yield node
    for child in node.get("rules") or []:
        yield from _leaves(child)


def leaves(node: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    """Every RULE leaf of a ``source_rules`` tree (any of its three root shapes, or ``None``)."""
    return list(_leaves(node or {}))


def our_leaves(role: Mapping[str, Any], directory_id: str) -> list[Mapping[str, Any]]:
    """The role's rule leaves whose ``source`` is our directory: ours, whoever made the role."""
    return [leaf for leaf in leaves(role.get("source_rules")) if leaf.get("source") == directory_id]


def has_rule(role: Mapping[str, Any], directory_id: str, group: str) -> bool:
    want = role_rule(directory_id, group)["search_string"]
    return any(leaf.get("search_string") == want for leaf in our_leaves(role, directory_id))


def remove_leaves(
    role: Mapping[str, Any], directory_id: str, search_strings: set[str]
) -> tuple[dict[str, Any], set[str]]:
    """The role without our leaves for ``search_strings``, and the search strings whose leaf had to stay.

    A leaf is removed only where it sits in an ``ANY`` group: taking a condition out of an ``ALL`` group would
    widen who gets the role (the others' conditions alone would then grant it), so such a leaf stays and the
    caller reports it. Every other rule is kept as it is.
    """
    blocked: set[str] = set()

    def doomed(node: Mapping[str, Any]) -> bool:
        return bool(
            node.get("type") == "RULE"
            and node.get("source") == directory_id
            and node.get("search_string") in search_strings
        )

    def prune(node: Mapping[str, Any]) -> dict[str, Any]:
        kept = []
        for child in node.get("rules") or []:
            if doomed(child):
                if node.get("match") == "ANY":
                    continue
                blocked.add(str(child.get("search_string")))
            kept.append(prune(child))
        return {**node, "rules": kept}

    body = copy.deepcopy(dict(role))
    root = role.get("source_rules") or _EMPTY_RULES
    if doomed(root):  # a bare leaf as the root: the role is granted by our rule alone
        body["source_rules"] = copy.deepcopy(_EMPTY_RULES)
    else:
        body["source_rules"] = prune(root)
    return body, blocked


def add_leaves(role: Mapping[str, Any], new: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The role with ``new`` leaves in its top ``ANY`` group; ``None`` when the top node is an ``ALL`` group with
    rules of its own (adding ours would change what the others mean: reported, not rewritten)."""
    root = role.get("source_rules") or _EMPTY_RULES
    body = copy.deepcopy(dict(role))
    if root.get("type") == "RULE":  # a bare leaf as the root: keep it, next to ours, in an ANY group
        body["source_rules"] = {"type": "GROUP", "match": "ANY", "rules": [copy.deepcopy(dict(root)), *new]}
    elif root.get("match") == "ANY" or not root.get("rules"):
        body["source_rules"] = {**copy.deepcopy(dict(root)), "type": "GROUP", "match": root.get("match") or "ANY"}
        body["source_rules"]["rules"] = [*(root.get("rules") or []), *new]
    else:
        return None
    return body


@dataclass(frozen=True)
class RoleStep:
    """One role's part of a plan: what it changes, and how to carry it out (``None``: nothing to do)."""

    changes: tuple[Change, ...]
    apply: Callable[[], None] | None = None


def _write_role(privx: PrivXClient, role_id: str, transform: Callable[[dict[str, Any]], dict[str, Any]]) -> bool:
    """GET the role, apply ``transform``, PUT it whole if it changed; True when the read-back shows the change.

    Starting from a fresh GET keeps whatever someone changed since the plan was made.
    """
    fresh = privx.get_role(role_id)
    body = transform(fresh)
    if body == fresh:
        return True
    privx.update_role(role_id, {k: v for k, v in body.items() if k not in ROLE_READ_ONLY})
    after = privx.get_role(role_id)
    return bool(after.get("source_rules") == body.get("source_rules") or transform(after) == after)


def plan_grants(
    privx: PrivXClient,
    desired: DesiredState,
    directory_id: str,
    roles_now: list[dict[str, Any]],
    *,
    owned_permissions: Mapping[str, tuple[str, ...]] | None = None,
    delete_unused: bool = False,
    evaluate: bool = True,
) -> list[RoleStep]:
    """Converge every role towards ``desired.grants``, in both directions.

    - A configured role that is missing is created with one leaf per group it is granted to.
    - In every role (``roles_now``: all of them, listed), each leaf whose ``source`` is ``directory_id`` is ours:
      kept when a desired grant asks for it, else revoked (from ``ANY`` groups; one in an ``ALL`` group is
      reported). Rules of other directories and of others are never touched.
    - A configured role gets the leaves it lacks and the permissions it lacks (never removed).
    - A role with our marker that carries no desired grant is "unused": reported, or with ``delete_unused``
      (teardown) deleted when nothing else is in it — no other rules, and no permissions beyond
      ``owned_permissions[name]`` (the ones the config gave it).

    ``directory_id`` is :data:`KNOWN_AFTER_APPLY` in a dry run that would create the directory. Nothing is
    written here: each step's ``apply`` does that.
    """
    owned = owned_permissions or {}
    steps: list[RoleStep] = []
    by_name = {str(r.get("name")): r for r in roles_now}
    configured = {r.name for r in desired.roles}
    for spec in desired.roles:
        grants = desired.grants_of(spec.name)
        groups = ", ".join(g.group for g in grants)
        label = f"{spec.name} ← group {groups}"
        wanted = [role_rule(directory_id, g.group) for g in grants]
        if spec.name not in by_name:
            steps.append(_create_role_step(privx, spec, label, wanted, directory_id))
            continue
        steps.extend(_role_steps(privx, by_name[spec.name], spec, label, wanted, directory_id, evaluate=evaluate))
    for role in roles_now:
        name = str(role.get("name"))
        if name in configured or role.get("system"):
            continue
        ours = our_leaves(role, directory_id)
        marked = MANAGED_MARKER in str(role.get("comment") or "")
        if ours:
            steps.extend(_role_steps(privx, role, None, name, [], directory_id, evaluate=False))
        if marked:
            steps.append(_unused_role_step(privx, role, directory_id, owned.get(name, ()), delete=delete_unused))
    return steps


def _create_role_step(
    privx: PrivXClient, spec: RoleSpec, label: str, wanted: list[dict[str, Any]], directory_id: str
) -> RoleStep:
    body = {
        "name": spec.name,
        # The marker tells teardown that we made this role (it deletes it only when nothing else is in it).
        "comment": f"{spec.comment} ({MANAGED_MARKER})" if spec.comment else MANAGED_MARKER,
        "permissions": list(spec.permissions),
        "source_rules": {"type": "GROUP", "match": "ANY", "rules": wanted},
    }
    change = change_for("privx role", label, None, {"permissions": list(spec.permissions), "source_rules": wanted})

    def apply() -> None:
        role_id = privx.create_role(body)
        # Found by name after a 409 or a lost answer (a concurrent run made it): make sure our leaves are in it.
        _write_role(privx, role_id, lambda r: _with_grants(r, wanted, spec.permissions) or r)

    return RoleStep((change,), apply)


def _with_grants(
    role: Mapping[str, Any], wanted: list[dict[str, Any]], permissions: tuple[str, ...]
) -> dict[str, Any] | None:
    have = {leaf.get("search_string") for leaf in our_leaves(role, wanted[0]["source"])} if wanted else set()
    new = [leaf for leaf in wanted if leaf["search_string"] not in have]
    body: dict[str, Any] | None = add_leaves(role, new) if new else copy.deepcopy(dict(role))
    if body is None:
        return None
    missing = [p for p in permissions if p not in (role.get("permissions") or [])]
    if missing:
        body["permissions"] = [*(role.get("permissions") or []), *missing]
    return body


def _role_steps(
    privx: PrivXClient,
    role: Mapping[str, Any],
    spec: RoleSpec | None,
    label: str,
    wanted: list[dict[str, Any]],
    directory_id: str,
    *,
    evaluate: bool,
) -> list[RoleStep]:
    """Grant and revoke in one existing role (one PUT for both)."""
    name = str(role.get("name"))
    wanted_strings = {leaf["search_string"] for leaf in wanted}
    have = {str(leaf.get("search_string")) for leaf in our_leaves(role, directory_id)}
    revoke = sorted(have - wanted_strings)
    new = [leaf for leaf in wanted if leaf["search_string"] not in have]
    permissions = spec.permissions if spec else ()
    missing_permissions = [p for p in permissions if p not in (role.get("permissions") or [])]

    changes: list[Change] = []
    body, blocked = remove_leaves(role, directory_id, set(revoke))
    for search in revoke:
        what = f"{name} ← group {search}"
        if search in blocked:
            changes.append(
                Change(
                    "privx role",
                    what,
                    Action.NOOP,
                    notes=(
                        "not revoked: our rule sits in an ALL group; removing it would widen who gets the role. "
                        "Remove it by hand",
                    ),
                )
            )
        else:
            changes.append(Change("privx role", what, Action.DELETE, verb="revoke"))
    fields: list[FieldChange] = []
    notes: list[str] = []
    if new:
        added = add_leaves(body, new)
        if added is None:
            root = role.get("source_rules") or {}
            notes.append(
                f"not changed: the role's rules are a {root.get('match', '?')} group; adding our rule would change "
                f"what the others mean. Add a rule for tag(s) {', '.join(n['search_string'] for n in new)} of "
                f"directory {directory_id} by hand"
            )
        else:
            count = len(leaves(role.get("source_rules")))
            fields.append(FieldChange("source_rules", f"{count} rule(s)", " ".join(f"+ {leaf}" for leaf in new)))
            body = added
    if missing_permissions:
        body["permissions"] = [*(role.get("permissions") or []), *missing_permissions]
        fields.append(FieldChange("permissions", role.get("permissions") or [], body["permissions"]))
    if evaluate and fields and directory_id != KNOWN_AFTER_APPLY:
        matched = privx.evaluate_role(body)
        if matched is not None:
            notes.append(f"would match {matched} user(s) today")
    if spec is not None:
        changes.insert(
            0, Change("privx role", label, Action.UPDATE if fields else Action.NOOP, tuple(fields), tuple(notes))
        )
    writes = bool(fields) or any(c.action is Action.DELETE for c in changes)
    if not writes:
        return [RoleStep(tuple(changes))]
    revoked = set(revoke) - blocked

    def transform(fresh: dict[str, Any]) -> dict[str, Any]:
        out, _ = remove_leaves(fresh, directory_id, revoked)
        if new:
            out = _with_grants(out, new, permissions) or out
        elif missing_permissions:
            out = _with_grants(out, [], permissions) or out
        return out

    def apply() -> None:
        if not _write_role(privx, str(role["id"]), transform):
            raise PrivXAPIError(
                f"PrivX did not keep the new rules of role {name}",
                "check the role in PrivX; run setup again",
            )

    return [RoleStep(tuple(changes), apply)]


def _unused_role_step(
    privx: PrivXClient, role: Mapping[str, Any], directory_id: str, owned: tuple[str, ...], *, delete: bool
) -> RoleStep:
    """A role we created that no desired grant uses any more: reported, or deleted (teardown) when empty."""
    name = str(role.get("name"))
    remaining = [leaf for leaf in leaves(role.get("source_rules")) if leaf.get("source") != directory_id]
    extra_permissions = sorted(set(role.get("permissions") or []) - set(owned))
    if not delete:
        return RoleStep(
            (
                Change(
                    "privx role",
                    name,
                    Action.NOOP,
                    notes=(
                        "unused: created by cognito-privx, no grant of this config uses it; teardown deletes it "
                        "if nothing else is in it",
                    ),
                ),
            )
        )
    if remaining or extra_permissions:
        why = []
        if remaining:
            why.append(f"{len(remaining)} rule(s) of others")
        if extra_permissions:
            why.append(f"permissions {', '.join(extra_permissions)}")
        return RoleStep((Change("privx role", name, Action.NOOP, notes=(f"kept: it holds {' and '.join(why)}",)),))

    def apply() -> None:
        fresh = privx.get_role(str(role["id"]))
        others = [leaf for leaf in leaves(fresh.get("source_rules")) if leaf.get("source") != directory_id]
        if not others and not set(fresh.get("permissions") or []) - set(owned):
            privx.delete_role(str(role["id"]))

    return RoleStep(
        (Change("privx role", name, Action.DELETE, notes=("created by cognito-privx; nothing else in it",)),), apply
    )
