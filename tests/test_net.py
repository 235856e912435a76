"""net: which CA and which proxy each side's HTTPS uses (the table in docs/network.md), and that the routes
:func:`proxy_for` reports are the ones the client takes (a forward proxy on loopback records what went through)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from cognito_privx import net
from cognito_privx.config.starter import starter_toml
from cognito_privx.errors import ConfigError
from tests.support.proxy import InspectingProxy

_NAMES = ("AWS_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
_PROXY = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy")


@pytest.fixture(autouse=True)
def bare_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*_NAMES, *_PROXY):
        monkeypatch.delenv(name, raising=False)


def test_which_ca_wins_for_the_aws_side() -> None:
    every = {name: f"/{name}" for name in _NAMES}
    assert net.aws_trust("/AWS_CA_BUNDLE", environ=every).describe() == "AWS_CA_BUNDLE (/AWS_CA_BUNDLE)"
    assert net.aws_trust("/p.pem", "corp", environ=every).describe() == "ca_bundle of profile corp (/p.pem)"
    order = ["SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"]
    for i, name in enumerate(order):
        left = {n: f"/{n}" for n in order[i:]}
        assert net.aws_trust(None, environ=left).setting == name
    assert net.aws_trust(None, environ={}).describe() == "system/certifi"


def test_privx_adds_its_ca_to_the_chain_and_ignores_the_aws_profile() -> None:
    assert net.privx_trust("PEM", environ={}).describe() == "system/certifi + PRIVX_CA_CERT"
    assert net.privx_trust(None, environ={"AWS_CA_BUNDLE": "/a"}).describe() == "AWS_CA_BUNDLE (/a)"
    assert net.privx_trust("PEM", environ={"SSL_CERT_FILE": "/s"}).describe() == "SSL_CERT_FILE (/s) + PRIVX_CA_CERT"


def test_an_unreadable_ca_bundle_is_a_config_error_naming_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        net.Trust("AWS_CA_BUNDLE", str(tmp_path / "missing.pem")).context()
    assert "AWS_CA_BUNDLE" in caught.value.message and caught.value.hint


def test_the_cli_refuses_an_unreadable_aws_ca_bundle_in_one_line(
    cli: Any, config_file: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, aws: Any, emulator: Any
) -> None:
    monkeypatch.setenv("AWS_CA_BUNDLE", str(tmp_path / "missing.pem"))
    run = cli("--config", str(config_file), "doctor")
    assert run.exit_code == 2
    assert run.stderr.startswith("error: AWS_CA_BUNDLE: cannot use ") and "\nhint: " in run.stderr


@pytest.mark.parametrize(
    ("no_proxy", "url", "expected"),
    [
        ("", "https://a.example.com/x", "proxy"),
        ("a.example.com", "https://a.example.com/x", "none (NO_PROXY matched)"),
        ("example.com", "https://a.example.com/x", "none (NO_PROXY matched)"),  # a bare domain matches subdomains
        ("example.com", "https://notexample.com/x", "proxy"),  # ... but not another name ending the same
        (".example.com", "https://example.com/x", "none (NO_PROXY matched)"),  # leading dot: the domain too
        (".example.com", "https://a.example.com/x", "none (NO_PROXY matched)"),
        ("a.example.com:8443", "https://a.example.com:8443/x", "none (NO_PROXY matched)"),  # with a port: that port
        ("a.example.com:8443", "https://a.example.com/x", "proxy"),
        ("*", "https://anything.example/x", "none (NO_PROXY matched)"),
        ("10.0.0.0/8", "https://10.1.2.3/x", "proxy"),  # CIDR: not understood (as botocore), use names or IPs
        ("10.1.2.3", "https://10.1.2.3/x", "none (NO_PROXY matched)"),
        ("localhost", "http://localhost:8080/x", "none (NO_PROXY matched)"),
    ],
)
def test_no_proxy_forms(monkeypatch: pytest.MonkeyPatch, no_proxy: str, url: str, expected: str) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp:3128")
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.corp:3128")
    monkeypatch.setenv("NO_PROXY", no_proxy)
    assert net.proxy_for(url) == ("http://proxy.corp:3128" if expected == "proxy" else expected)


def test_lower_case_wins_and_the_password_is_redacted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://upper:3128")
    monkeypatch.setenv("https_proxy", "http://bob:hunter2@lower:3128")
    assert net.proxy_for("https://x.example/") == "http://bob:***@lower:3128"
    monkeypatch.delenv("HTTPS_PROXY")
    monkeypatch.delenv("https_proxy")
    monkeypatch.setenv("ALL_PROXY", "http://all:3128")
    assert net.proxy_for("https://x.example/") == "http://all:3128"
    monkeypatch.delenv("ALL_PROXY")
    assert net.proxy_for("https://x.example/") == "none"


@pytest.mark.parametrize("no_proxy", ["", ".test", "hosted-ui.test"])
def test_the_route_reported_is_the_route_taken(
    monkeypatch: pytest.MonkeyPatch, inspecting_proxy: InspectingProxy, no_proxy: str
) -> None:
    inspecting_proxy.upstream = lambda request: httpx.Response(200, text="through")
    monkeypatch.setenv("HTTP_PROXY", inspecting_proxy.url)
    monkeypatch.setenv("NO_PROXY", no_proxy)
    url = "http://hosted-ui.test/page"
    with net.http_client(net.aws_trust(None), timeout=2.0) as http:
        try:
            went_through = http.get(url).text == "through"
        except httpx.ConnectError:  # straight to a name no DNS knows
            went_through = False
        reported = http.route(url)
    assert went_through == ("hosted-ui.test" in inspecting_proxy.hosts())
    assert went_through == (not no_proxy)
    assert reported.endswith(f"proxy: {inspecting_proxy.url}" if went_through else "proxy: none (NO_PROXY matched)")


def test_the_starter_file_has_a_commented_public_url() -> None:
    text = starter_toml(region="eu-west-1", privx_url="https://privx.example.com")
    assert '# public_url = "https://privx.example.com"' in text


def _ders(ctx: Any) -> set[bytes]:
    return set(ctx.get_ca_certs(binary_form=True))


def test_one_context_per_trust_until_its_file_changes_and_a_file_gone_is_still_an_error(tmp_path: Path) -> None:
    """A run opens several HTTPS clients: the CA bundle is loaded once per trust, not once per client. A file
    rewritten in between (another CA at the same path) is loaded anew; a file gone is still refused by name."""
    import ssl

    import trustme

    first, second = trustme.CA(), trustme.CA()
    bundle = tmp_path / "ca.pem"
    bundle.write_bytes(first.cert_pem.bytes())
    trust = net.Trust("AWS_CA_BUNDLE", str(bundle))
    loaded = trust.context()
    assert net.Trust("AWS_CA_BUNDLE", str(bundle)).context() is loaded  # the second client: nothing loaded again
    assert _ders(loaded) == {ssl.PEM_cert_to_DER_cert(first.cert_pem.bytes().decode())}

    bundle.write_bytes(second.cert_pem.bytes() + second.cert_pem.bytes())  # another CA (and size) at the same path
    again = trust.context()
    assert _ders(again) == {ssl.PEM_cert_to_DER_cert(second.cert_pem.bytes().decode())}
    assert net.Trust("SSL_CERT_FILE", str(bundle)).context() is not again  # another setting: its own context

    with_extra = net.Trust("AWS_CA_BUNDLE", str(bundle), first.cert_pem.bytes().decode()).context()
    assert len(_ders(with_extra)) == 2 and trust.context() is again  # PRIVX_CA_CERT added: a context of its own

    bundle.unlink()
    with pytest.raises(ConfigError) as caught:
        trust.context()
    assert "AWS_CA_BUNDLE" in caught.value.message
