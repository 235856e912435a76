"""The join: each Cognito user (streamed page by page) with their PrivX records (read whole first, indexed by
``sub`` and email), flagged (:mod:`.flags`); then the PrivX records no Cognito user claimed (``not-in-cognito``).

Memory: the PrivX side (one small record per PrivX user of the directory) and the ids of the records already joined;
the Cognito side one page at a time. :class:`Review` yields rows as they are made and counts as it goes, so a caller
writes each row out and keeps none.
"""

from __future__ import annotations

import collections
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cognito_privx import privx
from cognito_privx.access import flags as f
from cognito_privx.access.cognito_side import CognitoSide, CognitoUser, PoolFacts, in_group, native_memberships
from cognito_privx.access.privx_side import PrivXSide, Record
from cognito_privx.desired import DesiredState, UsersSpec, is_rehearsal
from cognito_privx.errors import PrivXError
from cognito_privx.reconcile import pool_identity
from cognito_privx.users import PoolUsers
from cognito_privx.users.model import STATUS_MEANING

CONFIRMED = "CONFIRMED"


@dataclass(frozen=True)
class AccessRow:
    """One row of the review: a Cognito user (with their PrivX records), or a PrivX record without one."""

    email: str
    groups: tuple[str, ...]
    status: str | None  # Cognito's UserStatus; None: no Cognito user
    enabled: bool | None
    mfa: str | None
    privx_ids: tuple[str, ...]
    roles: tuple[str, ...]  # what PrivX gives now, over all their records
    sessions: int
    connections: int
    flags: tuple[str, ...]
    wrong_roles: tuple[str, ...] = ()  # role-not-in-config: which
    notes: tuple[str, ...] = ()
    name: str | None = None

    @property
    def status_meaning(self) -> str | None:
        return None if self.status is None else STATUS_MEANING.get(self.status, "")

    def to_json(self) -> dict[str, Any]:
        """The row as JSON: lists stay lists; no token, secret or password is ever part of a row."""
        return {
            "email": self.email,
            "name": self.name,
            "group": ",".join(self.groups) or None,
            "groups": list(self.groups),
            "status": self.status,
            "status_meaning": self.status_meaning,
            "enabled": self.enabled,
            "mfa": self.mfa,
            "privx_user_ids": list(self.privx_ids),
            "privx_roles": list(self.roles),
            "sessions": self.sessions,
            "connections": self.connections,
            "flags": list(self.flags),
            "roles_not_in_config": list(self.wrong_roles),
            "notes": list(self.notes),
        }


def our_directory(px: privx.PrivXClient, desired: DesiredState, identity: privx.PoolIdentity | None) -> str:
    """Our PrivX directory's id. Raises :class:`PrivXError` when setup has not made it (nobody can have signed
    in through it, and the review would call everyone "never signed in")."""
    found = privx.find_directories(px, desired.directory.name, identity).ours
    if found is None:
        raise PrivXError(
            f"no PrivX directory of this pool (named {desired.directory.name!r}) in PrivX",
            "run `cognito-privx setup` first (or check --config)",
        )
    return str(found["id"])


@dataclass
class Review:
    """An access review being made: iterate it for the rows (Cognito users first, then ``not-in-cognito``
    records); :meth:`summary` afterwards. ``group`` keeps the rows of one group (compared folded);
    ``include_rehearsal`` shows ``doctor --login``'s identities, flagged ``rehearsal`` only and never counted."""

    desired: DesiredState
    cognito: CognitoSide
    privx: PrivXSide
    group: str | None = None
    include_rehearsal: bool = False
    now: datetime | None = None
    on_page: Callable[[int], None] | None = None

    def __post_init__(self) -> None:
        self.counts: collections.Counter[str] = collections.Counter()
        self.rows_out = 0
        self.cognito_users = 0
        self.left_out = 0
        self._given = f.granted(self.desired.grants)
        self._joined: set[str] = set()
        self._started = time.monotonic()
        self.seconds = 0.0

    def __iter__(self) -> Iterator[AccessRow]:
        now = self.now or datetime.now(UTC)
        for page in self.cognito.pages(self.on_page):
            for user in page:
                records = self.privx.of_person(user.sub, user.email)
                self._joined.update(r.id for r in records)
                row = self._cognito_row(user, records, now)
                if row is not None and in_group(user.groups, self.group):
                    yield self._counted(row, cognito=True)
        for record in self.privx.records.values():
            if record.id not in self._joined and in_group(record.tags, self.group):
                row = self._orphan_row(record)
                if row is not None:
                    yield self._counted(row, cognito=False)
        self.seconds = time.monotonic() - self._started

    def _counted(self, row: AccessRow, *, cognito: bool) -> AccessRow:
        self.rows_out += 1
        if f.REHEARSAL not in row.flags:
            self.cognito_users += cognito
            self.counts.update(row.flags)
        return row

    def _rehearsal(self, email: str) -> bool:
        """Whether to leave this identity out (counted as left out) or show it flagged ``rehearsal``."""
        if is_rehearsal(email) and not self.include_rehearsal:
            self.left_out += 1
            return True
        return False

    def _cognito_row(self, user: CognitoUser, records: list[Record], now: datetime) -> AccessRow | None:
        if self._rehearsal(user.email):
            return None
        roles = tuple(sorted({r for record in records for r in record.roles}))
        sessions = sum(self.privx.sessions[r.id] for r in records)
        connections = sum(self.privx.connections[r.id] for r in records)
        found: list[str] = []
        notes: list[str] = []
        wrong = f.roles_not_in_config(roles, user.groups, self._given)
        if is_rehearsal(user.email):
            found, wrong = [f.REHEARSAL], []
        else:
            if wrong:
                found.append(f.ROLE_NOT_IN_CONFIG)
                notes.append(f"PrivX gives {', '.join(wrong)}, which the config does not give {self._groups(user)}")
            if f.disabled_with_live_sessions(user.enabled, sessions, connections):
                found.append(f.DISABLED_WITH_LIVE_SESSIONS)
            if f.invitation_expired(user.status, user.last_modified, self.cognito.facts.temporary_password_days, now):
                found.append(f.INVITATION_EXPIRED)
                notes.append(
                    f"invitation older than {self.cognito.facts.temporary_password_days} days: resend-invite sends a "
                    "new one"
                )
            if not records:
                found.append(f.NEVER_SIGNED_IN)
                shown = "CONFIRMED" if user.status == CONFIRMED else f"{user.status}, not CONFIRMED"
                notes.append(f"no PrivX record; Cognito shows them {shown}")
        return AccessRow(
            email=user.email,
            groups=user.groups,
            status=user.status,
            enabled=user.enabled,
            mfa=user.mfa,
            privx_ids=tuple(r.id for r in records),
            roles=roles,
            sessions=sessions,
            connections=connections,
            flags=tuple(found),
            wrong_roles=tuple(wrong),
            notes=tuple(notes),
            name=user.name,
        )

    @staticmethod
    def _groups(user: CognitoUser) -> str:
        return f"group {', '.join(user.groups)}" if user.groups else "a user without a group"

    def _orphan_row(self, record: Record) -> AccessRow | None:
        if record.rehearsal and not self.include_rehearsal:
            self.left_out += 1
            return None
        rehearsal = record.rehearsal
        return AccessRow(
            email=record.shown_email,
            groups=record.tags,
            status=None,
            enabled=None,
            mfa=None,
            privx_ids=(record.id,),
            roles=record.roles,
            sessions=self.privx.sessions[record.id],
            connections=self.privx.connections[record.id],
            flags=(f.REHEARSAL,) if rehearsal else (f.NOT_IN_COGNITO,),
            notes=() if rehearsal else ("no Cognito user has this record's sub or email; PrivX keeps its roles",),
        )

    def summary(self, calls: dict[str, int] | None = None) -> dict[str, Any]:
        """Counts per flag (every flag, 0 included), users and records, what was read how, and the calls made
        (``calls``: the run's counter, reads and writes per side) with their cost per user."""
        records = sum(1 for r in self.privx.records.values() if not r.rehearsal)
        calls = dict(calls or {})
        per = max(self.cognito_users, 1)
        return {
            "pool": self.cognito.facts.pool_id,
            "directory": self.privx.directory_id,
            "rows": self.rows_out,
            "cognito_users": self.cognito_users,
            "privx_records": records,
            "rehearsal_left_out": self.left_out,
            "flags": {flag: self.counts[flag] for flag in f.FLAGS},
            "mfa": "off (pool)" if self.cognito.facts.mfa == "OFF" else "AdminGetUser per user",
            "roles_from": self.privx.roles_from,
            "temporary_password_validity_days": self.cognito.facts.temporary_password_days,
            "calls": calls,
            "calls_per_user": {
                "cognito": round(sum(v for k, v in calls.items() if k.startswith("cognito")) / per, 3),
                "privx": round(sum(v for k, v in calls.items() if k.startswith("privx")) / per, 3),
            },
            "seconds": round(self.seconds, 2),
        }


def start_review(
    desired: DesiredState,
    spec: UsersSpec,
    users: PoolUsers,
    px: privx.PrivXClient,
    *,
    group: str | None = None,
    include_rehearsal: bool = False,
    on_page: Callable[[int], None] | None = None,
) -> Review:
    """Read the PrivX side (our directory found by the pool's identity) and the native memberships, and return the
    :class:`Review` that walks the pool when iterated. Raises :class:`PrivXError` (no directory, a refusal naming
    the permission) and what the Cognito calls raise."""
    px.login()
    directory_id = our_directory(px, desired, pool_identity(desired, users.description))
    side = PrivXSide.read(px, directory_id)
    memberships = native_memberships(users, spec.role_groups) if spec.native_groups else None
    cognito = CognitoSide(users, PoolFacts.of(users), spec.attribute_name, memberships)
    return Review(desired, cognito, side, group=group, include_rehearsal=include_rehearsal, on_page=on_page)


__all__ = ["AccessRow", "Review", "our_directory", "start_review"]
