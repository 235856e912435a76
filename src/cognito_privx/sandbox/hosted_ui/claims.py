"""Signing and token contents: the hosted UI's RSA key and JWKS, and what ID tokens, access tokens and
``/oauth2/userInfo`` carry.

Sources (Amazon Cognito Developer Guide, "DG"; botocore's ``cognito-idp`` model, "model"):

- DG "Understanding the identity (ID) token": ``iss`` (the AWS issuer), ``aud`` (the app client),
  ``token_use: "id"``, ``sub``, ``cognito:username``, ``auth_time``, ``iat``, ``exp``, ``nonce`` when the
  authorize request had one, ``cognito:groups`` when the user is in groups, ``email_verified`` /
  ``phone_number_verified`` as JSON booleans, and the user attributes **the app client may read**.
- model ``UserPoolClientType.ReadAttributes``: "When you don't specify the ReadAttributes for your app client,
  your app can read the values of email_verified, phone_number_verified, and the standard attributes of your
  user pool" - so with it unset, no ``custom:*`` attribute is readable; with it set, exactly what it lists. The
  console says the opposite ("All attributes are readable and writable by default because none are selected"), so
  an unset list is read as the variant in force says (:mod:`cognito_privx.sandbox.moto_fixes.variant`,
  ``read_attributes_unset``: ``standard`` as the model, or ``all``). ``dev:custom:*`` (developer-only) attributes
  are never readable by a client.
- DG "Understanding the access token": ``token_use: "access"``, ``scope``, ``client_id``, ``username``,
  ``cognito:groups``, no ``aud``.
- DG "The user attributes endpoint" (``userinfo-endpoint``): the access token's scopes choose the attributes:
  ``openid`` alone gives every attribute the client may read; ``profile`` the OIDC profile attributes and the
  custom ones; ``email`` adds ``email`` and ``email_verified``; ``phone`` adds ``phone_number`` and
  ``phone_number_verified`` ("basic profile information" is read here as ``sub`` and ``username``, which the
  guide's sample answer carries); always within what the client may read; every value a string, so
  ``email_verified`` is ``"true"`` there (docs/cognito.md#id-tokens).

Keys: Cognito signs with per-pool RS256 keys served at the issuer's ``jwks_uri``. Each :class:`Signer` makes
its own 2048-bit key (never moto's fixed ``jwks-private.json``), so a token verifies only against the JWKS of
the hosted UI that issued it.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Mapping
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from cognito_privx.sandbox.moto_fixes.reads import STANDARD_ATTRIBUTES, readable

__all__ = ["STANDARD_ATTRIBUTES", "Signer", "access_token_claims", "id_token_claims", "readable", "userinfo"]

VERIFIED_FLAGS = frozenset({"email_verified", "phone_number_verified"})
PROFILE_ATTRIBUTES = frozenset(
    {
        "name",
        "family_name",
        "given_name",
        "middle_name",
        "nickname",
        "preferred_username",
        "profile",
        "picture",
        "website",
        "gender",
        "birthdate",
        "zoneinfo",
        "locale",
        "updated_at",
    }
)
SCOPE_ATTRIBUTES = {
    "email": frozenset({"email", "email_verified"}),
    "phone": frozenset({"phone_number", "phone_number_verified"}),
}


def _flag(value: str) -> bool:
    return value.strip().lower() == "true"


def _at_hash(access_token: str) -> str:
    digest = hashlib.sha256(access_token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode("ascii")


def id_token_claims(
    *,
    iss: str,
    client_id: str,
    username: str,
    values: Mapping[str, str],
    read_attributes: frozenset[str] | None,
    groups: list[str],
    auth_time: int,
    now: int,
    lifetime: int,
    origin_jti: str,
    event_id: str,
    nonce: str | None = None,
    access_token: str | None = None,
) -> dict[str, Any]:
    claims: dict[str, Any] = {
        key: (_flag(value) if key in VERIFIED_FLAGS else value)
        for key, value in readable(values, read_attributes).items()
    }
    claims.update(
        {
            "sub": values.get("sub", ""),
            "iss": iss,
            "aud": client_id,
            "cognito:username": username,
            "token_use": "id",
            "auth_time": auth_time,
            "iat": now,
            "exp": now + lifetime,
            "jti": secrets.token_hex(16),
            "origin_jti": origin_jti,
            "event_id": event_id,
        }
    )
    if groups:
        claims["cognito:groups"] = groups
    if nonce:
        claims["nonce"] = nonce
    if access_token:
        claims["at_hash"] = _at_hash(access_token)
    return claims


def access_token_claims(
    *,
    iss: str,
    client_id: str,
    username: str,
    sub: str,
    scopes: tuple[str, ...],
    groups: list[str],
    auth_time: int,
    now: int,
    lifetime: int,
    origin_jti: str,
    event_id: str,
) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "sub": sub,
        "iss": iss,
        "client_id": client_id,
        "origin_jti": origin_jti,
        "event_id": event_id,
        "token_use": "access",
        "scope": " ".join(scopes),
        "auth_time": auth_time,
        "iat": now,
        "exp": now + lifetime,
        "jti": secrets.token_hex(16),
        "username": username,
        "version": 2,
    }
    if groups:
        claims["cognito:groups"] = groups
    return claims


def userinfo(
    values: Mapping[str, str], read_attributes: frozenset[str] | None, username: str, scopes: tuple[str, ...]
) -> dict[str, str]:
    """The ``/oauth2/userInfo`` answer for an access token with these scopes (see the module docstring)."""
    allowed = readable(values, read_attributes)
    wanted = set(scopes)
    if wanted & {"profile", "email", "phone"}:
        keep: set[str] = set()
        if "profile" in wanted:
            keep |= PROFILE_ATTRIBUTES | {k for k in allowed if k.startswith("custom:")}
        for scope, names in SCOPE_ATTRIBUTES.items():
            if scope in wanted:
                keep |= names
        allowed = {k: v for k, v in allowed.items() if k in keep}
    return {**allowed, "sub": values.get("sub", ""), "username": username}


class Signer:
    """An RS256 key of its own, its JWKS, signing and verifying."""

    def __init__(self) -> None:
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = base64.b64encode(secrets.token_bytes(32)).decode("ascii")

    def jwks(self) -> dict[str, Any]:
        jwk = RSAAlgorithm.to_jwk(self._key.public_key(), as_dict=True)
        return {"keys": [{"alg": "RS256", "e": jwk["e"], "kid": self.kid, "kty": "RSA", "n": jwk["n"], "use": "sig"}]}

    def sign(self, claims: Mapping[str, Any]) -> str:
        # Cognito's header is {"kid", "alg"}: PyJWT leaves out "typ" when it is given as None.
        return jwt.encode(dict(claims), self._key, algorithm="RS256", headers={"kid": self.kid, "typ": None})

    def verify(self, token: str) -> dict[str, Any] | None:
        """The claims of a token this signer made (signature and ``kid`` only: the caller checks the rest)."""
        try:
            if jwt.get_unverified_header(token).get("kid") != self.kid:
                return None
            claims: dict[str, Any] = jwt.decode(
                token,
                self._key.public_key(),
                algorithms=["RS256"],
                options={"verify_exp": False, "verify_aud": False, "verify_iat": False, "verify_nbf": False},
            )
        except jwt.PyJWTError:
            return None
        return claims
