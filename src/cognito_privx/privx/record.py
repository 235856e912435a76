"""Our ownership record on the PrivX directory (ARCHITECTURE.md#ownership): the roles cognito-privx created and the
groups it granted, kept in the directory's ``comment`` next to our marker, so setup revokes and teardown deletes only
what it names.

The comment reads ``… (managed by cognito-privx; client secret <id>; record roles=<ids> pending=<names>
groups=<names> forms=<rule templates> mapping=<target|claim>)``: each list comma-separated, each entry
percent-encoded (a group or role name may hold any character). ``mapping`` is the direction of the directory's
``attribute_mapping`` a login showed (privx/accounts.py; absent: unverified). ``pending`` names a role setup is
about to create (written before the create, so a
crash in between leaves it claimable by the next run, which finds the role of that name and records its id).

A rule leaf of ours is one whose ``source`` is our directory and whose ``search_string`` is a recorded group in the
configured ``rule_template``, a recorded form (a ``rule_template`` this tool wrote leaves in before the config
changed it, so that a change of form revokes the old leaves instead of leaving them granted) or one of
``RULE_TEMPLATE_CANDIDATES`` (:func:`owned_search_strings`); any other leaf
pointing at our directory (a break-glass ``(email=…)`` rule, a group we never granted) is someone else's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

from cognito_privx.config import RULE_TEMPLATE_CANDIDATES
from cognito_privx.desired import search_string_for

MANAGED_MARKER = "managed by cognito-privx"
_RECORD = re.compile(
    r"; record roles=([^\s);]*) pending=([^\s);]*) groups=([^\s);]*)(?: forms=([^\s);]*))?(?: mapping=([a-z]*))?"
)


def _split(text: str) -> tuple[str, ...]:
    return tuple(unquote(x) for x in text.split(",") if x)


def _join(items: Iterable[str]) -> str:
    return ",".join(quote(x, safe="") for x in items)


@dataclass(frozen=True)
class DirectoryRecord:
    """The roles (by id) we created and the groups we granted; ``present`` is False on a directory an older version
    made (no record yet: :func:`derive_directory_record`)."""

    present: bool = False
    roles: tuple[str, ...] = ()
    pending: tuple[str, ...] = ()  # role names about to be created
    groups: tuple[str, ...] = ()
    forms: tuple[str, ...] = ()  # the rule templates our leaves were written in
    mapping: str = ""  # the attribute_mapping direction a login showed ("target" / "claim"); "": unverified

    def segment(self) -> str:
        return (
            f"; record roles={_join(self.roles)} pending={_join(self.pending)} groups={_join(self.groups)}"
            f" forms={_join(self.forms)}" + (f" mapping={self.mapping}" if self.mapping else "")
        )

    def text(self) -> str:
        """For plan: what the record names."""
        return (
            f"roles {', '.join(self.roles) or '-'}; groups {', '.join(self.groups) or '-'}"
            + (f"; creating {', '.join(self.pending)}" if self.pending else "")
            + f"; rule forms {', '.join(self.forms) or '-'}"
            + (f"; account mapping keyed by {self.mapping}" if self.mapping else "")
        )


def record_of(directory: Mapping[str, Any] | None) -> DirectoryRecord:
    found = _RECORD.search(str((directory or {}).get("comment") or ""))
    if not found:
        return DirectoryRecord()
    return DirectoryRecord(
        True,
        _split(found.group(1)),
        _split(found.group(2)),
        _split(found.group(3)),
        _split(found.group(4) or ""),
        found.group(5) or "",
    )


def strip_record(comment: str) -> str:
    """``comment`` without our record (what an older version wrote)."""
    return _RECORD.sub("", comment)


def with_record(comment: str, record: DirectoryRecord, secret_id: re.Pattern[str]) -> str:
    """``comment`` with our record after the marker (and the secret id the marker names), replacing the old one."""
    base = strip_record(comment)
    at = secret_id.search(base)
    if at:
        end = at.end()
    elif MANAGED_MARKER in base:
        end = base.index(MANAGED_MARKER) + len(MANAGED_MARKER)
    else:
        return f"{base} ({MANAGED_MARKER}{record.segment()})".strip()
    return base[:end] + record.segment() + base[end:]


def templates(rule_template: str, forms: Iterable[str] = ()) -> tuple[str, ...]:
    """The forms a leaf of ours may be in: the configured one, the recorded ones, the candidates."""
    return tuple(dict.fromkeys((rule_template, *forms, *RULE_TEMPLATE_CANDIDATES)))


def owned_search_strings(rule_template: str, groups: Iterable[str], forms: Iterable[str] = ()) -> frozenset[str]:
    """Every ``search_string`` a leaf of ours may carry: a recorded group in one of the forms we write (or
    wrote: ``forms``)."""
    groups = tuple(groups)
    return frozenset(search_string_for(t, g) for t in templates(rule_template, forms) for g in groups)


_HEX = re.compile(r"\\([0-9a-fA-F]{2})")


def group_in(search_string: str, rule_template: str, forms: Iterable[str] = ()) -> str | None:
    """The group a ``search_string`` of one of our forms names (checked by writing it again), else ``None``."""
    for template in templates(rule_template, forms):
        head, _, tail = template.partition("{group}")
        if not (search_string.startswith(head) and search_string.endswith(tail)):
            continue
        raw = search_string[len(head) : len(search_string) - len(tail)]
        group = _HEX.sub(lambda m: chr(int(m.group(1), 16)), raw) if template.startswith("(") else raw
        if group and search_string_for(template, group) == search_string:
            return group
    return None
