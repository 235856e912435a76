"""The run lock: ``setup``, ``teardown`` and ``rotate-secret`` hold it on the user pool while they change the
deployment, so that two runs never interleave (ARCHITECTURE.md#races, docs/commands.md#the-run-lock).

Everything a run changes hangs off the pool: a PrivX directory is ours only when its issuer names the pool, and
without a pool nothing in PrivX is ours. So the lock lives on the pool, as a tag per run:
``cognito-privx-lock:<random>`` = ``<host>/<pid> <since> <until>`` (UTC, ISO 8601).

Tags have no compare-and-set, so a run takes the lock in three moves and keeps it only when it was alone:

1. read the pool's tags: a live lock of another run refuses at once (:class:`RunLockHeld`, exit 1, changing
   nothing); one past its time-out (``until``) is removed, with a note ("taken over");
2. ``TagResource`` its own tag (``TagResource`` adds or overwrites only the keys it is given);
3. read again after a moment: alone → held. Other tags beside its own: the run first in line (the earliest
   start, then the key) keeps its tag and reads again, the others remove theirs (back off), wait a random moment
   and start again at 1. (which then refuses, naming the run first in line).

A run holds only after it read "alone" once its own tag was written. Two runs that both held would each have
read "alone" after writing: whichever read second sees the other's tag (written before the first one's read). So
at most one holds, whoever is first in line, and whatever the clocks say; when all back off, none holds.

A pool that a run creates is born with that run's tag (``CreateUserPool``'s ``UserPoolTags``, through
``CognitoGateway.pool_birth_tags``): no other run can take it before its creator. When two runs create a pool at
once, the older pool wins (``cognito/pool.py``); the loser deletes its own and must then take the lock on the
winner's like anyone else.

An endpoint without ``TagResource`` (cognito-local; docs/reliability.md#endpoints-that-lack-a-newer-call) cannot
hold the lock: the run says so once (a ``warning:``, naming the endpoint) and goes on unlocked, taking its birth
tag off the pool through ``UpdateUserPool`` (cognito/tags.py) so that no later run waits for it. IAM denying
``TagResource`` is not that: the run stops, naming the action to grant (the lock is needed on AWS).

A holding run renews its tag every ``LOCK_TTL / 5`` (a background thread), so a run that waits at a prompt keeps
it, and a run that died frees the pool at ``until``, at most :data:`LOCK_TTL` after its last renewal. The tag goes
in ``finally`` (errors, Ctrl-C); teardown deletes the pool with it.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import random
import re
import secrets
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from cognito_privx import cognito
from cognito_privx.cognito.tags import retag_pool
from cognito_privx.desired import DesiredState, PoolSpec
from cognito_privx.errors import CognitoError, ConflictError, aws_error_code

if TYPE_CHECKING:  # types-boto3-cognito-idp: type checking only
    from types_boto3_cognito_idp.type_defs import UserPoolTypeTypeDef

    from cognito_privx.reconcile.services import Services

log = logging.getLogger("cognito_privx.lock")

LOCK_TAG_PREFIX = "cognito-privx-lock:"
LOCK_TTL = timedelta(minutes=5)
ATTEMPTS = 3
# How long to wait between writing the tag and reading it back (seconds): at most this, and at most a fifteenth of
# the gateway's race settle wait (15 s, so 1 s; the tests shorten the settle wait, and with it this one).
LOCK_SETTLE_S = 1.0
_EXPIRED = datetime.min.replace(tzinfo=UTC)
_OWNER_CHARS = re.compile(r"[^A-Za-z0-9._-]")


class PoolLock(Protocol):
    """``lock(pool_id, described=...)`` (:meth:`RunLock.hold`): make sure this run holds the lock on the pool;
    ``True`` when it has only now taken it (what the run read of the deployment before must be read again: ``fresh``
    is the pool as read once the lock was held), ``False`` when it held it already. ``described``: the pool as the
    run has just described it (the lock's first read; saves describing it again)."""

    fresh: UserPoolTypeTypeDef | None

    def __call__(self, pool_id: str, described: UserPoolTypeTypeDef | None = None) -> bool: ...


class RunLockHeld(ConflictError):
    """Another run holds the run lock on the pool (exit 1; this run changed nothing)."""


class _NoTagCalls(Exception):
    """The endpoint lacks ``TagResource`` or ``UntagResource``: the run lock cannot be taken there."""

    def __init__(self, action: str) -> None:
        super().__init__(action)
        self.action = action


def _stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _shown(when: datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M:%S UTC") if when != _EXPIRED else "an unknown time"


def owner_name() -> str:
    """``<host>/<pid>``, in the characters a tag value may hold."""
    host = _OWNER_CHARS.sub("_", socket.gethostname() or "unknown-host")[:63]
    return f"{host}/{os.getpid()}"


@dataclass(frozen=True)
class LockEntry:
    """One run's lock tag on a pool."""

    key: str
    owner: str
    since: datetime
    until: datetime

    def value(self) -> str:
        return f"{self.owner} {_stamp(self.since)} {_stamp(self.until)}"

    def expired(self, now: datetime) -> bool:
        return now >= self.until

    @classmethod
    def parse(cls, key: str, value: str) -> LockEntry:
        """An entry from its tag; one that cannot be read counts as long expired (it would otherwise hold the
        deployment for ever)."""
        try:
            owner, since, until = value.split(" ")
            return cls(
                key,
                owner,
                datetime.strptime(since, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC),
                datetime.strptime(until, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC),
            )
        except ValueError:
            return cls(key, "(unreadable)", _EXPIRED, _EXPIRED)


def _order(entry: LockEntry) -> tuple[datetime, str]:
    """Who is first in line when runs write their tags at the same moment: the earlier start, then the key."""
    return entry.since, entry.key


def entries(pool: UserPoolTypeTypeDef) -> list[LockEntry]:
    """The run-lock tags on a described pool."""
    tags = pool.get("UserPoolTags") or {}
    return [LockEntry.parse(k, v) for k, v in sorted(tags.items()) if k.startswith(LOCK_TAG_PREFIX)]


class RunLock:
    """One run's lock (see the module docstring): :meth:`hold` takes it on a pool, :meth:`release` gives it up."""

    def __init__(
        self,
        gw: cognito.CognitoGateway,
        spec: PoolSpec,
        *,
        note: Callable[[str], None] | None = None,
        warn: Callable[[str], None] | None = None,
        now: Callable[[], datetime] | None = None,
        ttl: timedelta = LOCK_TTL,
        owner: str | None = None,
        renew_every: float | None = None,
    ) -> None:
        self.gw, self.spec, self.ttl = gw, spec, ttl
        self.renew_every = renew_every if renew_every is not None else ttl.total_seconds() / 5
        self.note = note or (lambda _: None)
        self.warn = warn or self.note
        self.unavailable = False  # the endpoint lacks the tag calls: this run goes on without the lock
        self.now = now or (lambda: datetime.now(UTC))
        self.key = LOCK_TAG_PREFIX + secrets.token_hex(6)
        self.owner = owner or owner_name()
        self.since = self.now().replace(microsecond=0)
        self.held: tuple[str, str] | None = None  # (pool id, pool ARN)
        # Our tag written (or being written) on a pool while the lock is not held yet: what release() takes off when
        # the run stops between TagResource and the read that shows it held (a Ctrl-C in the settle wait).
        self._tagged: tuple[str, str] | None = None
        self.fresh: UserPoolTypeTypeDef | None = None  # the pool as read once the lock was taken (by :meth:`hold`)
        self._stop: threading.Event | None = None

    def entry(self) -> LockEntry:
        return LockEntry(self.key, self.owner, self.since, self.now().replace(microsecond=0) + self.ttl)

    def birth_tags(self) -> dict[str, str]:
        """The tag a pool this run creates is born with."""
        return {self.key: self.entry().value()}

    # -- taking it ------------------------------------------------------------------------------------------

    def __call__(self, pool_id: str, described: UserPoolTypeTypeDef | None = None) -> bool:
        return self.hold(pool_id, described)

    def hold(self, pool_id: str, described: UserPoolTypeTypeDef | None = None) -> bool:
        """See :class:`PoolLock`. Raises :class:`RunLockHeld` when another run holds it. On an endpoint without
        the tag calls: warns once and returns ``False`` (the run goes on unlocked)."""
        self.fresh = None
        if self.unavailable or (self.held is not None and self.held[0] == pool_id):
            return False
        try:
            return self._hold(pool_id, described if described is not None and described.get("Id") == pool_id else None)
        except _NoTagCalls as missing:
            self._without_lock(pool_id, missing.action)
            return False

    def _without_lock(self, pool_id: str, action: str) -> None:
        """Go on unlocked: say so once, and take this run's tag (and lapsed ones) off the pool without the tag
        calls, so that no later run waits for them."""
        self.unavailable, self.held, self._tagged = True, None, None
        self.warn(
            f"run lock unavailable at {self.gw.endpoint}: {action} unsupported; concurrent runs are not kept apart"
        )
        now = self.now()
        self._quietly(functools.partial(self._retag, pool_id, lambda e: e.key == self.key or e.expired(now)))

    def _retag(self, pool_id: str, gone: Callable[[LockEntry], bool]) -> None:
        """Remove the lock tags ``gone`` says yes to, without the tag calls (cognito/tags.py)."""
        keys = [e.key for e in entries(self.gw.describe_pool(pool_id)) if gone(e)]
        if keys:
            retag_pool(self.gw, pool_id, None, keys)

    def _hold(self, pool_id: str, described: UserPoolTypeTypeDef | None) -> bool:
        if self.held is not None:
            self.release()
        pool = described if described is not None else self.gw.describe_pool(pool_id)
        arn = str(pool["Arn"])
        found = entries(pool)
        if any(e.key == self.key for e in found):  # born with our tag: nobody could take it first
            self._now_held(pool_id, arn)
            return False
        settle = max(0.0, min(LOCK_SETTLE_S, self.gw.race_settle_s / 15))
        for _ in range(ATTEMPTS):
            now = self.now()
            live = [e for e in found if e.key != self.key and not e.expired(now)]
            if live:
                raise self._refusal(pool_id, arn, live)
            stale = [e for e in found if e.key != self.key]
            if stale:
                self._untag(arn, [e.key for e in stale])
                for e in stale:
                    self.note(
                        f"took over the run lock of {e.owner} (since {_shown(e.since)}), held past its time-out "
                        f"({_shown(e.until)})"
                    )
            self._tagged = (pool_id, arn)
            self._tag(arn)
            for _ in range(ATTEMPTS):
                self.gw.sleep(settle)
                seen = self.gw.describe_pool(pool_id)
                found = entries(seen)
                others = [e for e in found if e.key != self.key and not e.expired(self.now())]
                mine = [e for e in found if e.key == self.key]
                if mine and not others:
                    # Our tag was written a moment ago (``until`` counts from then): no renewal needed yet. The
                    # read that proved the lock held is the pool as it is now: the run goes on with it.
                    self._now_held(pool_id, arn, renew=False)
                    self.fresh = seen
                    return True
                if not mine or _order(min(others, key=_order)) < _order(mine[0]):
                    break  # another run is first in line: back off
                # This run is first in line: the others back off; look again.
            self._untag(arn, [self.key])
            self._tagged = None
            self.gw.sleep(settle * random.uniform(0.5, 2.0))  # noqa: S311 - jitter, not a secret
            found = entries(self.gw.describe_pool(pool_id))
        live = [e for e in found if e.key != self.key and not e.expired(self.now())]
        if live:
            raise self._refusal(pool_id, arn, live)
        raise RunLockHeld(
            f"could not take the run lock on user pool {pool_id}: other cognito-privx runs kept starting at the "
            "same moment",
            "run again",
        )

    def _refusal(self, pool_id: str, arn: str, live: list[LockEntry]) -> RunLockHeld:
        first = min(live, key=_order)
        return RunLockHeld(
            f"another cognito-privx run (owner {first.owner}, since {_shown(first.since)}) is changing this "
            f"deployment; wait or, if it died, run again after {_shown(first.until)}",
            f"nothing was changed. The lock is the tag {first.key} on user pool {pool_id}; a live run renews it "
            "every minute. If no run is going on, an administrator may delete that tag: `aws cognito-idp "
            f"untag-resource --resource-arn {arn} --tag-keys {first.key}`",
        )

    def _now_held(self, pool_id: str, arn: str, *, renew: bool = True) -> None:
        if renew:
            self._tag(arn)  # renewed: until is counted from now
        self.held = (pool_id, arn)
        stop = self._stop = threading.Event()
        every = self.renew_every

        def beat() -> None:
            while not stop.wait(every):
                try:
                    self._tag(arn)
                # The next beat tries again; the tag lapses only after five misses.
                except (CognitoError, _NoTagCalls) as e:
                    log.debug("renewing the run lock failed: %s", e)

        threading.Thread(target=beat, name="cognito-privx-run-lock", daemon=True).start()

    def _tag(self, arn: str) -> None:
        self._call("tag_resource", ResourceArn=arn, Tags={self.key: self.entry().value()})

    def _untag(self, arn: str, keys: list[str]) -> None:
        self._call("untag_resource", ResourceArn=arn, TagKeys=keys)

    def _call(self, operation: str, **params: object) -> None:
        try:
            self.gw.call(operation, **params)
        except CognitoError as e:
            if cognito.why_unavailable(e) == "unsupported":
                raise _NoTagCalls("TagResource" if operation == "tag_resource" else "UntagResource") from e
            raise

    # -- giving it up -----------------------------------------------------------------------------------------

    def release(self) -> None:
        """Remove our tag (a pool deleted meanwhile took it with it). Never raises: a tag that could not be
        removed is said, and lapses by itself."""
        if self._stop is not None:
            self._stop.set()
            self._stop = None
        held, self.held = self.held, None
        tagged, self._tagged = self._tagged, None
        held = held or tagged  # a tag written but not yet shown held is ours to take off all the same
        if held is not None:
            self._quietly(functools.partial(self._untag, held[1], [self.key]))
        for pool_id in self.gw.pools_born:  # a pool made by this run and left before it was held (an error)
            if self.unavailable and pool_id is not None:
                self._quietly(functools.partial(self._retag, pool_id, lambda e: e.key == self.key))
            elif held is None or pool_id != held[0]:
                self._quietly(self._untagger(pool_id))

    def _untagger(self, pool_id: str | None) -> Callable[[], None]:
        def untag() -> None:
            if pool_id is not None:
                self._untag(str(self.gw.describe_pool(pool_id)["Arn"]), [self.key])
                return
            for pool in self.gw.pools_named(self.spec.name):  # the answer to CreateUserPool never came
                if any(e.key == self.key for e in entries(pool)):
                    self._untag(str(pool["Arn"]), [self.key])

        return untag

    def _quietly(self, untag: Callable[[], None]) -> None:
        try:
            untag()
        except _NoTagCalls as missing:
            self.note(f"could not remove the run lock {self.key}: this endpoint lacks {missing.action}")
        except CognitoError as e:
            if aws_error_code(e) != "ResourceNotFoundException":
                self.note(
                    f"could not remove the run lock {self.key}: {e.message}; it lapses by itself at "
                    f"{_shown(self.entry().until)}"
                )


@contextlib.contextmanager
def run_lock(
    services: Services,
    desired: DesiredState,
    *,
    dry_run: bool = False,
    note: Callable[[str], None] | None = None,
    warn: Callable[[str], None] | None = None,
) -> Iterator[PoolLock | None]:
    """The run lock for one ``setup``, ``teardown`` or ``rotate-secret``: yields its ``hold`` (``None`` for a dry
    run, which changes nothing and takes no lock) for the run to call once it has found the pool; a pool the run
    creates is born with the lock. Released on the way out, whatever happens."""
    if dry_run:
        yield None
        return
    gw = services.cognito
    lock = RunLock(gw, desired.pool, note=note, warn=warn)
    gw.pool_birth_tags, gw.pools_born = lock.birth_tags(), []
    try:
        yield lock
    finally:
        gw.pool_birth_tags = {}
        lock.release()


def locked_pool(
    gw: cognito.CognitoGateway, spec: PoolSpec, lock: PoolLock | None, *, adopt: bool = False
) -> UserPoolTypeTypeDef | None:
    """:func:`cognito.find_our_pool`, with the run lock held on what it finds (read again once the lock is taken,
    so that nothing read before it counts).

    The read that proved the lock held (:attr:`PoolLock.fresh`) is that read: the pool found is the same one (a
    same-named pool made later is the younger one and loses its race, ``cognito/pool.py``). Only when that read no
    longer shows our pool (renamed, untagged) is the pool looked for again from the start."""
    pool = cognito.find_our_pool(gw, spec, adopt=adopt)
    for _ in range(3):
        if pool is None or lock is None or not lock(str(pool["Id"]), pool):
            return pool
        fresh = lock.fresh
        if fresh is not None and fresh.get("Name") == spec.name and (cognito.is_ours(fresh) or adopt):
            return fresh
        pool = cognito.find_our_pool(gw, spec, adopt=adopt)
    return pool


__all__ = [
    "LOCK_TAG_PREFIX",
    "LOCK_TTL",
    "LockEntry",
    "PoolLock",
    "RunLock",
    "RunLockHeld",
    "entries",
    "locked_pool",
    "run_lock",
]
