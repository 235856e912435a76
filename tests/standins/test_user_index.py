"""The sandbox's indexed user look-up (:mod:`cognito_privx.sandbox.moto_fixes.user_index`).

Two things must hold: every look-up answers what moto's scan (and the case-insensitive fix's scan) answers, after
any mix of creates, deletes and attribute changes; and a look-up reads no other user's attributes, so its cost does
not grow with the pool. State is read through boto3 and in moto's pool objects.
"""

from __future__ import annotations

import random
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto.cognitoidp import models
from moto.core import DEFAULT_ACCOUNT_ID

from cognito_privx.sandbox.moto_fixes.user_index import IndexedUsers
from tests.support.constants import REGION

SETTINGS: dict[str, dict[str, Any]] = {
    "email-insensitive": {"UsernameAttributes": ["email"], "UsernameConfiguration": {"CaseSensitive": False}},
    "email-sensitive": {"UsernameAttributes": ["email"], "UsernameConfiguration": {"CaseSensitive": True}},
    "email-or-phone": {"UsernameAttributes": ["email", "phone_number"]},
    "names-insensitive": {"UsernameConfiguration": {"CaseSensitive": False}},
    "names": {},
}


def _moto_pool(pool_id: str) -> Any:
    return models.cognitoidp_backends[DEFAULT_ACCOUNT_ID][REGION].user_pools[pool_id]


def _pool(aws: Any, settings: dict[str, Any]) -> str:
    return str(aws.create_user_pool(PoolName=f"p-{uuid.uuid4().hex[:8]}", **settings)["UserPool"]["Id"])


def _scan(pool: Any, name: str) -> Any:
    """The answer of the layer under the index: moto's scan, or the case-insensitive fix's."""
    return models.CognitoIdpUserPool._get_user.__wrapped__(pool, name)


def _code(error: ClientError) -> str:
    return str(error.response["Error"]["Code"])


@pytest.mark.parametrize("kind", sorted(SETTINGS))
def test_every_lookup_answers_what_the_scan_answers_after_random_writes(aws: Any, kind: str) -> None:
    settings = SETTINGS[kind]
    pool_id = _pool(aws, settings)
    pool = _moto_pool(pool_id)
    by_email = "email" in (settings.get("UsernameAttributes") or [])
    rng = random.Random(kind)
    bases = [f"user{i}@example.com" for i in range(8)]

    def variant(base: str) -> str:  # one of three spellings, so that the probes stay few
        return rng.choice([base, base.upper(), base.capitalize()])

    probes: set[str] = set()
    for _ in range(120):
        step = rng.random()
        name = variant(rng.choice(bases))
        probes.add(name)
        try:
            if step < 0.45:
                attributes = [] if by_email else [{"Name": "email", "Value": variant(rng.choice(bases))}]
                aws.admin_create_user(
                    UserPoolId=pool_id, Username=name, MessageAction="SUPPRESS", UserAttributes=attributes
                )
            elif step < 0.65:
                aws.admin_delete_user(UserPoolId=pool_id, Username=name)
            elif step < 0.9:
                new = variant(rng.choice(bases))
                probes.add(new)
                attributes = [{"Name": "email", "Value": new}, {"Name": "email_verified", "Value": "true"}]
                aws.admin_update_user_attributes(UserPoolId=pool_id, Username=name, UserAttributes=attributes)
            else:
                aws.admin_delete_user_attributes(UserPoolId=pool_id, Username=name, UserAttributeNames=["name"])
        except ClientError as e:
            assert _code(e) in {
                "UsernameExistsException",
                "UserNotFoundException",
                "AliasExistsException",
                "InvalidParameterException",
            }
        for user in list(pool.users.values()):
            probes.add(user.username)
        for probe in probes:
            assert pool._get_user(probe) is _scan(pool, probe), probe
    assert isinstance(pool.users, IndexedUsers)


def test_an_email_change_moves_the_lookup_with_it(aws: Any) -> None:
    pool_id = _pool(aws, SETTINGS["email-insensitive"])
    aws.admin_create_user(UserPoolId=pool_id, Username="old@example.com", MessageAction="SUPPRESS")
    aws.admin_create_user(UserPoolId=pool_id, Username="other@example.com", MessageAction="SUPPRESS")
    sub = aws.admin_get_user(UserPoolId=pool_id, Username="OLD@example.com")["Username"]
    change = [{"Name": "email", "Value": "New@Example.com"}, {"Name": "email_verified", "Value": "true"}]
    aws.admin_update_user_attributes(UserPoolId=pool_id, Username="old@example.com", UserAttributes=change)

    assert aws.admin_get_user(UserPoolId=pool_id, Username="new@example.com")["Username"] == sub
    with pytest.raises(ClientError) as gone:
        aws.admin_get_user(UserPoolId=pool_id, Username="old@example.com")
    assert _code(gone.value) == "UserNotFoundException"
    # The old address is free again; the new one is taken, in any case, and by update too.
    aws.admin_create_user(UserPoolId=pool_id, Username="old@example.com", MessageAction="SUPPRESS")
    with pytest.raises(ClientError) as taken:
        aws.admin_create_user(UserPoolId=pool_id, Username="NEW@example.com", MessageAction="SUPPRESS")
    assert _code(taken.value) == "UsernameExistsException"
    steal = [{"Name": "email", "Value": "New@Example.com"}]
    with pytest.raises(ClientError) as alias:
        aws.admin_update_user_attributes(UserPoolId=pool_id, Username="other@example.com", UserAttributes=steal)
    assert _code(alias.value) == "AliasExistsException"


def test_a_deleted_user_is_gone_from_every_lookup(aws: Any) -> None:
    pool_id = _pool(aws, SETTINGS["email-insensitive"])
    aws.admin_create_user(UserPoolId=pool_id, Username="gone@example.com", MessageAction="SUPPRESS")
    sub = aws.admin_get_user(UserPoolId=pool_id, Username="gone@example.com")["Username"]
    aws.admin_delete_user(UserPoolId=pool_id, Username="Gone@example.com")
    for name in ("gone@example.com", sub, sub.upper()):
        with pytest.raises(ClientError) as missing:
            aws.admin_get_user(UserPoolId=pool_id, Username=name)
        assert _code(missing.value) == "UserNotFoundException"
    aws.admin_create_user(UserPoolId=pool_id, Username="GONE@example.com", MessageAction="SUPPRESS")
    assert aws.admin_get_user(UserPoolId=pool_id, Username="gone@example.com")["Username"] != sub


class _Unreadable(list[dict[str, str]]):
    """A user's attributes that fail when anything reads them: only a scan would."""

    def __iter__(self) -> Any:
        raise AssertionError("a look-up read another user's attributes")


@pytest.mark.parametrize("kind", ["email-insensitive", "email-sensitive", "names-insensitive"])
def test_a_lookup_reads_no_other_users_attributes(aws: Any, kind: str) -> None:
    pool_id = _pool(aws, SETTINGS[kind])
    for i in range(50):
        aws.admin_create_user(UserPoolId=pool_id, Username=f"u{i}@example.com", MessageAction="SUPPRESS")
    pool = _moto_pool(pool_id)
    for user in pool.users.values():
        user.__dict__["attributes"] = _Unreadable(user.attributes)
    probe = "u49@example.com" if kind == "names-insensitive" else "U49@example.com".lower()
    assert pool._get_user(probe) is not None
    assert pool._get_user("nobody@example.com") is None
    with pytest.raises(ClientError) as taken:
        aws.admin_create_user(UserPoolId=pool_id, Username="u7@example.com", MessageAction="SUPPRESS")
    assert _code(taken.value) == "UsernameExistsException"


def test_the_users_dict_stays_indexed_through_every_write() -> None:
    class User:
        def __init__(self, name: str, email: str) -> None:
            self.username = name
            self.attributes = [{"Name": "email", "Value": email}]

    users = IndexedUsers()
    users["a"] = User("a", "a@x")
    users.update({"b": User("b", "b@x")})
    users.setdefault("c", User("c", "c@x"))
    assert users.first([("email", "b@x")]) is users["b"]
    users.pop("b")
    assert users.first([("email", "b@x")]) is None
    users.popitem()  # the last: "c"
    assert users.first([("email", "c@x")]) is None
    users["a"] = User("a", "new@x")  # replaced in place: keeps its place, index follows
    assert users.first([("email", "a@x")]) is None
    assert users.first([("email~", "NEW@x".lower())]) is users["a"]
    copied = IndexedUsers(users)
    import copy

    deep = copy.deepcopy(users)
    assert copied.first([("name", "a")]) is users["a"]
    assert deep.first([("email", "new@x")]) is deep["a"]
    users.clear()
    assert users.first([("name", "a")]) is None
