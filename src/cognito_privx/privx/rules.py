"""A role's rule tree (``source_rules``): the leaf that grants a role to a directory's users, reading the leaves
(all, ours, the ones that grant on their own), adding and removing ours, and the marker of a role we created."""

from __future__ import annotations

import copy
import re
from collections.abc import Collection, Iterator, Mapping
from typing import Any

from cognito_privx.privx.directory import MANAGED_MARKER

_EMPTY_RULES: dict[str, Any] = {"type": "GROUP", "match": "ANY", "rules": []}
_MARKER_DIRECTORY = re.compile(re.escape(MANAGED_MARKER) + r" for directory ([0-9A-Za-z-]+)")


def role_rule(directory_id: str, search_string: str) -> dict[str, Any]:
    """The rule leaf that gives a role to the users of ``directory_id`` that ``search_string`` matches.

    The ``search_string``'s form for an OIDC directory has no public example (docs/privx-api.md#role-rules): it
    comes from ``[privx] rule_template`` (:meth:`DesiredState.search_string`), and ``doctor`` calibrates it.
    """
    return {"type": "RULE", "source": directory_id, "search_string": search_string, "rules": []}


def role_marker(directory_id: str) -> str:
    """The comment marker of a role cognito-privx created for one directory (so another deployment sharing the
    PrivX never calls it unused, and teardown deletes only its own)."""
    return f"{MANAGED_MARKER} for directory {directory_id}"


def made_by_us(role: Mapping[str, Any], directory_id: str) -> bool:
    """Whether we created the role for ``directory_id``. A marker without a directory (older versions) counts
    only while the role still holds a rule of that directory."""
    comment = str(role.get("comment") or "")
    if MANAGED_MARKER not in comment:
        return False
    found = _MARKER_DIRECTORY.search(comment)
    return found.group(1) == directory_id if found else bool(our_leaves(role, directory_id))


def _leaves(node: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    if node.get("type") == "RULE":
        yield node
    for child in node.get("rules") or []:
        yield from _leaves(child)


def _granting(node: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """The leaves that grant the role on their own: reached from the root through ANY groups (or an ALL group of
    one). A leaf inside a wider ALL group only narrows who gets the role."""
    if node.get("type") == "RULE":
        yield node
        return
    children = node.get("rules") or []
    if node.get("match", "ANY") == "ANY" or len(children) == 1:
        for child in children:
            yield from _granting(child)


def leaves(node: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    """Every RULE leaf of a ``source_rules`` tree (any of its three root shapes, or ``None``)."""
    return list(_leaves(node or {}))


def our_leaves(
    role: Mapping[str, Any], directory_id: str, owned: Collection[str] | None = None
) -> list[Mapping[str, Any]]:
    """The role's rule leaves whose ``source`` is our directory, whoever made the role; with ``owned``, only those
    whose ``search_string`` is in it (privx/record.py: a recorded group in a form we write)."""
    return [
        leaf
        for leaf in leaves(role.get("source_rules"))
        if leaf.get("source") == directory_id and (owned is None or leaf.get("search_string") in owned)
    ]


def has_rule(role: Mapping[str, Any], directory_id: str, search_string: str) -> bool:
    """Whether the role grants itself to the users ``search_string`` matches in our directory: our leaf, not
    narrowed by an ALL group."""
    want = search_string
    return any(
        leaf.get("source") == directory_id and leaf.get("search_string") == want
        for leaf in _granting(role.get("source_rules") or {})
    )


def remove_leaves(
    role: Mapping[str, Any], directory_id: str, search_strings: set[str]
) -> tuple[dict[str, Any], dict[str, int]]:
    """The role without our leaves for ``search_strings``, and how many copies of each had to stay.

    A leaf is removed where it sits in an ``ANY`` group (or is the bare root): taking a condition out of an
    ``ALL`` group would widen who gets the role (the others' conditions alone would then grant it), so such a
    copy stays and the caller reports it. Every other rule is kept as it is.
    """
    blocked: dict[str, int] = {}

    def doomed(node: Mapping[str, Any]) -> bool:
        return bool(
            node.get("type") == "RULE"
            and node.get("source") == directory_id
            and node.get("search_string") in search_strings
        )

    def prune(node: Mapping[str, Any]) -> dict[str, Any]:
        kept = []
        for child in node.get("rules") or []:
            if doomed(child):
                if node.get("match", "ANY") == "ANY":
                    continue
                search = str(child.get("search_string"))
                blocked[search] = blocked.get(search, 0) + 1
            kept.append(prune(child))
        return {**node, "rules": kept}

    body = copy.deepcopy(dict(role))
    root = role.get("source_rules") or _EMPTY_RULES
    body["source_rules"] = copy.deepcopy(_EMPTY_RULES) if doomed(root) else prune(root)
    return body, blocked


def add_leaves(role: Mapping[str, Any], new: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The role with ``new`` leaves in its top ``ANY`` group; ``None`` when the top node is an ``ALL`` group with
    rules of its own (adding ours would change what the others mean: reported, not rewritten).

    A bare RULE root, or a root ``{"rules": null}`` (as roles made by other tools read back), is kept: the root is
    wrapped in an ``ANY`` group next to our leaves.
    """
    root = role.get("source_rules") or _EMPTY_RULES
    body = copy.deepcopy(dict(role))
    if root.get("type") == "RULE":
        body["source_rules"] = {"type": "GROUP", "match": "ANY", "rules": [copy.deepcopy(dict(root)), *new]}
    elif root.get("match", "ANY") == "ANY" or not root.get("rules"):
        body["source_rules"] = {**copy.deepcopy(dict(root)), "type": "GROUP", "match": root.get("match") or "ANY"}
        body["source_rules"]["rules"] = [*(root.get("rules") or []), *new]
    else:
        return None
    return body
