"""Role rules: the shape of ``source_rules`` and who a rule tree matches (choices 8 and 13 in :mod:`.core`).

A ``source_rules`` tree (Go SDK ``rolestore.SourceRule``: ``type``, ``source``, ``search_string``, ``match``,
``rules``) has one of three roots: a GROUP node, a single RULE leaf ("a single rule or a rule group", the docs),
or the zero-valued rule ``{"rules": null}`` that a Go client's empty ``Role`` sends (it matches nobody). A GROUP
(``match`` ANY or ALL) holds GROUPs and RULEs; an empty GROUP matches nobody, whatever its ``match``. A RULE leaf
matches the users of its ``source`` directory that its ``search_string`` selects, in the grammar of that
directory: the variant's ``rule_grammar`` for an OIDC directory, a filter (:mod:`.ldapfilter`) for the other
(built-in) ones, as the privx-admin role's ``(principal=…)`` rule shows. A leaf on a directory the emulator does
not know (another tool's LDAP directory, say, or a deleted one) has no grammar to check it by: its
``search_string`` is stored unchecked and it matches nobody (no user is in such a directory).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from cognito_privx.sandbox.emulator.ldapfilter import FilterError, parse_filter
from cognito_privx.sandbox.emulator.wire import invalid, missing, nonempty_str

if TYPE_CHECKING:
    from cognito_privx.sandbox.emulator.core import PrivXEmulator

User = Mapping[str, Any]
Predicate = Callable[[User], bool]
# The user fields a filter sees, besides the user's ``attributes`` (Go SDK ``rolestore.User``).
FILTER_FIELDS = ("principal", "email", "full_name", "source_user_id")
# User fields emitted only when non-empty, as the SDK's ``omitempty`` tags say (``roles``, ``attributes`` and
# ``permissions`` have none and are always there).
_USER_OMIT_EMPTY = frozenset(
    {"source_type", "source_user_id", "principal", "email", "full_name", "tags", "unix_account", "windows_account"}
)


def _nobody(_user: User) -> bool:
    return False


def filter_attributes(user: User) -> dict[str, list[str]]:
    """A user's attributes as a filter sees them: lower-cased names, every value a string, several per name."""
    attrs: dict[str, list[str]] = {}
    for name in FILTER_FIELDS:
        if isinstance(user.get(name), str) and user[name]:
            attrs.setdefault(name, []).append(user[name])
    attrs.setdefault("tags", []).extend(str(t) for t in user.get("tags") or [])
    for pair in user.get("attributes") or []:
        attrs.setdefault(str(pair.get("key", "")).lower(), []).append(str(pair.get("value", "")))
    return {k: v for k, v in attrs.items() if v}


class Membership:
    """Checks rule trees and evaluates them against the emulator's users; reads the emulator's stores and
    variant at each call."""

    def __init__(self, emu: PrivXEmulator) -> None:
        self._emu = emu

    def grammar(self, source_id: str) -> str | None:
        """``filter`` or ``bare``: how a leaf on ``source_id`` reads its ``search_string``; None for a directory
        the emulator does not know."""
        source = self._emu.sources.get(source_id)
        if source is None:
            return None
        if (source.get("connection") or {}).get("type") == "OIDC":
            return self._emu.variant.rule_grammar
        return "filter"

    # -- shape --------------------------------------------------------------------------------------

    def validate(self, root: Any, prop: str = "source_rules") -> None:
        """Refuse a malformed tree with 400 and the ``property`` of the offending node (choice 8)."""
        if isinstance(root, dict) and _is_zero(root):
            return
        self._node(root, prop)

    def _node(self, node: Any, prop: str) -> None:
        kind = node.get("type") if isinstance(node, dict) else None
        if kind == "GROUP":
            if node.get("match") not in ("ANY", "ALL"):
                raise invalid(f"{prop}.match", "must be ANY or ALL")
            if "rules" not in node or not isinstance(node["rules"], list | None):
                raise invalid(f"{prop}.rules", "must be a list")
            for i, child in enumerate(node["rules"] or []):
                self._node(child, f"{prop}.rules[{i}]")
        elif kind == "RULE":
            nonempty_str(node, "source", f"{prop}.source")
            if not isinstance(node.get("search_string"), str):
                raise missing(f"{prop}.search_string")
            if node.get("rules") not in (None, []):
                raise invalid(f"{prop}.rules", "must be empty on a RULE leaf")
            if self.grammar(node["source"]) == "filter":
                try:
                    parse_filter(node["search_string"])
                except FilterError as e:
                    raise invalid(f"{prop}.search_string", f"is not a valid filter: {e}") from None
        else:
            raise invalid(prop, "must be a GROUP or RULE node")

    # -- evaluation ---------------------------------------------------------------------------------

    def compile(self, root: Any) -> Predicate:
        """The tree as a test on one user. A node that does not check out matches nobody."""
        if not isinstance(root, dict):
            return _nobody
        kind = root.get("type")
        if kind == "RULE":
            return self._leaf(root)
        if kind != "GROUP":
            return _nobody
        children = [self.compile(c) for c in root.get("rules") or []]
        if not children:
            return _nobody
        combine = all if root.get("match") == "ALL" else any
        return lambda user: combine(c(user) for c in children)

    def _leaf(self, leaf: Mapping[str, Any]) -> Predicate:
        source, search = leaf.get("source"), leaf.get("search_string")
        if not isinstance(source, str) or not isinstance(search, str):
            return _nobody
        grammar = self.grammar(source)
        if grammar is None:
            return _nobody
        if grammar == "bare":
            return lambda user: user.get("source") == source and search in (user.get("tags") or [])
        try:
            parsed = parse_filter(search)
        except FilterError:
            return _nobody
        return lambda user: user.get("source") == source and parsed.matches(filter_attributes(user))

    def members(self, root: Any) -> list[dict[str, Any]]:
        """The stored users the tree matches, in creation order."""
        test = self.compile(root)
        return [u for u in self._emu.users.values() if test(u)]

    def roles_of(self, user: User) -> list[dict[str, Any]]:
        """The stored roles whose rules match ``user``, in creation order."""
        return [r for r in self._emu.roles.values() if self.compile(r.get("source_rules"))(user)]

    # -- what the API shows: stored objects plus what membership computes ---------------------------

    def role_out(self, role: Mapping[str, Any]) -> dict[str, Any]:
        """The Role as the API shows it: ``member_count`` is the number of users its rules match now."""
        body = copy.deepcopy(dict(role))
        body["member_count"] = len(self.members(role.get("source_rules")))
        return body

    def user_out(self, user: Mapping[str, Any]) -> dict[str, Any]:
        """The User as the API shows it (Go SDK ``rolestore.User``): its roles from rules (``implicit``) and
        their permissions; empty string fields and ``tags`` left out (``omitempty``)."""
        roles = self.roles_of(user)
        body = copy.deepcopy(dict(user))
        body["roles"] = [
            {"id": r["id"], "name": r["name"], "explicit": False, "implicit": True, "system": bool(r.get("system"))}
            for r in roles
        ]
        body["permissions"] = sorted({p for r in roles for p in r.get("permissions") or []})
        return {k: v for k, v in body.items() if v or k not in _USER_OMIT_EMPTY}


def _is_zero(node: Mapping[str, Any]) -> bool:
    """The zero-valued SourceRule ``{"rules": null}`` (or with ``[]``, or empty strings for the other keys)."""
    if node.get("rules") not in (None, []):
        return False
    return not any(node.get(k) for k in ("type", "source", "search_string", "match"))
