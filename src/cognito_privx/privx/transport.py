"""How a PrivX request travels: the paths, the httpx client, PrivX's error bodies mapped to the error tree, and
which failed requests are harmless to repeat.

:data:`READ_ONLY_POSTS` and :func:`only_reads` are the one list of PrivX calls that change nothing.
"""

from __future__ import annotations

import json

import httpx

from cognito_privx import net
from cognito_privx.errors import (
    PrivXAPIError,
    PrivXAuthError,
    PrivXConnectionError,
    PrivXError,
    PrivXNotFoundError,
    PrivXPermissionError,
)
from cognito_privx.retry import Verdict, status_verdict

TOKEN_PATH = "/auth/api/v1/oauth/token"
STATUS_PATH = "/role-store/api/v1/status"
SOURCES_PATH = "/role-store/api/v1/sources"
ROLES_PATH = "/role-store/api/v1/roles"
# The PrivX calls that are POSTs but only read (path suffixes): a resolve, an evaluate or a search changes no
# PrivX object, so repeating one after a lost answer is harmless. The one list of them: the token endpoint (a
# log-in, also a POST that changes nothing) is added by :func:`only_reads`.
READ_ONLY_POSTS = (
    "/roles/resolve",
    "/roles/evaluate",
    "/sources/search",
    "/users/search",
    "/sessions/search",
    "/connections/search",
)

HINT_401 = (
    "check PRIVX_API_CLIENT_ID / PRIVX_API_CLIENT_SECRET (the API client) and "
    "PRIVX_API_OAUTH_CLIENT_ID / PRIVX_API_OAUTH_CLIENT_SECRET (the OAuth client) on PrivX's API-clients page"
)
_HINT_403_USERS = "give the API client's PrivX role the permission users-view (doctor reads the directory's users)"
_HINT_403 = "give the API client's PrivX role the permissions sources-view, sources-manage, roles-view and roles-manage"


def only_reads(method: str, path: str) -> bool:
    """Whether the PrivX request ``method path`` changes nothing: a GET or HEAD, a POST to the token endpoint (a
    log-in), or a POST to one of :data:`READ_ONLY_POSTS`. ``path`` may carry a prefix (it is matched by its end)."""
    return method in ("GET", "HEAD") or (method == "POST" and path.endswith((TOKEN_PATH, *READ_ONLY_POSTS)))


def build_http_client(
    base_url: str,
    *,
    ca_pem: str | None = None,
    timeout: float = 30.0,
    transport: httpx.BaseTransport | None = None,
) -> httpx.Client:
    """The httpx client for PrivX (:func:`cognito_privx.net.http_client`): verification always on, ``PRIVX_CA_CERT``
    added to the trust chain, the environment's proxies (docs/network.md)."""
    return net.http_client(
        net.privx_trust(ca_pem),
        base_url=base_url,
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        transport=transport,
    )


def error_text(response: httpx.Response) -> str:
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


def permission_for(method: str, path: str) -> str | None:
    """The PrivX permission the API client's role needs for ``method path`` (docs/permissions.md#privx), by the
    object the path names: ``sources-…``, ``roles-…``, ``users-…`` (the session routes too: our best reading,
    privx/sessions.py), ``connections-…``; ``…-view`` to read, ``…-manage`` (``connections-terminate``) to change.
    ``None`` for the log-in and the status."""
    reads = only_reads(method, path)
    if "/connection-manager/" in path:
        return "connections-view" if reads else "connections-terminate"
    if "/users" in path or "/sessionstorage/" in path:
        return "users-view" if reads else "users-manage"
    if path.startswith(SOURCES_PATH):
        return "sources-view" if reads else "sources-manage"
    if path.startswith(ROLES_PATH):
        return "roles-view" if reads else "roles-manage"
    return None


def error_for(method: str, path: str, response: httpx.Response) -> PrivXError:
    """The error for PrivX's failed answer to ``method path`` (or to the log-in before it); it carries the call
    (``call``) and, for a 403, the permission it needs (:func:`permission_for`)."""
    error = _error_for(method, path, response)
    error.call = (method, path)
    if isinstance(error, PrivXPermissionError):
        error.permission = permission_for(method, path)
    return error


def _error_for(method: str, path: str, response: httpx.Response) -> PrivXError:
    if response.request.url.path.endswith(TOKEN_PATH):  # the log-in before the call failed, not the call
        method, path = "POST", TOKEN_PATH
    status = response.status_code
    text = error_text(response)
    where = f"{method} {path}"
    if status == 401:
        return PrivXAuthError(f"PrivX refused the credentials on {where}: {text}", HINT_401, status=status)
    if status == 403:
        hint = _HINT_403_USERS if "/users" in path else _HINT_403
        return PrivXPermissionError(f"PrivX denied {where}: {text}", hint, status=status)
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


def connection_error(base_url: httpx.URL, e: httpx.TransportError) -> PrivXConnectionError:
    """The error for a request that met ``e`` on its way to PrivX at ``base_url``."""
    if isinstance(e, httpx.ConnectError):
        if net.is_tls_failure(e):
            error = PrivXConnectionError(
                f"TLS verification of {base_url} failed: {e}",
                "set PRIVX_CA_CERT to PrivX's CA certificate (PEM text or a path), shown on PrivX's API-clients page "
                f"(behind a TLS-inspecting proxy: its CA, see {net.DOCS})",
            )
            error.tls = True
            return error
        # Nothing was sent: repeating is always safe.
        return PrivXConnectionError(
            f"cannot connect to PrivX at {base_url}: {e}",
            "check [privx] url / PRIVX_API_BASE_URL and that PrivX is reachable from here",
        )
    if isinstance(e, httpx.ConnectTimeout):
        return PrivXConnectionError(
            f"PrivX at {base_url} did not accept a connection in time",
            "check the network and [privx] url",
        )
    if isinstance(e, httpx.TimeoutException):
        return PrivXConnectionError(
            f"PrivX at {base_url} did not answer in time ({type(e).__name__})",
            "check the network, or raise [privx] timeout",
            unknown_outcome=True,
        )
    return PrivXConnectionError(
        f"the connection to PrivX failed: {type(e).__name__}: {e}",
        "run again; it is safe to re-run",
        unknown_outcome=True,
    )


def harmless(request: httpx.Request) -> bool:
    """Whether repeating ``request`` is harmless: idempotent, or a POST that only reads or logs in."""
    return request.method in ("PUT", "DELETE") or only_reads(request.method, request.url.path)


def repeat_response(response: httpx.Response) -> bool:
    verdict = status_verdict(response.status_code)
    return verdict is Verdict.RETRY or (verdict is Verdict.UNKNOWN and harmless(response.request))


def repeat_error(error: BaseException) -> bool:
    """A connection failure is repeated unless it is TLS, or the request that met it may have been processed and
    repeating it is not harmless (a creating POST is left to ``PrivXClient._create``, which looks the object up
    first)."""
    if not isinstance(error, PrivXConnectionError) or error.tls:
        return False
    cause = error.__cause__
    return not error.unknown_outcome or (isinstance(cause, httpx.RequestError) and harmless(cause.request))


def create_verdict(error: Exception) -> Verdict:
    # PrivX documents no 409 for a taken name (v41 lists 201, 400, 401, 403, 404, 500; docs/privx-api.md#roles):
    # a 400 about the name may be one, so it is looked up too, like a 409 from servers that do send it.
    if isinstance(error, PrivXError) and (
        error.status == 409 or (error.status == 400 and "(property name)" in error.message)
    ):
        return Verdict.TAKEN
    return Verdict.UNKNOWN if isinstance(error, PrivXError) and error.unknown_outcome else Verdict.FAIL
