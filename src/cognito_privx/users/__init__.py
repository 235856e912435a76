"""Everything about a pool's users: the user commands, the CSV an import reads, and the two bulk import engines.

Every operation is idempotent and reports in one vocabulary: created, updated, unchanged, failed. The user's
login name is their email, lower-cased; pools made elsewhere are read for their username model first, and a
legacy case-sensitive pool is searched for the case variants of an address (never a guess between two).

The modules, one concern each:

- :mod:`.model`: outcomes, Cognito's user statuses, ``UserRow``, ``UserResult``, ``UserInfo``.
- :mod:`.validate`: email, name, group and password checks, pure, before any call.
- :mod:`.calls`: one Cognito call with its throttling retries (never the daily invite-email cap).
- :mod:`.lookup`: finding a user by email under the pool's username model; listing the pool's users.
- :mod:`.groups`: native group membership (``group_claim = "cognito:groups"``).
- :mod:`.pool`: ``PoolUsers``, the user commands (add / set-group / disable / enable / remove / list).
- :mod:`.csv_file`: the import CSV, validated whole, then read again row by row.
- :mod:`.email_fast`: the fast path for ordinary addresses (email-validator judges the rest).
- :mod:`.row_digests`: what a scan keeps per row (duplicate digests) and per group (verdicts).
- :mod:`.quick_rows`: import rows answered without a call, on the main thread.
- :mod:`.index`: the pool's users listed once when that is cheaper than a read per row.
- :mod:`.report`: an import's counts, summary and ``--report`` file.
- :mod:`.api_engine`: ``import-users`` by API calls: worker threads, the adaptive creation rate, stops.
- :mod:`.jobs`: ``import-users --engine job``: Cognito's import jobs.

This package re-exports the names other code imports from ``cognito_privx.users`` (the engines are imported from
their own modules: importing this package stays as light as the user commands need).
"""

from cognito_privx.users.calls import InviteLimitError
from cognito_privx.users.csv_file import CsvError, CsvScan, read_csv, scan_csv
from cognito_privx.users.lookup import AmbiguousUserError, UserLookup, UserNotFound
from cognito_privx.users.model import (
    STATUS_MEANING,
    Outcome,
    UserInfo,
    UserResult,
    UserRow,
    attributes_of,
    email_of,
    status_text,
)
from cognito_privx.users.pool import PoolUsers
from cognito_privx.users.validate import (
    configured_spelling,
    group_filter,
    password_problems,
    require_distinct_groups,
    validate_email,
    validate_group,
    validate_name,
)

__all__ = [
    "STATUS_MEANING",
    "AmbiguousUserError",
    "CsvError",
    "CsvScan",
    "InviteLimitError",
    "Outcome",
    "PoolUsers",
    "UserInfo",
    "UserLookup",
    "UserNotFound",
    "UserResult",
    "UserRow",
    "attributes_of",
    "configured_spelling",
    "email_of",
    "group_filter",
    "password_problems",
    "read_csv",
    "require_distinct_groups",
    "scan_csv",
    "status_text",
    "validate_email",
    "validate_group",
    "validate_name",
]
