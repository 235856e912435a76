"""The uploaded CSV file as Cognito reads it: the header GetCSVHeader gives (:func:`csv_header`), the file's rows
(:func:`read_rows`), a header that fails the job (:func:`header_problem`), a row's values (:func:`split_fields`,
:func:`parse_row`). What a row's values must satisfy: :mod:`.row_rules`."""

from __future__ import annotations

from typing import Any

__all__ = ["MAX_ROW_CHARS", "csv_header", "header_problem", "parse_row", "read_rows", "split_fields"]

MAX_ROW_CHARS = 16_000  # DG, Quotas: "The maximum row length is 16,000 characters."


def csv_header(pool: Any) -> list[str]:
    """GetCSVHeader's ``CSVHeader`` for a moto pool: the standard attributes but ``sub`` (moto's ``STANDARD_SCHEMA``
    order, which is the API sample's), every ``custom:`` attribute, ``cognito:mfa_enabled``, ``cognito:username``
    last (the CLI example of get-csv-header). All standard attributes always: AWS keeps them when ``Schema`` is given
    (moto drops them). Where custom attributes go and that developer-only ``dev:`` attributes are left out:
    (unverified)."""
    from moto.cognitoidp.models import CognitoIdpUserPoolAttribute

    standard = [name for name in CognitoIdpUserPoolAttribute.STANDARD_SCHEMA if name != "sub"]
    custom = [name for name in pool.schema_attributes if name.startswith("custom:")]
    return [*standard, *custom, "cognito:mfa_enabled", "cognito:username"]


def split_fields(line: str) -> list[str]:
    r"""One CSV line's values: split on commas, ``\,`` is a literal comma (DG: "If an attribute value contains a
    comma, you must put a backslash (\) before the comma."), each value trimmed (DG: "Any leading or trailing white
    space in an attribute value will be trimmed."). Any other backslash stays as it is (unverified)."""
    values: list[str] = []
    current: list[str] = []
    i = 0
    while i < len(line):
        char = line[i]
        if char == "\\" and line[i + 1 : i + 2] == ",":
            current.append(",")
            i += 2
            continue
        if char == ",":
            values.append("".join(current).strip())
            current = []
        else:
            current.append(char)
        i += 1
    values.append("".join(current).strip())
    return values


def parse_row(raw: str, width: int) -> list[str] | str:
    """A data row's values, or why the row FAILED (the reasons' wording is the stand-in's)."""
    if len(raw) > MAX_ROW_CHARS:
        return f"The row is longer than {MAX_ROW_CHARS:,} characters."
    values = split_fields(raw)
    if len(values) != width:
        return f"The row has {len(values)} values; the header has {width} columns."
    if any(len(v) >= 2 and v[0] == v[-1] == '"' for v in values):
        return "Attribute values that are strings should not be in quotation marks."
    return values


def header_problem(header: list[str], expected: list[str]) -> str | None:
    """Why a header row fails the whole job (DG: "All columns in the header must be present"; a column the pool
    lacks is taken as a file Cognito cannot parse (unverified)); ``None`` when it is good. At most 128 characters
    (model: CompletionMessage)."""
    problem = None
    duplicates = sorted({name for name in header if header.count(name) > 1})
    missing = [name for name in expected if name not in header]
    unknown = [name for name in header if name not in expected]
    if duplicates:
        problem = f"The CSV header repeats columns: {', '.join(duplicates)}"
    elif missing:
        problem = f"The CSV header lacks columns: {', '.join(missing)}"
    elif unknown:
        problem = f"The CSV header has columns the user pool lacks: {', '.join(unknown)}"
    return problem if problem is None or len(problem) <= 128 else problem[:125] + "..."


def read_rows(data: bytes) -> tuple[list[str], list[tuple[int, str]]] | str:
    """The header's columns and the data rows as (line index, text), the header being line 0; or why the file fails
    the job. DG: "UTF-8 format without byte order mark"; a blank line is no row (unverified)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "The CSV file starts with a byte order mark; it must be UTF-8 without one."
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return "The CSV file is not valid UTF-8."
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    if not lines[0].strip():
        return "The CSV file has no header row."
    rows = [(index, line) for index, line in enumerate(lines) if index and line.strip()]
    return split_fields(lines[0]), rows
