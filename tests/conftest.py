"""Registers the shared fixtures of :mod:`tests.support` (one module per concern; no fixture is defined here)."""

pytest_plugins = [
    "tests.support.bytecode",
    "tests.support.process_caches",
    "tests.support.order",
    "tests.support.env",
    "tests.support.kept_clients",
    "tests.support.cli",
    "tests.support.clock",
    "tests.support.emulator",
    "tests.support.oidc",
    "tests.support.login",
    "tests.support.moto_server",
    "tests.support.pool",
    "tests.support.calls",
    "tests.support.endpoints",
    "tests.support.proxy",
    "tests.support.cognito_variant",
]
