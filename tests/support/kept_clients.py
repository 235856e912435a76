"""cognito-idp clients made once and kept, for tests that run many commands in one process (fuzz cases, race
interleavings): building botocore clients (:func:`cognito_privx.cognito.session.open_clients`: a botocore session,
its handlers, two clients) was the largest part of such a command's time, and none of those tests is about it.

A kept client is the one the CLI made (same region, profile, retry settings), so a command's calls and answers are
unchanged; boto3 clients are thread-safe. What a kept client carries from one command to the next is botocore's
standard-mode retry quota (a retry spends it, a success refills it: botocore's ``retries/standard.py``), which only
a throttled or failed call touches.
"""

from __future__ import annotations

import os
import threading

import pytest

from cognito_privx.cognito import session as cognito_session

Kept = dict[tuple[object, ...], cognito_session.OpenedClients]


def keep_clients(monkeypatch: pytest.MonkeyPatch, kept: Kept, *, per_thread: bool = False) -> None:
    """Patch ``open_clients`` to make each (region, profile, max_attempts, the ``AWS_*`` environment: endpoint,
    credentials, retry settings) once into ``kept`` and hand that out again. ``per_thread``: a set per thread name
    as well, so runs raced on two threads (two processes in real life) never share one."""
    original = cognito_session.open_clients

    def open_clients(region: str, profile: str | None, *, max_attempts: int = 6) -> cognito_session.OpenedClients:
        aws_env = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("AWS_")))
        key = (threading.current_thread().name if per_thread else "", region, profile, max_attempts, aws_env)
        if key not in kept:
            kept[key] = original(region, profile, max_attempts=max_attempts)
        return kept[key]

    monkeypatch.setattr(cognito_session, "open_clients", open_clients)
