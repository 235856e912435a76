"""The services a run works with: both sides' clients (:func:`open_services`, with the test seams), the
call counter behind ``--debug`` and the JSON ``calls`` figures (:class:`CallCounter`), and the target line every
``plan``, ``setup``, ``teardown`` and ``rotate-secret`` begins with (:func:`target`)."""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

from cognito_privx import cognito, privx
from cognito_privx.config import AppConfig, PrivXCredentials
from cognito_privx.desired import DesiredState
from cognito_privx.retry import RetryPolicy


class WriteAhead(Exception):
    """A write was about to be sent while :meth:`CallCounter.reads_only` held: it was not sent (``call``: the
    Cognito operation or ``METHOD path``)."""

    def __init__(self, call: str) -> None:
        super().__init__(call)
        self.call = call


@dataclass
class CallCounter:
    """Counts API calls per side; a call is a write unless it only reads. Both sides call it before each request
    is sent, so within :meth:`reads_only` a write is stopped before it leaves (:class:`WriteAhead`)."""

    calls: Counter[str] = field(default_factory=Counter)
    _reads_only: bool = False

    _COGNITO_READ_PREFIXES = ("describe_", "list_", "get_", "admin_get_")

    def cognito(self, operation: str) -> None:
        write = not operation.startswith(self._COGNITO_READ_PREFIXES)
        if write and self._reads_only:
            raise WriteAhead(operation)
        self.calls["cognito_writes" if write else "cognito_reads"] += 1

    def privx(self, method: str, path: str) -> None:
        write = not privx.only_reads(method, path)
        if write and self._reads_only:
            raise WriteAhead(f"{method} {path}")
        self.calls["privx_writes" if write else "privx_reads"] += 1

    @contextlib.contextmanager
    def reads_only(self) -> Iterator[None]:
        """Within it, the first write raises :class:`WriteAhead` instead of being sent (reads go on as usual)."""
        self._reads_only = True
        try:
            yield
        finally:
            self._reads_only = False


def open_privx(
    cfg: AppConfig,
    creds: PrivXCredentials,
    counter: CallCounter,
    *,
    transport: httpx.BaseTransport | None = None,
    retry_base: float | None = None,
) -> privx.PrivXClient:
    """The PrivX client. Checks the credentials and the CA locally; calls nothing yet. ``transport`` replaces
    the network and ``retry_base`` (seconds) the first backoff window (tests hand in the emulator and a short wait)."""
    creds.check()
    http = privx.build_http_client(cfg.privx_url, ca_pem=creds.ca_pem(), timeout=cfg.privx.timeout, transport=transport)
    policy = RetryPolicy(attempts=cfg.privx.retries, base=retry_base) if retry_base is not None else None
    return privx.PrivXClient(http, creds, observer=counter.privx, max_attempts=cfg.privx.retries, retry=policy)


@dataclass
class Services:
    cognito: cognito.CognitoGateway
    privx: privx.PrivXClient
    counter: CallCounter

    def close(self) -> None:
        self.privx.http.close()


def open_services(
    cfg: AppConfig,
    creds: PrivXCredentials,
    *,
    profile: str | None = None,
    privx_transport: httpx.BaseTransport | None = None,
    privx_retry_base: float | None = None,
    race_settle_s: float | None = None,
) -> Services:
    """Connect to both sides. Every local check (config, credentials, CA) runs first: nothing is called yet.

    The keyword arguments after ``profile`` are test seams (``cli.Seams``): the transport to PrivX, the first
    backoff window of PrivX retries and how long to wait for a concurrent run's loser to go (seconds).
    """
    counter = CallCounter()
    region = cfg.region
    px = open_privx(cfg, creds, counter, transport=privx_transport, retry_base=privx_retry_base)
    gateway = cognito.CognitoGateway.connect(region, profile).with_observer(counter.cognito)
    if race_settle_s is not None:
        gateway.race_settle_s = race_settle_s
    return Services(gateway, px, counter)


@dataclass(frozen=True)
class Target:
    """What a run acts on, shown as its first line: config file, AWS account and region, pool, PrivX URL."""

    config_file: str
    account: str
    region: str
    pool: str
    privx_url: str

    def line(self) -> str:
        return (
            f"target: config {self.config_file} · AWS account {self.account}, {self.region} · "
            f"pool {self.pool} · PrivX {self.privx_url}"
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def target(desired: DesiredState, services: Services, config_file: Path | None) -> Target:
    """The target line's facts. The account comes from STS GetCallerIdentity, which needs no permission."""
    spec = desired.pool
    return Target(
        config_file=str(config_file) if config_file else "(none)",
        account=_account(services.cognito),
        region=spec.region,
        pool=f"{spec.name} ({spec.pool_id})" if spec.pool_id else spec.name,
        privx_url=desired.privx_url,
    )


def _account(gw: cognito.CognitoGateway) -> str:
    """The account for the target line, or ``unknown (why)``: STS only adds information, it never stops a run."""
    account, why = gw.account()
    return account or f"unknown ({why})"
