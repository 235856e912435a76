"""Where nothing changes, a run reads each thing once (issue 24): a no-op ``plan`` makes the reads a plain script
doing the same checks would, ``doctor`` lists each list once, and the output is the same as before.

The reads are counted where they arrive: every botocore call the run makes (a hook on botocore's client, on the
real in-process moto) and every request the PrivX emulator answered. The count is the behaviour under test: each
read is a request against an account-wide Cognito quota.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.client
import pytest

from cognito_privx.sandbox.emulator import PrivXEmulator


@pytest.fixture
def aws_calls(aws: Any, emulator: PrivXEmulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The botocore operations made from now on (in-process moto, the PrivX emulator), in order: every client, every
    service."""
    seen: list[str] = []
    original = botocore.client.BaseClient._make_api_call

    def counted(self: Any, operation: str, params: Any) -> Any:
        seen.append(operation)
        return original(self, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", counted)
    yield seen


def _set_up(cli: Any, config_file: Path, aws_calls: list[str], emulator: PrivXEmulator) -> None:
    assert cli("--config", str(config_file), "setup").exit_code == 0
    aws_calls.clear()
    emulator.requests.clear()


# The reads of a no-op plan, each with why it is needed (BASE_CONFIG: two [roles] groups, group in an attribute):
NOOP_PLAN_COGNITO = Counter(
    {
        "GetCallerIdentity": 1,  # the account, for the region/account in the plan and the pool's ARN (STS)
        "ListUserPools": 1,  # find the pool by name (and that there is one)
        "DescribeUserPool": 1,  # its settings, tags (our record, the run lock) and domain
        "ListUserPoolClients": 1,  # every app client: ours by name, others for the open-path warnings
        "DescribeUserPoolClient": 1,  # each client's settings (one client here: ours)
        "DescribeUserPoolDomain": 1,  # the prefix domain is ours and active
        "ListUserPoolClientSecrets": 1,  # which secret PrivX holds (two during a rotation)
        "ListGroups": 1,  # the group_claim migration: which [roles] groups exist as native groups (none here)
    }
)
NOOP_PLAN_PRIVX = Counter(
    {
        ("POST", "/auth/api/v1/oauth/token"): 1,
        ("GET", "/role-store/api/v1/sources"): 1,
        ("GET", "/role-store/api/v1/roles"): 1,
    }
)


def _privx_calls(emulator: PrivXEmulator) -> Counter[tuple[str, str]]:
    found: Counter[tuple[str, str]] = Counter()
    for r in emulator.requests:
        path = r.path if not r.path.startswith("/role-store/api/v1/sources/") else "/role-store/api/v1/sources/{id}"
        found[(r.method, path)] += 1
    return found


def test_a_noop_plan_reads_each_thing_once(
    cli: Any, config_file: Path, aws_calls: list[str], emulator: PrivXEmulator
) -> None:
    _set_up(cli, config_file, aws_calls, emulator)
    run = cli("--config", str(config_file), "plan")
    assert run.exit_code == 0, run.stderr
    assert Counter(aws_calls) == NOOP_PLAN_COGNITO
    assert sum(NOOP_PLAN_COGNITO.values()) - NOOP_PLAN_COGNITO["GetCallerIdentity"] <= 8  # issue 24: at most 8
    # The directory as listed is compared, then read once by id (the list may leave fields out).
    assert _privx_calls(emulator) == NOOP_PLAN_PRIVX + Counter({("GET", "/role-store/api/v1/sources/{id}"): 1})


def test_a_noop_setup_reads_what_plan_reads_and_writes_nothing(
    cli: Any, config_file: Path, aws_calls: list[str], emulator: PrivXEmulator
) -> None:
    _set_up(cli, config_file, aws_calls, emulator)
    run = cli("--config", str(config_file), "setup")
    assert run.exit_code == 0, run.stderr
    assert not emulator.write_requests()
    # Nothing to change: setup only reads, as plan does, and takes no run lock (no TagResource / UntagResource:
    # reconcile.converged); the lock is taken only by a run that has something to write.
    assert Counter(aws_calls) == NOOP_PLAN_COGNITO
    assert _privx_calls(emulator) == NOOP_PLAN_PRIVX + Counter({("GET", "/role-store/api/v1/sources/{id}"): 1})


def test_a_setup_with_a_change_takes_the_lock_and_reads_again_under_it(
    cli: Any, config_file: Path, aws_calls: list[str], emulator: PrivXEmulator
) -> None:
    _set_up(cli, config_file, aws_calls, emulator)
    config_file.write_text(config_file.read_text().replace('ops = "ops-admins"', 'ops = "ops-admins"\nqa = "qa-team"'))
    run = cli("--config", str(config_file), "setup")
    assert run.exit_code == 0, run.stderr
    # The read-only pass stopped at its first write (sent nothing), then the locked run: the lock's tag written and
    # read back, everything read again under it, the change made, the tag taken off.
    assert aws_calls.count("TagResource") == 1 and aws_calls.count("UntagResource") == 1
    assert aws_calls.index("TagResource") > aws_calls.index("ListGroups")  # after the whole read-only pass
    assert aws_calls.count("ListUserPools") == 2
    assert emulator.write_requests(), "the new grant was written"
    assert "+ created privx role qa-team \u2190 group qa" in run.stdout + run.stderr
    assert (run.stdout + run.stderr).count("= unchanged cognito user pool") == 1  # the read-only pass said nothing


def test_a_noop_plan_prints_what_it_printed_before(cli: Any, config_file: Path, aws_calls: list[str]) -> None:
    assert cli("--config", str(config_file), "setup").exit_code == 0
    run = cli("--config", str(config_file), "plan")
    assert run.exit_code == 0
    # Recorded from the code before the reads were cut (the secret's id and age vary).
    assert re.sub(r"client secret \S+, \d+ day", "client secret ID, N day", run.stdout) == (
        "= unchanged cognito user pool privx-users\n"
        "= unchanged cognito custom attribute custom:group\n"
        "= unchanged cognito app client privx\n"
        "= unchanged cognito domain acme-privx\n"
        "= unchanged privx directory Cognito\n"
        "    ! client secret ID, N day(s) old\n"
        "= unchanged privx role developers \u2190 group dev\n"
        "= unchanged privx role ops-admins \u2190 group ops\n"
        "No changes. Cognito and PrivX match the config.\n"
    )


def test_doctor_lists_pools_clients_and_directories_once(
    cli: Any, config_file: Path, aws_calls: list[str], emulator: PrivXEmulator
) -> None:
    _set_up(cli, config_file, aws_calls, emulator)
    before = cli("--config", str(config_file), "doctor")
    aws_calls.clear()
    emulator.requests.clear()
    run = cli("--config", str(config_file), "doctor")
    assert (run.exit_code, run.stdout) == (before.exit_code, before.stdout)
    calls = Counter(aws_calls)
    assert calls["ListUserPools"] == 1
    assert calls["ListUserPoolClients"] == 1
    assert calls["DescribeUserPoolClient"] == 1  # one client in the pool: ours
    assert _privx_calls(emulator)[("GET", "/role-store/api/v1/sources")] == 1
