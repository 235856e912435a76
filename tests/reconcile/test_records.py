"""The ownership records (ARCHITECTURE.md#ownership) as setup writes them: a role a killed setup created (still
``pending`` in the directory's record) is removed by teardown, and ``plan`` shows the record writes setup then
makes, change for change."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cognito_privx import privx
from cognito_privx.sandbox.emulator import PrivXEmulator
from tests.support.constants import BASE_CONFIG
from tests.support.emulator import privx_client

pytestmark = pytest.mark.usefixtures("aws")

ROLES_PATH = "/role-store/api/v1/roles"


class Killed(BaseException):  # a kill is no exception the CLI boundary could catch
    """The simulated ``kill -9``: the process dies right after PrivX created a role."""


def _ok(cli: Any, config: Path, *args: str) -> Any:
    run = cli("--config", str(config), *args)
    assert run.exit_code == 0, run.stderr
    return run


def _our_directory(emu: PrivXEmulator) -> dict[str, Any]:
    return next(s for s in emu.sources.values() if s["name"] == "Cognito")


def _changes(run: Any) -> list[tuple[str, str]]:
    return [(c["action"], c["resource"]) for c in json.loads(run.stdout)["changes"]]


def test_a_role_a_killed_setup_created_is_removed_by_teardown(
    cli: Any, config_file: Path, emulator: PrivXEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = privx.PrivXClient.request

    def dying(self: privx.PrivXClient, method: str, path: str, **kwargs: Any) -> Any:
        result = original(self, method, path, **kwargs)
        if method == "POST" and path.startswith(ROLES_PATH):
            raise Killed(path)  # the role exists; the record still says pending
        return result

    monkeypatch.setattr(privx.PrivXClient, "request", dying)
    with pytest.raises(Killed):
        cli("--config", str(config_file), "setup")
    monkeypatch.setattr(privx.PrivXClient, "request", original)
    record = privx.record_of(_our_directory(emulator))
    made = [r for r in emulator.roles.values() if not r.get("system")]
    assert len(made) == 1 and made[0]["name"] in record.pending and not record.roles

    _ok(cli, config_file, "teardown", "--yes")
    assert [r["name"] for r in emulator.roles.values() if not r.get("system")] == []
    assert not any(s["name"] == "Cognito" for s in emulator.sources.values())


def test_a_pending_role_without_our_marker_is_never_deleted(
    cli: Any, config_file: Path, emulator: PrivXEmulator
) -> None:
    """A role of a pending name that someone else made (no marker for our directory) is theirs."""
    _ok(cli, config_file, "setup")
    directory = _our_directory(emulator)
    directory["comment"] = directory["comment"].replace(" pending= ", " pending=theirs ")
    assert privx.record_of(directory).pending == ("theirs",)
    theirs = {
        "name": "theirs",
        "comment": "by hand",
        "permissions": [],
        "source_rules": {"type": "GROUP", "match": "ANY", "rules": []},
    }
    theirs_id = privx_client(emulator).create_role(theirs)
    _ok(cli, config_file, "teardown", "--yes")
    assert theirs_id in emulator.roles
    assert [r["name"] for r in emulator.roles.values() if not r.get("system")] == ["theirs"]


def test_plan_shows_the_record_writes_setup_makes(cli: Any, config_file: Path, emulator: PrivXEmulator) -> None:
    plan = _ok(cli, config_file, "-o", "json", "plan")
    setup = _ok(cli, config_file, "-o", "json", "setup")
    assert _changes(plan) == _changes(setup)
    assert ("update", "cognito ownership record") in _changes(plan)

    config_file.write_text(
        BASE_CONFIG.replace('button_title = "Cognito"\n', 'button_title = "Cognito"\nrule_template = "(grp={group})"\n')
    )
    plan = _ok(cli, config_file, "-o", "json", "plan")
    setup = _ok(cli, config_file, "-o", "json", "setup")
    assert _changes(plan) == _changes(setup)
    records = [
        f for c in json.loads(plan.stdout)["changes"] for f in c["fields"] if f["field"] == "comment (ownership record)"
    ]
    assert records and all(f["before"] != f["after"] for f in records)
    again = _ok(cli, config_file, "-o", "json", "setup")
    assert {a for a, _ in _changes(again)} == {"noop"}
