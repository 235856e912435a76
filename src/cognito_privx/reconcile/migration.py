"""A ``group_claim`` switch is a migration: users' groups moved to where the configured claim reads them.

A user's groups live in one of two places, and PrivX reads only the one ``[cognito] group_claim`` names:

- ``custom``: the custom attribute (``custom:group``), one group per user;
- ``cognito:groups``: the pool's native groups (``AdminAddUserToGroup``; the ID token's ``cognito:groups`` claim).

Switching the claim with users in the pool leaves their groups where they were: their sign-ins carry no group, so
PrivX gives them no tags and no roles. :func:`survey` reads both places (``ListUsers`` for the attribute,
``ListGroups``, then ``ListUsersInGroup`` per ``[roles]`` group the pool has, for the memberships) and says who
must move; :func:`migrate` moves
them, paced (:class:`~cognito_privx.pacing.TokenBucket`, under Cognito's 25/s for user updates and group
operations, Developer Guide "Quotas in Amazon Cognito"), throttling retried (:mod:`cognito_privx.retry`), one
user at a time and idempotent per user (``AdminAddUserToGroup`` of a member and ``AdminUpdateUserAttributes`` to
the value held both change nothing), so a re-run after a failure or Ctrl-C finishes the rest.

A move never widens anyone's access: a user gets exactly the groups the old claim gave them. What the old claim
gave is decided conservatively:

- to ``cognito:groups``: the attribute's value when it is one ``[roles]`` group (matched folded, as PrivX's rule
  matcher compares). A value naming several groups (``dev,ops``, written in ``cognito:groups`` mode) matched no
  grant under ``custom``: not moved, reported. A group that is not a ``[roles]`` key is reported, never invented.
- to ``custom``: the user's one native ``[roles]`` group. A user of several cannot be carried by one attribute
  value: reported (choose with ``set-group``), unless the attribute already holds one of them.

Sessions are not ended: a moved user keeps the same groups, so their PrivX access changes only in form.
The rehearsal identities of ``doctor --login`` are left out (doctor prepares them itself).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from cognito_privx import retry
from cognito_privx.cognito import CognitoGateway, why_unavailable
from cognito_privx.config import fold_group
from cognito_privx.desired import DesiredState, is_rehearsal
from cognito_privx.errors import CognitoError, aws_error_code
from cognito_privx.pacing import TokenBucket
from cognito_privx.plan import Action, Change, FieldChange

if TYPE_CHECKING:  # the users layer is a sibling: its types only
    from cognito_privx.users.model import UserInfo

NATIVE = "cognito:groups"
RESOURCE = "cognito group claim migration"
USER_RESOURCE = "cognito user groups"
SHOWN = 5  # emails named in a plan's note before "and N more"
MOVE_RATE = 20.0  # moves per second: under the 25/s of UserUpdate and the group operations (DG "Quotas")


# One Cognito call with retries: (operation, *, absent=<error code answered as None>, **params).
Request = Callable[..., "dict[str, Any] | None"]


@dataclass(frozen=True)
class Move:
    """One user to move: ``groups`` (``[roles]`` keys) put where ``to`` (``cognito:groups`` or ``custom:<name>``)
    reads them. ``username`` is the real ``Username`` (the ``sub`` in email pools)."""

    email: str
    username: str
    groups: tuple[str, ...]
    to: str

    def to_json(self) -> dict[str, Any]:
        return {"email": self.email, "groups": list(self.groups), "to": self.to}


@dataclass(frozen=True)
class Left:
    """A user whose groups the configured claim does not read and whom the tool will not move: ``why``."""

    email: str
    why: str
    blocking: bool  # the user loses access the old claim gave (doctor fails); False: they had no role either way

    def to_json(self) -> dict[str, Any]:
        return {"email": self.email, "reason": self.why}


@dataclass(frozen=True)
class Survey:
    """Where the pool's users' groups live, against where the configured ``claim`` reads them.

    ``moves``: users to move; ``left``: users reported, not moved; ``read``: each user's groups as the configured
    claim reads them now (email → ``[roles]`` groups, sorted); ``members``: per ``[roles]`` group, the emails whose
    group the claim reads (what doctor names an existing user from).
    """

    claim: str
    attribute: str  # custom:<name>
    moves: tuple[Move, ...] = ()
    left: tuple[Left, ...] = ()
    read: dict[str, tuple[str, ...]] = field(default_factory=dict)
    members: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def behind(self) -> list[str]:
        """Emails of users whose groups the claim does not read (to move, or blocked): sorted."""
        return sorted({m.email for m in self.moves} | {x.email for x in self.left if x.blocking})

    def source(self) -> str:
        """Where the users to move have their groups now (the other place)."""
        return "their native groups" if self.claim != NATIVE else "the attribute " + self.attribute


def retrying_request(gw: CognitoGateway, policy: retry.RetryPolicy | None = None) -> Request:
    """A :data:`Request` over ``gw``: throttling and Cognito's internal errors retried under ``policy``
    (:func:`cognito_privx.retry.code_verdict`), ``absent`` answered as ``None``."""
    policy = policy or retry.RetryPolicy(attempts=8, base=0.2, cap=8.0, sleep=time.sleep)

    def request(operation: str, *, absent: str | None = None, **params: Any) -> dict[str, Any] | None:
        def once() -> dict[str, Any] | None:
            try:
                return gw.call(operation, **params)
            except CognitoError as e:
                if absent is not None and aws_error_code(e) == absent:
                    return None
                raise

        def again(e: BaseException) -> bool:
            return isinstance(e, CognitoError) and retry.code_verdict(aws_error_code(e)) is retry.Verdict.RETRY

        return policy.call(once, retry_error=again)

    return request


def _pages(gw: CognitoGateway, request: Request, operation: str, **params: Any) -> Iterator[Mapping[str, Any]]:
    absent = "ResourceNotFoundException" if operation == "list_users_in_group" else None
    return gw.pages(operation, lambda **p: request(operation, absent=absent, **p) or {}, **params)


def _attributes(user: Mapping[str, Any]) -> dict[str, str]:
    return {a["Name"]: a.get("Value", "") for a in user.get("Attributes") or []}


def _existing_groups(gw: CognitoGateway, request: Request, pool_id: str, role_groups: frozenset[str]) -> set[str]:
    """The pool's native groups (ListGroups); when an IAM policy written before this call denies it, or the endpoint
    lacks it, every ``[roles]`` group (each then asked for by ListUsersInGroup, a missing one answering
    ResourceNotFoundException)."""
    try:
        return {
            str(g["GroupName"])
            for page in _pages(gw, request, "list_groups", UserPoolId=pool_id, Limit=60)
            for g in page.get("Groups", [])
        }
    except CognitoError as e:
        if why_unavailable(e) is None:
            raise
        return set(role_groups)


def survey(
    gw: CognitoGateway,
    request: Request,
    pool_id: str,
    *,
    attribute: str,
    role_groups: frozenset[str],
    native: bool,
    moves_only: bool = False,
) -> Survey:
    """Read where every user's groups live and say who must move to where the configured claim reads them.

    ``attribute``: ``custom:<name>``; ``role_groups``: the ``[roles]`` keys; ``native``: the claim is
    ``cognito:groups``. A ``[roles]`` group the pool does not have (yet) has no members. ``moves_only``: the
    caller reads only ``moves`` and ``left`` (not ``read``/``members``): under the attribute claim with no
    native ``[roles]`` member, nobody can be behind, and the users are not listed. Read-only; raises
    :class:`~cognito_privx.errors.CognitoError` when a listing fails.
    """
    surveyor = Surveyor(gw, request, pool_id, attribute=attribute, role_groups=role_groups, native=native)
    if moves_only and not surveyor.anyone_can_be_behind:
        return Survey(surveyor.claim, attribute)  # _to_custom moves or reports only users with native groups
    for page in _pages(gw, request, "list_users", UserPoolId=pool_id, Limit=60):
        for user in page.get("Users", []):
            surveyor.observe(user)
    return surveyor.result()


class Surveyor:
    """:func:`survey` one listed user at a time, for a caller that pages through ``ListUsers`` itself
    (``list-users``, which streams its table: one listing for both). Built, it has read the native ``[roles]``
    groups' members (``ListGroups``, ``ListUsersInGroup``: a ``Username`` each, what ``ListUsers`` cannot say);
    :meth:`observe` takes each ``ListUsers`` entry, :meth:`result` is the :class:`Survey`. ``keep_read=False``:
    each user's groups are only returned, not kept (memory: the members and the users behind, not every user)."""

    def __init__(
        self,
        gw: CognitoGateway,
        request: Request,
        pool_id: str,
        *,
        attribute: str,
        role_groups: frozenset[str],
        native: bool,
        keep_read: bool = True,
    ) -> None:
        members: dict[str, set[str]] = {}  # Username → native [roles] groups
        # Only the groups the pool has: one ListGroups walk instead of a ResourceNotFoundException per missing
        # group, and an endpoint that fails ListUsersInGroup on a pool without groups (cognito-local 5.3: HTTP 500)
        # is spared.
        for group in sorted(role_groups & _existing_groups(gw, request, pool_id, role_groups)):
            for page in _pages(gw, request, "list_users_in_group", UserPoolId=pool_id, GroupName=group, Limit=60):
                for user in page.get("Users", []):
                    members.setdefault(user["Username"], set()).add(group)
        self.members, self.native, self.attribute = members, native, attribute
        self.claim = NATIVE if native else attribute
        self.keep_read = keep_read
        self._by_fold = {fold_group(g): g for g in role_groups}
        self._moves: list[Move] = []
        self._left: list[Left] = []
        self._read: dict[str, tuple[str, ...]] = {}

    @property
    def anyone_can_be_behind(self) -> bool:
        """Under the attribute claim with no native ``[roles]`` member, nobody is behind: no need to observe."""
        return self.native or bool(self.members)

    def observe(self, user: Mapping[str, Any]) -> tuple[str, ...]:
        """One ``ListUsers`` entry: whether it must move, and its groups as the configured claim reads them
        (sorted ``[roles]`` groups; under the attribute, a value that is no ``[roles]`` key as it is; ``()`` for
        none and for a ``doctor --login`` rehearsal identity, which is left out)."""
        attrs = _attributes(user)
        email = attrs.get("email") or user["Username"]
        if is_rehearsal(email):
            return ()
        value = (attrs.get(self.attribute) or "").strip()
        have = self.members.get(user["Username"], set())
        if self.native:
            groups = tuple(sorted(have))
            _to_native(email, user["Username"], value, have, self._by_fold, self._moves, self._left)
        else:
            key = self._by_fold.get(fold_group(value)) if value else None
            groups = (key,) if key else ((value,) if value else ())
            _to_custom(email, user["Username"], value, key, have, self.attribute, self._moves, self._left)
        if self.keep_read:
            self._read[email] = groups
        return groups

    def result(self) -> Survey:
        """The survey of the users observed (``read`` and ``members`` empty unless ``keep_read``)."""
        per_group: dict[str, list[str]] = {}
        for email, groups in self._read.items():
            for g in groups:
                per_group.setdefault(g, []).append(email)
        return Survey(
            self.claim,
            self.attribute,
            tuple(sorted(self._moves, key=lambda m: m.email)),
            tuple(sorted(self._left, key=lambda x: x.email)),
            dict(sorted(self._read.items())),
            {g: tuple(sorted(e)) for g, e in sorted(per_group.items())},
        )


def _to_native(
    email: str,
    username: str,
    value: str,
    have: set[str],
    by_fold: dict[str, str],
    moves: list[Move],
    left: list[Left],
) -> None:
    if not value:
        return
    if "," in value:
        parts = [p.strip() for p in value.split(",") if p.strip()]
        keys = [by_fold.get(fold_group(p)) for p in parts]
        if all(k is not None and k in have for k in keys):
            return  # written in cognito:groups mode, which keeps the attribute as a copy of the memberships
        why = f"several groups in the attribute ({value}): the old claim matched none of them"
        left.append(Left(email, why, False))
        return
    key = by_fold.get(fold_group(value))
    if key is None:
        left.append(Left(email, f"group {value!r} is not a [roles] group", False))
    elif key not in have:
        moves.append(Move(email, username, (key,), NATIVE))


def _to_custom(
    email: str,
    username: str,
    value: str,
    key: str | None,
    have: set[str],
    attribute: str,
    moves: list[Move],
    left: list[Left],
) -> None:
    if not have or (key is not None and key in have):
        return
    if len(have) == 1:
        moves.append(Move(email, username, (next(iter(have)),), attribute))
        return
    groups = ", ".join(sorted(have))
    left.append(
        Left(
            email,
            f"native groups {groups}: {attribute} holds one group; choose it with `cognito-privx set-group`",
            True,
        )
    )


def plan_change(found: Survey) -> Change | None:
    """``plan``'s one change for the migration: how many users move, the first few named; every user in JSON
    (``users``, ``not_moved``). ``None`` when nobody is to move and nobody lost a group the tool cannot move."""
    if not found.moves and not any(x.blocking for x in found.left):
        return None  # users outside [roles] alone had no role under either claim: reported only with a migration
    notes = []
    if found.moves:
        named = ", ".join(f"{m.email} ({', '.join(m.groups)})" for m in found.moves[:SHOWN])
        more = f" and {len(found.moves) - SHOWN} more" if len(found.moves) > SHOWN else ""
        notes.append(
            f"{len(found.moves)} user(s) have their groups in {found.source()}, which group_claim = "
            f"{found.claim!r} does not read (their sign-ins would get no tags and no roles): {named}{more}"
        )
        notes.append("each gets exactly the groups they have now; their sessions are not ended (same access)")
    notes += [f"not moved: {x.email}: {x.why}" for x in found.left]
    return Change(
        RESOURCE,
        f"to {found.claim}",
        Action.UPDATE if found.moves else Action.NOOP,
        notes=tuple(notes),
        verb="move users" if found.moves else "",
        data=(
            ("claim", found.claim),
            ("users", [m.to_json() for m in found.moves]),
            ("not_moved", [x.to_json() for x in found.left]),
        ),
    )


def migrate(
    request: Request,
    pool_id: str,
    found: Survey,
    *,
    on_moved: Callable[[Change], object],
    limiter: TokenBucket | None = None,
) -> int:
    """Move every user of ``found.moves``, one at a time, each reported to ``on_moved`` after Cognito accepted
    it; returns how many moved. Paced by ``limiter`` (default :data:`MOVE_RATE` a second). Raises the first error
    that is not throttling: the users moved so far stay moved, and a re-run moves the rest."""
    limiter = limiter or TokenBucket(MOVE_RATE, burst=2)
    for move in found.moves:
        if move.to == NATIVE:
            for group in move.groups:
                limiter.acquire()
                request("admin_add_user_to_group", UserPoolId=pool_id, Username=move.username, GroupName=group)
            before: Any = []
        else:
            limiter.acquire()
            request(
                "admin_update_user_attributes",
                UserPoolId=pool_id,
                Username=move.username,
                UserAttributes=[{"Name": move.to, "Value": move.groups[0]}],
            )
            before = None
        on_moved(
            Change(
                USER_RESOURCE,
                move.email,
                Action.UPDATE,
                fields=(FieldChange(move.to, before, list(move.groups) if move.to == NATIVE else move.groups[0]),),
                verb="move",
                notes=("same groups, now where group_claim reads them; sessions not ended",),
            )
        )
    return len(found.moves)


def summary(found: Survey, moved: int) -> Change:
    """The migration's closing line in ``setup``: how many moved, who was not moved and why."""
    notes = [f"moved {moved} user(s) to {found.claim}; sessions were not ended (same groups, same access)"]
    notes += [f"not moved: {x.email}: {x.why}" for x in found.left]
    return Change(
        RESOURCE,
        f"to {found.claim}",
        Action.NOOP,
        notes=tuple(notes),
        data=(("claim", found.claim), ("moved", moved), ("not_moved", [x.to_json() for x in found.left])),
    )


def as_claimed(listed: list[UserInfo], found: Survey, group: str | None) -> list[UserInfo]:
    """``list-users``' rows (``UserInfo``: ``email``, ``group``) with the groups the configured claim reads: with
    ``cognito:groups`` the user's native ``[roles]`` groups (comma-joined, ``None`` for none), optionally only
    those of ``group`` (compared folded, as PrivX does); with the attribute, the rows as they are."""
    if found.claim != NATIVE:
        return listed
    wanted = None if group is None else fold_group(group)
    rows = []
    for row in listed:
        groups = found.read.get(row.email, ())
        if wanted is not None and wanted not in {fold_group(g) for g in groups}:
            continue
        rows.append(replace(row, group=",".join(groups) or None))
    return rows


def behind_warning(found: Survey) -> str | None:
    """``list-users``' warning when users' groups live where the configured claim does not read them."""
    behind = found.behind
    if not behind:
        return None
    named = ", ".join(behind[:SHOWN]) + (f" and {len(behind) - SHOWN} more" if len(behind) > SHOWN else "")
    return (
        f"{len(behind)} user(s) have their groups in {found.source()}, which group_claim = "
        f"{found.claim!r} does not read (their sign-ins get no roles): {named}; run `cognito-privx setup` to move "
        "them (`cognito-privx plan` lists them)"
    )


def setup_step(
    gw: CognitoGateway,
    desired: DesiredState,
    pool_id: str,
    *,
    dry_run: bool,
    add: Callable[[Change], object],
    request: Request | None = None,
) -> None:
    """``setup``'s migration step (after the native groups exist, before PrivX reads the new claim): ``plan``
    adds :func:`plan_change`; ``setup`` moves the users (each reported to ``add`` as moved) and adds
    :func:`summary`. Nothing is added when nobody is left behind."""
    request = request or retrying_request(gw)
    found = survey(
        gw,
        request,
        pool_id,
        attribute=desired.attribute.attribute_name,
        role_groups=frozenset(g.group for g in desired.grants),
        native=desired.directory.tags_claim == NATIVE,
        moves_only=True,
    )
    if dry_run or not found.moves:
        change = plan_change(found)
        if change is not None:
            add(change)
        return
    add(summary(found, migrate(request, pool_id, found, on_moved=add)))


__all__ = [
    "NATIVE",
    "Left",
    "Move",
    "Request",
    "Survey",
    "Surveyor",
    "migrate",
    "plan_change",
    "retrying_request",
    "setup_step",
    "summary",
    "survey",
]
