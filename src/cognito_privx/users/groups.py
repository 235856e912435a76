"""Native Cognito group membership (``group_claim = "cognito:groups"``): a user moved into a row's groups and out of
the other ``[roles]`` groups, and a group checked to exist before anyone is put in it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cognito_privx.cognito import CognitoGateway
from cognito_privx.errors import UsageError
from cognito_privx.users.calls import Request, paged


@dataclass(frozen=True)
class Memberships:
    """The native groups of one pool's users, with the caller's calls (``request``: throttling retried)."""

    gw: CognitoGateway
    request: Request
    pool_id: str
    role_groups: frozenset[str]  # the [roles] keys: the native groups we move users between

    def sync(self, username: str, groups: Sequence[str], *, dry_run: bool) -> str:
        """Put the user into native groups ``groups`` and out of the other ``[roles]`` groups; what changed.

        ``username`` is the user's real ``Username`` (the ``sub`` in email pools), not the address given.
        """
        operation = "admin_list_groups_for_user"
        pages = self.gw.pages(
            operation, paged(self.request, operation), UserPoolId=self.pool_id, Username=username, Limit=60
        )
        current: set[str] = {g["GroupName"] for page in pages for g in page.get("Groups", [])}
        add = [g for g in groups if g not in current]
        remove = sorted((current & self.role_groups) - set(groups))
        if not dry_run:
            for name in add:
                self.request("admin_add_user_to_group", UserPoolId=self.pool_id, Username=username, GroupName=name)
            for name in remove:
                self.request("admin_remove_user_from_group", UserPoolId=self.pool_id, Username=username, GroupName=name)
        return ", ".join([*(f"+ group {g}" for g in add), *(f"- group {g}" for g in remove)])

    def require_group(self, group: str) -> None:
        """Raise :class:`UsageError` when the pool has no Cognito group ``group``."""
        if self.request("get_group", absent="ResourceNotFoundException", UserPoolId=self.pool_id, GroupName=group):
            return
        raise UsageError(
            f'the pool has no Cognito group {group!r} (group_claim = "cognito:groups")',
            "add the group to [roles] and run `cognito-privx setup`, which creates it",
        )


__all__ = ["Memberships"]
