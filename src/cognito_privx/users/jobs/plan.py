"""The job files: the pool's import CSV for our rows (:class:`JobCsv`), split into parts within AWS's limits and
named from the file (:func:`plan_jobs`, :meth:`JobPlan.job_name`), each row's path (existing, job, unfit)."""

from __future__ import annotations

import array
import hashlib
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cognito_privx.errors import CognitoError
from cognito_privx.files import open_private
from cognito_privx.users.model import UserRow

# AWS's limits per job (developer guide, "Importing users from a CSV file"; quotas page): 500,000 users (the header
# not counted), 100 MB (AWS's reference solution uses the decimal 100,000,000), 16,000 characters a row.
JOB_MAX_ROWS = 500_000
JOB_MAX_BYTES = 100_000_000
JOB_MAX_ROW_CHARS = 16_000
JOB_NAME_PREFIX = "cognito-privx-"


class JobCsv:
    """Lines of the pool's import CSV (``GetCSVHeader`` order) for our rows.

    Raises :class:`CognitoError` when the header lacks a column our rows need (the group attribute: run setup).
    """

    def __init__(self, header: list[str], attribute: str, mfa: str) -> None:
        missing = [c for c in ("cognito:username", "email", "email_verified", attribute) if c not in header]
        if missing:
            raise CognitoError(
                f"the pool's import header (GetCSVHeader) lacks {', '.join(missing)}",
                "run `cognito-privx setup` to give the pool its attribute, then import again",
            )
        self.header = header
        self.attribute = attribute
        # cognito:mfa_enabled: "true" when the pool requires MFA, "false" when it is off; optional takes either.
        self.mfa = "true" if mfa == "ON" else "false"
        self.header_line = ",".join(header) + "\n"

    @staticmethod
    def fits(row: UserRow) -> bool:
        """Whether a job file can carry the row as it is: no quotes, backslashes or line breaks (the format has
        only ``\\,`` to escape a comma)."""
        values = (row.email, row.group_value, row.name or "")
        return sum(map(len, values)) < JOB_MAX_ROW_CHARS // 2 and not any(c in v for v in values for c in '"\\\r\n')

    def line(self, row: UserRow) -> str:
        values = {
            "cognito:username": row.email,
            "email": row.email,
            "email_verified": "true",
            self.attribute: row.group_value,
            "name": row.name or "",
            "cognito:mfa_enabled": self.mfa,
        }
        return ",".join(values.get(column, "").replace(",", "\\,") for column in self.header) + "\n"


@dataclass
class JobPart:
    """One job's rows: ``lines[i]`` is the input line of the file's data row ``i`` (0-based)."""

    number: int
    path: Path | None = None
    rows: int = 0  # input rows of this part (new and existing)
    size: int = 0  # bytes of the file so far (header included)
    lines: array.array[int] = field(default_factory=lambda: array.array("I"))

    @property
    def new_rows(self) -> int:
        return len(self.lines)


# A row's path (JobPlan.kinds): an existing user (compared and updated by API), a new user in a job file, a new user a
# job file cannot carry (created by API).
EXISTING, JOB_ROW, UNFIT = 0, 1, 2


@dataclass
class JobPlan:
    """What the jobs will carry: parts of new users, and how many rows take the API path instead."""

    digest: str
    parts: list[JobPart]
    existing: int = 0
    unfit: int = 0
    kinds: bytearray = field(default_factory=bytearray)  # per input row: EXISTING, JOB_ROW or UNFIT

    @property
    def new_rows(self) -> int:
        return sum(p.new_rows for p in self.parts)

    def job_name(self, part: JobPart, attempt: int = 1) -> str:
        """``cognito-privx-<file digest>-<k>of<n>[-try<m>]`` (AWS: 1-128 of ``[\\w\\s+=,.@-]``)."""
        base = f"{JOB_NAME_PREFIX}{self.digest}-{part.number}of{len(self.parts)}"
        return base if attempt == 1 else f"{base}-try{attempt}"


def plan_jobs(
    rows: Iterable[UserRow], exists: Callable[[UserRow], bool], csv_format: JobCsv | None, workdir: Path | None
) -> JobPlan:
    """One pass over the rows: the file's digest, the parts, each row's path (``kinds``) and (with ``workdir``)
    each part's job file. ``exists``: whether the pool holds the row's user (a listing's answer, or a look-up).

    Part boundaries depend on the input alone (every row's encoded size counts, new or not), so a re-run of the
    same file names the same jobs. Memory: 5 bytes a row at most (its path; a new row's input line).
    """
    digest = hashlib.sha256()
    parts = [JobPart(1)]
    plan = JobPlan("", parts)
    header_size = len(csv_format.header_line.encode()) if csv_format is not None else 0
    handle: Any = None
    try:
        for row in rows:
            digest.update(f"{row.email}\t{row.group_value}\t{row.name or ''}\n".encode())
            encoded = (csv_format.line(row) if csv_format is not None else "").encode()
            part = parts[-1]
            if part.rows and (part.rows >= JOB_MAX_ROWS or header_size + part.size + len(encoded) > JOB_MAX_BYTES):
                if handle is not None:
                    handle.close()
                    handle = None
                part = JobPart(len(parts) + 1)
                parts.append(part)
            part.rows += 1
            part.size += len(encoded)
            if exists(row):
                plan.kinds.append(EXISTING)
                plan.existing += 1
                continue
            if not JobCsv.fits(row):
                plan.kinds.append(UNFIT)
                plan.unfit += 1
                continue
            plan.kinds.append(JOB_ROW)
            part.lines.append(row.line or 0)
            if workdir is not None and csv_format is not None:
                if handle is None:
                    part.path = workdir / f"part-{part.number}.csv"
                    handle = open_private(part.path, newline="")  # personal data: 0600 (in a 0700 directory)
                    handle.write(csv_format.header_line)
                handle.write(encoded.decode())
    finally:
        if handle is not None:
            handle.close()
    plan.digest = digest.hexdigest()[:16]
    return plan


def new_workdir() -> tempfile.TemporaryDirectory[str]:
    """Where the job files are written (deleted afterwards)."""
    return tempfile.TemporaryDirectory(prefix="cognito-privx-import-")


__all__ = [
    "EXISTING",
    "JOB_MAX_BYTES",
    "JOB_MAX_ROWS",
    "JOB_MAX_ROW_CHARS",
    "JOB_NAME_PREFIX",
    "JOB_ROW",
    "UNFIT",
    "JobCsv",
    "JobPart",
    "JobPlan",
    "new_workdir",
    "plan_jobs",
]
