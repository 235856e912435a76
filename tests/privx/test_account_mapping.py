"""``[privx] account_mapping``: the direction PrivX reads the directory's ``attribute_mapping`` in is found by a login
(docs/privx-api.md#account-mapping), in each of the emulator's readings: keyed by target account
(``{"unix_account": "email"}``) or keyed by claim (``{"email": "unix_account"}``). Unverified until ``doctor
--login``'s rehearsal logs in; then ``setup`` writes the map the way PrivX reads it, records it, and a re-run
changes nothing; PrivX sets the signed-in user's account in either reading.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cognito_privx import privx
from cognito_privx.desired import rehearsal_email
from cognito_privx.sandbox.emulator import EmulatorVariant, PrivXEmulator

MAPPING_LINE = 'account_mapping = { unix_account = "email" }'


@pytest.fixture(params=["target", "claim"])
def emulator_settings(request: pytest.FixtureRequest) -> dict[str, Any]:
    return {"variant": EmulatorVariant(attribute_mapping=request.param)}


def _with_mapping(config: Path, line: str = MAPPING_LINE) -> Path:
    config.write_text(config.read_text().replace('button_title = "Cognito"', f'button_title = "Cognito"\n{line}'))
    return config


def _doctor(cli: Any, config: Path, *args: str) -> dict[str, dict[str, Any]]:
    run = cli("--config", str(config), "-o", "json", "doctor", *args)
    return {c["name"]: c for c in json.loads(run.stdout)["checks"]}


def _directory(emu: PrivXEmulator) -> dict[str, Any]:
    return next(s for s in emu.sources.values() if s["name"] == "Cognito")


def _rehearsal_user(emu: PrivXEmulator) -> dict[str, Any]:
    email = rehearsal_email("dev")
    return next(u for u in emu.users.values() if u.get("email") == email)


def test_the_direction_is_found_by_a_login_recorded_and_the_account_set(
    cli: Any, config_file: Path, world: PrivXEmulator
) -> None:
    reading = world.variant.attribute_mapping
    config = _with_mapping(config_file)
    setup = cli("--config", str(config), "setup")
    assert setup.exit_code == 0, setup.stderr
    assert "account mapping direction unverified" in setup.stdout + setup.stderr
    assert _directory(world)["connection"]["attribute_mapping"] == {"unix_account": "email"}  # target first

    # The rehearsal's login is the evidence; doctor says which direction it shows.
    checks = _doctor(cli, config, "--login")
    assert checks["login:dev"]["status"] == "ok", checks["login:dev"]
    check = checks["account-mapping"]
    if reading == "target":
        assert _rehearsal_user(world).get("unix_account") == rehearsal_email("dev")
        assert check["status"] == "warn" and "keyed by target account" in check["message"], check
    else:
        assert "unix_account" not in _rehearsal_user(world)  # PrivX read the target-keyed map as claims
        assert check["status"] == "fail" and "PrivX reads attribute_mapping keyed by claim" in check["message"], check

    # setup writes the map the way PrivX reads it and records the direction; then the login sets the account.
    plan = cli("--config", str(config), "plan")
    assert f"keyed by {'target account' if reading == 'target' else 'claim'}" in plan.stdout + plan.stderr, plan.stdout
    setup = cli("--config", str(config), "setup")
    assert setup.exit_code == 0, setup.stderr
    directory = _directory(world)
    assert privx.record_of(directory).mapping == reading
    want = {"unix_account": "email"} if reading == "target" else {"email": "unix_account"}
    assert directory["connection"]["attribute_mapping"] == want

    checks = _doctor(cli, config, "--login")
    assert _rehearsal_user(world).get("unix_account") == rehearsal_email("dev")  # the account PrivX set
    assert checks["account-mapping"]["status"] == "ok", checks["account-mapping"]
    assert "found by a login, recorded" in checks["account-mapping"]["message"]

    # A re-run changes nothing, and the recorded direction stays.
    assert cli("--config", str(config), "plan", "--detailed-exitcode").exit_code == 0
    before = json.dumps(_directory(world), sort_keys=True)
    assert cli("--config", str(config), "setup").exit_code == 0
    assert json.dumps(_directory(world), sort_keys=True) == before


def test_a_claim_keyed_config_means_the_same(cli: Any, config_file: Path, world: PrivXEmulator) -> None:
    """``{ email = "unix_account" }`` in the config is the same mapping; the direction written is the one found."""
    config = _with_mapping(config_file, 'account_mapping = { email = "unix_account" }')
    assert cli("--config", str(config), "setup").exit_code == 0
    _doctor(cli, config, "--login")
    assert cli("--config", str(config), "setup").exit_code == 0
    _doctor(cli, config, "--login")
    assert _rehearsal_user(world).get("unix_account") == rehearsal_email("dev")
    assert privx.record_of(_directory(world)).mapping == world.variant.attribute_mapping


def test_doctor_says_unverified_before_any_login(cli: Any, config_file: Path, world: PrivXEmulator) -> None:
    config = _with_mapping(config_file)
    assert cli("--config", str(config), "setup").exit_code == 0
    check = _doctor(cli, config)["account-mapping"]
    assert check["status"] == "warn"
    assert "unverified" in check["message"] and "doctor --login" in check["hint"]


def _user(updated: str, claims: dict[str, str], **accounts: str) -> dict[str, Any]:
    return {
        "principal": claims.get("email", "x"),
        "updated": updated,
        "attributes": [{"key": k, "value": v} for k, v in claims.items()],
        **accounts,
    }


DIRECTORY = {"updated": "2026-01-01T10:00:00.000Z", "connection": {"attribute_mapping": {"unix_account": "email"}}}


def test_a_login_is_judged_by_the_map_in_force_not_the_config() -> None:
    """The config now maps email, but the directory still holds the old map (preferred_username): a login after
    that write without preferred_username in its token says nothing, whatever its email."""
    directory = {
        "updated": "2026-01-01T10:00:00.000Z",
        "connection": {"attribute_mapping": {"unix_account": "preferred_username"}},
    }
    login = _user("2026-01-01T10:00:01.000Z", {"email": "ann@example.com"})
    assert privx.accounts.evidence([login], directory, {"unix_account": "email"}) is None
    named = _user("2026-01-01T10:00:02.000Z", {"preferred_username": "ann"})
    found = privx.accounts.evidence([named], directory, {"unix_account": "email"})
    assert found is not None and found.found == "claim" and "preferred_username" in found.detail


def test_only_a_login_after_the_map_was_written_is_evidence_and_a_set_account_wins() -> None:
    mapping = {"unix_account": "email"}
    before = _user("2026-01-01T09:59:59.000Z", {"email": "old@example.com"})  # logged in before: says nothing
    assert privx.accounts.evidence([before], DIRECTORY, mapping) is None
    unset = _user("2026-01-01T10:00:01.000Z", {"email": "ann@example.com"})
    found = privx.accounts.evidence([unset], DIRECTORY, mapping)
    assert found is not None and found.found == "claim" and "set no unix_account" in found.detail
    no_claim = _user("2026-01-01T10:00:01.000Z", {"sub": "s"})  # the claim never reached PrivX: no evidence
    assert privx.accounts.evidence([no_claim], DIRECTORY, mapping) is None
    set_ = _user("2026-01-01T10:00:02.000Z", {"email": "bob@example.com"}, unix_account="bob@example.com")
    found = privx.accounts.evidence([unset, set_], DIRECTORY, mapping)
    assert found is not None and found.found == "target"


def test_a_claim_keyed_map_holds_one_target_per_claim() -> None:
    both = {"unix_account": "email", "windows_account": "email"}
    assert privx.attribute_mapping(both, "target") == both
    assert privx.attribute_mapping(both, "claim") == {"email": "unix_account"}
    assert privx.accounts.dropped(both, "claim") == ("windows_account",)
    assert privx.accounts.dropped(both, "target") == ()
    record = privx.DirectoryRecord(True, mapping="claim")
    assert privx.record_of({"comment": f"x (managed by cognito-privx{record.segment()})"}).mapping == "claim"
    assert privx.record_of({"comment": "x (managed by cognito-privx; record roles= pending= groups=)"}).mapping == ""
