"""Concurrent runs of ``setup``, ``teardown`` and ``rotate-secret`` on one deployment (issue 20, races): whatever
the interleaving, the end is "one of everything" or "nothing", no role keeps a rule naming a missing directory, no
lock is left behind, and a later ``teardown`` removes everything.

The interleavings are run deterministically, not with sleeps: each command runs in its own thread, and a
:class:`Turnstile` lets exactly one of them make its next API call (a Cognito call through the gateway, a PrivX
request, the rotation's proof at the token endpoint), in the order a schedule gives. ``inside(k)``: the first run
makes its first ``k`` calls, then the second runs to its end, then the first goes on; ``alternate``: one call
each in turn. Each run is the CLI's own command body (``cli.deploy``), as ``cognito-privx setup`` runs it.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from cognito_privx import cognito, privx
from cognito_privx.cli import Seams, State
from cognito_privx.cli import deploy as deploy_cli
from cognito_privx.errors import CognitoPrivxError
from cognito_privx.privx.rules import leaves
from cognito_privx.sandbox.emulator import PrivXEmulator
from tests.support.login import AWS_ISSUER, HOSTED

POOL_NAME, CLIENT_NAME, DIRECTORY, PREFIX = "privx-users", "privx", "Cognito", "acme-privx"
ROLES = ("ops-admins", "developers")
LOCK_PREFIX = "cognito-privx-lock:"

Order = Callable[[dict[str, int], set[str]], str]


class Turnstile:
    """Lets one run at a time make its next API call, in the order ``order(steps, running)`` names (a run's
    thread name). A call holds the turn until it returns, so calls never overlap; between calls the runs' own code
    goes on freely. A thread that is not a registered run passes straight through."""

    def __init__(self, order: Order) -> None:
        self.order = order
        self.cond = threading.Condition()
        self.steps: dict[str, int] = {}
        self.running: set[str] = set()
        self.busy: str | None = None
        self.depth = 0
        self.trace: list[str] = []

    def register(self, name: str) -> None:
        with self.cond:
            self.running.add(name)
            self.steps[name] = 0

    def leave(self, name: str) -> None:
        with self.cond:
            self.running.discard(name)
            self.cond.notify_all()

    @contextlib.contextmanager
    def turn(self) -> Iterator[None]:
        me = threading.current_thread().name
        with self.cond:
            if me not in self.running:
                mine = False
            elif self.busy == me:  # a call inside a call (none today): the same turn
                mine = True
                self.depth += 1
            else:
                while self.busy is not None or self.order(self.steps, self.running) != me:
                    if not self.cond.wait(timeout=30):
                        raise RuntimeError(f"turnstile stuck: {me} waits, trace {self.trace}")
                self.busy, self.depth, mine = me, 1, True
                self.steps[me] += 1
                self.trace.append(me)
        try:
            yield
        finally:
            if mine:
                with self.cond:
                    self.depth -= 1
                    if self.depth == 0:
                        self.busy = None
                        self.cond.notify_all()


def inside(k: int) -> Order:
    """A makes its first ``k`` calls, then B all of its calls, then A the rest."""

    def order(steps: dict[str, int], running: set[str]) -> str:
        if "A" in running and (steps["A"] < k or "B" not in running):
            return "A"
        return "B" if "B" in running else "A"

    return order


def alternate(steps: dict[str, int], running: set[str]) -> str:
    """One call each in turn (A first)."""
    if len(running) == 1:
        return next(iter(running))
    return "A" if steps["A"] <= steps["B"] else "B"


@dataclass
class Outcome:
    name: str
    command: str
    error: CognitoPrivxError | None = None
    crash: BaseException | None = None
    exit_code: int = 0

    def line(self) -> str:
        if self.crash is not None:
            return f"{self.name} {self.command}: CRASH {type(self.crash).__name__}: {self.crash}"
        if self.error is not None:
            return f"{self.name} {self.command}: exit {self.exit_code}: {self.error.message} (hint: {self.error.hint})"
        return f"{self.name} {self.command}: ok"


@dataclass
class Rig:
    config: Path
    seams: Seams
    aws: Any
    emulator: PrivXEmulator
    turnstile: Turnstile | None = None
    outcomes: list[Outcome] = field(default_factory=list)
    steps: dict[str, int] = field(default_factory=dict)

    def body(self, command: str) -> Callable[[], Any]:
        state = State(config_path=self.config, seams=self.seams)
        if command == "setup":
            return lambda: deploy_cli._setup(state, dry_run=False, adopt=False, plan_mode=False)
        if command == "teardown":
            return lambda: deploy_cli._teardown(
                state, dry_run=False, yes=True, keep_pool=False, delete_adopted_pool=False
            )
        if command == "rotate":
            return lambda: deploy_cli._rotate_secret(state, yes=True)
        raise AssertionError(command)

    def race(self, first: str, second: str, order: Order) -> list[Outcome]:
        """Run ``first`` (thread A) and ``second`` (thread B) at once, their API calls in ``order``."""
        self.turnstile = turnstile = Turnstile(order)
        outcomes = [Outcome("A", first), Outcome("B", second)]

        def run(outcome: Outcome) -> None:
            try:
                self.body(outcome.command)()
            except CognitoPrivxError as e:
                outcome.error, outcome.exit_code = e, e.exit_code
            except BaseException as e:  # noqa: BLE001 - a crash is what the test reports
                outcome.crash = e
            finally:
                turnstile.leave(outcome.name)

        threads = [threading.Thread(target=run, args=(o,), name=o.name, daemon=True) for o in outcomes]
        for t in threads:
            turnstile.register(t.name)
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
            assert not t.is_alive(), f"{t.name} hangs; trace {turnstile.trace}"
        self.turnstile = None
        self.steps = dict(turnstile.steps)
        self.outcomes = outcomes
        return outcomes


@pytest.fixture
def rig(
    cli: Any, config_file: Path, aws: Any, world: PrivXEmulator, seams: Seams, monkeypatch: pytest.MonkeyPatch
) -> Rig:
    """The login world (moto, the hosted-UI stand-in, the PrivX emulator), with every API call of a racing run
    going through the rig's turnstile: Cognito calls (the gateway), PrivX requests and the token endpoint."""
    made = Rig(config_file, seams, aws, world)

    def gated(inner: Callable[[], Any]) -> Any:
        if made.turnstile is None:
            return inner()
        with made.turnstile.turn():
            return inner()

    original_call = cognito.CognitoGateway.call

    def call(self: cognito.CognitoGateway, operation: str, **params: Any) -> dict[str, Any]:
        return gated(lambda: original_call(self, operation, **params))  # type: ignore[no-any-return]

    monkeypatch.setattr(cognito.CognitoGateway, "call", call)

    privx_inner = seams.privx_transport
    assert privx_inner is not None

    def privx_handle(request: httpx.Request) -> httpx.Response:
        def send() -> httpx.Response:
            response = privx_inner.handle_request(request)
            response.read()
            return response

        return gated(send)  # type: ignore[no-any-return]

    seams.privx_transport = httpx.MockTransport(privx_handle)

    # The rotation's proof: the pool's discovery document found at the stand-in (as in tests/test_rotation.py).
    http_inner = seams.http_transport
    assert http_inner is not None

    def http_handle(request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        if url.startswith(AWS_ISSUER) and url.endswith("/.well-known/openid-configuration"):
            request = httpx.Request(
                request.method, HOSTED + "/" + url.removeprefix(AWS_ISSUER), headers=request.headers
            )

        def send() -> httpx.Response:
            response = http_inner.handle_request(request)
            response.read()
            return response

        return gated(send)  # type: ignore[no-any-return]

    seams.http_transport = httpx.MockTransport(http_handle)
    return made


# -- what every interleaving must end in ----------------------------------------------------------------------


def _our_pools(aws: Any) -> list[dict[str, Any]]:
    ids = [p["Id"] for p in aws.list_user_pools(MaxResults=60)["UserPools"] if p["Name"] == POOL_NAME]
    return [aws.describe_user_pool(UserPoolId=i)["UserPool"] for i in ids]


def _problems(aws: Any, emu: PrivXEmulator) -> tuple[str, list[str]]:
    """('everything' | 'nothing' | 'partial', what is wrong)."""
    wrong: list[str] = []
    pools = _our_pools(aws)
    sources = emu.sources
    cognito_dirs = [s for s in sources.values() if (privx.issuer_of(s) or "").startswith(AWS_ISSUER)]
    for role in emu.roles.values():
        for leaf in leaves(role.get("source_rules")):
            if leaf.get("source") not in sources:
                wrong.append(f"role {role['name']} keeps a rule of missing directory {leaf.get('source')}")
    for pool in pools:
        locks = [k for k in (pool.get("UserPoolTags") or {}) if k.startswith(LOCK_PREFIX)]
        if locks:
            wrong.append(f"pool {pool['Id']} keeps a run lock {locks}")
    ours = [r for r in emu.roles.values() if r["name"] in ROLES]
    domain = aws.describe_user_pool_domain(Domain=PREFIX)["DomainDescription"].get("UserPoolId")
    if not pools:
        if cognito_dirs:
            wrong.append(f"no pool, but directories {[s['id'] for s in cognito_dirs]}")
        if ours:
            wrong.append(f"no pool, but roles {[r['name'] for r in ours]}")
        if domain:
            wrong.append(f"no pool, but domain {PREFIX} → {domain}")
        return ("nothing" if not wrong else "partial"), wrong
    if len(pools) > 1:
        wrong.append(f"{len(pools)} pools named {POOL_NAME}")
        return "partial", wrong
    pool = pools[0]
    clients = [
        c for c in aws.list_user_pool_clients(UserPoolId=pool["Id"], MaxResults=60)["UserPoolClients"]
    ]
    if [c["ClientName"] for c in clients] != [CLIENT_NAME]:
        wrong.append(f"clients {[c['ClientName'] for c in clients]}")
    if domain != pool["Id"]:
        wrong.append(f"domain {PREFIX} → {domain}, not {pool['Id']}")
    dirs = [s for s in cognito_dirs if privx.issuer_of(s) == f"{AWS_ISSUER}{pool['Id']}"]
    if len(dirs) != 1 or len(cognito_dirs) != 1:
        wrong.append(f"{len(dirs)} directories for the pool, {len(cognito_dirs)} Cognito directories in all")
    for name in ROLES:
        named = [r for r in ours if r["name"] == name]
        if len(named) != 1:
            wrong.append(f"{len(named)} roles {name}")
        elif dirs and [leaf.get("source") for leaf in leaves(named[0].get("source_rules"))] != [dirs[0]["id"]]:
            wrong.append(f"role {name} rules {named[0].get('source_rules')}")
    if clients and dirs:
        secrets = aws.list_user_pool_client_secrets(UserPoolId=pool["Id"], ClientId=clients[0]["ClientId"])
        ids = [s["ClientSecretId"] for s in secrets["ClientSecrets"]]
        if len(ids) != 1 or privx.secret_id_of(dirs[0]) != ids[0]:
            wrong.append(f"secrets {ids}, PrivX holds {privx.secret_id_of(dirs[0])}")
    return ("everything" if not wrong else "partial"), wrong


def _assert_consistent(rig: Rig, cli: Any, label: str) -> str:
    """One of everything or nothing, nothing dangling or locked; then a later teardown leaves nothing at all.
    Returns which of the two it was."""
    outcome, wrong = _problems(rig.aws, rig.emulator)
    runs = "; ".join(o.line() for o in rig.outcomes)
    assert not [o for o in rig.outcomes if o.crash], f"{label}: {runs}"
    assert not wrong, f"{label}: {outcome}: {wrong}; runs: {runs}"
    run = cli("--config", str(rig.config), "teardown", "--yes")
    assert run.exit_code == 0, f"{label}: a later teardown failed: {run.stderr}"
    after, wrong = _problems(rig.aws, rig.emulator)
    assert after == "nothing" and not wrong, f"{label}: after a later teardown: {wrong}; runs: {runs}"
    return outcome


def _setup_first(cli: Any, rig: Rig) -> None:
    run = cli("--config", str(rig.config), "setup")
    assert run.exit_code == 0, run.stderr


# -- the interleavings ----------------------------------------------------------------------------------------

# (first, second, start): start "empty" or "set up" (a setup ran before).
PAIRS = [
    ("setup", "teardown", "empty"),
    ("teardown", "setup", "empty"),
    ("setup", "teardown", "set up"),
    ("teardown", "setup", "set up"),
    ("setup", "setup", "empty"),
    ("teardown", "teardown", "set up"),
    ("rotate", "rotate", "set up"),
    ("rotate", "teardown", "set up"),
    ("teardown", "rotate", "set up"),
    ("setup", "rotate", "set up"),
    ("rotate", "setup", "set up"),
]
# How many API calls the first run makes on its own (with the run lock), so the splits cover all of it; a split
# past its end is simply "one after the other".
LENGTH = {("setup", "empty"): 24, ("setup", "set up"): 17, ("teardown", "empty"): 8, ("teardown", "set up"): 30}
LENGTH[("rotate", "set up")] = 21
# Every third call boundary by default; every one with COGNITO_PRIVX_RACES_EVERY_STEP=1 (about three times as long).
STRIDE = 1 if os.environ.get("COGNITO_PRIVX_RACES_EVERY_STEP") else 3


def _schedules() -> Iterator[Any]:
    for first, second, start in PAIRS:
        name = f"{first}x{second}-{start.replace(' ', '')}"
        length = LENGTH[(first, start)]
        for k in sorted({*range(0, length + 1, STRIDE), length}):
            yield pytest.param(first, second, start, k, id=f"{name}-in{k}")
        yield pytest.param(first, second, start, None, id=f"{name}-alternate")


@pytest.mark.parametrize(("first", "second", "start", "split"), list(_schedules()))
def test_any_interleaving_ends_in_one_of_everything_or_nothing(
    cli: Any, rig: Rig, first: str, second: str, start: str, split: int | None
) -> None:
    if start == "set up":
        _setup_first(cli, rig)
    order = alternate if split is None else inside(split)
    rig.race(first, second, order)
    _assert_consistent(rig, cli, f"{first} × {second} from {start}, {'alternate' if split is None else split}")
