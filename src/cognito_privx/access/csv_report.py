"""``access --report FILE``: the review as CSV for an access review, one row per user, written as rows come.

The columns are fixed (:data:`COLUMNS`, documented in docs/access-review.md); lists are joined with ``;``. The file
is new and 0600 from its first moment, and replaces what was at the path (:func:`cognito_privx.files.open_private`,
as ``import-users --report`` does): it names people and what they may reach. A cell a spreadsheet would run as a
formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return; a user may set their own ``name``)
is written with a leading ``'`` (OWASP, "CSV Injection").
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import IO

from cognito_privx.access.rows import AccessRow
from cognito_privx.errors import UsageError
from cognito_privx.files import open_private

COLUMNS = (
    "email",
    "name",
    "groups",
    "cognito_status",
    "status_meaning",
    "enabled",
    "mfa",
    "privx_roles",
    "roles_not_in_config",
    "live_sessions",
    "open_connections",
    "flags",
    "privx_user_ids",
    "notes",
)
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, tuple | list):
        value = ";".join(str(v) for v in value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA) else text


def _values(row: AccessRow) -> list[str]:
    return [
        _cell(v)
        for v in (
            row.email,
            row.name,
            row.groups,
            row.status,
            row.status_meaning,
            row.enabled,
            row.mfa,
            row.roles,
            row.wrong_roles,
            row.sessions,
            row.connections,
            row.flags,
            row.privx_ids,
            row.notes,
        )
    ]


class CsvReport:
    """The report file, opened before the first call (an unwritable path is exit 2 with nothing read)."""

    def __init__(self, path: Path, fh: IO[str]) -> None:
        self.path = path
        self._fh = fh
        self._csv = csv.writer(fh)
        self._csv.writerow(COLUMNS)

    @classmethod
    def open(cls, path: Path) -> CsvReport:
        """Raises :class:`UsageError` when the path cannot be written."""
        try:
            fh = open_private(path, newline="")
        except OSError as e:
            raise UsageError(
                f"cannot write the report to {path}: {e.strerror}", "give --report a path in a writable directory"
            ) from None
        return cls(path, fh)

    def write(self, row: AccessRow) -> None:
        self._csv.writerow(_values(row))

    def close(self) -> None:
        self._fh.close()


__all__ = ["COLUMNS", "CsvReport"]
