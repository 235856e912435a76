"""The console script's entry point (``cognito-privx``, ``python -m cognito_privx``): the command line imported,
then run. A Ctrl-C while the ~600 modules of the command line are imported (the first ~0.3 s) ends the process
quietly with exit 130, as a Ctrl-C during a command does, instead of Python's ``KeyboardInterrupt`` traceback: the
commands' own handling (:func:`cognito_privx.cli.root.run`) is not in place before that import ends, nor while typer
builds the command."""

from __future__ import annotations

import sys

CTRL_C_EXIT = 130  # 128 + SIGINT, what a shell reports for a process ended by Ctrl-C


def main() -> None:
    """Import the command line and run it (it exits itself); exit 130 on a Ctrl-C that reaches here: during the
    import, or while typer builds the command from its functions' signatures, before a command handles Ctrl-C."""
    try:
        from cognito_privx.cli import main as run

        run()
    except KeyboardInterrupt:
        sys.stderr.write("\n")  # past the ^C the terminal echoed
        sys.exit(CTRL_C_EXIT)
