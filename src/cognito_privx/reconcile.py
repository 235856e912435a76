"""The order of setup and plan: Cognito first (pool → attribute → app client → domain), then PrivX.

Ids and the app-client secret pass from one step to the next here, in memory only: the secret is read from
Cognito on every run and never stored.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx

from cognito_privx import cognito, privx
from cognito_privx.config import AppConfig, PrivXCredentials
from cognito_privx.plan import KNOWN_AFTER_APPLY, Plan


def _no_transport() -> httpx.BaseTransport | None:
    return None


# Tests replace this to route PrivX traffic through the emulator (an httpx.MockTransport).
transport_factory: Callable[[], httpx.BaseTransport | None] = _no_transport


@dataclass
class CallCounter:
    """Counts API calls per side; a call is a write unless it only reads."""

    calls: Counter[str] = field(default_factory=Counter)

    _COGNITO_READ_PREFIXES = ("describe_", "list_", "get_", "admin_get_")
    _PRIVX_READ_POSTS = ("/oauth/token", "/roles/resolve", "/roles/evaluate")

    def cognito(self, operation: str) -> None:
        write = not operation.startswith(self._COGNITO_READ_PREFIXES)
        self.calls["cognito_writes" if write else "cognito_reads"] += 1

    def privx(self, method: str, path: str) -> None:
        write = method in ("POST", "PUT", "DELETE", "PATCH") and not path.endswith(self._PRIVX_READ_POSTS)
        self.calls["privx_writes" if write else "privx_reads"] += 1


def open_privx(cfg: AppConfig, creds: PrivXCredentials, counter: CallCounter) -> privx.PrivXClient:
    """The PrivX client. Checks the credentials and the CA locally; calls nothing yet."""
    creds.check()
    http = privx.build_http_client(
        cfg.privx_url, ca_pem=creds.ca_pem(), timeout=cfg.privx.timeout, transport=transport_factory()
    )
    return privx.PrivXClient(http, creds, observer=counter.privx)


@dataclass
class Services:
    cognito: cognito.CognitoGateway
    privx: privx.PrivXClient
    counter: CallCounter

    def close(self) -> None:
        self.privx.http.close()


def open_services(cfg: AppConfig, creds: PrivXCredentials, *, profile: str | None = None) -> Services:
    """Connect to both sides. Every local check (config, credentials, CA) runs first: nothing is called yet."""
    counter = CallCounter()
    region = cfg.region
    px = open_privx(cfg, creds, counter)
    client = cognito.CognitoGateway.connect(region, profile).client
    return Services(cognito.CognitoGateway(client, observer=counter.cognito), px, counter)


@dataclass(frozen=True)
class Outputs:
    pool_id: str
    client_id: str
    issuer: str
    domain: str | None
    callback_url: str
    directory_id: str
    login_url: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Result:
    plan: Plan
    outputs: Outputs
    calls: dict[str, int]


def converge(cfg: AppConfig, services: Services, *, dry_run: bool, adopt: bool = False) -> Result:
    """Bring Cognito and PrivX to the config (or, with ``dry_run``, only say what that would change)."""
    plan = Plan()
    gw = services.cognito
    # Observe everything first: wrong PrivX credentials, an ambiguous name, a taken domain prefix, an
    # attribute of the wrong type must all fail before anything is written on either side.
    services.privx.login()
    pool_now = cognito.find_our_pool(gw, cfg, adopt=adopt)
    cognito.check_attribute(cfg, pool_now)
    domain_now = cognito.observe_domain(gw, cfg, pool_now)
    client_now = cognito.find_client(gw, cfg, pool_now["Id"]) if pool_now else None
    groups_now = cognito.list_groups(gw, pool_now["Id"]) if pool_now and cfg.cognito.native_groups else None
    directory_now = services.privx.find_directory(cfg.privx.directory_name)
    mappings = role_mappings(cfg)
    roles_found = services.privx.resolve_roles(sorted({m.role for m in mappings}))
    roles_now = {name: services.privx.get_role(str(r["id"])) for name, r in roles_found.items()}

    pool = cognito.ensure_pool(gw, cfg, dry_run=dry_run, adopt=adopt, current=pool_now)
    plan.add(pool.change)
    plan.add(cognito.ensure_attribute(gw, cfg, pool, dry_run=dry_run))
    client = cognito.ensure_client(gw, cfg, pool.pool_id, dry_run=dry_run, current=client_now)
    plan.add(client.change)
    domain_change = cognito.ensure_domain(gw, cfg, pool.pool, dry_run=dry_run, current=domain_now)
    if domain_change is not None:
        plan.add(domain_change)
    for change in cognito.ensure_groups(gw, cfg, pool.pool_id, dry_run=dry_run, current=groups_now):
        plan.add(change)

    pool_id = pool.pool_id or KNOWN_AFTER_APPLY
    issuer = cfg.issuer(pool_id)
    client_id = client.client_id or KNOWN_AFTER_APPLY
    secret = (client.client or {}).get("ClientSecret") or ""
    spec = privx.DirectorySpec.from_config(cfg, issuer=issuer, client_id=client_id, client_secret=secret)
    directory = privx.ensure_directory(services.privx, spec, dry_run=dry_run, current=directory_now)
    plan.add(directory.change)
    directory_id = directory.directory_id or KNOWN_AFTER_APPLY
    touched: set[str] = set()
    for mapping in mappings:
        # A role mapped from two groups is read again after the first write: the second merge sees the first.
        current = roles_now.get(mapping.role) if mapping.role not in touched else privx.UNSET_ROLE
        plan.add(privx.ensure_role_mapping(services.privx, mapping, directory_id, dry_run=dry_run, current=current))
        touched.add(mapping.role)

    prefix = cfg.cognito.domain_prefix or (pool.pool or {}).get("Domain")
    outputs = Outputs(
        pool_id=pool_id,
        client_id=client_id,
        issuer=issuer,
        domain=cognito.domain_url(prefix, cfg.region) if prefix else None,
        callback_url=cfg.callback_url,
        directory_id=directory.directory_id or KNOWN_AFTER_APPLY,
        login_url=privx.login_url(cfg, directory.directory) or KNOWN_AFTER_APPLY,
    )
    return Result(plan, outputs, dict(services.counter.calls))


def role_mappings(cfg: AppConfig) -> list[privx.RoleMapping]:
    return [
        privx.RoleMapping(group, spec.role, spec.permissions, spec.comment) for group, spec in sorted(cfg.roles.items())
    ]


def direct_login_url(cfg: AppConfig, px: privx.PrivXClient) -> str:
    """The direct-login URL of the configured directory (which must exist)."""
    from cognito_privx.errors import PrivXNotFoundError

    directory = px.find_directory(cfg.privx.directory_name)
    url = privx.login_url(cfg, directory)
    if url is None:
        raise PrivXNotFoundError(
            f"PrivX has no directory named {cfg.privx.directory_name!r}",
            "run `cognito-privx setup` first",
        )
    return url
