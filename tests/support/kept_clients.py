"""cognito-idp clients made once and kept, within one test (every test, unless marked ``fresh_clients``) or across
the cases of a module (fuzz cases, race interleavings): building botocore clients
(:func:`cognito_privx.cognito.session.open_clients`: a botocore session, its handlers, a client) was the largest
part of an in-process command's time (~1/4 of a ``setup`` on moto), and a test that runs a command as a
precondition is not about it.

A kept client is the one the CLI made (same region, profile, retry settings, environment and AWS config files), so
a command's calls and answers are unchanged; boto3 clients are thread-safe. What a kept client carries from one
command to the next is botocore's standard-mode retry quota (a retry spends it, a success refills it: botocore's
``retries/standard.py``), which only a throttled or failed call touches, and the handlers a test registered on it
(the tests that hook a client each command register with a ``unique_id``, or a handler that acts once).

Tests about the opening itself (credentials, profiles, MFA prompts, proxies and CA bundles, endpoints, FIPS) are
marked ``@pytest.mark.fresh_clients``: each command opens its own, as in real life.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator

import pytest

from cognito_privx.cognito import session as cognito_session

Kept = dict[tuple[object, ...], cognito_session.OpenedClients]


def _aws_files() -> tuple[object, ...]:
    """The AWS config and credentials files as botocore would read them now (path, size, modification time)."""
    found: list[object] = []
    for variable, default in (("AWS_CONFIG_FILE", "config"), ("AWS_SHARED_CREDENTIALS_FILE", "credentials")):
        path = os.path.expanduser(os.environ.get(variable, os.path.join("~", ".aws", default)))
        try:
            stat = os.stat(path)
        except OSError:
            found.append((path, None))
        else:
            found.append((path, stat.st_size, stat.st_mtime_ns))
    return tuple(found)


def keep_clients(monkeypatch: pytest.MonkeyPatch, kept: Kept, *, per_thread: bool = False) -> None:
    """Patch ``open_clients`` to make each (region, profile, max_attempts, the environment: ``AWS_*`` endpoint,
    credentials, retry settings, proxies, CA bundles; the AWS config files) once into ``kept`` and hand that out
    again. ``per_thread``: a set per thread name as well, so runs raced on two threads (two processes in real life)
    never share one. An opening that raises keeps nothing."""
    original = cognito_session.open_clients

    def open_clients(region: str, profile: str | None, *, max_attempts: int = 6) -> cognito_session.OpenedClients:
        environment = tuple(sorted(os.environ.items()))
        thread = threading.current_thread().name if per_thread else ""
        key = (thread, region, profile, max_attempts, environment, _aws_files())
        if key not in kept:
            kept[key] = original(region, profile, max_attempts=max_attempts)
        return kept[key]

    monkeypatch.setattr(cognito_session, "open_clients", open_clients)


@pytest.fixture(autouse=True)
def clients_kept_within_a_test(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test's commands share their clients (per thread name), dropped at the test's end: never shared across
    tests (botocore's retry quota is per client). Not for tests marked ``fresh_clients``."""
    if request.node.get_closest_marker("fresh_clients") is not None:
        yield
        return
    kept: Kept = {}
    keep_clients(monkeypatch, kept, per_thread=True)
    yield
    kept.clear()
