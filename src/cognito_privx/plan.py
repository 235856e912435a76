"""Changes and plans: what a step would do or did, in one vocabulary for ``plan`` and ``setup``.

Pure data and pure diff functions; no I/O.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

SENSITIVE = "(sensitive)"
KNOWN_AFTER_APPLY = "(known after apply)"


class Action(enum.StrEnum):
    CREATE = "create"
    UPDATE = "update"
    NOOP = "noop"
    DELETE = "delete"


@dataclass(frozen=True)
class FieldChange:
    """One field of a resource: ``before`` → ``after``. Sensitive values are never held here."""

    field: str
    before: Any
    after: Any

    def to_json(self) -> dict[str, Any]:
        return {"field": self.field, "before": self.before, "after": self.after}


@dataclass(frozen=True)
class Change:
    """What one step does (or would do) to one resource: ``action`` with field-level ``before`` → ``after``."""

    resource: str
    name: str
    action: Action
    fields: tuple[FieldChange, ...] = ()
    notes: tuple[str, ...] = ()
    # A more precise verb than the action's own, e.g. "revoke" for a DELETE of a grant.
    verb: str = ""
    # What ``name`` says for people, as data for JSON: a grant's ("role", "developers"), ("group", "dev").
    data: tuple[tuple[str, Any], ...] = ()
    # Why the server did not accept it ("refused (403: needs roles-manage)"); "" for a change made (or planned).
    refused: str = ""

    @property
    def changed(self) -> bool:
        """Whether it changed (or would change) something: an action other than NOOP, and not refused."""
        return self.action is not Action.NOOP and not self.refused

    def refusal(self, reason: str, verb: str = "") -> Change:
        """This change as refused by the server, for ``reason``; ``verb`` (the failed call's) names it when the
        change has no verb of its own."""
        return replace(self, refused=reason, verb=self.verb or verb)

    def to_json(self) -> dict[str, Any]:
        return {
            "resource": self.resource,
            "name": self.name,
            "action": self.action.value,
            "fields": [f.to_json() for f in self.fields],
            "notes": list(self.notes),
            **({"verb": self.verb} if self.verb else {}),
            **({"refused": self.refused} if self.refused else {}),
            **dict(self.data),
        }


@dataclass
class Plan:
    """The changes of one run, in order. ``listener`` sees each change as it is added (live output)."""

    changes: list[Change] = field(default_factory=list)
    listener: Callable[[Change], None] | None = field(default=None, repr=False, compare=False)

    def add(self, change: Change) -> Change:
        self.changes.append(change)
        if self.listener is not None:
            self.listener(change)
        return change

    @property
    def has_changes(self) -> bool:
        return any(c.changed for c in self.changes)

    def count(self, action: Action) -> int:
        """How many changes of ``action`` the plan has (made, or to make); refused ones are not counted."""
        return sum(1 for c in self.changes if c.action is action and not c.refused)

    def summary(self) -> str:
        return (
            f"{self.count(Action.CREATE)} to create, {self.count(Action.UPDATE)} to update, "
            f"{self.count(Action.DELETE)} to delete, {self.count(Action.NOOP)} unchanged"
        )


def _norm(value: Any) -> Any:
    """Normalise for comparison: lists of scalars compare as sets, None as absent."""
    if isinstance(value, list | tuple) and all(isinstance(v, str | int | float | bool) for v in value):
        return sorted(set(value), key=str)
    return value


def diff_fields(
    current: Mapping[str, Any],
    desired: Mapping[str, Any],
    *,
    superset_ok: Iterable[str] = (),
    sensitive: Iterable[str] = (),
) -> tuple[FieldChange, ...]:
    """Field changes that turn ``current`` into ``desired``, over the keys of ``desired`` only.

    Lists of strings compare as sets. A key in ``superset_ok`` is satisfied when the current list already
    contains every desired item (others may have added more); its ``after`` is then the union, so a merge
    keeps what someone else added. Keys in ``sensitive`` are shown as ``(sensitive)``.
    """
    superset = set(superset_ok)
    hidden = set(sensitive)
    changes: list[FieldChange] = []
    for key, want in desired.items():
        have = current.get(key)
        if key in superset and isinstance(want, list | tuple):
            have_list = list(have or [])
            missing = [w for w in want if w not in have_list]
            if missing:
                changes.append(FieldChange(key, have_list, have_list + missing))
            continue
        if _norm(have) != _norm(want):
            if key in hidden:
                changes.append(FieldChange(key, SENSITIVE if have else None, SENSITIVE))
            else:
                changes.append(FieldChange(key, have, list(want) if isinstance(want, tuple) else want))
    return tuple(changes)


def change_for(
    resource: str,
    name: str,
    current: Mapping[str, Any] | None,
    desired: Mapping[str, Any],
    *,
    superset_ok: Iterable[str] = (),
    sensitive: Iterable[str] = (),
    notes: Iterable[str] = (),
) -> Change:
    """The :class:`Change` for one resource: CREATE when absent, UPDATE with the differing fields, else NOOP."""
    hidden = set(sensitive)
    if current is None:
        created = tuple(
            FieldChange(k, None, SENSITIVE if k in hidden else (list(v) if isinstance(v, tuple) else v))
            for k, v in desired.items()
        )
        return Change(resource, name, Action.CREATE, created, tuple(notes))
    fields = diff_fields(current, desired, superset_ok=superset_ok, sensitive=sensitive)
    return Change(resource, name, Action.UPDATE if fields else Action.NOOP, fields, tuple(notes))
