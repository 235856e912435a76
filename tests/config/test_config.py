"""Configuration and PrivX credentials: every bad input is a one-line ConfigError/CredentialsError (exit 2)
naming the key and carrying a hint; good input layers flag > file > environment > default, and there is no
configuration without a config file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from cognito_privx.config import (
    DEFAULT_LOGIN_URL_TEMPLATE,
    AppConfig,
    PrivXCredentials,
    load_config,
    load_credentials,
)
from cognito_privx.desired import DesiredState
from cognito_privx.errors import ConfigError, CredentialsError
from cognito_privx.sandbox.emulator import PrivXEmulator
from tests.support.constants import (
    API_CLIENT_ID,
    API_CLIENT_SECRET,
    BASE_CONFIG,
    OAUTH_CLIENT_SECRET,
    PRIVX_URL,
    REGION,
)

PEM = """-----BEGIN CERTIFICATE-----
MIIBszCCAVmgAwIBAgIUFakeFakeFakeFakeFakeFakeFakeFakeFakeMAoGCCqGSM49BAMC
-----END CERTIFICATE-----
"""


def write(tmp_path: Path, text: str, name: str = "config.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def config_error(path: Path, **kwargs: object) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_config(path, **kwargs)  # type: ignore[arg-type]
    err = info.value
    assert err.exit_code == 2
    assert "\n" not in err.message, err.message
    assert err.hint and err.hint.strip()
    return err


# -- invalid values ------------------------------------------------------------------------------------------

# (id, TOML text, substrings the message must contain)
INVALID: list[tuple[str, str, tuple[str, ...]]] = [
    ("malformed-toml", "[cognito\nregion = 'eu-west-1'\n", ("invalid TOML", "line 1")),
    ("unknown-top-level-key", "[cognitoo]\nregion = 'eu-west-1'\n", ("unknown key", "cognitoo")),
    ("unknown-cognito-key", "[cognito]\npool = 'x'\n", ("unknown key", "[cognito] pool")),
    ("unknown-privx-key", "[privx]\nurll = 'https://p.example.com'\n", ("unknown key", "[privx] urll")),
    ("deletion-protection-not-bool", "[cognito]\ndeletion_protection = 'yes please'\n", ("deletion_protection",)),
    ("tags-not-table", "[cognito]\ntags = 3\n", ("[cognito] tags",)),
    ("tags-managed-by-reserved", "[cognito]\ntags = { managed-by = 'me' }\n", ("tags", "managed-by")),
    ("tags-aws-prefix", "[cognito]\ntags = { 'aws:x' = 'y' }\n", ("tags", "aws:")),
    ("region-invalid", "[cognito]\nregion = 'Europe'\n", ("[cognito] region", "Europe")),
    ("region-az-not-region", "[cognito]\nregion = 'eu-west-1a'\n", ("[cognito] region",)),
    ("pool-name-too-long", f"[cognito]\npool_name = '{'p' * 129}'\n", ("[cognito] pool_name", "1-128")),
    ("pool-name-bad-chars", "[cognito]\npool_name = 'privx/users'\n", ("[cognito] pool_name",)),
    ("pool-name-empty", "[cognito]\npool_name = ''\n", ("[cognito] pool_name",)),
    ("client-name-bad-chars", "[cognito]\napp_client_name = 'privx#1'\n", ("[cognito] app_client_name",)),
    ("domain-reserved-aws", "[cognito]\ndomain_prefix = 'acme-aws'\n", ("domain_prefix", "reserved", "aws")),
    ("domain-reserved-amazon", "[cognito]\ndomain_prefix = 'amazon-privx'\n", ("domain_prefix", "amazon")),
    ("domain-reserved-cognito", "[cognito]\ndomain_prefix = 'mycognito'\n", ("domain_prefix", "cognito")),
    ("domain-uppercase", "[cognito]\ndomain_prefix = 'Acme'\n", ("[cognito] domain_prefix", "lower-case")),
    ("domain-underscore", "[cognito]\ndomain_prefix = 'acme_privx'\n", ("[cognito] domain_prefix",)),
    ("domain-leading-hyphen", "[cognito]\ndomain_prefix = '-acme'\n", ("[cognito] domain_prefix",)),
    ("domain-trailing-hyphen", "[cognito]\ndomain_prefix = 'acme-'\n", ("[cognito] domain_prefix",)),
    ("domain-64-chars", f"[cognito]\ndomain_prefix = '{'a' * 64}'\n", ("[cognito] domain_prefix", "1-63")),
    (
        "group-attribute-prefixed",
        "[cognito]\ngroup_attribute = 'custom:group'\n",
        ("[cognito] group_attribute", "bare name", "'group'"),
    ),
    ("group-attribute-21-chars", f"[cognito]\ngroup_attribute = '{'g' * 21}'\n", ("group_attribute", "1-20")),
    ("group-attribute-space", "[cognito]\ngroup_attribute = 'my group'\n", ("group_attribute",)),
    ("hosted-ui-unknown", "[cognito]\nhosted_ui = 'fancy'\n", ("[cognito] hosted_ui", "classic", "managed")),
    ("tier-unknown", "[cognito]\ntier = 'FREE'\n", ("[cognito] tier", "LITE")),
    (
        "scope-unknown",
        "[privx]\nadditional_scopes = ['email', 'groups']\n",
        ("[privx] additional_scopes", "'groups'", "email"),
    ),
    ("scope-openid", "[privx]\nadditional_scopes = ['openid', 'email']\n", ("additional_scopes", "openid")),
    ("scope-duplicate", "[privx]\nadditional_scopes = ['email', 'email']\n", ("additional_scopes", "twice")),
    ("url-http-not-loopback", "[privx]\nurl = 'http://privx.example.com'\n", ("[privx] url", "https")),
    ("url-ftp", "[privx]\nurl = 'ftp://privx.example.com'\n", ("[privx] url", "ftp://")),
    ("url-no-host", "[privx]\nurl = 'https:///privx'\n", ("[privx] url",)),
    ("url-with-query", "[privx]\nurl = 'https://privx.example.com/?a=1'\n", ("[privx] url", "query")),
    ("url-with-fragment", "[privx]\nurl = 'https://privx.example.com/#x'\n", ("[privx] url", "fragment")),
    (
        "template-without-directory-id",
        "[privx]\nlogin_url_template = '{base_url}/login'\n",
        ("[privx] login_url_template", "{directory_id}"),
    ),
    (
        "template-unknown-placeholder",
        "[privx]\nlogin_url_template = '{base_url}/login/{directory_id}?u={user}'\n",
        ("[privx] login_url_template", "user"),
    ),
    ("timeout-zero", "[privx]\ntimeout = 0\n", ("[privx] timeout",)),
    ("directory-name-empty", "[privx]\ndirectory_name = ''\n", ("[privx] directory_name",)),
    ("roles-bad-group-name", "[roles]\n'ops team' = 'ops-admins'\n", ("roles", "'ops team'")),
    ("roles-empty-role-name", "[roles]\nops = ''\n", ("roles", "ops")),
]


@pytest.mark.parametrize(("text", "needles"), [(t, n) for _, t, n in INVALID], ids=[i for i, _, _ in INVALID])
def test_invalid_value_is_a_one_line_config_error_naming_the_key(
    tmp_path: Path, text: str, needles: tuple[str, ...]
) -> None:
    path = write(tmp_path, text)
    err = config_error(path, env={})
    assert str(path) in err.message  # the source of the bad value
    for needle in needles:
        assert needle in err.message, err.message


def test_loopback_ip_url_passes_the_url_check_but_the_callback_would_be_refused(tmp_path: Path) -> None:
    err = config_error(write(tmp_path, "[privx]\nurl = 'http://127.0.0.1:8443'\n"), env={})
    assert "localhost" in err.message
    assert "http://127.0.0.1:8443/auth/api/v1/oidc-cb" in err.message


@pytest.mark.parametrize(
    ("text", "env", "source"),
    [
        ("[privx]\nurl = 'http://127.0.0.1:8443'\n", {}, None),
        ("", {"PRIVX_API_BASE_URL": "http://127.0.0.1:8443"}, "PRIVX_API_BASE_URL"),
    ],
    ids=["from-file", "from-env"],
)
def test_refused_callback_error_names_the_url_key_and_its_source(
    tmp_path: Path, text: str, env: dict[str, str], source: str | None
) -> None:
    path = write(tmp_path, text)
    err = config_error(path, env=env)
    assert "[privx] url" in err.message
    assert ": : " not in err.message
    assert err.message.startswith(source or str(path))


def test_role_table_with_unknown_key_names_that_key(tmp_path: Path) -> None:
    path = write(tmp_path, "[roles.ops]\nrole = 'ops-admins'\npermisions = []\n")
    err = config_error(path, env={})
    assert "permisions" in err.message
    assert "constrained-str" not in err.message


def test_role_table_with_unknown_key_is_refused(tmp_path: Path) -> None:
    # What holds today: the input is refused (exit 2) and the group is named.
    path = write(tmp_path, "[roles.ops]\nrole = 'ops-admins'\npermisions = []\n")
    err = config_error(path, env={})
    assert "roles.ops" in err.message


def test_explicit_config_file_that_does_not_exist(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    err = config_error(missing, env={})
    assert str(missing) in err.message and "does not exist" in err.message
    assert "--config" in (err.hint or "")


def test_config_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes("[privx]\nbutton_title = 'Kirjaudu sisään'\n".encode("latin-1"))
    err = config_error(path, env={})
    assert str(path) in err.message and "UTF-8" in err.message


# -- valid configurations --------------------------------------------------------------------------------------


def test_no_config_file_is_an_error_naming_where_it_looked() -> None:
    # cwd is an empty tmp_path; the environment names no file either.
    err = config_error(None, env={"AWS_REGION": REGION, "PRIVX_API_BASE_URL": PRIVX_URL})  # type: ignore[arg-type]
    assert err.message == "no config file found (looked for --config, $COGNITO_PRIVX_CONFIG, ./cognito-privx.toml)"
    assert "cognito-privx init" in (err.hint or "") and "--config FILE" in (err.hint or "")
    assert list(Path.cwd().iterdir()) == []  # nothing was written either


def test_no_config_file_is_an_error_with_os_environ_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_REGION", REGION)
    with pytest.raises(ConfigError, match="no config file found"):
        load_config()


def test_defaults_of_an_empty_file(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, ""), env={})
    assert cfg.cognito.region is None
    assert cfg.cognito.pool_id is None
    assert cfg.cognito.pool_name == "privx"
    assert cfg.cognito.app_client_name == "privx"
    assert cfg.cognito.group_attribute == "group"
    assert cfg.cognito.hosted_ui == "classic" and cfg.cognito.managed_login_version == 1
    assert cfg.cognito.tier is None  # LITE when the pool is created; afterwards left as it is
    assert cfg.cognito.deletion_protection is True
    assert cfg.privx.url is None
    assert cfg.privx.directory_name == "Cognito" and cfg.privx.button_title == "Cognito"
    assert cfg.privx.additional_scopes == ("email", "profile")
    assert cfg.privx.login_url_template == DEFAULT_LOGIN_URL_TEMPLATE
    assert cfg.roles == {}


def test_missing_region_and_url_are_reported_when_needed(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, ""), env={})
    with pytest.raises(ConfigError) as region:
        _ = cfg.region
    assert "region" in region.value.message and "AWS_REGION" in (region.value.hint or "")
    with pytest.raises(ConfigError) as url:
        _ = cfg.privx_url
    assert "PrivX URL" in url.value.message and "PRIVX_API_BASE_URL" in (url.value.hint or "")


def test_base_config_is_valid(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, BASE_CONFIG), env={})
    assert cfg.region == REGION
    assert cfg.privx_url == PRIVX_URL
    assert cfg.callback_url == f"{PRIVX_URL}/auth/api/v1/oidc-cb"
    assert {g: r.role for g, r in cfg.roles.items()} == {"ops": "ops-admins", "dev": "developers"}
    # The issuer and the group -> role grants, as setup, plan and doctor derive them from this config.
    state = DesiredState.from_config(cfg)
    assert state.pool.issuer("eu-west-1_abc") == "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc"
    assert {g.group: g.role for g in state.grants} == {"ops": "ops-admins", "dev": "developers"}


@pytest.mark.parametrize(
    "url",
    ["http://localhost:8080", "http://localhost:8080/", "https://privx.example.com/"],
    ids=["http-localhost", "http-localhost-trailing-slash", "https-trailing-slash"],
)
def test_accepted_urls_are_normalised_without_trailing_slash(tmp_path: Path, url: str) -> None:
    cfg = load_config(write(tmp_path, f"[privx]\nurl = '{url}'\n"), env={})
    assert cfg.privx_url == url.rstrip("/")
    assert cfg.callback_url == url.rstrip("/") + "/auth/api/v1/oidc-cb"


def test_an_internal_api_url_behind_a_public_url_is_not_held_to_cognito_callback_rules(tmp_path: Path) -> None:
    """The callback comes from public_url when it is set: the API URL (here a loopback address, which Cognito
    would refuse as a callback host) need not be one Cognito accepts."""
    text = "[privx]\nurl = 'http://127.0.0.1:8080'\npublic_url = 'https://privx.example.com'\n"
    cfg = load_config(write(tmp_path, text), env={})
    assert cfg.privx_url == "http://127.0.0.1:8080"
    assert cfg.callback_url == "https://privx.example.com/auth/api/v1/oidc-cb"
    err = config_error(write(tmp_path, "[privx]\nurl = 'http://127.0.0.1:8080'\n", "alone.toml"), env={})
    assert "[privx] url" in err.message and "callback URL" in err.message
    err = config_error(
        write(tmp_path, "[privx]\nurl = 'https://x.example'\npublic_url = 'http://127.0.0.1'\n", "p.toml"), env={}
    )
    assert "[privx] public_url" in err.message and "callback URL" in err.message


def test_table_form_and_plain_roles_give_the_same_role_map(tmp_path: Path) -> None:
    plain = load_config(write(tmp_path, "[roles]\nops = 'ops-admins'\n", "plain.toml"), env={})
    table = load_config(write(tmp_path, "[roles.ops]\nrole = 'ops-admins'\n", "table.toml"), env={})
    assert plain.roles == table.roles
    assert plain.roles["ops"].role == "ops-admins"
    assert plain.roles["ops"].permissions == () and plain.roles["ops"].comment == ""


def test_table_form_role_keeps_permissions_and_comment(tmp_path: Path) -> None:
    text = "[roles.ops]\nrole = 'ops-admins'\npermissions = ['hosts-view']\ncomment = 'on call'\n"
    spec = load_config(write(tmp_path, text), env={}).roles["ops"]
    assert (spec.role, spec.permissions, spec.comment) == ("ops-admins", ("hosts-view",), "on call")


def test_attribute_name_and_pool_tags(tmp_path: Path) -> None:
    text = "[cognito]\ngroup_attribute = 'team'\ntags = { env = 'prod' }\nhosted_ui = 'managed'\n"
    cfg = load_config(write(tmp_path, text), env={})
    assert cfg.cognito.attribute_name == "custom:team"
    assert cfg.cognito.pool_tags == {"env": "prod", "managed-by": "cognito-privx"}
    assert cfg.cognito.managed_login_version == 2


def test_default_attribute_name_is_custom_group(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, ""), env={})
    assert cfg.cognito.attribute_name == "custom:group"
    assert cfg.cognito.pool_tags == {"managed-by": "cognito-privx"}


def test_config_models_are_frozen(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, BASE_CONFIG), env={})
    with pytest.raises(ValueError, match="frozen"):
        cfg.cognito.region = "us-east-1"  # type: ignore[misc]
    assert isinstance(cfg, AppConfig)


# -- precedence: flag > file > environment > default -----------------------------------------------------------

NO_REGION = BASE_CONFIG.replace(f'region = "{REGION}"\n', "")
NO_URL = BASE_CONFIG.replace(f'url = "{PRIVX_URL}"\n', "")
assert NO_REGION != BASE_CONFIG and NO_URL != BASE_CONFIG


def test_region_from_file(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, BASE_CONFIG), env={}).region == REGION


def test_file_region_beats_aws_region(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, BASE_CONFIG), env={"AWS_REGION": "us-east-2"}).region == REGION


def test_file_region_beats_aws_default_region(tmp_path: Path) -> None:
    env = {"AWS_DEFAULT_REGION": "ap-south-1", "AWS_REGION": "us-east-2"}
    assert load_config(write(tmp_path, BASE_CONFIG), env=env).region == REGION


def test_aws_region_fills_a_file_without_region(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, NO_REGION), env={"AWS_REGION": "us-east-2"}).region == "us-east-2"


def test_aws_default_region_fills_and_aws_region_wins_over_it(tmp_path: Path) -> None:
    path = write(tmp_path, NO_REGION)
    assert load_config(path, env={"AWS_DEFAULT_REGION": "ap-south-1"}).region == "ap-south-1"
    both = {"AWS_DEFAULT_REGION": "ap-south-1", "AWS_REGION": "us-east-2"}
    assert load_config(path, env=both).region == "us-east-2"
    assert load_config(path, env={"AWS_REGION": "", "AWS_DEFAULT_REGION": "ap-south-1"}).region == "ap-south-1"


def test_region_flag_beats_the_file(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, BASE_CONFIG), env={}, region="eu-north-1")
    assert cfg.region == "eu-north-1"


def test_region_flag_beats_file_and_environment(tmp_path: Path) -> None:
    for text in (BASE_CONFIG, NO_REGION):
        cfg = load_config(write(tmp_path, text), env={"AWS_REGION": "us-east-2"}, region="eu-north-1")
        assert cfg.region == "eu-north-1"


def test_region_from_os_environ_fills_when_no_mapping_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_REGION", "ca-central-1")
    assert load_config(write(tmp_path, NO_REGION)).region == "ca-central-1"
    assert load_config(write(tmp_path, BASE_CONFIG)).region == REGION


def test_file_url_beats_privx_base_url(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, BASE_CONFIG), env={"PRIVX_API_BASE_URL": "http://localhost:8443/"})
    assert cfg.privx_url == PRIVX_URL


def test_privx_base_url_fills_a_file_without_url(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, NO_URL), env={"PRIVX_API_BASE_URL": "http://localhost:8443/"})
    assert cfg.privx_url == "http://localhost:8443"
    assert cfg.callback_url == "http://localhost:8443/auth/api/v1/oidc-cb"


def test_environment_fills_a_file_without_the_section(tmp_path: Path) -> None:
    cfg = load_config(
        write(tmp_path, "[roles]\nops = 'ops-admins'\n"),
        env={"AWS_REGION": "us-west-2", "PRIVX_API_BASE_URL": PRIVX_URL},
    )
    assert (cfg.region, cfg.privx_url) == ("us-west-2", PRIVX_URL)


def test_invalid_aws_region_names_the_environment_variable(tmp_path: Path) -> None:
    err = config_error(write(tmp_path, NO_REGION), env={"AWS_REGION": "moon-base-1x"})
    assert err.message.startswith("AWS_REGION: [cognito] region:")
    assert "moon-base-1x" in err.message


def test_invalid_aws_default_region_names_aws_default_region(tmp_path: Path) -> None:
    err = config_error(write(tmp_path, NO_REGION), env={"AWS_DEFAULT_REGION": "moon-base-1x"})
    assert err.message.startswith("AWS_DEFAULT_REGION:")


def test_invalid_privx_url_from_env_names_the_variable(tmp_path: Path) -> None:
    err = config_error(write(tmp_path, NO_URL), env={"PRIVX_API_BASE_URL": "ftp://privx.example.com"})
    assert err.message.startswith("PRIVX_API_BASE_URL: [privx] url:")


def test_environment_the_file_overrides_is_not_used_so_not_judged(tmp_path: Path) -> None:
    env = {"AWS_REGION": "moon-base-1x", "PRIVX_API_BASE_URL": "ftp://privx.example.com"}
    cfg = load_config(write(tmp_path, BASE_CONFIG), env=env)
    assert (cfg.region, cfg.privx_url) == (REGION, PRIVX_URL)


def test_aws_region_the_flag_overrides_is_not_used_so_not_judged(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, NO_REGION), env={"AWS_REGION": "moon-base-1x"}, region="eu-north-1")
    assert cfg.region == "eu-north-1"


def test_invalid_region_flag_names_the_flag(tmp_path: Path) -> None:
    err = config_error(write(tmp_path, BASE_CONFIG), env={}, region="EU")
    assert err.message.startswith("--region: [cognito] region:")


def test_bad_region_in_the_file_is_reported_even_with_a_region_flag(tmp_path: Path) -> None:
    path = write(tmp_path, BASE_CONFIG.replace(f'"{REGION}"', '"Europe"'))
    err = config_error(path, env={}, region="eu-west-1")
    assert err.message.startswith(f"{path}: [cognito] region:")
    assert "'Europe'" in err.message


def test_bad_pool_id_in_the_file_is_reported_even_with_a_pool_id_flag(tmp_path: Path) -> None:
    path = write(tmp_path, edit_cognito(BASE_CONFIG, "pool_id = 'not-a-pool'"))
    err = config_error(path, env={}, pool_id=f"{REGION}_AbC123xyz")
    assert err.message.startswith(f"{path}: [cognito] pool_id:")


# -- [cognito] pool_id / --pool-id ------------------------------------------------------------------------------


def edit_cognito(text: str, line: str) -> str:
    return text.replace("[cognito]\n", f"[cognito]\n{line}\n", 1)


def test_pool_id_from_the_file(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, edit_cognito(BASE_CONFIG, f"pool_id = '{REGION}_AbC123xyz'")), env={})
    assert cfg.cognito.pool_id == f"{REGION}_AbC123xyz"


def test_pool_id_is_optional(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, BASE_CONFIG), env={}).cognito.pool_id is None


def test_pool_id_flag_beats_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, edit_cognito(BASE_CONFIG, f"pool_id = '{REGION}_FromFile1'"))
    assert load_config(path, env={}, pool_id=f"{REGION}_FromFlag2").cognito.pool_id == f"{REGION}_FromFlag2"
    assert load_config(write(tmp_path, BASE_CONFIG), env={}, pool_id=f"{REGION}_x9").cognito.pool_id == f"{REGION}_x9"


def test_pool_id_and_region_flags_move_the_target_together(tmp_path: Path) -> None:
    path = write(tmp_path, edit_cognito(BASE_CONFIG, f"pool_id = '{REGION}_FromFile1'"))
    cfg = load_config(path, env={}, region="us-east-1", pool_id="us-east-1_FromFlag2")
    assert (cfg.region, cfg.cognito.pool_id) == ("us-east-1", "us-east-1_FromFlag2")


@pytest.mark.parametrize(
    "pool_id",
    [
        "AbC123xyz",  # no region
        "eu-west-1-AbC123xyz",  # no underscore
        "eu-west-1_",  # nothing after it
        "eu-west-1_AbC-123",  # not alphanumeric
        "eu-west-1_AbC_123",
        "Europe_AbC123",  # not a region
        "eu-west-1 _AbC123",
        "eu-west-1_" + "a" * 46,  # 56 characters: AWS allows 55
    ],
)
def test_malformed_pool_id_is_refused(tmp_path: Path, pool_id: str) -> None:
    path = write(tmp_path, edit_cognito(BASE_CONFIG, f"pool_id = '{pool_id}'"))
    err = config_error(path, env={})
    assert err.message.startswith(f"{path}: [cognito] pool_id:")
    assert "is not a Cognito user pool id" in err.message and "eu-west-1_AbC123xyz" in err.message


def test_longest_pool_id_is_accepted(tmp_path: Path) -> None:
    pool_id = "eu-west-1_" + "a" * 45
    assert len(pool_id) == 55
    assert load_config(write(tmp_path, edit_cognito(BASE_CONFIG, f"pool_id = '{pool_id}'")), env={}).cognito.pool_id


def test_malformed_pool_id_flag_names_only_the_flag(tmp_path: Path) -> None:
    err = config_error(write(tmp_path, BASE_CONFIG), env={}, pool_id="pool-1")
    assert err.message == (
        "--pool-id: [cognito] pool_id: 'pool-1' is not a Cognito user pool id (like eu-west-1_AbC123xyz)"
    )


def test_pool_id_in_another_region_than_the_file_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, edit_cognito(BASE_CONFIG, "pool_id = 'us-east-1_AbC123xyz'"))
    err = config_error(path, env={})
    assert err.message == (
        f"{path}: [cognito] pool_id: the pool us-east-1_AbC123xyz is in us-east-1, "
        f"but the configured region is {REGION}"
    )


def test_pool_id_flag_in_another_region_names_both_origins(tmp_path: Path) -> None:
    path = write(tmp_path, BASE_CONFIG)
    err = config_error(path, env={}, pool_id="us-east-1_AbC123xyz")
    assert err.message.startswith("--pool-id: [cognito] pool_id: the pool us-east-1_AbC123xyz is in us-east-1")
    assert err.message.endswith(f"(the region from {path})")


def test_region_flag_away_from_the_files_pool_id_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, edit_cognito(BASE_CONFIG, f"pool_id = '{REGION}_AbC123xyz'"))
    err = config_error(path, env={}, region="us-east-1")
    assert err.message.startswith(f"{path}: [cognito] pool_id:")
    assert "but the configured region is us-east-1 (the region from --region)" in err.message


def test_pool_id_is_checked_against_the_region_the_environment_fills(tmp_path: Path) -> None:
    path = write(tmp_path, edit_cognito(NO_REGION, f"pool_id = '{REGION}_AbC123xyz'"))
    assert load_config(path, env={"AWS_REGION": REGION}).cognito.pool_id == f"{REGION}_AbC123xyz"
    err = config_error(path, env={"AWS_REGION": "us-east-1"})
    assert err.message.endswith("(the region from AWS_REGION)")


def test_pool_id_without_any_region_is_kept(tmp_path: Path) -> None:
    # Nothing to compare with; cfg.region reports the missing region when a command needs it.
    cfg = load_config(write(tmp_path, edit_cognito(NO_REGION, f"pool_id = '{REGION}_AbC123xyz'")), env={})
    assert cfg.cognito.pool_id == f"{REGION}_AbC123xyz" and cfg.cognito.region is None


def test_pool_id_is_validated_by_the_model_itself() -> None:
    ok = AppConfig.model_validate({"cognito": {"region": "us-east-1", "pool_id": "us-east-1_Ab1"}})
    assert ok.cognito.pool_id == "us-east-1_Ab1"
    with pytest.raises(ValueError, match="is in us-east-1, but the configured region is eu-west-1"):
        AppConfig.model_validate({"cognito": {"region": "eu-west-1", "pool_id": "us-east-1_Ab1"}})
    with pytest.raises(ValueError, match="not a Cognito user pool id"):
        AppConfig.model_validate({"cognito": {"pool_id": "pool-1"}})


# -- the command line: no config file, and the flags reaching the config ------------------------------------------


@pytest.mark.parametrize("command", ["setup", "plan"])
def test_no_config_file_exits_2_and_creates_nothing(
    cli: Any, aws: Any, emulator: PrivXEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    # Everything else a run would need is there: credentials, a region and a PrivX URL in the environment.
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("PRIVX_API_BASE_URL", PRIVX_URL)
    run = cli(command)
    assert run.exit_code == 2, run.stderr
    assert run.stdout == ""
    assert run.stderr.splitlines() == [
        "error: no config file found (looked for --config, $COGNITO_PRIVX_CONFIG, ./cognito-privx.toml)",
        "hint: run `cognito-privx init` to write a commented ./cognito-privx.toml, or pass --config FILE",
    ]
    assert aws.list_user_pools(MaxResults=60)["UserPools"] == []
    assert [s for s in emulator.sources.values() if s.get("connection", {}).get("type") == "OIDC"] == []
    assert emulator.requests == []
    assert sorted(tmp_path.iterdir()) == []  # no config file was written either


def test_region_and_pool_id_flags_reach_the_config(cli: Any, config_file: Path) -> None:
    # The file says eu-west-1; --region moves the target, so the --pool-id in eu-west-1 no longer fits it.
    run = cli("--config", str(config_file), "--region", "us-east-2", "--pool-id", f"{REGION}_AbC123xyz", "plan")
    assert run.exit_code == 2, run.stderr
    assert run.stderr.splitlines()[0] == (
        f"error: --pool-id: [cognito] pool_id: the pool {REGION}_AbC123xyz is in {REGION}, "
        "but the configured region is us-east-2 (the region from --region)"
    )


def test_region_and_pool_id_flags_in_state_reach_load_config(config_file: Path) -> None:
    from cognito_privx.cli.root import State, config

    cfg = config(State(config_path=config_file, region="us-east-2", pool_id="us-east-2_AbC123xyz"))
    assert (cfg.region, cfg.cognito.pool_id, cfg.config_file) == ("us-east-2", "us-east-2_AbC123xyz", config_file)
    assert config(State(config_path=config_file)).region == REGION


# -- where the configuration came from ----------------------------------------------------------------------------


def test_config_file_is_the_file_read(tmp_path: Path) -> None:
    path = write(tmp_path, BASE_CONFIG)
    assert load_config(path, env={}).config_file == path
    env_file = write(tmp_path, BASE_CONFIG, "env.toml")
    assert load_config(None, env={"COGNITO_PRIVX_CONFIG": str(env_file)}).config_file == env_file


def test_config_file_found_in_the_working_directory(tmp_path: Path) -> None:
    write(tmp_path, BASE_CONFIG, "cognito-privx.toml")
    cfg = load_config(None, env={})
    assert cfg.config_file == Path("cognito-privx.toml")
    assert cfg.config_file.resolve() == tmp_path / "cognito-privx.toml"


def test_config_file_is_none_for_a_model_built_in_code() -> None:
    assert AppConfig.model_validate({}).config_file is None


def test_config_file_is_read_only(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, BASE_CONFIG), env={})
    with pytest.raises(ValueError, match="frozen"):
        cfg.config_file = tmp_path  # type: ignore[misc]
    assert cfg.config_file == tmp_path / "config.toml"


# -- config discovery: --config > $COGNITO_PRIVX_CONFIG > ./cognito-privx.toml ----------------------------------


def test_discovery_explicit_path_wins(tmp_path: Path) -> None:
    write(tmp_path, "[cognito]\npool_name = 'from-cwd'\n", "cognito-privx.toml")
    env_file = write(tmp_path, "[cognito]\npool_name = 'from-env'\n", "env.toml")
    explicit = write(tmp_path, "[cognito]\npool_name = 'from-flag'\n", "flag.toml")
    cfg = load_config(explicit, env={"COGNITO_PRIVX_CONFIG": str(env_file)})
    assert cfg.cognito.pool_name == "from-flag"


def test_discovery_env_variable_beats_cwd_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "[cognito]\npool_name = 'from-cwd'\n", "cognito-privx.toml")
    env_file = write(tmp_path, "[cognito]\npool_name = 'from-env'\n", "env.toml")
    assert load_config(None, env={"COGNITO_PRIVX_CONFIG": str(env_file)}).cognito.pool_name == "from-env"
    monkeypatch.setenv("COGNITO_PRIVX_CONFIG", str(env_file))
    assert load_config().cognito.pool_name == "from-env"


def test_discovery_falls_back_to_cwd_file(tmp_path: Path) -> None:
    write(tmp_path, "[cognito]\npool_name = 'from-cwd'\n", "cognito-privx.toml")
    assert load_config(None, env={}).cognito.pool_name == "from-cwd"


def test_discovery_env_variable_naming_a_missing_file_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "[cognito]\npool_name = 'from-cwd'\n", "cognito-privx.toml")
    missing = tmp_path / "gone.toml"
    err = config_error(None, env={"COGNITO_PRIVX_CONFIG": str(missing)})  # type: ignore[arg-type]
    assert str(missing) in err.message


def test_error_source_is_the_discovered_file(tmp_path: Path) -> None:
    write(tmp_path, "[cognito]\ntier = 'gold'\n", "cognito-privx.toml")
    err = config_error(None, env={})  # type: ignore[arg-type]
    assert err.message.startswith("cognito-privx.toml: [cognito] tier")


# -- PrivX credentials -----------------------------------------------------------------------------------------

COMPLETE = {
    "PRIVX_API_CLIENT_ID": API_CLIENT_ID,
    "PRIVX_API_CLIENT_SECRET": API_CLIENT_SECRET,
    "PRIVX_API_OAUTH_CLIENT_SECRET": OAUTH_CLIENT_SECRET,
}


def test_complete_credentials() -> None:
    creds = load_credentials(COMPLETE)
    creds.check()
    assert creds.api_client_id == API_CLIENT_ID
    assert isinstance(creds.api_client_secret, SecretStr)
    assert creds.api_client_secret.get_secret_value() == API_CLIENT_SECRET
    assert isinstance(creds.oauth_client_secret, SecretStr)
    assert creds.oauth_client_secret.get_secret_value() == OAUTH_CLIENT_SECRET
    assert creds.oauth_client_id == "privx-external"
    assert creds.bearer_token is None and creds.ca_pem() is None


def test_no_credentials_is_an_error_naming_the_variables() -> None:
    creds = load_credentials({})
    with pytest.raises(CredentialsError) as info:
        creds.check()
    err = info.value
    assert err.exit_code == 2 and "\n" not in err.message
    for name in ("PRIVX_API_CLIENT_ID", "PRIVX_API_CLIENT_SECRET", "PRIVX_API_OAUTH_CLIENT_SECRET"):
        assert name in (err.hint or "")
    assert "PRIVX_API_BEARER_TOKEN" in (err.hint or "")


@pytest.mark.parametrize(
    "present",
    [
        ("PRIVX_API_CLIENT_ID",),
        ("PRIVX_API_CLIENT_SECRET",),
        ("PRIVX_API_OAUTH_CLIENT_SECRET",),
        ("PRIVX_API_CLIENT_ID", "PRIVX_API_CLIENT_SECRET"),
        ("PRIVX_API_CLIENT_ID", "PRIVX_API_OAUTH_CLIENT_SECRET"),
        ("PRIVX_API_CLIENT_SECRET", "PRIVX_API_OAUTH_CLIENT_SECRET"),
    ],
    ids=lambda p: "+".join(n.removeprefix("PRIVX_API_") for n in p),
)
def test_half_set_credentials_name_exactly_the_missing_ones(present: tuple[str, ...]) -> None:
    creds = load_credentials({k: v for k, v in COMPLETE.items() if k in present})
    with pytest.raises(CredentialsError) as info:
        creds.check()
    message = info.value.message
    assert info.value.exit_code == 2 and "half-set" in message
    named = message.split(":", 1)[1]
    for name in COMPLETE:
        assert (name in named) is (name not in present), message
    for secret in (API_CLIENT_SECRET, OAUTH_CLIENT_SECRET):
        assert secret not in message and secret not in (info.value.hint or "")


def test_empty_variable_counts_as_missing() -> None:
    creds = load_credentials({**COMPLETE, "PRIVX_API_CLIENT_SECRET": ""})
    with pytest.raises(CredentialsError, match="PRIVX_API_CLIENT_SECRET missing"):
        creds.check()


def test_bearer_token_alone_is_enough() -> None:
    creds = load_credentials({"PRIVX_API_BEARER_TOKEN": "bearer-Qx9-do-not-print"})
    creds.check()
    assert isinstance(creds.bearer_token, SecretStr)
    assert creds.bearer_token.get_secret_value() == "bearer-Qx9-do-not-print"


def test_alternative_spellings_are_accepted() -> None:
    creds = load_credentials(
        {
            "PRIVX_CLIENT_ID": API_CLIENT_ID,
            "PRIVX_CLIENT_SECRET": API_CLIENT_SECRET,
            "PRIVX_OAUTH_CLIENT_ID": "my-oauth-client",
            "PRIVX_OAUTH_CLIENT_SECRET": OAUTH_CLIENT_SECRET,
        }
    )
    creds.check()
    assert creds.api_client_id == API_CLIENT_ID
    assert creds.oauth_client_id == "my-oauth-client"
    assert creds.oauth_client_secret is not None
    assert creds.oauth_client_secret.get_secret_value() == OAUTH_CLIENT_SECRET


def test_api_oauth_client_id_overrides_default() -> None:
    creds = load_credentials({**COMPLETE, "PRIVX_API_OAUTH_CLIENT_ID": "other-oauth"})
    assert creds.oauth_client_id == "other-oauth"


def test_credentials_from_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in COMPLETE.items():
        monkeypatch.setenv(key, value)
    creds = load_credentials()
    creds.check()
    assert creds.api_client_id == API_CLIENT_ID


def test_explicit_mapping_is_not_mixed_with_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRIVX_API_CLIENT_SECRET", "leaked-from-os-environ")
    assert load_credentials({"PRIVX_API_CLIENT_ID": API_CLIENT_ID}).api_client_secret is None


def test_secrets_are_not_in_repr_or_str() -> None:
    creds = load_credentials({**COMPLETE, "PRIVX_API_BEARER_TOKEN": "bearer-Qx9-do-not-print"})
    for text in (repr(creds), str(creds), repr(creds.model_dump())):
        for secret in (API_CLIENT_SECRET, OAUTH_CLIENT_SECRET, "bearer-Qx9-do-not-print"):
            assert secret not in text


def test_ca_pem_from_text() -> None:
    assert load_credentials({"PRIVX_CA_CERT": PEM}).ca_pem() == PEM


def test_ca_pem_from_path(tmp_path: Path) -> None:
    path = tmp_path / "privx-ca.pem"
    path.write_text(PEM)
    assert load_credentials({"PRIVX_CA_CERT": str(path)}).ca_pem() == PEM


def test_ca_pem_from_missing_path_names_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-ca.pem"
    with pytest.raises(CredentialsError) as info:
        load_credentials({"PRIVX_CA_CERT": str(missing)}).ca_pem()
    assert info.value.exit_code == 2
    assert str(missing) in info.value.message and "PRIVX_CA_CERT" in info.value.message
    assert "\n" not in info.value.message and info.value.hint


def test_ca_pem_from_file_without_a_certificate(tmp_path: Path) -> None:
    path = tmp_path / "not-a-cert.txt"
    path.write_text("hello\n")
    with pytest.raises(CredentialsError) as info:
        load_credentials({"PRIVX_CA_CERT": str(path)}).ca_pem()
    assert str(path) in info.value.message and "no PEM certificate" in info.value.message
    assert info.value.hint


def test_credentials_model_is_frozen() -> None:
    creds = load_credentials(COMPLETE)
    with pytest.raises(ValueError, match="frozen"):
        creds.api_client_id = "x"  # type: ignore[misc]
    assert isinstance(creds, PrivXCredentials)


def test_sandbox_example_loads_with_the_sandbox_environment() -> None:
    from cognito_privx.sandbox.runner import Sandbox

    root = Path(__file__).parents[2] / "examples"
    with Sandbox(region="ap-southeast-2") as sandbox:
        env = sandbox.env()
        cfg = load_config(root / "sandbox.toml", env=env)
        assert (cfg.region, cfg.privx_url) == ("ap-southeast-2", sandbox.privx_url)
        # Why sandbox.toml exists: the region and url in the ordinary example win over the sandbox's env.
        ordinary = load_config(root / "cognito-privx.toml", env=env)
        assert (ordinary.region, ordinary.privx_url) == ("eu-west-1", "https://privx.example.com")


def test_sandbox_example_is_the_ordinary_one_without_region_and_url() -> None:
    root = Path(__file__).parents[2] / "examples"
    env = {"AWS_REGION": "eu-west-1", "PRIVX_API_BASE_URL": "https://privx.example.com"}
    sandbox = load_config(root / "sandbox.toml", env=env)
    ordinary = load_config(root / "cognito-privx.toml", env={})
    assert sandbox.model_dump() == ordinary.model_dump()
    assert load_config(root / "sandbox.toml", env={}).cognito.region is None


def test_the_shipped_examples_are_valid() -> None:
    from cognito_privx.users import read_csv

    root = Path(__file__).parents[2] / "examples"
    cfg = load_config(root / "cognito-privx.toml", env={})
    assert cfg.cognito.domain_prefix and set(cfg.roles) == {"ops", "dev"}
    rows = read_csv(root / "users.csv", cfg.roles)
    assert {r.group for r in rows} <= set(cfg.roles) and len(rows) == 4


def test_privx_url_with_the_web_ui_path_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[privx]\nurl = "https://privx.example.com/privx/"\n')
    with pytest.raises(ConfigError, match=r"has a path; give PrivX's base URL, like https://privx\.example\.com"):
        load_config(path, env={})


def test_the_configuration_page_describes_every_config_key() -> None:
    """The config errors' hint names the page that lists each key (docs/configuration.md): it must."""
    from cognito_privx.config import AppConfig, CognitoConfig, PrivXConfig

    page = (Path(__file__).parents[2] / "docs" / "configuration.md").read_text(encoding="utf-8")
    missing = [
        f"[{section}] {key}"
        for section, model in (("cognito", CognitoConfig), ("privx", PrivXConfig))
        for key in model.model_fields
        if f"`{key}`" not in page and f"`[{section}.{key}]`" not in page  # a sub-table: `[cognito.x]`
    ]
    assert missing == []
    assert AppConfig.model_fields  # the sections themselves are the page's table headings
