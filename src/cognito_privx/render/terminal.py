"""The terminal: escaping what is shown (:func:`printable`), the consoles (stderr for people, stdout for data), and
the one-line messages (info, warning, error, hint), data lines and the one JSON document."""

from __future__ import annotations

import json
import os
import re
import sys
from typing import Any, TextIO

from rich.console import Console
from rich.markup import escape

from cognito_privx.errors import CognitoPrivxError

# What a terminal obeys instead of showing: C0 controls (ESC starts the sequences that clear the screen, move the
# cursor, retitle the window or hide text), DEL and C1 controls (U+009B is an 8-bit CSI to some terminals); the
# bidi embeddings, overrides, isolates and marks that reorder what is shown ("Trojan Source", CVE-2021-42574:
# U+202A-U+202E, U+2066-U+2069, U+200E, U+200F, U+061C); and the Unicode line and paragraph separators.
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_UNSAFE = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}\u2028\u2029]")
_UNSAFE_IN_TEXT = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}\u2028\u2029]")  # keeps \t and \n
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escaped(match: re.Match[str]) -> str:
    c = match.group()
    return _NAMED.get(c) or (f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}")


def printable(value: object, *, lines: bool = False) -> str:
    """``value`` as text that shows on a terminal as what it is: every character a terminal would obey rather
    than show is written as its escape (``\\x1b``, ``\\u202e``, ``\\n``); an ESC sequence is thereby inert text.
    ``lines``: a message of the tool's own that may run over lines (``\\n`` and ``\\t`` kept). A backslash is
    left as it is: the point is a safe terminal, not a reversible encoding (``--output json`` is exact)."""
    text = value if isinstance(value, str) else str(value)
    return (_UNSAFE_IN_TEXT if lines else _UNSAFE).sub(_escaped, text)


def markup_value(value: object) -> str:
    """A value for rich markup: escaped for the terminal (:func:`printable`) and for rich's ``[...]``."""
    return escape(printable(value))


def markup_text(message: object) -> str:
    """A message (possibly quoting a server's text) for rich markup: as :func:`markup_value`, its line breaks kept."""
    return escape(printable(message, lines=True))


def console(file: TextIO | None = None, *, width: int | None = None, soft_wrap: bool = True) -> Console:
    """A console on ``file`` (stderr by default). With ``NO_COLOR`` set (https://no-color.org), no escape code at
    all: no colour, no bold, no cursor movement (spinners and progress bars print no live updates). Emoji codes
    are left as written (rich would show a value's ``:fire:`` as an emoji, and loading its emoji table was ~10 ms
    before ``import-users``' first create: issue 24); the tool's own marks are the characters themselves."""
    plain = bool(os.environ.get("NO_COLOR"))
    return Console(
        file=file or sys.stderr,
        highlight=False,
        emoji=False,
        soft_wrap=soft_wrap,
        width=width,
        color_system=None if plain else "auto",
        force_terminal=False if plain else None,
    )


def stderr() -> Console:
    # Built per call so that tests capturing sys.stderr see the output.
    return console(sys.stderr)


def stdout() -> Console:
    return console(sys.stdout)


def shown_value(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, default=str)


def info(message: str) -> None:
    stderr().print(markup_text(message))


def warning(message: str) -> None:
    """A ``warning:`` line on stderr: the command goes on."""
    stderr().print(f"[yellow bold]warning:[/] {markup_text(message)}")


def text(message: str) -> None:
    """A line of text that is the command's data (``plan``'s summary) on stdout."""
    stdout().print(markup_text(message))


def data(line: str) -> None:
    """One line of data on stdout."""
    sys.stdout.write(printable(line) + "\n")
    sys.stdout.flush()


def json_document(document: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(document, indent=2, sort_keys=False, default=str) + "\n")
    sys.stdout.flush()


def login_probe(probe: Any, problems: list[str]) -> None:
    """One direct-login candidate: ✓ with where it leads, or ✗ with what is wrong (on stderr)."""
    if problems:
        stderr().print(f"[red]✗[/] {markup_value(probe.url)}: {markup_text('; '.join(problems))}")
    else:
        stderr().print(
            f"[green]✓[/] {markup_value(probe.url)} → {markup_value(probe.target)} with our client id and callback"
        )


def problem(message: str, hint: str | None) -> None:
    """A failure that is not an exception: ``error:`` and ``hint:`` lines on stderr."""
    console = stderr()
    console.print(f"[red bold]error:[/] {markup_text(message)}")
    if hint:
        console.print(f"[cyan]hint:[/] {markup_text(hint)}")


def error(e: CognitoPrivxError) -> None:
    console = stderr()
    console.print(f"[red bold]error:[/] {markup_text(e.message)}")
    if e.hint:
        console.print(f"[cyan]hint:[/] {markup_text(e.hint)}")


def export_lines(lines: list[str]) -> None:
    for line in lines:
        data(line)
