"""What the ``ensure_*`` steps share: the marker for an argument the caller did not observe, a look-up's answer
as ``create_once`` takes it, the note for a field that did not stick, and a delete where "already gone" is fine."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from cognito_privx.errors import CognitoError, aws_error_code
from cognito_privx.plan import Change, diff_fields

if TYPE_CHECKING:
    from cognito_privx.cognito.gateway import CognitoGateway


class Unset:
    """Marks an ``ensure_*`` argument the caller did not observe: the step observes it itself."""


UNSET = Unset()


def plain(found: Mapping[str, object] | None) -> dict[str, Any] | None:
    """A look-up's answer as :meth:`CognitoGateway.create_once` takes it: a plain dict."""
    return None if found is None else dict(found)


def with_unstuck(change: Change, after: Mapping[str, object], desired: Mapping[str, object]) -> Change:
    """Add a note for every field that did not take the value we sent (read back after the write)."""
    missed = [f.field for f in diff_fields(after, {f.field: desired[f.field] for f in change.fields})]
    if not missed:
        return change
    return Change(
        change.resource,
        change.name,
        change.action,
        change.fields,
        (*change.notes, f"did not stick after the update: {', '.join(missed)}"),
    )


def idempotent_delete(gw: CognitoGateway, operation: str, **params: Any) -> None:
    """A delete where "already gone" is the result we wanted (a repeat after a lost answer, a concurrent run)."""
    try:
        gw.call(operation, **params)
    except CognitoError as e:
        if aws_error_code(e) != "ResourceNotFoundException":
            raise
