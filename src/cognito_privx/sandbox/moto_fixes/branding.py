"""Fix 6: managed-login branding styles (``CreateManagedLoginBranding``, ``DescribeManagedLoginBranding(ByClient)``,
``DeleteManagedLoginBranding``), which moto lacks, as a stand-in kept on moto's own pool objects."""

from __future__ import annotations

import uuid
from typing import Any

from cognito_privx.sandbox.moto_fixes.clock import clock
from cognito_privx.sandbox.moto_patch import add_missing

__all__ = ["add_managed_login_branding"]


def add_managed_login_branding(models: Any) -> None:
    """Managed-login branding styles, which moto does not implement, as a stand-in kept on moto's pool objects.

    AWS (botocore's model and the API reference of each operation): ``CreateManagedLoginBranding`` (``UserPoolId``,
    ``ClientId``, ``UseCognitoProvidedValues``, ``Settings``, ``Assets``) answers ``{"ManagedLoginBranding":
    ManagedLoginBrandingType}`` (``ManagedLoginBrandingId``, ``UserPoolId``, ``UseCognitoProvidedValues``,
    ``Settings``, ``Assets``, ``CreationDate``, ``LastModifiedDate``; no client id); one style per app client, a
    second is ``ManagedLoginBrandingExistsException``; an unknown client is ``ResourceNotFoundException``;
    ``UseCognitoProvidedValues`` with ``Settings`` is ``InvalidParameterException``.
    ``DescribeManagedLoginBrandingByClient`` / ``DescribeManagedLoginBranding`` answer the same shape or
    ``ResourceNotFoundException``; ``DeleteManagedLoginBranding`` (``ManagedLoginBrandingId``, ``UserPoolId``)
    answers nothing. Deleting the app client or the pool takes its style along **(unverified** for the client).

    moto 5.2.5: none of these exist (``NotImplementedError`` in-process, HTTP 500 from the server). Here the
    backend gets the four methods and ``CognitoIdpResponse`` the four actions; the styles live in the pool object's
    ``managed_login_brandings`` (id → record with the client id), so they go with the pool and one state serves
    the in-process mock and the server alike.
    """
    from moto.cognitoidp import responses
    from moto.cognitoidp.exceptions import InvalidParameterException, ResourceNotFoundError
    from moto.core.exceptions import JsonRESTError
    from moto.core.responses import ActionResult, EmptyResult

    class ManagedLoginBrandingExistsException(JsonRESTError):
        def __init__(self, message: str) -> None:
            super().__init__("ManagedLoginBrandingExistsException", message)

    def styles(pool: Any) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = pool.__dict__.setdefault("managed_login_brandings", {})
        for style_id, style in list(found.items()):  # a deleted client takes its style along
            if style["ClientId"] not in pool.clients:
                del found[style_id]
        return found

    def public(style: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in style.items() if k != "ClientId"}

    def find(backend: Any, pool_id: str, style_id: str) -> dict[str, Any]:
        style = styles(backend.describe_user_pool(pool_id)).get(style_id)
        if style is None:
            raise ResourceNotFoundError(f"Managed login branding {style_id} does not exist.")
        return style

    def create(self: Any, pool_id: str, client_id: str, use_cognito: bool, settings: Any, assets: Any) -> Any:
        pool = self.describe_user_pool(pool_id)
        if client_id not in pool.clients:
            raise ResourceNotFoundError(f"App client {client_id} does not exist.")
        if use_cognito and settings:
            raise InvalidParameterException("Settings cannot be given with UseCognitoProvidedValues.")
        if any(s["ClientId"] == client_id for s in styles(pool).values()):
            raise ManagedLoginBrandingExistsException(f"A managed login branding exists for client {client_id}.")
        now = clock.now()
        style = {
            "ManagedLoginBrandingId": str(uuid.uuid4()),
            "UserPoolId": pool_id,
            "UseCognitoProvidedValues": bool(use_cognito),
            **({"Settings": settings} if settings else {}),
            "Assets": assets or [],
            "CreationDate": now,
            "LastModifiedDate": now,
            "ClientId": client_id,
        }
        styles(pool)[style["ManagedLoginBrandingId"]] = style
        return public(style)

    def by_client(self: Any, pool_id: str, client_id: str) -> Any:
        pool = self.describe_user_pool(pool_id)
        style = next((s for s in styles(pool).values() if s["ClientId"] == client_id), None)
        if style is None:
            raise ResourceNotFoundError(f"No managed login branding for client {client_id}.")
        return public(style)

    def describe(self: Any, pool_id: str, style_id: str) -> Any:
        return public(find(self, pool_id, style_id))

    def delete(self: Any, pool_id: str, style_id: str) -> None:
        find(self, pool_id, style_id)
        del styles(self.describe_user_pool(pool_id))[style_id]

    backend_methods = {
        "create_managed_login_branding": create,
        "describe_managed_login_branding_by_client": by_client,
        "describe_managed_login_branding": describe,
        "delete_managed_login_branding": delete,
    }
    add_missing(models.CognitoIdpBackend, backend_methods)

    def act_create(self: Any) -> Any:
        style = self.backend.create_managed_login_branding(
            self._get_param("UserPoolId"),
            self._get_param("ClientId"),
            self._get_param("UseCognitoProvidedValues"),
            self._get_param("Settings"),
            self._get_param("Assets"),
        )
        return ActionResult({"ManagedLoginBranding": style})

    def act_by_client(self: Any) -> Any:
        style = self.backend.describe_managed_login_branding_by_client(
            self._get_param("UserPoolId"), self._get_param("ClientId")
        )
        return ActionResult({"ManagedLoginBranding": style})

    def act_describe(self: Any) -> Any:
        style = self.backend.describe_managed_login_branding(
            self._get_param("UserPoolId"), self._get_param("ManagedLoginBrandingId")
        )
        return ActionResult({"ManagedLoginBranding": style})

    def act_delete(self: Any) -> Any:
        self.backend.delete_managed_login_branding(
            self._get_param("UserPoolId"), self._get_param("ManagedLoginBrandingId")
        )
        return EmptyResult()

    actions = {
        "create_managed_login_branding": act_create,
        "describe_managed_login_branding_by_client": act_by_client,
        "describe_managed_login_branding": act_describe,
        "delete_managed_login_branding": act_delete,
    }
    add_missing(responses.CognitoIdpResponse, actions)
