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
import json
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from cognito_privx import cognito, privx
from cognito_privx.cli import Seams, State
from cognito_privx.cli import deploy as deploy_cli
from cognito_privx.errors import CognitoPrivxError, PrivXAPIError
from cognito_privx.privx.rules import leaves
from cognito_privx.sandbox.emulator import PrivXEmulator
from tests.support.kept_clients import Kept, keep_clients
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
            except BaseException as e:  # a crash is what the test reports
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


# Each racing run's cognito-idp clients (by thread: A, B, and this one for the runs before and after a race), kept
# across the interleavings of this module (:mod:`tests.support.kept_clients`): a race is about the order of calls.
_KEPT: Kept = {}


@pytest.fixture
def rig(
    cli: Any, config_file: Path, aws: Any, world: PrivXEmulator, seams: Seams, monkeypatch: pytest.MonkeyPatch
) -> Rig:
    """The login world (moto, the hosted-UI stand-in, the PrivX emulator), with every API call of a racing run
    going through the rig's turnstile: Cognito calls (the gateway), PrivX requests and the token endpoint."""
    made = Rig(config_file, seams, aws, world)
    keep_clients(monkeypatch, _KEPT, per_thread=True)

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
    clients = [c for c in aws.list_user_pool_clients(UserPoolId=pool["Id"], MaxResults=60)["UserPoolClients"]]
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


# -- the run lock itself ----------------------------------------------------------------------------------------


def _pool(aws: Any) -> dict[str, Any]:
    (pool,) = _our_pools(aws)
    return pool


def _plant_lock(aws: Any, *, since: datetime, until: datetime, value: str | None = None) -> str:
    """Another run's lock tag on our pool, as that run would have written it."""
    key = f"{LOCK_PREFIX}0123456789ab"
    stamp = "%Y-%m-%dT%H:%M:%SZ"
    text = value if value is not None else f"ops-box/4242 {since.strftime(stamp)} {until.strftime(stamp)}"
    aws.tag_resource(ResourceArn=_pool(aws)["Arn"], Tags={key: text})
    return key


def _lock_tags(aws: Any) -> dict[str, str]:
    return {k: v for k, v in (_pool(aws).get("UserPoolTags") or {}).items() if k.startswith(LOCK_PREFIX)}


@pytest.mark.parametrize("command", ["setup", "teardown --yes", "rotate-secret --yes"])
def test_a_run_that_finds_another_run_holding_the_lock_stops_and_changes_nothing(
    cli: Any, rig: Rig, command: str
) -> None:
    _setup_first(cli, rig)
    # A config change, so that a setup that went ahead would write.
    rig.config.write_text(rig.config.read_text() + 'qa = "testers"\n')
    now = datetime.now(UTC)
    key = _plant_lock(rig.aws, since=now - timedelta(minutes=1), until=now + timedelta(minutes=4))
    writes = len(rig.emulator.write_requests())
    before = _problems(rig.aws, rig.emulator)
    assert before == ("partial", [f"pool {_pool(rig.aws)['Id']} keeps a run lock {[key]}"])
    sources_before = json.loads(json.dumps(rig.emulator.sources))

    run = cli("--config", str(rig.config), *command.split())

    assert run.exit_code == 1, run.stderr
    since = (now - timedelta(minutes=1)).strftime("%Y-%m-%d %H:%M:%S UTC")
    until = (now + timedelta(minutes=4)).strftime("%Y-%m-%d %H:%M:%S UTC")
    assert (
        f"error: another cognito-privx run (owner ops-box/4242, since {since}) is changing this deployment; "
        f"wait or, if it died, run again after {until}"
    ) in run.stderr
    assert f"hint: nothing was changed. The lock is the tag {key} on user pool" in run.stderr
    assert "untag-resource" in run.stderr and "Traceback" not in run.stderr
    assert len(rig.emulator.write_requests()) == writes
    assert _problems(rig.aws, rig.emulator) == before
    assert rig.emulator.sources == sources_before
    assert "testers" not in {r["name"] for r in rig.emulator.roles.values()}
    assert list(_lock_tags(rig.aws)) == [key]  # the other run's lock is left alone


@pytest.mark.parametrize("value", ["expired", "unreadable"])
def test_a_lock_past_its_time_out_is_taken_over_with_a_message(cli: Any, rig: Rig, value: str) -> None:
    _setup_first(cli, rig)
    now = datetime.now(UTC)
    _plant_lock(
        rig.aws,
        since=now - timedelta(hours=1),
        until=now - timedelta(minutes=55),
        value="garbage" if value == "unreadable" else None,
    )
    run = cli("--config", str(rig.config), "teardown", "--yes")
    assert run.exit_code == 0, run.stderr
    owner = "(unreadable)" if value == "unreadable" else "ops-box/4242"
    assert f"took over the run lock of {owner}" in run.stderr
    assert _problems(rig.aws, rig.emulator) == ("nothing", [])


def test_the_lock_is_released_after_an_error_and_after_ctrl_c(
    cli: Any, rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    _setup_first(cli, rig)
    rig.config.write_text(rig.config.read_text() + 'qa = "testers"\n')
    for stop, code in ((PrivXAPIError("PrivX said no", "try later", status=500), 1), (KeyboardInterrupt(), 130)):

        def broken(*_: Any, stop: BaseException = stop, **__: Any) -> Any:
            raise stop

        with monkeypatch.context() as m:
            m.setattr(privx, "plan_grants", broken)
            run = cli("--config", str(rig.config), "setup")
        assert run.exit_code == code, run.stderr
        assert _lock_tags(rig.aws) == {}, type(stop).__name__
    assert cli("--config", str(rig.config), "setup").exit_code == 0  # nothing held: the next run goes ahead


def test_a_holder_renews_its_lock_and_a_dead_run_frees_the_pool_at_its_time_out(aws: Any) -> None:
    from cognito_privx.config import MANAGED_TAG_KEY, MANAGED_TAG_VALUE
    from cognito_privx.desired import PoolSpec
    from cognito_privx.reconcile.lock import RunLock, RunLockHeld

    pool_id = aws.create_user_pool(PoolName=POOL_NAME, UserPoolTags={MANAGED_TAG_KEY: MANAGED_TAG_VALUE})["UserPool"][
        "Id"
    ]
    clock = [datetime(2030, 1, 1, tzinfo=UTC)]
    gw = cognito.CognitoGateway(aws, race_settle_s=0.0)
    spec = PoolSpec(name=POOL_NAME, region="eu-west-1")
    holder = RunLock(gw, spec, now=lambda: clock[0], renew_every=0.05)
    assert holder.hold(pool_id) is True
    first = _lock_tags(aws)[holder.key]
    clock[0] += timedelta(minutes=10)
    for _ in range(100):  # the renewal runs every minute (every 0.05 s here) on its own thread
        if _lock_tags(aws)[holder.key] != first:
            break
        threading.Event().wait(0.05)
    assert _lock_tags(aws)[holder.key].endswith("2030-01-01T00:15:00Z")  # until = the clock's now + 5 minutes
    other = RunLock(gw, spec, now=lambda: clock[0])
    with pytest.raises(RunLockHeld):
        other.hold(pool_id)
    # The holder dies (no release, no more renewals): once its until has passed, the next run takes over.
    assert holder._stop is not None
    holder._stop.set()
    clock[0] += timedelta(minutes=6)
    notes: list[str] = []
    late = RunLock(gw, spec, now=lambda: clock[0], note=notes.append)
    assert late.hold(pool_id) is True
    assert notes and notes[0].startswith("took over the run lock of ")
    late.release()
    assert _lock_tags(aws) == {}


@pytest.mark.parametrize("split", [*range(0, 9), None])
def test_two_runs_taking_the_lock_at_once_never_both_hold_it(rig: Rig, split: int | None) -> None:
    """The lock's own moves (read, tag, read again, back off) interleaved call by call."""
    from cognito_privx.config import MANAGED_TAG_KEY, MANAGED_TAG_VALUE
    from cognito_privx.desired import PoolSpec
    from cognito_privx.reconcile.lock import RunLock, RunLockHeld

    aws = rig.aws
    pool_id = aws.create_user_pool(PoolName=POOL_NAME, UserPoolTags={MANAGED_TAG_KEY: MANAGED_TAG_VALUE})["UserPool"][
        "Id"
    ]
    spec = PoolSpec(name=POOL_NAME, region="eu-west-1")
    locks = {name: RunLock(cognito.CognitoGateway(aws, race_settle_s=0.0), spec) for name in "AB"}
    held: dict[str, bool] = {}
    turnstile = rig.turnstile = Turnstile(alternate if split is None else inside(split))

    def take(name: str) -> None:
        try:
            held[name] = locks[name].hold(pool_id)
        except RunLockHeld:
            held[name] = False
        finally:
            turnstile.leave(name)

    threads = [threading.Thread(target=take, args=(n,), name=n, daemon=True) for n in "AB"]
    for t in threads:
        turnstile.register(t.name)
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    rig.turnstile = None
    assert sum(held.values()) <= 1, (held, turnstile.trace)
    if split is not None:
        assert sum(held.values()) == 1, (held, turnstile.trace)  # one after the other: the first holds
    holder = [n for n, h in held.items() if h]
    assert set(_lock_tags(aws)) == {locks[n].key for n in holder}
    for lock in locks.values():
        lock.release()
    assert _lock_tags(aws) == {}


def test_the_losing_rotate_secret_is_told_another_run_is_rotating(cli: Any, rig: Rig) -> None:
    """Two rotations call for call: one rotates, the other stops before any change and says why (today's main:
    `LimitExceededException` with "see the AWS message above", or "check the domain")."""
    _setup_first(cli, rig)
    outcomes = rig.race("rotate", "rotate", alternate)
    errors = [o.error for o in outcomes if o.error is not None]
    assert len(errors) == 1, [o.line() for o in outcomes]
    assert errors[0].message.startswith("another cognito-privx run (owner ")
    assert _problems(rig.aws, rig.emulator) == ("everything", [])


def test_without_the_lock_the_losing_rotate_secret_names_the_other_run(
    cli: Any, rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An older cognito-privx, or a lock broken by hand: the loser of two rotations says another rotation is under
    way (today's main: "see the AWS message above" after `LimitExceededException`, or "check the domain")."""
    from cognito_privx import reconcile

    _setup_first(cli, rig)
    monkeypatch.setattr(reconcile, "run_lock", lambda *_, **__: contextlib.nullcontext(None))
    lines = []
    for order in (alternate, inside(9), inside(10)):
        outcomes = rig.race("rotate", "rotate", order)
        lines += [o.line() for o in outcomes if o.error is not None]
    assert lines, "no rotation lost"
    for line in lines:
        assert "another rotate-secret is under way" in line, line
        assert "check the domain" not in line and "see the AWS message" not in line


@pytest.mark.parametrize("stop", [KeyboardInterrupt, RuntimeError])
def test_a_run_stopped_between_writing_its_tag_and_reading_it_back_leaves_no_lock(
    aws: Any, stop: type[BaseException]
) -> None:
    """A Ctrl-C (or any error) in the settle wait after ``TagResource``, before the read that shows the lock held:
    the tag is on the pool, the lock not held yet; ``release`` (run_lock's ``finally``) takes it off all the same,
    so the next run is not refused for the lock's 5 minutes (found by the review: 16 of 24 Ctrl-Cs at ~0.7 s)."""
    from cognito_privx.config import MANAGED_TAG_KEY, MANAGED_TAG_VALUE
    from cognito_privx.desired import PoolSpec
    from cognito_privx.reconcile.lock import RunLock

    pool_id = aws.create_user_pool(PoolName=POOL_NAME, UserPoolTags={MANAGED_TAG_KEY: MANAGED_TAG_VALUE})["UserPool"][
        "Id"
    ]

    def interrupted(_seconds: float) -> None:
        assert _lock_tags(aws), "the tag is written before the settle wait"
        raise stop

    gw = cognito.CognitoGateway(aws, race_settle_s=15.0, sleep=interrupted)
    lock = RunLock(gw, PoolSpec(name=POOL_NAME, region="eu-west-1"))
    with pytest.raises(stop):
        lock.hold(pool_id)
    assert lock.held is None
    lock.release()
    assert _lock_tags(aws) == {}
    after = RunLock(cognito.CognitoGateway(aws, race_settle_s=0.0), PoolSpec(name=POOL_NAME, region="eu-west-1"))
    assert after.hold(pool_id) is True  # the next run goes ahead
    after.release()
