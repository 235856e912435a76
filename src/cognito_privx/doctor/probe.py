"""The token probe (``doctor --probe``): a temporary user of a temporary app client logs in, and its ID token
must verify against the pool's JWKS and carry the user's group in the claim PrivX reads tags from.

The only check that writes: it creates the user and the client, and deletes both again, also when a step
fails or something unexpected (a bug, an interrupt) ends it. Their names start with :data:`PROBE_PREFIX`.
"""

from __future__ import annotations

import functools
import secrets
from typing import TYPE_CHECKING, Any

from cognito_privx import cognito
from cognito_privx.desired import DesiredState
from cognito_privx.doctor import idtoken
from cognito_privx.doctor.checks import native_groups, need_client, need_pool, usable_jwks
from cognito_privx.doctor.facts import Facts
from cognito_privx.doctor.registry import SETUP_HINT, Definition, NotOk, fail, skip, warn
from cognito_privx.errors import CognitoError, CognitoPrivxError, aws_error_code

if TYPE_CHECKING:  # types-boto3-cognito-idp: type checking only
    from types_boto3_cognito_idp.type_defs import UserPoolClientTypeTypeDef

PROBE_PREFIX = "cognito-privx-doctor-"
FALLBACK_GROUP = "cognito-privx-probe"  # the group given to the test user when the config maps none


# Challenges a user without an enrolled second factor meets in a pool with MFA required (docs/cognito.md#mfa).
MFA_CHALLENGES = frozenset({"MFA_SETUP", "SOFTWARE_TOKEN_MFA", "EMAIL_OTP", "SMS_MFA", "SELECT_MFA_TYPE"})


class MfaRequired(idtoken.ProbeError):
    """The pool asked the temporary user for a second factor: the probe cannot tell more."""


def definition(gw: cognito.CognitoGateway) -> Definition:
    """The probe as a check, run after the others."""
    return Definition.single("token-probe", functools.partial(token_probe, gw), cognito=True)


class _Probe:
    """One probe run: what it created, so that :meth:`cleanup` deletes exactly that."""

    def __init__(self, gw: cognito.CognitoGateway, pool_id: str) -> None:
        suffix = secrets.token_hex(6)
        self.gw, self.pool_id = gw, pool_id
        self.username = f"{PROBE_PREFIX}{suffix}@example.com"
        self.client_name = f"{PROBE_PREFIX}{suffix}"
        self.created_user = self.created_client = False
        self.client_id: str | None = None

    def create_client(self, client: UserPoolClientTypeTypeDef) -> str:
        self.created_client = True
        temp = self.gw.call(
            "create_user_pool_client",
            UserPoolId=self.pool_id,
            ClientName=self.client_name,
            GenerateSecret=False,
            ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            # The same reads as our client; unset stays unset (an empty list is no valid ReadAttributes).
            **({"ReadAttributes": list(reads)} if (reads := client.get("ReadAttributes")) else {}),
        )["UserPoolClient"]
        self.client_id = str(temp["ClientId"])
        return self.client_id

    def create_user(self, desired: DesiredState, group: str) -> str:
        """Create the user in ``group``; its password."""
        self.created_user = True
        self.gw.call(
            "admin_create_user",
            UserPoolId=self.pool_id,
            Username=self.username,
            MessageAction="SUPPRESS",
            UserAttributes=[
                {"Name": "email", "Value": self.username},
                {"Name": "email_verified", "Value": "true"},
                {"Name": desired.attribute.attribute_name, "Value": group},
            ],
        )
        if native_groups(desired):
            self.gw.call("admin_add_user_to_group", UserPoolId=self.pool_id, Username=self.username, GroupName=group)
        password = "Aa1!" + secrets.token_urlsafe(48)
        self.gw.call(
            "admin_set_user_password",
            UserPoolId=self.pool_id,
            Username=self.username,
            Password=password,
            Permanent=True,
        )
        return password

    def id_token(self, client_id: str, password: str) -> str:
        auth = self.gw.call(
            "admin_initiate_auth",
            UserPoolId=self.pool_id,
            ClientId=client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": self.username, "PASSWORD": password},
        )
        token = (auth.get("AuthenticationResult") or {}).get("IdToken")
        if not token and auth.get("ChallengeName") in MFA_CHALLENGES:
            raise MfaRequired(f"Cognito asked the temporary user for MFA ({auth['ChallengeName']})")
        if not token:
            raise idtoken.ProbeError(f"Cognito returned no ID token (challenge {auth.get('ChallengeName')!r})")
        return str(token)

    def cleanup(self) -> list[str]:
        """Delete the user and client (also after a failure); what could not be deleted."""
        left: list[str] = []
        if self.created_user:
            try:
                self.gw.call("admin_delete_user", UserPoolId=self.pool_id, Username=self.username)
            except CognitoError as e:
                if aws_error_code(e) != "UserNotFoundException":
                    left.append(f"user {self.username}")
        if self.created_client:
            try:
                ids = (
                    [self.client_id]
                    if self.client_id
                    else [c["ClientId"] for c in self.gw.clients_named(self.pool_id, self.client_name)]
                )
                for cid in ids:
                    cognito.delete_client(self.gw, self.pool_id, cid)
            except CognitoError:
                left.append(f"app client {self.client_name}")
        return left


def token_probe(gw: cognito.CognitoGateway, facts: Facts, desired: DesiredState) -> str:
    pool, client = need_pool(facts), need_client(facts)
    jwks = usable_jwks(facts, desired)
    if jwks is None:
        raise skip("skipped: no JWKS to verify a token with (see oidc-discovery)")
    groups = sorted(g.group for g in desired.grants)
    if not groups and native_groups(desired):
        raise skip("skipped: cognito:groups mode needs a [roles] group to put the test user in")
    group = groups[0] if groups else FALLBACK_GROUP
    claim = desired.directory.tags_claim
    probe = _Probe(gw, pool["Id"])
    message = ""
    failure: NotOk | None = None
    try:
        client_id = probe.create_client(client)
        token = probe.id_token(client_id, probe.create_user(desired, group))
        claims: dict[str, Any] = idtoken.verify_id_token(
            token, jwks, issuer=desired.pool.issuer(pool["Id"]), audience=client_id
        )
        value = claims.get(claim)
        if not (group in value if isinstance(value, list) else value == group):
            raise idtoken.ProbeError(
                f"the ID token's {claim} is {value!r}, not {group!r}: PrivX would see no group",
                f"{SETUP_HINT} (it makes {claim} readable)",
            )
        message = f"a test user in group {group} got a valid RS256 ID token (iss, aud, {claim} = {group})"
    except MfaRequired as e:
        failure = warn(f"could not verify with MFA required: {e.message}", None)
    except (idtoken.ProbeError, CognitoPrivxError) as e:
        failure = fail(f"token probe: {e.message}", e.hint)
    finally:
        leftovers = probe.cleanup()
    if leftovers:
        raise fail(
            f"{(failure.message + '; ') if failure else ''}could not remove the temporary {', '.join(leftovers)}",
            f"delete them in the Cognito console (their names start with {PROBE_PREFIX})",
        )
    if failure is not None:
        raise failure
    return message + "; temporary user and client deleted"
