"""A job row's result: the codes a job gives its rows (:class:`PartResults`, from the logs or from the pool), and
the row's :class:`~cognito_privx.users.model.UserResult` from its code (:func:`row_result`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cognito_privx.errors import AmbiguousResourceError
from cognito_privx.users.index import learn_pool
from cognito_privx.users.jobs.api import JobRun
from cognito_privx.users.model import Outcome, UserResult, UserRow, attributes_of
from cognito_privx.users.pool import PoolUsers

SUCCEEDED, SKIPPED, FAILED = 1, 2, 3


@dataclass
class PartResults:
    """Per data row of a part (0-based): 0 = not logged, else SUCCEEDED / SKIPPED / FAILED; failure messages."""

    run: JobRun
    codes: bytearray
    messages: dict[int, str] = field(default_factory=dict)
    verified: Callable[[UserRow], int] | None = None  # the row checked against the pool instead of the logs
    source: str = ""

    def of(self, position: int, row: UserRow) -> tuple[int, str]:
        if self.verified is not None:
            return self.verified(row), ""
        return self.codes[position], self.messages.get(position, "")


def results_from_pool(users: PoolUsers, run: JobRun) -> PartResults:
    """The part's rows checked against the pool (one listing when that is cheaper than a look-up per row): a user
    there as the row has it and ``RESET_REQUIRED`` counts as imported; one there otherwise (created meanwhile, as
    a job skips it) is compared and updated; one absent was not imported."""
    index = learn_pool(users, run.part.new_rows, dry_run=True)

    def verify(row: UserRow) -> int:
        user = index.get(row.email) if index is not None else _find(users, row.email)
        if user is None:
            return 0
        if isinstance(user, int):
            return SKIPPED  # several case variants: the API path says which
        attrs = attributes_of(user)
        imported = (
            str(user.get("UserStatus", "")) == "RESET_REQUIRED"
            and attrs.get(users.attribute) == row.group_value
            and (row.name or None) == (attrs.get("name") or None)
        )
        return SUCCEEDED if imported else SKIPPED

    return PartResults(run, bytearray(0), verified=verify, source="checked against the pool")


def _find(users: PoolUsers, email: str) -> Any:
    """The pool's user with this email (``AdminGetUser``), ``None``, or 2 when several case variants match."""
    try:
        return users.find(email)
    except AmbiguousResourceError:
        return 2


def user_exists(users: PoolUsers, email: str) -> bool:
    """Whether the pool holds a user with this email (several in different cases count: the API path says so)."""
    return _find(users, email) is not None


def row_result(row: UserRow, code: int, message: str, run: JobRun) -> UserResult | None:
    """A job row's result from its log code; ``None`` when it needs the API path (skipped: created meanwhile)."""
    if code == SUCCEEDED:
        return UserResult(
            row.email, Outcome.CREATED, f"imported by {run.job_id}, group {row.group}", row.line, "RESET_REQUIRED"
        )
    if code == FAILED:
        return UserResult(row.email, Outcome.FAILED, f"{run.job_id}: {message}", row.line)
    if code == SKIPPED:
        return None
    if run.status == "Succeeded":
        return UserResult(row.email, Outcome.FAILED, f"not imported by {run.job_id}", row.line)
    if run.status == "Failed":  # the whole job failed (its role, its file): every row it did not reach failed too
        why = run.job.get("CompletionMessage") or "the job failed"
        return UserResult(row.email, Outcome.FAILED, f"{run.job_id} failed: {why}", row.line)
    return UserResult(
        row.email,
        Outcome.NOT_ATTEMPTED,
        f"{run.job_id} ended {run.status}: {run.job.get('CompletionMessage', '')}".rstrip(": "),
        row.line,
    )


__all__ = [
    "FAILED",
    "SKIPPED",
    "SUCCEEDED",
    "PartResults",
    "results_from_pool",
    "row_result",
    "user_exists",
]
