"""Small patches that make moto's Cognito as strict and as faithful as AWS where cognito-privx depends on it.

Written against moto 5.2.5 (``moto/cognitoidp/models.py``; line numbers below are that file's) and botocore
1.44's service model (``botocore/data/cognito-idp/2016-04-18/service-2.json.gz``). :func:`apply` wraps moto's model
methods in place, once per process, keeping moto's behaviour otherwise:

1. :func:`_fix_client_dates`: app clients get ``CreationDate`` and ``LastModifiedDate``.
2. :func:`_fix_create_only_pool_settings`: ``UpdateUserPool`` keeps ``UsernameAttributes``,
   ``UsernameConfiguration`` and ``AliasAttributes``.
3. :func:`_fix_case_insensitive_names`: a pool with ``UsernameConfiguration={"CaseSensitive": False}`` finds
   users whatever the case of the name (moto ignores the setting altogether).

The in-process ``mock_aws`` and moto's server use the same model classes, so one :func:`apply` covers both.
"""

from __future__ import annotations

import datetime
import functools
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["apply"]

_MARK = "__cognito_privx_moto_fix__"
_apply_lock = threading.Lock()

Method = Callable[..., Any]


def apply() -> None:
    """Patch moto's Cognito models; idempotent and thread-safe. Does nothing when moto is not installed."""
    try:
        from moto.cognitoidp import models
    except ImportError:
        return
    with _apply_lock:
        _fix_client_dates(models)
        _fix_create_only_pool_settings(models)
        _fix_case_insensitive_names(models)


def _wrap(owner: type, name: str, make: Callable[[Method], Method]) -> None:
    """Replace ``owner.name`` by ``make(original)`` unless it is already our wrapper."""
    original = owner.__dict__[name]
    if getattr(original, _MARK, False):
        return
    wrapper = functools.wraps(original)(make(original))
    setattr(wrapper, _MARK, True)
    setattr(owner, name, wrapper)


class _Clock:
    """Naive-UTC timestamps (as moto's ``utcnow``), truncated to the millisecond moto puts on the wire
    (``moto/core/serialize.py`` ``_timestamp_unixtimestamp``, lines 133-139), each strictly later than the one before.

    Sequential calls to real Cognito are milliseconds apart on the network, so their stamps differ; in-process
    moto can answer two calls within one millisecond, which would make "the older object wins" a tie that AWS
    practically never produces for sequential calls. (A true tie is still possible on AWS for concurrent calls:
    test that path with a Stubber, not with moto.)
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: datetime.datetime | None = None

    def now(self) -> datetime.datetime:
        stamp = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
        stamp = stamp.replace(microsecond=stamp.microsecond - stamp.microsecond % 1000)
        with self._lock:
            if self._last is not None and stamp <= self._last:
                stamp = self._last + datetime.timedelta(milliseconds=1)
            self._last = stamp
        return stamp


_clock = _Clock()


def _fix_client_dates(models: Any) -> None:
    """App clients carry ``CreationDate`` and ``LastModifiedDate``, as on AWS.

    AWS: ``UserPoolClientType`` (the ``UserPoolClient`` of the CreateUserPoolClient, DescribeUserPoolClient and
    UpdateUserPoolClient responses) has members ``CreationDate`` and ``LastModifiedDate``, both ``DateType``
    (``timestamp``, "returns this timestamp in UNIX epoch time format") in botocore's
    ``cognito-idp/2016-04-18/service-2.json.gz``. ListUserPoolClients returns ``UserPoolClientDescription``
    (``ClientId``, ``UserPoolId``, ``ClientName``) without them.

    moto 5.2.5: ``CognitoIdpUserPoolClient.__init__`` (line 724) records no time and ``_base_json`` /
    ``to_json`` (lines 749-763) return none; ``CognitoIdpBackend.update_user_pool_client`` (line 1122) only
    merges the new settings. Here a client is stamped when made, ``to_json(extended=True)`` (the three responses
    above) returns both dates, and an update keeps ``CreationDate`` and moves ``LastModifiedDate`` on.
    """
    client_cls = models.CognitoIdpUserPoolClient

    def init(original: Method) -> Method:
        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
            original(self, *args, **kwargs)
            self.creation_date = self.last_modified_date = _clock.now()

        return __init__

    def to_json(original: Method) -> Method:
        def to_json(self: Any, extended: bool = False) -> dict[str, Any]:
            result: dict[str, Any] = original(self, extended)
            if extended and hasattr(self, "creation_date"):
                result["CreationDate"] = self.creation_date
                result["LastModifiedDate"] = self.last_modified_date
            return result

        return to_json

    def update(original: Method) -> Method:
        def update_user_pool_client(self: Any, *args: Any, **kwargs: Any) -> Any:
            client = original(self, *args, **kwargs)
            client.last_modified_date = _clock.now()
            return client

        return update_user_pool_client

    _wrap(client_cls, "__init__", init)
    _wrap(client_cls, "to_json", to_json)
    _wrap(models.CognitoIdpBackend, "update_user_pool_client", update)


# Members of botocore's CreateUserPoolRequest that UpdateUserPoolRequest lacks (besides Schema, which moto keeps
# apart in ``schema_attributes``): AWS fixes them when the pool is made.
_CREATE_ONLY_POOL_SETTINGS = ("UsernameAttributes", "UsernameConfiguration", "AliasAttributes")


def _fix_create_only_pool_settings(models: Any) -> None:
    """``UpdateUserPool`` keeps the pool's username model, which AWS never changes after creation.

    AWS: botocore's ``UpdateUserPoolRequest`` has no ``UsernameAttributes``, ``UsernameConfiguration`` or
    ``AliasAttributes`` member (``CreateUserPoolRequest`` has all three), and ``CreateUserPoolRequest``'s
    ``UsernameConfiguration`` says "This configuration is immutable after you set it". An update resets what it
    omits to defaults, but these are not settings an update can touch.

    moto 5.2.5: ``CognitoIdpUserPool.update_extended_config`` (line 471,
    ``self.extended_config = DEFAULT_USER_POOL_CONFIG.copy()``), called by ``CognitoIdpBackend.update_user_pool``
    (line 1047), rebuilds the whole config from the update's parameters, dropping all three. After one update the
    pool no longer takes the email as the user name (``_get_user``, line 522, and ``admin_create_user``,
    line 1332, read ``UsernameAttributes``): even an exact duplicate user is accepted. Here an update carries
    them over from the config it replaces (the first call, from ``__init__``, sets them as created).
    """

    def make(original: Method) -> Method:
        def update_extended_config(self: Any, extended_config: dict[str, Any]) -> None:
            previous: dict[str, Any] | None = self.__dict__.get("extended_config")
            original(self, extended_config)
            if previous is None:  # creation
                return
            for key in _CREATE_ONLY_POOL_SETTINGS:
                if key in previous:
                    self.extended_config[key] = previous[key]
                else:
                    self.extended_config.pop(key, None)

        return update_extended_config

    _wrap(models.CognitoIdpUserPool, "update_extended_config", make)


def _fix_case_insensitive_names(models: Any) -> None:
    """A case-insensitive pool finds a user by any capitalisation of the user name or email/phone user name.

    AWS: botocore's ``UsernameConfigurationType.CaseSensitive``: with ``false`` "users can sign in using
    ``username``, ``USERNAME``, or ``UserName``", and (``CreateUserPoolRequest.UsernameConfiguration``) "Amazon
    Cognito treats any variation in case as the same user, and prevents a case variation from being assigned to
    the same attribute for a different user", for email user names too. So AdminCreateUser of
    ``Alice@example.com`` beside ``alice@example.com`` is ``UsernameExistsException``, and AdminGetUser finds
    either spelling.

    moto 5.2.5: nothing reads ``UsernameConfiguration``; ``CognitoIdpUserPool._get_user`` (lines 519-531), through
    which every user lookup goes (``admin_get_user``, the ``admin_create_user`` duplicate check, ...), compares
    names and ``UsernameAttributes`` values exactly. Here a pool with ``CaseSensitive`` false does the same lookup,
    in the same order, ignoring case; other pools keep moto's. Stored names keep the case they were given.
    """
    flatten_attrs = models.flatten_attrs

    def make(original: Method) -> Method:
        def _get_user(self: Any, username: str) -> Any:
            config = self.extended_config.get("UsernameConfiguration") or {}
            if config.get("CaseSensitive", True) is not False or not isinstance(username, str):
                return original(self, username)
            # moto's order (UsernameAttributes values, then the stored name), ignoring case; one pass each.
            folded = username.lower()
            attribute_types = self.extended_config.get("UsernameAttributes") or []
            if attribute_types:
                for candidate in self.users.values():
                    values = flatten_attrs(candidate.attributes)
                    if any((values.get(kind) or "").lower() == folded for kind in attribute_types):
                        return candidate
            exact = self.users.get(username)
            if exact is not None:
                return exact
            return next((user for name, user in self.users.items() if name.lower() == folded), None)

        return _get_user

    _wrap(models.CognitoIdpUserPool, "_get_user", make)
