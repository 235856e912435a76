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
    return privx.PrivXClient(http, creds, observer=counter.privx, max_attempts=cfg.privx.retries)


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
    gateway = cognito.CognitoGateway.connect(region, profile).with_observer(counter.cognito)
    return Services(gateway, px, counter)


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
    if directory_now is not None and not adopt:
        our_issuer = cfg.issuer(pool_now["Id"]) if pool_now else None
        if not privx.is_ours(directory_now, our_issuer):
            from cognito_privx.errors import ForeignResourceError

            issuer = (directory_now.get("connection") or {}).get("oidc_issuer")
            raise ForeignResourceError(
                f"a PrivX directory named {cfg.privx.directory_name!r} exists ({directory_now.get('id')}, issuer "
                f"{issuer}) but was not created by cognito-privx",
                "choose another [privx] directory_name, or pass --adopt to take it over",
            )
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
    if client.client is not None and not secret:
        from cognito_privx.errors import ConflictError

        raise ConflictError(
            f"Cognito returned no secret for app client {client.client.get('ClientId')}",
            "check that the caller may read it (cognito-idp:DescribeUserPoolClient); nothing was sent to PrivX",
        )
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


# -- teardown --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PoolDeletion:
    """What the teardown confirmation names: the pool and how many users go with it."""

    pool_id: str
    name: str
    users: int


def teardown(
    cfg: AppConfig,
    services: Services,
    *,
    dry_run: bool,
    keep_pool: bool = False,
    confirm: Callable[[PoolDeletion], bool] | None = None,
) -> Result:
    """Remove what setup made, PrivX side first, so no dead login button or dangling rule is left.

    Order: our rule leaves in PrivX roles (and roles we created once nothing else is in them), the PrivX
    directory, the Cognito domain, the app client, the pool. Only objects that are ours are touched: the pool by
    its tag, the directory by its issuer (our pool) or our marker, roles by our marker. Everything is observed
    and the pool deletion confirmed (``confirm``) before the first change; re-running reports "already gone".
    """
    from cognito_privx.errors import ForeignResourceError, UsageError
    from cognito_privx.plan import Action, Change

    plan = Plan()
    gw, px = services.cognito, services.privx
    px.login()
    notes: list[str] = []
    try:
        pool = cognito.find_our_pool(gw, cfg)
    except ForeignResourceError as e:
        pool, notes = None, [f"left alone: {e.message}"]
    directory = px.find_directory(cfg.privx.directory_name)
    directory_notes: tuple[str, ...] = ()
    if directory is not None:
        issuer = (directory.get("connection") or {}).get("oidc_issuer")
        ours = (pool is not None and issuer == cfg.issuer(pool["Id"])) or privx.MANAGED_MARKER in str(
            directory.get("comment", "")
        )
        if not ours:
            directory_notes = (f"left alone: its issuer {issuer} is not our pool's",)
            directory = None
    directory_id = str(directory["id"]) if directory else None
    by_role: dict[str, list[str]] = {}
    for mapping in role_mappings(cfg):
        by_role.setdefault(mapping.role, []).append(mapping.group)
    found_roles = px.resolve_roles(sorted(by_role))
    roles = {name: px.get_role(str(r["id"])) for name, r in found_roles.items()}
    client = cognito.find_client(gw, cfg, pool["Id"]) if pool else None
    delete_pool = pool is not None and not keep_pool

    if delete_pool and not dry_run and confirm is not None:
        assert pool is not None
        users = int(pool.get("EstimatedNumberOfUsers") or 0)
        if not confirm(PoolDeletion(pool["Id"], pool.get("Name", ""), users)):
            raise UsageError("nothing was removed", "confirm the pool deletion, pass --yes, or pass --keep-pool")

    # 1. Our rules in PrivX roles; roles we made, once empty.
    for name, groups in sorted(by_role.items()):
        label = f"{name} ← group {', '.join(groups)}"
        role = roles.get(name)
        if role is None or directory_id is None or not any(privx.has_rule(role, directory_id, g) for g in groups):
            plan.add(Change("privx role rule", label, Action.NOOP, notes=("already gone",)))
            continue
        body, stuck = dict(role), False
        for group in groups:
            body, blocked = privx.remove_rule(body, directory_id, group)
            stuck = stuck or blocked
        if stuck and body.get("source_rules") == role.get("source_rules"):
            plan.add(
                Change(
                    "privx role rule",
                    label,
                    Action.NOOP,
                    notes=(
                        "not changed: our rule sits in an ALL group; removing it would widen who gets the role. "
                        "Remove it by hand",
                    ),
                )
            )
            continue
        # Ours (the marker) and nothing else left in it. member_count cannot tell grants by our rule from others.
        if not privx.leaves(body["source_rules"]) and privx.MANAGED_MARKER in str(role.get("comment", "")):
            plan.add(Change("privx role", name, Action.DELETE, notes=("created by cognito-privx; no other rules",)))
            if not dry_run:
                px.delete_role(str(role["id"]))
        else:
            plan.add(Change("privx role rule", label, Action.DELETE, notes=("the role and its other rules stay",)))
            if not dry_run:
                px.update_role(str(role["id"]), {k: v for k, v in body.items() if k not in privx.ROLE_READ_ONLY})
    # 2. The directory: no login button pointing at a pool that is about to go.
    if directory is not None:
        plan.add(Change("privx directory", cfg.privx.directory_name, Action.DELETE))
        if not dry_run:
            px.delete_source(str(directory["id"]))
    else:
        plan.add(
            Change("privx directory", cfg.privx.directory_name, Action.NOOP, notes=directory_notes or ("already gone",))
        )
    # 3-5. Cognito: the domain (a pool with a domain cannot be deleted), the app client, the pool.
    domain = pool.get("Domain") if pool else None
    if pool is not None and domain and (domain == cfg.cognito.domain_prefix or delete_pool):
        plan.add(Change("cognito domain", domain, Action.DELETE))
        if not dry_run:
            gw.call("delete_user_pool_domain", Domain=domain, UserPoolId=pool["Id"])
    else:
        plan.add(Change("cognito domain", cfg.cognito.domain_prefix or "(none)", Action.NOOP, notes=("already gone",)))
    if client is not None and pool is not None:
        plan.add(Change("cognito app client", cfg.cognito.app_client_name, Action.DELETE))
        if not dry_run:
            gw.call("delete_user_pool_client", UserPoolId=pool["Id"], ClientId=client["ClientId"])
    else:
        plan.add(Change("cognito app client", cfg.cognito.app_client_name, Action.NOOP, notes=("already gone",)))
    if pool is not None and delete_pool:
        pool_notes = [f"{pool.get('EstimatedNumberOfUsers', 0)} user(s) go with it"]
        if pool.get("DeletionProtection") == "ACTIVE":
            pool_notes.append("deletion protection is switched off first")
        plan.add(Change("cognito user pool", cfg.cognito.pool_name, Action.DELETE, notes=tuple(pool_notes)))
        if not dry_run:
            if pool.get("DeletionProtection") == "ACTIVE":
                keys = gw.input_members("update_user_pool")
                gw.call(
                    "update_user_pool", **cognito.pool_update_params(pool, {"DeletionProtection": "INACTIVE"}, keys)
                )
            gw.call("delete_user_pool", UserPoolId=pool["Id"])
    elif pool is not None:
        plan.add(Change("cognito user pool", cfg.cognito.pool_name, Action.NOOP, notes=("kept (--keep-pool)",)))
    else:
        plan.add(
            Change("cognito user pool", cfg.cognito.pool_name, Action.NOOP, notes=tuple(notes) or ("already gone",))
        )
    empty = Outputs("", "", "", None, cfg.callback_url, "", "")
    return Result(plan, empty, dict(services.counter.calls))
