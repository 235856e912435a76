"""The CSV an import reads: validated whole before anything runs (every bad row listed), then read again row by row.

Files as spreadsheets save them are taken (a byte-order mark, CRLF, quoted fields, empty trailing columns); UTF-16
and semicolon-separated files are refused with how to save them instead.
"""

from __future__ import annotations

import array
import codecs
import csv
import itertools
from collections.abc import Collection, Iterator, Sequence
from pathlib import Path
from typing import Any

from cognito_privx.config import fold_group
from cognito_privx.errors import CognitoPrivxError, ConfigError, UsageError
from cognito_privx.users.model import UserRow
from cognito_privx.users.validate import validate_email, validate_group, validate_name


def read_csv(path: Path, known_groups: Collection[str], *, force: bool = False) -> list[UserRow]:
    """Parse and validate the whole file; every bad row is reported (with its line) before anything runs.

    Files as spreadsheets save them work: a UTF-8 byte-order mark, CRLF line ends, quoted fields, spaces around
    header names, and empty trailing columns (Excel's ``email,group,name,,``) are all taken. An empty header cell
    before a named one is reported by its position (``column 3``). UTF-16 and semicolon-separated files are
    refused with how to save them instead.
    """
    return list(scan_csv(path, known_groups, force=force))


class CsvScan:
    """A CSV file validated whole, then read again row by row: :func:`read_csv` without holding the rows.

    ``scan_csv`` reads the file once and raises for any bad row (every one listed, nothing changed), keeping only
    16 bytes a row (hashes of each validated email, for the duplicates check, and of each row, so that a re-read
    finds the very rows it checked: an import matches results to rows by position) and the distinct groups. Two
    rows whose groups differ only as PrivX's matcher ignores (case, Unicode width) are an error, like a bad row.
    Iterating reads the file again and yields each :class:`UserRow`, so memory stays flat at any size (issue 15).
    A re-read does not validate an address again when the row holds exactly the address the scan validated at
    that position (its hash matches): email-validator costs ~30 µs a row, ~6 s a pass of 200,000 rows.
    """

    def __init__(self, path: Path, known_groups: Collection[str], force: bool) -> None:
        self.path, self.known_groups, self.force = path, frozenset(known_groups), force
        self.rows = 0
        self.groups: set[str] = set()
        self._hashes = hashes = array.array("q")
        self._row_hashes = array.array("q")  # each row as checked: a re-read must find the same rows
        errors: list[str] = []
        spelled: dict[str, tuple[str, int]] = {}  # each group, folded as PrivX compares it: its first spelling, line
        for item in self._parse():
            if isinstance(item, str):
                errors.append(item)
                continue
            self.rows += 1
            self.groups.add(item.group)
            first, line = spelled.setdefault(fold_group(item.group), (item.group, item.line or 0))
            if first != item.group:
                errors.append(
                    f"line {item.line}: group {item.group!r} is group {first!r} (line {line}) spelled differently"
                )
            hashes.append(hash(item.email))
            self._row_hashes.append(_row_hash(item))
        errors += self._duplicates(hashes)
        if errors:
            errors.sort(key=_line_of)
            shown = errors[:20] + ([f"... and {len(errors) - 20} more"] if len(errors) > 20 else [])
            raise CsvError(f"{path}: {len(errors)} bad row(s), nothing was changed", "fix these rows:", shown)

    def __len__(self) -> int:
        return self.rows

    def __iter__(self) -> Iterator[UserRow]:
        """The rows again, each the one the scan checked at its place: an address added, removed or changed since
        (which would shift whatever is matched by position, such as an import job's results) raises UsageError."""
        rows = self._row_hashes
        count = 0
        for position, item in enumerate(self._parse(validated=True)):
            if isinstance(item, str):
                raise UsageError(f"{self.path} changed while it was read: {item}", "run again on a file not in use")
            if position >= len(rows) or rows[position] != _row_hash(item):
                raise UsageError(
                    f"{self.path} changed while it was read: line {item.line} is not the row checked there",
                    "run again on a file not in use",
                )
            yield item
            count = position + 1
        if count != len(rows):
            raise UsageError(
                f"{self.path} changed while it was read: it has fewer rows", "run again on a file not in use"
            )

    def _duplicates(self, hashes: array.array[int]) -> list[str]:
        """``line N: x is also on line M`` for every repeated email (a hash match is checked on the emails)."""
        ordered = sorted(hashes)
        suspects = {a for a, b in itertools.pairwise(ordered) if a == b}
        if not suspects:
            return []
        first_line: dict[str, int] = {}
        errors = []
        for item in self._parse(validated=True):
            if isinstance(item, str) or hash(item.email) not in suspects:
                continue
            if item.email in first_line:
                errors.append(f"line {item.line}: {item.email} is also on line {first_line[item.email]}")
            else:
                first_line[item.email] = item.line or 0
        return errors

    def _parse(self, *, validated: bool = False) -> Iterator[UserRow | str]:
        """Each row of the file, validated (a :class:`UserRow`), or its error message. ``validated``: a re-read
        of a scanned file (addresses unchanged since the scan are not validated again)."""
        path = self.path
        save_as = "save the file as UTF-8 CSV with commas (Excel: File > Save As > CSV UTF-8 (Comma delimited))"
        try:
            with path.open("rb") as raw:
                start = raw.read(2)
            fh = path.open(encoding="utf-8-sig", newline="")
        except OSError as e:
            raise UsageError(f"cannot read {path}: {e.strerror}", "check the path") from None
        with fh:
            if start in (b"\xff\xfe", b"\xfe\xff"):
                raise UsageError(f"{path} is UTF-16, not UTF-8", save_as)
            reader = csv.reader(fh)
            try:
                yield from self._records(reader, save_as, validated)
            except UnicodeDecodeError:
                raise UsageError(f"{path} is not UTF-8 (byte {_first_bad_byte(path)})", save_as) from None

    def _records(self, reader: Any, save_as: str, validated: bool = False) -> Iterator[UserRow | str]:
        path, known_groups, force = self.path, self.known_groups, self.force
        cells: list[str] = next(reader, [])
        width = len(cells)
        while width and not cells[width - 1].strip():
            width -= 1  # empty trailing columns: a spreadsheet's, not the user's
        header = [cell.strip().lower() or f"column {i}" for i, cell in enumerate(cells[:width], start=1)]
        if len(header) == 1 and ";" in header[0]:
            raise UsageError(f"{path} is separated by semicolons, not commas (header: {cells[0].strip()})", save_as)
        missing = [c for c in ("email", "group") if c not in header]
        if missing:
            raise UsageError(
                f"{path}: the header lacks {', '.join(missing)} (found: {', '.join(header) or 'nothing'})",
                "the first line must be: email,group[,name]",
            )
        repeated = sorted({h for h in header if header.count(h) > 1})
        if repeated:
            raise UsageError(f"{path}: the header names {', '.join(repeated)} more than once", "name each column once")
        unknown = [h if cells[i].strip() else f"{h} (no name)" for i, h in enumerate(header) if h not in _CSV_COLUMNS]
        if unknown:
            raise UsageError(f"{path}: unknown column(s) {', '.join(unknown)}", "the columns are email, group, name")
        count = 0  # rows with content (valid or not), in file order
        for fields in reader:
            line = reader.line_num
            if any(f.strip() for f in fields[width:]):
                yield f"line {line}: more fields than the header names"
                continue
            record = dict(zip(header, fields, strict=False))
            email = record.get("email", "").strip()
            group = record.get("group", "").strip()
            name = record.get("name", "")
            if not email and not group and not name:
                continue  # a blank line, or one of empty cells
            position = count
            count += 1
            try:
                if not (validated and self._seen_as_validated(position, email)):
                    email = validate_email(email)
                validate_group(group, known_groups, force=force)
                name = validate_name(name)
            except CognitoPrivxError as e:
                yield f"line {line}: {e.message}"
                continue
            yield UserRow(email, group, name, line)

    def _seen_as_validated(self, position: int, email: str) -> bool:
        """Whether ``email``, as written in row ``position``, is the address the scan validated and stored there
        (the hash of a validated, normalised address: an address written otherwise is validated again)."""
        return position < len(self._hashes) and self._hashes[position] == hash(email)


def _row_hash(row: UserRow) -> int:
    return hash((row.email, row.groups, row.name))


def scan_csv(path: Path, known_groups: Collection[str], *, force: bool = False) -> CsvScan:
    """Validate the whole file (raising for any bad row, before anything runs); iterate the result for the rows."""
    return CsvScan(path, known_groups, force)


def _line_of(error: str) -> int:
    number = error.removeprefix("line ").partition(":")[0]
    return int(number) if number.isdigit() else 0


def _first_bad_byte(path: Path) -> int:
    """The offset of the first byte that is not UTF-8 (read in pieces: the error path of a big file)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 16):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as e:
                return offset + e.start
            offset += len(chunk)
    return offset


_CSV_COLUMNS = ("email", "group", "name")


class CsvError(ConfigError):
    """A CSV file with bad rows: every row is listed."""

    def __init__(self, message: str, hint: str, rows: Sequence[str]) -> None:
        super().__init__(message, hint + "\n" + "\n".join(f"  {r}" for r in rows))
        self.rows = list(rows)


__all__ = ["CsvError", "CsvScan", "read_csv", "scan_csv"]
