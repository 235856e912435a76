"""The user-import-job stand-in of :mod:`cognito_privx.sandbox.import_jobs`, seen through boto3 and httpx.

Each test asserts the state a flow leaves behind: the job as DescribeUserImportJob answers it, the users in moto,
the events in the job's CloudWatch Logs stream, the errors. Most run on in-process ``mock_aws`` (the ``aws``
fixture); those marked with the ``env`` fixture run on moto's server (``sandbox.runner.MotoServer``) too.
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from cognito_privx.sandbox import import_jobs
from cognito_privx.sandbox.import_jobs import api as import_jobs_api
from cognito_privx.sandbox.import_jobs.processor import Processor
from cognito_privx.sandbox.runner import MotoServer, Sandbox
from tests.support.constants import REGION

SSE = {"x-amz-server-side-encryption": "aws:kms"}
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "cognito-idp.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}
STANDARD = [
    "name",
    "given_name",
    "family_name",
    "middle_name",
    "nickname",
    "preferred_username",
    "profile",
    "picture",
    "website",
    "email",
    "email_verified",
    "gender",
    "birthdate",
    "zoneinfo",
    "locale",
    "phone_number",
    "phone_number_verified",
    "address",
    "updated_at",
]
# The project's pool: email user names, case-insensitive, email auto-verified, custom:group.
PROJECT_POOL: dict[str, Any] = {
    "UsernameAttributes": ["email"],
    "UsernameConfiguration": {"CaseSensitive": False},
    "AutoVerifiedAttributes": ["email"],
    "Schema": [{"Name": "group", "AttributeDataType": "String", "Mutable": True}],
}
DONE = {"Succeeded", "Failed", "Stopped", "Expired"}


@pytest.fixture(autouse=True)
def fast_jobs() -> Iterator[None]:
    """No time in Pending, no pacing; the process-wide settings come back afterwards."""
    with import_jobs.configured(pending_s=0, rate=None):
        yield


@dataclass
class Env:
    idp: Any
    iam: Any
    logs: Any

    def role(self, *, trust: dict[str, Any] | None = None) -> str:
        name = f"CognitoImport-{uuid.uuid4().hex[:8]}"
        document = json.dumps(trust or TRUST)
        return str(self.iam.create_role(RoleName=name, AssumeRolePolicyDocument=document)["Role"]["Arn"])

    def pool(self, **settings: Any) -> tuple[str, str]:
        name = f"p-{uuid.uuid4().hex[:8]}"
        pool_id = self.idp.create_user_pool(PoolName=name, **{**PROJECT_POOL, **settings})["UserPool"]["Id"]
        return str(pool_id), name

    def header(self, pool_id: str) -> list[str]:
        return list(self.idp.get_csv_header(UserPoolId=pool_id)["CSVHeader"])

    def csv(self, pool_id: str, rows: list[dict[str, str]]) -> bytes:
        """Every header column, in the header's order, values as given (escaped as the client escapes them)."""
        header = self.header(pool_id)
        lines = [",".join(header)]
        lines += [",".join(row.get(c, "").replace(",", "\\,") for c in header) for row in rows]
        return ("\n".join(lines) + "\n").encode()

    def create(self, pool_id: str, role: str | None = None, name: str = "privx-import") -> dict[str, Any]:
        made = self.idp.create_user_import_job(
            UserPoolId=pool_id, JobName=name, CloudWatchLogsRoleArn=role or self.role()
        )
        return dict(made["UserImportJob"])

    def start(self, pool_id: str, body: bytes, role: str | None = None) -> dict[str, Any]:
        job = self.create(pool_id, role)
        assert httpx.put(job["PreSignedUrl"], content=body, headers=SSE).status_code == 200
        return dict(self.idp.start_user_import_job(UserPoolId=pool_id, JobId=job["JobId"])["UserImportJob"])

    def describe(self, pool_id: str, job_id: str) -> dict[str, Any]:
        return dict(self.idp.describe_user_import_job(UserPoolId=pool_id, JobId=job_id)["UserImportJob"])

    def wait(self, pool_id: str, job_id: str, until: set[str] = DONE) -> dict[str, Any]:
        deadline = time.monotonic() + 10
        while True:
            job = self.describe(pool_id, job_id)
            if job["Status"] in until or time.monotonic() > deadline:
                return job
            time.sleep(0.01)

    def run(self, pool_id: str, rows: list[dict[str, str]], role: str | None = None) -> dict[str, Any]:
        started = self.start(pool_id, self.csv(pool_id, rows), role)
        return self.wait(pool_id, started["JobId"])

    def events(self, pool_id: str, pool_name: str, job: dict[str, Any]) -> list[str]:
        found = self.logs.get_log_events(
            logGroupName=f"/aws/cognito/userpools/{pool_id}/{pool_name}",
            logStreamName=f"{job['JobId']}/{job['JobName']}",
            startFromHead=True,
        )
        return [e["message"] for e in found["events"]]


def _clients(**kwargs: Any) -> Env:
    return Env(*(boto3.client(service, region_name=REGION, **kwargs) for service in ("cognito-idp", "iam", "logs")))


@pytest.fixture
def local(aws: Any) -> Env:
    """In-process mock_aws."""
    return _clients()


@pytest.fixture(params=["in-process", "server"])
def env(request: pytest.FixtureRequest) -> Iterator[Env]:
    """In-process mock_aws, or moto's server on loopback."""
    if request.param == "in-process":
        request.getfixturevalue("aws")
        yield _clients()
        return
    server = MotoServer().start()
    try:
        yield _clients(endpoint_url=server.url)
    finally:
        server.stop()


def _code(info: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = info.value.response["Error"]
    return error["Code"], error["Message"]


def _user(i: int, **extra: str) -> dict[str, str]:
    email = f"user{i}@example.com"
    return {"cognito:username": email, "email": email, "email_verified": "true", "name": f"User {i}", **extra}


def _s3_code(response: httpx.Response) -> str:
    text = response.text
    return text[text.index("<Code>") + 6 : text.index("</Code>")]


# --- GetCSVHeader ----------------------------------------------------------------------------------------------------


def test_the_header_lists_standard_then_custom_then_cognito_columns(env: Env) -> None:
    pool_id, _ = env.pool()
    assert env.header(pool_id) == [*STANDARD, "custom:group", "cognito:mfa_enabled", "cognito:username"]
    with pytest.raises(ClientError) as info:
        env.idp.get_csv_header(UserPoolId="eu-west-1_missing")
    assert _code(info)[0] == "ResourceNotFoundException"


# --- the whole flow ------------------------------------------------------------------------------------------------


def test_an_import_creates_reset_required_users_and_logs_each_row(env: Env) -> None:
    pool_id, pool_name = env.pool()
    env.idp.create_group(UserPoolId=pool_id, GroupName="ops")
    job = env.create(pool_id)
    assert job["Status"] == "Created" and job["JobId"].startswith("import-") and len(job["JobId"]) == 17
    assert (job["ImportedUsers"], job["SkippedUsers"], job["FailedUsers"]) == (0, 0, 0)
    assert not {"StartDate", "CompletionDate", "CompletionMessage"} & set(job)
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(job["PreSignedUrl"]).query))
    assert query["X-Amz-Expires"] == "899" and query["X-Amz-SignedHeaders"] == "host;x-amz-server-side-encryption"
    rows = [_user(1, **{"custom:group": "ops, admins", "cognito:mfa_enabled": "false"}), _user(2)]

    put = httpx.put(job["PreSignedUrl"], content=env.csv(pool_id, rows), headers=SSE)
    assert put.status_code == 200 and put.headers["ETag"].startswith('"')
    started = env.idp.start_user_import_job(UserPoolId=pool_id, JobId=job["JobId"])["UserImportJob"]
    assert started["Status"] == "Pending" and "StartDate" in started
    done = env.wait(pool_id, job["JobId"])

    assert done["Status"] == "Succeeded" and done["CompletionMessage"] == "Import Job Completed Successfully."
    assert (done["ImportedUsers"], done["SkippedUsers"], done["FailedUsers"]) == (2, 0, 0)
    assert done["StartDate"] <= done["CompletionDate"]
    user = env.idp.admin_get_user(UserPoolId=pool_id, Username="user1@example.com")
    attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    assert user["UserStatus"] == "RESET_REQUIRED" and user["Enabled"]
    assert user["Username"] != "user1@example.com"  # an email pool names users by a UUID
    assert attributes["custom:group"] == "ops, admins"  # the escaped comma round-trips
    assert (attributes["email"], attributes["email_verified"], attributes["name"]) == (
        "user1@example.com",
        "true",
        "User 1",
    )
    assert env.events(pool_id, pool_name, done) == [
        "[SUCCEEDED] Line Number 1 - The import succeeded.",
        "[SUCCEEDED] Line Number 2 - The import succeeded.",
    ]
    # What the client does next: group membership by email.
    env.idp.admin_add_user_to_group(UserPoolId=pool_id, Username="user2@example.com", GroupName="ops")
    members = env.idp.list_users_in_group(UserPoolId=pool_id, GroupName="ops")["Users"]
    assert [m["Username"] for m in members] == [
        env.idp.admin_get_user(UserPoolId=pool_id, Username="user2@example.com")["Username"]
    ]
    # The uploaded file is gone once the job ends.
    assert _stored_job(env, pool_id, job["JobId"]).upload is None


def _stored_job(env: Env, pool_id: str, job_id: str) -> import_jobs.ImportJob:
    from moto.cognitoidp.models import cognitoidp_backends

    return import_jobs.jobs_of(cognitoidp_backends["123456789012"][REGION].user_pools[pool_id])[job_id]


@pytest.mark.parametrize(("variant", "first"), [("data", 1), ("file", 2)])
def test_line_numbers_follow_the_configured_base(local: Env, variant: str, first: int) -> None:
    pool_id, pool_name = local.pool()
    with import_jobs.configured(line_numbers=variant):
        job = local.run(pool_id, [_user(1), _user(2, email_verified="false"), _user(3)])
    assert local.events(pool_id, pool_name, job) == [
        f"[SUCCEEDED] Line Number {first} - The import succeeded.",
        f"[FAILED] Line Number {first + 1} - {import_jobs.AUTO_VERIFIED_MESSAGE}",
        f"[SUCCEEDED] Line Number {first + 2} - The import succeeded.",
    ]


def test_blank_lines_are_no_rows_but_keep_their_line_numbers(local: Env) -> None:
    pool_id, pool_name = local.pool()
    body = local.csv(pool_id, [_user(1)]) + b"\n" + local.csv(pool_id, [_user(2)]).split(b"\n", 1)[1]
    job = local.wait(pool_id, local.start(pool_id, body)["JobId"])
    assert job["ImportedUsers"] == 2
    assert local.events(pool_id, pool_name, job)[1] == "[SUCCEEDED] Line Number 3 - The import succeeded."


# --- rows that fail or are skipped ---------------------------------------------------------------------------------


def test_bad_rows_fail_and_existing_users_are_skipped(local: Env) -> None:
    pool_id, pool_name = local.pool()
    local.idp.admin_create_user(UserPoolId=pool_id, Username="Known@Example.com", MessageAction="SUPPRESS")
    rows = [
        _user(1),
        _user(2),
        _user(3),
        _user(4),
        {**_user(5), "cognito:username": "known@example.com", "email": "known@example.com"},  # any case: SKIPPED
        _user(1),  # earlier in this file: SKIPPED
        _user(6, email_verified="false"),
        _user(7, email=""),  # email_verified true needs an email
        _user(8, **{"cognito:mfa_enabled": "true"}),  # MFA is OFF in this pool
        {**_user(9), "cognito:username": "not-an-email"},
        {**_user(10), "cognito:username": "two words@example.com"},
        _user(11, birthdate="1985-02-01"),
    ]
    body = local.csv(pool_id, rows)
    lines = body.decode().rstrip("\n").split("\n")
    lines += [lines[1].replace("User 1", '"User 12"'), lines[1] + ",extra", "x" * 16_001]
    job = local.wait(pool_id, local.start(pool_id, "\n".join(lines).encode())["JobId"])

    assert (job["ImportedUsers"], job["SkippedUsers"], job["FailedUsers"]) == (4, 2, 9)
    assert job["Status"] == "Failed" and job["CompletionMessage"] == import_jobs.TOO_MANY_MESSAGE
    events = local.events(pool_id, pool_name, job)
    assert events[4:] == [
        "[SKIPPED] Line Number 5 - The user already exists.",
        "[SKIPPED] Line Number 6 - The user already exists.",
        f"[FAILED] Line Number 7 - {import_jobs.AUTO_VERIFIED_MESSAGE}",
        f"[FAILED] Line Number 8 - {import_jobs.AUTO_VERIFIED_MESSAGE}",
        "[FAILED] Line Number 9 - cognito:mfa_enabled must be false or blank when the user pool's MFA configuration "
        "is OFF.",
        "[FAILED] Line Number 10 - Username should be an email.",
        "[FAILED] Line Number 11 - The cognito:username value cannot contain spaces or tabs.",
        "[FAILED] Line Number 12 - birthdate must be in the format mm/dd/yyyy.",
        "[FAILED] Line Number 13 - Attribute values that are strings should not be in quotation marks.",
        "[FAILED] Line Number 14 - The row has 23 values; the header has 22 columns.",
        "[FAILED] Line Number 15 - The row is longer than 16,000 characters.",
    ]
    users = local.idp.list_users(UserPoolId=pool_id)["Users"]
    assert len(users) == 5  # the four imported and the one that was there


def test_a_few_skipped_rows_still_succeed(local: Env) -> None:
    pool_id, _ = local.pool()
    local.idp.admin_create_user(UserPoolId=pool_id, Username="user1@example.com", MessageAction="SUPPRESS")
    job = local.run(pool_id, [_user(1), _user(2), _user(3)])
    assert (job["Status"], job["ImportedUsers"], job["SkippedUsers"]) == ("Succeeded", 2, 1)


def test_a_rerun_of_the_same_file_skips_everyone_and_fails(local: Env) -> None:
    pool_id, _ = local.pool()
    rows = [_user(1), _user(2)]
    assert local.run(pool_id, rows)["Status"] == "Succeeded"
    again = local.run(pool_id, rows)
    assert (again["Status"], again["ImportedUsers"], again["SkippedUsers"]) == ("Failed", 0, 2)
    assert again["CompletionMessage"] == import_jobs.TOO_MANY_MESSAGE


def test_mfa_rules_follow_the_pools_mfa_configuration(local: Env) -> None:
    pool_id, pool_name = local.pool(MfaConfiguration="OPTIONAL")
    rows = [_user(i, **{"cognito:mfa_enabled": value}) for i, value in enumerate(["TRUE", "false", "", "maybe"])]
    job = local.run(pool_id, rows)
    assert (job["ImportedUsers"], job["FailedUsers"]) == (3, 1)
    assert local.events(pool_id, pool_name, job)[3].startswith("[FAILED] Line Number 4 - cognito:mfa_enabled must")


def test_a_header_missing_a_column_fails_the_job(local: Env) -> None:
    pool_id, _ = local.pool()
    body = local.csv(pool_id, [_user(1)]).replace(b",custom:group", b"", 1)
    job = local.wait(pool_id, local.start(pool_id, body)["JobId"])
    assert job["Status"] == "Failed"
    assert job["CompletionMessage"] == "The CSV header lacks columns: custom:group"
    assert local.idp.list_users(UserPoolId=pool_id)["Users"] == []


def test_a_header_with_a_column_the_pool_lacks_fails_the_job(local: Env) -> None:
    pool_id, _ = local.pool()
    body = local.csv(pool_id, [_user(1)]).replace(b"custom:group", b"custom:team", 1)
    job = local.wait(pool_id, local.start(pool_id, body)["JobId"])
    assert job["Status"] == "Failed" and "lacks columns: custom:group" in job["CompletionMessage"]


def test_a_file_with_a_byte_order_mark_fails_the_job(local: Env) -> None:
    pool_id, _ = local.pool()
    job = local.wait(pool_id, local.start(pool_id, b"\xef\xbb\xbf" + local.csv(pool_id, [_user(1)]))["JobId"])
    assert job["Status"] == "Failed" and "byte order mark" in job["CompletionMessage"]


def test_a_role_missing_from_iam_fails_the_job_and_imports_nobody(local: Env) -> None:
    pool_id, _ = local.pool()
    allowed = TRUST["Statement"][0]
    denied = {**allowed, "Effect": "Deny"}
    moved = local.role().replace(":role/", ":role/some/path/")  # the same name under another path: another role
    for role in (
        "arn:aws:iam::123456789012:role/NoSuchRole",
        local.role(trust={"Version": "2012-10-17"}),
        local.role(trust={"Version": "2012-10-17", "Statement": [allowed, denied]}),  # a Deny wins
        moved,
    ):
        job = local.run(pool_id, [_user(1)], role=role)
        assert job["Status"] == "Failed"
        assert job["CompletionMessage"] == "The CloudWatch Logs role cannot be assumed."
    assert local.idp.list_users(UserPoolId=pool_id)["Users"] == []


def test_a_role_iam_might_refuse_fails_the_job(local: Env) -> None:
    """The stand-in reads the trust policy itself (sandbox/import_jobs/trust_policy.py): what IAM's documentation
    leaves open counts against the role, e.g. conditions, which the product's pre-check takes as they come."""
    pool_id, _ = local.pool()
    allowed = TRUST["Statement"][0]
    condition = {"StringNotEquals": {"aws:SourceAccount": "123456789012"}}
    for trust in (
        {"Version": "2012-10-17", "Statement": [{**allowed, "Condition": condition}]},  # an Allow that may not apply
        {"Version": "2012-10-17", "Statement": [allowed, {**allowed, "Effect": "Deny", "Condition": condition}]},
        {"Version": "2012-10-17", "Statement": [{**allowed, "Effect": "allow"}]},  # malformed: IAM would not store it
    ):
        job = local.run(pool_id, [_user(1)], role=local.role(trust=trust))
        assert (job["Status"], job["CompletionMessage"]) == ("Failed", "The CloudWatch Logs role cannot be assumed.")
    assert local.idp.list_users(UserPoolId=pool_id)["Users"] == []


# --- the upload ----------------------------------------------------------------------------------------------------


def test_the_upload_is_refused_as_s3_refuses_a_presigned_put(env: Env) -> None:
    pool_id, _ = env.pool()
    job = env.create(pool_id)
    url = job["PreSignedUrl"]
    body = env.csv(pool_id, [_user(1)])

    missing = httpx.put(url, content=body)
    assert (missing.status_code, _s3_code(missing)) == (403, "SignatureDoesNotMatch")
    wrong = httpx.put(url, content=body, headers={"x-amz-server-side-encryption": "AES256"})
    assert (wrong.status_code, _s3_code(wrong)) == (403, "SignatureDoesNotMatch")
    tampered = httpx.put(url.replace("X-Amz-Expires=899", "X-Amz-Expires=8990"), content=body, headers=SSE)
    assert (tampered.status_code, _s3_code(tampered)) == (403, "SignatureDoesNotMatch")
    unsigned = httpx.put(url.split("?")[0], content=body, headers=SSE)
    assert (unsigned.status_code, _s3_code(unsigned)) == (403, "SignatureDoesNotMatch")
    get = httpx.get(url)
    assert (get.status_code, _s3_code(get)) == (405, "MethodNotAllowed")
    assert _stored_job(env, pool_id, job["JobId"]).upload is None
    with pytest.raises(ClientError) as info:
        env.idp.start_user_import_job(UserPoolId=pool_id, JobId=job["JobId"])
    assert _code(info) == ("PreconditionNotMetException", f"No csv file was uploaded for {job['JobId']}")

    # A later PUT replaces the file; once the job has started the URL takes no more.
    assert httpx.put(url, content=b"junk", headers=SSE).status_code == 200
    assert httpx.put(url, content=body, headers=SSE).status_code == 200
    env.idp.start_user_import_job(UserPoolId=pool_id, JobId=job["JobId"])
    late = httpx.put(url, content=body, headers=SSE)
    assert (late.status_code, _s3_code(late)) == (403, "AccessDenied")
    assert env.wait(pool_id, job["JobId"])["ImportedUsers"] == 1


def test_an_expired_url_is_refused(local: Env) -> None:
    pool_id, _ = local.pool()
    with import_jobs.configured(url_ttl_s=1):
        job = local.create(pool_id)
    assert "X-Amz-Expires=0" in job["PreSignedUrl"]
    time.sleep(0.01)
    refused = httpx.put(job["PreSignedUrl"], content=b"x", headers=SSE)
    assert (refused.status_code, _s3_code(refused)) == (403, "AccessDenied")
    assert "Request has expired" in refused.text


def test_a_body_over_100_mb_is_refused_before_it_is_read(local: Env) -> None:
    pool_id, _ = local.pool()
    url = urllib.parse.urlsplit(local.create(pool_id)["PreSignedUrl"])
    conn = http.client.HTTPConnection(url.hostname or "", url.port, timeout=5)
    try:
        conn.putrequest("PUT", f"{url.path}?{url.query}")
        conn.putheader("x-amz-server-side-encryption", "aws:kms")
        conn.putheader("Content-Length", "100000001")
        conn.endheaders()
        response = conn.getresponse()
        assert response.status == 400 and b"<Code>EntityTooLarge</Code>" in response.read()
    finally:
        conn.close()


# --- the lifecycle -------------------------------------------------------------------------------------------------


def test_stop_mid_job_keeps_the_rows_imported(local: Env) -> None:
    pool_id, pool_name = local.pool()
    with import_jobs.configured(rate=100):
        started = local.start(pool_id, local.csv(pool_id, [_user(i) for i in range(200)]))
        local.wait(pool_id, started["JobId"], until={"InProgress"})
        deadline = time.monotonic() + 5
        while local.describe(pool_id, started["JobId"])["ImportedUsers"] < 5 and time.monotonic() < deadline:
            time.sleep(0.01)
        stopping = local.idp.stop_user_import_job(UserPoolId=pool_id, JobId=started["JobId"])["UserImportJob"]
        job = local.wait(pool_id, started["JobId"])

    assert stopping["Status"] == "Stopping"
    assert job["Status"] == "Stopped" and job["CompletionMessage"] == "The Import Job was stopped by the developer."
    assert 5 <= job["ImportedUsers"] < 200 and "CompletionDate" in job
    assert len(local.idp.list_users(UserPoolId=pool_id)["Users"]) == job["ImportedUsers"]
    assert len(local.events(pool_id, pool_name, job)) == job["ImportedUsers"]
    for call in (local.idp.start_user_import_job, local.idp.stop_user_import_job):
        with pytest.raises(ClientError) as info:
            call(UserPoolId=pool_id, JobId=started["JobId"])
        assert _code(info)[0] == "PreconditionNotMetException"


def test_only_one_job_is_active_per_account(local: Env) -> None:
    first_pool, _ = local.pool()
    second_pool, _ = local.pool()
    with import_jobs.configured(rate=50):
        first = local.start(first_pool, local.csv(first_pool, [_user(i) for i in range(100)]))
    second = local.create(second_pool)
    assert httpx.put(second["PreSignedUrl"], content=local.csv(second_pool, [_user(1)]), headers=SSE).is_success
    with pytest.raises(ClientError) as info:
        local.idp.start_user_import_job(UserPoolId=second_pool, JobId=second["JobId"])
    assert _code(info)[0] == "PreconditionNotMetException" and first["JobId"] in _code(info)[1]

    local.idp.stop_user_import_job(UserPoolId=first_pool, JobId=first["JobId"])
    assert local.wait(first_pool, first["JobId"])["Status"] == "Stopped"
    local.idp.start_user_import_job(UserPoolId=second_pool, JobId=second["JobId"])
    assert local.wait(second_pool, second["JobId"])["Status"] == "Succeeded"


def test_the_pool_cannot_change_while_it_imports(env: Env) -> None:
    pool_id, _ = env.pool()
    with import_jobs.configured(pending_s=5):
        started = env.start(pool_id, env.csv(pool_id, [_user(1)]))
        attempts = [
            lambda: env.idp.update_user_pool(UserPoolId=pool_id, AutoVerifiedAttributes=["email"]),
            lambda: env.idp.delete_user_pool(UserPoolId=pool_id),
            lambda: env.idp.add_custom_attributes(
                UserPoolId=pool_id, CustomAttributes=[{"Name": "team", "AttributeDataType": "String"}]
            ),
        ]
        for attempt in attempts:
            with pytest.raises(ClientError) as info:
                attempt()
            assert _code(info)[0] == "UserImportInProgressException"
        env.idp.stop_user_import_job(UserPoolId=pool_id, JobId=started["JobId"])
        assert env.wait(pool_id, started["JobId"])["Status"] == "Stopped"
    env.idp.update_user_pool(UserPoolId=pool_id, AutoVerifiedAttributes=["email"])
    env.idp.delete_user_pool(UserPoolId=pool_id)
    with pytest.raises(ClientError) as info:
        env.idp.describe_user_import_job(UserPoolId=pool_id, JobId=started["JobId"])
    assert _code(info)[0] == "ResourceNotFoundException"  # the jobs went with the pool


def test_an_unstarted_job_expires(local: Env) -> None:
    pool_id, _ = local.pool()
    job = local.create(pool_id)
    assert httpx.put(job["PreSignedUrl"], content=local.csv(pool_id, [_user(1)]), headers=SSE).is_success
    with import_jobs.configured(expire_s=0):
        time.sleep(0.01)
        expired = local.describe(pool_id, job["JobId"])
        with pytest.raises(ClientError) as info:
            local.idp.start_user_import_job(UserPoolId=pool_id, JobId=job["JobId"])
    assert expired["Status"] == "Expired" and expired["CompletionMessage"] == "The user import job has expired."
    assert "CompletionDate" in expired and _stored_job(local, pool_id, job["JobId"]).upload is None
    assert _code(info)[0] == "PreconditionNotMetException"


def test_a_pool_without_auto_verified_attributes_does_not_start(local: Env) -> None:
    pool_id, _ = local.pool(AutoVerifiedAttributes=[])
    job = local.create(pool_id)
    assert httpx.put(job["PreSignedUrl"], content=local.csv(pool_id, [_user(1)]), headers=SSE).is_success
    with pytest.raises(ClientError) as info:
        local.idp.start_user_import_job(UserPoolId=pool_id, JobId=job["JobId"])
    assert _code(info)[0] == "PreconditionNotMetException"


def test_jobs_are_listed_newest_first_in_pages(local: Env) -> None:
    pool_id, _ = local.pool()
    role = local.role()
    made = [local.create(pool_id, role, name=f"job {i}")["JobId"] for i in range(52)]
    newest_first = made[::-1]

    seen: list[str] = []
    page = local.idp.list_user_import_jobs(UserPoolId=pool_id, MaxResults=20)
    seen += [j["JobId"] for j in page["UserImportJobs"]]
    page = local.idp.list_user_import_jobs(UserPoolId=pool_id, MaxResults=20, PaginationToken=page["PaginationToken"])
    seen += [j["JobId"] for j in page["UserImportJobs"]]
    assert seen == newest_first[:40]
    widest = local.idp.list_user_import_jobs(UserPoolId=pool_id, MaxResults=60)
    assert [j["JobId"] for j in widest["UserImportJobs"]] == newest_first[:50]  # 50 a page at most
    last = local.idp.list_user_import_jobs(UserPoolId=pool_id, MaxResults=60, PaginationToken=widest["PaginationToken"])
    assert [j["JobId"] for j in last["UserImportJobs"]] == newest_first[50:] and "PaginationToken" not in last

    for bad in ({"MaxResults": 61}, {"MaxResults": 10, "PaginationToken": "garbled"}):
        with pytest.raises(ClientError) as info:
            local.idp.list_user_import_jobs(UserPoolId=pool_id, **bad)
        assert _code(info)[0] == "InvalidParameterException"


def test_create_validates_its_parameters(local: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    pool_id, _ = local.pool()
    role = local.role()
    bad_calls: list[tuple[dict[str, Any], str]] = [
        ({"JobName": "no/slashes", "CloudWatchLogsRoleArn": role}, "InvalidParameterException"),
        ({"JobName": "x" * 129, "CloudWatchLogsRoleArn": role}, "InvalidParameterException"),
        ({"JobName": "j", "CloudWatchLogsRoleArn": "not-an-arn-at-all-really"}, "InvalidParameterException"),
        (
            {"JobName": "j", "CloudWatchLogsRoleArn": role, "PasswordHashingAlgorithm": "BCRYPT"},
            "InvalidParameterException",
        ),
    ]
    for params, code in bad_calls:
        with pytest.raises(ClientError) as info:
            local.idp.create_user_import_job(UserPoolId=pool_id, **params)
        assert _code(info)[0] == code
    with pytest.raises(ClientError) as info:
        local.idp.create_user_import_job(UserPoolId="eu-west-1_missing", JobName="j", CloudWatchLogsRoleArn=role)
    assert _code(info)[0] == "ResourceNotFoundException"
    # Names need not be unique; the quota of jobs per pool (1,000, lowered here) holds.
    monkeypatch.setattr(import_jobs_api, "MAX_JOBS_PER_POOL", 2)
    local.create(pool_id, role, name="same")
    local.create(pool_id, role, name="same")
    once = boto3.client("cognito-idp", region_name=REGION, config=Config(retries={"total_max_attempts": 1}))
    with pytest.raises(ClientError) as info:  # botocore retries LimitExceededException as throttling
        once.create_user_import_job(UserPoolId=pool_id, JobName="same", CloudWatchLogsRoleArn=role)
    assert _code(info)[0] == "LimitExceededException"
    with pytest.raises(ClientError) as info:
        local.idp.describe_user_import_job(UserPoolId=pool_id, JobId="import-nosuchjob1")
    assert _code(info)[0] == "ResourceNotFoundException"


def test_an_error_inside_the_stand_in_fails_the_job_with_a_message(local: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: Any, batch: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(Processor, "_apply", broken)
    pool_id, _ = local.pool()
    job = local.run(pool_id, [_user(1)])
    assert job["Status"] == "Failed"
    assert job["CompletionMessage"] == "Internal error in the import stand-in: RuntimeError."


def test_a_paced_job_takes_its_time(local: Env) -> None:
    pool_id, _ = local.pool()
    with import_jobs.configured(rate=200):
        began = time.monotonic()
        job = local.run(pool_id, [_user(i) for i in range(60)])
    assert job["ImportedUsers"] == 60 and time.monotonic() - began >= 0.25


# --- pieces --------------------------------------------------------------------------------------------------------


def test_fields_split_on_unescaped_commas_and_are_trimmed() -> None:
    assert import_jobs.split_fields(r" a\, b , c\d,, ") == ["a, b", r"c\d", "", ""]


def test_configure_returns_the_previous_settings() -> None:
    before = import_jobs.current_settings()
    previous = import_jobs.configure(rate=5.0, line_numbers="file")
    try:
        assert previous == before and import_jobs.current_settings().line_numbers == "file"
        with pytest.raises(ValueError):
            import_jobs.configure(line_numbers="header")
    finally:
        import_jobs.configure(previous)
    assert import_jobs.current_settings() == before


def test_the_sandbox_configures_the_stand_in_while_it_runs() -> None:
    before = import_jobs.current_settings()
    settings = import_jobs.ImportJobSettings(rate=10.0, line_numbers="file")
    with Sandbox(import_jobs=settings) as box:
        assert import_jobs.current_settings() == settings
        assert box._moto is not None and box._moto.lock is import_jobs.BACKEND_LOCK
    assert import_jobs.current_settings() == before
