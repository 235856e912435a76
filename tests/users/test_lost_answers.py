"""A lost answer to an idempotent user update (issue 23): the update went through in moto, then the connection
closed before its answer came back (a botocore ``after-call`` hook raising ``ConnectionClosedError``, as
tests/properties/test_faults.py injects faults). The row is not failed: the update is repeated (safe) and the state
is what was asked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ConnectionClosedError

from cognito_privx import cognito

pytestmark = pytest.mark.usefixtures("emulator")


def _lose_answers(monkeypatch: pytest.MonkeyPatch, operation: str, times: int) -> list[str]:
    """The next ``times`` calls of ``operation`` (PascalCase) are carried out, and their answers lost."""
    lost: list[str] = []

    def drop(**_: Any) -> None:
        if len(lost) < times:
            lost.append(operation)
            raise ConnectionClosedError(endpoint_url="https://cognito-idp.eu-west-1.amazonaws.com/")

    original = cognito.CognitoGateway.connect

    def connect(*args: Any, **kwargs: Any) -> cognito.CognitoGateway:
        gw = original(*args, **kwargs)
        for client in {id(gw.client): gw.client, id(gw.create_client): gw.create_client}.values():
            client.meta.events.register(f"after-call.cognito-idp.{operation}", drop)
        return gw

    monkeypatch.setattr(cognito.CognitoGateway, "connect", connect)
    return lost


def _group(aws: Any, pool: str, email: str) -> str | None:
    user = aws.admin_get_user(UserPoolId=pool, Username=email)
    return {a["Name"]: a["Value"] for a in user["UserAttributes"]}.get("custom:group")


def test_set_group_whose_answer_is_lost_is_not_failed(
    cli: Any, config_file: Path, aws: Any, pool: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    add = cli("--config", str(config_file), "add-user", "a@example.com", "--group", "ops", "--no-invite")
    assert add.exit_code == 0, add.stderr
    lost = _lose_answers(monkeypatch, "AdminUpdateUserAttributes", times=1)
    run = cli("--config", str(config_file), "-o", "json", "set-group", "a@example.com", "--group", "dev")
    assert lost == ["AdminUpdateUserAttributes"]  # the fault did fire
    assert run.exit_code == 0, run.stderr
    assert _group(aws, pool, "a@example.com") == "dev"
    assert "updated" in run.stdout


def test_an_import_row_whose_update_answer_is_lost_is_not_failed(
    cli: Any, config_file: Path, aws: Any, pool: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add = cli("--config", str(config_file), "add-user", "b@example.com", "--group", "ops", "--no-invite")
    assert add.exit_code == 0, add.stderr
    path = tmp_path / "u.csv"
    path.write_text("email,group\nb@example.com,dev\n")
    lost = _lose_answers(monkeypatch, "AdminUpdateUserAttributes", times=2)
    run = cli("--config", str(config_file), "-o", "json", "import-users", str(path), "--no-invite")
    assert lost == ["AdminUpdateUserAttributes"] * 2
    assert run.exit_code == 0, run.stderr
    rows = json.loads(run.stdout)["rows"]
    assert [(r["email"], r["outcome"]) for r in rows] == [("b@example.com", "updated")]
    assert _group(aws, pool, "b@example.com") == "dev"


def test_every_answer_lost_the_user_is_read_back(
    cli: Any, config_file: Path, aws: Any, pool: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every repeat's answer lost too: AdminGetUser shows the update was applied, so the row is updated, not failed;
    an update that was not applied (the read-back disagrees) still fails."""
    from cognito_privx import retry

    monkeypatch.setattr(retry._Backoff, "__call__", lambda self, state: 0.0)  # no waiting between the repeats
    add = cli("--config", str(config_file), "add-user", "c@example.com", "--group", "ops", "--no-invite")
    assert add.exit_code == 0, add.stderr
    lost = _lose_answers(monkeypatch, "AdminUpdateUserAttributes", times=1000)
    run = cli("--config", str(config_file), "set-group", "c@example.com", "--group", "dev")
    assert len(lost) == 8  # PoolUsers.max_attempts, all lost
    assert run.exit_code == 0, run.stderr
    assert _group(aws, pool, "c@example.com") == "dev"

    from moto.cognitoidp import models

    def not_applied(self: Any, *args: Any, **kwargs: Any) -> None:
        return None  # the request went out, Cognito did nothing, the answer was lost

    monkeypatch.setattr(models.CognitoIdpBackend, "admin_update_user_attributes", not_applied)
    failed = cli("--config", str(config_file), "set-group", "c@example.com", "--group", "ops")
    assert failed.exit_code == 1 and "connection to Cognito failed" in failed.stderr
    assert _group(aws, pool, "c@example.com") == "dev"
