"""The direct-login URL: its candidate forms, and finding out on the real PrivX which one works.

PrivX publishes no "Direct Login URL" format (docs/privx-api.md#direct-login-url). The documented way to start a
login against one OIDC directory is PrivX's OAuth authorize endpoint with ``oidc_id`` (the default of
``[privx] login_url_template``); earlier versions of this tool printed a made-up ``/auth/api/v1/oidc/login`` route.
A URL is right when, requested without following redirects, PrivX answers with a redirect to Cognito's
``/oauth2/authorize`` carrying our app client's id and PrivX's ``/auth/api/v1/oidc-cb`` callback. ``login-url
--verify`` and ``doctor`` request each candidate and say which setting to use when the configured one is wrong.

Shapes: :class:`Probe` (one candidate, requested) with :meth:`Probe.problems` (empty when it leads to Cognito).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx

from cognito_privx.config import DEFAULT_LOGIN_URL_TEMPLATE
from cognito_privx.desired import login_url_for

# The route earlier versions printed; no public source shows it. Probed so a PrivX that serves it is recognised.
LEGACY_LOGIN_URL_TEMPLATE = "{base_url}/auth/api/v1/oidc/login?directory={directory_id}"


def candidate_templates(configured: str) -> list[str]:
    """The templates to try, the configured one first, each once."""
    return list(dict.fromkeys((configured, DEFAULT_LOGIN_URL_TEMPLATE, LEGACY_LOGIN_URL_TEMPLATE)))


@dataclass(frozen=True)
class Probe:
    """One candidate URL and PrivX's answer to it (requested without following redirects)."""

    template: str
    url: str
    status_code: int | None = None
    location: str | None = None  # only when the answer is a redirect
    error: str | None = None  # the transport error, when no answer came

    @property
    def target(self) -> str:
        """Where the redirect goes, without its query (``""`` when there is none)."""
        if not self.location:
            return ""
        parts = urlsplit(self.location)
        return f"{parts.scheme}://{parts.netloc}{parts.path}"

    def problems(self, client_id: str, callback_url: str) -> list[str]:
        """What keeps this URL from starting our login; empty when it redirects to Cognito's authorize endpoint
        with ``client_id`` and ``callback_url``."""
        if self.error:
            return [f"no answer ({self.error})"]
        if not self.location:
            return [f"HTTP {self.status_code}, not a redirect"]
        query = {k: v[0] for k, v in parse_qs(urlsplit(self.location).query).items()}
        problems = []
        if not urlsplit(self.location).path.endswith("/oauth2/authorize"):
            problems.append(f"redirects to {self.target}, not to Cognito's /oauth2/authorize")
        if query.get("client_id") != client_id:
            problems.append(f"client_id is {query.get('client_id')!r}, not {client_id}")
        if query.get("redirect_uri") != callback_url:
            problems.append(f"redirect_uri is {query.get('redirect_uri')!r}, not {callback_url}")
        return problems


def public_url_hint(redirect_uri: str | None, callback_url: str) -> str | None:
    """When PrivX's ``redirect_uri`` (its callback, from the address PrivX was told it has) is on another host than
    ``callback_url`` (the one registered in Cognito, from ``[privx] public_url``): the hint naming the setting and the
    value PrivX uses; else ``None``."""
    if not redirect_uri:
        return None
    theirs, ours = urlsplit(redirect_uri), urlsplit(callback_url)
    if (theirs.scheme, theirs.netloc) == (ours.scheme, ours.netloc) or not theirs.netloc:
        return None
    origin = f"{theirs.scheme}://{theirs.netloc}"
    return (
        f'set [privx] public_url = "{origin}" (where browsers reach PrivX: PrivX sends its callback {redirect_uri}, '
        f"Cognito has {callback_url}), then run `cognito-privx setup`"
    )


def redirect_uri_of(url: str) -> str | None:
    """The ``redirect_uri`` query parameter of ``url``, if any."""
    return next(iter(parse_qs(urlsplit(url).query).get("redirect_uri", [])), None)


def request(http: httpx.Client, template: str, base_url: str, directory_id: str) -> Probe:
    """Request one candidate without following redirects (no token: a browser has none either)."""
    url = login_url_for(template, base_url, directory_id)
    try:
        response = http.get(url, follow_redirects=False)
    except httpx.HTTPError as e:
        return Probe(template, url, error=f"{type(e).__name__}: {e}")
    location = response.headers.get("location") if response.is_redirect else None
    return Probe(template, url, response.status_code, location)


def probe_all(http: httpx.Client, configured: str, base_url: str, directory_id: str) -> list[Probe]:
    """Every candidate, the configured one first."""
    return [request(http, t, base_url, directory_id) for t in candidate_templates(configured)]


def setting_for(template: str) -> str:
    """The config line that selects ``template``."""
    return f'[privx] login_url_template = "{template}"'
