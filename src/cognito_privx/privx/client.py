"""The PrivX API client: every call cognito-privx makes, each an authenticated exchange under the retry policy,
over an injected ``httpx.Client``."""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any, NewType

import httpx

from cognito_privx.config import PrivXCredentials
from cognito_privx.desired import is_rehearsal
from cognito_privx.errors import AmbiguousResourceError, PrivXAPIError, PrivXNotFoundError
from cognito_privx.privx import answers
from cognito_privx.privx.auth import PrivXAuth
from cognito_privx.privx.transport import (
    ROLES_PATH,
    SOURCES_PATH,
    STATUS_PATH,
    TOKEN_PATH,
    connection_error,
    create_verdict,
    error_for,
    repeat_error,
    repeat_response,
)
from cognito_privx.retry import RetryPolicy, retry_after

# The logger keeps the name it had before the package split (``--debug`` prints it).
log = logging.getLogger("cognito_privx.privx")

DirectoryId = NewType("DirectoryId", str)

# Seconds; the n-th retry waits up to base * 2**n (full jitter, cognito_privx.retry). Tests lower it.
DEFAULT_RETRY_BASE = 0.5
# The largest page PrivX serves (docs/privx-api.md#roles: limit max 1000).
ROLE_PAGE = 1000
# Role fields PrivX reports but a role body sent back must not carry.
ROLE_READ_ONLY = frozenset({"member_count", "created", "updated", "author"})


class PrivXClient:
    """The PrivX calls cognito-privx makes. ``observer`` sees ``(method, path)`` of every request sent.

    ``retry`` is the policy for every request (default: ``max_attempts`` attempts from ``DEFAULT_RETRY_BASE``).
    """

    def __init__(
        self,
        http: httpx.Client,
        credentials: PrivXCredentials,
        *,
        clock: Callable[[], float] = time.monotonic,
        observer: Callable[[str, str], None] | None = None,
        max_attempts: int = 4,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.http = http
        self.auth = PrivXAuth(credentials, http.build_request, clock=clock)
        self.retry = retry if retry is not None else RetryPolicy(attempts=max_attempts, base=DEFAULT_RETRY_BASE)
        self._observer = observer
        # Every request, the log-ins and repeats included, passes the client's request hooks.
        http.event_hooks = {**http.event_hooks, "request": [*http.event_hooks["request"], self._observe]}

    # -- transport ------------------------------------------------------------------------------------------

    def _observe(self, request: httpx.Request) -> None:
        if self._observer is not None:  # first: it may stop the request (a read-only pass's first write)
            self._observer(request.method, request.url.path)
        log.debug("privx %s %s", request.method, request.url.path)

    def _send(self, method: str, path: str, *, auth: httpx.Auth | None = None, **kwargs: Any) -> httpx.Response:
        """One exchange (with its log-in, if any) under the retry policy (:mod:`cognito_privx.retry`)."""

        def attempt() -> httpx.Response:
            try:
                return self.http.request(method, path, auth=auth, **kwargs)
            except httpx.TransportError as e:
                raise connection_error(self.http.base_url, e) from e

        return self.retry.call(
            attempt,
            retry_error=repeat_error,
            retry_result=repeat_response,
            wait_hint=lambda response: retry_after(response.status_code, response.headers),
        )

    def login(self) -> None:
        """Authenticate now, so bad credentials fail before anything is changed anywhere."""
        if self.auth.needs_login():
            response = self._send("POST", TOKEN_PATH, **self.auth.grant())
            if not self.auth.accept(response):
                raise error_for("POST", TOKEN_PATH, response)

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: Mapping[str, Any] | None = None,
        shape: type[answers.Answer] | None = None,
    ) -> Any:
        """An authenticated call; the decoded JSON body (``None`` when empty). With ``shape``, the body (an empty
        one read as ``{}``) is checked against that answer model first (:func:`answers.check`) and handed back
        as PrivX sent it. Raises :class:`PrivXError`; a body of another shape :class:`PrivXAPIError`."""
        response = self._send(method, path, auth=self.auth, json=json_body, params=params)
        if not response.is_success:
            raise error_for(method, path, response)
        body = self._decode(method, path, response)
        if shape is not None:
            answers.check(shape, body, method, path, response.status_code)
            return {} if body is None else body
        return body

    @staticmethod
    def _decode(method: str, path: str, response: httpx.Response) -> Any:
        if not response.content:
            return None
        try:
            return response.json()
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise PrivXAPIError(
                f"PrivX answered {method} {path} with a body that is not JSON",
                "check that [privx] url points at PrivX itself, not a proxy or login page",
                status=response.status_code,
            ) from e

    # -- API ------------------------------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        """The unauthenticated status document (version etc.)."""
        response = self._send("GET", STATUS_PATH)
        if not response.is_success:
            raise error_for("GET", STATUS_PATH, response)
        try:
            body: dict[str, Any] = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise PrivXAPIError(
                f"{self.http.base_url} does not look like PrivX (its status is not JSON)",
                "check [privx] url / PRIVX_API_BASE_URL",
            ) from e
        answers.check(answers.Status, body, "GET", STATUS_PATH, response.status_code)
        return body

    def list_sources(self) -> list[dict[str, Any]]:
        body = self.request("GET", SOURCES_PATH, shape=answers.Sources)
        items: list[dict[str, Any]] = body.get("items") or []
        return items

    def get_source(self, source_id: str) -> dict[str, Any]:
        source: dict[str, Any] = self.request("GET", f"{SOURCES_PATH}/{source_id}", shape=answers.Source)
        return source

    def _create(self, path: str, body: Mapping[str, Any], lookup: Callable[[], str | None]) -> str:
        """POST a new object, never two: when its outcome is unknown (a lost response, a gateway error) or the name
        is taken meanwhile, the object is looked up by name first, and only when absent is it created again."""
        return self.retry.create_once(
            lambda: str(self.request("POST", path, json_body=body, shape=answers.Created)["id"]), lookup, create_verdict
        )

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
        # Unknown names may be skipped, answered with a stub without an id, or refused (404): all mean absent
        # (docs/privx-api.md#open-questions).
        try:
            body = self.request("POST", ROLES_PATH + "/resolve", json_body=names, shape=answers.RoleRefs)
        except PrivXNotFoundError:
            return {r["name"]: r for r in self._resolve_one_by_one(names)}
        return {str(r["name"]): r for r in body.get("items") or [] if r.get("name") in names and r.get("id")}

    def _resolve_one_by_one(self, names: list[str]) -> list[dict[str, Any]]:
        """After a 404 for the batch (a server that refuses it when one name is unknown), each name alone."""
        found = []
        for name in names:
            try:
                body = self.request("POST", ROLES_PATH + "/resolve", json_body=[name], shape=answers.RoleRefs)
            except PrivXNotFoundError:
                continue
            found += [r for r in body.get("items") or [] if r.get("name") == name and r.get("id")]
        return found

    def get_role(self, role_id: str) -> dict[str, Any]:
        role: dict[str, Any] = self.request("GET", f"{ROLES_PATH}/{role_id}", shape=answers.Role)
        return role

    def create_role(self, body: Mapping[str, Any]) -> str:
        def lookup() -> str | None:
            found = self.resolve_roles([str(body.get("name"))]).get(str(body.get("name")))
            return str(found["id"]) if found else None

        return self._create(ROLES_PATH, body, lookup)

    def update_role(self, role_id: str, body: Mapping[str, Any]) -> None:
        self.request("PUT", f"{ROLES_PATH}/{role_id}", json_body=body)

    def evaluate_role(self, body: Mapping[str, Any]) -> int | None:
        """How many users a role definition would match today (a preview for the plan), the login rehearsal's
        identities left out (:func:`~cognito_privx.desired.is_rehearsal`: the tool's, not people); ``None`` when
        PrivX cannot tell (not offered, or failing). A 400 is raised, as :meth:`evaluate` explains."""
        result = self.evaluate(body)
        if result is None:
            return None
        return sum(1 for u in result if not is_rehearsal(str(u.get("email") or u.get("principal") or "")))

    def evaluate(self, body: Mapping[str, Any]) -> list[dict[str, Any]] | None:
        """The users a role definition would match today (``roles/evaluate``); ``None`` when PrivX does not offer
        it (404) or failed (5xx). A 400 is raised: it is PrivX saying the rules are wrong, never to be swallowed
        (docs/privx-api.md#role-rules)."""
        role = {k: v for k, v in body.items() if k not in ROLE_READ_ONLY and k != "id"}
        try:
            result = self.request("POST", ROLES_PATH + "/evaluate", json_body=role, shape=answers.Users)
        except PrivXNotFoundError as e:
            log.debug("privx: roles/evaluate not offered: %s", e.message)
            return None
        except PrivXAPIError as e:
            if e.status == 400:
                raise
            log.debug("privx: roles/evaluate failed: %s", e.message)
            return None
        items: list[dict[str, Any]] = result.get("items") or []
        return items

    def user_roles(self, user_id: str) -> list[dict[str, Any]]:
        """The roles PrivX gives a user now (``GET /users/{id}/roles``, privx-sdk-go ``GetUserRoles``)."""
        body = self.request("GET", f"/role-store/api/v1/users/{user_id}/roles", shape=answers.RoleRefs)
        items: list[dict[str, Any]] = body.get("items") or []
        return items

    def search_users(self, source_id: str, limit: int = 50, *, newest_first: bool = False) -> list[dict[str, Any]]:
        """Users of one directory (``POST /users/search`` with ``source``; the first ``limit``; with
        ``newest_first`` the most recently updated first: ``sortkey=updated&sortdir=DESC``, the Go SDK's sort
        filter). An OIDC user exists in PrivX only after a first login (docs/privx-api.md#users)."""
        sort = {"sortkey": "updated", "sortdir": "DESC"} if newest_first else {}
        body = self.request(
            "POST",
            "/role-store/api/v1/users/search",
            json_body={"source": source_id},
            params={"limit": limit, **sort},
            shape=answers.Users,
        )
        items: list[dict[str, Any]] = body.get("items") or []
        return items

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
        """Every role, paged (``offset``/``limit``; stop at ``count`` or a short page, docs/privx-api.md#paging)."""
        roles: list[dict[str, Any]] = []
        while True:
            body = self.request(
                "GET", ROLES_PATH, params={"offset": len(roles), "limit": ROLE_PAGE}, shape=answers.Roles
            )
            page: list[dict[str, Any]] = body.get("items") or []
            roles.extend(page)
            if len(page) < ROLE_PAGE or len(roles) >= int(body.get("count") or 0):
                return roles
