"""Whether our app client may read every attribute PrivX needs in the ID token (the ``client-read-attributes``
check of :mod:`.checks`): the group attribute (unless the group travels in ``cognito:groups``) and every attribute
``[privx] account_mapping`` reads. A pure function over the client, the pool and the desired state.

``ReadAttributes`` unset is read two ways (docs/cognito.md#who-may-read-an-attribute): botocore's model
(``UserPoolClientType.ReadAttributes``: the standard attributes and the two ``*_verified`` flags) and the console
("All attributes are readable and writable by default because none are selected"). A standard attribute is
readable in both; a custom one only in the second, which doctor cannot tell from here: it says so and names the
fix (``setup`` writes an explicit list that keeps what either reading allowed, so its hint never loops).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from cognito_privx import cognito
from cognito_privx.desired import DesiredState
from cognito_privx.doctor.registry import SETUP_HINT, fail, warn

__all__ = ["read_attributes"]


def _join(items: Iterable[str]) -> str:
    return ", ".join(items)


def _needed(desired: DesiredState, native: bool) -> dict[str, str]:
    """Each attribute PrivX needs readable, with what reads it."""
    spec = desired.client
    needs: dict[str, str] = {}
    if not native:
        needs[spec.group_attribute] = "the group claim"
    for target, claim in desired.directory.account_mapping:
        if claim in spec.mapped_attributes:
            needs.setdefault(claim, f"[privx] account_mapping {target}")
    return needs


def read_attributes(client: Mapping[str, Any], pool: Mapping[str, Any], desired: DesiredState, *, native: bool) -> str:
    """The check's message when every needed attribute is readable; raises ``fail`` for one that is not (or a
    mapped custom attribute the pool lacks) and ``warn`` for a custom one readable only if AWS reads an unset
    ``ReadAttributes`` as all attributes."""
    needs = _needed(desired, native)
    claim = desired.directory.tags_claim
    group_note = f"{claim} mode: the group travels in {claim}, which needs no read permission" if native else ""
    if not needs:
        return group_note or "nothing to read"
    pool_id = str(pool.get("Id") or "")
    absent = desired.client.unreadable_in(cognito.attribute_names(pool) or ())
    if absent:
        raise fail(
            f"{_join(f'{a} ({needs[a]})' for a in absent)}: not an attribute of pool {pool_id}, so the ID token "
            "never carries it and PrivX sets no account from it",
            f"add it to the pool (`aws cognito-idp add-custom-attributes --user-pool-id {pool_id} ...`) or change "
            "[privx] account_mapping, then run `cognito-privx setup`",
        )
    listed = client.get("ReadAttributes") or []
    if not listed:
        custom = [a for a in needs if a.startswith("custom:")]
        if custom:
            raise warn(
                f"ReadAttributes unset: {_join(f'{a} ({needs[a]})' for a in custom)} is readable only if AWS reads "
                "unset as all attributes (botocore's model says only the standard ones)",
                f"{SETUP_HINT} to make it explicit (it keeps every attribute either reading allows)",
            )
        return f"ReadAttributes unset: {_join(needs)} readable in either reading (standard attributes)"
    missing = [a for a in needs if a not in listed]
    if missing:
        what = _join(f"{a} ({needs[a]})" for a in missing)
        raise fail(
            f"the app client cannot read {what}, so it is missing from the ID token"
            + (" and PrivX sees no group" if desired.client.group_attribute in missing else "")
            + (
                " and PrivX sets no account from it"
                if any(a != desired.client.group_attribute for a in missing)
                else ""
            ),
            f"{SETUP_HINT} (it adds {_join(missing)} to the client's ReadAttributes)",
        )
    said = f"{_join(needs)} readable (in the ID token)"
    return f"{group_note}; {said}" if group_note else said
