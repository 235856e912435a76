"""Where ``add-user``'s temporary password comes from: a hidden prompt asked twice, stdin, the environment, or
(warned against) the command line.

A command line is world-readable while the command runs (``ps``, ``/proc/PID/cmdline``) and stays in the shell
history; a local user who reads a temporary password there can sign in as the new user before they do, answer
Cognito's ``NEW_PASSWORD_REQUIRED`` challenge with a password of their own, and keep the account and its PrivX
role. A process's environment is readable by its own user and root only (``/proc/PID/environ`` is 0400).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass

import typer

from cognito_privx.errors import UsageError

PASSWORD_ENV = "COGNITO_PRIVX_TEMPORARY_PASSWORD"
FLAG_WARNING = (
    "--temporary-password is visible to every local user in `ps` while the command runs and stays in the shell "
    f"history; use --temporary-password-prompt, --temporary-password-stdin or {PASSWORD_ENV} instead"
)
_WAYS = (
    f"a prompt (--temporary-password-prompt), stdin (--temporary-password-stdin) or the environment ({PASSWORD_ENV})"
)


@dataclass(frozen=True)
class PasswordSources:
    """The ways a temporary password was given: at most one may be."""

    flag: str | None
    prompt: bool = False
    stdin: bool = False

    @property
    def env(self) -> str | None:
        return os.environ.get(PASSWORD_ENV) or None

    def _given(self) -> list[str]:
        return [
            name
            for name, given in (
                ("--temporary-password", self.flag is not None),
                ("--temporary-password-prompt", self.prompt),
                ("--temporary-password-stdin", self.stdin),
                (PASSWORD_ENV, self.env is not None),
            )
            if given
        ]

    @property
    def given(self) -> bool:
        return bool(self._given())

    @property
    def where(self) -> str:
        return " and ".join(self._given())

    def check(self) -> None:
        """Before anything is read or called: two ways at once are refused (which one would Cognito get?)."""
        given = self._given()
        if len(given) > 1:
            raise UsageError(
                f"a temporary password from two places ({' and '.join(given)})", f"give it one way: {_WAYS}"
            )

    def read(self, interactive: Callable[[], bool]) -> str | None:
        """The password, or ``None`` (Cognito makes one). ``interactive``: whether a person is at a terminal."""
        if self.prompt:
            return _prompt(interactive)
        if self.stdin:
            return _stdin()
        return self.flag if self.flag is not None else self.env


def _prompt(interactive: Callable[[], bool]) -> str:
    """Asked twice, hidden, as ``passwd`` does: a typing mistake would otherwise be the user's first password."""
    if not interactive():
        raise UsageError(
            "--temporary-password-prompt needs a terminal, and there is none",
            f"without a terminal, pipe the password to --temporary-password-stdin or set {PASSWORD_ENV}",
        )
    first = str(typer.prompt("Temporary password", hide_input=True, err=True))
    again = str(typer.prompt("Temporary password (again)", hide_input=True, err=True))
    if first != again:
        raise UsageError(
            "the two temporary passwords differ; nothing was changed", "run add-user again and type it the same twice"
        )
    return first


def _stdin() -> str:
    """The first line of stdin, without its line ending; refused from a terminal (it would show as typed)."""
    if sys.stdin.isatty():
        raise UsageError(
            "--temporary-password-stdin reads a pipe, but stdin is a terminal (the password would show as typed)",
            "on a terminal use --temporary-password-prompt; in a script pipe it in, e.g. "
            "`pass show tmp | cognito-privx add-user … --temporary-password-stdin`",
        )
    line = sys.stdin.readline()
    password = line.removesuffix("\n").removesuffix("\r")
    if not password:
        raise UsageError(
            "no temporary password on stdin", "pipe the password in (its first line is read), or leave the option out"
        )
    return password


__all__ = ["FLAG_WARNING", "PASSWORD_ENV", "PasswordSources"]
