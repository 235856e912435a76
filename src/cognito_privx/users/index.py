"""What the pool already holds: its users listed once, compactly (:class:`PoolIndex`), when that is cheaper.

When a listing costs less than one ``AdminGetUser`` per row (``ListUsers`` returns 60 users a page at the 30/s
``UserList`` quota, ``AdminGetUser`` one at the 120/s ``UserRead`` quota: a listing is cheaper while the pool holds
fewer than 15 users per row), the pool is listed once (:func:`learn_pool`), and rows are compared locally: a dry
run of an empty pool costs one call. Both import engines use it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cognito_privx.users.model import attributes_of
from cognito_privx.users.pool import PoolUsers

if TYPE_CHECKING:
    from types_boto3_cognito_idp.type_defs import AdminGetUserResponseTypeDef

# Quotas (requests/s, per account) that decide between a listing and a read per row (docs/cognito.md).
USER_LIST_QUOTA = 30.0
USER_READ_QUOTA = 120.0
LIST_PAGE = 60


@dataclass
class PoolIndex:
    """The pool's users by lower-cased email, compactly: (Username, group, name, enabled, status) each, or a count of
    users sharing the email in different capitalisations (a legacy case-sensitive pool; such rows take the careful
    path, :meth:`PoolUsers.add`)."""

    attribute: str
    users: dict[str, tuple[str, str | None, str | None, bool, str] | int] = field(default_factory=dict)

    def add(self, raw: Any) -> None:
        attrs = attributes_of(raw)
        key = (attrs.get("email") or "").lower()
        if not key:
            return
        enabled = bool(raw.get("Enabled", True))
        entry = (
            str(raw["Username"]),
            attrs.get(self.attribute),
            attrs.get("name"),
            enabled,
            str(raw.get("UserStatus", "")),
        )
        known = self.users.get(key)
        self.users[key] = entry if known is None else (known if isinstance(known, int) else 1) + 1

    def get(self, email: str) -> AdminGetUserResponseTypeDef | int | None:
        """The user as an ``AdminGetUser``-shaped answer, ``None`` when absent, the count when ambiguous."""
        known = self.users.get(email.lower())
        if known is None or isinstance(known, int):
            return known
        username, group, name, enabled, status = known
        attributes = [{"Name": "email", "Value": email}]
        if group is not None:
            attributes.append({"Name": self.attribute, "Value": group})
        if name is not None:
            attributes.append({"Name": "name", "Value": name})
        user: Any = {"Username": username, "UserAttributes": attributes, "Enabled": enabled, "UserStatus": status}
        return user  # type: ignore[no-any-return]


def listing_pays(estimated_users: int, rows: int) -> bool:
    """Whether listing the pool costs less time than one ``AdminGetUser`` per row, at the default quotas."""
    pages = math.ceil(max(estimated_users, 1) / LIST_PAGE)
    return pages / USER_LIST_QUOTA < rows / USER_READ_QUOTA


def learn_pool(
    users: PoolUsers, rows: int, *, dry_run: bool = True, on_page: Callable[[int], None] | None = None
) -> PoolIndex | None:
    """The pool's users listed once when that pays (:func:`listing_pays`), else ``None`` (read per row).

    An import into a pool its description estimates empty lists nothing: creating first needs no listing, and a
    user there after all answers ``UsernameExistsException``. A dry run lists it (one call) to be sure.
    ``on_page`` gets the users read so far: 0 before the first page, then after each page.
    """
    if not users.model.signs_in_with_email:
        return None  # every row fails with the reason, as add-user would
    estimated = int((users.description or {}).get("EstimatedNumberOfUsers", 0) or 0)
    if estimated == 0 and not dry_run and users.model.case_insensitive:
        return None
    if not listing_pays(estimated, rows):
        return None
    index = PoolIndex(users.attribute)
    seen = 0
    if on_page is not None:
        on_page(0)  # the listing begins (a big pool takes a minute: 60 users a page)
    for page in users.lookup.user_pages():
        for raw in page:
            index.add(raw)
        seen += len(page)
        if on_page is not None:
            on_page(seen)
    return index


__all__ = ["LIST_PAGE", "USER_LIST_QUOTA", "USER_READ_QUOTA", "PoolIndex", "learn_pool", "listing_pays"]
