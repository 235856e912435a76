"""The app client's secrets (docs/cognito.md#client-secrets): listing them oldest first, their age, adding a
second one and deleting one (secret rotation)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from cognito_privx.errors import CognitoError, aws_error_code

if TYPE_CHECKING:
    from cognito_privx.cognito.gateway import CognitoGateway


@dataclass(frozen=True)
class ClientSecret:
    """One active secret of the app client, as ListUserPoolClientSecrets describes it (no value)."""

    id: str
    created: datetime | None


class Secrets(list[ClientSecret]):
    """The app client's secrets, oldest first. ``unavailable`` is set (and the list empty) when they could not be
    listed: the endpoint lacks ListUserPoolClientSecrets (older regions and partitions, cognito-local) or IAM denies
    it (a policy written before secrets could rotate). The secret itself still comes from DescribeUserPoolClient."""

    unavailable: str = ""


LIST_ACTION = "cognito-idp:ListUserPoolClientSecrets"


def list_secrets(gw: CognitoGateway, pool_id: str, client_id: str, *, required: bool = False) -> Secrets:
    """The app client's active secrets, oldest first (the first is what DescribeUserPoolClient answers).

    The listing only adds information to setup, plan and doctor: when the endpoint lacks it or IAM denies it,
    an empty :class:`Secrets` with ``unavailable`` saying why. ``required`` (rotate-secret, which cannot work
    without it) raises :class:`~cognito_privx.errors.CognitoError` naming the IAM action instead.
    """
    from cognito_privx.cognito.availability import unavailable_note, why_unavailable

    found = Secrets()
    params: dict[str, Any] = {"UserPoolId": pool_id, "ClientId": client_id}
    try:
        for _ in range(10):  # at most two secrets: botocore has no paginator for this listing
            page = gw.call("list_user_pool_client_secrets", **params)
            for d in page.get("ClientSecrets", []):
                created = d.get("ClientSecretCreateDate")
                found.append(ClientSecret(str(d["ClientSecretId"]), created if isinstance(created, datetime) else None))
            if not page.get("NextToken"):
                break
            params["NextToken"] = page["NextToken"]
    except CognitoError as e:
        why = why_unavailable(e)
        if why is None:
            raise
        if required:
            raise CognitoError(
                "this endpoint does not support rotating client secrets (ListUserPoolClientSecrets)"
                if why == "unsupported"
                else f"access denied to {LIST_ACTION}",
                "rotate-secret needs ListUserPoolClientSecrets, AddUserPoolClientSecret and "
                "DeleteUserPoolClientSecret, which this Cognito (AWS_ENDPOINT_URL, region or partition) lacks; "
                "nothing was changed"
                if why == "unsupported"
                else f"grant the caller's IAM policy {LIST_ACTION} (docs/permissions.md)",
            ) from e
        found.unavailable = unavailable_note(e, LIST_ACTION, "the app client's secrets (age, rotation)") or ""
        return found
    epoch = datetime.min.replace(tzinfo=UTC)
    ordered = Secrets(sorted(found, key=lambda s: (_aware(s.created) or epoch, s.id)))
    return ordered


def _aware(stamp: datetime | None) -> datetime | None:
    return stamp.replace(tzinfo=UTC) if stamp is not None and stamp.tzinfo is None else stamp


def secret_age_seconds(secret: ClientSecret, now: datetime | None = None) -> float | None:
    """How long ago ``secret`` was made, in seconds; ``None`` when Cognito gave no creation date."""
    created = _aware(secret.created)
    if created is None:
        return None
    return ((now or datetime.now(UTC)) - created).total_seconds()


def secret_age_days(secret: ClientSecret, now: datetime | None = None) -> int | None:
    created = _aware(secret.created)
    if created is None:
        return None
    return max(0, ((now or datetime.now(UTC)) - created).days)


def add_secret(gw: CognitoGateway, pool_id: str, client_id: str, value: str) -> str:
    """Add ``value`` as a second secret (Cognito does not echo a value it was given); its id."""
    response = gw.call("add_user_pool_client_secret", UserPoolId=pool_id, ClientId=client_id, ClientSecret=value)
    return str(response["ClientSecretDescriptor"]["ClientSecretId"])


def delete_secret(gw: CognitoGateway, pool_id: str, client_id: str, secret_id: str) -> None:
    """Delete one secret; one already gone is fine."""
    try:
        gw.call("delete_user_pool_client_secret", UserPoolId=pool_id, ClientId=client_id, ClientSecretId=secret_id)
    except CognitoError as e:
        if aws_error_code(e) != "ResourceNotFoundException":
            raise
