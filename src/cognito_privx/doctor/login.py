"""The login rehearsal (``doctor --login``): a temporary user of a ``[roles]`` group signs in through the direct-login
URL the way a browser without JavaScript would, and PrivX must then give that user exactly the roles of the group.

Per group: create a confirmed Cognito user in the group (names start with :data:`LOGIN_PREFIX`), walk the URL with
httpx (follow redirects; fill the classic sign-in form), read the user back through PrivX's users API
(``users/search`` with our directory as ``source``, ``users/{id}/roles``; docs/privx-api.md#users) and compare its
roles with the grants. The Cognito user is deleted in ``finally``; PrivX has no API to delete a directory user
(privx-sdk-go's RoleStore has none), so its record stays and the result says so.

Every failure names the broken link and the fix; a page the walk does not understand (managed login's JavaScript
page, an unknown PrivX answer) ends as "could not verify" with what was seen -- never a false ✓. A pool with MFA
required ends so before any user is made: the walk cannot enrol a TOTP authenticator (docs/cognito.md#mfa).

Shapes: :func:`rehearse` returns one :class:`Rehearsal` per group.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx

from cognito_privx import cognito, privx
from cognito_privx.desired import DesiredState
from cognito_privx.doctor.report import Status
from cognito_privx.errors import CognitoError, CognitoPrivxError, aws_error_code
from cognito_privx.reconcile import pool_identity

if TYPE_CHECKING:
    from collections.abc import Mapping

LOGIN_PREFIX = "cognito-privx-login-"
MAX_HOPS = 20
SETUP = "run `cognito-privx setup`"

# What an OAuth error code says about the wiring, and how to fix it (docs/cognito.md#the-hosted-ui).
_IDP_ERRORS = {
    "redirect_mismatch": (
        "Cognito refused PrivX's callback URL (redirect_mismatch): the app client's CallbackURLs do not hold "
        "{callback} exactly",
        f"{SETUP} (it sets the callback exactly)",
    ),
    "invalid_scope": (
        "Cognito refused a scope the directory asks for (invalid_scope): the app client does not allow it",
        f"{SETUP} (it allows openid and the directory's scopes)",
    ),
    "invalid_client": (
        "PrivX could not redeem the code (invalid_client): the client secret PrivX holds is not the app client's",
        "run `cognito-privx setup --resend-secret` (PrivX never shows the secret, so only a re-send fixes it)",
    ),
    "invalid_grant": (
        "PrivX could not redeem the code (invalid_grant): the code or the redirect URI did not match",
        f"{SETUP}, then try again",
    ),
    # Cognito answers a token request whose redirect_uri differs from the authorize request's so.
    "unauthorized_client": (
        "Cognito refused the code flow or PrivX's redirect URI (unauthorized_client)",
        f"{SETUP} (it turns on the code flow and sets the callback exactly)",
    ),
}


@dataclass(frozen=True)
class Rehearsal:
    """One group's rehearsed login: the outcome as a check result, and how long the walk took (seconds)."""

    group: str
    status: Status
    message: str
    hint: str | None = None
    seconds: float = 0.0


class _Forms(HTMLParser):
    """The forms of a page: action, method and fields (hidden values kept, others empty)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append({"action": a.get("action", ""), "method": a.get("method", "get").lower(), "fields": {}})
        elif tag == "input" and self.forms and a.get("name"):
            self.forms[-1]["fields"][a["name"]] = a.get("value", "") if a.get("type") == "hidden" else ""


def _sign_in_form(page: str) -> dict[str, Any] | None:
    parser = _Forms()
    parser.feed(page)
    return next((f for f in parser.forms if "password" in f["fields"] and "username" in f["fields"]), None)


@dataclass
class _Walk:
    """What the walk saw: every answer (status, URL), the IdP's error code, the last page."""

    hops: list[tuple[int, str]] = field(default_factory=list)
    idp_error: str | None = None
    signed_in: bool = False
    final: httpx.Response | None = None
    stuck: str | None = None  # why the walk could not go on


def walk(client: httpx.Client, url: str, username: str, password: str) -> _Walk:
    """Follow the direct-login URL like a browser without JavaScript: redirects, then the sign-in form once."""
    seen = _Walk()
    method, data = "GET", None
    for _ in range(MAX_HOPS):
        response = client.request(method, url, data=data, follow_redirects=False)
        seen.hops.append((response.status_code, url))
        seen.final = response
        if response.is_redirect:
            url = urljoin(url, response.headers["location"])
            error = parse_qs(urlsplit(url).query).get("error")
            if error:
                seen.idp_error = error[0]
            method, data = "GET", None
            continue
        form = _sign_in_form(response.text) if "html" in response.headers.get("content-type", "") else None
        if form is not None and not seen.signed_in:
            seen.signed_in = True
            fields = {**form["fields"], "username": username, "password": password}
            url, method, data = urljoin(url, form["action"] or url), "POST", fields
            continue
        if form is not None:
            seen.stuck = "the sign-in form came back after signing in: " + _text(response)[:200]
        elif "new_password" in response.text:
            seen.stuck = "Cognito asked for a new password (the user is in FORCE_CHANGE_PASSWORD)"
        return seen
    seen.stuck = f"more than {MAX_HOPS} redirects"
    return seen


def _text(response: httpx.Response) -> str:
    """A page's visible text, roughly (tags dropped, whitespace folded)."""
    import re

    return " ".join(re.sub(r"<[^>]+>", " ", response.text).split())


class _Router(httpx.BaseTransport):
    """PrivX's requests through PrivX's transport (its CA, its test seam); everything else through ``other``."""

    def __init__(self, privx_host: str, to_privx: httpx.BaseTransport, other: httpx.BaseTransport) -> None:
        self.privx_host, self.to_privx, self.other = privx_host, to_privx, other

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        target = self.to_privx if request.url.netloc.decode() == self.privx_host else self.other
        return target.handle_request(request)


class _TemporaryUser:
    """A confirmed Cognito user in one group, deleted again by :meth:`delete`."""

    def __init__(self, gw: cognito.CognitoGateway, desired: DesiredState, pool_id: str, group: str) -> None:
        self.gw, self.pool_id = gw, pool_id
        self.email = f"{LOGIN_PREFIX}{secrets.token_hex(6)}@example.com"
        self.password = "Aa1!" + secrets.token_urlsafe(24)
        self.created = False
        gw.call(
            "admin_create_user",
            UserPoolId=pool_id,
            Username=self.email,
            MessageAction="SUPPRESS",
            UserAttributes=[
                {"Name": "email", "Value": self.email},
                {"Name": "email_verified", "Value": "true"},
                {"Name": desired.attribute.attribute_name, "Value": group},
            ],
        )
        self.created = True
        if desired.groups:
            gw.call("admin_add_user_to_group", UserPoolId=pool_id, Username=self.email, GroupName=group)
        gw.call(
            "admin_set_user_password", UserPoolId=pool_id, Username=self.email, Password=self.password, Permanent=True
        )

    def delete(self) -> bool:
        """Delete the user; False when it could not be deleted."""
        try:
            self.gw.call("admin_delete_user", UserPoolId=self.pool_id, Username=self.email)
        except CognitoError as e:
            return aws_error_code(e) == "UserNotFoundException"
        return True


def rehearse(
    desired: DesiredState,
    gw: cognito.CognitoGateway,
    px: privx.PrivXClient,
    *,
    all_groups: bool = False,
    http_transport: httpx.BaseTransport | None = None,
) -> list[Rehearsal]:
    """Rehearse the login for the first ``[roles]`` group (every group with ``all_groups``). Never raises for
    what a check should report; raises only bugs."""
    groups = sorted({g.group for g in desired.grants})
    if not groups:
        return [Rehearsal("-", Status.SKIP, "skipped: no [roles] group to sign a test user in with")]
    try:
        pool = cognito.find_our_pool(gw, desired.pool)
        found = privx.find_directories(px, desired.directory.name, pool_identity(desired, pool))
    except CognitoPrivxError as e:
        return [Rehearsal(groups[0], Status.FAIL, f"login rehearsal: {e.message}", e.hint)]
    if pool is None or found.ours is None:
        return [Rehearsal(groups[0], Status.SKIP, "skipped: setup has not run (no pool or no PrivX directory)")]
    try:
        mfa = gw.mfa_config(pool["Id"]).get("MfaConfiguration")
    except CognitoPrivxError as e:
        return [Rehearsal(groups[0], Status.FAIL, f"login rehearsal: {e.message}", e.hint)]
    if mfa == "ON":
        # The walk cannot enrol a TOTP device on Cognito's sign-in page yet: say so, never a false pass.
        return [
            Rehearsal(
                group,
                Status.WARN,
                "could not verify with MFA required: the rehearsal's temporary user cannot enrol a TOTP "
                "authenticator on the sign-in page",
                "sign in once yourself through the direct-login URL (`cognito-privx login-url`)",
            )
            for group in (groups if all_groups else groups[:1])
        ]
    directory = found.ours
    url = privx.login_url(desired, directory) or ""
    other = http_transport or httpx.HTTPTransport()
    privx_transport: httpx.BaseTransport = getattr(px.http, "_transport", None) or httpx.HTTPTransport()
    router = _Router(urlsplit(desired.privx_url).netloc, privx_transport, other)
    results = []
    for group in groups if all_groups else groups[:1]:
        with httpx.Client(transport=router, timeout=30.0, headers={"User-Agent": "cognito-privx doctor"}) as client:
            results.append(_one(client, desired, gw, px, pool["Id"], directory, url, group))
    return results


def _one(
    client: httpx.Client,
    desired: DesiredState,
    gw: cognito.CognitoGateway,
    px: privx.PrivXClient,
    pool_id: str,
    directory: Mapping[str, Any],
    url: str,
    group: str,
) -> Rehearsal:
    expected = sorted({g.role for g in desired.grants if g.group == group})
    started = time.perf_counter()
    user: _TemporaryUser | None = None
    try:
        user = _TemporaryUser(gw, desired, pool_id, group)
        seen = walk(client, url, user.email, user.password)
        outcome = _judge(seen, desired, px, str(directory["id"]), user.email, group, expected)
    except (CognitoPrivxError, httpx.HTTPError) as e:
        message = e.message if isinstance(e, CognitoPrivxError) else f"{type(e).__name__}: {e}"
        outcome = (Status.FAIL, f"login rehearsal: {message}", getattr(e, "hint", None))
    finally:
        deleted = user is None or user.delete()
    status, message, hint = outcome
    if not deleted and user is not None:
        status, message = Status.FAIL, f"{message}; could not delete the temporary Cognito user {user.email}"
    elif user is not None:
        message += f"; temporary user deleted from Cognito (PrivX keeps its record of {user.email})"
    return Rehearsal(group, status, message, hint, time.perf_counter() - started)


def _judge(
    seen: _Walk,
    desired: DesiredState,
    px: privx.PrivXClient,
    directory_id: str,
    email: str,
    group: str,
    expected: list[str],
) -> tuple[Status, str, str | None]:
    """The rehearsal's verdict from what the walk saw and what PrivX now says about the user."""
    final = seen.final
    body = _text(final) if final is not None else ""
    code = seen.idp_error or next((c for c in _IDP_ERRORS if c in body), None)
    if code in _IDP_ERRORS:
        message, hint = _IDP_ERRORS[code]
        return Status.FAIL, message.format(callback=desired.client.callback_url), hint
    refused = _privx_refusal(final, desired)
    if refused is not None:
        return refused
    if seen.stuck:
        return Status.WARN, f"could not verify the login: {seen.stuck}", None
    if not seen.signed_in:
        last = seen.hops[-1] if seen.hops else (0, "")
        return (
            Status.WARN,
            f"could not verify the login: no sign-in form on the way (last answer HTTP {last[0]} at {last[1]}; "
            "managed login needs JavaScript)",
            None,
        )
    users = [u for u in px.search_users(directory_id) if str(u.get("email") or u.get("principal")) == email]
    if not users:
        status = final.status_code if final is not None else "?"
        why = _verification_failure(body)
        if why:
            return Status.FAIL, f"PrivX refused the sign-in: {why}", f"{SETUP} (it repairs the directory's issuer)"
        return (
            Status.WARN,
            f"could not verify: PrivX recorded no user after the sign-in (last answer HTTP {status})",
            None,
        )
    record = users[0]
    roles = sorted(str(r.get("name")) for r in px.user_roles(str(record["id"])))
    tags = list(record.get("tags") or [])
    claim = desired.directory.tags_claim
    missing = [r for r in expected if r not in roles]
    if missing and group not in tags:
        return (
            Status.FAIL,
            f"{email} signed in, but PrivX got no group from the ID token ({claim} missing or not {group!r}; tags "
            f"{tags}): PrivX gives {roles or 'no role'}",
            f"{SETUP} (it makes {claim} readable by the app client)",
        )
    if missing:
        return (
            Status.FAIL,
            f"{email} signed in with tag {group!r}, but PrivX does not give {', '.join(missing)} (gives "
            f"{roles or 'no role'})",
            "check the role-rule-form check: PrivX may expect another [privx] rule_template",
        )
    extra = [r for r in roles if r not in expected]
    message = f"{email} signed in through Cognito; PrivX gives: {', '.join(roles)} (the roles of group {group})"
    if extra:
        return Status.WARN, f"{message}, and also {', '.join(extra)} from rules outside this config", None
    return Status.OK, message, None


def _privx_refusal(final: httpx.Response | None, desired: DesiredState) -> tuple[Status, str, str | None] | None:
    """PrivX's own JSON error on the way (e.g. it could not use the issuer's discovery document), named."""
    if final is None or final.is_success or "json" not in final.headers.get("content-type", ""):
        return None
    try:
        body = final.json()
    except ValueError:
        return None
    if not isinstance(body, dict) or not body.get("error_code"):
        return None
    text = f"{body.get('error_code')}: {body.get('error_message') or ''}".strip(": ")
    # PrivX finds the provider through the issuer's discovery document: a provider it cannot reach or an issuer
    # that does not match is the directory's issuer, in each case.
    if (
        "issuer" in text.lower()
        or "OIDC" in str(body.get("error_code"))
        or body.get("property") == "connection.oidc_issuer"
    ):
        return (
            Status.FAIL,
            f"PrivX refused the directory's issuer ({text}); it must be the pool's issuer exactly",
            f"{SETUP} (it sets the issuer to the pool's, with no trailing slash and not the hosted-UI domain)",
        )
    return Status.FAIL, f"PrivX refused the login: {text}", None


def _verification_failure(body: str) -> str | None:
    """What the relying party said when it refused the ID token (issuer, signature, nonce), if it said so."""
    for marker in ("issuer", "iss ", "signature", "nonce", "audience", "expired"):
        if marker in body.lower():
            return body[:240]
    return None
