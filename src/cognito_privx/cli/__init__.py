"""The command line: parse → call one core function → render → exit code.

Start-up stays cheap: boto3, httpx and the core modules are imported inside the commands, so ``--help``
and ``--version`` import none of them.

``root`` holds the Typer app (``app``), the global options and what every command shares; each other module is one
group of commands, which register themselves on that one app when imported. The imports below run in ``--help``'s
order:

- ``deploy``: setup, plan, login-url, teardown, rotate-secret, init
- ``users``: add-user, set-group, resend-invite, disable-user, enable-user, remove-user, list-users
- ``imports``: import-users
- ``sandbox``: sandbox, demo (the story itself is ``demo``, a client of the core like the commands)
- ``doctor``: doctor
- ``access``: access (who has what, and why)
"""

# ruff: noqa: E402 - the collector is tuned before the commands are imported
import gc as _gc

# The young generation collected every 50,000 allocations (Python's default: 700) while a command starts: its
# ~600 modules allocate hundreds of thousands of objects and free next to none, so the default's ~140 collections
# (one of them full) found almost nothing and took ~8 % of the CPU before import-users' first create (issue 24).
# Cycles are still collected. Here for the import of the commands (the default back after it, for whoever
# imports this package); ``main`` keeps it for the console script's whole run.
GC_THRESHOLDS = (50_000, 20, 20)
_default_thresholds = _gc.get_threshold()
_gc.set_threshold(*GC_THRESHOLDS)

from cognito_privx.cli.root import OutputFormat, Seams, State, app, globals_first, main

# isort: off
# The order of these imports is the order of the commands in `cognito-privx --help`.
from cognito_privx.cli import deploy as deploy
from cognito_privx.cli import users as users
from cognito_privx.cli import imports as imports
from cognito_privx.cli import sandbox as sandbox
from cognito_privx.cli import doctor as doctor
from cognito_privx.cli import access as access

# isort: on

_gc.set_threshold(*_default_thresholds)

__all__ = ["GC_THRESHOLDS", "OutputFormat", "Seams", "State", "app", "globals_first", "main"]
