"""The tool's bytecode written once per test session, before any test imports it.

This machine and CI set ``PYTHONDONTWRITEBYTECODE=1``, and an editable install compiles nothing, so without this
every process a test starts (each CLI subprocess, the sandbox, each xdist worker) compiles the tool's ~190 modules
from source again: ~0.1 s of CPU a process. ``pip install`` of the package compiles them once, as done here;
Python still checks each ``.pyc`` against its source's mtime, so an edited module is never run stale.
"""

from __future__ import annotations

import compileall
from pathlib import Path

import pytest

import cognito_privx


def pytest_sessionstart(session: pytest.Session) -> None:
    if hasattr(session.config, "workerinput"):  # an xdist worker: the controller has done it before starting it
        return
    compileall.compile_dir(str(Path(cognito_privx.__file__).parent), quiet=1)
