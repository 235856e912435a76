"""An indexed user look-up for moto's Cognito: finding a user costs the same in a pool of 100,000 as in a pool of 1.

moto 5.2.5 finds a user by scanning the pool: ``CognitoIdpUserPool._get_user`` (lines 519-531; every
``AdminGetUser``, the ``AdminCreateUser`` duplicate check, every sign-in goes through it) reads every user's
attributes when the pool has ``UsernameAttributes``, and :func:`.corrections.fix_case_insensitive_names` scans
again for a case-insensitive pool; ``CognitoIdpBackend._verify_email_is_not_used`` (line 2392) scans on every
email change. Over a 4,000-user import the sandbox's ceiling fell from ~400 to ~90 creates a second
(``benchmarks/sandbox_creates.py``), so a throughput figure on the sandbox measured moto, not the tool.

AWS is not a stand-in for speed here, only for verdicts: a look-up answers exactly what the scans answer (the same
user, chosen by the same rules, in the same order), only found through an index:

- ``pool.users`` becomes an :class:`IndexedUsers` (an ``OrderedDict``, moto's own type, so every reader keeps
  working) that, on every write of the dict, keeps lookup tables: user name folded to lower case, and each of
  ``email``, ``phone_number`` and ``sub`` exactly and folded, each to the internal names holding it;
- a user's attribute writes (``CognitoIdpUser.update_attributes`` / ``delete_attributes``, moto's only two, lines
  917-944; an email change included) re-index that user;
- ``_get_user`` answers from the tables, as moto (a case-sensitive pool: the ``UsernameAttributes`` values, then
  the name) or as the case-insensitive fix (both ignoring case, then the name exactly, then ignoring case) would,
  where more than one user matches, the one first in the pool's order (the scans' first hit);
- ``_verify_email_is_not_used`` (``AliasExistsException`` for an email another user holds, in an email-user-name
  pool) answers from the exact email table.

Anything the tables do not cover (a dict that is not an :class:`IndexedUsers`, a ``UsernameAttributes`` kind other
than email / phone number, a name that is not a non-empty string) goes to the scan underneath, unchanged. The
tables are written under a lock (in-process moto has none, and ``import-users``' workers write concurrently);
reads take atomic snapshots of them.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

from cognito_privx.sandbox.moto_patch import Method, wrap

__all__ = ["INDEXED_ATTRIBUTES", "IndexedUsers", "fix_user_index"]

INDEXED_ATTRIBUTES = ("email", "phone_number", "sub")
"""The attributes kept in the tables: the two ``UsernameAttributes`` may name (botocore's
``UsernameAttributeType``: ``phone_number`` | ``email``) and ``sub``."""

_OWNER = "_cognito_privx_users"  # on a user: the IndexedUsers that holds it (its attribute writes re-index it there)

Key = tuple[str, str]


def _flatten(attributes: Iterable[dict[str, Any]] | None) -> dict[str, Any]:
    """moto's ``flatten_attrs``: the last value of each name."""
    return {a["Name"]: a["Value"] for a in attributes or ()}


class IndexedUsers(OrderedDict[str, Any]):
    """A pool's users by internal user name (moto's ``OrderedDict``), with lookup tables kept on every write.

    The tables map a key to the internal names holding it (``dict`` as an ordered set): ``("name", folded)`` and,
    for each of :data:`INDEXED_ATTRIBUTES`, ``(kind, value)`` and ``(kind + "~", folded value)``. ``_order`` is
    each name's place in the dict (moto's scan order: a name written again keeps its place).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._lock = threading.RLock()
        self._tables: dict[Key, dict[str, None]] = {}
        self._keys: dict[str, tuple[Key, ...]] = {}
        self._order: dict[str, int] = {}
        self._counter = itertools.count()
        super().__init__(*args, **kwargs)

    def __reduce__(self) -> Any:
        """Copied or pickled as its items (the lock and tables are rebuilt)."""
        return (type(self), (list(self.items()),))

    def __setitem__(self, name: str, user: Any) -> None:
        with self._lock:
            previous = super().get(name)
            super().__setitem__(name, user)
            if name not in self._order:
                self._order[name] = next(self._counter)
            if previous is not None and previous is not user and getattr(previous, _OWNER, None) is self:
                setattr(previous, _OWNER, None)
            self._index(name, user)
            with contextlib.suppress(AttributeError):  # a value without attributes: indexed by name only
                setattr(user, _OWNER, self)

    def __delitem__(self, name: str) -> None:
        with self._lock:
            user = super().get(name)
            super().__delitem__(name)
            self._unindex(name)
            self._order.pop(name, None)
            if getattr(user, _OWNER, None) is self:
                setattr(user, _OWNER, None)

    def clear(self) -> None:
        with self._lock:
            for user in self.values():
                if getattr(user, _OWNER, None) is self:
                    setattr(user, _OWNER, None)
            super().clear()
            self._tables.clear()
            self._keys.clear()
            self._order.clear()

    def reindex(self, user: Any) -> None:
        """Index ``user`` again after its attributes changed (it must still be held under its ``username``)."""
        with self._lock:
            name = getattr(user, "username", None)
            if isinstance(name, str) and super().get(name) is user:
                self._index(name, user)

    def _index(self, name: str, user: Any) -> None:
        self._unindex(name)
        keys: list[Key] = []
        if isinstance(name, str):
            keys.append(("name", name.lower()))
        values = _flatten(getattr(user, "attributes", None))
        for kind in INDEXED_ATTRIBUTES:
            value = values.get(kind)
            if isinstance(value, str):
                keys += [(kind, value), (kind + "~", value.lower())]
        for key in keys:
            self._tables.setdefault(key, {})[name] = None
        self._keys[name] = tuple(keys)

    def _unindex(self, name: str) -> None:
        for key in self._keys.pop(name, ()):
            holders = self._tables.get(key)
            if holders is not None:
                holders.pop(name, None)
                if not holders:
                    del self._tables[key]

    def first(self, keys: Iterable[Key]) -> Any:
        """The user first in the pool's order among those holding any of ``keys``; ``None`` when none does."""
        names = [name for key in keys for name in tuple(self._tables.get(key, ()))]
        order = self._order
        found = sorted((order.get(name, -1), name) for name in names)
        for _, name in found:
            user = self.get(name)
            if user is not None:
                return user
        return None


def fix_user_index(models: Any) -> None:
    """Make moto's user look-ups (``_get_user``, ``_verify_email_is_not_used``) index look-ups; see the module
    docstring. Layered on :func:`.corrections.fix_case_insensitive_names`, whose answers it keeps."""

    def pool_init(original: Method) -> Method:
        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
            original(self, *args, **kwargs)
            if not isinstance(self.users, IndexedUsers):
                self.users = IndexedUsers(self.users)

        return __init__

    def get_user(original: Method) -> Method:
        def _get_user(self: Any, username: str) -> Any:
            users = self.users
            config = self.extended_config
            kinds = config.get("UsernameAttributes") or []
            if (
                not isinstance(users, IndexedUsers)
                or not isinstance(username, str)
                or not username
                or any(kind not in INDEXED_ATTRIBUTES[:2] for kind in kinds)
            ):
                return original(self, username)
            sensitive = (config.get("UsernameConfiguration") or {}).get("CaseSensitive", True) is not False
            if sensitive:  # moto's own: a UsernameAttributes value, then the name, exactly
                found = users.first((kind, username) for kind in kinds) if kinds else None
                return found if found is not None else users.get(username)
            folded = username.lower()  # the case-insensitive fix's order
            found = users.first((kind + "~", folded) for kind in kinds) if kinds else None
            if found is None:
                found = users.get(username)
            if found is None:
                found = users.first([("name", folded)])
            return found

        return _get_user

    def verify_email(original: Method) -> Method:
        def _verify_email_is_not_used(self: Any, user_pool_id: str, email: str | None) -> None:
            if not email or not isinstance(email, str):
                return
            pool = self.describe_user_pool(user_pool_id)
            if not isinstance(pool.users, IndexedUsers):
                original(self, user_pool_id, email)
                return None
            if "email" not in pool.extended_config.get("UsernameAttributes", []):
                return None
            if pool.users.first([("email", email)]) is not None:
                raise models.AliasExistsException
            return None

        return _verify_email_is_not_used

    def attribute_write(original: Method) -> Method:
        def write(self: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return original(self, *args, **kwargs)
            finally:
                owner = self.__dict__.get(_OWNER)
                if isinstance(owner, IndexedUsers):
                    owner.reindex(self)

        return write

    wrap(models.CognitoIdpUserPool, "__init__", pool_init)
    wrap(models.CognitoIdpUserPool, "_get_user", get_user)
    wrap(models.CognitoIdpBackend, "_verify_email_is_not_used", verify_email)
    wrap(models.CognitoIdpUser, "update_attributes", attribute_write)
    wrap(models.CognitoIdpUser, "delete_attributes", attribute_write)
