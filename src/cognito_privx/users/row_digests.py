"""What a CSV scan keeps per row and per group, small and fixed-size: the duplicates check and the group verdicts.

The duplicate-email check used to keep one 64-bit hash a row and sort them all at the end, which built a Python
list of every hash (~40 bytes a row, 56 MB at 1,000,000 rows; issue 24). :class:`DuplicateHashes` keeps 4 bytes
a row in C arrays (44 bits of the hash: 12 in the bucket's number, 32 stored), and finds repeats one bucket at a
time (``set()`` in C): the transient memory is one bucket's (1/4,096 of the rows), the time a few tens of
milliseconds at 1,000,000 rows. The alternatives, weighed: a Python ``set`` of hashes costs ~60 bytes a row; the
sorted list 40; an on-disk external sort or an SQLite index keeps almost nothing in memory but costs about a
microsecond a row of Python-level work (as much as the whole fast-path row); 4 bytes a row is 4 MB at 1,000,000
rows, within the import's memory target (peak within 20 % of a 20,000-row run).
"""

from __future__ import annotations

import array
from collections.abc import Collection

from cognito_privx.config import fold_group
from cognito_privx.errors import CognitoPrivxError
from cognito_privx.users.validate import validate_group

_LOW_BITS = 12
_BUCKETS = 1 << _LOW_BITS  # a hash's bucket is its low bits
_LOW = _BUCKETS - 1
_MAX_VERDICTS = 4096  # distinct groups remembered; a file with more is judged row by row past them


class DuplicateHashes:
    """44 bits of each 64-bit hash (``hash(address)``) in 4 bytes: its low 12 bits pick one of 4,096 buckets, the
    next 32 are stored there. :meth:`suspects` are the 44-bit digests (:meth:`digest`) added more than once: a
    repeated address, or two addresses sharing 44 bits (about 0.03 such pairs in 1,000,000 rows, 3 in 10,000,000:
    the caller compares the addresses of the suspects, so a false one costs a second read, never a wrong verdict).
    """

    BITS = 44

    def __init__(self) -> None:
        self._buckets = [array.array("I") for _ in range(_BUCKETS)]

    @staticmethod
    def digest(value: int) -> int:
        """The 44 bits of ``value`` (a hash) that are kept."""
        return value & ((1 << DuplicateHashes.BITS) - 1)

    def add(self, value: int) -> None:
        self._buckets[value & _LOW].append((value >> _LOW_BITS) & 0xFFFFFFFF)

    def __len__(self) -> int:
        return sum(len(b) for b in self._buckets)

    def suspects(self) -> set[int]:
        """The digests added more than once."""
        repeated: set[int] = set()
        for low, bucket in enumerate(self._buckets):
            if len(set(bucket)) == len(bucket):
                continue
            seen: set[int] = set()
            for high in bucket:
                if high in seen:
                    repeated.add(high << _LOW_BITS | low)
                seen.add(high)
        return repeated


class GroupVerdicts:
    """:func:`~cognito_privx.users.validate.validate_group` and :func:`~cognito_privx.config.fold_group`, once
    per distinct group spelling (the first 4,096; a file has a handful): a row's group check is a dict look-up."""

    def __init__(self, known_groups: Collection[str], force: bool) -> None:
        self.known_groups, self.force = frozenset(known_groups), force
        self._refusals: dict[str, str | None] = {}
        self._folded: dict[str, str] = {}

    def refusal(self, group: str) -> str | None:
        """Why ``group`` is refused (validate_group's message), ``None`` when it is taken."""
        try:
            return self._refusals[group]
        except KeyError:
            pass
        try:
            validate_group(group, self.known_groups, force=self.force)
            verdict = None
        except CognitoPrivxError as e:
            verdict = e.message
        if len(self._refusals) < _MAX_VERDICTS:
            self._refusals[group] = verdict
        return verdict

    def folded(self, group: str) -> str:
        """``group`` as PrivX's matcher compares it (``fold_group``)."""
        folded = self._folded.get(group)
        if folded is None:
            folded = fold_group(group)
            if len(self._folded) < _MAX_VERDICTS:
                self._folded[group] = folded
        return folded


__all__ = ["DuplicateHashes", "GroupVerdicts"]
