"""PrivX: an API client over an injected ``httpx.Client``, and the ensure steps for the OIDC directory and the
grants. One module per concern:

- ``transport``: the API paths, the httpx client (:func:`build_http_client`), PrivX's error bodies mapped to the
  error tree, which failed requests are harmless to repeat, and the one list of PrivX calls that only read
  (:data:`READ_ONLY_POSTS`, :func:`only_reads`).
- ``answers``: PrivX's answers checked at the client boundary, one pydantic model per answer shape; an answer of
  another shape is one ``PrivXAPIError`` naming the call and the place (:func:`~.answers.check`).
- ``auth``: :class:`PrivXAuth`, the log-in as an ``httpx.Auth`` flow (password grant, bearer token, one re-login
  after a 401, or a ready ``PRIVX_API_BEARER_TOKEN``).
- ``client``: :class:`PrivXClient`, every PrivX call cognito-privx makes, under the retry policy.
- ``directory``: the OIDC directory: :class:`DirectorySpec`, the comment marker naming the app-client secret,
  :class:`PoolIdentity` and :func:`find_directories` (with the race settle), :func:`ensure_directory`,
  :func:`login_url`.
- ``accounts``: the direction of the directory's ``attribute_mapping``, found by a login's evidence
  (:func:`attribute_mapping`, :func:`~.accounts.evidence`, :func:`~.accounts.stored_direction`).
- ``rules``: a role's rule tree: :func:`role_rule`, :func:`leaves`, :func:`our_leaves`, :func:`has_rule`,
  :func:`add_leaves` / :func:`remove_leaves`, :func:`role_marker`, :func:`made_by_us`.
- ``grants``: :func:`plan_grants` and its role steps (:class:`RoleStep`: create, grant and revoke, unused roles).
- ``directlogin``: the direct-login URL's candidate forms, requested on the real PrivX to find the one that works.
- ``holders``: who loses a role by a revocation (:func:`~.holders.losing`), for ``plan``/``setup``.
- ``sessions``: live access: our directory's users (:func:`find_person`), their login sessions and open
  connections, read and ended (:func:`end_person`, :class:`EndedAccess`); used as ``privx.sessions``.

The names below are re-exported so ``from cognito_privx import privx`` / ``privx.<name>`` keeps working.
"""

from __future__ import annotations

from cognito_privx.privx import accounts
from cognito_privx.privx.accounts import attribute_mapping
from cognito_privx.privx.auth import TOKEN_MARGIN_S, PrivXAuth
from cognito_privx.privx.client import (
    DEFAULT_RETRY_BASE,
    ROLE_PAGE,
    ROLE_READ_ONLY,
    DirectoryId,
    PrivXClient,
)
from cognito_privx.privx.directory import (
    MANAGED_MARKER,
    MASKED,
    SECRET_ID_FIELD,
    DirectoryMatch,
    DirectorySpec,
    DirectoryState,
    PoolIdentity,
    ensure_directory,
    find_directories,
    flatten,
    is_marked,
    issuer_of,
    login_url,
    secret_id_of,
    with_secret_id,
)
from cognito_privx.privx.grants import RoleStep, plan_grants
from cognito_privx.privx.record import (
    DirectoryRecord,
    group_in,
    owned_search_strings,
    record_of,
    strip_record,
)
from cognito_privx.privx.rules import (
    add_leaves,
    has_rule,
    leaves,
    made_by_us,
    our_leaves,
    remove_leaves,
    role_marker,
    role_rule,
)
from cognito_privx.privx.transport import (
    READ_ONLY_POSTS,
    ROLES_PATH,
    SOURCES_PATH,
    STATUS_PATH,
    TOKEN_PATH,
    build_http_client,
    only_reads,
)

__all__ = [
    "DEFAULT_RETRY_BASE",
    "MANAGED_MARKER",
    "MASKED",
    "READ_ONLY_POSTS",
    "ROLES_PATH",
    "ROLE_PAGE",
    "ROLE_READ_ONLY",
    "SECRET_ID_FIELD",
    "SOURCES_PATH",
    "STATUS_PATH",
    "TOKEN_MARGIN_S",
    "TOKEN_PATH",
    "DirectoryId",
    "DirectoryMatch",
    "DirectoryRecord",
    "DirectorySpec",
    "DirectoryState",
    "PoolIdentity",
    "PrivXAuth",
    "PrivXClient",
    "RoleStep",
    "accounts",
    "add_leaves",
    "attribute_mapping",
    "build_http_client",
    "ensure_directory",
    "find_directories",
    "flatten",
    "group_in",
    "has_rule",
    "is_marked",
    "issuer_of",
    "leaves",
    "login_url",
    "made_by_us",
    "only_reads",
    "our_leaves",
    "owned_search_strings",
    "plan_grants",
    "record_of",
    "remove_leaves",
    "role_marker",
    "role_rule",
    "secret_id_of",
    "strip_record",
    "with_secret_id",
]
