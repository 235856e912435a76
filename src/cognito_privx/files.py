"""Files the tool writes, readable by their owner only (0600): the one place that creates them.

What the tool writes holds credentials (``sandbox --env-file``: the PrivX API client's secrets) or personal data
(``import-users --report``: addresses and names; the import jobs' CSV parts), or says where a privileged-access
setup lives (``init``'s config). Each is created with mode 0600 by ``os.open`` itself, so there is no moment at the
umask's mode, and set to exactly 0600 (a umask can only take bits away, never add them).

An existing file is never written into: a new file is created beside it (``O_CREAT | O_EXCL``, a name nobody else
has) and renamed over it. A reader who opened the old file, or a link to it, sees nothing new; a symbolic link at
the path is replaced, not followed; the old file's mode and owner do not carry over. ``create_private`` refuses an
existing file instead (``init`` never overwrites).
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path
from typing import TextIO

PRIVATE_MODE = 0o600
_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def _create(path: Path) -> int:
    """A new file at ``path``, 0600 from its first moment; :class:`FileExistsError` when anything is there."""
    fd = os.open(path, _FLAGS, PRIVATE_MODE)
    try:
        os.fchmod(fd, PRIVATE_MODE)  # exactly 0600, whatever the umask took away
    except BaseException:
        os.close(fd)
        raise
    return fd


def _beside(path: Path) -> tuple[Path, int]:
    """A new private file in ``path``'s directory, under a name of its own (``.NAME.RANDOM.tmp``)."""
    while True:
        candidate = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
        try:
            return candidate, _create(candidate)
        except FileExistsError:  # pragma: no cover - 48 random bits taken already
            continue


def open_private(path: Path, *, newline: str | None = None) -> TextIO:
    """``path`` opened for writing as a new 0600 file (text, UTF-8), in place at once: for a file written as it
    goes (``--report``), so a run that stops half-way leaves what it wrote. Raises :class:`OSError`."""
    tmp, fd = _beside(path)
    try:
        os.replace(tmp, path)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return os.fdopen(fd, "w", encoding="utf-8", newline=newline)


def write_private(path: Path, text: str) -> None:
    """``text`` written to ``path`` as a new 0600 file that appears whole (renamed into place once written): a
    reader never sees half a file. Raises :class:`OSError`."""
    tmp, fd = _beside(path)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def create_private(path: Path, text: str) -> None:
    """``text`` written to a new 0600 file at ``path``; :class:`FileExistsError` when something is there already
    (never written over, never followed if a link). Raises :class:`OSError`."""
    fd = _create(path)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)


__all__ = ["PRIVATE_MODE", "create_private", "open_private", "write_private"]
