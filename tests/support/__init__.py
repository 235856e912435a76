"""What the tests share, one module per concern; ``tests/conftest.py`` registers the fixtures.

- :mod:`.constants`: the fake world's names and secrets (region, PrivX URL, API client, the base config).
- :mod:`.env`: a clean environment for every test, and in-process moto (``aws``).
- :mod:`.process_caches`: work botocore and moto redo for every session and pool, done once per process.
- :mod:`.cli`: the CLI run in-process (``cli``), what it gets instead of the network (``seams``), ``config_file``.
- :mod:`.converged`: a test's first ``setup`` from an untouched world, restored from the same run earlier in the
  process (``TESTS_REAL_SETUP=1``: always run); tests about ``setup`` itself are marked ``setup_runs``.
- :mod:`.emulator`: the PrivX emulator (``make_emulator``, ``emulator``) and what tests ask of it.
- :mod:`.clock`: a clock that moves only when a test moves it.
- :mod:`.oidc`: discovery documents and JWKS served in-process (transports).
- :mod:`.login`: moto + the hosted-UI stand-in + the emulator as relying party (``world``).
- :mod:`.moto_server`: moto's server on loopback (``moto_server``).
- :mod:`.pool`: the user pool ``setup`` makes (``pool``).
- :mod:`.calls`: what reached AWS: ``gateway_calls`` (through our gateway) and ``boto3_calls`` (any client).
"""
