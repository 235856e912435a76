"""Our ownership record on the pool (ARCHITECTURE.md#ownership): which of the pool's objects cognito-privx created,
kept as tags on the pool itself, so teardown and rotate-secret delete only what it names.

Tags (``UserPoolTags``; AWS: up to 50 per pool, key up to 128 and value up to 256 characters of
``[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]``, docs/cognito.md#tags):

- ``cognito-privx:record`` = ``1``: the record exists (a pool of ours without it was set up by an older version:
  :func:`derive_record` works it out once, from what is provably ours by today's rules, and setup writes it);
- ``cognito-privx:domain``: the prefix domain setup created (written just before the create, so a crash in between
  leaves a record naming a domain that is ours or absent, never one that was there before);
- ``cognito-privx:client``: the app client setup created, by id (``creating`` between the record and the create:
  the client of our name found afterwards is the one this run made);
- ``cognito-privx:secrets``: the client secrets rotate-secret added, by id, space-separated.

The adopted tag (``cognito-privx-adopted``, :mod:`~cognito_privx.cognito.pool`) is not part of the record.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from cognito_privx.cognito.pool import is_adopted
from cognito_privx.cognito.tags import retag_pool
from cognito_privx.config import MANAGED_TAG_KEY
from cognito_privx.desired import ADOPTED_TAG_KEY
from cognito_privx.plan import Action, Change, FieldChange

if TYPE_CHECKING:  # types-boto3-cognito-idp, a dev dependency: type checking only, never imported at run time
    from types_boto3_cognito_idp.type_defs import UserPoolClientTypeTypeDef, UserPoolTypeTypeDef

    from cognito_privx.cognito.gateway import CognitoGateway

RECORD_PREFIX = "cognito-privx:"
RECORD_KEY = RECORD_PREFIX + "record"
DOMAIN_KEY = RECORD_PREFIX + "domain"
CLIENT_KEY = RECORD_PREFIX + "client"
SECRETS_KEY = RECORD_PREFIX + "secrets"
CREATING = "creating"
RECORD_RESOURCE = "cognito ownership record"


@dataclass(frozen=True)
class PoolRecord:
    """What the pool's record names. ``present`` is False for a pool an older version set up (no record yet)."""

    present: bool = False
    domain: str | None = None
    client: str | None = None  # an app-client id, or CREATING
    secrets: tuple[str, ...] = ()

    @classmethod
    def of(cls, pool: UserPoolTypeTypeDef | None) -> PoolRecord:
        tags = (pool or {}).get("UserPoolTags") or {}
        return cls(
            present=RECORD_KEY in tags,
            domain=tags.get(DOMAIN_KEY) or None,
            client=tags.get(CLIENT_KEY) or None,
            secrets=tuple((tags.get(SECRETS_KEY) or "").split()),
        )

    def tags(self) -> dict[str, str]:
        out = {RECORD_KEY: "1"}
        if self.domain:
            out[DOMAIN_KEY] = self.domain
        if self.client:
            out[CLIENT_KEY] = self.client
        if self.secrets:
            out[SECRETS_KEY] = " ".join(self.secrets)
        return out

    def owns_domain(self, prefix: str | None) -> bool:
        return bool(prefix) and prefix == self.domain

    def owns_client(self, client: UserPoolClientTypeTypeDef | None) -> bool:
        return client is not None and client.get("ClientId") == self.client

    def owns_secret(self, secret_id: str) -> bool:
        return secret_id in self.secrets

    def with_secret(self, secret_id: str) -> PoolRecord:
        return replace(self, present=True, secrets=(*self.secrets, secret_id))

    def keeping_secrets(self, active: set[str]) -> PoolRecord:
        return replace(self, secrets=tuple(s for s in self.secrets if s in active))


def derive_record(
    pool: UserPoolTypeTypeDef, client: UserPoolClientTypeTypeDef | None, prefix: str | None
) -> tuple[PoolRecord, str]:
    """The record of a pool an older version set up, from what is provably ours by today's rules (never wider):
    the app client our config names (we would have made it), and the domain our config names when we created the
    pool (an adopted pool's domain may have been there before). Returns it and a note saying what was derived."""
    domain = pool.get("Domain")
    owned_domain = domain if domain and domain == prefix and not is_adopted(pool) else None
    record = PoolRecord(False, owned_domain, client["ClientId"] if client else None)  # not yet written
    named = [f"app client {record.client}" if record.client else "", f"domain {owned_domain}" if owned_domain else ""]
    what = ", ".join(n for n in named if n) or "nothing on the pool"
    return record, f"no ownership record (set up by an older version): recorded as created by cognito-privx: {what}"


def is_our_tag(key: str) -> bool:
    """Whether a pool tag key is one cognito-privx sets: managed-by, the adopted tag, the record's keys (the run
    lock's ``cognito-privx-lock:*`` is the lock's own, removed when the run ends)."""
    return key in (MANAGED_TAG_KEY, ADOPTED_TAG_KEY) or key.startswith(RECORD_PREFIX)


def record_change(pool_name: str, before: PoolRecord, after: PoolRecord, notes: tuple[str, ...] = ()) -> Change:
    """The record's change, field by field (tag keys), for plan and setup."""
    have, want = before.tags() if before.present else {}, after.tags()
    fields = tuple(
        FieldChange(key, have.get(key), want.get(key))
        for key in sorted({*have, *want})
        if have.get(key) != want.get(key)
    )
    return Change(RECORD_RESOURCE, pool_name, Action.UPDATE if fields else Action.NOOP, fields, notes)


def write_record(gw: CognitoGateway, pool_id: str, record: PoolRecord) -> UserPoolTypeTypeDef:
    """Write ``record`` into the pool's tags; the pool after. ``TagResource`` sets only our record's keys and
    ``UntagResource`` removes the record's keys it no longer has: every other tag, and every pool setting, is left
    as it is (an ``UpdateUserPool`` would send the whole pool, and could put back a tag another run just removed).
    An endpoint without the tag calls gets the record through ``UpdateUserPool`` (:func:`~.tags.retag_pool`)."""
    want = record.tags()
    return retag_pool(gw, pool_id, want, lambda key: key.startswith(RECORD_PREFIX) and key not in want)
