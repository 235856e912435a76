"""The tests mirror ``src/cognito_privx``: a test goes where the code it tests lives.

- ``cognito/``, ``privx/``, ``users/`` (the pool's users, the import engines), ``doctor/``, ``cli/`` (the
  command-line contract and the terminal), ``config/``, ``reconcile/`` (setup, plan, teardown): the packages of
  the same name.
- Top level: the top-level modules, one file each: ``test_plan.py``, ``test_desired.py``, ``test_retry.py``,
  ``test_pacing.py``, ``test_rotation.py``.
- ``properties/``: what must hold for every command, across modules: bad input changes nothing, a crash is
  finished by a re-run, no secret is printed, faults on the other side read well, every PrivX variant works,
  access follows the config both ways, each command group's AWS calls stay within its IAM policy.
- ``standins/``: the sandbox's stand-ins themselves (PrivX emulator, hosted UI, import jobs, moto fixes).
- ``e2e/``: the installed CLI against ``cognito-privx sandbox`` (``pytest -m e2e``).
- ``support/``: fixtures and helpers (registered by ``conftest.py``); no tests.
"""
