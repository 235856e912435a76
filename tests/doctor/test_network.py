"""doctor on a corporate network: a TLS-inspecting forward proxy with its own CA (``tests/support/proxy.py``) in
front of the discovery document, the JWKS and the hosted UI. The tool's own HTTPS calls honour the settings boto3
and the ecosystem honour (docs/network.md): ``AWS_CA_BUNDLE`` / the profile's ``ca_bundle`` /
``REQUESTS_CA_BUNDLE`` / ``SSL_CERT_FILE`` for trust, ``HTTPS_PROXY`` / ``NO_PROXY`` (either case) for the way.
When a check cannot get through, it says which CA and which proxy it used.

No ``seams.http_transport`` here: the AWS side's fetches go over real sockets to the proxy on loopback, which
answers from the in-process stand-ins (moto through ``requests``; the hosted UI).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cognito_privx.cli import Seams
from cognito_privx.sandbox.emulator import PrivXEmulator
from tests.support.oidc import via_requests
from tests.support.proxy import InspectingProxy

pytestmark = pytest.mark.fresh_clients  # proxies and CA bundles are read when clients open

AWS_HOST = "cognito-idp.eu-west-1.amazonaws.com"


@pytest.fixture(autouse=True)
def no_ca_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """No CA setting from the machine's environment (a CI image often sets REQUESTS_CA_BUNDLE)."""
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR"):
        monkeypatch.delenv(name, raising=False)
    for name in (
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
        "NO_PROXY",
        "no_proxy",
    ):
        monkeypatch.delenv(name, raising=False)


def _doctor(cli: Any, config: Path, *args: str) -> tuple[int, dict[str, dict[str, Any]]]:
    run = cli("--config", str(config), "-o", "json", "doctor", *args)
    return run.exit_code, {c["name"]: c for c in json.loads(run.stdout)["checks"]}


@pytest.fixture
def behind_proxy(
    cli: Any, config_file: Path, aws: Any, emulator: PrivXEmulator, inspecting_proxy: InspectingProxy
) -> InspectingProxy:
    """setup done; the AWS side's HTTPS reaches the world only through the inspecting proxy."""
    assert cli("--config", str(config_file), "setup").exit_code == 0
    inspecting_proxy.upstream = via_requests
    return inspecting_proxy


def _trust(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, how: str, ca_file: Path) -> None:
    if how == "profile ca_bundle":
        config = tmp_path / "aws-config"
        config.write_text(f"[default]\nca_bundle = {ca_file}\n")
        monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    else:
        monkeypatch.setenv(how, str(ca_file))


@pytest.mark.parametrize("how", ["AWS_CA_BUNDLE", "profile ca_bundle", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"])
@pytest.mark.parametrize("proxy_variable", ["HTTPS_PROXY", "https_proxy"])
def test_discovery_and_jwks_pass_behind_an_inspecting_proxy_with_its_ca(
    cli: Any,
    config_file: Path,
    behind_proxy: InspectingProxy,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    how: str,
    proxy_variable: str,
) -> None:
    monkeypatch.setenv(proxy_variable, behind_proxy.url)
    _trust(monkeypatch, tmp_path, how, behind_proxy.ca_file)
    _, checks = _doctor(cli, config_file)
    assert checks["oidc-discovery"]["status"] == "ok", checks["oidc-discovery"]
    assert f"CONNECT {AWS_HOST}:443" in behind_proxy.seen
    assert any(line.endswith("/.well-known/jwks.json") for line in behind_proxy.seen)


def test_without_the_ca_the_failure_names_the_ca_and_the_proxy_without_its_password(
    cli: Any, config_file: Path, behind_proxy: InspectingProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", f"http://alice:s3cret-proxy-pw@127.0.0.1:{behind_proxy.port}")
    run = cli("--config", str(config_file), "-o", "json", "doctor")
    assert "s3cret-proxy-pw" not in run.stdout + run.stderr
    check = {c["name"]: c for c in json.loads(run.stdout)["checks"]}["oidc-discovery"]
    assert check["status"] == "fail"
    assert "CA: system/certifi" in check["message"]
    assert f"proxy: http://alice:***@127.0.0.1:{behind_proxy.port}" in check["message"]
    assert "AWS_CA_BUNDLE" in check["hint"] and "docs/network.md" in check["hint"]


def test_the_failure_names_the_ca_bundle_it_used(
    cli: Any, config_file: Path, behind_proxy: InspectingProxy, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    other = tmp_path / "other-ca.pem"
    other.write_bytes(__import__("trustme").CA().cert_pem.bytes())
    monkeypatch.setenv("HTTPS_PROXY", behind_proxy.url)
    monkeypatch.setenv("AWS_CA_BUNDLE", str(other))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(behind_proxy.ca_file))  # AWS_CA_BUNDLE wins for the AWS side
    _, checks = _doctor(cli, config_file)
    assert checks["oidc-discovery"]["status"] == "fail"
    assert f"CA: AWS_CA_BUNDLE ({other})" in checks["oidc-discovery"]["message"]


# -- the login walk ----------------------------------------------------------------------------------------------


@pytest.fixture
def walk_behind_proxy(
    cli: Any,
    config_file: Path,
    world: PrivXEmulator,
    seams: Seams,
    inspecting_proxy: InspectingProxy,
    monkeypatch: pytest.MonkeyPatch,
) -> InspectingProxy:
    """The login world, set up; the AWS side (discovery, JWKS, the hosted UI) only through the inspecting proxy."""
    assert cli("--config", str(config_file), "setup").exit_code == 0
    routed = seams.http_transport
    assert routed is not None
    inspecting_proxy.upstream = routed.handle_request
    seams.http_transport = None
    monkeypatch.setenv("AWS_CA_BUNDLE", str(inspecting_proxy.ca_file))
    return inspecting_proxy


@pytest.mark.parametrize("variable", ["HTTPS_PROXY", "https_proxy"])
def test_the_login_walk_goes_through_the_proxy(
    cli: Any, config_file: Path, walk_behind_proxy: InspectingProxy, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    monkeypatch.setenv(variable, walk_behind_proxy.url)
    code, checks = _doctor(cli, config_file, "--login")
    assert checks["login:dev"]["status"] == "ok", checks["login:dev"]
    assert code == 0, {n: c for n, c in checks.items() if c["status"] != "ok"}
    assert "CONNECT hosted-ui.test:443" in walk_behind_proxy.seen
    assert any(
        line.startswith("POST https://hosted-ui.test/") and line.endswith("/login") for line in walk_behind_proxy.seen
    )


@pytest.mark.parametrize(
    ("variable", "value"), [("NO_PROXY", "hosted-ui.test"), ("no_proxy", ".test"), ("NO_PROXY", "example.org,*")]
)
def test_a_host_no_proxy_matches_is_not_sent_through_the_proxy(
    cli: Any,
    config_file: Path,
    walk_behind_proxy: InspectingProxy,
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    value: str,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", walk_behind_proxy.url)
    monkeypatch.setenv(variable, value)
    _, checks = _doctor(cli, config_file, "--login")
    assert "hosted-ui.test" not in walk_behind_proxy.hosts()
    # Straight to hosted-ui.test, which no DNS knows: the failure says the proxy was bypassed, and why.
    login = checks["login:dev"]
    assert login["status"] == "fail"
    assert "proxy: none (NO_PROXY matched)" in login["message"], login
