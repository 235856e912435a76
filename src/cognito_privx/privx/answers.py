"""PrivX's answers, checked at the client boundary: one pydantic model per answer shape the tool reads.

An answer of another shape (a list where an object belongs, a missing ``id``, a number where a name belongs)
becomes one :class:`~cognito_privx.errors.PrivXAPIError` naming the call and the place
(``PrivX answered GET /role-store/api/v1/roles with an unexpected shape: items[3].id missing``), instead of a
``KeyError`` or ``TypeError`` deep in a step. :func:`check` validates and hands back the **original** JSON: the
rest of the code keeps working on dicts (a directory or a role is written back whole, every field PrivX sent kept,
so converting them to models would lose what we do not model).

The shapes follow privx-sdk-go (``api/rolestore/model.go``: ``Role``, ``Source``, ``User``, ``SourceRule``;
``api/response/response.go``: ``ResultSet{count, items}``, ``Identifier{id}``; ``oauth/types.go``:
``AccessToken``; ``api/auth/model.go``, ``api/connectionmanager/model.go``). Leniency, where PrivX varies or the
Go SDK tolerates it:

- every model allows extra fields (``extra="allow"``): versions add fields, and full objects must round-trip;
- a field the Go SDK marks ``omitempty``, or that we do not need, is optional; ``null`` reads as absent, and so
  does ``items: null`` (a Go nil slice marshals as ``null``);
- ``count`` is an integer (a numeric string is read as one); it only bounds paging, which also stops at a short
  page, so a wrong count never loops;
- the token's ``expires_in`` (Go: ``uint``) is read leniently: a number or numeric string, anything else
  (``""``, ``null``, negative) as absent, and the tool then assumes :data:`DEFAULT_TOKEN_LIFETIME_S` (a 401 before
  that logs in again, so a wrong guess costs one request, never access).

What is required is what the tool cannot do without: an object's ``id`` (a non-empty string: it goes into the
next call's path), a role's and a directory's ``name``, the token.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from cognito_privx.errors import PrivXAPIError

# Seconds a token is assumed to live when PrivX's answer does not say (readably); PrivX's default is 300.
DEFAULT_TOKEN_LIFETIME_S = 300.0
# The longest lifetime believed (a day): a huge expires_in would otherwise keep a revoked token forever.
MAX_TOKEN_LIFETIME_S = 86400.0

HINT = (
    "PrivX's answer does not have the shape its API documents (docs/privx-api.md): check that [privx] url / "
    "PRIVX_API_BASE_URL reaches PrivX itself, not a proxy or another service; if it does, please report it"
)

Id = Annotated[str, Field(min_length=1)]


class Answer(BaseModel):
    """Base of the answer models: extra fields allowed and kept (objects round-trip), ``null`` as absent."""

    model_config = ConfigDict(extra="allow")


class RuleNode(Answer):
    """A node of a role's ``source_rules`` tree (Go SDK ``SourceRule``): a ``GROUP`` with ``match`` and ``rules``, or
    a ``RULE`` leaf with ``source`` and ``search_string``."""

    type: str | None = None
    match: str | None = None
    rules: list[RuleNode] | None = None
    source: str | None = None
    search_string: str | None = None


class Role(Answer):
    """A role (Go SDK ``rolestore.Role``), as listed or read whole."""

    id: Id
    name: str
    permissions: list[str] | None = None
    source_rules: RuleNode | None = None
    comment: str | None = None
    system: bool | None = None


class RoleRef(Answer):
    """A role as a user's roles or a resolve names it: either field may be missing (``roles/resolve`` may answer
    a stub without an id for an unknown name, docs/privx-api.md#open-questions)."""

    id: str | None = None
    name: str | None = None


class Source(Answer):
    """A directory (Go SDK ``rolestore.Source``): ``connection`` holds the OIDC settings."""

    id: Id
    name: str
    comment: str | None = None
    created: Any = None  # only ordered by (as text): any value will do
    connection: dict[str, Any] | None = None


class User(Answer):
    """A PrivX user (Go SDK ``rolestore.User``) as a search or an evaluation lists it. Without an ``id`` it is
    skipped by the callers (it cannot be named in a call)."""

    id: str | None = None
    source: str | None = None
    source_user_id: str | None = None
    email: str | None = None
    principal: str | None = None
    roles: list[RoleRef] | None = None
    tags: list[str] | None = None


class Session(Answer):
    """A login session (Go SDK ``auth.Session``)."""

    id: str | None = None
    user_id: str | None = None
    logged_out: bool | None = None


class ConnectionUser(Answer):
    id: str | None = None


class Connection(Answer):
    """An SSH/RDP connection (Go SDK ``connectionmanager.Connection``)."""

    id: str | None = None
    status: str | None = None
    user: ConnectionUser | None = None


class Listing(Answer):
    """``{count, items}`` (Go SDK ``response.ResultSet``) of objects of any shape (items checked by the subclass)."""

    count: int | None = None
    items: list[dict[str, Any]] | None = None


class Roles(Listing):
    items: list[Role] | None = None  # type: ignore[assignment]


class RoleRefs(Listing):
    items: list[RoleRef] | None = None  # type: ignore[assignment]


class Sources(Listing):
    items: list[Source] | None = None  # type: ignore[assignment]


class Users(Listing):
    items: list[User] | None = None  # type: ignore[assignment]


class Sessions(Listing):
    items: list[Session] | None = None  # type: ignore[assignment]


class Connections(Listing):
    items: list[Connection] | None = None  # type: ignore[assignment]


class Created(Answer):
    """A create's answer (Go SDK ``response.Identifier``)."""

    id: Id


class Status(Answer):
    """The status document (Go SDK ``response.ServiceStatus``): an object; its ``version`` (the one field read) a
    string when present."""

    version: str | None = None


def _lifetime(value: Any) -> float | None:
    """``expires_in`` as seconds, or ``None`` when it cannot be read (then the default applies)."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        seconds = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    if not math.isfinite(seconds) or seconds <= 0:
        return None
    return min(seconds, MAX_TOKEN_LIFETIME_S)


class Token(Answer):
    """The token endpoint's answer (Go SDK ``oauth.AccessToken``)."""

    access_token: Id
    expires_in: Annotated[float | None, BeforeValidator(_lifetime)] = None

    @property
    def lifetime(self) -> float:
        """Seconds the token lives: ``expires_in``, or :data:`DEFAULT_TOKEN_LIFETIME_S` when unreadable."""
        return self.expires_in if self.expires_in is not None else DEFAULT_TOKEN_LIFETIME_S


M = TypeVar("M", bound=Answer)

_JSON_TYPES = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", int: "a number"}


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    return next((name for kind, name in _JSON_TYPES.items() if isinstance(value, kind)), "a number")


def _place(loc: tuple[int | str, ...]) -> str:
    """``("items", 3, "id")`` as ``items[3].id``; the root as ``the answer``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "the answer"


def problem(error: ValidationError) -> str:
    """The first problem of a failed validation in a few words: ``items[3].id missing``, ``the answer is a list,
    not an object``, ``items[0].name is a number, not a string``."""
    first = error.errors(include_url=False)[0]
    loc = tuple(p for p in first["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    where = _place(loc)
    if first["type"] == "missing":
        return f"{where} missing"
    if first["type"] == "string_too_short":
        return f"{where} is empty"
    found = _json_type(first.get("input"))
    wanted = {
        "model_type": "an object",
        "dict_type": "an object",
        "list_type": "a list",
        "string_type": "a string",
        "bool_type": "a boolean",
        "bool_parsing": "a boolean",
        "int_type": "an integer",
        "int_parsing": "an integer",
        "int_from_float": "an integer",
        "float_type": "a number",
    }.get(first["type"])
    if wanted is not None:
        return f"{where} is {found}, not {wanted}" if found != wanted else f"{where} is {wanted} out of range"
    return f"{where}: {first['msg']}"


def check(model: type[M], body: Any, method: str, path: str, status: int | None = None) -> M:
    """``body`` validated as ``model``; the model instance is returned, the caller may keep using ``body``. An
    empty answer (``None``) is read as ``{}``.

    Raises :class:`PrivXAPIError` naming the call and the first misfit, with :data:`HINT`; its ``status`` is the
    answer's (``status``: a 2xx, so the call itself may have succeeded) and its ``call`` is ``(method, path)``."""
    try:
        return model.model_validate({} if body is None else body)
    except ValidationError as e:
        what = "an empty answer" if body is None else f"an unexpected shape: {problem(e)}"
        error = PrivXAPIError(f"PrivX answered {method} {path} with {what}", HINT, status=status)
        error.call = (method, path)
        raise error from None


__all__ = [
    "DEFAULT_TOKEN_LIFETIME_S",
    "HINT",
    "Answer",
    "Connection",
    "Connections",
    "Created",
    "Listing",
    "Role",
    "RoleRef",
    "RoleRefs",
    "Roles",
    "RuleNode",
    "Session",
    "Sessions",
    "Source",
    "Sources",
    "Status",
    "Token",
    "User",
    "Users",
    "check",
    "problem",
]
