"""The CSV an import reads: validated whole before anything runs (every bad row listed), then read again row by row.

Files as spreadsheets save them are taken (a byte-order mark, CRLF, quoted fields, empty trailing columns); UTF-16
and semicolon-separated files are refused with how to save them instead.
"""

from __future__ import annotations

import array
import codecs
import csv
from collections.abc import Collection, Iterator, Sequence
from pathlib import Path
from typing import Any

from cognito_privx.errors import CognitoPrivxError, ConfigError, UsageError
from cognito_privx.users.email_fast import ordinary_address
from cognito_privx.users.model import UserRow
from cognito_privx.users.row_digests import DuplicateHashes, GroupVerdicts
from cognito_privx.users.validate import validate_email, validate_name


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

    ``scan_csv`` reads the file once and raises for any bad row (every one listed, nothing changed), keeping 8
    bytes a row and the distinct groups: 44 bits of the hash of each validated address, for the duplicates check
    (:class:`~cognito_privx.users.row_digests.DuplicateHashes`), and 31 bits of the hash of each row as written,
    so that a re-read finds the very rows it checked (an import matches results to rows by position), with a bit
    saying whether its address took the fast path. Two rows whose groups differ only as PrivX's matcher ignores
    (case, Unicode width) are an error, like a bad row. Iterating reads the file again and yields each
    :class:`UserRow`, so memory stays flat at any size (issue 15). A re-read validates no row written exactly as
    the row the scan checked at that position: its address is only put in normal form (lower-cased, when the scan
    found it ordinary: :func:`~cognito_privx.users.email_fast.ordinary_address`; an unusual one by
    :func:`validate_email` again). A group is judged once per distinct spelling, not per row (issue 24).
    """

    def __init__(self, path: Path, known_groups: Collection[str], force: bool) -> None:
        self.path, self.known_groups, self.force = path, frozenset(known_groups), force
        self.rows = 0
        self.groups: set[str] = set()
        self.nameless = False  # a row without a name: a pool that requires one refuses it (any_row_refused)
        self._verdicts = verdicts = GroupVerdicts(self.known_groups, force)
        self._row_hashes = written = array.array("I")  # each row as written (32 bits): a re-read finds the same rows
        duplicates = DuplicateHashes()
        errors: list[str] = []
        spelled: dict[str, tuple[str, int]] = {}  # each group, folded as PrivX compares it: its first spelling, line
        conflicts: dict[str, str] = {}  # a group spelled otherwise than its first spelling: the message
        known: set[str] = self.groups
        for item in self._fields():  # the rows, one loop (a row costs a few µs: every call in it counts)
            if isinstance(item, str):
                errors.append(item)
                continue
            line, email, group, name = item
            address = ordinary_address(email)
            fast = address is not None
            try:
                if address is None:
                    address = validate_email(email)
                if group not in known:
                    refused = verdicts.refusal(group)
                    if refused is not None:
                        errors.append(f"line {line}: {refused}")
                        continue
                if name:
                    kept = validate_name(name)
                    if kept is None:
                        self.nameless = True
                else:
                    self.nameless = True
            except CognitoPrivxError as e:
                errors.append(f"line {line}: {e.message}")
                continue
            if group not in known:
                known.add(group)
                first, at = spelled.setdefault(verdicts.folded(group), (group, line))
                if first != group:
                    conflicts[group] = f"group {group!r} is group {first!r} (line {at}) spelled differently"
            if conflicts and group in conflicts:
                errors.append(f"line {line}: {conflicts[group]}")
            self.rows += 1
            duplicates.add(hash(address))
            written.append(hash((email, group, name)) & _HASH_BITS | fast)  # _written_hash, inlined
        errors += self._duplicates(duplicates.suspects())
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
        for position, item in enumerate(self._fields()):
            if isinstance(item, str):
                raise UsageError(f"{self.path} changed while it was read: {item}", "run again on a file not in use")
            line, email, group, name = item
            if position >= len(rows) or rows[position] & _HASH_BITS != _written_hash(email, group, name):
                checked = self._check(line, email, group, name)  # why, when the row is bad now
                message = checked if isinstance(checked, str) else f"line {line} is not the row checked there"
                raise UsageError(f"{self.path} changed while it was read: {message}", "run again on a file not in use")
            # The scan's verdict on the address: in normal form by the fast path (the flag bit) or email-validator.
            address = email.lower() if rows[position] & 1 else validate_email(email)
            yield UserRow(address, group, name.strip() or None, line)
            count = position + 1
        if count != len(rows):
            raise UsageError(
                f"{self.path} changed while it was read: it has fewer rows", "run again on a file not in use"
            )

    def _duplicates(self, suspects: set[int]) -> list[str]:
        """``line N: x is also on line M`` for every repeated email (a hash match is checked on the emails)."""
        if not suspects:
            return []
        first_line: dict[str, int] = {}
        errors = []
        for item in self._validated():
            if isinstance(item, str) or DuplicateHashes.digest(hash(item[0].email)) not in suspects:
                continue
            row = item[0]
            if row.email in first_line:
                errors.append(f"line {row.line}: {row.email} is also on line {first_line[row.email]}")
            else:
                first_line[row.email] = row.line or 0
        return errors

    def _validated(self) -> Iterator[tuple[UserRow, int] | str]:
        """Each row of the file validated (with the hash of the row as written), or its error message."""
        for item in self._fields():
            if isinstance(item, str):
                yield item
                continue
            line, email, group, name = item
            checked = self._check(line, email, group, name)
            yield checked if isinstance(checked, str) else (checked, _written_hash(email, group, name))

    def _check(self, line: int, email: str, group: str, name: str) -> UserRow | str:
        """The row validated, or ``line N: why not``."""
        try:
            address = ordinary_address(email) or validate_email(email)
            refused = self._verdicts.refusal(group)
            if refused is not None:
                return f"line {line}: {refused}"
            return UserRow(address, group, validate_name(name), line)
        except CognitoPrivxError as e:
            return f"line {line}: {e.message}"

    def _fields(self) -> Iterator[tuple[int, str, str, str] | str]:
        """Each row with content as (line, email, group, name) as written (email and group stripped), or the
        message of a row with more fields than the header names."""
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
                yield from self._records(reader, save_as)
            except UnicodeDecodeError:
                raise UsageError(f"{path} is not UTF-8 (byte {_first_bad_byte(path)})", save_as) from None

    def _records(self, reader: Any, save_as: str) -> Iterator[tuple[int, str, str, str] | str]:
        path = self.path
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
        at_email, at_group = header.index("email"), header.index("group")
        at_name = header.index("name") if "name" in header else width  # past the columns: never there
        for fields in reader:
            size = len(fields)
            if size > width and any(f.strip() for f in fields[width:]):
                yield f"line {reader.line_num}: more fields than the header names"
                continue
            email = fields[at_email].strip() if at_email < size else ""
            group = fields[at_group].strip() if at_group < size else ""
            name = fields[at_name] if at_name < size else ""
            if not email and not group and not name:
                continue  # a blank line, or one of empty cells
            yield reader.line_num, email, group, name


_HASH_BITS = 0xFFFFFFFE  # a row's 32 bits: 31 of its hash, and whether its address took the fast path (bit 0)


def _written_hash(email: str, group: str, name: str) -> int:
    """A row as written, in 31 bits (what a re-read compares: a changed row is caught but for 1 in 2**31)."""
    return hash((email, group, name)) & _HASH_BITS


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
