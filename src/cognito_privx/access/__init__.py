"""``access``: who has what, and why: every user of the pool with their group(s), Cognito status, MFA, the PrivX
roles they hold now, their live sessions and connections, and a flag for each mismatch (docs/access-review.md).

It reads both sides, so it sits beside ``doctor`` and ``rotation`` (ARCHITECTURE.md#import-contracts). Modules, one
concern each:

- ``privx_side``: our directory's users, sessions and connections, read in pages and indexed (``PrivXSide``);
- ``cognito_side``: the pool's facts, native memberships, users page by page with their MFA (``CognitoSide``);
- ``flags``: the mismatches, each a pure function;
- ``rows``: the join and its rows (``Review``, ``AccessRow``), streamed; ``our_directory``;
- ``csv_report``: ``--report``'s CSV, written as rows come (``CsvReport``, ``COLUMNS``).
"""

from cognito_privx.access.cognito_side import CognitoSide, PoolFacts, native_memberships
from cognito_privx.access.csv_report import COLUMNS, CsvReport
from cognito_privx.access.flags import FLAGS
from cognito_privx.access.privx_side import PrivXSide
from cognito_privx.access.rows import AccessRow, Review, our_directory, start_review

__all__ = [
    "COLUMNS",
    "FLAGS",
    "AccessRow",
    "CognitoSide",
    "CsvReport",
    "PoolFacts",
    "PrivXSide",
    "Review",
    "native_memberships",
    "our_directory",
    "start_review",
]
