"""Import rows answered without a call, on the main thread: no hand-off to a worker, no queue, no wake-up.

A dry run against a listed pool (:class:`~cognito_privx.users.index.PoolIndex`) knows a new user's outcome from
the listing alone ("would create"); before issue 24 each such row still went through the worker threads, which
cost more than the answer. :func:`no_call_answer` gives :func:`~cognito_privx.users.api_engine.import_rows` the
answer for exactly the rows ``_import_one`` would answer without a call, and ``None`` for every other row.
"""

from __future__ import annotations

from collections.abc import Callable

from cognito_privx.users.index import PoolIndex
from cognito_privx.users.model import Outcome, UserResult, UserRow
from cognito_privx.users.pool import PoolUsers


def no_call_answer(
    users: PoolUsers, index: PoolIndex | None, *, dry_run: bool
) -> Callable[[UserRow], UserResult | None] | None:
    """The answer to a row that needs no call (``None`` for a row that does), or ``None`` when no row can be
    answered so: only a dry run knows an outcome without a call, and only from a listing of the pool.

    A row absent from the listing of a pool that signs in with email is "would create" (what ``_import_one``
    answers in a dry run with an index). Left to the workers: a known or ambiguous user (compared: converge's
    reads), a native group outside ``[roles]`` (checked once with a call), a pool that does not sign in with email.
    """
    if not dry_run or index is None or not users.model.signs_in_with_email:
        return None
    native, role_groups = users.native_groups, users.role_groups

    def answer(row: UserRow) -> UserResult | None:
        if native and row.group not in role_groups:
            return None
        if index.get(row.email) is not None:
            return None
        return UserResult(row.email, Outcome.CREATED, f"would create, group {row.group}", row.line)

    return answer


__all__ = ["no_call_answer"]
