"""How far a wide ``rule_template`` reaches (``[privx] allow_wide_rule_template = true``): for each grant, the
users PrivX's ``roles/evaluate`` says its rule matches today who are not in the grant's group, for ``plan``'s
notes. A user is in the group when one of their PrivX ``tags`` (the tags claim's values) is the group, compared as
the matcher compares it (folded: :func:`~cognito_privx.config.fold_group`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from cognito_privx.config import fold_group
from cognito_privx.desired import Grant
from cognito_privx.plan import KNOWN_AFTER_APPLY
from cognito_privx.privx.rules import role_rule

if TYPE_CHECKING:
    from cognito_privx.privx.client import PrivXClient


def beyond_group(privx: PrivXClient, directory_id: str, grant: Grant) -> int | None:
    """How many users the rule of ``grant`` matches today beyond its group; ``None`` when PrivX cannot tell
    (``roles/evaluate`` not offered, or failing). A 400 is raised (the rule is refused), as ``evaluate`` says."""
    body = {
        "name": "cognito-privx-wide-rule-check",
        "permissions": [],
        "source_rules": {"type": "GROUP", "match": "ANY", "rules": [role_rule(directory_id, grant.search_string)]},
    }
    found = privx.evaluate(body)
    if found is None:
        return None
    group = fold_group(grant.group)
    return sum(1 for user in found if group not in {fold_group(str(t)) for t in user.get("tags") or []})


def notes(privx: PrivXClient, directory_id: str, grants: Iterable[Grant]) -> tuple[str, ...]:
    """One plan note per grant: the users its wide rule matches beyond the group today."""
    out = []
    for grant in grants:
        if directory_id == KNOWN_AFTER_APPLY:
            count = "users"
        else:
            beyond = beyond_group(privx, directory_id, grant)
            count = (
                "an unknown number of users (roles/evaluate gave no answer)" if beyond is None else f"{beyond} user(s)"
            )
        when = " once the directory exists" if directory_id == KNOWN_AFTER_APPLY else " today"
        out.append(
            f"wide rule (allow_wide_rule_template): {grant.search_string} matches {count} beyond group "
            f"{grant.group}{when}"
        )
    return tuple(out)
