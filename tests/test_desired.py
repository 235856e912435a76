"""``desired.DesiredState.from_config`` and ``nothing()``, directly: the one description setup, plan, teardown and
doctor compare live state against."""

from __future__ import annotations

from typing import Any

import pytest

from cognito_privx.config import AppConfig
from cognito_privx.desired import DesiredState
from cognito_privx.errors import ConfigError

BASE: dict[str, Any] = {
    "cognito": {"region": "eu-west-1", "pool_name": "privx-users", "domain_prefix": "acme-privx"},
    "privx": {"url": "https://privx.example.com"},
}


def desired(**sections: Any) -> DesiredState:
    doc = {name: {**BASE.get(name, {}), **sections.get(name, {})} for name in {*BASE, *sections}}
    return DesiredState.from_config(AppConfig.model_validate(doc))


def pairs(state: DesiredState) -> set[tuple[str, str]]:
    return {(g.role, g.group) for g in state.grants}


def test_each_group_grants_its_role() -> None:
    state = desired(roles={"ops": "ops-admins", "dev": "developers"})
    assert pairs(state) == {("ops-admins", "ops"), ("developers", "dev")}
    assert [r.name for r in state.roles] == ["developers", "ops-admins"]  # sorted by name
    assert [g.group for g in state.grants_of("ops-admins")] == ["ops"]


def test_no_roles_means_no_grants_and_no_roles() -> None:
    state = desired()
    assert state.grants == frozenset() and state.roles == () and state.groups == frozenset()


def test_a_role_mapped_from_two_groups_is_one_role_with_two_grants() -> None:
    state = desired(
        roles={
            "ops": {"role": "admins", "permissions": ["hosts-view", "users-view"]},
            "sre": {"role": "admins", "permissions": ["users-view", "hosts-manage"], "comment": "on call"},
            "dev": {"role": "developers", "comment": "devs"},
        }
    )
    assert pairs(state) == {("admins", "ops"), ("admins", "sre"), ("developers", "dev")}
    assert [g.group for g in state.grants_of("admins")] == ["ops", "sre"]
    admins = state.role("admins")
    assert admins is not None
    # Permissions add up, each once, in the order the config first names them; the first non-empty comment wins.
    assert admins.permissions == ("hosts-view", "users-view", "hosts-manage")
    assert admins.comment == "on call"
    assert [r.name for r in state.roles] == ["admins", "developers"]


def test_the_first_non_empty_comment_of_a_shared_role_is_kept() -> None:
    state = desired(roles={"a": {"role": "r", "comment": "first"}, "b": {"role": "r", "comment": "second"}})
    assert state.role("r").comment == "first"  # type: ignore[union-attr]


def test_native_groups_are_the_roles_groups_only_with_cognito_groups() -> None:
    roles = {"ops": "ops-admins", "dev": "developers"}
    assert desired(roles=roles).groups == frozenset()
    native = desired(roles=roles, cognito={"group_claim": "cognito:groups"})
    assert native.groups == frozenset({"ops", "dev"})
    assert native.directory.tags_claim == "cognito:groups"
    assert desired(roles=roles).directory.tags_claim == "custom:group"


def test_identity_comes_from_the_config() -> None:
    state = desired(
        cognito={"group_attribute": "team", "tags": {"env": "prod"}},
        privx={"directory_name": "Corp", "additional_scopes": ["email"]},
    )
    assert (state.pool.name, state.pool.region, state.pool.pool_id) == ("privx-users", "eu-west-1", None)
    assert state.pool.pool_tags == {"env": "prod", "managed-by": "cognito-privx"}
    assert state.attribute.attribute_name == "custom:team"
    assert state.client.callback_url == "https://privx.example.com/auth/api/v1/oidc-cb"
    assert state.client.desired()["ReadAttributes"] == ["email", "email_verified", "name", "custom:team"]
    assert state.client.desired()["AllowedOAuthScopes"] == ["openid", "email"]
    assert state.domain is not None and state.domain.prefix == "acme-privx"
    assert (state.directory.name, state.directory.tags_claim) == ("Corp", "custom:team")
    assert state.pool.issuer("eu-west-1_Ab1") == "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Ab1"


def test_no_domain_prefix_means_no_managed_domain() -> None:
    assert desired(cognito={"domain_prefix": ""}).domain is None


def test_nothing_keeps_the_identity_and_drops_every_grant_role_and_group() -> None:
    state = desired(
        roles={"ops": {"role": "admins", "permissions": ["hosts-view"]}, "dev": "developers"},
        cognito={"group_claim": "cognito:groups"},
    )
    empty = state.nothing()
    assert (empty.grants, empty.roles, empty.groups) == (frozenset(), (), frozenset())
    assert (empty.pool, empty.attribute, empty.client, empty.domain, empty.directory, empty.privx_url) == (
        state.pool,
        state.attribute,
        state.client,
        state.domain,
        state.directory,
        state.privx_url,
    )
    assert empty.nothing() == empty


@pytest.mark.parametrize(("section", "key"), [("cognito", "region"), ("privx", "url")])
def test_a_missing_region_or_privx_url_is_a_config_error(section: str, key: str) -> None:
    doc = {name: dict(body) for name, body in BASE.items()}
    del doc[section][key]
    with pytest.raises(ConfigError):
        DesiredState.from_config(AppConfig.model_validate(doc))


def test_the_rehearsal_identity_is_fixed_per_group_distinct_and_a_valid_email() -> None:
    from email_validator import validate_email

    from cognito_privx.desired import is_rehearsal, rehearsal_email

    groups = ["ops", "Ops", "a+b", "a=b", "x" * 128, "@@", "dev.team-1"]
    emails = [rehearsal_email(g) for g in groups]
    assert emails[0] == rehearsal_email("ops") and len(set(emails)) == len(groups)
    for email in emails:
        assert is_rehearsal(email) and is_rehearsal(email.upper())
        assert len(email.split("@")[0]) <= 64
        validate_email(email, check_deliverability=False, test_environment=True)
    assert is_rehearsal("cognito-privx-login-0a1b2c@example.com")  # the temporary users of older versions
    assert not is_rehearsal("alice@example.com") and not is_rehearsal("cognito-privx-rehearsal-ops@evil.com")
    assert not is_rehearsal(None)
