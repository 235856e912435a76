"""Ownership you can prove (issue 20): the tool deletes or revokes only what its own record names.

Each test plants one object someone else made (a careless colleague, a PrivX admin, the pool's other app), runs
setup / teardown / rotate-secret as an operator would, and asserts on the state of moto and the PrivX emulator that
the object is still there, unchanged. Then the matrix: all of them at once, setup twice (the second changes
nothing), teardown leaving only the others' objects.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from cognito_privx import privx
from cognito_privx.sandbox.emulator import PrivXEmulator
from tests.support.constants import BASE_CONFIG, REGION
from tests.support.emulator import privx_client

pytestmark = pytest.mark.usefixtures("aws")

ISSUER = f"https://cognito-idp.{REGION}.amazonaws.com/"


def _ok(cli: Any, config: Path, *args: str) -> Any:
    run = cli("--config", str(config), *args)
    assert run.exit_code == 0, run.stderr
    return run


def _hand_made_pool(aws: Any, *, domain: str | None = None, client: str | None = None) -> tuple[str, str | None]:
    """A pool made elsewhere, the way adoption expects it: email as the case-insensitive user name, no self sign-up,
    and another app's client that cannot write the group attribute (issue 20: adoption refuses an open pool)."""
    pool_id = aws.create_user_pool(
        PoolName="privx-users",
        UsernameAttributes=["email"],
        UsernameConfiguration={"CaseSensitive": False},
        AdminCreateUserConfig={"AllowAdminCreateUserOnly": True},
    )["UserPool"]["Id"]
    if domain:
        aws.create_user_pool_domain(Domain=domain, UserPoolId=pool_id)
    client_id = None
    if client:
        closed = {} if client == "privx" else {"WriteAttributes": ["email"]}  # ours is narrowed by setup itself
        client_id = aws.create_user_pool_client(UserPoolId=pool_id, ClientName=client, GenerateSecret=True, **closed)[
            "UserPoolClient"
        ]["ClientId"]
    return pool_id, client_id


def _domain_owner(aws: Any, prefix: str) -> str | None:
    owner = aws.describe_user_pool_domain(Domain=prefix)["DomainDescription"].get("UserPoolId")
    return str(owner) if owner else None


def _client_ids(aws: Any, pool_id: str) -> set[str]:
    return {c["ClientId"] for c in aws.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)["UserPoolClients"]}


def _our_directory(emu: PrivXEmulator) -> dict[str, Any]:
    return next(s for s in emu.sources.values() if s["name"] == "Cognito")


def _role_named(emu: PrivXEmulator, name: str) -> dict[str, Any] | None:
    return next((r for r in emu.roles.values() if r["name"] == name), None)


def _snapshot(obj: Any) -> Any:
    return json.loads(json.dumps(obj, default=str))


# -- Cognito: the adopted pool's own domain and app client ------------------------------------------------------


def test_teardown_of_an_adopted_pool_keeps_the_domain_and_client_that_were_there(
    cli: Any, config_file: Path, aws: Any, emulator: PrivXEmulator
) -> None:
    pool_id, client_id = _hand_made_pool(aws, domain="acme-privx", client="privx")
    _ok(cli, config_file, "setup", "--adopt")
    assert _client_ids(aws, pool_id) == {client_id}  # adopted and used, not replaced

    done = _ok(cli, config_file, "teardown", "--yes")
    assert _domain_owner(aws, "acme-privx") == pool_id, done.stderr
    assert _client_ids(aws, pool_id) == {client_id}
    assert "left alone" in done.stderr or "kept" in done.stderr


def test_teardown_with_no_domain_managed_deletes_no_domain(
    cli: Any, config_file: Path, aws: Any, emulator: PrivXEmulator
) -> None:
    pool_id, _ = _hand_made_pool(aws, domain="their-login")
    config_file.write_text(BASE_CONFIG.replace('domain_prefix = "acme-privx"', 'domain_prefix = ""'))
    _ok(cli, config_file, "setup", "--adopt")
    _ok(cli, config_file, "teardown", "--yes")
    assert _domain_owner(aws, "their-login") == pool_id


def test_teardown_deletes_the_domain_and_client_setup_created_on_an_adopted_pool(
    cli: Any, config_file: Path, aws: Any, emulator: PrivXEmulator
) -> None:
    pool_id, other = _hand_made_pool(aws, client="their-app")
    _ok(cli, config_file, "setup", "--adopt")
    assert _domain_owner(aws, "acme-privx") == pool_id and len(_client_ids(aws, pool_id)) == 2
    _ok(cli, config_file, "teardown", "--yes")
    assert _domain_owner(aws, "acme-privx") is None
    assert _client_ids(aws, pool_id) == {other}


def test_setup_adopt_with_another_prefix_never_deletes_the_pools_domain(
    cli: Any, config_file: Path, aws: Any, emulator: PrivXEmulator
) -> None:
    pool_id, _ = _hand_made_pool(aws, domain="their-login")
    run = cli("--config", str(config_file), "setup", "--adopt")
    assert run.exit_code != 0
    assert "their-login" in run.stderr and "hint:" in run.stderr and 'domain_prefix = ""' in run.stderr
    assert _domain_owner(aws, "their-login") == pool_id
    assert _domain_owner(aws, "acme-privx") is None
    plan = cli("--config", str(config_file), "plan", "--adopt")
    assert plan.exit_code != 0 and "their-login" in plan.stderr


# -- PrivX: a directory under another name, others' rules, a role that copies our marker -------------------------


def test_a_hand_made_directory_under_another_name_pointing_at_our_pool_is_refused(
    cli: Any, config_file: Path, aws: Any, emulator: PrivXEmulator
) -> None:
    _ok(cli, config_file, "setup")
    ours = _our_directory(emulator)
    pool_id = aws.list_user_pools(MaxResults=60)["UserPools"][0]["Id"]
    px = privx_client(emulator)
    for role in list(emulator.roles.values()):
        if not role.get("system"):
            px.delete_role(str(role["id"]))
    px.delete_source(str(ours["id"]))
    hand_made = px.create_source(
        {
            "name": "Corp SSO",
            "comment": "made by hand",
            "enabled": True,
            "connection": {
                "type": "OIDC",
                "oidc_enabled": True,
                "oidc_issuer": ISSUER + pool_id,
                "oidc_client_id": "theirclient",
                "oidc_client_secret": "theirsecret-do-not-print",
            },
        }
    )
    before = _snapshot(emulator.sources[hand_made])
    run = cli("--config", str(config_file), "setup")
    assert run.exit_code == 1 and "Corp SSO" in run.stderr and "--adopt" in run.stderr
    assert _snapshot(emulator.sources[hand_made]) == before
    _ok(cli, config_file, "teardown", "--yes")
    assert _snapshot(emulator.sources[hand_made]) == before


def _directory_id(emu: PrivXEmulator) -> str:
    return str(_our_directory(emu)["id"])


def test_setup_never_revokes_rules_an_admin_wrote_for_our_directory(
    cli: Any, config_file: Path, aws: Any, emulator: PrivXEmulator
) -> None:
    _ok(cli, config_file, "setup")
    directory = _directory_id(emulator)
    px = privx_client(emulator)
    break_glass = privx.role_rule(directory, "(email=alice@example.com)")
    auditors = privx.role_rule(directory, "(tags=auditors)")  # our form, but a group no grant of ours names
    own = px.create_role(
        {
            "name": "break-glass",
            "comment": "by hand",
            "permissions": [],
            "source_rules": {"type": "GROUP", "match": "ANY", "rules": [break_glass, auditors]},
        }
    )
    ops = _role_named(emulator, "ops-admins")
    assert ops is not None
    body = {k: v for k, v in copy.deepcopy(ops).items() if k not in ("id", "created", "updated", "author")}
    body["source_rules"]["rules"].append(break_glass)
    px.update_role(str(ops["id"]), body)
    before = _snapshot(emulator.roles[own])

    again = _ok(cli, config_file, "-o", "json", "setup")
    assert {c["action"] for c in json.loads(again.stdout)["changes"]} == {"noop"}
    assert _snapshot(emulator.roles[own]) == before
    ops_after = _role_named(emulator, "ops-admins")
    assert ops_after is not None and break_glass in ops_after["source_rules"]["rules"]

    # Dropping dev revokes our leaf for dev and nothing else.
    config_file.write_text(BASE_CONFIG.replace('dev = "developers"\n', ""))
    _ok(cli, config_file, "setup")
    assert _snapshot(emulator.roles[own]) == before
    dev = _role_named(emulator, "developers")
    assert dev is not None and privx.leaves(dev["source_rules"]) == []


def test_teardown_keeps_a_role_that_copies_our_marker(
    cli: Any, config_file: Path, aws: Any, emulator: PrivXEmulator
) -> None:
    _ok(cli, config_file, "setup")
    directory = _directory_id(emulator)
    px = privx_client(emulator)
    copycat = px.create_role(
        {
            "name": "copycat",
            "comment": privx.role_marker(directory),
            "permissions": [],
            "source_rules": {"type": "GROUP", "match": "ANY", "rules": []},
        }
    )
    _ok(cli, config_file, "teardown", "--yes")
    assert copycat in emulator.roles
    assert _role_named(emulator, "ops-admins") is None and _role_named(emulator, "developers") is None


# -- the matrix: every foreign object at once; setup twice; teardown leaves only the others' ---------------------


def test_matrix_setup_twice_then_teardown_leaves_only_others_objects(
    cli: Any, config_file: Path, aws: Any, emulator: PrivXEmulator
) -> None:
    pool_id, their_client = _hand_made_pool(aws, domain="acme-privx", client="privx")
    _, other_app = (
        None,
        aws.create_user_pool_client(UserPoolId=pool_id, ClientName="their-app", WriteAttributes=["email"])[
            "UserPoolClient"
        ]["ClientId"],
    )
    _ok(cli, config_file, "setup", "--adopt")
    directory = _directory_id(emulator)
    px = privx_client(emulator)
    break_glass = privx.role_rule(directory, "(email=alice@example.com)")
    theirs = px.create_role(
        {
            "name": "break-glass",
            "comment": "by hand",
            "permissions": [],
            "source_rules": {"type": "GROUP", "match": "ANY", "rules": [break_glass]},
        }
    )
    copycat = px.create_role(
        {
            "name": "copycat",
            "comment": privx.role_marker(directory),
            "permissions": [],
            "source_rules": {"type": "GROUP", "match": "ANY", "rules": []},
        }
    )
    foreign = {theirs: _snapshot(emulator.roles[theirs]), copycat: _snapshot(emulator.roles[copycat])}

    first = _ok(cli, config_file, "-o", "json", "setup")
    assert {c["action"] for c in json.loads(first.stdout)["changes"]} == {"noop"}
    second = _ok(cli, config_file, "-o", "json", "setup")
    assert {c["action"] for c in json.loads(second.stdout)["changes"]} == {"noop"}

    _ok(cli, config_file, "teardown", "--yes")
    assert {k: _snapshot(emulator.roles.get(k)) for k in foreign} == foreign
    assert _domain_owner(aws, "acme-privx") == pool_id
    assert _client_ids(aws, pool_id) == {their_client, other_app}
    assert _role_named(emulator, "ops-admins") is None and _role_named(emulator, "developers") is None
    assert not any(s["name"] == "Cognito" for s in emulator.sources.values())


# -- migration: a deployment made by an older version has no record ----------------------------------------------


def test_a_deployment_without_a_record_gets_one_once_and_teardown_still_removes_ours(
    cli: Any, config_file: Path, aws: Any, emulator: PrivXEmulator
) -> None:
    _ok(cli, config_file, "setup")
    pool_id = aws.list_user_pools(MaxResults=60)["UserPools"][0]["Id"]
    # What an older version left: our tag, no record; its markers on the directory and the roles.
    pool = aws.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    old_tags = {k: v for k, v in pool["UserPoolTags"].items() if not k.startswith("cognito-privx:")}
    aws.update_user_pool(UserPoolId=pool_id, UserPoolTags=old_tags, AutoVerifiedAttributes=["email"])
    directory = _our_directory(emulator)
    directory["comment"] = privx.strip_record(directory["comment"])
    plan = _ok(cli, config_file, "plan")
    assert "record" in plan.stdout + plan.stderr
    _ok(cli, config_file, "setup")
    tags = aws.describe_user_pool(UserPoolId=pool_id)["UserPool"]["UserPoolTags"]
    assert tags.get("cognito-privx:client") and tags.get("cognito-privx:domain") == "acme-privx"
    again = _ok(cli, config_file, "-o", "json", "setup")
    assert {c["action"] for c in json.loads(again.stdout)["changes"]} == {"noop"}
    _ok(cli, config_file, "teardown", "--yes")
    assert aws.list_user_pools(MaxResults=60)["UserPools"] == []
    assert not [r for r in emulator.roles.values() if not r.get("system")]


def test_a_changed_rule_template_revokes_the_leaves_of_the_old_form(
    cli: Any, config_file: Path, emulator: PrivXEmulator
) -> None:
    """A custom form (not among the candidates) is recorded when setup writes it: after the config moves to another
    form, setup revokes the old leaves instead of leaving them granted, and the record forgets the old form."""
    custom = BASE_CONFIG.replace(
        'button_title = "Cognito"\n', 'button_title = "Cognito"\nrule_template = "(grp={group})"\n'
    )
    config_file.write_text(custom)
    _ok(cli, config_file, "setup")
    ops = _role_named(emulator, "ops-admins")
    assert ops is not None
    assert [leaf["search_string"] for leaf in privx.leaves(ops["source_rules"])] == ["(grp=ops)"]
    assert privx.record_of(_our_directory(emulator)).forms == ("(grp={group})",)

    config_file.write_text(BASE_CONFIG)
    _ok(cli, config_file, "setup")
    ops = _role_named(emulator, "ops-admins")
    assert ops is not None
    assert [leaf["search_string"] for leaf in privx.leaves(ops["source_rules"])] == ["(tags=ops)"]
    assert privx.record_of(_our_directory(emulator)).forms == ("(tags={group})",)
    again = _ok(cli, config_file, "-o", "json", "setup")
    assert {c["action"] for c in json.loads(again.stdout)["changes"]} == {"noop"}


# -- what teardown leaves behind -------------------------------------------------------------------------------


def test_teardown_of_a_kept_adopted_pool_removes_our_tags_so_reuse_needs_adopt(
    cli: Any, config_file: Path, aws: Any, emulator: PrivXEmulator
) -> None:
    pool_id, _ = _hand_made_pool(aws, client="their-app")
    arn = aws.describe_user_pool(UserPoolId=pool_id)["UserPool"]["Arn"]
    aws.tag_resource(ResourceArn=arn, Tags={"team": "identity"})
    _ok(cli, config_file, "setup", "--adopt")
    tags = aws.describe_user_pool(UserPoolId=pool_id)["UserPool"]["UserPoolTags"]
    assert tags["managed-by"] == "cognito-privx" and "cognito-privx:record" in tags

    done = _ok(cli, config_file, "-o", "json", "teardown", "--yes")
    (untag,) = [c for c in json.loads(done.stdout)["changes"] if c["resource"] == "cognito user pool tags"]
    assert untag["action"] == "delete" and "managed-by" in json.dumps(untag)
    assert aws.describe_user_pool(UserPoolId=pool_id)["UserPool"]["UserPoolTags"] == {"team": "identity"}

    plain = cli("--config", str(config_file), "setup")
    assert plain.exit_code != 0 and "--adopt" in plain.stderr
    assert aws.describe_user_pool(UserPoolId=pool_id)["UserPool"]["UserPoolTags"] == {"team": "identity"}
    again = _ok(cli, config_file, "-o", "json", "teardown", "--yes")  # nothing of ours: nothing to untag
    assert not [c for c in json.loads(again.stdout)["changes"] if c["action"] == "delete"]


def test_teardown_names_the_rules_of_others_left_pointing_at_the_directory(
    cli: Any, config_file: Path, aws: Any, emulator: PrivXEmulator
) -> None:
    _ok(cli, config_file, "setup")
    directory = _directory_id(emulator)
    px = privx_client(emulator)
    break_glass = privx.role_rule(directory, "(email=alice@example.com)")
    theirs = px.create_role(
        {
            "name": "break-glass",
            "comment": "by hand",
            "permissions": [],
            "source_rules": {"type": "GROUP", "match": "ANY", "rules": [break_glass]},
        }
    )
    plan = _ok(cli, config_file, "-o", "json", "teardown", "--dry-run")
    (gone,) = [c for c in json.loads(plan.stdout)["changes"] if c["resource"] == "privx directory"]
    assert gone["action"] == "delete"
    assert (
        "1 rule(s) of others still point at this directory: role break-glass (PrivX keeps them; they match no one "
        "once it is gone)"
    ) in gone["notes"]
    done = _ok(cli, config_file, "teardown", "--yes")
    assert "role break-glass" in done.stderr + done.stdout
    assert break_glass in privx.leaves(emulator.roles[theirs]["source_rules"])  # kept, pointing at nothing
    assert not any(s["name"] == "Cognito" for s in emulator.sources.values())


def test_teardown_with_no_rules_of_others_says_nothing_about_them(
    cli: Any, config_file: Path, aws: Any, emulator: PrivXEmulator
) -> None:
    _ok(cli, config_file, "setup")
    plan = _ok(cli, config_file, "-o", "json", "teardown", "--dry-run")
    (gone,) = [c for c in json.loads(plan.stdout)["changes"] if c["resource"] == "privx directory"]
    assert not [n for n in gone["notes"] if "of others" in n]
