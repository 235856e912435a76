"""What the hosted UI remembers between requests: authorization codes, refresh tokens, the sessions of users
asked for a new password, and its CSRF tokens. In memory, for the life of the :class:`HostedUI`; users, pools and
clients are never copied here (they are read from moto at each request).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field


@dataclass(frozen=True)
class SignedIn:
    """One sign-in: what codes and refresh tokens stand for."""

    pool_id: str
    client_id: str
    username: str  # the internal user name (cognito:username)
    scopes: tuple[str, ...]
    auth_time: int
    origin_jti: str
    event_id: str


@dataclass(frozen=True)
class CodeGrant:
    session: SignedIn
    redirect_uri: str
    nonce: str | None
    code_challenge: str | None  # S256
    expires: float


@dataclass(frozen=True)
class RefreshGrant:
    session: SignedIn
    expires: float
    generation: int = 0  # the user's token generation at issue (moto_view.token_generation): a sign-out moves it
    retired: float | None = None  # rotated out: refused from this time on (the refresh plus the grace period)


@dataclass(frozen=True)
class PendingPassword:
    """A user in FORCE_CHANGE_PASSWORD who gave the right temporary password and must now choose one."""

    pool_id: str
    client_id: str
    username: str
    expires: float


@dataclass
class Store:
    codes: dict[str, CodeGrant] = field(default_factory=dict)
    refresh_tokens: dict[str, RefreshGrant] = field(default_factory=dict)
    pending: dict[str, PendingPassword] = field(default_factory=dict)
    _csrf_key: bytes = field(default_factory=lambda: secrets.token_bytes(32))

    def new_csrf(self) -> str:
        """A CSRF token: a random part and its HMAC, so a forged cookie/field pair is refused too."""
        nonce = secrets.token_urlsafe(18)
        return f"{nonce}.{self._mac(nonce)}"

    def csrf_ok(self, cookie: str | None, submitted: str | None) -> bool:
        """The double-submit check: the form's ``_csrf`` equals the ``XSRF-TOKEN`` cookie, and we made it."""
        if not cookie or not submitted or not hmac.compare_digest(cookie.encode(), submitted.encode()):
            return False
        nonce, _, mac = cookie.partition(".")
        return hmac.compare_digest(mac.encode(), self._mac(nonce).encode())

    def _mac(self, nonce: str) -> str:
        return hmac.new(self._csrf_key, nonce.encode(), hashlib.sha256).hexdigest()[:32]

    def forget_expired(self, now: float) -> None:
        for table in (self.codes, self.refresh_tokens, self.pending):
            for key in [k for k, v in table.items() if v.expires <= now]:
                del table[key]
