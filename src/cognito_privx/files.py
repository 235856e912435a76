"""Files the tool writes, readable by their owner only (0600): the one place that creates them.

What the tool writes holds credentials (``sandbox --env-file``: the PrivX API client's secrets) or personal data
(``import-users --report``: addresses and names; the import jobs' CSV parts), or says where a privileged-access
setup lives (``init``'s config). Each is created with mode 0600 by ``os.open`` itself, so there is no moment at the
umask's mode, and set to exactly 0600 (a umask can only take bits away, never add them).

An existing file is never written into: a new file is created beside it (``O_CREAT | O_EXCL``, a name nobody else
has) and renamed over it. A reader who opened the old file, or a link to it, sees nothing new; the old file's mode
and owner do not carry over. Only a regular file is ever replaced: a path that holds anything else (a symbolic link,
say ``/dev/stdout``; a device such as ``/dev/null``; a FIFO; a directory) is refused (:class:`RefusedTarget`,
:func:`check_target`), since renaming over it would destroy it (as root, ``/dev/stdout`` itself). A link is refused,
not followed: give the file itself. ``create_private`` refuses an existing file instead (``init`` never
overwrites).
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from pathlib import Path
from typing import TextIO

PRIVATE_MODE = 0o600
_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


class RefusedTarget(OSError):
    """A path the tool will not write over (its ``strerror`` says why, ``hint`` what to give instead)."""

    def __init__(self, why: str, hint: str) -> None:
        super().__init__(errno.EEXIST, why)
        self.hint = hint


def _kind(mode: int) -> str | None:
    """What a non-regular file is, in words; ``None`` for a regular file."""
    for test, words in (
        (stat.S_ISLNK, "a symbolic link"),
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return words
    return None if stat.S_ISREG(mode) else "not a regular file"


def check_target(path: Path, *, config_file: Path | None = None) -> None:
    """Raise :class:`RefusedTarget` when ``path`` exists and is not a regular file (``lstat``: a link is judged
    itself, never followed), or is ``config_file`` (the config in use; ``os.path.samefile``, so a hard link to it
    too). Nothing there, or a path that cannot be examined, passes: the write then reports its own error."""
    try:
        st = os.lstat(path)
    except OSError:
        return
    kind = _kind(st.st_mode)
    if kind is not None:
        raise RefusedTarget(
            f"{path} is {kind}: only a regular file is replaced (renaming over it would destroy it)",
            "give the path of a new file or of a regular file to replace (a link: the file it points to)",
        )
    same = False
    if config_file is not None:
        with contextlib.suppress(OSError):
            same = os.path.samefile(path, config_file)
    if same:
        raise RefusedTarget(
            f"{path} is the config file in use ({config_file}): it would be overwritten",
            "give another path for the file written (e.g. review.csv)",
        )


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
    goes (``--report``), so a run that stops half-way leaves what it wrote. Raises :class:`OSError`
    (:class:`RefusedTarget`: not a regular file, :func:`check_target`)."""
    check_target(path)
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
    reader never sees half a file. Raises :class:`OSError` (:class:`RefusedTarget`: not a regular file)."""
    check_target(path)
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


__all__ = ["PRIVATE_MODE", "RefusedTarget", "check_target", "create_private", "open_private", "write_private"]
