"""AWS credentials in the field, through the CLI: an MFA role without a terminal, no credentials at all, an
expired SSO token. Each is one error line and a hint with the exact way out, exit 2, nothing called or changed."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from cognito_privx.cognito import session

pytestmark = pytest.mark.fresh_clients  # credentials, profiles, MFA prompts and proxies are read when clients open


def _aws_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    path = tmp_path / "aws-config"
    path.write_text(text)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(path))
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # never wait on the instance metadata service
    monkeypatch.setenv("HOME", str(tmp_path))


def test_mfa_role_without_a_terminal(
    cli: Any, config_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _aws_config(
        tmp_path,
        monkeypatch,
        "[profile base]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = base-secret\n"
        "[profile admin]\nrole_arn = arn:aws:iam::123456789012:role/Admin\nsource_profile = base\n"
        "mfa_serial = arn:aws:iam::123456789012:mfa/alice\n",
    )
    monkeypatch.setattr(session, "controlling_terminal", lambda: False)  # CliRunner's stdin is no terminal either
    run = cli("--config", str(config_file), "--profile", "admin", "list-users")
    assert run.exit_code == 2, run.stderr
    assert "error: AWS profile 'admin' assumes its role with an MFA code" in run.stderr
    assert "`aws sts get-caller-identity --profile admin` in a terminal first" in run.stderr
    assert "aborted" not in run.stderr and "Traceback" not in run.stderr


def test_mfa_role_named_by_aws_profile_is_the_one_the_hint_names(
    cli: Any, config_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A profile chosen by AWS_PROFILE (no --profile, as in CI) is the one the error and its command name."""
    _aws_config(
        tmp_path,
        monkeypatch,
        "[profile base]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = base-secret\n"
        "[profile admin]\nrole_arn = arn:aws:iam::123456789012:role/Admin\nsource_profile = base\n"
        "mfa_serial = arn:aws:iam::123456789012:mfa/alice\n",
    )
    monkeypatch.setenv("AWS_PROFILE", "admin")
    monkeypatch.setattr(session, "controlling_terminal", lambda: False)
    run = cli("--config", str(config_file), "list-users")
    assert run.exit_code == 2, run.stderr
    assert "error: AWS profile 'admin' assumes its role with an MFA code" in run.stderr
    assert "`aws sts get-caller-identity --profile admin` in a terminal first" in run.stderr


def test_mfa_role_uses_the_aws_cli_cache(
    cli: Any, config_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, aws: Any, emulator: Any
) -> None:
    """A role the AWS CLI assumed in a terminal (its ~/.aws/cli/cache) is reused: no prompt needed."""
    _aws_config(
        tmp_path,
        monkeypatch,
        "[profile base]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = base-secret\n"
        "[profile admin]\nrole_arn = arn:aws:iam::123456789012:role/Admin\nsource_profile = base\n"
        "mfa_serial = arn:aws:iam::123456789012:mfa/alice\n",
    )
    monkeypatch.setattr(session, "controlling_terminal", lambda: False)
    # The AWS CLI's cache key: sha1 of the AssumeRole arguments, without a generated session name (botocore
    # AssumeRoleCredentialFetcher._create_cache_key).
    args = {"RoleArn": "arn:aws:iam::123456789012:role/Admin", "SerialNumber": "arn:aws:iam::123456789012:mfa/alice"}
    key = hashlib.sha1(json.dumps(args, sort_keys=True).encode()).hexdigest()
    cache = tmp_path / ".aws" / "cli" / "cache"
    cache.mkdir(parents=True)
    (cache / f"{key}.json").write_text(
        json.dumps(
            {
                "Credentials": {
                    "AccessKeyId": "ASIACACHED",
                    "SecretAccessKey": "cached-secret",
                    "SessionToken": "cached-token",
                    "Expiration": "2999-01-01T00:00:00Z",
                }
            }
        )
    )
    assert cli("--config", str(config_file), "--profile", "admin", "plan").exit_code == 0


def test_no_credentials_names_the_chain_and_imds(
    cli: Any, config_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _aws_config(tmp_path, monkeypatch, "")
    run = cli("--config", str(config_file), "list-users")
    assert run.exit_code == 2, run.stderr
    assert "error: no AWS credentials found" in run.stderr
    for part in ("environment", "profile", "SSO", "container", "instance metadata service"):
        assert part in run.stderr
    assert "AWS_EC2_METADATA_DISABLED" in run.stderr


def test_no_credentials_mentions_the_imds_hop_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_EC2_METADATA_DISABLED", raising=False)
    assert "--http-put-response-hop-limit 2" in str(session.no_credentials_error().hint)


@pytest.mark.parametrize("command", ["list-users", "plan"])
def test_expired_sso_token_names_the_login_line(
    cli: Any, config_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emulator: Any, command: str
) -> None:
    """plan's target line (STS) says the credentials could not be loaded, not that STS is missing."""
    import botocore.credentials

    start_url = "https://example.awsapps.com/start"
    _aws_config(
        tmp_path,
        monkeypatch,
        f"[profile dev-sso]\nsso_start_url = {start_url}\nsso_region = eu-west-1\n"
        "sso_account_id = 123456789012\nsso_role_name = Admin\nregion = eu-west-1\n",
    )
    cache = tmp_path / "sso-cache"
    cache.mkdir()
    # botocore's legacy SSO token cache: <sha1(start url)>.json with accessToken and expiresAt (SSOTokenLoader).
    name = hashlib.sha1(start_url.encode()).hexdigest()
    (cache / f"{name}.json").write_text(
        json.dumps(
            {"startUrl": start_url, "region": "eu-west-1", "accessToken": "t", "expiresAt": "2020-01-01T00:00:00Z"}
        )
    )
    monkeypatch.setattr(botocore.credentials.SSOProvider, "_SSO_TOKEN_CACHE_DIR", str(cache))
    run = cli("--config", str(config_file), "--profile", "dev-sso", command)
    assert run.exit_code == 2, run.stderr
    assert "`aws sso login --profile dev-sso`" in run.stderr and "Traceback" not in run.stderr
    assert "STS not available" not in run.stderr


def test_a_tls_inspecting_proxy_boto3_does_not_trust_names_aws_ca_bundle(
    cli: Any,
    config_file: Path,
    emulator: Any,
    inspecting_proxy: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """boto3 behind a TLS-inspecting proxy whose CA only SSL_CERT_FILE names (boto3 reads it not): the failure is
    a TLS one with AWS_CA_BUNDLE as the way out (docs/network.md), never "run again"."""
    _aws_config(tmp_path, monkeypatch, "")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    for name in ("AWS_ENDPOINT_URL", "AWS_CA_BUNDLE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_DIR"):
        monkeypatch.delenv(name, raising=False)
    for name in ("HTTP_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", inspecting_proxy.url)
    monkeypatch.setenv("SSL_CERT_FILE", str(inspecting_proxy.ca_file))
    run = cli("--config", str(config_file), "list-users")
    assert run.exit_code == 1, run.stderr
    assert "CERTIFICATE_VERIFY_FAILED" in run.stderr
    assert "AWS_CA_BUNDLE" in run.stderr and "docs/network.md" in run.stderr
    assert "run again" not in run.stderr and "Traceback" not in run.stderr
    assert inspecting_proxy.seen[:1] == ["CONNECT cognito-idp.eu-west-1.amazonaws.com:443"]


def test_a_proxy_that_does_not_answer_names_the_proxy_settings(
    cli: Any, config_file: Path, emulator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """boto3 cannot reach its HTTPS_PROXY: nothing was sent; the hint names the proxy settings, not "run again"."""
    import socket

    _aws_config(tmp_path, monkeypatch, "")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    for name in ("HTTP_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("HTTPS_PROXY", f"http://alice:s3cret-proxy-pw@127.0.0.1:{port}")
    run = cli("--config", str(config_file), "list-users")
    assert run.exit_code == 1, run.stderr
    assert "HTTPS_PROXY" in run.stderr and "docs/network.md" in run.stderr
    assert "run again" not in run.stderr and "s3cret-proxy-pw" not in run.stderr
