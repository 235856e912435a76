"""AWS partitions and regions from botocore's own endpoint data, not a hand list (docs/cognito.md#partitions).

A region is valid when botocore lists ``cognito-idp`` in it, or when it matches a partition's ``regionRegex`` (a
region newer than the installed botocore, or one where botocore's data does not list Cognito yet: accepted, with
a warning from :func:`region_warning`). From the partition come the names a pool is known by:

- the OIDC issuer ``https://cognito-idp.<region>.<dnsSuffix>/<pool id>`` (:func:`issuer`);
- the hosted-UI prefix domain ``https://<prefix>.<auth label>.<region>.<hosted-UI suffix>`` (:func:`domain_url`):
  ``auth`` and ``amazoncognito.com`` in ``aws``; ``auth-fips`` in GovCloud (the AWS GovCloud (US) User Guide,
  "Amazon Cognito in AWS GovCloud (US)": ``<domain>.auth-fips.us-gov-west-1.amazoncognito.com``). Elsewhere AWS
  documents no prefix domain; it is built the same way (``amazonaws`` → ``amazoncognito`` in the partition's DNS
  suffix, else the suffix itself) and marked unverified (:attr:`Partition.hosted_ui_verified`).

botocore's data: ``botocore/data/endpoints.json`` through :class:`botocore.regions.EndpointResolver` (the same
object boto3's ``Session.get_available_regions`` reads): the partition's ``partition``, ``dnsSuffix`` and
``regionRegex``, and the regions listing ``cognito-idp``. botocore is imported only when a region is checked.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from cognito_privx.errors import ConfigError

SERVICE = "cognito-idp"
# Partitions where AWS documents the hosted-UI prefix domain (sources above); the rest are built by analogy.
_HOSTED_UI_DOCUMENTED = frozenset({"aws", "aws-us-gov"})
# Partitions whose Cognito is FIPS-only, with the ``auth-fips`` hosted-UI label (GovCloud User Guide).
_FIPS_ONLY = frozenset({"aws-us-gov"})


class UnknownRegionError(ValueError):
    """A region botocore does not list and that matches no partition's ``regionRegex``."""


@dataclass(frozen=True)
class Partition:
    """An AWS partition as botocore's endpoint data describes it, with the names Cognito uses in it.

    ``name``: ``aws``, ``aws-cn``, ``aws-us-gov``, ``aws-iso*``, ``aws-eusc``, …; ``dns_suffix``: the API's DNS
    suffix (``amazonaws.com``, ``amazonaws.com.cn``, ``amazonaws.eu``, ``c2s.ic.gov``, …);
    ``hosted_ui_domain_suffix``: the prefix domain's suffix (``amazoncognito.com``); ``fips``: the hosted UI answers
    on ``auth-fips`` only; ``hosted_ui_verified``: AWS documents that domain (else it is our analogy).
    """

    name: str
    dns_suffix: str
    hosted_ui_domain_suffix: str
    fips: bool
    hosted_ui_verified: bool

    @property
    def auth_label(self) -> str:
        """``auth`` or, where Cognito is FIPS-only, ``auth-fips``."""
        return "auth-fips" if self.fips else "auth"


@dataclass(frozen=True)
class RegionInfo:
    """A region, its partition, and whether botocore's data lists ``cognito-idp`` in it."""

    region: str
    partition: Partition
    known: bool


def data_path() -> str | None:
    """botocore's ``AWS_DATA_PATH`` (directories searched for its data before the built-in data), ``None`` when unset:
    a partition or region defined there is known to the region check as to the client. (botocore also reads a
    profile's ``data_path`` from ``~/.aws/config``; the region check runs before any profile is chosen and follows
    the variable only.)"""
    import os

    return os.environ.get("AWS_DATA_PATH") or None


def data_loader() -> Any:
    """The run's botocore data loader (``botocore.loaders.Loader`` on :func:`data_path`, the built-in data and
    ``~/.aws/models``), one per process and path: :func:`cognito_privx.cognito.session.open_clients` hands it to its
    botocore session when the session's ``data_path`` is the same, so ``endpoints.json`` (1.2 MB of JSON) is parsed
    once per run, not once here and once for the client (issue 24)."""
    return _loader(data_path())


@functools.cache
def _loader(search_path: str | None) -> Any:
    from botocore.loaders import create_loader

    return create_loader(search_path)


def _endpoint_data() -> dict[str, Any]:
    """botocore's ``endpoints.json`` on :func:`data_path`, its shape checked once per path. Raises
    :class:`BotocoreDataError` when it cannot be read or is not botocore's shape."""
    return _checked_endpoints(data_path())


@functools.cache
def _checked_endpoints(search_path: str | None) -> dict[str, Any]:
    try:
        data: dict[str, Any] = _loader(search_path).load_data("endpoints")
        for raw in data["partitions"]:
            str(raw["partition"]), str(raw["dnsSuffix"]), re.compile(str(raw["regionRegex"]))
            dict(raw.get("regions", {})), dict(raw["services"].get(SERVICE, {}).get("endpoints", {}))
    except (OSError, ValueError, LookupError, TypeError, AttributeError, re.error) as e:
        raise _data_error(e) from None
    return data


class BotocoreDataError(ConfigError):
    """botocore's endpoint data cannot be read, or is not its shape (a broken ``endpoints.json`` under
    ``AWS_DATA_PATH``, a damaged botocore): exit 2, naming where it came from."""


def _data_error(e: BaseException) -> BotocoreDataError:
    reason = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
    path = data_path()
    if path is not None:
        return BotocoreDataError(
            f"botocore's endpoint data (AWS_DATA_PATH={path}) cannot be read: {reason}",
            "fix the endpoints.json there or unset AWS_DATA_PATH (botocore's client reads the same data)",
        )
    return BotocoreDataError(
        f"the installed botocore's endpoint data cannot be read: {reason}",
        "reinstall it: pip install --force-reinstall botocore",
    )


def _known_regions() -> dict[str, str]:
    """Region → partition for every region botocore lists ``cognito-idp`` in."""
    return _regions_listing_cognito(data_path())


@functools.cache
def _regions_listing_cognito(search_path: str | None) -> dict[str, str]:
    from botocore.regions import EndpointResolver

    resolver = EndpointResolver(_checked_endpoints(search_path))
    try:
        return {
            region: name
            for name in resolver.get_available_partitions()
            for region in resolver.get_available_endpoints(SERVICE, name)
        }
    except (LookupError, TypeError, AttributeError, ValueError) as e:  # a shape the check above lets through
        raise _data_error(e) from None


def _hosted_ui_suffix(dns_suffix: str) -> str:
    head, _, rest = dns_suffix.partition(".")
    return f"amazoncognito.{rest}" if head == "amazonaws" else dns_suffix


def _partition(raw: dict[str, Any]) -> Partition:
    name = str(raw["partition"])
    suffix = str(raw["dnsSuffix"])
    return Partition(name, suffix, _hosted_ui_suffix(suffix), name in _FIPS_ONLY, name in _HOSTED_UI_DOCUMENTED)


def partitions() -> list[Partition]:
    """Every partition botocore knows, in its data's order."""
    return [_partition(p) for p in _endpoint_data()["partitions"]]


def partition_regex(name: str) -> str:
    """The partition's ``regionRegex`` from botocore's data (``KeyError`` for an unknown partition)."""
    for raw in _endpoint_data()["partitions"]:
        if raw["partition"] == name:
            return str(raw["regionRegex"])
    raise KeyError(name)


def example_region(name: str) -> str:
    """A region of the partition: the first botocore lists (its ``*-global`` pseudo-regions left out)."""
    for raw in _endpoint_data()["partitions"]:
        if raw["partition"] == name:
            return next((r for r in raw.get("regions", {}) if not r.endswith("-global")), "")
    raise KeyError(name)


def region_info(region: str) -> RegionInfo:
    """The region's partition. Raises :class:`UnknownRegionError` for a region botocore does not list for
    cognito-idp and that matches no partition's ``regionRegex``."""
    raws = {str(p["partition"]): p for p in _endpoint_data()["partitions"]}
    known = _known_regions().get(region)
    if known is not None:
        return RegionInfo(region, _partition(raws[known]), True)
    for raw in raws.values():
        if region in raw.get("regions", {}) or re.match(str(raw["regionRegex"]), region):
            return RegionInfo(region, _partition(raw), False)
    raise UnknownRegionError(f"{region!r} is not an AWS region name (like eu-west-1)")


def check_region(region: str) -> str:
    """``region`` when :func:`region_info` accepts it; raises :class:`UnknownRegionError` otherwise."""
    region_info(region)
    return region


def region_hint() -> str:
    """The hint for a refused region: the partitions botocore knows and how their regions are named."""
    import botocore

    forms = ", ".join(f"{p.name} (like {example_region(p.name)})" for p in partitions())
    path = data_path()
    if path is not None:
        return (
            f"give a region of a partition botocore's data knows: {forms}; that data is read through "
            f"AWS_DATA_PATH={path}, and an endpoints.json there replaces botocore's own whole"
        )
    return (
        f"give a region of a partition the installed botocore {botocore.__version__} knows: {forms}; a newer "
        "partition needs a newer botocore (pip install -U boto3)"
    )


def region_warning(region: str) -> str | None:
    """What to warn about a region botocore's data does not list Cognito in (``None`` when it does)."""
    info = region_info(region)
    if info.known:
        return None
    import botocore

    return (
        f"the installed botocore ({botocore.__version__}) does not list Amazon Cognito in {region} (partition "
        f"{info.partition.name}): a region newer than it, or one without Cognito; going on with "
        f"https://{SERVICE}.{region}.{info.partition.dns_suffix}"
    )


def issuer(region: str, pool_id: str) -> str:
    """The OIDC issuer of a pool: ``https://cognito-idp.<region>.<dnsSuffix>/<pool id>``."""
    return f"https://{SERVICE}.{region}.{region_info(region).partition.dns_suffix}/{pool_id}"


def domain_url(prefix: str, region: str) -> str:
    """The hosted-UI prefix domain: ``https://<prefix>.auth.<region>.amazoncognito.com`` in ``aws``,
    ``…auth-fips…`` in GovCloud, the partition's suffix elsewhere (unverified there, see the module)."""
    p = region_info(region).partition
    return f"https://{prefix}.{p.auth_label}.{region}.{p.hosted_ui_domain_suffix}"
