"""PrivX's use of the IdP's refresh token: a session refresh, triggered by the harness (choice 22 in :mod:`.core`).

What is public: "PrivX requires continued access to the OIDC provider for updated group and role information.
Ensure your OIDC provider is configured to issue access and refresh tokens" (PrivX docs,
openid-connect-authentication); "For active PrivX users, permission changes take effect when their access token
is refreshed" (docs, granting-user-permissions). When and how often PrivX uses the IdP's refresh token is **not
published**, so the emulator never refreshes by itself: the harness asks (:meth:`PrivXEmulator.refresh_sessions`,
``POST /_emulator/sessions/refresh``), and a test decides when PrivX "has refreshed".

The reading (unverified beyond the quotes above):

- A login through the IdP (choice 19) keeps the IdP's ``refresh_token``, when the token response has one, with the
  session it opens (:class:`IdpGrant`: the provider's endpoints as discovered, the directory, the client id, the
  ``sub``). It is a secret: no route and no ``/_emulator/state`` ever shows it (it is not in the session's fields).
- A refresh takes each **valid** session that has one (of one user, if asked) and POSTs ``grant_type=refresh_token``
  to the provider's ``token_endpoint`` with the directory's client id and its stored secret **now**, by HTTP Basic
  as the code exchange does (:func:`.oidc.refresh`), the emulator's lock released while the IdP answers.
- Refused (an ``{"error"}`` answer such as ``invalid_grant`` after a global sign-out, a disable or a deletion in
  Cognito; any status but 200; an answer without ``access_token``; an ID token that fails a check): the session
  **ends** (``logged_out``, as a termination does), and with it the roles it carried: PrivX has lost the IdP for
  that user. The refresh token is forgotten.
- An answer with an ``id_token``: it is verified as at a login (:func:`.oidc.verify`: signature by the JWKS, the
  directory's ``oidc_issuer`` now, ``aud``, ``exp``, ``token_use``) except the nonce, which a refreshed token
  cannot carry from a login (``nonce=None``; this path only); its ``sub`` must be the login's (OIDC Core 12.2,
  else ``invalid_token``, ended). The PrivX user is then updated from the new claims exactly as a login does
  (:meth:`.Users.login`: tags, so roles, follow the new group); a login PrivX would now refuse (the directory
  disabled, ``oidc_allow_login_tag`` missing) ends the session. The session stays valid otherwise.
- An answer without ``id_token`` (OIDC allows it): the user is left as it is and the session stays; only the
  tokens were renewed. A new ``refresh_token`` in the answer (rotation) replaces the kept one when the variant's
  ``rotated_refresh_token`` is ``kept`` (the default); with ``ignored`` the login's token stays, so once the IdP
  has rotated it out (Cognito: after ``RetryGracePeriodSeconds``) the next refresh is refused and the session ends.
  Else the old stays.
- No answer at all (connection error, timeout) or a JWKS that cannot be fetched: nothing is known, so nothing
  changes: the session stays, **skipped** with the error (the reading worst for offboarding: the tool must end
  sessions itself, not count on PrivX's refresh).
- A session without an IdP refresh token (made by :meth:`PrivXEmulator.login_user` or ``POST /_emulator/users``)
  is **skipped**. So is one that ended while the IdP answered.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import httpx

from cognito_privx.sandbox.emulator import oidc
from cognito_privx.sandbox.emulator.wire import ApiError, not_found

if TYPE_CHECKING:
    from cognito_privx.sandbox.emulator.core import PrivXEmulator
    from cognito_privx.sandbox.emulator.sessions import Sessions
    from cognito_privx.sandbox.emulator.users import Users

# Failures that mean "no answer": the session is left as it is (see the module docstring).
_NO_ANSWER = frozenset({"token_endpoint_unreachable", "jwks_unavailable"})


@dataclass(frozen=True)
class IdpGrant:
    """What a login through the IdP keeps for a later refresh. ``refresh_token`` is a secret: kept out of ``repr``
    and out of every answer."""

    directory_id: str
    client_id: str
    sub: str
    provider: oidc.Provider
    refresh_token: str = field(repr=False)


@dataclass(frozen=True)
class _Job:
    sid: str
    user_id: str
    grant: IdpGrant
    provider: oidc.Provider  # with the directory's issuer as configured when the refresh started
    secret: str


@dataclass(frozen=True)
class _Answer:
    failed: oidc.LoginFailed | None = None
    claims: dict[str, Any] | None = None
    refresh_token: str | None = None


class SessionRefresh:
    """Runs a refresh (see the module docstring); ``refreshes`` records every session's outcome, in order, as in
    the summary (``{id, user_id, outcome, error?}``)."""

    def __init__(self, emu: PrivXEmulator, lock: threading.Lock, sessions: Sessions, users: Users) -> None:
        self._emu = emu
        self._lock = lock
        self._sessions = sessions
        self._users = users
        self.refreshes: list[dict[str, Any]] = []

    def check_user(self, user_id: str | None) -> None:
        """404 ``OBJECT_NOT_FOUND`` for a user id PrivX does not know (lock held)."""
        if user_id is not None and user_id not in self._emu.users:
            raise not_found("user", user_id)

    def run(self, user_id: str | None) -> dict[str, Any]:
        """Refresh the valid sessions (of ``user_id`` if given): ``{refreshed, ended, skipped, sessions: [{id,
        user_id, outcome, error?}]}``. Called with the lock released; takes it only to touch state."""
        with self._lock:
            plan = self._plan(user_id)
            http = self._emu.oidc_client()
        results: list[dict[str, Any]] = []
        for item in plan:
            if isinstance(item, dict):
                with self._lock:
                    results.append(self._record(item))
                continue
            answer = _ask(http, item)
            with self._lock:
                results.append(self._record(self._apply(item, answer)))
        counts = {o: sum(r["outcome"] == o for r in results) for o in ("refreshed", "ended", "skipped")}
        return {**counts, "sessions": results}

    # -- lock held ------------------------------------------------------------------------------------------

    def _plan(self, user_id: str | None) -> list[_Job | dict[str, Any]]:
        plan: list[_Job | dict[str, Any]] = []
        for s in self._sessions.valid():
            if user_id is not None and s["user_id"] != user_id:
                continue
            entry = {"id": s["id"], "user_id": s["user_id"]}
            grant = self._sessions.idp_grants.get(s["id"])
            if grant is None:
                plan.append(entry | {"outcome": "skipped"})
                continue
            source = self._emu.sources.get(grant.directory_id)
            conn = source.get("connection") if source else None
            if not isinstance(conn, dict) or conn.get("type") != "OIDC":
                self._sessions.end(s["id"])
                why = f"directory_unavailable: directory {grant.directory_id} is no longer an OIDC directory"
                plan.append(entry | {"outcome": "ended", "error": why})
                continue
            provider = replace(grant.provider, issuer=str(conn.get("oidc_issuer") or ""))
            secret = str(conn.get("oidc_client_secret") or "")  # the stored secret, never the mask
            plan.append(_Job(s["id"], s["user_id"], grant, provider, secret))
        return plan

    def _apply(self, job: _Job, answer: _Answer) -> dict[str, Any]:
        entry: dict[str, Any] = {"id": job.sid, "user_id": job.user_id}
        if not self._sessions.is_valid(job.sid):
            return entry | {"outcome": "skipped", "error": "the session ended while the IdP answered"}
        if answer.failed is not None:
            why = f"{answer.failed.code}: {answer.failed.description}"
            if answer.failed.code in _NO_ANSWER:
                return entry | {"outcome": "skipped", "error": why}
            return self._end(entry, why)
        claims = answer.claims
        if claims is not None:
            if claims.get("sub") != job.grant.sub:
                return self._end(entry, "invalid_token: the refreshed ID token's sub is not the login's")
            try:
                self._users.login(job.grant.directory_id, claims)
            except ApiError as e:
                code = "login_not_allowed" if e.status == 403 else "login_refused"
                return self._end(entry, f"{code}: {e.message}")
        keeps = self._emu.variant.rotated_refresh_token == "kept"
        if answer.refresh_token is not None and keeps and job.sid in self._sessions.idp_grants:
            self._sessions.idp_grants[job.sid] = replace(job.grant, refresh_token=answer.refresh_token)
        return entry | {"outcome": "refreshed"}

    def _end(self, entry: dict[str, Any], why: str) -> dict[str, Any]:
        self._sessions.end(entry["id"])
        return entry | {"outcome": "ended", "error": why}

    def _record(self, result: dict[str, Any]) -> dict[str, Any]:
        self.refreshes.append(dict(result))
        return result


def _ask(http: httpx.Client, job: _Job) -> _Answer:
    """The IdP's answer to the refresh (lock released)."""
    try:
        tokens = oidc.refresh(http, job.provider, job.grant.refresh_token, job.grant.client_id, job.secret)
        id_token = tokens.get("id_token")
        claims = None
        if id_token is not None:
            if not isinstance(id_token, str) or not id_token:
                raise oidc.LoginFailed(502, "invalid_token_response", "the refresh answer's id_token is not a JWT")
            claims = oidc.verify(http, job.provider, id_token, job.grant.client_id, None)
    except oidc.LoginFailed as e:
        return _Answer(failed=e)
    rotated = tokens.get("refresh_token")
    return _Answer(claims=claims, refresh_token=rotated if isinstance(rotated, str) and rotated else None)
