"""The console script's entry point (``cognito_privx.console``): a Ctrl-C while the command line is still being
imported ends the process quietly, exit 130, as a Ctrl-C during a command does (no ``KeyboardInterrupt`` traceback:
design.md, "nothing ends in a traceback")."""

from __future__ import annotations

import atexit
import gc
import importlib.abc
import importlib.machinery
import sys
from collections.abc import Sequence
from types import ModuleType

import pytest

from cognito_privx import console


class _CtrlCOnImport(importlib.abc.MetaPathFinder):
    """Raises ``KeyboardInterrupt`` when ``name`` is imported: a Ctrl-C landing in the middle of that import."""

    def __init__(self, name: str) -> None:
        self.name = name

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname == self.name:
            raise KeyboardInterrupt
        return None


def _exit_code_of_main() -> object:
    """``console.main()``'s exit code; the collector's thresholds as they were after it (cli/__init__ and ``main``
    tune them for the console script's run, and a cut-short import never puts them back)."""
    thresholds = gc.get_threshold()
    try:
        with pytest.raises(SystemExit) as ended:
            console.main()
    finally:
        gc.set_threshold(*thresholds)
    return ended.value.code


@pytest.mark.parametrize("landing", ["cognito_privx.cli", "cognito_privx.cli.root", "typer"])
def test_ctrl_c_while_the_command_line_is_imported_exits_130_quietly(
    landing: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in [m for m in sys.modules if m == landing or m.startswith(("cognito_privx.cli", landing + "."))]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(sys, "meta_path", [_CtrlCOnImport(landing), *sys.meta_path])
    assert _exit_code_of_main() == 130
    out, err = capsys.readouterr()
    assert (out, err) == ("", "\n")


def test_ctrl_c_while_typer_builds_the_command_exits_130_quietly(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Typer builds the click command (signatures, type hints) inside ``main``, before any command handles Ctrl-C
    (the review: ~6 in 120 presses at 0.08-0.09 s ended in a traceback from ``get_command``)."""
    import typer.main

    def pressed(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(typer.main, "get_command", pressed)
    monkeypatch.setattr(sys, "argv", ["cognito-privx", "--help"])
    monkeypatch.setattr(atexit, "register", lambda *_a, **_k: None)  # main's fast exit: not for the test process
    assert _exit_code_of_main() == 130
    assert capsys.readouterr() == ("", "\n")
