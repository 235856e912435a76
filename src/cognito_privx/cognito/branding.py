"""The app client's managed-login branding style (docs/cognito.md#the-app-client-privx-needs): managed login
shows no sign-in page without one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cognito_privx.cognito.ensure import UNSET, Unset
from cognito_privx.errors import CognitoError, aws_error_code
from cognito_privx.plan import Action, Change, change_for

if TYPE_CHECKING:
    from cognito_privx.cognito.gateway import CognitoGateway

BRANDING = "cognito managed-login branding"


DESCRIBE_ACTION = "cognito-idp:DescribeManagedLoginBrandingByClient"
# The key of the stand-in style observe_branding returns when the branding could not be read (unsupported, denied).
UNAVAILABLE = "cognito-privx:unavailable"


def _describe(gw: CognitoGateway, pool_id: str, client_id: str) -> dict[str, Any] | None:
    try:
        response = gw.call("describe_managed_login_branding_by_client", UserPoolId=pool_id, ClientId=client_id)
    except CognitoError as e:
        if aws_error_code(e) == "ResourceNotFoundException":
            return None
        raise
    style: dict[str, Any] = response.get("ManagedLoginBranding") or {}
    return style or None


def find_branding(gw: CognitoGateway, pool_id: str, client_id: str) -> dict[str, Any] | None:
    """The app client's managed-login branding style, ``None`` when it has none (only "not found" means absent,
    and an endpoint without managed-login branding, which cannot hold one)."""
    from cognito_privx.cognito.availability import why_unavailable

    try:
        return _describe(gw, pool_id, client_id)
    except CognitoError as e:
        if why_unavailable(e) == "unsupported":
            return None
        raise


def observe_branding(gw: CognitoGateway, pool_id: str, client_id: str) -> dict[str, Any] | None:
    """Like :func:`find_branding`, but a read the endpoint lacks or IAM denies gives ``{UNAVAILABLE: why}``: the
    branding only adds to the sign-in page, so setup and plan go on with a warning (ensure_branding)."""
    from cognito_privx.cognito.availability import unavailable_note

    try:
        return _describe(gw, pool_id, client_id)
    except CognitoError as e:
        note = unavailable_note(e, DESCRIBE_ACTION, "the app client's managed-login branding")
        if note is None:
            raise
        return {UNAVAILABLE: f"{note}; managed login shows no sign-in page for a client without one"}


def ensure_branding(
    gw: CognitoGateway,
    client: str,
    pool_id: str | None,
    client_id: str | None,
    *,
    dry_run: bool,
    current: dict[str, Any] | Unset | None = UNSET,
) -> Change:
    """Managed login shows no sign-in page for a client without a branding style: create one with Cognito's
    defaults (``UseCognitoProvidedValues``) when the client has none. A style that exists is kept as it is,
    whoever made or customised it."""
    if isinstance(current, Unset):
        current = observe_branding(gw, pool_id, client_id) if pool_id and client_id else None
    if current is not None and UNAVAILABLE in current:
        return Change(BRANDING, client, Action.NOOP, notes=(f"warning: {current[UNAVAILABLE]}",))
    if current is not None:
        return Change(BRANDING, client, Action.NOOP)
    change = change_for(BRANDING, client, None, {"UseCognitoProvidedValues": True})
    if dry_run or pool_id is None or client_id is None:
        return change
    try:
        gw.create_once(
            "create_managed_login_branding",
            "ManagedLoginBranding",
            lambda: find_branding(gw, pool_id, client_id),
            UserPoolId=pool_id,
            ClientId=client_id,
            UseCognitoProvidedValues=True,
        )
    except CognitoError as e:
        from cognito_privx.cognito.availability import unavailable_note, why_unavailable

        if why_unavailable(e) == "unsupported":  # an endpoint without managed-login branding (IAM denial: raised)
            note = unavailable_note(e, "cognito-idp:CreateManagedLoginBranding", "the managed-login branding")
            return Change(BRANDING, client, Action.NOOP, notes=(f"warning: {note}",))
        # ManagedLoginBrandingExists: a concurrent run made it a moment ago.
        if aws_error_code(e) != "ManagedLoginBrandingExistsException" or find_branding(gw, pool_id, client_id) is None:
            raise
        return Change(BRANDING, client, Action.NOOP, notes=("a concurrent run created it first",))
    return change


def delete_branding(gw: CognitoGateway, pool_id: str, branding_id: str) -> None:
    """Delete a branding style; one already gone is fine."""
    try:
        gw.call("delete_managed_login_branding", UserPoolId=pool_id, ManagedLoginBrandingId=branding_id)
    except CognitoError as e:
        if aws_error_code(e) != "ResourceNotFoundException":
            raise
