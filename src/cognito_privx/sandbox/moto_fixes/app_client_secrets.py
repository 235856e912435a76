"""Fix 7: client-secret rotation (``AddUserPoolClientSecret``, ``ListUserPoolClientSecrets``,
``DeleteUserPoolClientSecret``), which moto lacks, kept on moto's own app-client objects; :func:`client_secrets` is
the one reading of a client's active secrets (the hosted-UI stand-in's token endpoint uses it too)."""

from __future__ import annotations

import re
import uuid
from typing import Any

from cognito_privx.sandbox.moto_fixes import variant
from cognito_privx.sandbox.moto_fixes.clock import clock
from cognito_privx.sandbox.moto_patch import Method, add_missing, wrap

__all__ = ["MAX_CLIENT_SECRETS", "add_client_secrets", "client_secrets", "secret_id", "shown_secret"]

_SECRET_RE = re.compile(r"^[\w+]{24,64}$")
MAX_CLIENT_SECRETS = 2


def client_secrets(client: Any) -> list[dict[str, Any]]:
    """The active secrets of a moto app client, oldest first (made from moto's own ``secret`` at first use)."""
    found: list[dict[str, Any]] | None = client.__dict__.get("client_secrets")
    if found is None:
        found = []
        if getattr(client, "generate_secret", False) and getattr(client, "secret", None):
            stamp = getattr(client, "creation_date", None) or clock.now()
            found.append(
                {"ClientSecretId": secret_id(client, stamp), "ClientSecretValue": client.secret, "Date": stamp}
            )
            client.__dict__["original_secret_id"] = found[0]["ClientSecretId"]
        client.__dict__["client_secrets"] = found
    return found


def secret_id(client: Any, stamp: Any) -> str:
    """A secret id as botocore's model describes ``ClientSecretId``: "follows the format
    ``<client-id>--<epoch-create-time>``" (``ClientSecretDescriptorType``). Two secrets made in one second would
    share an id: the later one gets the next second (AWS's resolution is unverified)."""
    epoch = int(stamp.timestamp()) if hasattr(stamp, "timestamp") else int(clock.now().timestamp())
    taken = {s["ClientSecretId"] for s in client.__dict__.get("client_secrets") or ()}
    while f"{client.id}--{epoch}" in taken:
        epoch += 1
    return f"{client.id}--{epoch}"


def shown_secret(client: Any) -> str | None:
    """What ``DescribeUserPoolClient`` answers as ``ClientSecret``: the oldest active secret, or none once the
    original secret was deleted in the ``empty`` variant (:mod:`.variant`)."""
    if client.__dict__.get("original_secret_deleted") and variant.configured().secret_after_rotation == "empty":
        return None
    found = client_secrets(client)
    return str(found[0]["ClientSecretValue"]) if found else None


def add_client_secrets(models: Any) -> None:
    r"""Client-secret rotation, which moto lacks, kept on moto's own app-client objects.

    AWS (botocore's model; API reference): ``AddUserPoolClientSecret`` (``UserPoolId``, ``ClientId``, optional
    ``ClientSecret`` of 24-64 characters of ``[\w+]``) "Supports up to 2 active secrets per app client"; it answers
    ``ClientSecretDescriptor`` (``ClientSecretId``, ``ClientSecretCreateDate``, and ``ClientSecretValue`` only for a
    secret Cognito generated). ``ListUserPoolClientSecrets`` answers ``ClientSecrets`` (descriptors without
    values). ``DeleteUserPoolClientSecret`` (``ClientSecretId``): "You cannot delete the last remaining secret".
    A third secret is ``LimitExceededException`` **(the code is unverified)**; a client made without a secret
    cannot get one (``InvalidParameterException``).

    moto 5.2.5: none of the three exist. Here the secrets live in the client object's ``client_secrets`` (oldest
    first, seeded from moto's own ``secret``), ids as the model describes them (:func:`secret_id`); moto's
    ``secret`` is kept equal to the first active one, and ``DescribeUserPoolClient``'s ``ClientSecret`` is
    :func:`shown_secret` (none at all after the original secret is deleted, in the ``empty`` variant): one state
    for the in-process mock, the server and the hosted-UI stand-in (whose token endpoint takes any active secret).
    """
    from moto.cognitoidp import responses
    from moto.cognitoidp.exceptions import InvalidParameterException, ResourceNotFoundError
    from moto.core.exceptions import JsonRESTError
    from moto.core.responses import ActionResult, EmptyResult

    class LimitExceededException(JsonRESTError):
        def __init__(self, message: str) -> None:
            super().__init__("LimitExceededException", message)

    def client_of(backend: Any, pool_id: str, client_id: str) -> Any:
        client = backend.describe_user_pool(pool_id).clients.get(client_id)
        if client is None:
            raise ResourceNotFoundError(f"App client {client_id} does not exist.")
        return client

    def descriptor(secret: dict[str, Any], *, value: bool = False) -> dict[str, Any]:
        out = {"ClientSecretId": secret["ClientSecretId"], "ClientSecretCreateDate": secret["Date"]}
        if value:
            out["ClientSecretValue"] = secret["ClientSecretValue"]
        return out

    def add(self: Any, pool_id: str, client_id: str, value: str | None) -> dict[str, Any]:
        client = client_of(self, pool_id, client_id)
        found = client_secrets(client)
        if not found:
            raise InvalidParameterException(f"App client {client_id} has no client secret.")
        if len(found) >= MAX_CLIENT_SECRETS:
            raise LimitExceededException(f"App client {client_id} already has {MAX_CLIENT_SECRETS} client secrets.")
        if value is not None and not _SECRET_RE.match(value):
            raise InvalidParameterException("ClientSecret must be 24-64 characters of [\\w+].")
        generated = value is None
        stamp = clock.now()
        secret = {
            "ClientSecretId": secret_id(client, stamp),
            "ClientSecretValue": value if value is not None else uuid.uuid4().hex + uuid.uuid4().hex[:20],
            "Date": stamp,
        }
        found.append(secret)
        client.secret = found[0]["ClientSecretValue"]
        return descriptor(secret, value=generated)

    def listing(self: Any, pool_id: str, client_id: str) -> list[dict[str, Any]]:
        return [descriptor(s) for s in client_secrets(client_of(self, pool_id, client_id))]

    def delete(self: Any, pool_id: str, client_id: str, secret_id: str) -> None:
        client = client_of(self, pool_id, client_id)
        found = client_secrets(client)
        index = next((i for i, s in enumerate(found) if s["ClientSecretId"] == secret_id), None)
        if index is None:
            raise ResourceNotFoundError(f"Client secret {secret_id} does not exist.")
        if len(found) == 1:
            raise InvalidParameterException("The last client secret of an app client cannot be deleted.")
        if secret_id == client.__dict__.get("original_secret_id"):
            client.__dict__["original_secret_deleted"] = True
        del found[index]
        client.secret = found[0]["ClientSecretValue"]

    backend_methods = {
        "add_user_pool_client_secret": add,
        "list_user_pool_client_secrets": listing,
        "delete_user_pool_client_secret": delete,
    }
    add_missing(models.CognitoIdpBackend, backend_methods)

    def act_add(self: Any) -> Any:
        made = self.backend.add_user_pool_client_secret(
            self._get_param("UserPoolId"), self._get_param("ClientId"), self._get_param("ClientSecret")
        )
        return ActionResult({"ClientSecretDescriptor": made})

    def act_list(self: Any) -> Any:
        found = self.backend.list_user_pool_client_secrets(self._get_param("UserPoolId"), self._get_param("ClientId"))
        return ActionResult({"ClientSecrets": found})

    def act_delete(self: Any) -> Any:
        self.backend.delete_user_pool_client_secret(
            self._get_param("UserPoolId"), self._get_param("ClientId"), self._get_param("ClientSecretId")
        )
        return EmptyResult()

    actions = {
        "add_user_pool_client_secret": act_add,
        "list_user_pool_client_secrets": act_list,
        "delete_user_pool_client_secret": act_delete,
    }
    add_missing(responses.CognitoIdpResponse, actions)

    def to_json(original: Method) -> Method:
        def to_json(self: Any, extended: bool = False) -> dict[str, Any]:
            result: dict[str, Any] = original(self, extended)
            if "ClientSecret" in result:
                shown = shown_secret(self)
                if shown is None:
                    del result["ClientSecret"]
                else:
                    result["ClientSecret"] = shown
            return result

        return to_json

    wrap(models.CognitoIdpUserPoolClient, "to_json", to_json)
