"""PrivXEmulator: a stateful, in-memory stand-in for the parts of the PrivX REST API that cognito-privx uses.

The facts come from ``docs/privx-api.md``. There is one framework-agnostic core,
:meth:`PrivXEmulator.dispatch`, which takes plain values and returns an :class:`EmulatorResponse`.
:meth:`PrivXEmulator.handle` adapts it to ``httpx.MockTransport`` for unit tests, and the sandbox serves
the same core as a WSGI app on werkzeug (:mod:`cognito_privx.sandbox.server`). One lock serialises every
request, so a threaded server can use it.

This module routes, authorizes and records; the routes themselves live in :mod:`.auth` (token grant),
:mod:`.login` (the direct login), :mod:`.sources`, :mod:`.roles`, :mod:`.users` and :mod:`.admin`
(``/_emulator/``); who a role's rules match in :mod:`.membership` (with :mod:`.ldapfilter`), the variants in
:mod:`.variant`, fault injection in :mod:`.faults`.

Inspection for tests (real, unmasked values): ``sources``, ``roles``, ``users`` (stored; without the computed
``roles``/``permissions``), ``requests``, ``logins`` (choice 19), ``sessions`` and ``connections`` (choices 20,
21; with :meth:`PrivXEmulator.valid_sessions` and :meth:`PrivXEmulator.live_connections`), ``builtin_source_ids`` and
:meth:`PrivXEmulator.write_requests`; :meth:`PrivXEmulator.login_user` makes users as an OIDC login would, and a
real login through an IdP makes them through ``/auth/api/v1/oidc-cb`` (choice 19).

PrivX as OIDC relying party talks to the outside: ``oidc_http`` (an ``httpx.Client``; default: one of its own with
short timeouts, closed by :meth:`PrivXEmulator.close`) and ``issuer_locator`` (issuer → where its discovery
document is served; default: the issuer itself), both constructor arguments and plain attributes.

Choices where docs/privx-api.md is unverified
---------------------------------------------
1. Token endpoint. A wrong or missing Basic header is 401 ``invalid_client`` (with
   ``WWW-Authenticate: Basic``). A wrong API client id or secret is **401** ``invalid_grant`` (RFC 6749
   would say 400). A body that is not form-encoded, or lacks ``username``/``password``, is 400
   ``invalid_request``. Every grant but ``password`` (``refresh_token`` too) is 400
   ``unsupported_grant_type``. ``expires_in`` is ``round(token_ttl)``; ``scope`` is the API client's
   permissions, space-separated. A token is valid while ``clock() < issued_at + token_ttl``.
2. Routing comes before authentication: an unknown path is 404 ``NOT_FOUND`` and a known path with the
   wrong method is 405 ``METHOD_NOT_ALLOWED`` (with ``Allow``), token or not. Paths match exactly (no
   trailing-slash folding).
3. Error codes: ``UNAUTHORIZED`` 401, ``FORBIDDEN`` 403 (names the missing permission and every permission of
   :data:`ALL_PERMISSIONS`), ``OBJECT_NOT_FOUND`` 404 for an unknown id, ``BAD_REQUEST`` 400 for an
   empty/non-JSON/wrongly shaped body, ``MISSING_PARAMETER`` / ``INVALID_PARAMETER`` 400 with ``property``
   (dotted path, e.g. ``connection.oidc_issuer`` or ``source_rules.rules[0].search_string``),
   ``GENERAL_ERROR`` 400 for deleting a built-in. A **taken name is 400** ``INVALID_PARAMETER`` with
   ``property: "name"``, never 409: the v41 docs list 201, 400, 401, 403, 404 and 500 for a create.
   ``details`` is always ``[]``.
4. Names are unique among sources and, separately, among roles; the comparison is exact (case-sensitive).
   A PUT may keep its own name. A create or PUT with a taken name is 400 (choice 3).
5. Secrets. GET shows a non-empty ``connection.oidc_client_secret`` as ``"*****"``. A PUT carrying
   ``"*****"`` keeps the stored secret (or leaves the key out when none is stored). A POST carrying
   ``"*****"`` is 400 ``INVALID_PARAMETER``: there is nothing to keep, and storing the mask would hide a
   client bug. A PUT that omits the secret drops it (full replacement).
6. Read-only fields sent by a client are ignored and replaced. Sources: ``id``, ``author``, ``created``,
   ``updated``, ``status_code`` (``"OK"``), ``status_text`` (``""``). Roles: ``id``, ``author``, ``created``,
   ``updated``, ``member_count`` (computed at each read, choice 13), ``system`` (False for roles made through
   the API). ``author`` (the API client id) and ``created`` survive a PUT; ``updated`` changes. Timestamps are
   RFC 3339 UTC from the wall clock, not from ``clock``. A create answers 201 ``{"id"}`` with ``Location:
   /role-store/api/v1/{sources|roles}/<id>`` (a path, not an absolute URL).
7. Roles: an omitted ``access_group_id`` becomes :data:`DEFAULT_ACCESS_GROUP_ID` and omitted
   ``permissions`` become ``[]``, on POST and PUT alike. Built-ins (fixed ids), both ``system: true``:
   ``privx-admin`` (every permission; ``source_rules`` an ANY group holding the RULE ``(principal=<superuser>)``
   on "Local users", so the superuser is its one member) and ``privx-user`` (no rules).
8. ``source_rules`` (:mod:`.membership`) has three valid roots, stored and returned as sent: a GROUP node, a
   single RULE leaf, and the zero-valued ``{"rules": null}`` a Go client's empty Role sends. GROUP nodes
   (``match`` ANY/ALL, ``rules`` a list or null) may nest; RULE leaves need a non-empty string ``source`` and
   a string ``search_string`` valid in the leaf's grammar (choice 18), and their ``rules`` must be absent,
   null or ``[]``. A leaf's ``source`` need not exist: a leaf on a directory the emulator does not know is
   stored unchecked (its grammar is unknown) and matches nobody. Deleting a source deletes its users and
   leaves roles untouched (its leaves then match nobody).
9. Source fields with a checked type: ``enabled`` and ``connection.oidc_enabled`` (bool), ``tags``,
   ``username_pattern`` and ``connection.oidc_additional_scopes`` (string lists). Other keys are stored as
   sent. An OIDC connection with ``oidc_enabled: true`` needs ``oidc_issuer`` and ``oidc_client_id``.
10. Built-in sources "Local users", "Local hosts" and "API clients" (types LOCAL, LOCALHOST, API-CLIENT) have
    ids drawn at random per emulator (:attr:`PrivXEmulator.builtin_source_ids`, kept across resets). They,
    and system roles, cannot be deleted (400). The one built-in user is the superuser (``superuser``,
    default ``admin``) of "Local users".
11. Paging (roles, ``users/search``, members): an empty value means the default. ``offset`` >= 0 and
    ``limit`` >= 1 must be integers (else 400); ``limit`` above 1000 is **clamped** to 1000. ``sortkey`` is
    one of ``name`` (default), ``id``, ``created``, ``updated`` for roles; ``principal`` (default), ``id``,
    ``email``, ``full_name``, ``created``, ``updated`` for users. ``sortdir`` ``ASC`` (default) or
    ``DESC``, any case; ties keep creation order. An offset past the end gives an empty page with the full
    ``count``.
12. DELETE and ``POST /sources/refresh`` answer 200 with an **empty body**. Refresh needs a JSON list of
    existing source ids (404 otherwise) and changes nothing: an OIDC directory has nothing to pull.
13. ``POST /roles/resolve`` returns exact name matches in request order, each once; an unknown name as the
    variant's ``resolve_unknown`` says (choice 18). ``POST /roles/evaluate`` checks ``source_rules`` when
    present (400 with ``property`` like a role write) and answers the users the tree matches now,
    ``{"count", "items": [User]}`` (Go SDK ``EvaluateRole``: ``ResultSet[User]``; not paged). ``GET
    /roles/{id}/members`` is the same for a stored role, paged. A role's ``member_count`` and a user's
    ``roles`` are computed at each read. Membership comes from rules only (the emulator has no explicit grants).
14. Users (:mod:`.users`; Go SDK ``User``, ``UserSearch``): ``POST /users/search`` body ``{keywords?, source?,
    user_id?: [...]}`` (a JSON object; ``keywords`` are whitespace-separated words, each found
    case-insensitively in the principal, email, full name, source user id, accounts or tags), ``GET
    /users/{id}``, ``GET /users/{id}/roles`` (``{count, items: [Role]}``, not paged), all needing
    ``users-view``. String fields and ``tags`` are left out when empty (the SDK's ``omitempty``). Users exist
    only by a login: a real one through the IdP (choice 19), or :meth:`PrivXEmulator.login_user` or ``POST
    /_emulator/users`` (:mod:`.admin`) with the ID-token claims. The principal is the first of
    ``preferred_username``, ``email``, ``sub``; ``email``, ``full_name`` (``name``, else ``given_name
    family_name``); ``tags`` the values of the directory's
    ``oidc_tags_attribute_name`` claim (a list, or one string taken whole); ``attributes`` every claim as
    ``{key, value}`` (one pair per list item; non-strings as JSON); ``unix_account`` / ``windows_account``
    from ``connection.attribute_mapping`` read in the variant's direction (choice 18). A later login with the
    same ``sub`` in the same directory updates the user in place (id and ``created`` kept). A login is
    refused for an unknown directory (404), one not OIDC (400), a disabled one (400 ``GENERAL_ERROR``),
    claims without ``sub`` (400) and a user lacking ``oidc_allow_login_tag`` when that is set (403).
15. ``write_requests()`` lists every POST/PUT/DELETE except the token grant, resolve, evaluate and
    ``users/search``, whatever its status (a refused write is still an attempted write); refresh counts.
16. Status bodies (no token) have the Go SDK's ``response.ServiceStatus`` fields: ``{variant: "privx",
    version, api_version: "v1", status: "ok", status_message: "OK", app_id: "auth" | "role-store",
    "server-mode": "NORMAL", start_time}``; ``status_details`` is empty and so left out (``omitempty``). The
    values of ``status``, ``status_message`` and ``server-mode`` are guesses.
17. Direct login (:mod:`.login`): the variant's ``login_route`` decides which one route is served; the other
    is 404 ``NOT_FOUND``. Neither needs a token. ``authorize`` (default): ``GET
    /auth/api/v1/oauth/authorize?response_type=code&client_id=privx-ui&redirect_uri=/privx/oauth-callback
    &oidc_id=<directory id>[&state=…]`` answers **307** (Go SDK v2 ``oauth/authcode.go`` expects 307); a wrong
    ``response_type``, ``client_id`` or ``redirect_uri``, a missing ``oidc_id`` or one that is not an OIDC
    directory is 400 ``INVALID_PARAMETER`` naming the parameter. ``legacy``: ``GET
    /auth/api/v1/oidc/login?directory=<id>`` answers **302**; an unknown id, a missing ``directory`` or a source
    that is not OIDC is 404 ``OBJECT_NOT_FOUND``. On either, a disabled directory (``enabled`` or
    ``oidc_enabled`` false) is 400 ``GENERAL_ERROR``. Then the issuer's discovery document is fetched (choice
    19) and the redirect is ``Location: <authorization_endpoint>?response_type=code&client_id=<oidc_client_id>
    &redirect_uri=<base_url>/auth/api/v1/oidc-cb&scope=openid+<oidc_additional_scopes>&state=<random>
    &nonce=<random>`` (PrivX's own ``state``, not the caller's). No discovery, no redirect: the emulator never
    makes up an IdP URL. A discovery document that cannot be fetched (connection error, timeout, a status but
    200, not a JSON object, no http(s) ``authorization_endpoint``, ``token_endpoint`` or ``jwks_uri``) is **502**
    ``OIDC_PROVIDER_ERROR``; one whose ``issuer`` is not the directory's ``oidc_issuer`` exactly (a trailing
    ``/``, the hosted-UI domain, another pool) is **502** ``OIDC_ISSUER_MISMATCH`` with ``property:
    connection.oidc_issuer``; both name the directory and the URL. (Real PrivX's code for these is unknown.)
18. Variants (:class:`EmulatorVariant`, chosen at construction; the defaults are the most likely real
    behaviour; the sandbox's ``--rule-grammar``, ``--login-route``, ``--attribute-mapping``,
    ``--resolve-unknown``):

    - ``rule_grammar``: ``filter`` (default): a leaf's ``search_string`` is an LDAP-style filter
      (:mod:`.ldapfilter`: ``(a=v)``, ``(&…)``, ``(|…)``, ``(!…)``, ``*`` wildcards, case-insensitive names and
      values, multi-valued attributes) over the user's ``principal``, ``email``, ``full_name``,
      ``source_user_id``, ``tags`` and ``attributes``; a malformed one in a role write or evaluate is 400
      ``INVALID_PARAMETER`` with ``property`` naming the leaf's ``search_string``. ``bare``: the
      ``search_string`` is matched exactly (case-sensitive) against the user's tags; any string is valid.
      Leaves on the built-in directories are filters in both; leaves on unknown directories are not checked
      (choice 8).
    - ``login_route``: ``authorize`` (default) or ``legacy`` (choice 17).
    - ``attribute_mapping``: ``target`` (default; ``{"unix_account": "email"}``) or ``claim``
      (``{"email": "unix_account"}``); keys (or values) other than ``unix_account`` / ``windows_account`` are
      ignored, so a map written the other way round yields no account.
    - ``resolve_unknown``: ``empty`` (default; the unknown name is skipped, so a lone one gives ``{"count": 0,
      "items": []}``), ``partial`` (a stub ``{"id": "", "name": <name>}`` in its place, counted), ``404``
      (``OBJECT_NOT_FOUND`` for the whole request if any name is unknown).
    - ``rotated_refresh_token``: ``kept`` (default; a refresh answer's new refresh token replaces the kept one, as
      ``golang.org/x/oauth2``'s token source does) or ``ignored`` (PrivX keeps using the one from the login, so
      with Cognito's rotation its next refresh after the grace period is refused and the session ends; choice 22).
19. PrivX as OIDC relying party (:mod:`.login`, :mod:`.oidc`). The checks follow the common Go OIDC stack
    (``coreos/go-oidc`` and ``golang.org/x/oauth2``; which library PrivX uses is not public), never laxer than
    Cognito or its sandbox stand-in:

    - Discovery at ``issuer_locator(oidc_issuer)`` (default: the issuer) without a trailing ``/``, plus
      ``/.well-known/openid-configuration`` (go-oidc ``NewProvider``); its ``issuer`` must equal ``oidc_issuer``
      character for character (choice 17). Fetched anew at each authorize (no cache); the endpoints it names
      are kept with the login's state.
    - ``state`` and ``nonce`` are 24 random bytes each (URL-safe base64), remembered with the directory id and
      the redirect URI for ``login_state_ttl`` seconds (default 600) of ``clock``; a state is used once, even by
      a callback that fails.
    - ``GET /auth/api/v1/oidc-cb?code=…&state=…`` (or ``?error=…&error_description=…&state=…``) needs no token
      and answers a small HTML page (``text/html; charset=utf-8``, ``Cache-Control: no-store``); real PrivX
      would go on to its web UI, the emulator stops at a page a test or a browser can read. On success, 200::

          <h1>Signed in as <principal></h1>
          <dl id="user"><dt>User id</dt><dd id="user-id">…</dd><dt>Principal</dt><dd id="principal">…</dd>
          <dt>Email</dt><dd id="email">…</dd><dt>Directory</dt><dd id="directory">…</dd>
          <dt>Tags</dt><dd id="tags">ops, dev</dd></dl>
          <h2>Roles</h2>
          <ul id="roles"><li>ops-admins</li><li>developers</li></ul>

      (each ``<dl>`` on one line, the roles in creation order, ``<ul id="roles"></ul>`` when none). On failure::

          <h1>Sign-in failed</h1>
          <p id="error">invalid_client</p>
          <p id="error_description">…</p>

    - The steps, and the status and ``error`` of each failure: the state unknown, used or expired: **400**
      ``invalid_state``; the IdP's error redirect: **401** with the IdP's own ``error`` (``access_denied``,
      ``invalid_scope``, …) and ``error_description``; neither code nor error: 400 ``invalid_request``; the
      directory deleted or no longer OIDC meanwhile: 400 ``directory_unavailable``. Then the code goes to the
      ``token_endpoint`` (``grant_type=authorization_code``, ``code``, the same ``redirect_uri``) with the
      directory's ``oidc_client_id`` and its stored secret (never the mask) by HTTP Basic, each form-encoded
      first (RFC 6749 §2.3.1; x/oauth2 ``AuthStyleInHeader``); an ``{"error": …}`` answer is **401** with the
      IdP's code (``invalid_client`` for a wrong secret, ``invalid_grant`` for a bad, used or expired code);
      an answer without ``access_token`` or ``id_token``, or not JSON, is **502** ``invalid_token_response``,
      no connection **502** ``token_endpoint_unreachable``. The ID token is checked against the JWKS at
      ``jwks_uri`` (**502** ``jwks_unavailable`` when it cannot be fetched), all **401**: not a JWT
      ``invalid_token``; not RS256, no key with its ``kid``, or a bad signature ``invalid_signature``; ``iss``
      not the directory's ``oidc_issuer`` exactly (as configured now) ``invalid_issuer``; ``aud`` not holding
      the client id ``invalid_audience``; ``exp`` past (no leeway) ``token_expired``; ``iat`` in the future, or
      ``iss``/``aud``/``exp``/``iat``/``sub`` missing ``invalid_token``; ``nonce`` not the one sent
      ``invalid_nonce``; ``token_use`` not ``id`` ``invalid_token_use``.
    - A verified token logs the user in with all its claims, as :meth:`PrivXEmulator.login_user` does (choice
      14: tags from ``oidc_tags_attribute_name``, a string or a list, none when the claim is absent; same
      ``sub``, same user); a user lacking ``oidc_allow_login_tag`` is **403** ``login_not_allowed`` (no user
      made), the directory disabled meanwhile 400 ``login_refused``. The roles are computed from the role
      rules in the variant's grammar (choice 18).
    - ``logins`` records every callback, in order, as ``{directory_id, status, error, error_description,
      user_id, new_user, principal, email, tags, roles, claims}``: ``error`` None and ``roles`` the role names
      on success; ``claims`` the verified ID token's claims once verified (else None); ``directory_id`` None
      when the state was unknown or used. ``reset`` clears it and forgets logins under way.
    - No outbound request is made with the emulator's lock held (:func:`.wire.deferred`): a slow IdP holds up
      that login only. The request is recorded in ``requests`` when its answer is known.
20. Login sessions (:mod:`.sessions`; privx-sdk-go ``api/auth``: routes and the ``Session`` / ``SessionSearch``
    models; paths also in privx-sdk-for-python ``enums.py``). Each successful login (choice 14 or 19) opens one
    session of ``type`` ``user`` (``domain``, ``remote_addr``, ``user_agent`` empty; ``parent_session_id`` left
    out, the SDK's ``omitempty``), valid for ``session_ttl`` seconds of ``clock`` (default 12 h; ``token_expires``
    after ``token_ttl``, at most the session's end). **Unverified** where public sources are silent: the
    permission to list and search is ``users-view``, to terminate ``users-manage`` (403 ``FORBIDDEN`` without);
    ``GET …/users/{id}/sessions`` and ``…/sources/{id}/sessions`` list only **valid** sessions (the SDK: "get
    valid sessions"), paged as choice 11 (sort keys ``created`` (default), ``updated``, ``expires``,
    ``username``, ``type``, ``id``); an unknown source is 404, an unknown user an empty list; ``POST
    …/sessions/search`` (body a JSON object of ``keywords``, ``user_id``, ``type``, strings; another key is 400
    ``INVALID_PARAMETER``; no body 400) returns **every** stored session, ended ones too with ``logged_out:
    true`` (the strict reading: a caller must read ``logged_out``); ``keywords`` match ``username``,
    ``remote_addr``, ``user_agent``, ``domain``, case-insensitively. Terminating sets ``logged_out: true`` and
    ``updated``; the session is kept (listed by search, in ``sessions``) and never valid again; terminating an
    ended session again is 200; an unknown session or user id 404 ``OBJECT_NOT_FOUND``; a request body is
    ignored (the SDKs send none, ``Post(nil)``); the answer is 200 with an empty body. Sessions (and
    connections) of a deleted directory's users go with them; ``reset`` clears both.
21. Connections (:mod:`.connections`; privx-sdk-go ``api/connectionmanager``; fields of its ``Connection``):
    only the harness opens one (``POST /_emulator/connections`` or :meth:`PrivXEmulator.open_connection`):
    ``{id, type: "SSH", user: {id, display_name}, target_host: {id: <host>}, connected, created, updated,
    status: "CONNECTED"}``. ``POST /connection-manager/api/v1/terminate/{user|connection|host}/{id}`` needs
    ``connections-terminate`` (role-store roles schema, v41) and answers 200 with an empty body; each live
    connection it reaches becomes ``status: "DISCONNECTED"`` with ``disconnected``, ``updated_by`` (the API
    client) and ``termination_reason``, and is kept. **Unverified**: an unknown user or connection id is 404
    ``OBJECT_NOT_FOUND`` (a host is not checked: the emulator has no host store); a user with no live connection,
    or ending an ended one, is 200. ``POST /connection-manager/api/v1/connections/search`` (Go SDK
    ``SearchConnections``) filters on ``id``, ``user_id``, ``status`` (lists) and refuses any other non-empty
    ``ConnectionSearch`` filter with 400; its permission ``connections-view`` is unverified.
22. PrivX's use of the IdP's refresh token (:mod:`.refresh`, where the full reading is). Public: PrivX "requires
    continued access to the OIDC provider for updated group and role information" and needs refresh tokens
    (docs: openid-connect-authentication); permission changes reach active users when their token is refreshed
    (docs: granting-user-permissions). **When** PrivX refreshes is not published, so only the harness triggers it:
    :meth:`PrivXEmulator.refresh_sessions` / ``POST /_emulator/sessions/refresh``. A login through the IdP keeps
    the IdP's ``refresh_token`` with its session (never shown anywhere). A refresh POSTs ``grant_type=
    refresh_token`` (client by HTTP Basic, lock released) for each valid session holding one: refused or not 200
    → the session ends (``logged_out``); a new ID token (verified as at a login, without the nonce; same ``sub``)
    → the user is updated as a login does (tags, so roles, follow the IdP), the session stays, a rotated refresh
    token replaces the old; no ID token → user unchanged; no answer → nothing changes (``skipped``). Sessions a
    harness login opened have no refresh token: ``skipped``. ``refreshes`` records every outcome.

"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import httpx

from cognito_privx.sandbox.emulator.admin import PREFIX as ADMIN_PREFIX
from cognito_privx.sandbox.emulator.admin import Admin
from cognito_privx.sandbox.emulator.auth import TOKEN_PATH, Auth
from cognito_privx.sandbox.emulator.connections import Connections
from cognito_privx.sandbox.emulator.faults import Fault, FaultRegistry
from cognito_privx.sandbox.emulator.login import DEFAULT_STATE_TTL, DirectLogin
from cognito_privx.sandbox.emulator.membership import Membership
from cognito_privx.sandbox.emulator.oidc import DEFAULT_TIMEOUT as OIDC_TIMEOUT
from cognito_privx.sandbox.emulator.refresh import IdpGrant, SessionRefresh
from cognito_privx.sandbox.emulator.roles import Roles
from cognito_privx.sandbox.emulator.sessions import DEFAULT_SESSION_TTL, Sessions
from cognito_privx.sandbox.emulator.sources import Sources
from cognito_privx.sandbox.emulator.users import Users
from cognito_privx.sandbox.emulator.variant import EmulatorVariant
from cognito_privx.sandbox.emulator.wire import (
    ALL_PERMISSIONS,
    ApiError,
    Call,
    EmulatorResponse,
    Handler,
    OAuthError,
    RecordedRequest,
    RouteSpec,
    json_response,
    method_not_allowed,
    no_such_endpoint,
    now,
)

_RS = "/role-store/api/v1"
_READ_ONLY_POSTS = frozenset(
    {
        TOKEN_PATH,
        f"{_RS}/roles/resolve",
        f"{_RS}/roles/evaluate",
        f"{_RS}/users/search",
        "/auth/api/v1/sessionstorage/sessions/search",
        "/connection-manager/api/v1/connections/search",
    }
)


@dataclass(frozen=True)
class _Route:
    method: str
    pattern: re.Pattern[str]
    permission: str | None  # None: no bearer token needed
    handler: Handler


class PrivXEmulator:
    """In-memory PrivX: OAuth token grant, status, direct login, sources, roles and users. See the module
    docstring; ``variant`` picks the behaviour where PrivX is not documented (choice 18)."""

    def __init__(
        self,
        *,
        version: str = "44.0.0",
        token_ttl: float = 300.0,
        oauth_client_id: str = "privx-external",
        oauth_client_secret: str = "oauth-secret",
        clock: Callable[[], float] = time.monotonic,
        base_url: str = "https://privx.example.com",
        faults: Iterable[Fault] = (),
        variant: EmulatorVariant | None = None,
        superuser: str = "admin",
        oidc_http: httpx.Client | None = None,
        issuer_locator: Callable[[str], str] | None = None,
        login_state_ttl: float = DEFAULT_STATE_TTL,
        session_ttl: float = DEFAULT_SESSION_TTL,
    ) -> None:
        self.version = version
        self.token_ttl = token_ttl
        self.session_ttl = session_ttl  # a login session's life (choice 20)
        self.oauth_client_id = oauth_client_id
        self.oauth_client_secret = oauth_client_secret
        self.base_url = base_url.rstrip("/")
        self.variant = variant or EmulatorVariant()
        self.superuser = superuser
        # PrivX as OIDC relying party (choice 19): the client its outbound calls go through (None: a plain one
        # with short timeouts, made on first use), and where an issuer's discovery document is fetched from
        # (None: the issuer itself).
        self.oidc_http = oidc_http
        self.issuer_locator = issuer_locator
        self._own_oidc_http: httpx.Client | None = None
        self._lock = threading.Lock()
        self._start_time = now()
        self._auth = Auth(self, clock)
        self._roles = Roles(self)
        self._users = Users(self)
        self._sessions = Sessions(self, clock)
        self._connections = Connections(self)
        self._sources = Sources(on_delete=self._forget_source)
        self.membership = Membership(self)
        self._faults = FaultRegistry(faults)
        self._admin = Admin(self, self._faults, self._reset_locked, self._login_with_session)
        self._refresh = SessionRefresh(self, self._lock, self._sessions, self._users)
        self._admin.harness(self._auth, self._connections, self._sessions, self._refresh)
        self._login = DirectLogin(self, self._lock, clock, self._login_with_session, login_state_ttl)
        self.sources: dict[str, dict[str, Any]] = self._sources.by_id
        self.roles: dict[str, dict[str, Any]] = self._roles.by_id
        self.users: dict[str, dict[str, Any]] = self._users.by_id
        self.builtin_source_ids: Mapping[str, str] = self._sources.builtin_ids
        self.requests: list[RecordedRequest] = []
        # Every callback's outcome, in order (choice 19).
        self.logins: list[dict[str, Any]] = self._login.logins
        # Every session and connection ever opened, by id (choices 20, 21); ended ones stay, marked.
        self.sessions: dict[str, dict[str, Any]] = self._sessions.by_id
        self.connections: dict[str, dict[str, Any]] = self._connections.by_id
        # Every session refresh's outcome, in order (choice 22).
        self.refreshes: list[dict[str, Any]] = self._refresh.refreshes
        self._routes = self._build_routes()
        self._seed()

    # -- public API -------------------------------------------------------------------------------

    def add_api_client(self, client_id: str, client_secret: str, permissions: Iterable[str] = ALL_PERMISSIONS) -> None:
        with self._lock:
            self._auth.add_client(client_id, client_secret, permissions)

    def login_user(self, source_id: str, claims: Mapping[str, Any]) -> str:
        """Log a user into the OIDC directory ``source_id`` with these ID-token claims, as PrivX does at an OIDC
        login (choice 14): the user's id. A second login with the same ``sub`` updates the same user. A login
        PrivX would refuse raises ValueError."""
        with self._lock:
            try:
                return self._login_with_session(source_id, dict(claims))[0]
            except ApiError as e:
                raise ValueError(e.message) from None

    def set_api_client_permissions(self, client_id: str, permissions: Iterable[str]) -> None:
        """Replace a known API client's permissions (KeyError if unknown, ValueError for an unknown one)."""
        with self._lock:
            self._auth.set_permissions(client_id, permissions)

    def open_connection(self, user_id: str, host: str) -> str:
        """Open a live connection for a user, as an SSH session through PrivX would (choice 21): its id."""
        with self._lock:
            try:
                return self._connections.open({"user_id": user_id, "host": host})
            except ApiError as e:
                raise ValueError(e.message) from None

    def valid_sessions(self, user_id: str | None = None) -> list[dict[str, Any]]:
        """The sessions valid now (not logged out, not expired), of ``user_id`` if given."""
        with self._lock:
            return [dict(s) for s in self._sessions.valid() if user_id in (None, s["user_id"])]

    def refresh_sessions(self, user_id: str | None = None) -> dict[str, Any]:
        """Refresh the valid sessions (of ``user_id`` if given) with the IdP's refresh tokens, as PrivX would
        (choice 22): ``{"refreshed", "ended", "skipped": <counts>, "sessions": [{id, user_id, outcome, error?}]}``.
        The lock is released while the IdP answers. ValueError for a user PrivX does not know."""
        with self._lock:
            try:
                self._refresh.check_user(user_id)
            except ApiError as e:
                raise ValueError(e.message) from None
        return self._refresh.run(user_id)

    def live_connections(self, user_id: str | None = None) -> list[dict[str, Any]]:
        """The connections still open, of ``user_id`` if given."""
        with self._lock:
            return [dict(c) for c in self._connections.live() if user_id in (None, c["user"]["id"])]

    def oidc_client(self) -> httpx.Client:
        """The client PrivX's outbound OIDC calls use: ``oidc_http``, else one of the emulator's own."""
        if self.oidc_http is not None:
            return self.oidc_http
        if self._own_oidc_http is None:
            self._own_oidc_http = httpx.Client(timeout=OIDC_TIMEOUT)
        return self._own_oidc_http

    def close(self) -> None:
        """Close the emulator's own OIDC client, if it made one (an injected ``oidc_http`` is the caller's)."""
        if self._own_oidc_http is not None:
            self._own_oidc_http.close()
            self._own_oidc_http = None

    def write_requests(self) -> list[RecordedRequest]:
        with self._lock:
            return [
                r for r in self.requests if r.method in ("POST", "PUT", "DELETE") and r.path not in _READ_ONLY_POSTS
            ]

    def reset(self) -> None:
        """Back to built-ins only (the superuser the one user): no tokens, no recorded requests, no faults, no
        logins under way or recorded. API clients, the variant, the OIDC settings and the built-in directories'
        ids stay."""
        with self._lock:
            self._reset_locked()

    def add_fault(self, fault: Fault) -> None:
        """Arm ``fault``; its ``nth`` counts matching requests from now on."""
        with self._lock:
            self._faults.add(fault)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    @property
    def faults(self) -> tuple[Fault, ...]:
        """The faults still armed (spent ones are removed), in the order they were added."""
        with self._lock:
            return self._faults.active()

    def dispatch(
        self, method: str, path: str, query: dict[str, str], headers: Mapping[str, str], body: bytes
    ) -> EmulatorResponse:
        """Answer one request. Never sleeps: ``delay`` and ``drop`` are for the caller to act on."""
        method = method.upper()
        lowered = {k.lower(): v for k, v in headers.items()}
        if path.startswith(ADMIN_PREFIX):
            with self._lock:
                admin = self._admin.answer(method, path, body)
            # The harness's session refresh waits on the IdP (choice 22): never with the lock held.
            return admin if admin.outside_lock is None else admin.outside_lock()
        with self._lock:
            firing = self._faults.fire(method, path)
            response = firing.refusal()
            if response is None:
                response = self._process(method, path, query, lowered, body)
            if response.outside_lock is None:
                self.requests.append(RecordedRequest(method, path, response.status, firing.note))
                return replace(response, delay=firing.delay, drop=firing.drop)
        # A login waiting on the IdP (choice 19): never with the lock held; it takes the lock for its state.
        response = response.outside_lock()
        with self._lock:
            self.requests.append(RecordedRequest(method, path, response.status, firing.note))
        return replace(response, delay=firing.delay, drop=firing.drop)

    def handle(self, request: httpx.Request) -> httpx.Response:
        """``httpx.MockTransport`` handler over :meth:`dispatch`; sleeps for latency, raises for a drop.

        The in-process seam the tests use (``httpx.MockTransport(emu.handle)``), rather than
        ``httpx.WSGITransport`` over the WSGI app: WSGITransport has no connection to drop, and an exception
        from the app reaches the caller as itself, so a drop fault could not look like what a client sees from
        a real server that hangs up mid-request (``httpx.RemoteProtocolError``).
        """
        query = dict(request.url.params.items())
        r = self.dispatch(request.method, request.url.path, query, request.headers, request.read())
        if r.delay > 0:
            time.sleep(r.delay)
        if r.drop:
            # The exception httpx raises when a server closes the connection without answering.
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)
        return httpx.Response(r.status, headers=r.headers, content=r.body)

    # -- plumbing (lock held) -----------------------------------------------------------------------

    def _seed(self) -> None:
        self._sources.seed()
        local = self.builtin_source_ids["LOCAL"]
        self._roles.seed(local, self.superuser)
        self._users.seed(local, self.superuser)
        self._sessions.clear()
        self._connections.clear()

    def _login_with_session(self, source_id: Any, claims: Any, idp: IdpGrant | None = None) -> tuple[str, bool]:
        """A login (choice 14) that succeeded opens a session for the user (choice 20), holding what the IdP gave
        for a refresh (choice 22) when the login came through it."""
        user_id, created = self._users.login(source_id, claims)
        self._sessions.open(self.users[user_id], idp=idp)
        return user_id, created

    def _forget_source(self, source_id: str) -> None:
        """A deleted directory takes its users, and their sessions and connections, with it."""
        gone = {uid for uid, u in self.users.items() if u["source"] == source_id}
        self._users.forget_source(source_id)
        self._sessions.forget_users(gone)
        self._connections.forget_users(gone)

    def _reset_locked(self) -> None:
        self._auth.forget_tokens()
        self._login.forget()
        self.refreshes.clear()
        self.requests.clear()
        self._faults.clear()
        self._seed()

    def _build_routes(self) -> list[_Route]:
        table: list[RouteSpec] = [
            *self._auth.routes(),
            ("GET", "/auth/api/v1/status", None, lambda _c: self._status("auth")),
            ("GET", f"{_RS}/status", None, lambda _c: self._status("role-store")),
            *self._login.routes(),
            *self._sources.routes(),
            *self._roles.routes(),
            *self._users.routes(),
            *self._sessions.routes(),
            *self._connections.routes(),
        ]
        return [_Route(m, re.compile(p), perm, h) for m, p, perm, h in table]

    def _process(
        self, method: str, path: str, query: Mapping[str, str], headers: Mapping[str, str], body: bytes
    ) -> EmulatorResponse:
        """Route (choice 2: routing before authentication), authorize, answer; errors become their bodies."""
        try:
            allowed: list[str] = []
            for route in self._routes:
                match = route.pattern.fullmatch(path)
                if match is None:
                    continue
                if route.method != method:
                    allowed.append(route.method)
                    continue
                client_id = "" if route.permission is None else self._auth.authorize(headers, route.permission)
                return route.handler(Call(match.groupdict(), query, headers, body, client_id))
            raise method_not_allowed(method, path, allowed) if allowed else no_such_endpoint(method, path)
        except (ApiError, OAuthError) as e:
            return e.response()

    def _status(self, app_id: str) -> EmulatorResponse:
        """Go SDK ``response.ServiceStatus`` (choice 16)."""
        body = {
            "variant": "privx",
            "version": self.version,
            "api_version": "v1",
            "status": "ok",
            "status_message": "OK",
            "app_id": app_id,
            "server-mode": "NORMAL",
            "start_time": self._start_time,
        }
        return json_response(200, body)
