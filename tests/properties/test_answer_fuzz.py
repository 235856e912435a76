"""Answers of an unexpected shape, from either side: a run ends in success or in one ``error:`` + ``hint:`` line,
never in a traceback, and never reports a change the server does not hold afterwards.

One answer a case (the ``nth`` JSON answer of PrivX, or the ``nth`` parsed answer of a cognito-idp call) is
rewritten by :func:`tests.support.mutate.mutate` while ``plan``, ``setup``, ``doctor``, ``list-users`` or ``access``
runs in-process, ``PRIVX_CASES`` / ``COGNITO_CASES`` of them shared equally by the commands (one test each, so
the suite's workers share them out). The cases are derandomized, so a count before and after a change compares
the same cases.
``ANSWER_FUZZ_REPORT=<file>`` writes the figures (cases, answers rewritten, outcomes) there as JSON lines, and
``ANSWER_FUZZ_COUNT_ONLY=1`` counts instead of failing (to measure old code: an escaped exception counts as a
traceback).
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from cognito_privx import cognito
from cognito_privx.cli import Seams, app
from cognito_privx.sandbox.emulator import PrivXEmulator
from tests.support.emulator import MakeEmulator, api_client
from tests.support.kept_clients import keep_clients
from tests.support.mutate import AwsRewriter, Rewriter, traceback_in

COMMANDS = ("plan", "setup", "doctor", "list-users", "access")
PRIVX_CASES = 300
COGNITO_CASES = 220
_FUZZ = dict(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
_CHANGE = re.compile(r"^([+~-]) (created|updated|deleted|granted|revoked) (.+?)$")
_KINDS = (
    "privx directory",
    "privx role",
    "cognito user pool",
    "cognito app client",
    "cognito domain",
    "cognito group",
    "cognito user pool tags",
    "cognito ownership record",
    "privx sessions",
    "cognito custom attribute",
    "cognito mfa",
    "cognito managed-login branding",
)


# How many answers each command gets, by side, command and start (counted once per process).
_ANSWERS: dict[str, int] = {}


@pytest.fixture
def tally() -> Iterator[Counter[str]]:
    counts: Counter[str] = Counter()
    yield counts
    report = os.environ.get("ANSWER_FUZZ_REPORT")
    if report:
        with open(report, "a") as f:
            f.write(json.dumps(dict(counts)) + "\n")


@pytest.fixture(autouse=True)
def clients_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    """One set of cognito-idp clients for all the cases of a test (:mod:`tests.support.kept_clients`): what a case
    rewrites is an answer, never a client, and the rewriter sees a call's answer after botocore's retries."""
    keep_clients(monkeypatch, {})


def _invoke(seams: Seams, *args: str) -> tuple[int, str, BaseException | None]:
    result = CliRunner().invoke(app, list(args), catch_exceptions=True, obj=seams)
    escaped = None if result.exception is None or isinstance(result.exception, SystemExit) else result.exception
    return result.exit_code, result.stderr + result.stdout, escaped


def _reported(text: str) -> list[tuple[str, str]]:
    """``(resource, name)`` of each change the run says it made (created, updated, deleted)."""
    found = []
    for line in text.splitlines():
        m = _CHANGE.match(line.strip())
        if m and m.group(2) in ("created", "updated", "deleted"):
            rest = m.group(3)
            kind = next((k for k in _KINDS if rest.startswith(k + " ")), None)
            assert kind is not None, f"a change of an unknown kind: {line}"
            found.append((m.group(2) + " " + kind, rest[len(kind) + 1 :].split(" ← ")[0]))
    return found


def _privx_holds(emulator: PrivXEmulator, what: str, name: str) -> bool:
    with api_client(emulator) as api:
        if what.endswith("privx role"):
            roles = api.get("/role-store/api/v1/roles", params={"limit": 1000}).json()["items"]
            present = any(r["name"] == name for r in roles)
        elif what.endswith("privx directory"):
            present = any(s["name"] == name for s in api.get("/role-store/api/v1/sources").json()["items"])
        else:
            return True
    return present != what.startswith("deleted")


def _judge(
    tally: Counter[str],
    code: int,
    text: str,
    escaped: BaseException | None,
    rewritten: str,
    held: Callable[..., bool],
    *,
    named: bool = False,
) -> None:
    """Count the outcome; unless counting only, fail on a traceback, an exit without ``error:`` and ``hint:``, or
    a change reported that the server does not hold. ``named``: every error must be one of ours (PrivX's answers
    are checked at the client boundary, so none may reach the CLI boundary as "unexpected")."""
    strict = not os.environ.get("ANSWER_FUZZ_COUNT_ONLY")
    tally["cases"] += 1
    tally["rewritten"] += bool(rewritten)
    where = f"(answer rewritten: {rewritten or 'none'})\n{text}"
    if escaped is not None or traceback_in(text):
        tally["tracebacks"] += 1
        tally[f"traceback {type(escaped).__name__ if escaped else '?'}"] += 1
        assert not strict, f"a traceback {where}\n{escaped!r}"
        return
    if "error: unexpected" in text:
        tally["unexpected errors"] += 1
        assert not (strict and named), f"an error not named at the client boundary {where}"
    if code == 0:
        tally["succeeded"] += 1
    else:
        tally["errors"] += 1
        lines = [line for line in text.splitlines() if line.startswith(("error:", "hint:"))]
        report = code == 1 and "some checks failed" in text  # doctor's report: each failed check with its hint
        assert not strict or (code in (1, 2, 3) and (len(lines) >= 2 or report)), f"exit {code}, no error {where}"
    for what, name in _reported(text):
        if not held(what, name):
            tally["reported but not held"] += 1
            assert not strict, f"reported {what} {name}, which the server does not hold {where}"


@pytest.fixture
def converged(cli: Any, config_file: Path, pool: str, discovery_in_process: None) -> str:
    """A pool and a directory made by setup, doctor's discovery answered in-process."""
    return pool


@pytest.mark.parametrize("command", COMMANDS)  # one test per command: the workers share the cases out
@settings(max_examples=PRIVX_CASES // len(COMMANDS), **_FUZZ)  # type: ignore[arg-type]
@given(
    nth=st.integers(0, 10**6),
    seed=st.integers(0, 2**32 - 1),
    fresh=st.booleans(),
)
def test_privx_answers_of_any_shape(
    converged: str,
    config_file: Path,
    emulator: PrivXEmulator,
    make_emulator: MakeEmulator,
    seams: Seams,
    tally: Counter[str],
    command: str,
    nth: int,
    seed: int,
    fresh: bool,
) -> None:
    # plan and setup also run against an empty PrivX (everything to create there), the rest against the one set up.
    fresh = fresh and command in ("plan", "setup")
    target = make_emulator() if fresh else emulator
    key = f"privx {command} {fresh}"
    if key not in _ANSWERS:  # how many JSON answers the command gets, counted once (answer ``nth`` of them)
        counter = Rewriter((make_emulator() if fresh else emulator).handle, -1, 0)
        seams.privx_transport = httpx.MockTransport(counter)
        _invoke(seams, "--config", str(config_file), command)
        _ANSWERS[key] = max(counter.seen, 1)
    rewriter = Rewriter(target.handle, nth % _ANSWERS[key], seed)
    seams.privx_transport = httpx.MockTransport(rewriter)
    try:
        code, text, escaped = _invoke(seams, "--config", str(config_file), command)
    finally:
        seams.privx_transport = httpx.MockTransport(emulator.handle)
    _judge(tally, code, text, escaped, rewriter.done, lambda what, name: _privx_holds(target, what, name), named=True)


def _cognito_holds(aws: Any, pool_id: str, emulator: PrivXEmulator, what: str, name: str) -> bool:
    if "privx" in what:
        return _privx_holds(emulator, what, name)
    gone = what.startswith("deleted")
    if what.endswith("app client"):
        clients = aws.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)["UserPoolClients"]
        return any(c["ClientName"] == name for c in clients) != gone
    if what.endswith("domain"):
        described = aws.describe_user_pool_domain(Domain=name)["DomainDescription"]
        return bool(described.get("UserPoolId")) != gone
    if what.endswith("group"):
        groups = aws.list_groups(UserPoolId=pool_id)["Groups"]
        return any(g["GroupName"] == name.split(" ")[0] for g in groups) != gone
    return True  # the pool itself, its record, attribute, MFA: the pool exists (converged)


@pytest.mark.parametrize("command", COMMANDS)
@settings(max_examples=COGNITO_CASES // len(COMMANDS), **_FUZZ)  # type: ignore[arg-type]
@given(
    nth=st.integers(0, 10**6),
    seed=st.integers(0, 2**32 - 1),
    missing_domain=st.booleans(),
)
def test_cognito_answers_of_any_shape(
    converged: str,
    config_file: Path,
    aws: Any,
    emulator: PrivXEmulator,
    seams: Seams,
    monkeypatch: pytest.MonkeyPatch,
    tally: Counter[str],
    command: str,
    nth: int,
    seed: int,
    missing_domain: bool,
) -> None:
    if missing_domain and command == "setup":  # something for setup to create on the Cognito side
        domain = aws.describe_user_pool(UserPoolId=converged)["UserPool"].get("Domain")
        if domain:
            aws.delete_user_pool_domain(Domain=domain, UserPoolId=converged)
    original = cognito.CognitoGateway.connect
    key = f"cognito {command} {missing_domain}"
    if key not in _ANSWERS:  # how many cognito-idp answers the command gets, counted once
        counter = AwsRewriter(-1, 0)
        _run_with(monkeypatch, original, counter, seams, config_file, command)
        _ANSWERS[key] = max(counter.seen, 1)
        if missing_domain and command == "setup":
            domain = aws.describe_user_pool(UserPoolId=converged)["UserPool"].get("Domain")
            if domain:
                aws.delete_user_pool_domain(Domain=domain, UserPoolId=converged)
    rewriter = AwsRewriter(nth % _ANSWERS[key], seed)
    code, text, escaped = _run_with(monkeypatch, original, rewriter, seams, config_file, command)
    _judge(
        tally,
        code,
        text,
        escaped,
        rewriter.done,
        lambda what, name: _cognito_holds(aws, converged, emulator, what, name),
    )


def _run_with(
    monkeypatch: pytest.MonkeyPatch,
    original: Callable[..., cognito.CognitoGateway],
    rewriter: AwsRewriter,
    seams: Seams,
    config_file: Path,
    command: str,
) -> tuple[int, str, BaseException | None]:
    """``command`` run with ``rewriter`` on every cognito-idp client it opens."""

    hooked: dict[int, Any] = {}
    unique = f"answer-fuzz-{id(rewriter)}"  # once a client, however often a run connects (clients are kept)

    def connect(*args: Any, **kwargs: Any) -> cognito.CognitoGateway:
        gw = original(*args, **kwargs)
        for client in (gw.client, gw.create_client):
            client.meta.events.register("after-call.cognito-idp", rewriter, unique_id=unique)
            hooked[id(client)] = client
        return gw

    with monkeypatch.context() as patch:
        patch.setattr(cognito.CognitoGateway, "connect", connect)
        try:
            return _invoke(seams, "--config", str(config_file), command)
        finally:
            for client in hooked.values():
                client.meta.events.unregister("after-call.cognito-idp", unique_id=unique)
