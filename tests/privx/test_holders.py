"""``plan`` and ``setup`` say who loses access when a grant is revoked, and ``setup --end-sessions`` ends their live
sessions and connections (issue 21, item 2). Against the emulator: users of our directory signed in with the ``ops``
tag hold ``ops-admins``; the config then moves ``ops`` to ``developers``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cognito_privx.desired import rehearsal_email
from cognito_privx.sandbox.emulator import ALL_PERMISSIONS, PrivXEmulator
from tests.support.constants import API_CLIENT_ID, BASE_CONFIG

pytestmark = pytest.mark.usefixtures("aws")

MOVED = BASE_CONFIG.replace('ops = "ops-admins"', 'ops = "developers"')


def _directory_id(emu: PrivXEmulator) -> str:
    return next(s["id"] for s in emu.sources.values() if s["name"] == "Cognito")


def _world(cli: Any, config_file: Path, emulator: PrivXEmulator) -> dict[str, str]:
    """Set up; alice and bob (ops) and carol (dev) signed in, alice with an open connection, the ops rehearsal
    identity signed in too; then the config moves ops to developers."""
    assert cli("--config", str(config_file), "setup").exit_code == 0
    source = _directory_id(emulator)
    users = {
        name: emulator.login_user(source, {"sub": f"sub-{name}", "email": f"{name}@example.org", "custom:group": g})
        for name, g in (("alice", "ops"), ("bob", "ops"), ("carol", "dev"))
    }
    users["rehearsal"] = emulator.login_user(
        source, {"sub": "sub-r", "email": rehearsal_email("ops"), "custom:group": "ops"}
    )
    emulator.open_connection(users["alice"], "web-1")
    emulator.open_connection(users["carol"], "web-1")
    config_file.write_text(MOVED)
    return users


def _revoke(doc: dict[str, Any]) -> dict[str, Any]:
    (change,) = [c for c in doc["changes"] if c.get("verb") == "revoke"]
    return change


def test_plan_names_how_many_users_hold_a_revoked_role(cli: Any, config_file: Path, emulator: PrivXEmulator) -> None:
    _world(cli, config_file, emulator)
    plan = cli("--config", str(config_file), "plan")
    assert plan.exit_code == 0, plan.stderr
    assert "revoke privx role ops-admins ← group ops" in plan.stdout
    assert "2 PrivX users of the directory hold it now" in plan.stdout
    assert "alice@example.org" in plan.stdout and rehearsal_email("ops") not in plan.stdout
    assert "their live sessions keep it until PrivX refreshes" in plan.stdout
    assert "would end" not in plan.stdout
    # The preview of developers (now granted to ops too) leaves the rehearsal identity out: alice, bob, carol.
    assert "would match 3 user(s) today" in plan.stdout

    doc = json.loads(cli("--config", str(config_file), "-o", "json", "plan").stdout)
    revoke = _revoke(doc)
    assert revoke["holders"] == 2
    assert sorted(h["principal"] for h in revoke["holder_users"]) == ["alice@example.org", "bob@example.org"]

    ending = cli("--config", str(config_file), "plan", "--end-sessions")
    assert "would end 2 PrivX sessions and 1 connection of 2 user(s)" in ending.stdout, ending.stdout
    assert len(emulator.valid_sessions()) == 4  # plan changed nothing


def test_setup_end_sessions_ends_the_holders_sessions_and_connections_only(
    cli: Any, config_file: Path, emulator: PrivXEmulator
) -> None:
    users = _world(cli, config_file, emulator)
    run = cli("--config", str(config_file), "setup", "--end-sessions")
    assert run.exit_code == 0, run.stderr
    assert "revoked privx role ops-admins ← group ops" in run.stderr
    assert "2 PrivX sessions ended, 1 connection ended" in run.stderr
    assert "keep it" not in run.stderr and "end-sessions" not in run.stderr.replace("setup --end-sessions", "")
    for name in ("alice", "bob"):
        assert emulator.valid_sessions(users[name]) == [] and emulator.live_connections(users[name]) == []
    assert len(emulator.valid_sessions(users["carol"])) == 1 and len(emulator.live_connections(users["carol"])) == 1
    assert len(emulator.valid_sessions(users["rehearsal"])) == 1  # the rehearsal ends its own
    again = cli("--config", str(config_file), "-o", "json", "setup", "--end-sessions")
    assert {c["action"] for c in json.loads(again.stdout)["changes"]} == {"noop"}


def test_setup_without_end_sessions_says_so_and_leaves_sessions(
    cli: Any, config_file: Path, emulator: PrivXEmulator
) -> None:
    users = _world(cli, config_file, emulator)
    run = cli("--config", str(config_file), "setup")
    assert run.exit_code == 0, run.stderr
    assert "2 PrivX users of the directory held it" in run.stderr
    # setup --end-sessions later could no longer find them (the rule is gone): the line names the way that can.
    assert "setup --end-sessions" not in run.stderr
    assert "end them now with `cognito-privx end-sessions alice@example.org bob@example.org`" in run.stderr
    assert len(emulator.valid_sessions(users["alice"])) == 1 and len(emulator.live_connections(users["alice"])) == 1
    ended = cli("--config", str(config_file), "end-sessions", "alice@example.org", "bob@example.org")
    assert ended.exit_code == 0, ended.stderr
    for name in ("alice", "bob"):
        assert emulator.valid_sessions(users[name]) == [] and emulator.live_connections(users[name]) == []
    assert len(emulator.valid_sessions(users["carol"])) == 1


def test_the_setup_line_names_ten_holders_then_how_many_more() -> None:
    from cognito_privx.privx.holders import Holder, words

    many = tuple(Holder(str(i), f"u{i:02}@example.org") for i in range(13))
    line = words(many, after="revoked")
    assert "cognito-privx end-sessions u00@example.org" in line and "u09@example.org" in line
    assert "u10@example.org" not in line.split("end-sessions")[1]
    assert "and 3 more; `-o json` lists all" in line


def test_a_refused_end_is_exit_1_naming_the_permission_after_the_grants_changed(
    cli: Any, config_file: Path, emulator: PrivXEmulator
) -> None:
    users = _world(cli, config_file, emulator)
    emulator.set_api_client_permissions(API_CLIENT_ID, ALL_PERMISSIONS - {"users-manage"})
    run = cli("--config", str(config_file), "setup", "--end-sessions")
    assert run.exit_code == 1
    assert "users-manage" in run.stderr
    assert "alice@example.org" in run.stderr and "bob@example.org" in run.stderr
    assert len(emulator.valid_sessions(users["alice"])) == 1
    # The grants changed all the same: ops-admins no longer carries the ops rule.
    ops = next(r for r in emulator.roles.values() if r["name"] == "ops-admins")
    assert "(tags=ops)" not in json.dumps(ops["source_rules"])
    dev = next(r for r in emulator.roles.values() if r["name"] == "developers")
    assert "(tags=ops)" in json.dumps(dev["source_rules"])
