"""The grants: a Cognito group gets a PrivX role. :func:`plan_grants` converges every role towards the desired
grants in both directions, one :class:`RoleStep` per role (create it; grant and revoke in one PUT; an unused role
of ours reported, or deleted by teardown), each written back whole from a fresh read."""

from __future__ import annotations

import contextlib
import copy
import dataclasses
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cognito_privx.desired import DesiredState, RoleSpec
from cognito_privx.errors import PrivXAPIError
from cognito_privx.plan import KNOWN_AFTER_APPLY, Action, Change, FieldChange, change_for
from cognito_privx.privx import holders as holding
from cognito_privx.privx import widening
from cognito_privx.privx.client import ROLE_READ_ONLY
from cognito_privx.privx.holders import Holder
from cognito_privx.privx.record import DirectoryRecord, owned_search_strings
from cognito_privx.privx.rules import (
    add_leaves,
    has_rule,
    leaves,
    our_leaves,
    remove_leaves,
    role_marker,
    role_rule,
)

if TYPE_CHECKING:
    from cognito_privx.privx.client import PrivXClient


@dataclass(frozen=True)
class RoleStep:
    """One role's part of a plan: what it changes, and how to carry it out (``None``: nothing to do).

    ``holders``: the users of our directory who lose the role by its revocations (counted only when
    :func:`plan_grants` is asked to, before anything is written; :mod:`.holders`)."""

    changes: tuple[Change, ...]
    apply: Callable[[], None] | None = None
    holders: tuple[Holder, ...] = ()


def _write_role(privx: PrivXClient, role_id: str, transform: Callable[[dict[str, Any]], dict[str, Any]]) -> bool:
    """GET the role, apply ``transform``, PUT it whole if it changed; True when the read-back shows the change.

    Starting from a fresh GET keeps whatever someone changed since the plan was made.
    """
    fresh = privx.get_role(role_id)
    body = transform(fresh)
    if body == fresh:
        return True
    privx.update_role(role_id, {k: v for k, v in body.items() if k not in ROLE_READ_ONLY})
    after = privx.get_role(role_id)
    return bool(after.get("source_rules") == body.get("source_rules") or transform(after) == after)


def plan_grants(
    privx: PrivXClient,
    desired: DesiredState,
    directory_id: str,
    roles_now: list[dict[str, Any]],
    *,
    owned_permissions: Mapping[str, tuple[str, ...]] | None = None,
    delete_unused: bool = False,
    evaluate: bool = True,
    record: DirectoryRecord | None = None,
    holders: bool = False,
) -> list[RoleStep]:
    """Converge every role towards ``desired.grants``, in both directions.

    - A configured role that is missing is created with one leaf per group it is granted to.
    - In every role (``roles_now``: all of them, listed; built-in ones included), each leaf whose ``source`` is
      ``directory_id`` is ours: kept when a desired grant asks for it, else revoked (from ``ANY`` groups; a copy
      in an ``ALL`` group is reported). Rules of other directories and of others are never touched.
    - A configured role gets the leaves it lacks (a leaf of ours narrowed by an ``ALL`` group does not count as
      granting) and the permissions it lacks (never removed).
    - A role we created for this directory that carries no desired grant is "unused": reported, or with
      ``delete_unused`` (teardown) deleted when nothing else is in it — no other rules, and no permissions beyond
      ``owned_permissions[name]`` (the ones the config gives it). Built-in roles are never deleted.

    Ownership comes from ``record`` (privx/record.py): a leaf pointing at ``directory_id`` is ours only in a form we
    write for a group the record names (any other is someone else's and never revoked), a role is ours only when
    the record names its id. Without a record, the desired grants' groups and no role.

    With ``holders``, each revocation names the users of our directory who hold the role through it now and lose
    it (``holders`` in its data, a note; :attr:`RoleStep.holders`), read from PrivX before anything is written.

    ``directory_id`` is :data:`KNOWN_AFTER_APPLY` in a dry run that would create the directory. Nothing is
    written here: each step's ``apply`` does that.
    """
    owned = owned_permissions or {}
    record = record or DirectoryRecord(groups=tuple(sorted({g.group for g in desired.grants})))
    mine_ids = set(record.roles)
    strings = owned_search_strings(desired.rule_template, record.groups, record.forms) | {
        g.search_string for g in desired.grants
    }
    steps: list[RoleStep] = []
    by_name = {str(r.get("name")): r for r in roles_now}
    configured = {r.name for r in desired.roles}
    wide: list[tuple[int, tuple[str, ...]]] = []  # (index of a configured role's step, notes on its wide rules)
    for spec in desired.roles:
        grants = desired.grants_of(spec.name)
        label = f"{spec.name} ← group {', '.join(g.group for g in grants)}"
        groups = tuple(g.group for g in grants)
        data = (("role", spec.name), ("group", groups[0] if len(groups) == 1 else None), ("groups", groups))
        wanted = [role_rule(directory_id, g.search_string) for g in grants]
        if desired.wide_rule_template and evaluate:
            with _named_refusal(spec.name, wanted):
                wide.append((len(steps), widening.notes(privx, directory_id, grants)))
        if spec.name not in by_name:
            steps.append(_create_role_step(privx, spec, label, wanted, directory_id, data=data))
            continue
        steps.extend(
            _role_steps(
                privx,
                by_name[spec.name],
                spec,
                label,
                wanted,
                directory_id,
                evaluate=evaluate,
                group_of=desired.group_of,
                data=data,
                owned=strings,
                holders=holders,
            )
        )
    for at, notes in wide:
        steps[at : at + 1] = _noted(steps[at : at + 1], notes)
    for role in roles_now:
        name = str(role.get("name"))
        if name in configured:
            continue
        mine = str(role.get("id")) in mine_ids and not role.get("system")
        if our_leaves(role, directory_id, strings):
            steps.extend(
                _role_steps(
                    privx,
                    role,
                    None,
                    name,
                    [],
                    directory_id,
                    evaluate=False,
                    group_of=desired.group_of,
                    owned=strings,
                    holders=holders,
                )
            )
        if mine:
            steps.append(
                _unused_role_step(privx, role, directory_id, owned.get(name, ()), strings, delete=delete_unused)
            )
    return steps


def _noted(steps: list[RoleStep], notes: tuple[str, ...]) -> list[RoleStep]:
    """``steps`` with ``notes`` added to the first change (a configured role's own)."""
    if not notes or not steps or not steps[0].changes:
        return steps
    first, *rest = steps[0].changes
    noted = dataclasses.replace(first, notes=(*first.notes, *notes))
    return [dataclasses.replace(steps[0], changes=(noted, *rest)), *steps[1:]]


def _create_role_step(
    privx: PrivXClient,
    spec: RoleSpec,
    label: str,
    wanted: list[dict[str, Any]],
    directory_id: str,
    *,
    data: tuple[tuple[str, Any], ...] = (),
) -> RoleStep:
    marker = role_marker(directory_id)
    body = {
        "name": spec.name,
        # The marker tells teardown that we made this role (it deletes it only when nothing else is in it).
        "comment": f"{spec.comment} ({marker})" if spec.comment else marker,
        "permissions": list(spec.permissions),
        "source_rules": {"type": "GROUP", "match": "ANY", "rules": wanted},
    }
    change = change_for("privx role", label, None, {"permissions": list(spec.permissions), "source_rules": wanted})
    change = dataclasses.replace(change, data=data)

    def apply() -> None:
        with _named_refusal(spec.name, wanted):
            role_id = privx.create_role(body)
        # Found by name after a lost answer (a concurrent run made it): make sure our leaves are in it.
        _write_role(privx, role_id, lambda r: _with_grants(r, directory_id, wanted, spec.permissions) or r)

    return RoleStep((change,), apply)


@contextlib.contextmanager
def _named_refusal(role: str, leaves: list[dict[str, Any]]) -> Iterator[None]:
    """Turn PrivX's 400 on a role's rules into an error that names the role and the rule (never swallowed: it
    is evidence that ``[privx] rule_template`` does not fit this PrivX)."""
    try:
        yield
    except PrivXAPIError as e:
        if e.status != 400:
            raise
        rules = ", ".join(repr(leaf["search_string"]) for leaf in leaves) or "(its existing rules)"
        raise PrivXAPIError(
            f"PrivX refused the rules of role {role!r} (search_string {rules}): {e.message}",
            "the rule form may not fit this PrivX: run `cognito-privx doctor`, which checks the forms against a "
            "user of the directory, and set [privx] rule_template",
            status=400,
        ) from e


def _with_grants(
    role: Mapping[str, Any], directory_id: str, wanted: list[dict[str, Any]], permissions: tuple[str, ...]
) -> dict[str, Any] | None:
    """The role with the leaves of ``wanted`` it does not grant yet, and the permissions it lacks."""
    new = [leaf for leaf in wanted if not has_rule(role, directory_id, leaf["search_string"])]
    body: dict[str, Any] | None = add_leaves(role, new) if new else copy.deepcopy(dict(role))
    if body is None:
        return None
    missing = [p for p in permissions if p not in (role.get("permissions") or [])]
    if missing:
        body["permissions"] = [*(role.get("permissions") or []), *missing]
    return body


def _revocation_changes(
    name: str,
    revoke: list[str],
    blocked: Mapping[str, int],
    removed: Mapping[str, int],
    group_of: Callable[[str], str | None],
    holders: Mapping[str, tuple[Holder, ...]] | None = None,
) -> list[Change]:
    """One change per revoked ``search_string``: a revoke, or a NOOP saying why it stays; with ``holders`` (per
    ``search_string``), who holds the role through it now (``holders``, ``holder_users`` and a note)."""
    changes = []
    for search in revoke:
        group = group_of(search)
        what = f"{name} ← group {group}" if group is not None else f"{name} ← rule {search}"
        data: tuple[tuple[str, Any], ...] = (
            ("role", name),
            ("group", group),
            ("groups", (group,) if group is not None else ()),
        )
        if group is None:
            data += (("rule", search),)
        stays = (
            "a copy inside an ALL group stays: removing it would widen who gets the role. Remove it by hand"
            if blocked.get(search)
            else ""
        )
        if removed.get(search):
            notes: tuple[str, ...] = (stays,) if stays else ()
            if holders is not None and search in holders:
                who = holders[search]
                notes = (*notes, holding.words(who))
                data += (("holders", len(who)), ("holder_users", [h.to_json() for h in who]))
            changes.append(Change("privx role", what, Action.DELETE, notes=notes, verb="revoke", data=data))
        else:
            changes.append(Change("privx role", what, Action.NOOP, notes=(f"not revoked: {stays}",), data=data))
    return changes


def _role_steps(
    privx: PrivXClient,
    role: Mapping[str, Any],
    spec: RoleSpec | None,
    label: str,
    wanted: list[dict[str, Any]],
    directory_id: str,
    *,
    evaluate: bool,
    group_of: Callable[[str], str | None],
    data: tuple[tuple[str, Any], ...] = (),
    owned: frozenset[str] = frozenset(),
    holders: bool = False,
) -> list[RoleStep]:
    """Grant and revoke in one existing role (one PUT for both); only leaves in ``owned`` are revoked. With
    ``holders``, who loses the role by each revocation (:func:`.holders.losing`, read now)."""
    name = str(role.get("name"))
    wanted_strings = {leaf["search_string"] for leaf in wanted}
    ours = [str(leaf.get("search_string")) for leaf in our_leaves(role, directory_id, owned)]
    revoke = sorted(set(ours) - wanted_strings)
    new = [leaf for leaf in wanted if not has_rule(role, directory_id, leaf["search_string"])]
    permissions = spec.permissions if spec else ()
    missing_permissions = [p for p in permissions if p not in (role.get("permissions") or [])]

    body, blocked = remove_leaves(role, directory_id, set(revoke))
    removed = {s: ours.count(s) - blocked.get(s, 0) for s in revoke}
    fields: list[FieldChange] = []
    notes: list[str] = []
    if new:
        added = add_leaves(body, new)
        if added is None:
            root = role.get("source_rules") or {}
            notes.append(
                f"not changed: the role's rules are a {root.get('match', '?')} group; adding our rule would change "
                f"what the others mean. Add a rule for tag(s) {', '.join(n['search_string'] for n in new)} of "
                f"directory {directory_id} by hand"
            )
        else:
            count = len(leaves(role.get("source_rules")))
            fields.append(FieldChange("source_rules", f"{count} rule(s)", {"added": new}))
            body = added
    if missing_permissions:
        body["permissions"] = [*(role.get("permissions") or []), *missing_permissions]
        fields.append(FieldChange("permissions", role.get("permissions") or [], body["permissions"]))
    revoked = {s for s, n in removed.items() if n}
    losers = holding.losing(privx, role, body, sorted(revoked), directory_id) if holders and revoked else None
    changes = _revocation_changes(name, revoke, blocked, removed, group_of, losers)
    if evaluate and fields and directory_id != KNOWN_AFTER_APPLY:
        with _named_refusal(name, new):
            matched = privx.evaluate_role(body)
        if matched is not None:
            notes.append(f"would match {matched} user(s) today")
    if spec is not None:
        action = Action.UPDATE if fields else Action.NOOP
        changes.insert(0, Change("privx role", label, action, tuple(fields), tuple(notes), data=data))
    writes = bool(fields) or any(c.action is Action.DELETE for c in changes)
    if not writes:
        return [RoleStep(tuple(changes))]
    lost = {h.id: h for who in (losers or {}).values() for h in who}

    def transform(fresh: dict[str, Any]) -> dict[str, Any]:
        out, _ = remove_leaves(fresh, directory_id, revoked)
        return _with_grants(out, directory_id, new, permissions) or out

    def apply() -> None:
        with _named_refusal(name, new):
            kept = _write_role(privx, str(role["id"]), transform)
        if not kept:
            raise PrivXAPIError(
                f"PrivX did not keep the new rules of role {name}",
                "check the role in PrivX; run setup again",
            )

    return [RoleStep(tuple(changes), apply, tuple(sorted(lost.values(), key=lambda h: h.principal)))]


def _unused_role_step(
    privx: PrivXClient,
    role: Mapping[str, Any],
    directory_id: str,
    owned: tuple[str, ...],
    strings: frozenset[str],
    *,
    delete: bool,
) -> RoleStep:
    """A role we created that no desired grant uses any more: reported, or deleted (teardown) when empty."""
    name = str(role.get("name"))

    def others(node: Any) -> list[Mapping[str, Any]]:
        ours = our_leaves({"source_rules": node}, directory_id, strings)
        return [leaf for leaf in leaves(node) if leaf not in ours]

    remaining = others(role.get("source_rules"))
    extra_permissions = sorted(set(role.get("permissions") or []) - set(owned))
    if not delete:
        note = (
            "unused: created by cognito-privx, no grant of this config uses it; "
            "teardown deletes it if nothing else is in it"
        )
        return RoleStep((Change("privx role", name, Action.NOOP, notes=(note,)),))
    if remaining or extra_permissions:
        why = []
        if remaining:
            why.append(f"{len(remaining)} rule(s) of others")
        if extra_permissions:
            why.append(f"permissions {', '.join(extra_permissions)} (not in this config)")
        return RoleStep((Change("privx role", name, Action.NOOP, notes=(f"kept: it holds {' and '.join(why)}",)),))

    def apply() -> None:
        fresh = privx.get_role(str(role["id"]))
        if not others(fresh.get("source_rules")) and not set(fresh.get("permissions") or []) - set(owned):
            privx.delete_role(str(role["id"]))

    change = Change("privx role", name, Action.DELETE, notes=("created by cognito-privx; nothing else in it",))
    return RoleStep((change,), apply)
