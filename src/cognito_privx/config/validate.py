"""What a configured value may look like: the patterns AWS and PrivX accept (region, pool id, names, domain
prefix, attribute, group, tag key, IAM role ARN), loopback hosts, and the checks of a group name and of PrivX's
URL (normalised as Cognito compares callbacks)."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

REGION_PATTERN = r"[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}"
REGION_RE = re.compile(rf"^{REGION_PATTERN}$")
# A user pool id is ``<region>_<letters and digits>``, at most 55 characters (AWS: ``[\w-]+_[0-9a-zA-Z]+``).
POOL_ID_RE = re.compile(rf"^(?P<region>{REGION_PATTERN})_[0-9A-Za-z]+$")
POOL_ID_MAX = 55
# The error type of a pool id outside the configured region (load_config names where the region came from).
POOL_ID_REGION_ERROR = "pool_id_region"
# IAM role ARNs only (import jobs: the role Cognito assumes to write CloudWatch Logs).
ROLE_ARN_RE = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
# AWS: PoolName and ClientName are 1..128 of [\w\s+=,.@-]+.
AWS_NAME_RE = re.compile(r"^[\w\s+=,.@-]{1,128}$")
# Cognito prefix domains (docs/cognito.md#domains).
DOMAIN_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
DOMAIN_RESERVED = ("aws", "amazon", "cognito")
# Custom attribute names: AWS allows 1..20 printable characters; we keep to a portable subset (no ':' so
# that ``custom:group`` is caught: it would become ``custom:custom:group``).
ATTRIBUTE_RE = re.compile(r"^[A-Za-z0-9_.-]{1,20}$")
# A group value must be carried by a Cognito string attribute, a Cognito group name and a PrivX tag.
# No comma and no space: "dev,ops" or "dev ops" is two groups typed as one, never one group's name.
GROUP_RE = re.compile(r"^[\w.@+=-]{1,128}$")
TAG_KEY_RE = re.compile(r"^[\w\s.:/=+@-]{1,128}$")

LOOPBACK_HOSTS = frozenset({"localhost"})


def is_loopback_host(host: str) -> bool:
    if host in LOOPBACK_HOSTS or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def validate_group_name(group: str) -> str:
    if any(c == "," or c.isspace() for c in group):
        raise ValueError(
            f"group {group!r} is not a valid group name: it holds a comma or a space (one group per value; several "
            'groups need group_claim = "cognito:groups" and -g once per group)'
        )
    if not GROUP_RE.match(group):
        raise ValueError(f"group {group!r} is not a valid group name: use 1-128 letters, digits and _ . @ + = -")
    return group


def validate_privx_url(v: str) -> str:
    parts = urlsplit(v.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError(f"{v!r} is not an http(s) URL like https://privx.example.com")
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise ValueError(f"{v!r} uses plain http; only https is allowed (http only for localhost)")
    if parts.query or parts.fragment:
        raise ValueError(f"{v!r} must not carry a query or fragment")
    if parts.path.strip("/"):
        # The web UI lives under /privx/; the API and the OIDC callback under the host's root.
        raise ValueError(f"{v!r} has a path; give PrivX's base URL, like {parts.scheme}://{parts.netloc}")
    if parts.username is not None or parts.password is not None:
        raise ValueError(f"{v!r} carries a user name or password; give PrivX's base URL without them")
    return normalise_url(v)


_DEFAULT_PORTS = {"https": 443, "http": 80}


def normalise_url(v: str) -> str:
    """The URL as Cognito compares callbacks and PrivX builds them: lower-case scheme and host, no default port,
    no trailing slash. ``https://PrivX.Example.com:443/`` → ``https://privx.example.com``."""
    parts = urlsplit(v.strip())
    scheme = parts.scheme.lower()
    host = parts.hostname or ""  # urlsplit lower-cases it
    if ":" in host:
        host = f"[{host}]"  # an IPv6 address
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"{v!r} has an invalid port") from None
    netloc = host if port is None or port == _DEFAULT_PORTS.get(scheme) else f"{host}:{port}"
    return f"{scheme}://{netloc}{parts.path.rstrip('/')}"


def validate_callback_url(url: str) -> str:
    """AWS accepts callback URLs with https, or http for ``localhost`` only (moto accepts anything)."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        return url
    if parts.scheme == "http" and parts.hostname == "localhost":
        return url
    raise ValueError(
        f"the callback URL {url} would be refused by Cognito, which accepts https, "
        "or http only with the host name 'localhost' (use http://localhost:PORT instead of an IP address)"
    )
