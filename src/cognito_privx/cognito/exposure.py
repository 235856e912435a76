"""Who besides an administrator could change a user's group: the pool's app clients that let a user write a
protected attribute with their own access token, and self sign-up. Read by ``doctor`` (a failure per open path)
and by ``setup --adopt`` (which refuses a pool with an open path the config does not close).

docs/security.md#who-may-change-a-group; docs/cognito.md#who-may-write-an-attribute.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # types-boto3-cognito-idp: type checking only
    from types_boto3_cognito_idp.type_defs import UserPoolClientTypeTypeDef

    from cognito_privx.cognito.gateway import CognitoGateway

SIGN_UP_FIELD = "AdminCreateUserConfig.AllowAdminCreateUserOnly"


def may_write(client: Mapping[str, Any], attributes: Iterable[str]) -> list[str]:
    """Which of ``attributes`` an app client lets a user write with their own access token. ``WriteAttributes``
    unset (or empty) counts as **all**: the API reference says the standard attributes, the console, CDK and
    Terraform say all, and the tool never depends on the default."""
    allowed = client.get("WriteAttributes") or None
    return [a for a in attributes if allowed is None or a in allowed]


def sign_up_open(pool: Mapping[str, Any]) -> bool:
    """Whether anyone may sign up (``AdminCreateUserConfig.AllowAdminCreateUserOnly`` false; AWS's default)."""
    return not (pool.get("AdminCreateUserConfig") or {}).get("AllowAdminCreateUserOnly", False)


def described_clients(gw: CognitoGateway, pool_id: str) -> list[UserPoolClientTypeTypeDef]:
    """Every app client of the pool, described (ListUserPoolClients names no attributes)."""
    return [gw.describe_client(pool_id, str(c["ClientId"])) for c in gw.pool_clients(pool_id)]


@dataclass(frozen=True)
class OpenPath:
    """One way a user could change what PrivX grants them, with the fix."""

    message: str
    hint: str
    client_id: str | None = None  # None: self sign-up


def writer_path(client: Mapping[str, Any], attributes: Iterable[str]) -> OpenPath | None:
    """The open path through ``client``, when it lets a user write any of ``attributes``."""
    writable = may_write(client, attributes)
    if not writable:
        return None
    name, client_id = client.get("ClientName"), str(client.get("ClientId"))
    how = (
        "WriteAttributes is unset (AWS may read that as every attribute)"
        if not client.get("WriteAttributes")
        else (f"its WriteAttributes list {', '.join(writable)}")
    )
    return OpenPath(
        f"app client {name!r} ({client_id}) lets a user write {', '.join(writable)} with their own access token: "
        f"{how}, so a user can change what PrivX grants them",
        f"set that client's WriteAttributes to a list without {', '.join(writable)} (Cognito console: the app "
        f"client's attribute permissions; or `aws cognito-idp update-user-pool-client --user-pool-id "
        f"{client.get('UserPoolId')} --client-id {client_id} --write-attributes name ...`, which resets every "
        "field it is not given: pass the client's other settings too)",
        client_id,
    )


def open_paths(
    pool: Mapping[str, Any],
    clients: Iterable[Mapping[str, Any]],
    protected: Iterable[str],
    *,
    sign_up_matters: bool,
) -> list[OpenPath]:
    """Every open path: each client that may write a ``protected`` attribute, then self sign-up when it
    matters (the group comes from an attribute the stranger could choose)."""
    wanted = tuple(protected)
    paths = [p for c in clients if wanted and (p := writer_path(c, wanted)) is not None]
    if sign_up_matters and sign_up_open(pool):
        paths.append(
            OpenPath(
                f"pool {pool.get('Id')} allows self sign-up (AllowAdminCreateUserOnly is false): a stranger can make "
                "an account and choose their own group through an app client",
                "set [cognito] admin_only_sign_up = true (setup then turns self sign-up off), "
                'or group_claim = "cognito:groups" (only administrators change native groups)',
            )
        )
    return paths
