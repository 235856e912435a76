"""Live access in PrivX (issue 21): finding a person's records in our directory, reading and ending their login
sessions and connections, against the emulator (the Go SDK's routes and shapes)."""

from __future__ import annotations

from typing import Any

import pytest

from cognito_privx.errors import PrivXPermissionError
from cognito_privx.privx import sessions
from cognito_privx.privx.client import PrivXClient
from cognito_privx.sandbox.emulator import ALL_PERMISSIONS, PrivXEmulator
from tests.support.constants import API_CLIENT_ID
from tests.support.emulator import privx_client as client_on


def _directory(api: Any, name: str = "Cognito") -> str:
    body = {
        "name": name,
        "enabled": True,
        "connection": {
            "type": "OIDC",
            "oidc_enabled": True,
            "oidc_issuer": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc",
            "oidc_client_id": "cid",
            "oidc_client_secret": "s",
            "oidc_tags_attribute_name": "custom:group",
        },
    }
    return str(api.request("POST", "/role-store/api/v1/sources", json_body=body)["id"])


def _login(emulator: PrivXEmulator, source: str, sub: str, email: str, group: str = "ops") -> str:
    return emulator.login_user(source, {"sub": sub, "email": email, "custom:group": group})


@pytest.fixture
def privx_client(emulator: PrivXEmulator) -> PrivXClient:
    return client_on(emulator)


@pytest.fixture
def directories(privx_client: PrivXClient) -> tuple[str, str]:
    """Our directory and another one."""
    return _directory(privx_client), _directory(privx_client, "Other")


def test_a_persons_records_are_found_by_sub_or_email_in_our_directory_only(
    emulator: PrivXEmulator, privx_client: PrivXClient, directories: tuple[str, str]
) -> None:
    source, other = directories
    old = _login(emulator, source, "sub-old", "Alice@Example.com")
    new = _login(emulator, source, "sub-new", "alice@example.com")
    _login(emulator, other, "sub-new", "alice@example.com")  # the same person in a directory not ours
    _login(emulator, source, "sub-bob", "bob@example.com")
    found = sessions.find_person(privx_client, source, sub="sub-new", email="alice@example.com")
    assert sorted(u["id"] for u in found) == sorted([old, new])
    assert sessions.find_person(privx_client, source, sub="sub-x", email="carol@example.com") == []


def test_ending_a_person_ends_their_sessions_and_connections_and_nobody_elses(
    emulator: PrivXEmulator, privx_client: PrivXClient, directories: tuple[str, str]
) -> None:
    source, _ = directories
    alice = _login(emulator, source, "sub-a", "alice@example.com")
    _login(emulator, source, "sub-a", "alice@example.com")  # a second session
    bob = _login(emulator, source, "sub-b", "bob@example.com")
    emulator.open_connection(alice, "web-1")
    kept = emulator.open_connection(bob, "web-1")
    ended = sessions.end_person(privx_client, source, sub="sub-a", email="alice@example.com")
    assert ended == sessions.EndedAccess(1, 2, 1)
    assert ended.words() == "2 PrivX sessions ended, 1 connection ended"
    assert emulator.valid_sessions(alice) == [] and emulator.live_connections(alice) == []
    assert len(emulator.valid_sessions(bob)) == 1 and [c["id"] for c in emulator.live_connections()] == [kept]
    writes = len(emulator.write_requests())
    again = sessions.end_person(privx_client, source, sub="sub-a", email="alice@example.com")
    assert again.words() == "no PrivX session or connection"
    assert len(emulator.write_requests()) == writes  # a re-run over ended access writes nothing
    nobody = sessions.end_person(privx_client, source, sub="sub-c", email="carol@example.com")
    assert nobody.words() == "never signed in to PrivX"


def test_a_missing_permission_names_it_and_what_was_done(
    emulator: PrivXEmulator, privx_client: PrivXClient, directories: tuple[str, str]
) -> None:
    source, _ = directories
    alice = _login(emulator, source, "sub-a", "alice@example.com")
    emulator.open_connection(alice, "web-1")
    emulator.set_api_client_permissions(API_CLIENT_ID, ALL_PERMISSIONS - {"connections-terminate"})
    with pytest.raises(PrivXPermissionError) as caught:
        sessions.end_person(privx_client, source, sub="sub-a", email="alice@example.com", done=lambda: "signed out")
    e = caught.value
    assert e.permission == "connections-terminate"
    assert e.message.startswith("signed out; 1 PrivX session ended; PrivX refused to end connections")
    assert "connections-terminate" in (e.hint or "")
    assert emulator.valid_sessions(alice) == [] and len(emulator.live_connections(alice)) == 1
    emulator.set_api_client_permissions(API_CLIENT_ID, ALL_PERMISSIONS)
    finished = sessions.end_person(privx_client, source, sub="sub-a", email="alice@example.com")
    assert finished.words() == "0 PrivX sessions ended, 1 connection ended"
    assert emulator.live_connections(alice) == []


def test_listings_are_read_page_by_page(
    emulator: PrivXEmulator, privx_client: PrivXClient, directories: tuple[str, str]
) -> None:
    source, _ = directories
    ids = {_login(emulator, source, f"sub-{i}", f"u{i}@example.com") for i in range(7)}
    pages = list(sessions.pages(privx_client, "POST", sessions.USERS_SEARCH_PATH, body={"source": source}, page=3))
    assert [len(p) for p in pages] == [3, 3, 1]
    assert {u["id"] for p in pages for u in p} == ids
    assert len(list(sessions.directory_sessions(privx_client, source))) == 7
