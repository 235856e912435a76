"""``import-users --engine job|auto``: Cognito's import jobs, through the job stand-in over moto (issue 15).

Each test asserts the resulting state: users in moto's pool (their status and attributes), the jobs Cognito holds
(``ListUserImportJobs``), and what the command printed or reported per row.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from cognito_privx.config import AppConfig
from cognito_privx.desired import UsersSpec
from cognito_privx.errors import CognitoError, UsageError
from cognito_privx.sandbox import import_jobs as standin
from cognito_privx.users import PoolUsers, UserRow, scan_csv
from cognito_privx.users.jobs import api as job_api
from cognito_privx.users.jobs import choice as job_choice
from cognito_privx.users.jobs import plan as job_plan
from cognito_privx.users.jobs import trust as job_trust
from cognito_privx.users.jobs.api import JobClient
from cognito_privx.users.jobs.choice import Engine, choose_engine
from cognito_privx.users.jobs.logs import LineBase, line_base
from cognito_privx.users.jobs.run import JobOptions, import_with_jobs
from tests.support.constants import BASE_CONFIG, REGION

pytestmark = pytest.mark.usefixtures("emulator", "fast_jobs")

ROLE = "arn:aws:iam::123456789012:role/CognitoImportLogs"


@pytest.fixture
def role(aws: Any) -> str:
    """The CloudWatch Logs role the stand-in (like Cognito) must be able to assume: it exists in (moto's) IAM."""
    assert standin.create_logs_role(boto3.client("iam", region_name=REGION)) == ROLE
    return ROLE


@pytest.fixture
def fast_jobs() -> Iterator[None]:
    """Jobs processed as fast as the stand-in goes, in every test here (tests change the settings inside this, never
    beyond it)."""
    with standin.configured(rate=None, pending_s=0.05):
        yield


HELD_S = 3600.0  # longer than any test: a held job leaves Pending only when released


def _release_held_jobs() -> None:
    """Every job of the account leaves Pending now: the stand-in's job thread waits out ``pending_s`` on the job's
    ``wake`` event (which a stop and the job's end set too)."""
    from moto.cognitoidp.models import cognitoidp_backends

    for moto_pool in list(cognitoidp_backends["123456789012"][REGION].user_pools.values()):
        for job in standin.jobs_of(moto_pool).values():
            job.wake.set()


class HeldJobs:
    """Jobs started while the ``held_jobs`` fixture is in force stay Pending until released: the state a re-run
    finds is known, however loaded the machine."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch

    def release_when_followed(self) -> None:
        """From now on, a run that follows a job releases the held jobs first: a job ends only after the re-run has
        chosen to follow it, never between the re-run's look at it and that choice."""
        follow = JobClient.follow

        def releasing(client: JobClient, run: Any, on_progress: Any) -> Any:
            _release_held_jobs()
            return follow(client, run, on_progress)

        self.monkeypatch.setattr(JobClient, "follow", releasing)


@pytest.fixture
def held_jobs(monkeypatch: pytest.MonkeyPatch) -> Iterator[HeldJobs]:
    """Started jobs stay Pending (the stand-in's ``pending_s``) until :meth:`HeldJobs.release_when_followed`."""
    with standin.configured(pending_s=HELD_S):
        yield HeldJobs(monkeypatch)
    _release_held_jobs()  # a test that failed half-way leaves no job thread waiting


def _csv(path: Path, rows: list[tuple[str, ...]], header: str = "email,group") -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        fh.write(header + "\n")
        csv.writer(fh).writerows(rows)
    return path


def _users(aws: Any, pool: str) -> dict[str, dict[str, Any]]:
    """The pool's users by email: {"status", "group", "name", "username"}."""
    found: dict[str, dict[str, Any]] = {}
    for page in aws.get_paginator("list_users").paginate(UserPoolId=pool, Limit=60):
        for user in page["Users"]:
            attrs = {a["Name"]: a["Value"] for a in user["Attributes"]}
            found[attrs["email"]] = {
                "status": user["UserStatus"],
                "group": attrs.get("custom:group"),
                "name": attrs.get("name"),
                "username": user["Username"],
            }
    return found


def _jobs(aws: Any, pool: str) -> list[dict[str, Any]]:
    return list(aws.list_user_import_jobs(UserPoolId=pool, MaxResults=60).get("UserImportJobs", []))


def test_engine_job_imports_new_users_reset_required(
    cli: Any, config_file: Path, aws: Any, pool: str, role: str, tmp_path: Path
) -> None:
    path = _csv(tmp_path / "u.csv", [(f"j{i}@example.com", "ops") for i in range(30)] + [("k@example.com", "dev")])
    run = cli(
        "--config", str(config_file), "-o", "json", "import-users", str(path), "--engine", "job",
        "--logs-role-arn", role,
    )  # fmt: skip
    assert run.exit_code == 0, run.stderr
    users = _users(aws, pool)
    assert len(users) == 31
    assert users["k@example.com"]["group"] == "dev" and users["j7@example.com"]["group"] == "ops"
    assert {u["status"] for u in users.values()} == {"RESET_REQUIRED"}
    summary = json.loads(run.stdout)["summary"]
    assert (summary["created"], summary["failed"], summary["engine"]) == (31, 0, "job")
    assert [j["Status"] for j in summary["jobs"]] == ["Succeeded"]
    assert summary["jobs"][0]["ImportedUsers"] == 31
    assert "PreSignedUrl" not in summary["jobs"][0]
    # Said before the job starts: what is different from the API path.
    assert "RESET_REQUIRED" in run.stderr and "no invitation" in run.stderr
    assert len(_jobs(aws, pool)) == 1


def test_existing_users_are_compared_by_api_and_only_new_ones_go_to_the_job(
    cli: Any, config_file: Path, aws: Any, pool: str, role: str, tmp_path: Path
) -> None:
    seed = _csv(tmp_path / "seed.csv", [("old@example.com", "dev"), ("same@example.com", "ops")])
    assert cli("--config", str(config_file), "import-users", str(seed), "--no-invite").exit_code == 0
    path = _csv(
        tmp_path / "u.csv", [("old@example.com", "ops"), ("same@example.com", "ops"), ("new@example.com", "ops")]
    )
    report = tmp_path / "r.json"
    run = cli(
        "--config", str(config_file), "import-users", str(path), "--engine", "job", "--logs-role-arn", role,
        "--report", str(report),
    )  # fmt: skip
    assert run.exit_code == 0, run.stderr
    users = _users(aws, pool)
    assert users["old@example.com"]["group"] == "ops"  # updated through the API
    assert users["old@example.com"]["status"] == "FORCE_CHANGE_PASSWORD"
    assert users["new@example.com"]["status"] == "RESET_REQUIRED"  # imported by the job
    rows = {r["email"]: r["outcome"] for r in json.loads(report.read_text())["rows"]}
    assert rows == {"old@example.com": "updated", "same@example.com": "unchanged", "new@example.com": "created"}
    assert _jobs(aws, pool)[0]["ImportedUsers"] == 1  # the job carried the new user only


@pytest.mark.parametrize("numbering", ["data", "file"])
def test_rows_the_job_refuses_are_reported_per_row_with_their_input_line(
    numbering: str, cli: Any, config_file: Path, aws: Any, role: str, tmp_path: Path
) -> None:
    # A pool whose `name` holds 3 characters (an adopted one, say): the job refuses the rows with a longer one.
    # Whichever way the logs number lines, the tool finds out and names the input lines. (A *required* attribute
    # the file lacks is refused before any call: tests/users/test_between_states.py.)
    created = aws.create_user_pool(
        PoolName="privx-users",
        UsernameAttributes=["email"],
        UsernameConfiguration={"CaseSensitive": False},
        AutoVerifiedAttributes=["email"],
        Schema=[
            {
                "Name": "name",
                "AttributeDataType": "String",
                "Mutable": True,
                "StringAttributeConstraints": {"MinLength": "0", "MaxLength": "3"},
            },
            {"Name": "group", "AttributeDataType": "String", "Mutable": True},
        ],
        UserPoolTags={"managed-by": "cognito-privx"},
    )
    pool = created["UserPool"]["Id"]
    with standin.configured(line_numbers=numbering):
        path = _csv(
            tmp_path / "u.csv",
            [("a@example.com", "ops", "Ann"), ("b@example.com", "ops", "Bobby"), ("c@example.com", "dev", "Cy"),
             ("d@example.com", "ops", "Dorothy")],
            header="email,group,name",
        )  # fmt: skip
        report = tmp_path / "r.csv"
        run = cli(
            "--config", str(config_file), "import-users", str(path), "--engine", "job", "--logs-role-arn", role,
            "--report", str(report),
        )  # fmt: skip
    assert run.exit_code == 1, run.stderr
    assert set(_users(aws, pool)) == {"a@example.com", "c@example.com"}
    with report.open(newline="") as fh:
        rows = {r["line"]: r for r in csv.DictReader(fh)}
    assert {line: r["outcome"] for line, r in rows.items()} == {
        "2": "created",
        "3": "failed",
        "4": "created",
        "5": "failed",
    }
    assert rows["3"]["email"] == "b@example.com" and "name" in rows["3"]["detail"]
    said = "header as line 1" if numbering == "file" else "first data row as line 1"
    assert said in run.stderr


def test_a_rerun_after_a_crash_mid_job_follows_the_job_instead_of_starting_another(
    cli: Any, config_file: Path, aws: Any, pool: str, role: str, tmp_path: Path, held_jobs: HeldJobs
) -> None:
    path = _csv(tmp_path / "u.csv", [(f"r{i}@example.com", "ops") for i in range(60)])
    cfg, users = _pool_users()

    def crash(_: float) -> None:
        raise KeyboardInterrupt  # the laptop closes while the job runs

    with pytest.raises(KeyboardInterrupt):
        import_with_jobs(users, scan_csv(path, cfg.roles), JobOptions(role), client=JobClient(users, role, sleep=crash))
    assert [j["Status"] for j in _jobs(aws, pool)] == ["Pending"]  # held: still running when the re-run looks
    held_jobs.release_when_followed()
    run = cli("--config", str(config_file), "import-users", str(path), "--engine", "job", "--logs-role-arn", role)
    assert run.exit_code == 0, run.stderr
    assert "following" in run.stderr
    jobs = _jobs(aws, pool)
    assert len(jobs) == 1 and jobs[0]["Status"] == "Succeeded"
    assert len(_users(aws, pool)) == 60


def test_a_rerun_after_a_crash_before_the_upload_starts_the_job_it_created(
    cli: Any, config_file: Path, aws: Any, pool: str, role: str, tmp_path: Path
) -> None:
    path = _csv(tmp_path / "u.csv", [(f"c{i}@example.com", "ops") for i in range(5)])
    cfg, users = _pool_users()

    def lost(url: str, file: Path) -> None:
        raise CognitoError("the network went away", "run again")

    with pytest.raises(CognitoError):
        import_with_jobs(users, scan_csv(path, cfg.roles), JobOptions(role), client=JobClient(users, role, upload=lost))
    assert [j["Status"] for j in _jobs(aws, pool)] == ["Created"]
    run = cli("--config", str(config_file), "import-users", str(path), "--engine", "job", "--logs-role-arn", role)
    assert run.exit_code == 0, run.stderr
    assert [j["Status"] for j in _jobs(aws, pool)] == ["Succeeded"]
    assert len(_users(aws, pool)) == 5


def test_a_stopped_job_is_followed_by_a_new_attempt_for_the_rest(
    cli: Any, config_file: Path, aws: Any, pool: str, role: str, tmp_path: Path
) -> None:
    path = _csv(tmp_path / "u.csv", [(f"s{i}@example.com", "ops") for i in range(40)])
    cfg, users = _pool_users()

    def stop_it(_: float) -> None:
        job = _jobs(aws, pool)[0]
        aws.stop_user_import_job(UserPoolId=pool, JobId=job["JobId"])
        raise KeyboardInterrupt

    with standin.configured(rate=50.0), pytest.raises(KeyboardInterrupt):
        import_with_jobs(
            users, scan_csv(path, cfg.roles), JobOptions(role), client=JobClient(users, role, sleep=stop_it)
        )
    run = cli(
        "--config", str(config_file), "-o", "json", "import-users", str(path), "--engine", "job", "--logs-role-arn",
        role,
    )  # fmt: skip
    assert run.exit_code == 0, run.stderr
    names = sorted(j["JobName"] for j in _jobs(aws, pool))
    assert len(names) == 2 and names[1] == names[0] + "-try2"
    assert len(_users(aws, pool)) == 40
    summary = json.loads(run.stdout)["summary"]
    assert summary["failed"] == 0 and summary["created"] + summary["unchanged"] == 40


def test_engine_job_in_cognito_groups_mode_adds_the_memberships(cli: Any, tmp_path: Path, aws: Any, role: str) -> None:
    config = tmp_path / "groups.toml"
    config.write_text(BASE_CONFIG.replace("[privx]", 'group_claim = "cognito:groups"\n\n[privx]'))
    assert cli("--config", str(config), "setup").exit_code == 0
    pool = aws.list_user_pools(MaxResults=60)["UserPools"][0]["Id"]
    path = _csv(tmp_path / "u.csv", [("g1@example.com", "ops"), ("g2@example.com", "dev"), ("g3@example.com", "ops")])
    run = cli("--config", str(config), "import-users", str(path), "--engine", "job", "--logs-role-arn", role)
    assert run.exit_code == 0, run.stderr

    def members(group: str) -> set[str]:
        listed = aws.list_users_in_group(UserPoolId=pool, GroupName=group)["Users"]
        return {a["Value"] for u in listed for a in u["Attributes"] if a["Name"] == "email"}

    assert members("ops") == {"g1@example.com", "g3@example.com"}
    assert members("dev") == {"g2@example.com"}


def test_big_files_are_split_into_jobs_within_the_limits(
    cli: Any, config_file: Path, aws: Any, pool: str, role: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(job_plan, "JOB_MAX_ROWS", 10)
    path = _csv(tmp_path / "u.csv", [(f"p{i}@example.com", "ops") for i in range(25)])
    run = cli("--config", str(config_file), "import-users", str(path), "--engine", "job", "--logs-role-arn", role)
    assert run.exit_code == 0, run.stderr
    names = sorted(j["JobName"] for j in _jobs(aws, pool))
    assert [n.rsplit("-", 1)[1] for n in names] == ["1of3", "2of3", "3of3"]
    assert sorted(j["ImportedUsers"] for j in _jobs(aws, pool)) == [5, 10, 10]
    assert len(_users(aws, pool)) == 25


def test_a_name_with_a_comma_arrives_whole(
    cli: Any, config_file: Path, aws: Any, pool: str, role: str, tmp_path: Path
) -> None:
    path = _csv(tmp_path / "u.csv", [("n@example.com", "ops", "Smith, Jo")], header="email,group,name")
    run = cli("--config", str(config_file), "import-users", str(path), "--engine", "job", "--logs-role-arn", role)
    assert run.exit_code == 0, run.stderr
    assert _users(aws, pool)["n@example.com"]["name"] == "Smith, Jo"


def test_dry_run_creates_no_job(cli: Any, config_file: Path, aws: Any, pool: str, role: str, tmp_path: Path) -> None:
    path = _csv(tmp_path / "u.csv", [(f"d{i}@example.com", "ops") for i in range(12)])
    run = cli(
        "--config", str(config_file), "import-users", str(path), "--engine", "job", "--logs-role-arn", role,
        "--dry-run",
    )  # fmt: skip
    assert run.exit_code == 0, run.stderr
    assert "would import 12 new users in 1 import job" in run.stderr
    assert _jobs(aws, pool) == [] and _users(aws, pool) == {}


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--engine", "job"], "--engine job needs the CloudWatch Logs role"),
        (["--engine", "job", "--logs-role-arn", "arn:aws:iam::123:user/x"], "is not an IAM role ARN"),
        (["--engine", "fast"], "is not an engine"),
    ],
)
def test_bad_engine_input_exits_2_before_any_call(
    args: list[str], said: str, cli: Any, config_file: Path, aws: Any, pool: str, tmp_path: Path
) -> None:
    path = _csv(tmp_path / "u.csv", [("x@example.com", "ops")])
    run = cli("--config", str(config_file), "import-users", str(path), *args)
    assert run.exit_code == 2
    assert said in run.stderr and "Traceback" not in run.stderr
    assert _jobs(aws, pool) == [] and _users(aws, pool) == {}


def test_a_bad_role_in_the_config_exits_2(cli: Any, config_file: Path, tmp_path: Path) -> None:
    config_file.write_text(
        config_file.read_text().replace("[privx]", 'import_logs_role_arn = "CognitoImportLogs"\n\n[privx]')
    )
    path = _csv(tmp_path / "u.csv", [("x@example.com", "ops")])
    run = cli("--config", str(config_file), "import-users", str(path))
    assert run.exit_code == 2
    assert "is not an IAM role ARN" in run.stderr


def test_auto_takes_the_job_from_the_threshold_with_a_role(
    cli: Any, config_file: Path, aws: Any, pool: str, role: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(job_choice, "AUTO_JOB_MIN_ROWS", 5)
    small = _csv(tmp_path / "s.csv", [(f"a{i}@example.com", "ops") for i in range(4)])
    run = cli("--config", str(config_file), "import-users", str(small), "--no-invite", "--logs-role-arn", role)
    assert run.exit_code == 0 and _jobs(aws, pool) == []
    big = _csv(tmp_path / "b.csv", [(f"b{i}@example.com", "ops") for i in range(6)])
    run = cli("--config", str(config_file), "import-users", str(big), "--logs-role-arn", role)
    assert run.exit_code == 0, run.stderr
    assert "engine: job" in run.stderr
    assert len(_jobs(aws, pool)) == 1
    users = _users(aws, pool)
    assert (
        users["b0@example.com"]["status"] == "RESET_REQUIRED" and users["a0@example.com"]["status"] != "RESET_REQUIRED"
    )


def test_choose_engine() -> None:
    verified: dict[str, Any] = {"AutoVerifiedAttributes": ["email"]}
    default_email = verified | {"EmailConfiguration": {"EmailSendingAccount": "COGNITO_DEFAULT"}}
    ses = verified | {"EmailConfiguration": {"EmailSendingAccount": "DEVELOPER"}}
    big = job_choice.AUTO_JOB_MIN_ROWS
    assert choose_engine(Engine.AUTO, big - 1, invite=False, role_arn=ROLE, pool=None).engine is Engine.API
    assert choose_engine(Engine.AUTO, big, invite=True, role_arn=ROLE, pool=default_email).engine is Engine.JOB
    # With SES the invitations could go out: a job would silently drop them.
    assert choose_engine(Engine.AUTO, big, invite=True, role_arn=ROLE, pool=ses).engine is Engine.API
    assert choose_engine(Engine.AUTO, big, invite=False, role_arn=ROLE, pool=ses).engine is Engine.JOB
    assert choose_engine(Engine.AUTO, big, invite=False, role_arn=None, pool=None).engine is Engine.API
    assert choose_engine(Engine.API, big * 10, invite=False, role_arn=ROLE, pool=None).engine is Engine.API
    # "If the user pool has no auto-verified attributes, the import job will not start."
    assert choose_engine(Engine.AUTO, big, invite=False, role_arn=ROLE, pool={}).engine is Engine.API
    with pytest.raises(UsageError, match="does not auto-verify email"):
        choose_engine(Engine.JOB, big, invite=False, role_arn=ROLE, pool={})


def test_line_base_is_found_from_the_numbers_logged() -> None:
    assert line_base(LineBase.AUTO, 1, 10, 10)[0] is LineBase.DATA
    assert line_base(LineBase.AUTO, 2, 11, 10)[0] is LineBase.FILE
    assert line_base(LineBase.AUTO, 1, 5, 10)[0] is LineBase.DATA  # stopped half-way: a 1 still settles it
    assert line_base(LineBase.AUTO, 3, 8, 10)[0] is None  # cannot tell: the pool is checked instead
    assert line_base(LineBase.AUTO, 0, 0, 10)[0] is None
    assert line_base(LineBase.FILE, 1, 10, 10)[0] is LineBase.FILE  # pinned


def test_job_csv_lines_follow_the_pools_header() -> None:
    fmt = job_plan.JobCsv(
        ["name", "email", "email_verified", "custom:group", "cognito:mfa_enabled", "cognito:username"],
        "custom:group",
        "OFF",
    )
    assert (
        fmt.line(UserRow("a@example.com", "ops", "Doe, J")) == "Doe\\, J,a@example.com,true,ops,false,a@example.com\n"
    )
    assert not fmt.fits(UserRow("a@example.com", "ops", 'The "Boss"'))
    with pytest.raises(CognitoError, match="lacks custom:group"):
        job_plan.JobCsv(["email", "email_verified", "cognito:username"], "custom:group", "OFF")


def _pool_users() -> tuple[AppConfig, PoolUsers]:
    """The config of the ``pool`` fixture's pool (groups ops and dev) and its user side, for calling the engine."""
    cfg = AppConfig.model_validate(
        {"cognito": {"region": REGION, "pool_name": "privx-users"}, "roles": {"ops": "x", "dev": "y"}}
    )
    return cfg, PoolUsers.open(_gateway(), UsersSpec.from_config(cfg))


def _gateway() -> Any:
    from cognito_privx.cognito import CognitoGateway

    return CognitoGateway(boto3.client("cognito-idp", region_name=REGION))


def test_a_missing_or_untrusting_role_is_refused_before_any_job(
    cli: Any, config_file: Path, aws: Any, pool: str, tmp_path: Path
) -> None:
    path = _csv(tmp_path / "u.csv", [("f1@example.com", "ops")])
    run = cli("--config", str(config_file), "import-users", str(path), "--engine", "job", "--logs-role-arn", ROLE)
    assert run.exit_code == 1
    assert "there is no IAM role CognitoImportLogs" in run.stderr and "cognito-idp.amazonaws.com" in run.stderr
    iam = boto3.client("iam", region_name=REGION)
    iam.create_role(
        RoleName="CognitoImportLogs", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []})
    )
    run = cli("--config", str(config_file), "import-users", str(path), "--engine", "job", "--logs-role-arn", ROLE)
    assert run.exit_code == 1
    assert "does not let cognito-idp.amazonaws.com assume it" in run.stderr
    assert _jobs(aws, pool) == [] and _users(aws, pool) == {}


def test_a_job_that_fails_as_a_whole_fails_every_row(aws: Any, pool: str, role: str, tmp_path: Path) -> None:
    # The role goes away between the check and the job (someone tidies IAM): Cognito cannot assume it, and the
    # job fails before any row.
    path = _csv(tmp_path / "u.csv", [("f1@example.com", "ops"), ("f2@example.com", "ops")])
    cfg, users = _pool_users()

    def upload_after_the_role_is_gone(url: str, file: Path) -> None:
        boto3.client("iam", region_name=REGION).delete_role(RoleName="CognitoImportLogs")
        job_api.put_file(url, file)

    outcome = import_with_jobs(
        users,
        scan_csv(path, cfg.roles),
        JobOptions(role),
        client=JobClient(users, role, upload=upload_after_the_role_is_gone),
    )
    assert [(r.outcome.value, r.detail.split(": ", 1)[1]) for r in outcome.results] == [
        ("failed", "The CloudWatch Logs role cannot be assumed."),
        ("failed", "The CloudWatch Logs role cannot be assumed."),
    ]
    assert outcome.summary()["jobs"][0]["Status"] == "Failed"
    assert _users(aws, pool) == {}


def test_ctrl_c_while_a_job_runs_says_it_goes_on_and_a_rerun_follows_it(
    cli: Any,
    config_file: Path,
    aws: Any,
    pool: str,
    role: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    held_jobs: HeldJobs,
) -> None:
    path = _csv(tmp_path / "u.csv", [(f"i{i}@example.com", "ops") for i in range(30)])
    follow = JobClient.follow

    def interrupted(self: JobClient, run: Any, on_progress: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(JobClient, "follow", interrupted)
    report = tmp_path / "r.json"
    run = cli(
        "--config", str(config_file), "import-users", str(path), "--engine", "job", "--logs-role-arn", role,
        "--report", str(report),
    )  # fmt: skip
    assert run.exit_code == 130
    assert "goes on in Cognito" in run.stderr and "run the same command again" in run.stderr
    written = json.loads(report.read_text())  # a whole document, not a torn one
    assert "goes on in Cognito" in written["summary"]["stopped"]
    # Every row of the file is listed (issue 23): in the job, which goes on, so "unknown" until a re-run follows it.
    assert [r["email"] for r in written["rows"]] == [f"i{i}@example.com" for i in range(30)]
    assert {r["outcome"] for r in written["rows"]} == {"unknown"} and written["summary"]["unknown"] == 30
    assert [j["Status"] for j in _jobs(aws, pool)] == ["Pending"]  # held: still running when the re-run looks
    monkeypatch.setattr(JobClient, "follow", follow)
    held_jobs.release_when_followed()
    run = cli("--config", str(config_file), "import-users", str(path), "--engine", "job", "--logs-role-arn", role)
    assert run.exit_code == 0, run.stderr
    assert "following" in run.stderr
    jobs = _jobs(aws, pool)
    assert len(jobs) == 1 and jobs[0]["Status"] == "Succeeded"
    assert len(_users(aws, pool)) == 30


def test_parts_are_cut_by_size_too_and_the_same_file_cuts_the_same_parts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cognito_privx.users.index import PoolIndex

    fmt = job_plan.JobCsv(["cognito:username", "email", "email_verified", "custom:group"], "custom:group", "OFF")
    rows = [UserRow(f"user{i:03}@example.com", "ops", None, i + 2) for i in range(30)]
    line = len(fmt.line(rows[0]).encode())
    monkeypatch.setattr(job_plan, "JOB_MAX_BYTES", len(fmt.header_line) + 10 * line)  # 10 rows a file
    index = PoolIndex("custom:group")
    index.add({"Username": "u", "Attributes": [{"Name": "email", "Value": "user005@example.com"}]})
    plan = job_plan.plan_jobs(rows, lambda r: index.get(r.email) is not None, fmt, tmp_path)
    assert [(p.rows, p.new_rows) for p in plan.parts] == [(10, 9), (10, 10), (10, 10)]
    for part in plan.parts:
        assert part.path is not None and part.path.stat().st_size <= job_plan.JOB_MAX_BYTES
    assert plan.parts[0].lines[5] == 8  # the 6th row of the file is user006 (user005 exists): input line 8
    # Boundaries and names depend on the file alone, not on what the pool holds now.
    again = job_plan.plan_jobs(rows, lambda r: False, fmt, None)
    assert [p.rows for p in again.parts] == [10, 10, 10]
    assert again.job_name(again.parts[2]) == plan.job_name(plan.parts[2]) == f"cognito-privx-{plan.digest}-3of3"


def test_debug_logs_do_not_show_the_upload_signature(
    cli: Any, config_file: Path, aws: Any, pool: str, role: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = _csv(tmp_path / "u.csv", [("s@example.com", "ops")])
    with caplog.at_level("DEBUG"):
        run = cli("--config", str(config_file), "import-users", str(path), "--engine", "job", "--logs-role-arn", role)
    assert run.exit_code == 0, run.stderr
    uploads = [r.getMessage() for r in caplog.records if "PUT" in r.getMessage()]
    assert uploads and all("X-Amz-Signature" not in m for m in uploads)


def test_a_name_cognito_could_not_keep_is_refused_before_anything(
    cli: Any, config_file: Path, aws: Any, pool: str, tmp_path: Path
) -> None:
    path = _csv(
        tmp_path / "u.csv",
        [("ok@example.com", "ops", "Ann"), ("long@example.com", "ops", "x" * 2049)],
        "email,group,name",
    )
    run = cli("--config", str(config_file), "import-users", str(path), "--engine", "api")
    assert run.exit_code == 2
    assert "line 3: the name is 2,049 characters; Cognito keeps at most 2,048" in run.stderr
    run = cli("--config", str(config_file), "add-user", "a@example.com", "-g", "ops", "--name", "y" * 3000)
    assert run.exit_code == 2 and "Cognito keeps at most 2,048" in run.stderr
    assert _users(aws, pool) == {}


def test_rows_still_missing_after_a_succeeded_job_get_a_new_attempt(
    cli: Any, config_file: Path, aws: Any, pool: str, role: str, tmp_path: Path
) -> None:
    path = _csv(tmp_path / "u.csv", [(f"m{i}@example.com", "ops") for i in range(5)])
    args = ("--config", str(config_file), "import-users", str(path), "--engine", "job", "--logs-role-arn", role)
    assert cli(*args).exit_code == 0
    assert cli("--config", str(config_file), "remove-user", "m3@example.com", "--yes").exit_code == 0
    run = cli(*args)
    assert run.exit_code == 0, run.stderr
    assert "ran before, but 1 of its rows are not in the pool: a new attempt" in run.stderr
    assert sorted(j["JobName"].rsplit("-", 1)[1] for j in _jobs(aws, pool)) == ["1of1", "try2"]
    assert len(_users(aws, pool)) == 5


class _LaggingLogs:
    """CloudWatch Logs as seen while a job's events are still arriving: the first reads miss the last events."""

    def __init__(self, missing_reads: int) -> None:
        self.real = boto3.client("logs", region_name=REGION)
        self.missing_reads = missing_reads
        self.reads = 0

    def get_log_events(self, **params: Any) -> dict[str, Any]:
        page = dict(self.real.get_log_events(**params))
        if not params.get("nextToken"):
            self.reads += 1
        if self.reads <= self.missing_reads:
            page["events"] = page["events"][:-2]
        return page


@pytest.mark.parametrize(("missing_reads", "source"), [(2, "CloudWatch Logs"), (9, "checked against the pool")])
def test_logs_that_lag_behind_the_job_are_read_again_or_not_trusted(
    missing_reads: int, source: str, aws: Any, pool: str, role: str, tmp_path: Path
) -> None:
    path = _csv(tmp_path / "u.csv", [(f"l{i}@example.com", "ops") for i in range(6)])
    cfg, users = _pool_users()
    notes: list[str] = []
    logs = _LaggingLogs(missing_reads)
    outcome = import_with_jobs(
        users, scan_csv(path, cfg.roles), JobOptions(role), logs=logs, on_note=notes.append,
        client=JobClient(users, role, sleep=lambda _: None),
    )  # fmt: skip
    # Imported users are never called failed for want of a log line.
    assert [r.outcome.value for r in outcome.results] == ["created"] * 6
    assert any(source in n for n in notes), notes


def test_a_pinned_line_base_the_log_contradicts_is_not_used(
    cli: Any, config_file: Path, aws: Any, pool: str, role: str, tmp_path: Path
) -> None:
    config_file.write_text(config_file.read_text().replace("[privx]", 'import_log_line_numbers = "data"\n\n[privx]'))
    path = _csv(tmp_path / "u.csv", [(f"b{i}@example.com", "ops") for i in range(4)])
    with standin.configured(line_numbers="file"):
        run = cli("--config", str(config_file), "-o", "json", "import-users", str(path), "--engine", "job",
                  "--logs-role-arn", role)  # fmt: skip
    assert run.exit_code == 0, run.stderr
    assert "import_log_line_numbers = data contradicts the log" in run.stderr
    assert [r["outcome"] for r in json.loads(run.stdout)["rows"]] == ["created"] * 4


def test_new_users_join_their_native_groups_by_api_too(cli: Any, tmp_path: Path, aws: Any, role: str) -> None:
    config = tmp_path / "groups.toml"
    config.write_text(BASE_CONFIG.replace("[privx]", 'group_claim = "cognito:groups"\n\n[privx]'))
    assert cli("--config", str(config), "setup").exit_code == 0
    pool = aws.list_user_pools(MaxResults=60)["UserPools"][0]["Id"]
    path = _csv(tmp_path / "u.csv", [("a1@example.com", "dev"), ("a2@example.com", "ops", 'The "Boss"')],
                header="email,group,name")  # fmt: skip
    for engine in ("api", "job"):  # the second run: nothing new, memberships already right
        run = cli("--config", str(config), "import-users", str(path), "--engine", engine, "--logs-role-arn", role)
        assert run.exit_code == 0, run.stderr
    listed = {g: aws.list_users_in_group(UserPoolId=pool, GroupName=g)["Users"] for g in ("dev", "ops")}
    emails = {g: {a["Value"] for u in us for a in u["Attributes"] if a["Name"] == "email"} for g, us in listed.items()}
    assert emails == {"dev": {"a1@example.com"}, "ops": {"a2@example.com"}}


def test_a_user_created_meanwhile_is_compared_when_the_pool_is_asked_instead_of_the_logs(
    aws: Any, pool: str, role: str, tmp_path: Path
) -> None:
    # The pin disagrees with the stand-in's numbering: the log cannot be used, so the pool is asked. A user that
    # appeared while the job was prepared (the job skips it) must be compared and updated, not called imported.
    path = _csv(tmp_path / "u.csv", [("n1@example.com", "ops"), ("late@example.com", "dev"), ("n2@example.com", "ops")])
    cfg, users = _pool_users()

    def someone_adds_late(url: str, file: Path) -> None:
        aws.admin_create_user(
            UserPoolId=pool, Username="late@example.com", MessageAction="SUPPRESS",
            UserAttributes=[{"Name": "email", "Value": "late@example.com"}, {"Name": "custom:group", "Value": "ops"}],
        )  # fmt: skip
        job_api.put_file(url, file)

    outcome = import_with_jobs(
        users, scan_csv(path, cfg.roles), JobOptions(role, line_numbers=LineBase.FILE),
        client=JobClient(users, role, upload=someone_adds_late),
    )  # fmt: skip
    assert [(r.email, r.outcome.value) for r in outcome.results] == [
        ("n1@example.com", "created"),
        ("late@example.com", "updated"),
        ("n2@example.com", "created"),
    ]
    assert _users(aws, pool)["late@example.com"]["group"] == "dev"


def test_a_partial_log_and_a_wrong_pin_never_shift_results(aws: Any, pool: str, role: str, tmp_path: Path) -> None:
    path = _csv(tmp_path / "u.csv", [(f"w{i:02}@example.com", "ops") for i in range(60)])
    cfg, users = _pool_users()
    stopped: list[str] = []

    def stop_soon(_: float) -> None:
        import time

        time.sleep(0.3)
        if not stopped:
            job = _jobs(aws, pool)[0]
            aws.stop_user_import_job(UserPoolId=pool, JobId=job["JobId"])
            stopped.append(job["JobId"])

    with standin.configured(rate=50.0, line_numbers="file"):
        outcome = import_with_jobs(
            users, scan_csv(path, cfg.roles), JobOptions(role, line_numbers=LineBase.DATA),
            client=JobClient(users, role, sleep=stop_soon),
        )  # fmt: skip
    present = set(_users(aws, pool))
    created = {r.email for r in outcome.results if r.outcome.value == "created"}
    assert 0 < len(created) < 60
    assert created == present  # each row's result is its own
    assert {r.outcome.value for r in outcome.results if r.email not in present} == {"not attempted"}


def test_a_file_changed_during_the_job_is_not_matched_by_position(
    aws: Any, pool: str, role: str, tmp_path: Path
) -> None:
    from cognito_privx.errors import UsageError as Usage

    path = _csv(tmp_path / "u.csv", [("c1@example.com", "ops"), ("c2@example.com", "ops")])
    cfg, users = _pool_users()

    def edit_then_upload(url: str, file: Path) -> None:
        _csv(path, [("c0@example.com", "ops"), ("c1@example.com", "ops"), ("c2@example.com", "ops")])
        job_api.put_file(url, file)

    with pytest.raises(Usage, match="changed while it was read"):
        import_with_jobs(
            users, scan_csv(path, cfg.roles), JobOptions(role), client=JobClient(users, role, upload=edit_then_upload)
        )


def test_an_error_after_the_report_is_opened_leaves_a_whole_report(
    cli: Any, config_file: Path, aws: Any, pool: str, tmp_path: Path
) -> None:
    path = _csv(tmp_path / "u.csv", [("e1@example.com", "ops")])
    report = tmp_path / "r.json"
    run = cli(
        "--config", str(config_file), "import-users", str(path), "--engine", "job", "--logs-role-arn", ROLE,
        "--report", str(report),
    )  # fmt: skip
    assert run.exit_code == 1  # no such role
    written = json.loads(report.read_text())
    assert "no IAM role" in written["summary"]["stopped"]
    # Every row of the file is listed (issue 23); a run stopped by an error cannot tell what it applied: unknown.
    assert [(r["email"], r["outcome"]) for r in written["rows"]] == [("e1@example.com", "unknown")]


def test_known_users_in_a_big_pool_are_looked_up_not_created_first(
    cli: Any, config_file: Path, aws: Any, pool: str, role: str, tmp_path: Path, gateway_calls: list[str]
) -> None:
    seed = _csv(tmp_path / "seed.csv", [(f"big{i}@example.com", "ops") for i in range(130)])
    assert cli("--config", str(config_file), "import-users", str(seed), "--no-invite").exit_code == 0
    path = _csv(tmp_path / "u.csv", [("big5@example.com", "dev")])  # 1 row, 130 users (3 pages): one look-up
    gateway_calls.clear()
    run = cli("--config", str(config_file), "import-users", str(path), "--engine", "job", "--logs-role-arn", role)
    assert run.exit_code == 0, run.stderr
    assert "admin_create_user" not in gateway_calls and "list_users" not in gateway_calls
    assert _users(aws, pool)["big5@example.com"]["group"] == "dev"


def test_a_dry_run_changes_no_known_user_when_rows_are_looked_up(
    cli: Any, config_file: Path, aws: Any, pool: str, role: str, tmp_path: Path
) -> None:
    seed = _csv(tmp_path / "seed.csv", [(f"dry{i}@example.com", "dev") for i in range(130)])
    assert cli("--config", str(config_file), "import-users", str(seed), "--no-invite").exit_code == 0
    path = _csv(tmp_path / "u.csv", [("dry1@example.com", "ops")])  # fewer rows than pages: looked up
    run = cli(
        "--config", str(config_file), "import-users", str(path), "--engine", "job", "--logs-role-arn", role,
        "--dry-run",
    )  # fmt: skip
    assert run.exit_code == 0, run.stderr
    assert "would update 1" in run.stderr
    assert _users(aws, pool)["dry1@example.com"]["group"] == "dev"


def test_a_row_edited_during_the_job_is_not_matched_by_position(aws: Any, pool: str, role: str, tmp_path: Path) -> None:
    from cognito_privx.errors import UsageError as Usage

    path = _csv(tmp_path / "u.csv", [("d1@example.com", "ops"), ("d2@example.com", "ops")])
    cfg, users = _pool_users()

    def edit_then_upload(url: str, file: Path) -> None:
        _csv(path, [("d1@example.com", "ops"), ("d2@example.com", "dev")])  # same emails, another group
        job_api.put_file(url, file)

    with pytest.raises(Usage, match="changed while it was read"):
        import_with_jobs(
            users, scan_csv(path, cfg.roles), JobOptions(role), client=JobClient(users, role, upload=edit_then_upload)
        )


@pytest.mark.parametrize(
    ("statement", "trusted"),
    [
        ({"Effect": "Allow", "Principal": {"Service": "cognito-idp.amazonaws.com"}, "Action": "sts:assumerole"}, True),
        ({"Effect": "Allow", "Principal": {"Service": ["cognito-idp.amazonaws.com"]}, "Action": "sts:Assume*"}, True),
        ({"Effect": "Allow", "Principal": "*", "Action": ["sts:AssumeRole"]}, True),
        ({"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}, False),
        (
            {"Effect": "Allow", "Principal": {"Service": "cognito-idp.amazonaws.com"}, "NotAction": "sts:AssumeRole"},
            False,
        ),
    ],
)
def test_trust_policies_are_read_as_iam_reads_them(statement: dict[str, Any], trusted: bool) -> None:
    assert job_trust.trusts_cognito({"Version": "2012-10-17", "Statement": [statement]}) is trusted


def test_a_deny_wins_unless_it_is_conditional() -> None:
    allow = {"Effect": "Allow", "Principal": {"Service": "cognito-idp.amazonaws.com"}, "Action": "sts:AssumeRole"}
    deny_all = {"Effect": "Deny", "Principal": {"Service": "*"}, "NotAction": "iam:PassRole"}
    conditional = {**deny_all, "Condition": {"StringNotEquals": {"aws:SourceAccount": "123456789012"}}}
    assert not job_trust.trusts_cognito({"Statement": [allow, deny_all]})
    assert job_trust.trusts_cognito({"Statement": [allow, conditional]})
    assert job_trust.trusts_cognito(json.dumps({"Statement": allow}))


def test_a_job_into_an_admin_only_recovery_pool_says_how_imported_users_get_in(
    cli: Any, config_file: Path, aws: Any, pool: str, role: str, tmp_path: Path
) -> None:
    # Imported users are RESET_REQUIRED; with admin-only recovery "Forgot your password?" cannot help them (issue 23).
    from moto.cognitoidp.models import cognitoidp_backends
    from moto.core import DEFAULT_ACCOUNT_ID

    moto_pool = cognitoidp_backends[DEFAULT_ACCOUNT_ID][REGION].user_pools[pool]
    moto_pool.extended_config["AccountRecoverySetting"] = {
        "RecoveryMechanisms": [{"Priority": 1, "Name": "admin_only"}]
    }
    path = _csv(tmp_path / "u.csv", [("ivy@example.com", "ops")])
    run = cli(
        "--config", str(config_file), "import-users", str(path), "--engine", "job", "--logs-role-arn", role,
    )  # fmt: skip
    assert run.exit_code == 0, run.stderr
    assert _users(aws, pool)["ivy@example.com"]["status"] == "RESET_REQUIRED"
    assert "admin-only" in run.stderr and "--temporary-password-prompt" in run.stderr
