"""The login rehearsal (``doctor --login``): the group's rehearsal identity signs in through the direct-login URL the
way a browser without JavaScript would, and PrivX must then give that user exactly the roles of the group.

Per group: prepare the group's fixed rehearsal identity (:mod:`.rehearsal_user`: made once, reused, enabled with a
fresh password only for the run), walk the URL with httpx (follow redirects; fill the classic sign-in form), read
the user back through PrivX's users API (``users/search`` with our directory as ``source``, ``users/{id}/roles``;
docs/privx-api.md#users), compare its roles with the grants, and show what PrivX received and did with it
(:mod:`.received`). Then, in ``finally``, the identity is put away: its PrivX session ended, signed out of Cognito
and disabled. PrivX has no API to delete a directory user, so the identity is kept (the same ``sub``: one PrivX
record, reused run after run).

Every failure names the broken link and the fix; a page the walk does not understand (managed login's JavaScript
page, an unknown PrivX answer) ends as "could not verify" with what was seen -- never a false ✓. A pool with MFA
required ends so before any user is prepared: the walk cannot enrol a TOTP authenticator (docs/cognito.md#mfa).

Shapes: :func:`rehearse` returns one :class:`Rehearsal` per group.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx

from cognito_privx import cognito, net, privx
from cognito_privx.desired import DesiredState
from cognito_privx.doctor.facts import network_note
from cognito_privx.doctor.received import received
from cognito_privx.doctor.rehearsal_user import RehearsalUser
from cognito_privx.doctor.report import Status
from cognito_privx.errors import CognitoPrivxError
from cognito_privx.privx import directlogin
from cognito_privx.reconcile import pool_identity

if TYPE_CHECKING:
    from collections.abc import Mapping

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
    # What PrivX received and did with it (:func:`.received.received`); None when no PrivX user was read.
    received: dict[str, Any] | None = None


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


class _Borrowed(httpx.BaseTransport):
    """PrivX's client's transport for one host (its CA, its proxy, its test seam), lent to the walk: the walk's
    client closing does not close it."""

    def __init__(self, transport: httpx.BaseTransport) -> None:
        self.transport = transport

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self.transport.handle_request(request)


def privx_hosts(desired: DesiredState) -> dict[str, str]:
    """PrivX's hosts (``host[:port]``, the API's and the public one) and a URL on each."""
    return {urlsplit(u).netloc: u for u in (desired.privx_url, desired.public_url)}


def walk_client(
    desired: DesiredState, gw: cognito.CognitoGateway, px: privx.PrivXClient, transport: httpx.BaseTransport | None
) -> net.Client:
    """The walk's browser: PrivX's hosts through PrivX's client (its trust, proxy and seam); everything else
    (Cognito's hosted UI) with the AWS side's trust and the environment's proxies, or ``transport`` (the seam)."""
    mounts: dict[str, httpx.BaseTransport | None] = {
        f"all://{host}": _Borrowed(px.http._transport_for_url(httpx.URL(url)))
        for host, url in privx_hosts(desired).items()
    }
    return net.http_client(
        gw.trust(), transport=transport, mounts=mounts, headers={"User-Agent": "cognito-privx doctor"}
    )


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
                "could not verify with MFA required: the rehearsal identity cannot enrol a TOTP "
                "authenticator on the sign-in page",
                "sign in once yourself through the direct-login URL (`cognito-privx login-url`)",
            )
            for group in (groups if all_groups else groups[:1])
        ]
    directory = found.ours
    url = privx.login_url(desired, directory) or ""
    results = []
    for group in groups if all_groups else groups[:1]:
        with walk_client(desired, gw, px, http_transport) as client:
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
    user = RehearsalUser(gw, desired, pool_id, group)
    shown: dict[str, Any] | None = None
    try:
        user.prepare()
        seen = walk(client, url, user.email, user.password)
        status, message, hint, shown = _judge(seen, desired, px, str(directory["id"]), user.email, group, expected)
    except CognitoPrivxError as e:
        status, message, hint = Status.FAIL, f"login rehearsal: {e.message}", e.hint
    except httpx.HTTPError as e:
        on_privx = isinstance(e, httpx.RequestError) and e.request.url.netloc.decode() in privx_hosts(desired)
        note, hint = network_note(px.http if on_privx else client, e)
        status, message = Status.FAIL, f"login rehearsal: {type(e).__name__}: {e}{note}"
    finally:
        cleanup = user.put_away(px, str(directory["id"]))
    message += f"; rehearsal identity {user.email} (kept disabled between rehearsals); {cleanup.privx}"
    if cleanup.cognito_error is not None:
        status = Status.FAIL
        message += f"; could not sign it out and disable it in Cognito: {cleanup.cognito_error.message}"
        hint = hint or cleanup.cognito_error.hint
    elif cleanup.privx_error is not None:
        status = Status.FAIL if status is Status.FAIL else Status.WARN
        hint = hint or cleanup.privx_error.hint
    return Rehearsal(group, status, message, hint, time.perf_counter() - started, shown)


def _judge(
    seen: _Walk,
    desired: DesiredState,
    px: privx.PrivXClient,
    directory_id: str,
    email: str,
    group: str,
    expected: list[str],
) -> tuple[Status, str, str | None, dict[str, Any] | None]:
    """The rehearsal's verdict from what the walk saw and what PrivX now says about the user, and what PrivX
    received (``None`` when it recorded no user)."""
    early = _walk_verdict(seen, desired)
    if early is not None:
        return (*early, None)
    final = seen.final
    users = [u for u in px.search_users(directory_id) if str(u.get("email") or u.get("principal")) == email]
    if not users:
        status = final.status_code if final is not None else "?"
        why = _verification_failure(_text(final) if final is not None else "")
        if why:
            hint = f"{SETUP} (it repairs the directory's issuer)"
            return Status.FAIL, f"PrivX refused the sign-in: {why}", hint, None
        return (
            Status.WARN,
            f"could not verify: PrivX recorded no user after the sign-in (last answer HTTP {status})",
            None,
            None,
        )
    record = users[0]
    roles = sorted(str(r.get("name")) for r in px.user_roles(str(record["id"])))
    return (*_roles_verdict(desired, record, roles, email, group, expected), received(desired, group, record, roles))


def _walk_verdict(seen: _Walk, desired: DesiredState) -> tuple[Status, str, str | None] | None:
    """A failure the walk itself shows (the IdP's or PrivX's error, a page it could not get past); ``None``."""
    final = seen.final
    body = _text(final) if final is not None else ""
    code = seen.idp_error or next((c for c in _IDP_ERRORS if c in body), None)
    if code in _IDP_ERRORS:
        message, hint = _IDP_ERRORS[code]
        authorize = (u for _, u in seen.hops if urlsplit(u).path.endswith("/oauth2/authorize"))
        sent = next((r for u in authorize if (r := directlogin.redirect_uri_of(u))), None)
        moved = directlogin.public_url_hint(sent, desired.client.callback_url) if code == "redirect_mismatch" else None
        if moved is not None:
            return Status.FAIL, f"{message.format(callback=desired.client.callback_url)}: PrivX sends {sent}", moved
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
    return None


def _roles_verdict(
    desired: DesiredState, record: Mapping[str, Any], roles: list[str], email: str, group: str, expected: list[str]
) -> tuple[Status, str, str | None]:
    """The verdict on the roles PrivX gives the signed-in user."""
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
