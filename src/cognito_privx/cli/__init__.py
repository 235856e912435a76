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

__all__ = ["OutputFormat", "Seams", "State", "app", "globals_first", "main"]
