"""Verify a Cognito ID token against the pool's JWKS, with PyJWT.

Checked: the RS256 signature with the JWKS key the token's ``kid`` names, ``iss``, ``aud``, ``exp`` and
``token_use`` (``id``: an access token of the same pool is not an ID token; docs/cognito.md#id-tokens).
moto signs every token with one key, ``kid`` "dummy", which its JWKS lists
(docs/cognito.md#where-moto-differs-from-aws).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jwt


class ProbeError(Exception):
    """A step of the token probe found something wrong (message + hint, like the error tree)."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message, self.hint = message, hint


def _key(jwks: Mapping[str, Any], kid: object) -> jwt.PyJWK:
    try:
        keys = jwt.PyJWKSet.from_dict(dict(jwks)).keys
    except jwt.PyJWTError:  # no keys, or none usable
        keys = []
    key = next((k for k in keys if k.key_id == kid and k.key_type == "RSA"), None)
    if key is None:
        raise ProbeError(
            f"the JWKS has no RSA key with the token's kid {kid!r}", "check that the JWKS belongs to this user pool"
        )
    return key


def _expired(claims: Mapping[str, Any]) -> ProbeError:
    return ProbeError(
        f"the ID token has expired or carries no exp ({claims.get('exp')!r})", "check this machine's clock"
    )


def verify_id_token(token: str, jwks: Mapping[str, Any], *, issuer: str, audience: str) -> dict[str, Any]:
    """The claims of an RS256-signed ID token, after checking its signature against ``jwks``, ``iss``, ``aud``,
    ``exp`` and ``token_use``. Raises :class:`ProbeError`."""
    try:
        header = jwt.get_unverified_header(token)
        unverified: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    except jwt.DecodeError as e:
        raise ProbeError(f"the ID token is not a well-formed JWT ({type(e).__name__})") from None
    kid = header.get("kid")
    if header.get("alg") != "RS256":
        raise ProbeError(f"the ID token is signed with {header.get('alg')!r}, not RS256")
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            _key(jwks, kid),
            algorithms=["RS256"],
            issuer=issuer,
            audience=audience,
            # iat is not checked (a clock a little behind Cognito's must not fail the probe); exp is.
            options={"require": ["exp", "iss", "aud", "token_use"], "verify_iat": False},
        )
    except jwt.InvalidSignatureError:
        raise ProbeError(
            f"the ID token's signature does not verify with the JWKS key {kid!r}",
            "the JWKS does not belong to the pool that issued the token: check the issuer and AWS_ENDPOINT_URL",
        ) from None
    except jwt.InvalidIssuerError:
        raise ProbeError(f"the ID token's iss is {unverified.get('iss')!r}, not {issuer}") from None
    except jwt.InvalidAudienceError:
        raise ProbeError(f"the ID token's aud is {unverified.get('aud')!r}, not the client {audience}") from None
    except jwt.ExpiredSignatureError:
        raise _expired(unverified) from None
    except jwt.MissingRequiredClaimError as e:
        raise (_expired(unverified) if e.claim == "exp" else ProbeError(f"the ID token carries no {e.claim}")) from None
    except jwt.PyJWTError as e:
        raise ProbeError(f"the ID token is not a valid ID token: {e}") from None
    if claims.get("token_use") != "id":
        raise ProbeError(f"the ID token's token_use is {claims.get('token_use')!r}, not 'id'")
    return claims
