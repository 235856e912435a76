"""A finished job's per-row results from its CloudWatch Logs stream (:func:`results_from_logs`), with the
undocumented base of its line numbers found out (:func:`line_base`) or pinned (``[cognito]
import_log_line_numbers``)."""

from __future__ import annotations

import enum
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

from cognito_privx.errors import aws_error_code
from cognito_privx.users.jobs.api import JobRun
from cognito_privx.users.jobs.results import FAILED, SKIPPED, SUCCEEDED, PartResults

# ``[FAILED] Line Number 12 - The User Record does not set ...`` (developer guide, "Viewing the results").
_LOG_LINE_RE = re.compile(r"^\[(SUCCEEDED|SKIPPED|FAILED)\] Line Number (\d+) - (.*)$", re.DOTALL)
_MAX_EMPTY_PAGES = 20
_CODES = {"SUCCEEDED": SUCCEEDED, "SKIPPED": SKIPPED, "FAILED": FAILED}


def log_names(pool: dict[str, Any], run: JobRun) -> tuple[str, str]:
    """The job's CloudWatch Logs group and stream: ``/aws/cognito/userpools/<pool id>/<pool name>`` and
    ``<job id>/<job name>`` (developer guide, "Viewing the user import results in the CloudWatch console")."""
    return f"/aws/cognito/userpools/{pool['Id']}/{pool['Name']}", f"{run.job_id}/{run.name}"


def read_log_lines(logs: Any, group: str, stream: str) -> Iterator[tuple[int, int, str]]:
    """``(code, line number, message)`` for each row event of a job's stream (``GetLogEvents``, paged)."""
    token: str | None = None
    empty = 0
    while True:
        params: dict[str, Any] = {"logGroupName": group, "logStreamName": stream, "startFromHead": True}
        if token:
            params["nextToken"] = token
        page = logs.get_log_events(**params)
        for event in page.get("events", []):
            match = _LOG_LINE_RE.match(str(event.get("message", "")).strip())
            if match:
                yield _CODES[match[1]], int(match[2]), match[3].strip()
        following = page.get("nextForwardToken")
        # The end of a stream answers the token it was given; an empty page before it is not the end
        # (aws-sdk-net#3218), but a run of them is taken as one (a stream still being written).
        empty = 0 if page.get("events") else empty + 1
        if not following or following == token or empty >= _MAX_EMPTY_PAGES:
            return
        token = following


class LineBase(enum.StrEnum):
    """What ``Line Number N`` counts from; no public source says (docs/cognito.md#user-import-jobs)."""

    AUTO = "auto"
    DATA = "data"  # the first data row is line 1
    FILE = "file"  # the header is line 1, the first data row line 2


def line_base(pinned: LineBase, low: int, high: int, rows: int) -> tuple[LineBase | None, str]:
    """The base of the log's line numbers: pinned, or found from the smallest and largest logged (``low``,
    ``high``; 0 when nothing was logged). Rows are numbered 1..rows (data) or 2..rows+1 (file): a 1 or a
    ``rows + 1`` settles it, and a job that logged every row shows one of them. ``None`` when undecided."""
    if pinned is not LineBase.AUTO:
        return pinned, f"line numbers as configured (import_log_line_numbers = {pinned.value})"
    if high == 0:
        return None, "the job logged no row"
    if high == rows + 1:
        return LineBase.FILE, "CloudWatch Logs count the header as line 1"
    if low == 1:
        return LineBase.DATA, "CloudWatch Logs count the first data row as line 1"
    return None, f"line numbers {low}-{high} for {rows} rows: cannot tell what they count from"


def results_from_logs(
    logs: Any,
    pool: dict[str, Any],
    run: JobRun,
    pinned: LineBase,
    *,
    sleep: Callable[[float], None] = time.sleep,
    attempts: int = 4,
) -> tuple[PartResults | None, str]:
    """The part's per-row results from the job's log stream, or ``None`` (with why) when the logs cannot be read,
    hold fewer rows than the job's counters even after waiting (CloudWatch Logs may lag: 1, 2, 4 s), or their line
    numbers cannot be placed or contradict ``pinned``. Memory: a byte per row, and the failure messages."""
    import botocore.exceptions

    group, stream = log_names(pool, run)
    rows = run.part.new_rows
    counted = tuple(int(run.job.get(k, 0) or 0) for k in ("ImportedUsers", "SkippedUsers", "FailedUsers"))
    for attempt in range(attempts):
        by_number = bytearray(rows + 2)  # indexed by the logged line number, 0..rows+1
        messages: dict[int, str] = {}
        low, high, tally = 0, 0, [0, 0, 0]
        try:
            for code, number, message in read_log_lines(logs, group, stream):
                if not 0 <= number <= rows + 1:
                    return None, f"line number {number} in {group} {stream} is beyond the {rows} rows of the job"
                by_number[number] = code
                tally[code - 1] += 1
                if code == FAILED:
                    messages[number] = message
                low = number if not low else min(low, number)
                high = max(high, number)
        except botocore.exceptions.ClientError as e:
            code_name = aws_error_code(e)
            return None, f"cannot read CloudWatch Logs {group} {stream} ({code_name})"
        except botocore.exceptions.BotoCoreError as e:
            return None, f"cannot read CloudWatch Logs {group} {stream} ({e})"
        if tuple(tally) == counted:
            break
        if attempt + 1 < attempts:
            sleep(2.0**attempt)
    else:
        return None, (
            f"its log shows {sum(tally):,} rows ({tally[0]} succeeded, {tally[1]} skipped, {tally[2]} failed) where "
            f"the job counts {sum(counted):,} ({counted[0]}, {counted[1]}, {counted[2]})"
        )
    # The log itself settles the base whenever it shows row 1 (data) or row ``rows + 1`` (file), as every complete
    # log does. A pin is checked against that; on a partial log that settles nothing a pin cannot be confirmed (a
    # wrong one would shift every row), so the pool is asked instead.
    base, said = line_base(LineBase.AUTO, low, high, rows)
    if pinned is not LineBase.AUTO and base is not None and base is not pinned:
        return None, f"import_log_line_numbers = {pinned.value} contradicts the log (lines {low}-{high}, {rows} rows)"
    if base is None:
        return None, said + ("" if pinned is LineBase.AUTO else f" (import_log_line_numbers = {pinned.value})")
    offset = 1 if base is LineBase.DATA else 2
    results = PartResults(run, by_number[offset : offset + rows].ljust(rows, b"\0"), source=said)
    results.messages = {n - offset: m for n, m in messages.items() if 0 <= n - offset < rows}
    return results, said


__all__ = ["LineBase", "line_base", "log_names", "read_log_lines", "results_from_logs"]
