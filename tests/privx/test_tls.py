"""PrivX over HTTPS: the emulator served with a certificate from a test CA, the real CLI on the real network.

``reconcile.transport_factory`` stays the default here (no MockTransport): httpx opens real TLS connections to
the emulator on loopback, so ``PRIVX_CA_CERT`` is what decides whether the server is trusted.
"""

from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from cognito_privx.sandbox.emulator import PrivXEmulator
from cognito_privx.sandbox.server import EmulatorServer
from tests.support.constants import API_CLIENT_ID, API_CLIENT_SECRET, OAUTH_CLIENT_SECRET, REGION
from tests.support.emulator import MakeEmulator

# -- a tiny PKI -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Issued:
    cert_pem: bytes
    key_pem: bytes
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())  # EC: key generation is instant, unlike RSA


def _pem(cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> Issued:
    return Issued(
        cert.public_bytes(serialization.Encoding.PEM),
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
        cert,
        key,
    )


def make_ca(common_name: str) -> Issued:
    key = _key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return _pem(cert, key)


def make_server_cert(ca: Issued) -> Issued:
    """A leaf for ``localhost`` (SAN DNS:localhost, IP:127.0.0.1, IP:::1) signed by ``ca``."""
    key = _key()
    now = datetime.datetime.now(datetime.UTC)
    ca_ski = ca.cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    x509.IPAddress(ipaddress.ip_address("::1")),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
        .sign(ca.key, hashes.SHA256())
    )
    return _pem(cert, key)


@dataclass(frozen=True)
class Pki:
    ca: Issued
    server: Issued
    stranger: Issued  # a CA that did not sign the server certificate


@pytest.fixture(scope="module")
def pki() -> Pki:
    ca = make_ca("cognito-privx test CA")
    return Pki(ca, make_server_cert(ca), make_ca("some other CA"))


def server_context(pki: Pki, tmp_path: Path) -> ssl.SSLContext:
    cert, key = tmp_path / "server.crt", tmp_path / "server.key"
    cert.write_bytes(pki.server.cert_pem)
    key.write_bytes(pki.server.key_pem)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    return ctx


# -- fixtures -------------------------------------------------------------------------------------------------


@dataclass
class HttpsPrivX:
    emulator: PrivXEmulator
    server: EmulatorServer
    config: Path

    @property
    def url(self) -> str:
        return self.server.url

    def directories(self) -> list[str]:
        return [s["name"] for s in self.emulator.sources.values() if s.get("connection", {}).get("type") == "OIDC"]


@pytest.fixture
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """httpx honours *_PROXY from the environment: the loopback server must be reached directly."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)


@pytest.fixture
def https_privx(
    pki: Pki, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_proxy: None, make_emulator: MakeEmulator
) -> Iterator[HttpsPrivX]:
    """The emulator over HTTPS on loopback, PRIVX_* set (except PRIVX_CA_CERT), a config naming its URL."""
    emu = make_emulator()
    with EmulatorServer(emu, ssl_context=server_context(pki, tmp_path)) as server:
        emu.base_url = server.url
        monkeypatch.setenv("PRIVX_API_BASE_URL", server.url)
        monkeypatch.setenv("PRIVX_API_CLIENT_ID", API_CLIENT_ID)
        monkeypatch.setenv("PRIVX_API_CLIENT_SECRET", API_CLIENT_SECRET)
        monkeypatch.setenv("PRIVX_API_OAUTH_CLIENT_SECRET", OAUTH_CLIENT_SECRET)
        config = tmp_path / "tls.toml"
        config.write_text(
            f'[cognito]\nregion = "{REGION}"\npool_name = "privx-tls"\n\n'
            f'[privx]\nurl = "{server.url}"\ndirectory_name = "Cognito"\n'
        )
        yield HttpsPrivX(emu, server, config)
    # The with block has stopped the server: its port is free again.


def _pools(aws: Any) -> list[str]:
    return [p["Name"] for p in aws.list_user_pools(MaxResults=60)["UserPools"]]


def _error_and_hint(stderr: str) -> tuple[str, str]:
    # plan, setup and teardown open with their target line, and a run that stopped says what it had done
    # ("Stopped before changing anything."); the error itself is one line and a hint.
    lines = [line for line in stderr.strip().splitlines() if not line.startswith(("target: ", "Stopped "))]
    assert len(lines) == 2, stderr
    assert lines[0].startswith("error: ") and lines[1].startswith("hint: "), stderr
    assert "Traceback" not in stderr
    return lines[0], lines[1]


# -- the server on its own ------------------------------------------------------------------------------------


def test_url_is_https_and_both_loopback_listeners_speak_tls(https_privx: HttpsPrivX, pki: Pki) -> None:
    server = https_privx.server
    assert server.url == f"https://localhost:{server.port}"
    ctx = ssl.create_default_context(cadata=pki.ca.cert_pem.decode())
    hosts = ["localhost", *("[::1]" if a == "::1" else a for a in server.addresses)]
    for host in hosts:
        with httpx.Client(verify=ctx, timeout=5.0, trust_env=False) as client:
            r = client.get(f"https://{host}:{server.port}/role-store/api/v1/status")
        assert r.status_code == 200, host
        assert r.json()["status"] == "ok"


def test_plain_http_to_the_tls_port_fails_and_the_server_keeps_serving(https_privx: HttpsPrivX, pki: Pki) -> None:
    port = https_privx.server.port
    with httpx.Client(timeout=5.0, trust_env=False) as plain, pytest.raises(httpx.TransportError):
        plain.get(f"http://127.0.0.1:{port}/role-store/api/v1/status")
    with httpx.Client(verify=ssl.create_default_context(cadata=pki.ca.cert_pem.decode()), trust_env=False) as c:
        assert c.get(f"{https_privx.url}/role-store/api/v1/status").status_code == 200


def test_a_client_that_never_shakes_hands_holds_up_nobody(pki: Pki, tmp_path: Path, no_proxy: None) -> None:
    # stop() waits for the silent connection until read_timeout: short here, to keep the test fast.
    ctx = ssl.create_default_context(cadata=pki.ca.cert_pem.decode())
    with (
        EmulatorServer(PrivXEmulator(), ssl_context=server_context(pki, tmp_path), read_timeout=0.5) as server,
        socket.create_connection(("127.0.0.1", server.port), timeout=5.0),  # connects, never says a word
    ):
        with httpx.Client(verify=ctx, timeout=5.0, trust_env=False) as client:
            # The same listener as the silent one: its accept loop must not be waiting for that handshake.
            assert client.get(f"https://127.0.0.1:{server.port}/role-store/api/v1/status").status_code == 200
        server.stop()  # with the silent connection still open: returns, and frees the port
    assert server.connections_accepted >= 2
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as every server does: TIME_WAIT is fine
        probe.bind(("127.0.0.1", server.port))


def test_plain_server_url_stays_http() -> None:
    with EmulatorServer(PrivXEmulator()) as server:
        assert server.url == f"http://localhost:{server.port}"


def test_a_client_side_context_is_refused_up_front() -> None:
    with pytest.raises(ValueError, match="client-side"):
        EmulatorServer(PrivXEmulator(), ssl_context=ssl.create_default_context())


# -- the CLI against it ---------------------------------------------------------------------------------------


def test_setup_trusts_the_ca_given_as_pem_text(
    cli: Any, aws: Any, https_privx: HttpsPrivX, pki: Pki, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRIVX_CA_CERT", pki.ca.cert_pem.decode())
    run = cli("--config", str(https_privx.config), "setup")
    assert run.exit_code == 0, run.stderr
    assert https_privx.directories() == ["Cognito"]
    assert _pools(aws) == ["privx-tls"]
    assert run.lines[-1].startswith(https_privx.url + "/")


def test_setup_trusts_the_ca_given_as_a_path(
    cli: Any, aws: Any, https_privx: HttpsPrivX, pki: Pki, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ca_file = tmp_path / "privx-ca.pem"
    ca_file.write_bytes(pki.ca.cert_pem)
    monkeypatch.setenv("PRIVX_CA_CERT", str(ca_file))
    run = cli("--config", str(https_privx.config), "setup")
    assert run.exit_code == 0, run.stderr
    assert https_privx.directories() == ["Cognito"]
    again = cli("--config", str(https_privx.config), "plan", "--detailed-exitcode")
    assert again.exit_code == 0, again.stderr


@pytest.mark.parametrize("trust", ["none", "other-ca"])
def test_untrusted_server_fails_before_anything_is_written(
    cli: Any, aws: Any, https_privx: HttpsPrivX, pki: Pki, monkeypatch: pytest.MonkeyPatch, trust: str
) -> None:
    if trust == "other-ca":
        monkeypatch.setenv("PRIVX_CA_CERT", pki.stranger.cert_pem.decode())
    run = cli("--config", str(https_privx.config), "setup")
    assert run.exit_code == 1, run.stderr
    error, hint = _error_and_hint(run.stderr)
    assert "TLS verification" in error and https_privx.url in error
    assert "PRIVX_CA_CERT" in hint
    assert run.stdout == ""
    # The PrivX login comes first; it failed in the handshake, so PrivX saw no request and Cognito no write.
    assert https_privx.emulator.requests == []
    assert _pools(aws) == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "PRIVX_CA_CERT: cannot read"),
        (b"this is not a certificate\n", "holds no PEM certificate"),
    ],
    ids=["missing-file", "not-pem"],
)
def test_unusable_ca_file_is_bad_input(
    cli: Any,
    aws: Any,
    https_privx: HttpsPrivX,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    content: bytes | None,
    message: str,
) -> None:
    ca_file = tmp_path / "ca.pem"
    if content is not None:
        ca_file.write_bytes(content)
    monkeypatch.setenv("PRIVX_CA_CERT", str(ca_file))
    run = cli("--config", str(https_privx.config), "setup")
    assert run.exit_code == 2, run.stderr
    error, hint = _error_and_hint(run.stderr)
    assert message in error
    assert "PRIVX_CA_CERT" in hint or "PEM" in hint
    assert https_privx.emulator.requests == []
    assert _pools(aws) == []
