"""``rotate-secret``: moto (with the client-secret calls of sandbox/moto_fixes.py), the hosted-UI stand-in (its token
endpoint takes any active secret) and the PrivX emulator as relying party, all in-process (``tests.support.login``'s
``rig``). The client id stays, one secret is left, PrivX holds it (the rehearsed login passes), a crash after any
step is finished by a re-run, and setup never guesses between two secrets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cognito_privx import cognito, privx, rotation
from cognito_privx.sandbox.emulator import PrivXEmulator
from tests.support.constants import REGION


class Crash(BaseException):  # a crash is no exception the CLI boundary could catch
    """A run killed between two steps."""


def _ids(aws: Any) -> tuple[str, str]:
    pool = aws.list_user_pools(MaxResults=60)["UserPools"][0]["Id"]
    client = aws.list_user_pool_clients(UserPoolId=pool, MaxResults=60)["UserPoolClients"][0]["ClientId"]
    return pool, client


def _secret_ids(aws: Any) -> list[str]:
    pool, client = _ids(aws)
    return [
        s["ClientSecretId"]
        for s in aws.list_user_pool_client_secrets(UserPoolId=pool, ClientId=client)["ClientSecrets"]
    ]


def _marker(emu: PrivXEmulator) -> str | None:
    directory = next(s for s in emu.sources.values() if s["name"] == "Cognito")
    return privx.secret_id_of(directory)


def _held_value(emu: PrivXEmulator) -> str:
    directory = next(s for s in emu.sources.values() if s["name"] == "Cognito")
    return str(directory["connection"]["oidc_client_secret"])  # the emulator's own store, not the masked GET


def _active_value(pool: str, client: str) -> str:
    """The one active secret's value, from the stand-in's own state (DescribeUserPoolClient may show none)."""
    from moto.cognitoidp.models import cognitoidp_backends

    from cognito_privx.sandbox.moto_fixes import client_secrets

    moto_client = cognitoidp_backends["123456789012"][REGION].user_pools[pool].clients[client]
    (only,) = client_secrets(moto_client)
    return str(only["ClientSecretValue"])


def _value_of(pool: str, client: str, secret_id: str) -> str:
    """A secret's value by id, from the stand-in's own state."""
    from moto.cognitoidp.models import cognitoidp_backends

    from cognito_privx.sandbox.moto_fixes import client_secrets

    moto_client = cognitoidp_backends["123456789012"][REGION].user_pools[pool].clients[client]
    return next(str(s["ClientSecretValue"]) for s in client_secrets(moto_client) if s["ClientSecretId"] == secret_id)


def _login_ok(cli: Any, config: Path) -> dict[str, Any]:
    run = cli("--config", str(config), "-o", "json", "doctor", "--login")
    checks = {c["name"]: c for c in json.loads(run.stdout)["checks"]}
    assert checks["login:dev"]["status"] == "ok", checks["login:dev"]
    return checks


def _rotate(cli: Any, config: Path) -> dict[str, Any]:
    run = cli("--config", str(config), "-o", "json", "rotate-secret", "--yes")
    assert run.exit_code == 0, run.stderr
    document: dict[str, Any] = json.loads(run.stdout)
    return document


def _end_state_ok(cli: Any, config: Path, aws: Any, emu: PrivXEmulator, client_id: str) -> str:
    """One secret, PrivX holds it (by our marker and by value), the client id kept, the login works."""
    (only,) = _secret_ids(aws)
    assert _marker(emu) == only
    pool, client = _ids(aws)
    assert client == client_id
    assert _held_value(emu) == _active_value(pool, client)  # Cognito may no longer show it (both readings run)
    _login_ok(cli, config)
    return only


def test_rotation_keeps_the_client_ends_with_one_secret_and_privx_holds_it(
    cli: Any, config_file: Path, aws: Any, rig: PrivXEmulator
) -> None:
    assert cli("--config", str(config_file), "setup").exit_code == 0
    (first,) = _secret_ids(aws)
    assert _marker(rig) == first  # setup records the id of the secret it sent
    _, client_id = _ids(aws)
    old_value = _held_value(rig)

    done = _rotate(cli, config_file)
    new = _end_state_ok(cli, config_file, aws, rig, client_id)
    assert new != first and done["secret_id"] == new
    assert _held_value(rig) != old_value
    assert [(c["resource"], c["action"]) for c in done["changes"]] == [
        ("cognito client secret", "create"),
        ("privx directory", "update"),
        ("cognito client secret", "delete"),
    ]
    # Two rotations in a row.
    again = _rotate(cli, config_file)
    assert _end_state_ok(cli, config_file, aws, rig, client_id) == again["secret_id"] != new
    # setup afterwards changes nothing.
    run = cli("--config", str(config_file), "-o", "json", "setup")
    assert {c["action"] for c in json.loads(run.stdout)["changes"]} == {"noop"}


def test_no_secret_value_in_any_output(cli: Any, config_file: Path, aws: Any, rig: PrivXEmulator) -> None:
    assert cli("--config", str(config_file), "setup").exit_code == 0
    text = cli("--config", str(config_file), "rotate-secret", "--yes")
    document = _rotate(cli, config_file)
    value = _held_value(rig)
    for out in (text.stdout, text.stderr, json.dumps(document)):
        assert value not in out
    assert "rotated in" in text.stderr


def _crash_after_add(monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(*_: Any, **__: Any) -> str | None:
        raise Crash

    monkeypatch.setattr(rotation, "prove", crash)


def _crash_after_proof(monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(*_: Any, **__: Any) -> Any:
        raise Crash

    monkeypatch.setattr(rotation.privx, "ensure_directory", crash)


def _crash_after_hand_over(monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(*_: Any, **__: Any) -> None:
        raise Crash

    monkeypatch.setattr(rotation.cognito, "delete_secret", crash)


@pytest.mark.parametrize(
    ("crash", "privx_holds_new", "setup_note"),
    [
        (_crash_after_add, False, "PrivX holds {old} (our marker): kept"),
        (_crash_after_proof, False, "PrivX holds {old} (our marker): kept"),
        (_crash_after_hand_over, True, "PrivX holds {new} (our marker): kept"),
    ],
)
def test_a_crash_after_each_step_then_a_rerun_ends_in_the_same_state(
    cli: Any,
    config_file: Path,
    aws: Any,
    rig: PrivXEmulator,
    monkeypatch: pytest.MonkeyPatch,
    crash: Any,
    privx_holds_new: bool,
    setup_note: str,
) -> None:
    assert cli("--config", str(config_file), "setup").exit_code == 0
    (old,) = _secret_ids(aws)
    _, client_id = _ids(aws)
    with monkeypatch.context() as m:
        crash(m)
        with pytest.raises(Crash):
            cli("--config", str(config_file), "rotate-secret", "--yes")
    ids = _secret_ids(aws)
    assert len(ids) == 2 and ids[0] == old
    new = ids[1]
    new_value = _value_of(*_ids(aws), new)
    assert _marker(rig) == (new if privx_holds_new else old)
    # Meanwhile PrivX's login works, with whichever secret it holds (the token endpoint takes either).
    _login_ok(cli, config_file)
    # setup does not guess: it keeps the one our marker names, and says so.
    run = cli("--config", str(config_file), "-o", "json", "setup")
    assert run.exit_code == 0, run.stderr
    changes = json.loads(run.stdout)["changes"]
    directory = next(c for c in changes if c["resource"] == "privx directory")
    assert directory["action"] == "noop"
    assert setup_note.format(old=old, new=new) in " ".join(directory["notes"])
    assert _marker(rig) == (new if privx_holds_new else old)

    _rotate(cli, config_file)
    final = _end_state_ok(cli, config_file, aws, rig, client_id)
    if privx_holds_new:
        assert final == new and _held_value(rig) == new_value  # finished
    else:
        # Cleanly restarted: the unrecorded secret deleted, a fresh one issued. Ids are <client-id>--<epoch>, so
        # within one second the fresh one may carry the deleted one's id: compare values.
        assert final != old and _held_value(rig) != new_value


def test_a_secret_the_token_endpoint_refuses_never_reaches_privx(
    cli: Any, config_file: Path, aws: Any, rig: PrivXEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli("--config", str(config_file), "setup").exit_code == 0
    (old,) = _secret_ids(aws)
    held = _held_value(rig)
    monkeypatch.setattr(rotation, "prove", lambda *_, **__: "answered HTTP 401 invalid_client")
    run = cli("--config", str(config_file), "rotate-secret", "--yes")
    assert run.exit_code == 1
    assert "could not be proven" in run.stderr
    assert _secret_ids(aws) == [old] and _marker(rig) == old and _held_value(rig) == held


def test_rotate_secret_needs_a_confirmation_without_a_terminal(
    cli: Any, config_file: Path, aws: Any, rig: PrivXEmulator
) -> None:
    assert cli("--config", str(config_file), "setup").exit_code == 0
    before = _secret_ids(aws)
    run = cli("--config", str(config_file), "rotate-secret")
    assert run.exit_code == 2 and "--yes" in run.stderr
    assert _secret_ids(aws) == before


def test_generated_values_fit_cognitos_pattern() -> None:
    import re

    for _ in range(50):
        assert re.fullmatch(r"[\w+]{24,64}", rotation.new_secret_value())
    assert cognito.ClientSecret("x", None).id == "x" and REGION


def _age_secrets(pool: str, client: str, days: int) -> None:
    """Move the client's secrets back in time, in moto's own state."""
    import datetime

    from moto.cognitoidp.models import cognitoidp_backends

    from cognito_privx.sandbox.moto_fixes import client_secrets

    moto_client = cognitoidp_backends["123456789012"][REGION].user_pools[pool].clients[client]
    for secret in client_secrets(moto_client):
        secret["Date"] -= datetime.timedelta(days=days)


def test_plan_and_doctor_show_the_age_and_doctor_warns_past_the_maximum(
    cli: Any, config_file: Path, aws: Any, rig: PrivXEmulator
) -> None:
    config_file.write_text(config_file.read_text().replace("[privx]", "max_secret_age_days = 90\n\n[privx]", 1))
    assert cli("--config", str(config_file), "setup").exit_code == 0
    pool, client = _ids(aws)
    (held,) = _secret_ids(aws)
    _age_secrets(pool, client, 120)
    plan = json.loads(cli("--config", str(config_file), "-o", "json", "plan").stdout)
    directory = next(c for c in plan["changes"] if c["resource"] == "privx directory")
    assert f"client secret {held}, 120 day(s) old" in directory["notes"]
    check = _login_ok(cli, config_file)["client-secret"]
    assert check["status"] == "warn" and "older than max_secret_age_days = 90" in check["message"]
    assert "rotate-secret" in check["hint"]

    _rotate(cli, config_file)
    check = _login_ok(cli, config_file)["client-secret"]
    assert check["status"] == "ok" and check["message"].endswith("0 day(s) old")


def test_doctor_names_an_unfinished_rotation(
    cli: Any, config_file: Path, aws: Any, rig: PrivXEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli("--config", str(config_file), "setup").exit_code == 0
    with monkeypatch.context() as m:
        _crash_after_hand_over(m)
        with pytest.raises(Crash):
            cli("--config", str(config_file), "rotate-secret", "--yes")
    check = _login_ok(cli, config_file)["client-secret"]
    assert check["status"] == "warn" and "a rotation is unfinished" in check["message"]


def test_rotate_secret_before_setup_says_to_run_setup(
    cli: Any, config_file: Path, aws: Any, rig: PrivXEmulator
) -> None:
    run = cli("--config", str(config_file), "rotate-secret", "--yes")
    assert run.exit_code == 1
    assert "nothing to rotate" in run.stderr and "cognito-privx setup" in run.stderr


def test_a_second_secret_someone_else_added_is_left_and_reported(
    cli: Any, config_file: Path, aws: Any, rig: PrivXEmulator
) -> None:
    """Issue 20: a secret cognito-privx neither created nor handed to PrivX is not ours to delete. Cognito allows
    two, so it blocks adding ours: the rotation refuses with a hint, and changes nothing."""
    assert cli("--config", str(config_file), "setup").exit_code == 0
    (ours,) = _secret_ids(aws)
    pool, client = _ids(aws)
    theirs = aws.add_user_pool_client_secret(UserPoolId=pool, ClientId=client)["ClientSecretDescriptor"][
        "ClientSecretId"
    ]
    run = cli("--config", str(config_file), "rotate-secret", "--yes")
    assert run.exit_code != 0
    assert theirs in run.stderr and "hint:" in run.stderr
    assert _secret_ids(aws) == [ours, theirs]
    assert _marker(rig) == ours


@pytest.mark.parametrize("status", [400, 401])
def test_the_proof_reads_the_error_whatever_the_status(monkeypatch: pytest.MonkeyPatch, status: int) -> None:
    """AWS's guide shows 400 for every token-endpoint error; RFC 6749 allows 401 for invalid_client: the proof
    goes by the error code alone."""
    import httpx

    from cognito_privx import net

    class Gateway:
        def trust(self) -> Any:
            return net.aws_trust(None, environ={})

    monkeypatch.setattr(rotation, "token_endpoint", lambda *_: "https://auth.example/oauth2/token")
    for error, proven in (("invalid_grant", True), ("invalid_client", False)):
        transport = httpx.MockTransport(lambda _r, e=error: httpx.Response(status, json={"error": e}))
        desired = type("D", (), {"client": type("C", (), {"callback_url": "https://x/cb"})()})()
        problem = rotation.prove(Gateway(), desired, {"Id": "p"}, "c", "v" * 48, transport)  # type: ignore[arg-type]
        assert (problem is None) is proven, problem
        if not proven:
            assert f"HTTP {status} invalid_client" in str(problem)
