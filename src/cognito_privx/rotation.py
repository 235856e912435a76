r"""``rotate-secret``: replace the app client's secret without downtime (docs/cognito.md#client-secrets).

The steps, each safe to crash after:

1. **Observe** the pool, our app client, its secrets (ids, oldest first) and our PrivX directory, whose marker
   names the secret PrivX holds by its id (``privx.secret_id_of``), and our record on the pool, which names the
   secrets a rotation added (``cognito.PoolRecord``). A second secret neither names is someone else's: it is never
   deleted, and since Cognito allows two, the rotation refuses with a hint (ARCHITECTURE.md#ownership).
2. **Recover** from an interrupted run. Two secrets and the marker names the newer: PrivX already holds it, go
   to step 6. Two secrets and the marker names the older (or none): the newer one's value was lost with the run
   that made it, so it is deleted and the rotation starts again.
3. **Add** a secret whose value we generate (48 letters and digits, within Cognito's ``[\w+]``; it does not echo a
   value it was given), so it is known without reading it back; its id is recorded on the pool at once.
4. **Prove** it at the pool's token endpoint: an authorization-code request with a made-up code, authenticated
   with the new secret, must be refused for the code (``invalid_grant``), not the client (``invalid_client``).
   Otherwise the new secret is deleted and PrivX is left as it was.
5. **Hand it to PrivX**: one directory update carries the secret and the marker naming its id, read back.
6. **Delete** every other secret -- only ever one the marker does not name, so PrivX never holds a deleted one,
   and only one our marker or record names.

Never prints or returns a secret value.
"""

from __future__ import annotations

import secrets
import string
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from cognito_privx import cognito, net, privx
from cognito_privx.desired import DesiredState
from cognito_privx.errors import CognitoError, ConflictError, PrivXNotFoundError, UsageError, aws_error_code
from cognito_privx.plan import Action, Change, Plan
from cognito_privx.reconcile import PoolLock, Services, locked_pool, pool_identity
from cognito_privx.reconcile.observation import pool_record_of

# AddUserPoolClientSecret takes 24-64 characters of [\w+]. Letters and digits only: a relying party sends the secret
# form-urlencoded in HTTP Basic (RFC 6749 section 2.3.1; Go's oauth2 and the emulator do), which turns "+" into
# "%2B", and whether Cognito decodes it is unverified. 48 of 62 symbols: about 285 bits.
SECRET_ALPHABET = string.ascii_letters + string.digits
SECRET_LENGTH = 48
RESOURCE = "cognito client secret"
# The losing run of two rotations that ran at once (only without the run lock: an older cognito-privx, or a lock
# broken by hand) says so, rather than blaming the domain or quoting AWS.
_ANOTHER_RUN = (
    "this run changed nothing in PrivX; wait until the other run has finished, then check with `cognito-privx "
    "doctor --login` (run rotate-secret again if it fails)"
)
# A second secret younger than this, that no record names, is taken for a concurrent rotation's (seconds).
RECENT_SECRET_S = 600.0
HTTP_TIMEOUT = 15.0


def new_secret_value() -> str:
    return "".join(secrets.choice(SECRET_ALPHABET) for _ in range(SECRET_LENGTH))


@dataclass(frozen=True)
class Rotation:
    """What a rotation did: its changes (secret ids only), the id PrivX now holds, and how long it took."""

    plan: Plan
    secret_id: str
    seconds: float
    value: str | None = field(default=None, repr=False)  # the new secret (never printed); None: finished only

    def to_json(self) -> dict[str, Any]:
        return {
            "changes": [c.to_json() for c in self.plan.changes],
            "secret_id": self.secret_id,
            "seconds": round(self.seconds, 3),
        }


def rotate_secret(
    desired: DesiredState,
    services: Services,
    *,
    http_transport: httpx.BaseTransport | None = None,
    confirm: Callable[[str], bool] | None = None,
    on_change: Callable[[Change], None] | None = None,
    lock: PoolLock | None = None,
) -> Rotation:
    """Rotate the app client's secret (see the module docstring). ``http_transport`` carries the token-endpoint
    proof (tests hand in the hosted-UI stand-in); ``confirm`` gets a one-line summary before the first write;
    ``lock`` (the run lock's ``hold``, reconcile/lock.py) is taken on the pool before anything else is read."""
    started = time.perf_counter()
    gw, px = services.cognito, services.privx
    plan = Plan(listener=on_change)
    px.login()
    pool = locked_pool(gw, desired.pool, lock)
    client = cognito.find_client(gw, desired.client, pool["Id"]) if pool else None
    directory = privx.find_directories(px, desired.directory.name, pool_identity(desired, pool)).ours
    if pool is None or client is None or directory is None:
        raise PrivXNotFoundError(
            "nothing to rotate: this config has no pool, app client or PrivX directory yet",
            "run `cognito-privx setup` first",
        )
    pool_id, client_id = pool["Id"], client["ClientId"]
    found = cognito.list_secrets(gw, pool_id, client_id, required=True)
    marked = privx.secret_id_of(directory)
    record, _ = pool_record_of(desired, pool, client)
    _refuse_foreign_secrets(found, marked, record, pool_id, client_id)
    if confirm is not None and not confirm(
        f"rotate the secret of app client {client_id}: add a new one, put it into PrivX directory "
        f"{directory.get('name')!r}, then delete the old one (anything else using the old secret stops working)"
    ):
        raise UsageError("nothing was changed", "confirm, or pass --yes")

    value: str | None = None
    if len(found) > 1 and marked == found[-1].id:
        held = found[-1].id
        plan.add(
            Change(RESOURCE, held, Action.NOOP, notes=("PrivX already holds it: finishing an interrupted rotation",))
        )
    else:
        if len(found) > 1:
            if marked not in (None, *(s.id for s in found)):
                raise ConflictError(
                    f"the app client has two secrets and our marker on the PrivX directory names neither ({marked})",
                    "delete the secret PrivX does not use in the Cognito console, then run rotate-secret again",
                )
            for extra in found[1:]:
                cognito.delete_secret(gw, pool_id, client_id, extra.id)
                plan.add(
                    Change(RESOURCE, extra.id, Action.DELETE, notes=("its value was lost with an interrupted run",))
                )
        # Our record names every secret this rotation deletes or adds (cognito/record.py), before it does.
        record = record.keeping_secrets({s.id for s in found[:1]})
        if found and not record.owns_secret(found[0].id):
            record = record.with_secret(found[0].id)
        held, value = _add_prove_hand_over(desired, services, pool, client_id, directory, plan, http_transport, record)
    for old in found:
        if old.id != held:
            cognito.delete_secret(gw, pool_id, client_id, old.id)
            if not any(c.name == old.id for c in plan.changes):
                plan.add(Change(RESOURCE, old.id, Action.DELETE, notes=("the old secret",)))
    final = cognito.PoolRecord.of(gw.describe_pool(pool_id))
    if final.secrets != (held,):
        cognito.write_record(gw, pool_id, cognito.PoolRecord(True, final.domain, final.client, (held,)))
    return Rotation(plan, held, time.perf_counter() - started, value)


def _refuse_foreign_secrets(
    found: list[cognito.ClientSecret], marked: str | None, record: cognito.PoolRecord, pool_id: str, client_id: str
) -> None:
    """A second secret that neither our marker (PrivX holds it) nor our record (a rotation made it) names is someone
    else's: never deleted. Cognito allows two, so it blocks adding ours: refuse, naming it."""
    if len(found) < 2:
        return  # the one secret is what setup sends PrivX
    unnamed = [s for s in found if s.id != marked and not record.owns_secret(s.id)]
    foreign = [s.id for s in unnamed]
    recent = [s for s in unnamed if (cognito.secret_age_seconds(s) or RECENT_SECRET_S) < RECENT_SECRET_S]
    if recent:
        # Made moments ago and not yet recorded: another rotation between its add and its record (without the run
        # lock: an older cognito-privx, or a lock removed by hand). Never deleted from here either.
        raise ConflictError(
            f"app client {client_id} has a second client secret made {cognito.secret_age_seconds(recent[0]):.0f} s "
            f"ago that no record names yet ({recent[0].id}): another rotate-secret is under way, or one was just "
            "interrupted",
            _ANOTHER_RUN,
        )
    if foreign:
        raise ConflictError(
            f"app client {client_id} has a client secret cognito-privx did not create and PrivX does not hold "
            f"({', '.join(foreign)}); Cognito allows two secrets, so no new one can be added: it was left as it is",
            "if nothing uses it, delete it (aws cognito-idp delete-user-pool-client-secret --user-pool-id "
            f"{pool_id} --client-id {client_id} --client-secret-id {foreign[0]}), then run rotate-secret again",
        )


def _add_prove_hand_over(
    desired: DesiredState,
    services: Services,
    pool: Any,
    client_id: str,
    directory: dict[str, Any],
    plan: Plan,
    http_transport: httpx.BaseTransport | None,
    record: cognito.PoolRecord,
) -> tuple[str, str]:
    """Steps 3-5: the new secret's id and value, once PrivX holds it."""
    gw, px = services.cognito, services.privx
    pool_id = pool["Id"]
    value = new_secret_value()
    try:
        new_id = cognito.add_secret(gw, pool_id, client_id, value)
    except CognitoError as e:
        if aws_error_code(e) != "LimitExceededException":
            raise
        raise ConflictError(  # two secrets already, though this run saw one: another run is rotating
            "the app client has two secrets again: another rotate-secret is under way", _ANOTHER_RUN
        ) from e
    cognito.write_record(gw, pool_id, record.with_secret(new_id))
    plan.add(Change(RESOURCE, new_id, Action.CREATE, notes=("generated here: 48 letters and digits",)))
    problem = prove(gw, desired, pool, client_id, value, http_transport)
    if problem and new_id not in {s.id for s in cognito.list_secrets(gw, pool_id, client_id, required=True)}:
        raise ConflictError(
            f"the new client secret {new_id} was deleted while this run proved it: another rotate-secret is under way",
            _ANOTHER_RUN,
        )
    if problem:
        cognito.delete_secret(gw, pool_id, client_id, new_id)
        plan.add(Change(RESOURCE, new_id, Action.DELETE, notes=("it did not work; PrivX was left as it was",)))
        raise CognitoError(
            f"the new client secret could not be proven at the token endpoint: {problem}",
            "nothing changed in PrivX and the new secret was deleted; check the domain, then run again",
        )
    spec = privx.DirectorySpec.from_template(
        desired.directory,
        issuer=desired.pool.issuer(pool_id),
        client_id=client_id,
        client_secret=value,
        secret_id=new_id,
        mapping_keyed_by=privx.accounts.stored_direction(directory),  # as setup wrote it (privx/accounts.py)
    )
    state = privx.ensure_directory(px, spec, dry_run=False, current=directory, resend_secret=True)
    if privx.secret_id_of(state.directory) != new_id:
        raise ConflictError(
            f"PrivX did not keep our marker naming the new secret {new_id}: the old secret is kept",
            "run `cognito-privx rotate-secret` again",
        )
    plan.add(state.change)
    return new_id, value


def token_endpoint(gw: cognito.CognitoGateway, desired: DesiredState, pool: Any, http: httpx.Client) -> str | None:
    """The pool's token endpoint, from its discovery document (at the endpoint override, as doctor reads it),
    else on the hosted-UI domain."""

    base = cognito.endpoint_override(gw)
    where = f"{base}/{pool['Id']}" if base else desired.pool.issuer(pool["Id"])
    try:
        document = http.get(f"{where}/.well-known/openid-configuration").json()
        endpoint = document.get("token_endpoint") if isinstance(document, dict) else None
    except (httpx.HTTPError, ValueError):
        endpoint = None
    if isinstance(endpoint, str):
        return endpoint
    prefix = (desired.domain.prefix if desired.domain else None) or pool.get("Domain")
    return f"{cognito.domain_url(prefix, desired.pool.region)}/oauth2/token" if prefix else None


def prove(
    gw: cognito.CognitoGateway,
    desired: DesiredState,
    pool: Any,
    client_id: str,
    value: str,
    http_transport: httpx.BaseTransport | None,
) -> str | None:
    """Authenticate to the token endpoint with ``value``: ``None`` when Cognito took the client's credentials
    (it then refuses only the made-up code, ``invalid_grant``), else why not."""
    with net.http_client(gw.trust(), transport=http_transport, timeout=HTTP_TIMEOUT) as http:
        endpoint = token_endpoint(gw, desired, pool, http)
        if endpoint is None:
            return "the pool has no domain, so no token endpoint"
        data = {
            "grant_type": "authorization_code",
            "code": secrets.token_urlsafe(24),
            "redirect_uri": desired.client.callback_url,
            "client_id": client_id,
        }
        try:
            response = http.post(endpoint, data=data, auth=(client_id, value))
        except httpx.HTTPError as e:
            return f"{endpoint}: {type(e).__name__}: {e}"
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        error = None
    if error == "invalid_grant":
        return None
    return f"{endpoint} answered HTTP {response.status_code} {error or ''}".strip()
