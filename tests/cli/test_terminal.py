"""The terminal and the JSON as a new user meets them (issue 13): plan on stdout, JSON that carries data, help
without placeholders, global options after the command, prompts, NO_COLOR, completion, `init`, the callback from
a normalised URL, a domain prefix of another account, a busy sandbox port.
"""

from __future__ import annotations

import io
import json
import socket
import tomllib
from pathlib import Path
from typing import Any

import botocore.exceptions
import pytest
from typer.testing import CliRunner

from cognito_privx import cli as cli_module
from cognito_privx import render
from cognito_privx.cli import app
from cognito_privx.cli import deploy as deploy_cli
from cognito_privx.cognito import domain_taken_error, observe_domain
from cognito_privx.config import load_config, normalise_url
from cognito_privx.desired import DomainSpec
from cognito_privx.errors import CognitoError, ConflictError
from cognito_privx.plan import Action, Change
from cognito_privx.sandbox.emulator import Fault, PrivXEmulator
from tests.support.constants import BASE_CONFIG, PRIVX_URL
from tests.support.emulator import faults_served

# -- URLs and domains ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "normal"),
    [
        ("https://PrivX.Example.com/", "https://privx.example.com"),
        ("HTTPS://privx.example.com:443", "https://privx.example.com"),
        ("https://privx.example.com:8443/", "https://privx.example.com:8443"),
        ("http://LOCALHOST:80/", "http://localhost"),
    ],
)
def test_privx_urls_are_normalised(typed: str, normal: str) -> None:
    assert normalise_url(typed) == normal


@pytest.mark.usefixtures("aws")
def test_the_callback_registered_comes_from_the_normalised_url(
    cli: Any, tmp_path: Path, aws: Any, emulator: PrivXEmulator
) -> None:
    config = tmp_path / "c.toml"
    config.write_text(BASE_CONFIG.replace(f'url = "{PRIVX_URL}"', 'url = "https://PrivX.Example.com:443/"'))
    assert load_config(config).callback_url == "https://privx.example.com/auth/api/v1/oidc-cb"
    run = cli("--config", str(config), "setup")
    assert run.exit_code == 0, run.stderr
    pool = aws.list_user_pools(MaxResults=60)["UserPools"][0]["Id"]
    client_id = aws.list_user_pool_clients(UserPoolId=pool, MaxResults=60)["UserPoolClients"][0]["ClientId"]
    client = aws.describe_user_pool_client(UserPoolId=pool, ClientId=client_id)["UserPoolClient"]
    assert client["CallbackURLs"] == ["https://privx.example.com/auth/api/v1/oidc-cb"]


class _OtherAccountDomain:
    """A gateway whose DescribeUserPoolDomain names a pool this account cannot describe."""

    def describe_domain(self, prefix: str) -> dict[str, Any]:
        return {"Domain": prefix, "UserPoolId": "eu-west-1_TheirPool"}

    def describe_pool(self, pool_id: str) -> dict[str, Any]:
        raise CognitoError(f"Cognito DescribeUserPool failed: ResourceNotFoundException: {pool_id}", "")


def test_a_domain_prefix_of_another_account_is_said_plainly() -> None:
    with pytest.raises(ConflictError) as raised:
        observe_domain(_OtherAccountDomain(), DomainSpec("acme-privx"), None)  # type: ignore[arg-type]
    assert raised.value.message == (
        "the domain prefix 'acme-privx' is taken by a user pool of another AWS account (or one you cannot read): "
        "eu-west-1_TheirPool"
    )


def test_create_domain_refused_as_taken_names_another_account() -> None:
    refusal = botocore.exceptions.ClientError(
        {
            "Error": {
                "Code": "InvalidParameterException",
                "Message": "Domain already associated with another user pool.",
            }
        },
        "CreateUserPoolDomain",
    )
    error = CognitoError("Cognito CreateUserPoolDomain failed: InvalidParameterException: Domain already associated")
    error.__cause__ = refusal
    taken = domain_taken_error("acme-privx", error)
    assert taken is not None
    assert taken.message == "the domain prefix 'acme-privx' is taken by a user pool of another AWS account"


# -- plan on stdout, setup's closing line, JSON ---------------------------------------------------------------------


@pytest.mark.usefixtures("aws")
def test_plan_writes_the_plan_to_stdout_and_diagnostics_to_stderr(
    cli: Any, config_file: Path, emulator: PrivXEmulator
) -> None:
    run = cli("--config", str(config_file), "plan")
    assert run.exit_code == 0, run.stderr
    assert "+ create cognito user pool privx-users" in run.stdout
    assert run.stdout.splitlines()[-1].startswith("Plan: 7 to create")
    assert run.stderr.startswith("target: ") and "create cognito" not in run.stderr


def test_a_setup_that_stops_says_what_it_had_done() -> None:
    done = [
        Change("cognito user pool", "p", Action.CREATE),
        Change("cognito app client", "c", Action.UPDATE),
        Change("cognito group", "g", Action.NOOP),
    ]
    assert render.stopped_summary(done) == (
        "Stopped; done before that: 1 created, 1 updated (see the lines above). Run setup again to finish."
    )
    assert render.stopped_summary(done[2:]) == "Stopped before changing anything."


@pytest.mark.usefixtures("aws")
def test_setup_failing_half_way_ends_with_what_was_done(cli: Any, config_file: Path, emulator: PrivXEmulator) -> None:
    emulator.add_fault(Fault(method="POST", path="/role-store/api/v1/sources", status=400, times=10))
    run = cli("--config", str(config_file), "setup")
    assert run.exit_code == 1
    assert faults_served(emulator) == [("POST", "/role-store/api/v1/sources", "status 400")]
    assert "+ created cognito user pool privx-users" in run.stderr
    assert "Stopped; done before that: " in run.stderr and "Run setup again to finish." in run.stderr


@pytest.mark.usefixtures("aws")
def test_role_changes_in_json_carry_role_and_group(cli: Any, config_file: Path, emulator: PrivXEmulator) -> None:
    doc = json.loads(cli("--config", str(config_file), "-o", "json", "plan").stdout)
    roles = {c["role"]: c for c in doc["changes"] if c["resource"] == "privx role"}
    assert (roles["developers"]["group"], roles["developers"]["groups"]) == ("dev", ["dev"])
    assert roles["ops-admins"]["group"] == "ops"
    assert cli("--config", str(config_file), "setup").exit_code == 0
    config_file.write_text(BASE_CONFIG.replace('dev = "developers"\n', ""))
    revoke = json.loads(cli("--config", str(config_file), "-o", "json", "plan").stdout)
    (gone,) = [c for c in revoke["changes"] if c["action"] == "delete"]
    assert (gone["role"], gone["group"], gone["verb"]) == ("developers", "dev", "revoke")


def test_demo_refuses_json(cli: Any) -> None:
    run = cli("-o", "json", "demo")
    assert run.exit_code == 2
    assert run.stderr.splitlines()[0] == "error: demo tells a story in text and has no JSON output"
    assert run.stdout == ""


# -- help, global options, prompts, colour, completion -----------------------------------------------------------------


@pytest.mark.parametrize("command", ["setup", "teardown", "add-user", "import-users", "doctor"])
def test_help_shows_no_bool_placeholder_and_lists_the_global_options(cli: Any, command: str) -> None:
    text = cli(command, "--help").stdout
    assert "<bool>" not in text
    assert "--region" in text and "--config" in text  # the hints name them: this help lists them


def test_help_keeps_roles_in_brackets(cli: Any) -> None:
    assert "[roles] key" in cli("add-user", "--help").stdout


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["setup", "--region", "us-east-2"], ["--region", "us-east-2", "setup"]),
        (["setup", "--dry-run", "-o", "json"], ["-o", "json", "setup", "--dry-run"]),
        (["list-users", "--output=json", "-g", "ops"], ["--output=json", "list-users", "-g", "ops"]),
        (["-c", "x.toml", "plan", "--debug"], ["-c", "x.toml", "--debug", "plan"]),
        (["add-user", "a@x.org", "--", "--region"], ["add-user", "a@x.org", "--", "--region"]),
    ],
)
def test_global_options_after_the_command_move_in_front(args: list[str], expected: list[str]) -> None:
    from typer.main import get_command

    group: Any = get_command(app)
    assert cli_module.globals_first(args, group.params, group.commands) == expected


def test_global_options_after_the_command_take_effect(cli: Any, config_file: Path) -> None:
    run = cli("plan", "--config", str(config_file), "--region", "not-a-region")
    assert run.exit_code == 2
    assert "--region: [cognito] region: 'not-a-region' is not an AWS region name" in run.stderr


@pytest.mark.usefixtures("aws", "emulator")
def test_remove_user_without_a_terminal_is_one_clear_line(cli: Any, config_file: Path) -> None:
    assert cli("--config", str(config_file), "setup").exit_code == 0
    assert cli("--config", str(config_file), "add-user", "a@example.com", "-g", "ops", "--no-invite").exit_code == 0
    run = cli("--config", str(config_file), "remove-user", "a@example.com")
    assert run.exit_code == 2 and run.stdout == ""
    assert run.stderr.splitlines() == [
        "error: remove-user needs a confirmation; a@example.com was not removed",
        "hint: run it in a terminal to confirm, or pass --yes",
    ]


def test_a_busy_moto_port_is_exit_2_with_a_hint(cli: Any) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        run = cli("sandbox", "--moto-port", str(port))
    assert run.exit_code == 2
    assert f"error: cannot start the Cognito stand-in on port {port}" in run.stderr
    assert "hint: choose another --moto-port, or leave it out to take a free one" in run.stderr


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_no_color_leaves_no_escape_codes(monkeypatch: pytest.MonkeyPatch) -> None:
    change = Change("cognito user pool", "privx-users", Action.CREATE)
    monkeypatch.delenv("NO_COLOR", raising=False)
    coloured = _Terminal()
    render.change(change, done=True, out=render.console(coloured))
    assert "\x1b[" in coloured.getvalue()  # the control: a terminal gets colour
    monkeypatch.setenv("NO_COLOR", "1")
    plain = _Terminal()
    render.change(change, done=True, out=render.console(plain))
    assert plain.getvalue() == "+ created cognito user pool privx-users\n"


def test_a_value_with_an_emoji_code_shows_as_written(monkeypatch: pytest.MonkeyPatch) -> None:
    # rich replaces ":name:" with an emoji by default: a display name or a server's message is shown as it is.
    monkeypatch.setenv("NO_COLOR", "1")
    out = io.StringIO()
    render.console(out).print(f"{render.markup_value('Ann :fire: Lee')} {render.markup_text('code :smile:')}")
    assert out.getvalue() == "Ann :fire: Lee code :smile:\n"


def test_no_color_help_has_no_escape_codes(monkeypatch: pytest.MonkeyPatch) -> None:
    from typer import rich_utils

    monkeypatch.setattr(rich_utils, "FORCE_TERMINAL", True)
    monkeypatch.setattr(rich_utils, "COLOR_SYSTEM", "auto")
    monkeypatch.setenv("NO_COLOR", "1")
    text = CliRunner().invoke(app, ["setup", "--help"]).stdout
    assert "--dry-run" in text and "\x1b[" not in text


def test_shell_completion_completes_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"_COGNITO_PRIVX_COMPLETE": "complete_bash", "COMP_WORDS": "cognito-privx resend", "COMP_CWORD": "1"}
    run = CliRunner().invoke(app, [], prog_name="cognito-privx", env=env)
    assert run.exit_code == 0 and run.stdout.splitlines() == ["resend-invite"]
    # Without this, typer detects the shell from the process tree (shellingham), which a test runner may not show:
    # the option then takes the shell's name, as a user without a detectable shell types it.
    monkeypatch.setenv("_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION", "1")
    script = CliRunner().invoke(app, ["--show-completion", "bash"], prog_name="cognito-privx")
    assert script.exit_code == 0, (script.output, repr(script.exception))
    assert "complete -o default -F _cognito_privx_completion cognito-privx" in script.stdout


# -- init -------------------------------------------------------------------------------------------------------------


def test_init_writes_a_commented_starter_from_flags(cli: Any, tmp_path: Path) -> None:
    run = cli("init", "--region", "eu-west-1", "--privx-url", "https://PrivX.Example.com/", "--domain-prefix", "acme")
    assert run.exit_code == 0, run.stderr
    path = tmp_path / "cognito-privx.toml"
    text = path.read_text()
    assert text.startswith("# cognito-privx configuration, written by `cognito-privx init`")
    data = tomllib.loads(text)
    assert data["cognito"] == {"region": "eu-west-1", "pool_name": "privx", "domain_prefix": "acme"}
    assert data["privx"] == {"url": "https://privx.example.com"}
    assert load_config(path).callback_url == "https://privx.example.com/auth/api/v1/oidc-cb"

    again = cli("init", "--region", "eu-west-2")
    assert again.exit_code == 2
    assert "error: cognito-privx.toml exists already; nothing was written" in again.stderr
    assert tomllib.loads(path.read_text())["cognito"]["region"] == "eu-west-1"


def test_init_asks_on_a_terminal(cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deploy_cli, "interactive", lambda: True)
    run = cli("--config", "mine.toml", "init", input="eu-north-1\nhttps://px.example.org\nteam-pool\n\n")
    assert run.exit_code == 0, run.stderr
    # The questions go to stderr (stdout holds only CliRunner's echo of the typed answers, a terminal's job).
    assert "AWS region" in run.stderr and "AWS region" not in run.stdout and "wrote" not in run.stdout
    data = tomllib.loads((tmp_path / "mine.toml").read_text())
    assert data["cognito"]["region"] == "eu-north-1" and data["cognito"]["pool_name"] == "team-pool"
    assert data["privx"]["url"] == "https://px.example.org"


def test_init_refuses_a_bad_value_and_writes_nothing(cli: Any, tmp_path: Path) -> None:
    run = cli("init", "--privx-url", "https://privx.example.com/privx/")
    assert run.exit_code == 2 and "init: [privx] url:" in run.stderr
    assert not (tmp_path / "cognito-privx.toml").exists()


def test_no_config_file_points_to_init(cli: Any) -> None:
    run = cli("plan")
    assert run.exit_code == 2
    assert "hint: run `cognito-privx init` to write a commented ./cognito-privx.toml, or pass --config FILE" in (
        run.stderr
    )


def test_init_checks_each_answer_as_given_and_keeps_the_others(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(deploy_cli, "interactive", lambda: True)
    monkeypatch.delenv("PRIVX_API_BASE_URL", raising=False)
    # A bad region, then a good one; a PrivX URL with a path, then a good one; the pool; a domain prefix with a
    # reserved word, then Enter for the suggested one.
    typed = "mars-east-1\neu-north-1\nhttps://px.example.org/privx\nhttps://px.example.org\nteam\naws-login\n\n"
    run = cli("--config", "mine.toml", "init", input=typed)
    assert run.exit_code == 0, run.stderr
    assert run.stderr.count("error:") == 3 and "try again" in run.stderr
    data = tomllib.loads((tmp_path / "mine.toml").read_text())
    assert data["cognito"]["region"] == "eu-north-1" and data["privx"]["url"] == "https://px.example.org"
    assert data["cognito"]["pool_name"] == "team"
    assert data["cognito"]["domain_prefix"].startswith("team-") and len(data["cognito"]["domain_prefix"]) == 11
    # The example URL is never offered as a default.
    assert "privx.example.com" not in run.stderr


def test_init_derives_a_domain_prefix_and_none_is_said_plainly(cli: Any, tmp_path: Path) -> None:
    run = cli("init", "--pool-name", "Cognito Users of AWS")
    assert run.exit_code == 0, run.stderr
    prefix = tomllib.loads((tmp_path / "cognito-privx.toml").read_text())["cognito"]["domain_prefix"]
    assert prefix.startswith("users-of-") and "aws" not in prefix and "cognito" not in prefix
    none = cli("--config", "none.toml", "init", "--domain-prefix", "")
    assert none.exit_code == 0, none.stderr
    assert "nobody can sign in until [cognito] domain_prefix is set" in none.stderr
    assert tomllib.loads((tmp_path / "none.toml").read_text())["cognito"]["domain_prefix"] == ""
