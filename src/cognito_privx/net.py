"""The one factory for every HTTPS call the tool makes itself (httpx): PrivX's API, discovery and JWKS, the token
endpoint, the login walk, the import-job upload. It honours the trust and proxy settings boto3 and the ecosystem
honour; the table of them, and which one wins, is docs/network.md.

A basic: it imports nothing of the product but errors.

- Trust (:class:`Trust`): for the AWS side (:func:`aws_trust`) ``AWS_CA_BUNDLE``, else the profile's
  ``ca_bundle`` (botocore's own order: its config variable ``ca_bundle``, env first), else ``SSL_CERT_FILE`` /
  ``SSL_CERT_DIR`` (OpenSSL's, and httpx's own), else ``REQUESTS_CA_BUNDLE``, else ``CURL_CA_BUNDLE`` (requests'
  order), else the system store plus certifi. For PrivX (:func:`privx_trust`) the same, with ``PRIVX_CA_CERT``
  added to it. Verification is never off.
- Proxies: httpx's own reading of the environment (``trust_env``; httpx 0.28/0.29
  ``_utils.get_environment_proxies``: ``HTTPS_PROXY`` / ``HTTP_PROXY`` / ``ALL_PROXY`` and ``NO_PROXY``, either
  case, lower case winning as in ``urllib.request.getproxies``), with one correction so it agrees with botocore,
  requests, urllib and curl: a ``NO_PROXY`` entry with a leading dot (``.corp.example``) also matches the domain
  itself.
- :class:`Client` is an ``httpx.Client`` that knows its trust and says, for a URL, which CA and which proxy a
  request there used (:meth:`Client.route`), for doctor's failures.
"""

from __future__ import annotations

import os
import ssl
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from urllib.request import getproxies

import httpx
from httpx._utils import URLPattern, get_environment_proxies  # what httpx itself routes by (trust_env)

from cognito_privx.errors import ConfigError

DOCS = "docs/network.md"


@dataclass(frozen=True)
class Trust:
    """Which CAs one side trusts: ``setting`` (where it came from: ``AWS_CA_BUNDLE``, ``ca_bundle of profile
    X``, ``REQUESTS_CA_BUNDLE``, ``CURL_CA_BUNDLE``, ``SSL_CERT_FILE``, ``SSL_CERT_DIR``; ``None``: the system store
    and certifi), ``path`` (a file, or a directory for ``SSL_CERT_DIR``), ``extra_pem`` (``PRIVX_CA_CERT``'s PEM text,
    added)."""

    setting: str | None = None
    path: str | None = None
    extra_pem: str | None = None

    def describe(self) -> str:
        """``"AWS_CA_BUNDLE (/etc/ca.pem)"``, ``"system/certifi"``, with ``" + PRIVX_CA_CERT"`` when it is added."""
        base = f"{self.setting} ({self.path})" if self.setting else "system/certifi"
        return base + (" + PRIVX_CA_CERT" if self.extra_pem else "")

    def context(self) -> ssl.SSLContext:
        """The verifying SSL context. Raises :class:`ConfigError` naming the setting when its file is unusable.

        One context per trust and per version of its file (device, inode, size, modification time) in a process:
        a run opens several clients, and loading a bundle costs 30-55 ms of CPU each time (~150-300 CAs). A file
        changed or replaced since is loaded anew; a file gone is refused as before (nothing is cached for it). A
        context is safe to share: the clients only read it (httpcore sets the same ALPN list, HTTP/1.1, on each
        use)."""
        if self.path is None:
            version: tuple[int, ...] | None = ()
        else:
            try:
                st = os.stat(self.path)
                version = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
            except OSError:
                version = None  # unusable: _load says why, every time
        if version is None:
            return self._load()
        key = (self, version)
        with _CONTEXTS_LOCK:
            cached = _CONTEXTS.get(key)
        if cached is not None:
            return cached
        ctx = self._load()
        with _CONTEXTS_LOCK:
            if len(_CONTEXTS) >= _CONTEXTS_MAX:  # a long-lived process whose files keep changing: start again
                _CONTEXTS.clear()
            return _CONTEXTS.setdefault(key, ctx)

    def _load(self) -> ssl.SSLContext:
        """A new verifying context, its CAs loaded from the trust's source (see :meth:`context`)."""
        try:
            if self.path is None:
                import certifi

                ctx = ssl.create_default_context()  # the system store
                ctx.load_verify_locations(cafile=certifi.where())
            elif os.path.isdir(self.path):
                ctx = ssl.create_default_context(capath=self.path)
            else:
                ctx = ssl.create_default_context(cafile=self.path)
        except (OSError, ssl.SSLError) as e:
            reason = getattr(e, "strerror", None) or getattr(e, "reason", None) or type(e).__name__
            raise ConfigError(
                f"{self.setting}: cannot use {self.path} as a CA bundle ({reason})",
                f"point {self.setting} at a readable PEM file of CA certificates (see {DOCS})",
            ) from None
        if self.extra_pem:
            try:
                ctx.load_verify_locations(cadata=self.extra_pem)
            except (ssl.SSLError, TypeError, ValueError) as e:
                from cognito_privx.errors import CredentialsError

                reason = getattr(e, "reason", None) or str(e).split(":")[0] or type(e).__name__
                raise CredentialsError(
                    f"PRIVX_CA_CERT is not a valid PEM certificate ({reason})",
                    "export the CA again as PEM (ASCII text)",
                ) from None
        return ctx


_CONTEXTS: dict[tuple[Trust, tuple[int, ...]], ssl.SSLContext] = {}  # Trust.context's, by trust and file version
_CONTEXTS_LOCK = threading.Lock()
_CONTEXTS_MAX = 16


def _common_trust(environ: Mapping[str, str]) -> Trust:
    """The ecosystem's settings after AWS's: OpenSSL's and httpx's own (``SSL_CERT_FILE``, ``SSL_CERT_DIR``: what
    this tool honoured before, so they keep winning), then requests' (``REQUESTS_CA_BUNDLE``, ``CURL_CA_BUNDLE``),
    then the system store and certifi."""
    for name in ("SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        if environ.get(name):
            return Trust(name, environ[name])
    return Trust()


def aws_trust(ca_bundle: str | None, profile: str | None = None, environ: Mapping[str, str] | None = None) -> Trust:
    """The AWS side's trust (Cognito's discovery, JWKS, token endpoint, hosted UI; S3's pre-signed upload).

    ``ca_bundle`` is botocore's config variable of that name (``session.get_config_variable("ca_bundle")``:
    ``AWS_CA_BUNDLE``, else the profile's ``ca_bundle``), so the tool trusts what boto3 trusts."""
    env = os.environ if environ is None else environ
    if ca_bundle:
        setting = (
            "AWS_CA_BUNDLE" if env.get("AWS_CA_BUNDLE") == ca_bundle else f"ca_bundle of profile {profile or 'default'}"
        )
        return Trust(setting, ca_bundle)
    if env.get("AWS_CA_BUNDLE"):
        return Trust("AWS_CA_BUNDLE", env["AWS_CA_BUNDLE"])
    return _common_trust(env)


def privx_trust(ca_pem: str | None, environ: Mapping[str, str] | None = None) -> Trust:
    """PrivX's trust: ``PRIVX_CA_CERT`` (PEM text; :meth:`PrivXCredentials.ca_pem` reads a path) added to the
    chain (``AWS_CA_BUNDLE``, ``SSL_CERT_FILE``/``DIR``, ``REQUESTS_CA_BUNDLE``, ``CURL_CA_BUNDLE``, system/certifi):
    PrivX's own CA, and a TLS-inspecting proxy's when one re-signs PrivX too. A profile's ``ca_bundle`` is AWS's
    and not read for PrivX."""
    env = os.environ if environ is None else environ
    base = Trust("AWS_CA_BUNDLE", env["AWS_CA_BUNDLE"]) if env.get("AWS_CA_BUNDLE") else _common_trust(env)
    return Trust(base.setting, base.path, ca_pem or None)


def redact(url: str) -> str:
    """A proxy URL without its password (``http://alice:***@proxy:3128``)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return parts._replace(netloc=f"{parts.username}:***@{host}").geturl()


def _leading_dot_hosts() -> dict[str, None]:
    """Mounts that make ``NO_PROXY=.corp.example`` match ``corp.example`` itself, as botocore (urllib's
    ``proxy_bypass_environment``), requests and curl do; httpx alone matches only the subdomains."""
    no_proxy = getproxies().get("no", "")
    return {
        f"all://{entry.strip()[1:]}": None
        for entry in no_proxy.split(",")
        if entry.strip().startswith(".") and "://" not in entry and len(entry.strip()) > 1
    }


def proxy_for(url: str) -> str:
    """Which proxy a request to ``url`` takes under this environment, as :class:`Client` routes it: the proxy URL
    (password redacted), ``"none"`` or ``"none (NO_PROXY matched)"``."""
    target = httpx.URL(url)
    proxies = getproxies()
    if not any(proxies.get(k) for k in ("http", "https", "all")):
        return "none"
    mounts: dict[str, str | None] = {**get_environment_proxies(), **_leading_dot_hosts()}
    if not mounts:  # NO_PROXY=*
        return "none (NO_PROXY matched)"
    for pattern in sorted(URLPattern(k) for k in mounts):
        if pattern.matches(target):
            proxy = mounts[pattern.pattern]
            return redact(proxy) if proxy else "none (NO_PROXY matched)"
    return "none"


class Client(httpx.Client):
    """An ``httpx.Client`` over :class:`Trust` and the environment's proxies; ``trust`` kept for :meth:`route`."""

    def __init__(self, trust: Trust, **kwargs: Any) -> None:
        mounts = {**_leading_dot_hosts(), **(kwargs.pop("mounts", None) or {})}
        super().__init__(verify=trust.context(), trust_env=True, mounts=mounts, **kwargs)
        self.trust = trust
        self.seam = kwargs.get("transport") is not None

    def route(self, url: str) -> str:
        """``"CA: <which>; proxy: <which>"`` for a request to ``url`` (for a failure's message)."""
        return f"CA: {self.trust.describe()}; proxy: {'none (test transport)' if self.seam else proxy_for(url)}"

    def transport_for(self, url: str) -> httpx.BaseTransport:
        """The transport a request to ``url`` goes through (its proxy, or none), for a client routing to ours."""
        return self._transport_for_url(httpx.URL(url))


def http_client(
    trust: Trust,
    *,
    transport: httpx.BaseTransport | None = None,
    timeout: float | httpx.Timeout = 30.0,
    follow_redirects: bool = False,
    base_url: str = "",
    headers: Mapping[str, str] | None = None,
    mounts: Mapping[str, httpx.BaseTransport | None] | None = None,
) -> Client:
    """The client for one side. ``transport`` is the test seam (it replaces the network; the environment's proxies
    are then not used, as httpx does); ``mounts`` route some hosts elsewhere (the login walk sends PrivX's hosts
    through PrivX's client). Raises :class:`ConfigError` / ``CredentialsError`` for an unusable CA setting."""
    return Client(
        trust,
        transport=transport,
        timeout=timeout,
        follow_redirects=follow_redirects,
        base_url=base_url,
        headers={"User-Agent": "cognito-privx", **(headers or {})},
        mounts=dict(mounts or {}),
    )


def is_tls_failure(error: BaseException) -> bool:
    """Whether ``error`` (an httpx error) is a failed certificate verification."""
    return isinstance(error.__context__, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in str(error)
