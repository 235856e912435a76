"""PrivX's log-in, as an ``httpx.Auth`` flow.

Authentication (docs/privx-api.md#authentication): the OAuth password grant with the OAuth client in Basic
auth and the API client as user, a token reused until shortly before it expires, and one fresh login after a 401.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Generator
from typing import Any

import httpx

from cognito_privx.config import PrivXCredentials
from cognito_privx.errors import PrivXAPIError, PrivXAuthError
from cognito_privx.privx import answers
from cognito_privx.privx.transport import HINT_401, TOKEN_PATH, error_text

# Log in again this long before the token expires (the Python SDK keeps 3 s; clocks and slow calls differ).
TOKEN_MARGIN_S = 10.0


class PrivXAuth(httpx.Auth):
    """PrivX's log-in as an httpx auth flow (docs/privx-api.md#authentication).

    Adds the bearer token; logs in first (the OAuth password grant: the OAuth client in Basic auth, the API client
    as user) when there is no token or it expires within ``TOKEN_MARGIN_S``; after a 401 logs in once more and
    repeats the request once. A ready token (``PRIVX_API_BEARER_TOKEN``) is sent as it is and never renewed.

    A refused log-in (400/401/403) raises :class:`PrivXAuthError`. Any other failed grant (429, 5xx, 404) ends the
    flow with the token endpoint's answer: the caller's retry policy and error mapping decide what it means.
    """

    requires_response_body = True

    def __init__(
        self,
        credentials: PrivXCredentials,
        build_request: Callable[..., httpx.Request],
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._creds = credentials
        self._build_request = build_request  # the client's: its base URL, headers and timeouts apply
        self._clock = clock
        self._token: str | None = None
        self._expires = 0.0

    def fixed_token(self) -> str | None:
        """A ready bearer token (``PRIVX_API_BEARER_TOKEN``), if one is set and not empty."""
        token = self._creds.bearer_token
        return token.get_secret_value() if token is not None and token.get_secret_value() else None

    def needs_login(self) -> bool:
        return self.fixed_token() is None and (self._token is None or self._clock() >= self._expires)

    def grant(self) -> dict[str, Any]:
        """The token request's headers and form (docs/privx-api.md#authentication)."""
        creds = self._creds
        assert creds.api_client_id and creds.api_client_secret and creds.oauth_client_secret  # checked earlier
        basic = base64.b64encode(
            f"{creds.oauth_client_id}:{creds.oauth_client_secret.get_secret_value()}".encode()
        ).decode()
        return {
            "headers": {"Authorization": f"Basic {basic}"},
            "data": {
                "grant_type": "password",
                "username": creds.api_client_id,
                "password": creds.api_client_secret.get_secret_value(),
            },
        }

    def accept(self, response: httpx.Response) -> bool:
        """Take the token from the token endpoint's answer; ``False`` when it failed other than by refusal."""
        if response.status_code in (400, 401, 403):
            raise PrivXAuthError(
                f"PrivX refused the login: {error_text(response)}", HINT_401, status=response.status_code
            )
        if response.status_code != 200:
            return False
        try:
            body = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise PrivXAPIError(
                "PrivX's token endpoint answered without an access token",
                "check that [privx] url points at PrivX itself, not a proxy or login page",
                status=response.status_code,
            ) from e
        # An expires_in PrivX did not write readably ("", null) is the default lifetime (privx/answers.py).
        token = answers.check(answers.Token, body, "POST", TOKEN_PATH, response.status_code)
        self._token = token.access_token
        lifetime = token.lifetime
        self._expires = self._clock() + max(lifetime - TOKEN_MARGIN_S, lifetime / 2)
        return True

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        fixed = self.fixed_token()
        if fixed is not None:
            request.headers["Authorization"] = f"Bearer {fixed}"
            yield request
            return
        if self.needs_login() and not self.accept((yield self._build_request("POST", TOKEN_PATH, **self.grant()))):
            return
        request.headers["Authorization"] = f"Bearer {self._token}"
        response = yield request
        if response.status_code == 401:  # expired or revoked early (a server restart): log in once more
            self._token = None
            if self.accept((yield self._build_request("POST", TOKEN_PATH, **self.grant()))):
                request.headers["Authorization"] = f"Bearer {self._token}"
                yield request
