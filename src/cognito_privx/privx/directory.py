"""The OIDC directory: what it must say (:class:`DirectorySpec`), the comment marker naming the app-client secret
PrivX holds, which directory is ours (:class:`PoolIdentity`, :func:`find_directories`, and the settling of a
race between two runs), the ensure step (:func:`ensure_directory`), and the direct-login URL it serves."""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cognito_privx.desired import DesiredState, DirectoryTemplate
from cognito_privx.errors import AmbiguousResourceError, ForeignResourceError
from cognito_privx.plan import SENSITIVE, Action, Change, FieldChange, change_for, diff_fields
from cognito_privx.privx.accounts import TARGET, Direction, attribute_mapping
from cognito_privx.privx.client import DirectoryId
from cognito_privx.privx.record import MANAGED_MARKER as MANAGED_MARKER
from cognito_privx.privx.record import DirectoryRecord, record_of, with_record

if TYPE_CHECKING:
    from cognito_privx.privx.client import PrivXClient

MASKED = "*****"


@dataclass(frozen=True)
class DirectorySpec:
    """What the PrivX directory must say; ``client_secret`` is the real Cognito app-client secret."""

    name: str
    issuer: str
    client_id: str
    client_secret: str
    button_title: str
    tags_claim: str
    additional_scopes: tuple[str, ...]
    account_mapping: tuple[tuple[str, str], ...] = ()
    secret_id: str | None = None  # the Cognito id of ``client_secret``, recorded in our marker (not a secret)
    record: DirectoryRecord | None = None  # our ownership record (privx/record.py); None: left as it is
    mapping_keyed_by: Direction = TARGET  # the direction attribute_mapping is written in (privx/accounts.py)

    @classmethod
    def from_template(
        cls,
        template: DirectoryTemplate,
        *,
        issuer: str,
        client_id: str,
        client_secret: str,
        secret_id: str | None = None,
        record: DirectoryRecord | None = None,
        mapping_keyed_by: Direction | None = None,
    ) -> DirectorySpec:
        return cls(
            mapping_keyed_by=mapping_keyed_by or TARGET,
            secret_id=secret_id,
            record=record,
            name=template.name,
            issuer=issuer,
            client_id=client_id,
            client_secret=client_secret,
            button_title=template.button_title,
            tags_claim=template.tags_claim,
            additional_scopes=template.additional_scopes,
            account_mapping=template.account_mapping,
        )

    def __repr__(self) -> str:  # never show the secret, even in a traceback
        return f"DirectorySpec(name={self.name!r}, issuer={self.issuer!r}, client_id={self.client_id!r})"

    def managed(self) -> dict[str, Any]:
        """The fields we compare, flattened as ``connection.<key>`` (the secret cannot be read back)."""
        return {
            "name": self.name,
            "enabled": True,
            "connection.type": "OIDC",
            "connection.oidc_enabled": True,
            "connection.oidc_issuer": self.issuer,
            "connection.oidc_client_id": self.client_id,
            "connection.oidc_button_title": self.button_title,
            "connection.oidc_tags_attribute_name": self.tags_claim,
            "connection.oidc_additional_scopes": list(self.additional_scopes),
            **(
                {"connection.attribute_mapping": attribute_mapping(dict(self.account_mapping), self.mapping_keyed_by)}
                if self.account_mapping
                else {}
            ),
        }

    def overlay(self, current: Mapping[str, Any] | None) -> dict[str, Any]:
        """The whole object to send: ``current`` (if any) with every managed field and the real secret over it."""
        body: dict[str, Any] = (
            copy.deepcopy(dict(current))
            if current
            else {"name": self.name, "comment": f"Amazon Cognito user pool, {MANAGED_MARKER}"}
        )
        connection = body.setdefault("connection", {})
        for key, value in self.managed().items():
            if key.startswith("connection."):
                connection[key.removeprefix("connection.")] = value
            else:
                body[key] = value
        connection["oidc_client_secret"] = self.client_secret
        if MANAGED_MARKER not in str(body.get("comment") or ""):  # an adopted directory: mark it as ours
            body["comment"] = f"{body.get('comment') or ''} ({MANAGED_MARKER})".strip()
        if self.secret_id:
            body["comment"] = with_secret_id(str(body.get("comment") or ""), self.secret_id)
        if self.record is not None:
            body["comment"] = with_record(str(body.get("comment") or ""), self.record, _SECRET_ID)
        return body


# Which Cognito client secret PrivX holds, by its id (an id is not a secret), in the directory's comment.
# AWS documents no format for a ClientSecretId: anything up to a space, ")" or ";".
_SECRET_ID = re.compile(r"; client secret ([^\s);]+)")


def secret_id_of(directory: Mapping[str, Any] | None) -> str | None:
    """The id of the app-client secret our marker says PrivX holds; ``None`` when the marker names none."""
    found = _SECRET_ID.search(str((directory or {}).get("comment") or ""))
    return found.group(1) if found else None


def with_secret_id(comment: str, secret_id: str) -> str:
    """``comment`` with our marker naming ``secret_id`` (replacing the one it named)."""
    if _SECRET_ID.search(comment):
        return _SECRET_ID.sub(f"; client secret {secret_id}", comment, count=1)
    if MANAGED_MARKER in comment:
        return comment.replace(MANAGED_MARKER, f"{MANAGED_MARKER}; client secret {secret_id}", 1)
    return f"{comment} ({MANAGED_MARKER}; client secret {secret_id})".strip()


def issuer_of(directory: Mapping[str, Any]) -> str | None:
    issuer = (directory.get("connection") or {}).get("oidc_issuer")
    return str(issuer) if issuer else None


@dataclass(frozen=True)
class PoolIdentity:
    """How a directory can name our pool: its issuer, and the hosted-UI base URLs of its domains.

    A directory is ours when its ``oidc_issuer`` is the issuer, also in the two forms people get wrong and setup
    repairs (a trailing slash; the hosted-UI domain instead of the issuer,
    docs/cognito.md#issuer-and-hosted-ui-domain).
    """

    issuer: str
    hosted_ui: tuple[str, ...] = ()

    def named_by(self, directory: Mapping[str, Any]) -> bool:
        issuer = (issuer_of(directory) or "").rstrip("/")
        return bool(issuer) and (issuer == self.issuer or issuer in self.hosted_ui)


def _age(directory: Mapping[str, Any]) -> tuple[str, str]:
    # RFC 3339 UTC timestamps of one server sort as strings; the id breaks ties the same way in every run.
    return str(directory.get("created") or "9999"), str(directory.get("id"))


def _is_race(directories: list[dict[str, Any]]) -> bool:
    """Whether directories of ours were created within two minutes of each other (concurrent runs, whose losers
    delete their own), rather than a real duplicate that needs a person."""
    from datetime import datetime, timedelta

    try:
        times = sorted(datetime.fromisoformat(str(d.get("created")).replace("Z", "+00:00")) for d in directories)
    except ValueError:
        return False
    return times[-1] - times[0] <= timedelta(minutes=2)


def is_marked(directory: Mapping[str, Any]) -> bool:
    """Whether the directory carries our marker (set when cognito-privx created or adopted it)."""
    return MANAGED_MARKER in str(directory.get("comment") or "")


@dataclass(frozen=True)
class DirectoryMatch:
    """The directories that matter to us.

    ``ours``: the directory whose issuer is our pool and that carries our marker (the oldest, when a race left two);
    ``foreign``: a directory with the configured name that is not ours (its issuer is another pool, whatever its
    comment says), or else one under any name that points at our pool without our marker (made by hand: never
    renamed, re-keyed or deleted without ``--adopt``).
    """

    ours: dict[str, Any] | None
    foreign: dict[str, Any] | None
    pool: PoolIdentity | None = None

    def foreign_reason(self) -> str:
        """Why ``foreign`` is not ours, in one clause."""
        d = self.foreign or {}
        if self.pool is not None and self.pool.named_by(d) and not is_marked(d):
            return "it points at this config's pool but was not created by cognito-privx (it has no marker of ours)"
        return f"its issuer {issuer_of(d)} is not our pool's" + (
            " (it carries cognito-privx's marker: another config's deployment, or a pool deleted since)"
            if is_marked(d)
            else ""
        )


def find_directories(
    privx: PrivXClient, name: str, pool: PoolIdentity | None, *, listed: list[dict[str, Any]] | None = None
) -> DirectoryMatch:
    """Ours (its issuer names our pool and it carries our marker; neither alone makes a directory ours) and a
    foreign one: same-named, or else pointing at our pool without our marker.

    ``pool`` is ``None`` when our pool does not exist yet: then nothing is ours. Raises
    :class:`AmbiguousResourceError` when several same-named directories are not ours. ``listed``: the sources as
    this run already listed them (``privx.list_sources()``), instead of listing again.
    """
    sources = privx.list_sources() if listed is None else listed
    pointing = [s for s in sources if pool is not None and pool.named_by(s)]
    ours = [s for s in pointing if is_marked(s)]
    named_foreign = [s for s in sources if s.get("name") == name and s not in ours]
    if len(named_foreign) > 1:
        ids = ", ".join(sorted(str(s.get("id")) for s in named_foreign))
        raise AmbiguousResourceError(
            f"{len(named_foreign)} PrivX directories are named {name!r}: {ids}",
            "delete or rename the extra directory in PrivX, then run again",
        )
    chosen = None
    if len(ours) > 1 and not _is_race(ours):
        ids = ", ".join(str(s.get("id")) for s in sorted(ours, key=_age))
        raise AmbiguousResourceError(
            f"{len(ours)} PrivX directories point at this config's pool ({name!r} among them): {ids}",
            "delete the extra directory in PrivX, then run again",
        )
    if ours:
        named = [s for s in ours if s.get("name") == name]
        chosen = min(named or ours, key=_age)
        # The list may abbreviate objects; the full one is what a PUT must start from.
        chosen = privx.get_source(str(chosen["id"]))
    unmarked = sorted((s for s in pointing if s not in ours), key=_age)
    candidate = named_foreign or ([] if ours else unmarked)
    foreign = privx.get_source(str(candidate[0]["id"])) if candidate else None
    return DirectoryMatch(chosen, foreign, pool)


@dataclass(frozen=True)
class DirectoryState:
    change: Change
    directory: dict[str, Any] | None

    @property
    def directory_id(self) -> DirectoryId | None:
        return DirectoryId(str(self.directory["id"])) if self.directory else None


def flatten(source: Mapping[str, Any]) -> dict[str, Any]:
    """A directory as ``{"enabled": .., "connection.<key>": ..}`` for comparison with :meth:`DirectorySpec.managed`."""
    flat = {k: v for k, v in source.items() if k != "connection"}
    for key, value in (source.get("connection") or {}).items():
        flat[f"connection.{key}"] = value
    return flat


_SECRET_FIELD = "connection.oidc_client_secret"
SECRET_ID_FIELD = "comment (client secret id)"
RECORD_FIELD = "comment (ownership record)"
_READ_ONLY = frozenset({"author", "created", "updated", "status_code", "status_text"})


def _settle_directory_race(privx: PrivXClient, spec: DirectorySpec, created_id: str) -> tuple[str, str]:
    """Look again after creating the directory: when a concurrent run made one for our pool too (a PrivX that
    allows duplicate names), the older wins and ours is deleted. Returns the id to carry on with and a note."""
    ours = [s for s in privx.list_sources() if (issuer_of(s) or "").rstrip("/") == spec.issuer and is_marked(s)]
    if len(ours) < 2:
        return created_id, ""
    winner = str(min(ours, key=_age)["id"])
    if winner == created_id:
        return created_id, ""
    privx.delete_source(created_id)
    return winner, f"a concurrent run created directory {winner} first; this run's was deleted"


_UNSET: Any = object()


def ensure_directory(
    privx: PrivXClient,
    spec: DirectorySpec,
    *,
    dry_run: bool,
    current: dict[str, Any] | None = _UNSET,
    resend_secret: bool = False,
) -> DirectoryState:
    """Create or converge the OIDC directory. ``current`` is ours (or one being adopted), observed by the caller;
    when left out, it is looked up (and a same-named directory that is not ours raises
    :class:`ForeignResourceError`)."""
    if current is _UNSET:
        found = find_directories(privx, spec.name, PoolIdentity(spec.issuer))
        if found.ours is None and found.foreign is not None:
            raise ForeignResourceError(
                f"the PrivX directory {spec.name!r} ({found.foreign.get('id')}) is not ours: {found.foreign_reason()}",
                "choose another [privx] directory_name",
            )
        current = found.ours
    desired = spec.managed()
    if current is None:
        change = change_for("privx directory", spec.name, None, {**desired, _SECRET_FIELD: SENSITIVE})
        if dry_run:
            return DirectoryState(change, None)
        new_id, note = _settle_directory_race(privx, spec, privx.create_source(spec.overlay(None)))
        created = privx.get_source(new_id)
        if note or diff_fields(flatten(created), desired):
            # Created meanwhile by a concurrent run (or found by name after a lost answer): converge it too.
            state = ensure_directory(privx, spec, dry_run=False, current=created)
            return DirectoryState(
                Change(
                    change.resource,
                    change.name,
                    state.change.action,
                    state.change.fields,
                    (*state.change.notes, note) if note else state.change.notes,
                ),
                state.directory,
            )
        return DirectoryState(change, created)
    fields = diff_fields(flatten(current), desired)
    if spec.secret_id and secret_id_of(current) != spec.secret_id:
        fields = (*fields, FieldChange(SECRET_ID_FIELD, secret_id_of(current), spec.secret_id))
    if spec.record is not None and record_of(current) != spec.record:
        have = record_of(current)
        fields = (*fields, FieldChange(RECORD_FIELD, have.text() if have.present else None, spec.record.text()))
    if not fields and not resend_secret:
        return DirectoryState(Change("privx directory", spec.name, Action.NOOP), current)
    # The secret reads back masked, so drift cannot be seen: it is re-sent with every update, and said so.
    fields = (*fields, FieldChange(_SECRET_FIELD, SENSITIVE, SENSITIVE))
    notes: tuple[str, ...] = (
        "the client secret is re-sent (--resend-secret)"
        if resend_secret and not fields
        else "the client secret is re-sent with every update (PrivX never returns it)",
    )
    if not is_marked(current):
        notes = (f"adopting directory {current.get('id')}: it gets our marker in its comment", *notes)
    change = Change("privx directory", spec.name, Action.UPDATE, fields, notes)
    if dry_run:
        return DirectoryState(change, current)
    body = {k: v for k, v in spec.overlay(current).items() if k not in _READ_ONLY}
    privx.update_source(str(current["id"]), body)
    after = privx.get_source(str(current["id"]))
    missed = diff_fields(flatten(after), desired)
    if missed:
        names = ", ".join(f.field for f in missed)
        change = Change(
            change.resource,
            change.name,
            change.action,
            change.fields,
            (*change.notes, f"PrivX did not keep: {names} (an older PrivX may ignore these keys)"),
        )
    return DirectoryState(change, after)


def login_url(desired: DesiredState, directory: Mapping[str, Any] | None) -> str | None:
    """The direct-login URL of ``directory`` from ``[privx] login_url_template`` (``None`` without a directory).

    No PrivX model has a login-URL field (privx-sdk-go's Source has none): the template is the only source, and
    :mod:`cognito_privx.privx.directlogin` checks it against the real server.
    """
    if directory is None:
        return None
    return desired.login_url(str(directory["id"]))
