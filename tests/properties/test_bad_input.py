"""Bad input, table-driven: every case exits 2 with one ``error:`` line and a ``hint:``, and calls no API.

"No API" is checked three ways: the PrivX emulator recorded no request, moto holds exactly what it held before
(pools, app clients, users), and no Cognito operation was sent at all. The one exception is a temporary
password that fails the pool's policy: the policy has to be read first, so reads are allowed there, but nothing
is written.

Some input is rejected by click itself (an unknown command, a bad ``--output`` value, ``--workers 0``, a missing
option): the CLI renders those as the same ``error:`` / ``hint:`` pair (ARCHITECTURE.md#errors-and-output), so they
are held to the same rules. A CSV error lists the bad rows after the hint, indented (case column ``rows=True``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cognito_privx.sandbox.emulator import PrivXEmulator
from tests.support.constants import BASE_CONFIG, PRIVX_URL, REGION

pytestmark = pytest.mark.usefixtures("aws", "emulator")

_READ_PREFIXES = ("Describe", "List", "Get", "AdminGet")


def edit(section: str, key: str, literal: str, text: str = BASE_CONFIG) -> str:
    """BASE_CONFIG with ``key = literal`` in ``[section]`` (an existing ``key = ...`` line is removed first)."""
    text = re.sub(rf"(?m)^{re.escape(key)} = .*\n", "", text)
    header = f"[{section}]\n"
    if header not in text:
        return text + f"\n{header}{key} = {literal}\n"
    return text.replace(header, f"{header}{key} = {literal}\n", 1)


@dataclass(frozen=True)
class Case:
    args: tuple[str, ...]  # "{config}" is the case's config file, "{tmp}" the test's directory
    message: str  # a fragment of the first stderr line
    config: str = BASE_CONFIG
    env: tuple[tuple[str, str | None], ...] = ()  # None unsets; "{tmp}" is replaced
    files: tuple[tuple[str, bytes], ...] = ()  # written into {tmp} before the run
    pool: bool = False  # run `setup` first (user commands need the pool)
    rows: bool = False  # a CSV row listing: indented lines follow the hint
    reads: bool = False  # Cognito may be read (never written)


def case(id: str, args: tuple[str, ...], message: str, *, marks: Any = (), **kwargs: Any) -> Any:
    return pytest.param(Case(args, message, **kwargs), id=id, marks=marks)


def csv(body: bytes, header: bytes = b"email,group,name\n") -> tuple[tuple[str, bytes], ...]:
    return (("u.csv", header + body),)


SETUP = ("--config", "{config}", "setup")
PLAN = ("--config", "{config}", "plan")
LOGIN_URL = ("--config", "{config}", "login-url")
C = ("--config", "{config}")
ADD = (*C, "add-user", "a@example.com", "--group")
IMPORT = (*C, "import-users", "{tmp}/u.csv")
BAD_ROWS = "1 bad row(s), nothing was changed"
ROLES_TABLE = BASE_CONFIG.replace('ops = "ops-admins"\n', "") + '\n[roles.ops]\nrole = "ops-admins"\ncolour = "red"\n'
NO_CREDS = (("PRIVX_API_CLIENT_ID", None), ("PRIVX_API_CLIENT_SECRET", None), ("PRIVX_API_OAUTH_CLIENT_SECRET", None))
BAD_PEM = "-----BEGIN CERTIFICATE-----\nbm9wZQ==\n-----END CERTIFICATE-----\n"
# The environment only fills in what the file leaves out (flag > file > environment > default).
NO_REGION = BASE_CONFIG.replace(f'region = "{REGION}"\n', "")
NO_URL = BASE_CONFIG.replace(f'url = "{PRIVX_URL}"\n', "")

# fmt: off
CASES = [
    # -- the config file ------------------------------------------------------------------------------------------
    case("toml-malformed", SETUP, "invalid TOML", config="[cognito\nregion = 1\n"),
    case("config-not-utf8", ("--config", "{tmp}/latin.toml", "setup"), "is not UTF-8 text",
         files=(("latin.toml", b"# caf\xe9\n"),)),
    case("config-is-a-directory", ("--config", "{tmp}", "setup"), "cannot read config file"),
    case("config-missing-flag", ("--config", "{tmp}/nowhere.toml", "setup"), "nowhere.toml does not exist"),
    case("config-missing-env", ("setup",), "nowhere.toml does not exist",
         env=(("COGNITO_PRIVX_CONFIG", "{tmp}/nowhere.toml"),)),
    case("config-none-found-setup", ("setup",), "no config file found (looked for --config"),
    case("config-none-found-plan", ("plan",), "no config file found (looked for --config"),
    case("config-none-found-add-user", ("add-user", "a@example.com", "--group", "ops"), "no config file found",
         pool=True),
    case("unknown-top-level-key", SETUP, "unknown key extra", config="extra = 1\n" + BASE_CONFIG),
    case("unknown-key-cognito", PLAN, "unknown key [cognito] pool", config=edit("cognito", "pool", '"x"')),
    case("unknown-key-privx", SETUP, "unknown key [privx] verify_tls", config=edit("privx", "verify_tls", "false")),
    case("unknown-key-roles-table", SETUP, "unknown key [roles.ops] colour", config=ROLES_TABLE),
    case("wrong-type-bool", SETUP, "[cognito] deletion_protection: Input should be a valid boolean",
         config=edit("cognito", "deletion_protection", '"yes please"')),
    case("wrong-type-timeout", SETUP, "[privx] timeout", config=edit("privx", "timeout", '"fast"')),
    case("wrong-type-section", SETUP, "cognito must be a table ([cognito])", config='cognito = "eu-west-1"\n'),
    case("wrong-type-tags", SETUP, "[cognito] tags", config=edit("cognito", "tags", '["a", "b"]')),
    case("wrong-type-role", SETUP, "ops: give a PrivX role name", config=BASE_CONFIG.replace('"ops-admins"', "7")),
    case("bad-literal-tier", SETUP, "[cognito] tier", config=edit("cognito", "tier", '"GOLD"')),
    case("region-file", SETUP, "'mars-1' is not an AWS region", config=edit("cognito", "region", '"mars-1"')),
    case("region-env", SETUP, "AWS_REGION: [cognito] region", config=NO_REGION,
         env=(("AWS_REGION", "Mars-North-1"),)),
    case("region-flag", (*C, "--region", "eu_west_1", "setup"), "--region: [cognito] region"),
    case("region-file-hidden-by-flag", (*C, "--region", REGION, "setup"), "case.toml: [cognito] region: 'mars-1'",
         config=edit("cognito", "region", '"mars-1"')),
    case("pool-id-file", SETUP, "case.toml: [cognito] pool_id: 'pool-1' is not a Cognito user pool id",
         config=edit("cognito", "pool_id", '"pool-1"')),
    case("pool-id-flag", (*C, "--pool-id", "pool-1", "plan"), "--pool-id: [cognito] pool_id: 'pool-1' is not"),
    case("pool-id-other-region", (*C, "--pool-id", "us-east-1_Ab1", "setup"),
         "the pool us-east-1_Ab1 is in us-east-1, but the configured region is eu-west-1"),
    case("pool-name-chars", SETUP, "[cognito] pool_name", config=edit("cognito", "pool_name", '"privx/users"')),
    case("pool-name-too-long", SETUP, "[cognito] pool_name", config=edit("cognito", "pool_name", f'"{"p" * 129}"')),
    case("client-name-chars", SETUP, "[cognito] app_client_name", config=edit("cognito", "app_client_name", '"px!"')),
    case("domain-reserved-word", SETUP, "reserved word 'aws'", config=edit("cognito", "domain_prefix", '"my-aws-x"')),
    case("domain-bad-chars", SETUP, "lower-case letters, digits or hyphens",
         config=edit("cognito", "domain_prefix", '"Acme_PrivX"')),
    case("group-attribute-too-long", SETUP, "must be 1-20 letters",
         config=edit("cognito", "group_attribute", f'"{"g" * 21}"')),
    case("group-attribute-custom-prefix", SETUP, "give the bare name 'group'",
         config=edit("cognito", "group_attribute", '"custom:group"')),
    case("tag-managed-by-reserved", SETUP, "set by cognito-privx itself",
         config=edit("cognito", "tags", '{ "managed-by" = "me" }')),
    case("roles-bad-group-name", SETUP, "not a valid group name", config=BASE_CONFIG + '"ops team" = "x"\n'),
    case("privx-url-http-file", SETUP, "uses plain http", config=edit("privx", "url", '"http://privx.example.com"')),
    case("privx-url-http-env", SETUP, "PRIVX_API_BASE_URL: [privx] url", config=NO_URL,
         env=(("PRIVX_API_BASE_URL", "http://privx.example.com"),)),
    case("privx-url-not-a-url", SETUP, "is not an http(s) URL", config=edit("privx", "url", '"privx.example.com"')),
    case("privx-url-127-callback", SETUP, "would be refused by Cognito",
         config=edit("privx", "url", '"http://127.0.0.1:8443"')),
    case("scope-unknown", SETUP, "scope 'groups' is not one Cognito supports",
         config=edit("privx", "additional_scopes", '["email", "groups"]')),
    case("scope-openid", SETUP, "'openid' is always requested",
         config=edit("privx", "additional_scopes", '["openid"]')),
    case("login-url-template-placeholder", LOGIN_URL, "unknown placeholder(s) ['dir']",
         config=edit("privx", "login_url_template", '"{base_url}/login?d={dir}"')),
    case("login-url-template-no-id", SETUP, "must contain {directory_id}",
         config=edit("privx", "login_url_template", '"{base_url}/login"')),
    # -- PrivX credentials and CA from the environment ------------------------------------------------------------
    case("credentials-missing", SETUP, "no PrivX API credentials are set", env=NO_CREDS),
    case("credentials-half-no-client-id", SETUP, "half-set: PRIVX_API_CLIENT_ID missing",
         env=(("PRIVX_API_CLIENT_ID", None),)),
    case("credentials-half-no-client-secret", PLAN, "half-set: PRIVX_API_CLIENT_SECRET missing",
         env=(("PRIVX_API_CLIENT_SECRET", None),)),
    case("credentials-half-no-oauth-secret", LOGIN_URL, "half-set: PRIVX_API_OAUTH_CLIENT_SECRET missing",
         env=(("PRIVX_API_OAUTH_CLIENT_SECRET", None),)),
    case("ca-cert-missing-file", SETUP, "PRIVX_CA_CERT: cannot read", env=(("PRIVX_CA_CERT", "{tmp}/no-ca.pem"),)),
    case("ca-cert-unreadable", SETUP, "Is a directory", env=(("PRIVX_CA_CERT", "{tmp}"),)),
    case("ca-cert-not-pem-file", SETUP, "holds no PEM certificate", env=(("PRIVX_CA_CERT", "{tmp}/ca.txt"),),
         files=(("ca.txt", b"not a certificate\n"),)),
    case("ca-cert-bad-pem-text", SETUP, "PRIVX_CA_CERT is not a valid PEM certificate",
         env=(("PRIVX_CA_CERT", BAD_PEM),)),
    # -- rejected by click (typer) itself -------------------------------------------------------------------------
    case("output-bad-value", (*C, "--output", "yaml", "setup"), "Invalid value for '--output'"),
    case("unknown-command", (*C, "frobnicate"), "No such command 'frobnicate'"),
    case("import-workers-0", (*IMPORT, "--workers", "0"), "Invalid value for '--workers'", pool=True,
         files=csv(b"a@example.com,ops,A\n")),
    case("import-rate-0", (*IMPORT, "--rate", "0"), "Invalid value for '--rate'", pool=True,
         files=csv(b"a@example.com,ops,A\n")),
    case("import-rate-nan", (*IMPORT, "--rate", "nan"), "a finite number, at least 0.1 (got nan)", pool=True,
         files=csv(b"a@example.com,ops,A\n")),
    case("import-rate-inf", (*IMPORT, "--rate", "inf"), "a finite number, at least 0.1 (got inf)", pool=True,
         files=csv(b"a@example.com,ops,A\n")),
    case("add-user-no-group", (*C, "add-user", "a@example.com"), "Missing option '--group'", pool=True),
    # -- user commands --------------------------------------------------------------------------------------------
    case("add-user-bad-email", (*C, "add-user", "alice@", "--group", "ops"), "'alice@' is not a valid email",
         pool=True),
    case("add-user-unknown-group", (*ADD, "sales"), "unknown group 'sales'", pool=True),
    case("add-user-bad-group-chars", (*ADD, "ops team!", "--force"), "not a valid group name", pool=True),
    case("add-user-weak-temporary-password", (*ADD, "ops", "--temporary-password", "short"),
         "does not meet the pool's password policy", pool=True, reads=True),
    case("add-user-weak-temporary-password-env", (*ADD, "ops"), "does not meet the pool's password policy",
         pool=True, reads=True, env=(("COGNITO_PRIVX_TEMPORARY_PASSWORD", "alllowercase"),)),
    case("add-user-password-and-no-invite", (*ADD, "ops", "--temporary-password", "Str0ng!Passw0rd", "--no-invite"),
         "and --no-invite do not go together", pool=True),
    case("set-group-bad-email", (*C, "set-group", "not an email", "--group", "ops"), "is not a valid email", pool=True),
    case("disable-user-bad-email", (*C, "disable-user", "a@@example.com"), "is not a valid email", pool=True),
    case("remove-user-bad-email", (*C, "remove-user", "a@example", "--yes"), "'a@example' is not a valid email",
         pool=True),
    # -- import-users: the CSV (rows=True: the bad rows follow the hint, indented) -------------------------------
    case("csv-missing-column", IMPORT, "the header lacks group", pool=True, files=csv(b"a@example.com,A\n",
         header=b"email,name\n")),
    case("csv-unknown-column", IMPORT, "unknown column(s) dept", pool=True, files=csv(b"a@example.com,ops,IT\n",
         header=b"email,group,dept\n")),
    case("csv-duplicate-column", IMPORT, "names group more than once", pool=True,
         files=csv(b"a@example.com,ops,dev\n", header=b"email,group,group\n")),
    case("csv-duplicate-email", IMPORT, BAD_ROWS, pool=True, rows=True,
         files=csv(b"a@example.com,ops,A\nb@example.com,dev,B\na@example.com,dev,A\n")),
    case("csv-duplicate-email-case", IMPORT, BAD_ROWS, pool=True, rows=True,
         files=csv(b"Alice@Example.com,ops,A\nalice@example.COM,ops,A\n")),
    case("csv-latin-1", IMPORT, "is not UTF-8 (byte", pool=True, files=csv(b"j\xf6rg@example.com,ops,J\xf6rg\n")),
    case("csv-unknown-group-one-row", IMPORT, BAD_ROWS, pool=True, rows=True,
         files=csv(b"a@example.com,ops,A\nb@example.com,sales,B\nc@example.com,dev,C\n")),
    case("csv-bad-email-row", IMPORT, BAD_ROWS, pool=True, rows=True, files=csv(b"a@example.com,ops,A\nnope,ops,B\n")),
    case("csv-too-many-fields", IMPORT, BAD_ROWS, pool=True, rows=True, files=csv(b"a@example.com,ops,A,extra\n")),
    case("csv-empty-file", IMPORT, "the header lacks email, group (found: nothing)", pool=True,
         files=(("u.csv", b""),)),
    case("csv-file-missing", (*C, "import-users", "{tmp}/missing.csv"), "cannot read", pool=True),
    case("csv-dry-run-still-validates", (*IMPORT, "--dry-run"), BAD_ROWS, pool=True, rows=True,
         files=csv(b"a@example.com,ops,A\na@example.com,ops,A\n")),
]
# fmt: on


# -- the harness -------------------------------------------------------------------------------------------------


def snapshot(aws: Any) -> dict[str, Any]:
    """Pools with their app clients and users (the test's own reads go through ``aws``)."""
    state: dict[str, Any] = {}
    for pool in aws.list_user_pools(MaxResults=60)["UserPools"]:
        pid = pool["Id"]
        clients = aws.list_user_pool_clients(UserPoolId=pid, MaxResults=60)["UserPoolClients"]
        users = aws.list_users(UserPoolId=pid, Limit=60)["Users"]
        state[pid] = (pool["Name"], sorted(c["ClientId"] for c in clients), sorted(u["Username"] for u in users))
    return state


def _fill(value: str, tmp: Path, config: Path) -> str:
    return value.replace("{config}", str(config)).replace("{tmp}", str(tmp))


def check_shape(c: Case, stderr: str) -> None:
    lines = stderr.rstrip("\n").splitlines()
    assert lines, "nothing on stderr"
    assert lines[0].startswith("error: "), stderr
    assert c.message in lines[0], stderr
    assert len(lines) >= 2 and lines[1].startswith("hint: ") and len(lines[1]) > len("hint: "), stderr
    rest = lines[2:]
    if c.rows:
        assert rest, "a CSV error lists its rows"
        assert all(line.startswith("  line ") for line in rest), stderr
    else:
        assert rest == [], stderr
    assert sum(line.startswith("error:") for line in lines) == 1


@pytest.mark.parametrize("c", CASES)
def test_bad_input_exits_2_with_error_and_hint_and_calls_nothing(
    c: Case,
    cli: Any,
    aws: Any,
    emulator: PrivXEmulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    boto3_calls: list[str],
) -> None:
    base = tmp_path / "base.toml"
    base.write_text(BASE_CONFIG)
    if c.pool:
        made = cli("--config", str(base), "setup")
        assert made.exit_code == 0, made.stderr
    config = tmp_path / "case.toml"
    config.write_text(c.config)
    for name, content in c.files:
        (tmp_path / name).write_bytes(content)
    for key, value in c.env:
        if value is None:
            monkeypatch.delenv(key, raising=False)
        else:
            monkeypatch.setenv(key, _fill(value, tmp_path, config))
    before = snapshot(aws)
    emulator.requests.clear()
    boto3_calls.clear()

    run = cli(*(_fill(a, tmp_path, config) for a in c.args))

    assert run.exit_code == 2, run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    assert run.stdout == ""
    check_shape(c, run.stderr)
    assert emulator.requests == []
    writes = [op for op in boto3_calls if not op.startswith(_READ_PREFIXES)]
    assert writes == []
    if not c.reads:
        assert boto3_calls == []
    assert snapshot(aws) == before
