"""What a configured value may look like: the patterns AWS and PrivX accept (region, pool id, names, domain
prefix, attribute, group, tag key, IAM role ARN), loopback hosts, and the checks of a group name (with the folding
PrivX's matcher compares groups by), of a rule template that widens grants, of control characters, and of PrivX's
URL (normalised as Cognito compares callbacks)."""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Iterable
from urllib.parse import urlsplit

# Regions are checked against botocore's endpoint data (config/partitions.py), not a pattern of our own.
# A user pool id is ``<region>_<letters and digits>``, at most 55 characters (AWS: ``[\w-]+_[0-9a-zA-Z]+``); its
# region part is checked like a region.
POOL_ID_RE = re.compile(r"^(?P<region>[a-z0-9]+(?:-[a-z0-9]+)+)_[0-9A-Za-z]+$")
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
# A group value must be carried by a Cognito string attribute, a Cognito group name and a PrivX tag, and be matched
# by a PrivX rule (an LDAP-style filter). So: ASCII letters, digits and . _ @ + = - only (docs/users-and-groups.md
# #group-names). None of these is special in an RFC 4515 filter value (those are * ( ) \ and NUL); all are in
# Cognito's GroupNameType pattern [\p{L}\p{M}\p{S}\p{N}\p{P}]+ (botocore cognito-idp service-2.json). No comma
# and no space: "dev,ops" or "dev ops" is two groups typed as one, never one group's name. ASCII only: a matcher
# that folds case and Unicode (LDAP's caseIgnoreMatch with RFC 4518 string preparation: NFKC and case folding;
# our emulator casefolds) takes "opſ" or full-width "ｏｐｓ" for "ops", a second group to everyone else.
GROUP_CHARS = "ASCII letters, digits and _ . @ + = -"
GROUP_RE = re.compile(r"^[A-Za-z0-9_.@+=-]{1,128}$")
GROUP_NAMES_DOC = "docs/users-and-groups.md#group-names"
TAG_KEY_RE = re.compile(r"^[\w\s.:/=+@-]{1,128}$")

LOOPBACK_HOSTS = frozenset({"localhost"})


def is_loopback_host(host: str) -> bool:
    if host in LOOPBACK_HOSTS or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class GroupNameError(ValueError):
    """A group name outside the safe set; ``hint`` says what to do (a group in use is renamed, its users moved)."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.hint = hint


def validate_group_name(group: str) -> str:
    """``group`` when it is 1-128 of :data:`GROUP_CHARS`; raises :class:`GroupNameError` otherwise."""
    if not group:
        raise GroupNameError(
            f"the group name is empty: use 1-128 {GROUP_CHARS}", f"give a group name, e.g. ops ({GROUP_NAMES_DOC})"
        )
    if any(c == "," or c.isspace() for c in group):
        raise GroupNameError(
            f"group {group!r} is not a valid group name: it holds a comma or a space (one group per value; several "
            'groups need group_claim = "cognito:groups" and -g once per group)',
            f"group names are 1-128 {GROUP_CHARS} ({GROUP_NAMES_DOC})",
        )
    if not GROUP_RE.match(group):
        plain = "".join(c for c in unicodedata.normalize("NFKD", group) if not unicodedata.combining(c))
        like = f" (like {plain!r})" if GROUP_RE.match(plain) else ""
        raise GroupNameError(
            f"group {group!r} is not a valid group name: use 1-128 {GROUP_CHARS}",
            f"a group in use under this name: rename it{like} in [roles], move its users with set-group or "
            f"import-users (list-users --group {group} --force lists them), then run setup ({GROUP_NAMES_DOC})",
        )
    return group


def fold_group(group: str) -> str:
    """``group`` as a case- and Unicode-folding matcher compares it: NFKC, case folding, NFKC again.

    NFKC first takes compatibility forms to their plain letters (full-width ``ｏｐｓ``, the long s ``ſ``, modifier
    capitals like ``ᴬ`` that case folding alone leaves); case folding then makes ``OPS`` ``ops`` (and ``ß`` ``ss``);
    the last NFKC puts back into normal form what case folding decomposed (``ǰ``). This is Unicode's
    NFKC_Casefold in all but the default-ignorable characters, which a group name cannot hold anyway, and it is
    what RFC 4518's string preparation for caseIgnoreMatch does (map with case folding, normalise with NFKC).
    """
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", group).casefold())


def group_collisions(groups: Iterable[str]) -> list[tuple[str, str]]:
    """Each pair (first spelling, later spelling) of distinct ``groups`` that fold to the same group, in order."""
    first: dict[str, str] = {}
    pairs: list[tuple[str, str]] = []
    for group in groups:
        known = first.setdefault(fold_group(group), group)
        if known != group and (known, group) not in pairs:
            pairs.append((known, group))
    return pairs


# In a rule template, outside its {group} slot: what makes a filter match more than the group's users. A ``*`` is
# a wildcard (RFC 4515 substring or presence match); ``|`` and ``!`` add or invert (any other user); ``&`` joins
# the group to another condition, which the tool cannot judge; ``>=``, ``<=``, ``~=`` (ordering and approximate
# matches) and ``:=`` (extensible match with a matching rule of its choosing) compare otherwise than for equality.
WIDENING_PARTS = ("*", "|", "&", "!", ">=", "<=", "~=", ":=")


def wide_part(template: str) -> str | None:
    """The first (leftmost) of :data:`WIDENING_PARTS` ``template`` holds outside ``{group}``, else ``None``."""
    fixed = template.replace("{group}", "\0")
    found = [(fixed.index(part), part) for part in WIDENING_PARTS if part in fixed]
    return min(found)[1] if found else None


def control_characters(text: str) -> list[str]:
    """The control, format and line-separating characters in ``text`` (Unicode categories C* and Zl, Zp), as
    ``U+001B``: a terminal escape or a bidi override in a name reads as something else on screen."""
    return [
        f"U+{ord(c):04X}"
        for c in dict.fromkeys(text)
        if unicodedata.category(c).startswith("C") or unicodedata.category(c) in ("Zl", "Zp")
    ]


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
