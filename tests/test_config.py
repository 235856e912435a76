"""Configuration and PrivX credentials: every bad input is a one-line ConfigError/CredentialsError (exit 2)
naming the key and carrying a hint; good input layers flag > environment > file > default."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from cognito_privx.config import (
    DEFAULT_LOGIN_URL_TEMPLATE,
    AppConfig,
    PrivXCredentials,
    load_config,
    load_credentials,
)
from cognito_privx.errors import ConfigError, CredentialsError
from tests.conftest import API_CLIENT_ID, API_CLIENT_SECRET, BASE_CONFIG, OAUTH_CLIENT_SECRET, PRIVX_URL, REGION

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


def test_defaults_without_any_file() -> None:
    cfg = load_config(None, env={})  # cwd is an empty tmp_path
    assert cfg.cognito.region is None
    assert cfg.cognito.pool_name == "privx"
    assert cfg.cognito.app_client_name == "privx"
    assert cfg.cognito.group_attribute == "group"
    assert cfg.cognito.hosted_ui == "classic" and cfg.cognito.managed_login_version == 1
    assert cfg.cognito.tier == "LITE"
    assert cfg.cognito.deletion_protection is True
    assert cfg.privx.url is None
    assert cfg.privx.directory_name == "Cognito" and cfg.privx.button_title == "Cognito"
    assert cfg.privx.additional_scopes == ("email", "profile")
    assert cfg.privx.login_url_template == DEFAULT_LOGIN_URL_TEMPLATE
    assert cfg.roles == {}


def test_missing_region_and_url_are_reported_when_needed() -> None:
    cfg = load_config(None, env={})
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
    assert cfg.issuer("eu-west-1_abc") == "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc"
    assert {g: r.role for g, r in cfg.role_map.items()} == {"ops": "ops-admins", "dev": "developers"}


@pytest.mark.parametrize(
    "url",
    ["http://localhost:8080", "http://localhost:8080/", "https://privx.example.com/"],
    ids=["http-localhost", "http-localhost-trailing-slash", "https-trailing-slash"],
)
def test_accepted_urls_are_normalised_without_trailing_slash(tmp_path: Path, url: str) -> None:
    cfg = load_config(write(tmp_path, f"[privx]\nurl = '{url}'\n"), env={})
    assert cfg.privx_url == url.rstrip("/")
    assert cfg.callback_url == url.rstrip("/") + "/auth/api/v1/oidc-cb"


def test_table_form_and_plain_roles_give_the_same_role_map(tmp_path: Path) -> None:
    plain = load_config(write(tmp_path, "[roles]\nops = 'ops-admins'\n", "plain.toml"), env={})
    table = load_config(write(tmp_path, "[roles.ops]\nrole = 'ops-admins'\n", "table.toml"), env={})
    assert plain.role_map == table.role_map
    assert plain.role_map["ops"].role == "ops-admins"
    assert plain.role_map["ops"].permissions == () and plain.role_map["ops"].comment == ""


def test_table_form_role_keeps_permissions_and_comment(tmp_path: Path) -> None:
    text = "[roles.ops]\nrole = 'ops-admins'\npermissions = ['hosts-view']\ncomment = 'on call'\n"
    spec = load_config(write(tmp_path, text), env={}).role_map["ops"]
    assert (spec.role, spec.permissions, spec.comment) == ("ops-admins", ("hosts-view",), "on call")


def test_attribute_name_and_pool_tags(tmp_path: Path) -> None:
    text = "[cognito]\ngroup_attribute = 'team'\ntags = { env = 'prod' }\nhosted_ui = 'managed'\n"
    cfg = load_config(write(tmp_path, text), env={})
    assert cfg.cognito.attribute_name == "custom:team"
    assert cfg.cognito.pool_tags == {"env": "prod", "managed-by": "cognito-privx"}
    assert cfg.cognito.managed_login_version == 2


def test_default_attribute_name_is_custom_group() -> None:
    cfg = load_config(None, env={})
    assert cfg.cognito.attribute_name == "custom:group"
    assert cfg.cognito.pool_tags == {"managed-by": "cognito-privx"}


def test_config_models_are_frozen(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, BASE_CONFIG), env={})
    with pytest.raises(ValueError, match="frozen"):
        cfg.cognito.region = "us-east-1"  # type: ignore[misc]
    assert isinstance(cfg, AppConfig)


# -- precedence: flag > environment > file > default ---------------------------------------------------------


def test_region_from_file(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, BASE_CONFIG), env={}).region == REGION


def test_aws_region_overrides_file(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, BASE_CONFIG), env={"AWS_REGION": "us-east-2"}).region == "us-east-2"


def test_aws_default_region_overrides_file_and_aws_region_wins_over_it(tmp_path: Path) -> None:
    path = write(tmp_path, BASE_CONFIG)
    assert load_config(path, env={"AWS_DEFAULT_REGION": "ap-south-1"}).region == "ap-south-1"
    both = {"AWS_DEFAULT_REGION": "ap-south-1", "AWS_REGION": "us-east-2"}
    assert load_config(path, env=both).region == "us-east-2"


def test_region_flag_overrides_environment(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, BASE_CONFIG), env={"AWS_REGION": "us-east-2"}, region="eu-north-1")
    assert cfg.region == "eu-north-1"


def test_region_from_os_environ_when_no_mapping_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_REGION", "ca-central-1")
    assert load_config(write(tmp_path, BASE_CONFIG)).region == "ca-central-1"


def test_privx_base_url_env_overrides_file(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, BASE_CONFIG), env={"PRIVX_API_BASE_URL": "http://localhost:8443/"})
    assert cfg.privx_url == "http://localhost:8443"
    assert cfg.callback_url == "http://localhost:8443/auth/api/v1/oidc-cb"


def test_environment_fills_a_file_without_the_section(tmp_path: Path) -> None:
    cfg = load_config(
        write(tmp_path, "[roles]\nops = 'ops-admins'\n"),
        env={"AWS_REGION": "us-west-2", "PRIVX_API_BASE_URL": PRIVX_URL},
    )
    assert (cfg.region, cfg.privx_url) == ("us-west-2", PRIVX_URL)


def test_invalid_aws_region_names_the_environment_variable(tmp_path: Path) -> None:
    err = config_error(write(tmp_path, BASE_CONFIG), env={"AWS_REGION": "moon-base-1x"})
    assert err.message.startswith("AWS_REGION:")
    assert "moon-base-1x" in err.message


def test_invalid_region_flag_names_the_flag(tmp_path: Path) -> None:
    err = config_error(write(tmp_path, BASE_CONFIG), env={}, region="EU")
    assert err.message.startswith("--region:")


def test_invalid_aws_default_region_names_aws_default_region(tmp_path: Path) -> None:
    err = config_error(write(tmp_path, BASE_CONFIG), env={"AWS_DEFAULT_REGION": "moon-base-1x"})
    assert err.message.startswith("AWS_DEFAULT_REGION:")


def test_invalid_privx_url_from_env_names_the_variable(tmp_path: Path) -> None:
    err = config_error(write(tmp_path, BASE_CONFIG), env={"PRIVX_API_BASE_URL": "ftp://privx.example.com"})
    assert err.message.startswith("PRIVX_API_BASE_URL:")


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


def test_the_shipped_examples_are_valid() -> None:
    from cognito_privx.users import read_csv

    root = Path(__file__).parents[1] / "examples"
    cfg = load_config(root / "cognito-privx.toml", env={})
    assert cfg.cognito.domain_prefix and set(cfg.roles) == {"ops", "dev"}
    rows = read_csv(root / "users.csv", cfg)
    assert {r.group for r in rows} <= set(cfg.roles) and len(rows) == 4


def test_privx_url_with_the_web_ui_path_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[privx]\nurl = "https://privx.example.com/privx/"\n')
    with pytest.raises(ConfigError, match=r"has a path; give PrivX's base URL, like https://privx\.example\.com"):
        load_config(path, env={})
