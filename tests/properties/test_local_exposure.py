"""Local exposure (issue 20, item 5): what another local user, a shared terminal or a log can see.

- A temporary password on the command line is in ``ps`` (``/proc/PID/cmdline`` is world-readable) and in the shell
  history: ``--temporary-password`` warns and names the alternatives (a hidden prompt asked twice, stdin, the
  environment), which reach Cognito the same way.
- Every file the tool writes (``sandbox --env-file``, ``import-users --report``, ``init``'s config) is 0600 even
  under umask 022, an existing one too (replaced by a new file, so an open descriptor sees nothing new).
- A value from Cognito or PrivX is printed with its control characters and bidi overrides escaped (an ESC
  sequence can clear the screen, retitle the window or hide text; "Trojan Source" bidi overrides reorder it);
  ``--output json`` keeps it exact.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cognito_privx import render
from cognito_privx.cli import users as users_cli
from cognito_privx.errors import CognitoError
from cognito_privx.plan import Action, Change

pytestmark = pytest.mark.usefixtures("emulator")

PASSWORD = "Tmp-Pw-4kQ!x9Lz-secret"
ADD = ("add-user", "dora@example.com", "--group", "ops")
HOSTILE = "Mallory\x1b[2J\x1b]0;owned\x07\u202eevil\u2066x\u2069\x9b31m\x7f"


def _temporary_password_works(aws: Any, pool: str, email: str, password: str) -> bool:
    """Whether ``password`` is the user's temporary password: Cognito answers it with NEW_PASSWORD_REQUIRED."""
    client = aws.create_user_pool_client(
        UserPoolId=pool, ClientName="probe", ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    try:
        answer = aws.admin_initiate_auth(
            UserPoolId=pool,
            ClientId=client,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": password},
        )
    except aws.exceptions.NotAuthorizedException:
        return False
    finally:
        aws.delete_user_pool_client(UserPoolId=pool, ClientId=client)
    return bool(answer.get("ChallengeName") == "NEW_PASSWORD_REQUIRED")


def _status(aws: Any, pool: str, email: str) -> str | None:
    try:
        return str(aws.admin_get_user(UserPoolId=pool, Username=email)["UserStatus"])
    except aws.exceptions.UserNotFoundException:
        return None


# -- temporary passwords ---------------------------------------------------------------------------------------


def test_the_flag_warns_that_ps_shows_it_and_names_the_alternatives(
    cli: Any, config_file: Path, aws: Any, pool: str
) -> None:
    run = cli("--config", str(config_file), *ADD, "--temporary-password", PASSWORD)
    assert run.exit_code == 0, run.stderr
    warning = next(line for line in run.stderr.splitlines() if line.startswith("warning:"))
    assert "ps" in warning and "shell history" in warning
    for alternative in (
        "--temporary-password-prompt",
        "--temporary-password-stdin",
        "COGNITO_PRIVX_TEMPORARY_PASSWORD",
    ):
        assert alternative in run.stderr
    assert PASSWORD not in run.stdout + run.stderr
    assert _status(aws, pool, "dora@example.com") == "FORCE_CHANGE_PASSWORD"
    assert _temporary_password_works(aws, pool, "dora@example.com", PASSWORD)
    assert not _temporary_password_works(aws, pool, "dora@example.com", "Other-" + PASSWORD)  # the probe tells


def test_stdin_reaches_cognito(cli: Any, config_file: Path, aws: Any, pool: str) -> None:
    run = cli("--config", str(config_file), *ADD, "--temporary-password-stdin", input=PASSWORD + "\n")
    assert run.exit_code == 0, run.stderr
    assert "warning" not in run.stderr and PASSWORD not in run.stdout + run.stderr
    assert _temporary_password_works(aws, pool, "dora@example.com", PASSWORD)


def test_the_environment_reaches_cognito_without_a_warning(
    cli: Any, config_file: Path, aws: Any, pool: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COGNITO_PRIVX_TEMPORARY_PASSWORD", PASSWORD)
    run = cli("--config", str(config_file), *ADD)
    assert run.exit_code == 0, run.stderr
    assert "warning" not in run.stderr and PASSWORD not in run.stdout + run.stderr
    assert _temporary_password_works(aws, pool, "dora@example.com", PASSWORD)


def test_the_prompt_asks_twice_hidden_and_reaches_cognito(
    cli: Any, config_file: Path, aws: Any, pool: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(users_cli, "interactive", lambda: True)
    run = cli("--config", str(config_file), *ADD, "--temporary-password-prompt", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert run.exit_code == 0, run.stderr
    assert run.stderr.count("emporary password") >= 2  # asked, then asked again
    assert PASSWORD not in run.stdout + run.stderr  # hidden: CliRunner echoes only visible input
    assert _temporary_password_works(aws, pool, "dora@example.com", PASSWORD)


def test_two_different_answers_change_nothing(
    cli: Any, config_file: Path, aws: Any, pool: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(users_cli, "interactive", lambda: True)
    run = cli("--config", str(config_file), *ADD, "--temporary-password-prompt", input=f"{PASSWORD}\nTypo-{PASSWORD}\n")
    assert run.exit_code == 2
    assert "error: the two temporary passwords differ" in run.stderr and "hint:" in run.stderr
    assert PASSWORD not in run.stdout + run.stderr
    assert _status(aws, pool, "dora@example.com") is None


def test_no_prompt_without_a_terminal(cli: Any, config_file: Path, aws: Any, pool: str) -> None:
    run = cli("--config", str(config_file), *ADD, "--temporary-password-prompt")
    assert run.exit_code == 2
    lines = run.stderr.splitlines()
    assert lines[0].startswith("error: --temporary-password-prompt needs a terminal")
    assert lines[1].startswith("hint:") and "--temporary-password-stdin" in lines[1]
    assert _status(aws, pool, "dora@example.com") is None


@pytest.mark.parametrize(
    ("args", "stdin", "env"),
    [
        (("--temporary-password", PASSWORD, "--temporary-password-stdin"), PASSWORD, None),
        (("--temporary-password-stdin",), PASSWORD, PASSWORD),
        (("--temporary-password-prompt", "--temporary-password-stdin"), PASSWORD, None),
    ],
    ids=["flag+stdin", "stdin+env", "prompt+stdin"],
)
def test_two_sources_are_refused(
    cli: Any,
    config_file: Path,
    aws: Any,
    pool: str,
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, ...],
    stdin: str,
    env: str | None,
) -> None:
    if env is not None:
        monkeypatch.setenv("COGNITO_PRIVX_TEMPORARY_PASSWORD", env)
    run = cli("--config", str(config_file), *ADD, *args, input=stdin + "\n")
    assert run.exit_code == 2
    assert "error: a temporary password from two places" in run.stderr
    assert PASSWORD not in run.stdout + run.stderr
    assert _status(aws, pool, "dora@example.com") is None


def test_an_empty_stdin_is_refused(cli: Any, config_file: Path, aws: Any, pool: str) -> None:
    run = cli("--config", str(config_file), *ADD, "--temporary-password-stdin", input="")
    assert run.exit_code == 2 and "error: no temporary password on stdin" in run.stderr
    assert _status(aws, pool, "dora@example.com") is None


# -- files written 0600 ------------------------------------------------------------------------------------------


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("umask_022")
def test_init_writes_its_config_0600(cli: Any, tmp_path: Path) -> None:
    run = cli("--config", str(tmp_path / "new.toml"), "init", "--region", "eu-west-1")
    assert run.exit_code == 0, run.stderr
    assert _mode(tmp_path / "new.toml") == 0o600


@pytest.mark.usefixtures("umask_022")
@pytest.mark.parametrize("suffix", ["csv", "json"])
def test_reports_are_0600_and_an_existing_one_is_replaced(
    cli: Any, config_file: Path, aws: Any, pool: str, tmp_path: Path, suffix: str
) -> None:
    users = tmp_path / "users.csv"
    users.write_text("email,group,name\nerin@example.com,ops,Erin Example\n")
    report = tmp_path / f"report.{suffix}"
    report.write_text("old, readable by all\n")
    report.chmod(0o644)
    with report.open() as reader:  # someone who opened the old file keeps seeing only the old file
        run = cli("--config", str(config_file), "import-users", str(users), "--workers", "1", "--report", str(report))
        assert run.exit_code == 0, run.stderr
        assert reader.read() == "old, readable by all\n"
    assert _mode(report) == 0o600
    assert "erin@example.com" in report.read_text()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".report")]  # no temporary file left


@pytest.mark.usefixtures("umask_022")
def test_the_sandbox_env_file_is_0600(tmp_path: Path) -> None:
    env_file = tmp_path / "sandbox.env"
    env_file.write_text("stale\n")
    env_file.chmod(0o644)
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PRIVX_", "COGNITO_PRIVX_"))}
    clean["PYTHONPATH"] = str(Path(__file__).parents[2] / "src")
    proc = subprocess.Popen(
        [sys.executable, "-m", "cognito_privx", "sandbox", "--env-file", str(env_file)],
        env=clean,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while env_file.read_text() == "stale\n":
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()[1]
            time.sleep(0.05)
        assert _mode(env_file) == 0o600
        assert "PRIVX_API_CLIENT_SECRET" in env_file.read_text()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)
    assert not [p for p in tmp_path.iterdir() if p.name != "sandbox.env"]


# -- values printed escaped --------------------------------------------------------------------------------------


def _plant(aws: Any, pool: str) -> None:
    """A user made by someone else (the console, another tool): control characters and bidi overrides in the
    name and the group."""
    aws.admin_create_user(
        UserPoolId=pool,
        Username="mallory@example.com",
        MessageAction="SUPPRESS",
        UserAttributes=[
            {"Name": "email", "Value": "mallory@example.com"},
            {"Name": "name", "Value": HOSTILE},
            {"Name": "custom:group", "Value": "ops\x1b[8m\u202e"},
        ],
    )


def _no_raw_controls(text: str) -> None:
    for raw in ("\x1b", "\x07", "\x9b", "\x7f", "\u202e", "\u2066", "\u2069"):
        assert raw not in text, repr(raw)


def test_list_users_escapes_names_and_groups_in_text_and_keeps_json_exact(
    cli: Any, config_file: Path, aws: Any, pool: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")  # every escape code left would be the value's own
    _plant(aws, pool)
    text = cli("--config", str(config_file), "list-users")
    assert text.exit_code == 0, text.stderr
    _no_raw_controls(text.stdout + text.stderr)
    assert "Mallory\\x1b[2J\\x1b]0;owned\\x07\\u202eevil\\u2066x\\u2069\\x9b31m\\x7f" in text.stdout
    assert "ops\\x1b[8m\\u202e" in text.stdout

    listed = json.loads(cli("--config", str(config_file), "-o", "json", "list-users").stdout)["users"]
    mallory = next(u for u in listed if u["email"] == "mallory@example.com")
    assert mallory["name"] == HOSTILE and mallory["group"] == "ops\x1b[8m\u202e"


def test_a_changed_group_is_shown_escaped(
    cli: Any, config_file: Path, aws: Any, pool: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    _plant(aws, pool)
    run = cli("--config", str(config_file), "set-group", "mallory@example.com", "--group", "ops")
    assert run.exit_code == 0, run.stderr
    _no_raw_controls(run.stdout + run.stderr)
    assert "ops\\x1b[8m\\u202e → ops" in run.stderr
    attrs = aws.admin_get_user(UserPoolId=pool, Username="mallory@example.com")["UserAttributes"]
    assert {a["Name"]: a["Value"] for a in attrs}["custom:group"] == "ops"


@pytest.mark.parametrize(
    "show",
    [
        lambda: render.error(CognitoError(f"Cognito ListUsers failed: {HOSTILE}", f"ask {HOSTILE}")),
        lambda: render.problem(HOSTILE, HOSTILE),
        lambda: render.info(f"PrivX said {HOSTILE}"),
        lambda: render.text(HOSTILE),
        lambda: render.data(HOSTILE),
        lambda: render.change(Change("PrivX role", HOSTILE, Action.CREATE, notes=(HOSTILE,)), done=False),
    ],
    ids=["error", "problem", "info", "text", "data", "change"],
)
def test_every_text_output_escapes_what_it_quotes(
    show: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    show()
    out, err = capsys.readouterr()
    _no_raw_controls(out + err)
    assert "Mallory\\x1b[2J" in out + err
