"""TEMPORARY re-export for the restructure; removed when importers move.

The bulk import engine now lives in :mod:`cognito_privx.users.api_engine` (with :mod:`cognito_privx.users.index`
and :mod:`cognito_privx.users.report`), its rate limiters in :mod:`cognito_privx.pacing`.
"""

from cognito_privx.pacing import START_RATE, AdaptiveRate, TokenBucket
from cognito_privx.users.api_engine import DEFAULT_WORKERS, import_rows
from cognito_privx.users.index import PoolIndex, learn_pool, listing_pays
from cognito_privx.users.model import email_of
from cognito_privx.users.report import ImportReport, ReportWriter, open_report, write_report

__all__ = [
    "DEFAULT_WORKERS",
    "START_RATE",
    "AdaptiveRate",
    "ImportReport",
    "PoolIndex",
    "ReportWriter",
    "TokenBucket",
    "email_of",
    "import_rows",
    "learn_pool",
    "listing_pays",
    "open_report",
    "write_report",
]
