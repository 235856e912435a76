"""The pool's native groups for the ``[roles]`` keys (``group_claim = "cognito:groups"``): listing, which are
ours, ensuring and deleting them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cognito_privx.cognito.ensure import UNSET, Unset, idempotent_delete, plain
from cognito_privx.errors import CognitoError, aws_error_code
from cognito_privx.plan import Action, Change, change_for

if TYPE_CHECKING:  # types-boto3-cognito-idp, a dev dependency: type checking only, never imported at run time
    from types_boto3_cognito_idp.type_defs import GroupTypeTypeDef

    from cognito_privx.cognito.gateway import CognitoGateway

GROUP_DESCRIPTION = "PrivX role group, managed by cognito-privx"


def list_groups(gw: CognitoGateway, pool_id: str) -> dict[str, GroupTypeTypeDef]:
    return {g["GroupName"]: g for g in gw.groups(pool_id)}


def is_our_group(group: GroupTypeTypeDef) -> bool:
    """A native group cognito-privx created (our description)."""
    return group.get("Description") == GROUP_DESCRIPTION


def group_is_empty(gw: CognitoGateway, pool_id: str, name: str) -> bool:
    return not gw.call("list_users_in_group", UserPoolId=pool_id, GroupName=name, Limit=1).get("Users")


def ensure_groups(
    gw: CognitoGateway,
    groups: frozenset[str],
    pool_id: str | None,
    *,
    dry_run: bool,
    current: dict[str, GroupTypeTypeDef] | Unset | None = UNSET,
) -> list[Change]:
    """Native Cognito groups for the ``[roles]`` keys (only with ``group_claim = "cognito:groups"``).

    Groups that exist are left as they are; a group we created that is no longer mapped is reported as unused
    (teardown removes it when empty); groups that are not ours are never touched.
    """
    if isinstance(current, Unset):
        current = list_groups(gw, pool_id) if pool_id else None
    existing = current or {}
    changes = []
    for group in sorted(groups):
        if group in existing:
            changes.append(Change("cognito group", group, Action.NOOP))
            continue
        changes.append(change_for("cognito group", group, None, {"Description": GROUP_DESCRIPTION}))
        if not dry_run and pool_id is not None:
            try:
                gw.create_once(
                    "create_group",
                    None,
                    lambda g=group: plain(list_groups(gw, pool_id).get(g)),  # type: ignore[misc]
                    GroupName=group,
                    UserPoolId=pool_id,
                    Description=GROUP_DESCRIPTION,
                )
            except CognitoError as e:
                if aws_error_code(e) != "GroupExistsException":
                    raise  # GroupExists: a concurrent run made it a moment ago
    for name in sorted(set(existing) - groups):
        if is_our_group(existing[name]):
            changes.append(
                Change(
                    "cognito group",
                    name,
                    Action.NOOP,
                    notes=(
                        "unused: created by cognito-privx, no longer a [roles] key; teardown removes it when empty",
                    ),
                )
            )
    return changes


def delete_group(gw: CognitoGateway, pool_id: str, name: str) -> None:
    """Delete a native group; one already gone is fine."""
    idempotent_delete(gw, "delete_group", UserPoolId=pool_id, GroupName=name)
