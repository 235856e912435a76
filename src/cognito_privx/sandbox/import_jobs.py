"""A strict stand-in for Cognito's user import jobs, which moto 5.2.5 lacks, installed into moto's model classes.

moto implements none of ``GetCSVHeader``, ``CreateUserImportJob``, ``StartUserImportJob``,
``DescribeUserImportJob``, ``ListUserImportJobs`` and ``StopUserImportJob`` (``NotImplementedError`` in-process,
HTTP 500 from its server). :func:`install` (called by :func:`cognito_privx.sandbox.moto_fixes.apply`) adds them to
``CognitoIdpBackend`` and ``CognitoIdpResponse``, as moto_fixes adds its other missing operations, so one state
serves the in-process ``mock_aws`` and moto's server alike. Jobs live on moto's pool object (``import_jobs``, id →
:class:`ImportJob`): deleting the pool deletes them.

Sources (short names as in ``docs/cognito.md`` "User import jobs"): **DG** the Developer Guide's "Importing users
into a user pool from a CSV file" pages (archived ``awsdocs/amazon-cognito-developer-guide`` commit ``85b058f``,
``doc_source/cognito-user-pools-using-import-tool*.md``, and the current single page
https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pools-using-import-tool.html); **API** the
API reference pages ``API_ListUserImportJobs`` / ``API_StopUserImportJob``; **model** botocore 1.44's
``cognito-idp/2016-04-18/service-2.json.gz``; **Quotas** https://docs.aws.amazon.com/cognito/latest/developerguide/quotas.html;
**RefArch** ``aws-solutions/cognito-user-profiles-export-reference-architecture``
``source/workflow-import/import-users.js``. What no source settles is marked **(unverified)**.

The pieces:

- :class:`ImportJobSettings` / :func:`configure` / :func:`configured`: the process-wide knobs (processing rate,
  time in ``Pending``, URL lifetime, expiry, line numbering).
- :data:`BACKEND_LOCK`: a process-wide re-entrant lock around moto's state. moto's backends are process-global and
  not thread-safe; the job threads, moto's server (:class:`cognito_privx.sandbox.runner.MotoServer`), the hosted-UI
  stand-in and (after :func:`install`) every in-process Cognito and CloudWatch Logs call take it.
- :class:`UploadServer` / :func:`upload_server`: the pre-signed-URL target, an S3-shaped PUT endpoint on loopback,
  started lazily once per process by the first ``CreateUserImportJob``.
- :class:`_Processor`: a started job's import, in a daemon thread, in batches of at most 100 rows under the lock.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import hashlib
import hmac
import logging
import math
import re
import secrets
import socket
import string
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from typing import IO, TYPE_CHECKING, Any, Literal

from cognito_privx.sandbox import moto_fixes
from cognito_privx.sandbox.background import BackgroundServer

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment
    from werkzeug.wrappers import Request, Response

__all__ = [
    "BACKEND_LOCK",
    "LOGS_ROLE_ARN",
    "ImportJob",
    "ImportJobSettings",
    "UploadServer",
    "configure",
    "configured",
    "create_logs_role",
    "csv_header",
    "current_settings",
    "install",
    "split_fields",
    "upload_server",
]

_log = logging.getLogger(__name__)

BACKEND_LOCK = threading.RLock()
"""Serialises every touch of moto's state in this process (re-entrant: moto's server takes it around a request,
and the request's Cognito action takes it again)."""

LineNumbers = Literal["data", "file"]

# -- settings ------------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ImportJobSettings:
    """How the stand-in's jobs behave where AWS gives no number.

    - ``rate``: rows per second a job processes; ``None`` or ``math.inf``: as fast as possible. AWS publishes no
      throughput (**NOT FOUND**); 2000 keeps 100,000 rows under a minute.
    - ``pending_s``: seconds a started job stays ``Pending`` before ``InProgress`` (unverified).
    - ``url_ttl_s``: seconds the pre-signed URL is good for; it carries ``X-Amz-Expires=url_ttl_s - 1`` (DG: "valid
      for 15 minutes"; the API examples carry ``X-Amz-Expires=899``).
    - ``expire_s``: seconds after creation an unstarted job reads ``Expired`` (model: "did not start the job within
      24-48 hours"; the API example expires about 24.5 h after creation).
    - ``line_numbers``: ``"data"`` (the first data row is line 1) or ``"file"`` (the header is line 1, the first data
      row 2); the real base is **NOT FOUND**, so the stand-in runs either way.
    """

    rate: float | None = 2000.0
    pending_s: float = 0.2
    url_ttl_s: int = 900
    expire_s: float = 86400.0
    line_numbers: LineNumbers = "data"

    def __post_init__(self) -> None:
        if self.rate is not None and not self.rate > 0:
            raise ValueError(f"rate must be positive (or None for as fast as possible), not {self.rate}")
        if self.pending_s < 0 or self.expire_s < 0 or self.url_ttl_s < 1:
            raise ValueError("pending_s and expire_s must be >= 0 and url_ttl_s >= 1")
        if self.line_numbers not in ("data", "file"):
            raise ValueError(f"line_numbers must be 'data' or 'file', not {self.line_numbers!r}")

    @property
    def paced(self) -> bool:
        return self.rate is not None and not math.isinf(self.rate)


_settings = ImportJobSettings()


def current_settings() -> ImportJobSettings:
    """The settings new jobs take (a job keeps those of its creation and start)."""
    return _settings


def configure(settings: ImportJobSettings | None = None, /, **changes: Any) -> ImportJobSettings:
    """Replace the settings (``settings``) and/or change some fields (``changes``, :class:`ImportJobSettings`'s
    field names); returns the previous settings, for ``configure(previous)``. Raises ``TypeError`` for an unknown
    field and ``ValueError`` for a bad value."""
    global _settings
    previous = _settings
    _settings = dataclasses.replace(settings or previous, **changes)
    return previous


@contextlib.contextmanager
def configured(settings: ImportJobSettings | None = None, /, **changes: Any) -> Iterator[ImportJobSettings]:
    """:func:`configure` for the ``with`` block only; yields the settings in force."""
    previous = configure(settings, **changes)
    try:
        yield _settings
    finally:
        configure(previous)


# -- errors, time --------------------------------------------------------------------------------------------------


def _error(code: str, message: str) -> Exception:
    """A Cognito error as moto answers it: JSON ``{"__type": code, "message": ...}``, HTTP 400 (model: every error of
    these operations is 400 but InternalErrorException)."""
    from moto.core.exceptions import JsonRESTError

    return JsonRESTError(code, message)


def _stamp(seconds: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(seconds, datetime.UTC)


# -- the job record ------------------------------------------------------------------------------------------------

ACTIVE = frozenset({"Pending", "InProgress", "Stopping"})
MAX_JOBS_PER_POOL = 1000  # Quotas: "User import jobs per user pool | 1,000"
_JOB_ID_CHARS = string.ascii_letters + string.digits


@dataclasses.dataclass(eq=False)
class ImportJob:
    """One job; :meth:`to_json` is the model's ``UserImportJobType``. Times are seconds since the epoch."""

    name: str
    job_id: str
    pool_id: str
    role_arn: str
    url: str
    created: float
    status: str = "Created"
    started: float | None = None
    completed: float | None = None
    message: str | None = None
    imported: int = 0
    skipped: int = 0
    failed: int = 0
    upload: IO[bytes] | None = None  # the uploaded CSV (an anonymous temporary file)
    wake: threading.Event = dataclasses.field(default_factory=threading.Event)  # set on stop and at the end

    def to_json(self) -> dict[str, Any]:
        """``UserImportJobType``: ``StartDate``, ``CompletionDate`` and ``CompletionMessage`` only once set (as the
        DG and CLI examples of a ``Created`` job show them absent)."""
        out: dict[str, Any] = {
            "JobName": self.name,
            "JobId": self.job_id,
            "UserPoolId": self.pool_id,
            "PreSignedUrl": self.url,
            "CreationDate": _stamp(self.created),
            "Status": self.status,
            "CloudWatchLogsRoleArn": self.role_arn,
            "ImportedUsers": self.imported,
            "SkippedUsers": self.skipped,
            "FailedUsers": self.failed,
        }
        optional = {"StartDate": self.started, "CompletionDate": self.completed}
        out.update({key: _stamp(value) for key, value in optional.items() if value is not None})
        if self.message is not None:
            out["CompletionMessage"] = self.message
        return out

    def finish(self, status: str, message: str) -> None:
        """End the job (lock held): final status, message and date; the uploaded file is deleted (DG: "After they
        complete or expire, Amazon Cognito deletes your uploaded CSV file")."""
        self.status, self.message, self.completed = status, message, time.time()
        self.replace_upload(None)
        self.wake.set()

    def replace_upload(self, upload: IO[bytes] | None) -> None:
        if self.upload is not None:
            self.upload.close()
        self.upload = upload

    def expire_if_due(self, expire_s: float) -> None:
        """A ``Created`` job older than ``expire_s`` becomes ``Expired`` (evaluated lazily, lock held)."""
        if self.status == "Created" and time.time() - self.created > expire_s:
            self.finish("Expired", "The user import job has expired.")


def jobs_of(pool: Any) -> dict[str, ImportJob]:
    """The jobs of a moto pool, in creation order (kept on the pool object, so they go with it)."""
    found: dict[str, ImportJob] = pool.__dict__.setdefault("import_jobs", {})
    return found


def _job(backend: Any, pool_id: str, job_id: str) -> ImportJob:
    """The job, expiry applied; ``ResourceNotFoundException`` for an unknown pool or job, ``InvalidParameterException``
    for a JobId off the model's pattern ``import-[0-9a-zA-Z-]+`` (1-55)."""
    pool = backend.describe_user_pool(pool_id)
    if not isinstance(job_id, str) or not re.fullmatch(r"import-[0-9a-zA-Z-]{1,48}", job_id):
        raise _error("InvalidParameterException", f"Invalid JobId: {job_id!r}.")
    job = jobs_of(pool).get(job_id)
    if job is None:
        raise _error("ResourceNotFoundException", f"Import job {job_id} does not exist.")
    job.expire_if_due(_settings.expire_s)
    return job


def _importing(pool: Any) -> bool:
    return any(job.status in ACTIVE for job in jobs_of(pool).values())


# -- the CSV -------------------------------------------------------------------------------------------------------

MAX_ROW_CHARS = 16_000  # DG, Quotas: "The maximum row length is 16,000 characters."
MAX_UPLOAD_BYTES = 100_000_000  # DG "100 MB"; RefArch: maxUploadByteSize = 100000000
MAX_VALUE_CHARS = 2048  # moto's STANDARD_SCHEMA MaxLength; model: attribute values up to 2048
AUTO_VERIFIED_MESSAGE = (
    "The User Record does not set any of the auto verified attributes to true. (Example: email_verified to true)."
)
TOO_MANY_MESSAGE = "Too many users have failed or been skipped during the import."


def csv_header(pool: Any) -> list[str]:
    """GetCSVHeader's ``CSVHeader`` for a moto pool: the standard attributes but ``sub`` (moto's ``STANDARD_SCHEMA``
    order, which is the API sample's), every ``custom:`` attribute, ``cognito:mfa_enabled``, ``cognito:username``
    last (the CLI example of get-csv-header). All standard attributes always: AWS keeps them when ``Schema`` is given
    (moto drops them). Where custom attributes go and that developer-only ``dev:`` attributes are left out:
    (unverified)."""
    from moto.cognitoidp.models import CognitoIdpUserPoolAttribute

    standard = [name for name in CognitoIdpUserPoolAttribute.STANDARD_SCHEMA if name != "sub"]
    custom = [name for name in pool.schema_attributes if name.startswith("custom:")]
    return [*standard, *custom, "cognito:mfa_enabled", "cognito:username"]


def split_fields(line: str) -> list[str]:
    r"""One CSV line's values: split on commas, ``\,`` is a literal comma (DG: "If an attribute value contains a
    comma, you must put a backslash (\) before the comma."), each value trimmed (DG: "Any leading or trailing white
    space in an attribute value will be trimmed."). Any other backslash stays as it is (unverified)."""
    values: list[str] = []
    current: list[str] = []
    i = 0
    while i < len(line):
        char = line[i]
        if char == "\\" and line[i + 1 : i + 2] == ",":
            current.append(",")
            i += 2
            continue
        if char == ",":
            values.append("".join(current).strip())
            current = []
        else:
            current.append(char)
        i += 1
    values.append("".join(current).strip())
    return values


def _parse_row(raw: str, width: int) -> list[str] | str:
    """A data row's values, or why the row FAILED (the reasons' wording is the stand-in's)."""
    if len(raw) > MAX_ROW_CHARS:
        return f"The row is longer than {MAX_ROW_CHARS:,} characters."
    values = split_fields(raw)
    if len(values) != width:
        return f"The row has {len(values)} values; the header has {width} columns."
    if any(len(v) >= 2 and v[0] == v[-1] == '"' for v in values):
        return "Attribute values that are strings should not be in quotation marks."
    return values


def _header_problem(header: list[str], expected: list[str]) -> str | None:
    """Why a header row fails the whole job (DG: "All columns in the header must be present"; a column the pool
    lacks is taken as a file Cognito cannot parse (unverified)); ``None`` when it is good. At most 128 characters
    (model: CompletionMessage)."""
    problem = None
    duplicates = sorted({name for name in header if header.count(name) > 1})
    missing = [name for name in expected if name not in header]
    unknown = [name for name in header if name not in expected]
    if duplicates:
        problem = f"The CSV header repeats columns: {', '.join(duplicates)}"
    elif missing:
        problem = f"The CSV header lacks columns: {', '.join(missing)}"
    elif unknown:
        problem = f"The CSV header has columns the user pool lacks: {', '.join(unknown)}"
    return problem if problem is None or len(problem) <= 128 else problem[:125] + "..."


def _read_rows(data: bytes) -> tuple[list[str], list[tuple[int, str]]] | str:
    """The header's columns and the data rows as (line index, text), the header being line 0; or why the file fails
    the job. DG: "UTF-8 format without byte order mark"; a blank line is no row (unverified)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "The CSV file starts with a byte order mark; it must be UTF-8 without one."
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return "The CSV file is not valid UTF-8."
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    if not lines[0].strip():
        return "The CSV file has no header row."
    rows = [(index, line) for index, line in enumerate(lines) if index and line.strip()]
    return split_fields(lines[0]), rows


# -- what a row must satisfy ---------------------------------------------------------------------------------------

_BOOLEANS = {"true", "false"}  # DG writes true/false, its example rows TRUE/FALSE: case-insensitive (inference)
_MFA_VALUES = {"OFF": ("false", ""), "ON": ("true", ""), "OPTIONAL": ("true", "false", "")}
_VERIFIED = {"email": "email_verified", "phone_number": "phone_number_verified"}
_FORMATS = {
    "birthdate": (r"\d{2}/\d{2}/\d{4}", "birthdate must be in the format mm/dd/yyyy."),  # DG
    "updated_at": (r"\d+", "updated_at must be epoch time in seconds."),  # DG
}


class _Rules:
    """What a data row must satisfy in one pool, read from moto's pool when the job starts (the pool cannot change
    while the job runs: UpdateUserPool and AddCustomAttributes raise UserImportInProgressException).

    DG rules: ``cognito:username`` required, no spaces or tabs; at least one auto-verified attribute ``true`` with its
    value present ("If the user pool only has one auto-verified attribute, that attribute must be verified for each
    user"); ``cognito:mfa_enabled`` per the pool's MFA (current DG: OFF → false or blank, ON → true or blank, OPTIONAL
    → either or blank); the pool's required attributes; birthdate and updated_at formats. Lengths: the schema's
    string constraints where moto keeps them, 2048 at most. In a pool whose ``UsernameAttributes`` include email the
    user name must be an email (moto's ``admin_create_user`` check and message).
    """

    def __init__(self, pool: Any) -> None:
        config = pool.extended_config
        self.username_attributes: list[str] = list(config.get("UsernameAttributes") or [])
        self.fold = (config.get("UsernameConfiguration") or {}).get("CaseSensitive", True) is False
        self.by_email = "email" in self.username_attributes or "email" in (config.get("AliasAttributes") or [])
        self.auto_verified = [a for a in config.get("AutoVerifiedAttributes") or [] if a in _VERIFIED]
        self.mfa: str = pool.mfa_config or "OFF"
        attributes = pool.schema_attributes
        self.required = [name for name, a in attributes.items() if getattr(a, "required", False) and name != "sub"]
        self.lengths = {name: _length_limits(a) for name, a in attributes.items()}
        self.numbers = {name for name, a in attributes.items() if getattr(a, "data_type", "") == "Number"}

    def problem(self, values: dict[str, str]) -> str | None:
        """Why the row FAILED, or ``None``."""
        checks: tuple[Callable[[dict[str, str]], str | None], ...] = (
            self._username,
            self._verified,
            self._mfa,
            self._required,
            self._values,
        )
        return next((p for p in (check(values) for check in checks) if p is not None), None)

    def attributes(self, values: dict[str, str]) -> list[dict[str, str]]:
        """The user's attributes: every non-empty column but the two ``cognito:`` ones, booleans lower-case."""
        skip = ("cognito:username", "cognito:mfa_enabled")
        return [
            {"Name": name, "Value": value.lower() if name.endswith("_verified") else value}
            for name, value in values.items()
            if value and name not in skip
        ]

    def _username(self, values: dict[str, str]) -> str | None:
        from moto.cognitoidp.utils import validate_username_format

        username = values["cognito:username"]
        if not username:
            return "The cognito:username value is required."
        if " " in username or "\t" in username:
            return "The cognito:username value cannot contain spaces or tabs."
        if len(username) > 128:  # model: UsernameType max 128 (unverified for imports)
            return "The cognito:username value is longer than 128 characters."
        kinds = self.username_attributes
        if kinds and not any(validate_username_format(username, _format=kind) for kind in kinds):
            names = {"email": "an email", "phone_number": "a phone number"}
            return f"Username should be {' or '.join(names.get(k, k) for k in kinds)}."
        return None

    def _verified(self, values: dict[str, str]) -> str | None:
        if any(values.get(_VERIFIED[a], "").lower() == "true" and values.get(a) for a in self.auto_verified):
            return None
        return AUTO_VERIFIED_MESSAGE

    def _mfa(self, values: dict[str, str]) -> str | None:
        allowed = _MFA_VALUES.get(self.mfa, _MFA_VALUES["OPTIONAL"])
        if values["cognito:mfa_enabled"].lower() in allowed:
            return None
        spelled = " or ".join(v or "blank" for v in allowed)
        return f"cognito:mfa_enabled must be {spelled} when the user pool's MFA configuration is {self.mfa}."

    def _required(self, values: dict[str, str]) -> str | None:
        missing = next((name for name in self.required if not values.get(name)), None)
        return None if missing is None else f"The required attribute {missing} has no value."

    def _values(self, values: dict[str, str]) -> str | None:
        for name, value in values.items():
            if not value or name.startswith("cognito:"):
                continue
            problem = self._value(name, value)
            if problem is not None:
                return problem
        return None

    def _value(self, name: str, value: str) -> str | None:
        low, high = self.lengths.get(name, (0, MAX_VALUE_CHARS))
        if len(value) > high or len(value) < low:
            return f"The value of {name} must be {low} to {high} characters long."
        if name.endswith("_verified") and value.lower() not in _BOOLEANS:
            return f"{name} must be true or false."
        if name in self.numbers and not re.fullmatch(r"-?\d+", value):
            return f"{name} must be a number."
        pattern, message = _FORMATS.get(name, (None, ""))
        return message if pattern is not None and not re.fullmatch(pattern, value) else None


def _length_limits(attribute: Any) -> tuple[int, int]:
    """(min, max) characters of a moto schema attribute's string constraints, capped at 2048."""
    constraints = getattr(attribute, "string_constraints", None) or {}

    def limit(key: str, default: int) -> int:
        try:
            return int(constraints.get(key, default))
        except (TypeError, ValueError):
            return default

    return limit("MinLength", 0), min(limit("MaxLength", MAX_VALUE_CHARS), MAX_VALUE_CHARS)


class _Existing:
    """The user names (and, where email is a user name or an alias, the emails) already in a pool, folded when the
    pool is case-insensitive: one O(1) lookup per row where moto's ``_get_user`` scans every user."""

    def __init__(self, fold: bool, by_email: bool) -> None:
        self.fold, self.by_email = fold, by_email
        self.keys: set[str] = set()

    def _key(self, value: str) -> str:
        return value.lower() if self.fold else value

    def rebuild(self, users: dict[str, Any]) -> None:
        self.keys = {self._key(name) for name in users}
        if self.by_email:
            emails = (getattr(user, "attribute_lookup", {}).get("email") for user in users.values())
            self.keys.update(self._key(email) for email in emails if email)

    def has(self, username: str, email: str) -> bool:
        return self._key(username) in self.keys or (self.by_email and bool(email) and self._key(email) in self.keys)

    def add(self, user: Any, username: str, email: str) -> None:
        self.keys.update(self._key(v) for v in (user.username, username, email if self.by_email else "") if v)


# -- processing ----------------------------------------------------------------------------------------------------

BATCH_ROWS = 100
_Row = tuple[int, list[str] | str]


class _Processor:
    """A started job's import, run in its own daemon thread by :meth:`run`.

    After ``pending_s`` the job is ``InProgress``: the CloudWatch Logs role is checked in moto's IAM (same account, the
    ARN's last path segment as the role name, a trust policy naming ``cognito-idp.amazonaws.com``; DG: a role that
    "cannot be assumed" fails the job), the file is decoded and its header checked (a file Cognito "is unable to
    parse" fails the job), then rows go in batches of at most 100, each under :data:`BACKEND_LOCK`, paced to the
    settings' ``rate``, with a stop honoured between batches. Each row logs one event to
    ``/aws/cognito/userpools/<pool id>/<pool name>``, stream ``<job id>/<job name>`` (DG), through moto's logs
    backend. Users are made directly in moto's pool, ``RESET_REQUIRED`` (DG), no message sent. An exception ends the
    job ``Failed`` with a message; it is never lost.
    """

    def __init__(self, backend: Any, pool: Any, job: ImportJob, settings: ImportJobSettings) -> None:
        from moto.logs.models import logs_backends

        self.backend, self.pool, self.job, self.settings = backend, pool, job, settings
        self.logs = logs_backends[backend.account_id][backend.region_name]
        self.group = f"/aws/cognito/userpools/{pool.id}/{pool.name}"
        self.stream = f"{job.job_id}/{job.name}"
        self.rules = _Rules(pool)
        self.existing = _Existing(self.rules.fold, self.rules.by_email)
        self.columns: list[str] = []
        self.known_users = -1
        self.last_ms = 0

    def run(self) -> None:
        try:
            self._run()
        except Exception as e:  # noqa: BLE001 (recorded on the job: a thread's exception is otherwise lost)
            _log.exception("import job %s failed in the stand-in", self.job.job_id)
            with BACKEND_LOCK:
                if self.job.status in ACTIVE:
                    self.job.finish("Failed", f"Internal error in the import stand-in: {type(e).__name__}."[:128])

    def _run(self) -> None:
        self.job.wake.wait(self.settings.pending_s)
        with BACKEND_LOCK:
            if self._ended():
                return
            self.job.status = "InProgress"
            rows = self._prepare()
        if rows is None:
            return
        started, done = time.monotonic(), 0
        size = BATCH_ROWS if not self.settings.paced else max(1, min(BATCH_ROWS, int(self.settings.rate or 0) // 20))
        for first in range(0, len(rows), size):
            self._pace(started, done)
            batch: list[_Row] = [
                (self._line(i), _parse_row(raw, len(self.columns))) for i, raw in rows[first : first + size]
            ]
            with BACKEND_LOCK:
                if self._ended():
                    return
                self._apply(batch)
            done += len(batch)
        with BACKEND_LOCK:
            if not self._ended():
                self._complete()

    def _prepare(self) -> list[tuple[int, str]] | None:
        """Role, file and header (lock held); the data rows, or ``None`` when the job has failed."""
        problem = self._role_problem()
        read = _read_rows(self._upload_bytes()) if problem is None else problem
        if isinstance(read, str):
            self.job.finish("Failed", read)
            return None
        header, rows = read
        problem = _header_problem(header, csv_header(self.pool))
        if problem is not None:
            self.job.finish("Failed", problem)
            return None
        self.columns = header
        if self.group not in self.logs.groups:
            self.logs.create_log_group(self.group, {})
        self.logs.create_log_stream(self.group, self.stream)
        return rows

    def _upload_bytes(self) -> bytes:
        upload = self.job.upload
        if upload is None:
            return b""
        upload.seek(0)
        return upload.read()

    def _role_problem(self) -> str | None:
        from moto.iam.models import iam_backends
        from moto.utilities.utils import get_partition

        from cognito_privx.import_jobs import trusts_cognito  # one reading of a trust policy, IAM's

        parts = self.job.role_arn.split(":", 5)
        unassumable = "The CloudWatch Logs role cannot be assumed."
        if len(parts) < 6 or parts[2] != "iam" or parts[4] != self.backend.account_id or "/" not in parts[5]:
            return unassumable
        iam = iam_backends[self.backend.account_id][get_partition(self.backend.region_name)]
        role = next((r for r in list(iam.roles.values()) if r.arn == self.job.role_arn), None)
        if role is None or not trusts_cognito(getattr(role, "assume_role_policy_document", None)):
            return unassumable
        return None

    def _line(self, index: int) -> int:
        """The line number the log gives a row at ``index`` (the header is index 0)."""
        return index if self.settings.line_numbers == "data" else index + 1

    def _pace(self, started: float, done: int) -> None:
        if not self.settings.paced or not self.settings.rate:
            return
        delay = started + done / self.settings.rate - time.monotonic()
        if delay > 0:
            self.job.wake.wait(delay)

    def _ended(self) -> bool:
        """Whether the job is over (lock held): a stop is completed here, a deleted pool fails the job (DG: "The
        user pool has been deleted" fails it)."""
        job = self.job
        if job.status == "Stopping":
            job.finish("Stopped", "The Import Job was stopped by the developer.")
        elif job.status in ACTIVE and self.backend.user_pools.get(self.pool.id) is not self.pool:
            job.finish("Failed", "The user pool has been deleted.")
        return job.status not in ACTIVE

    def _apply(self, batch: list[_Row]) -> None:
        """Import a batch (lock held) and log one event per row, in order."""
        if len(self.pool.users) != self.known_users:  # an API call added or removed users since the last batch
            self.existing.rebuild(self.pool.users)
        events = []
        for line, row in batch:
            outcome, reason = self._import(row)
            events.append({"timestamp": self._now_ms(), "message": f"[{outcome}] Line Number {line} - {reason}"})
        self.logs.put_log_events(self.group, self.stream, events)
        self.known_users = len(self.pool.users)

    def _import(self, row: list[str] | str) -> tuple[str, str]:
        from moto.cognitoidp.models import CognitoIdpUser, UserStatus

        values = dict(zip(self.columns, row, strict=True)) if isinstance(row, list) else {}
        problem = row if isinstance(row, str) else self.rules.problem(values)
        if problem is not None:
            self.job.failed += 1
            return "FAILED", problem
        username, email = values["cognito:username"], values.get("email", "")
        if self.existing.has(username, email):
            self.job.skipped += 1
            return "SKIPPED", "The user already exists."
        name = None if self.rules.username_attributes else username  # None: moto names the user by a new UUID
        user = CognitoIdpUser(self.pool.id, name, None, UserStatus.RESET_REQUIRED, self.rules.attributes(values))
        self.pool.users[user.username] = user
        self.existing.add(user, username, email)
        self.job.imported += 1
        return "SUCCEEDED", "The import succeeded."

    def _now_ms(self) -> int:
        self.last_ms = max(self.last_ms, int(time.time() * 1000))
        return self.last_ms

    def _complete(self) -> None:
        """The end of the file (lock held). ``Failed`` when nothing was imported out of one row or more, or skipped
        plus failed outnumber imported: the stand-in's rule, AWS's threshold is **NOT FOUND**."""
        job = self.job
        if job.skipped + job.failed > job.imported:  # so also: nothing imported out of one row or more
            job.finish("Failed", TOO_MANY_MESSAGE)
        else:
            job.finish("Succeeded", "Import Job Completed Successfully.")


# -- the operations (CognitoIdpBackend methods) --------------------------------------------------------------------

_JOB_NAME = re.compile(r"[\w\s+=,.@-]{1,128}", re.ASCII)  # model: UserImportJobNameType
_ROLE_ARN = re.compile(  # model: ArnType, 20-2048
    r"arn:[\w+=/,.@-]+:[\w+=/,.@-]+:([\w+=/,.@-]*)?:[0-9]+:[\w+=/,.@-]+(:[\w+=/,.@-]+)?(:[\w+=/,.@-]+)?", re.ASCII
)


def get_csv_header(self: Any, pool_id: str) -> list[str]:
    """GetCSVHeader: :func:`csv_header`; ``ResourceNotFoundException`` for an unknown pool."""
    return csv_header(self.describe_user_pool(pool_id))


def create_user_import_job(
    self: Any, pool_id: str, job_name: Any, role_arn: Any, hashing: str | None = None
) -> dict[str, Any]:
    """CreateUserImportJob: a ``Created`` job with a pre-signed URL. ``InvalidParameterException`` for a JobName off
    ``[\\w\\s+=,.@-]+`` (1-128), a role ARN off the model's ArnType (20-2048) or any ``PasswordHashingAlgorithm`` (the
    stand-in imports no hashes); ``ResourceNotFoundException`` for an unknown pool; ``LimitExceededException`` past
    1,000 jobs in the pool (Quotas; that finished jobs count is unverified). Names need not be unique (RefArch reuses
    one name)."""
    if not isinstance(job_name, str) or not _JOB_NAME.fullmatch(job_name):
        raise _error("InvalidParameterException", "JobName must be 1-128 characters of [\\w\\s+=,.@-].")
    if not isinstance(role_arn, str) or not 20 <= len(role_arn) <= 2048 or not _ROLE_ARN.fullmatch(role_arn):
        raise _error("InvalidParameterException", "CloudWatchLogsRoleArn is not a valid ARN.")
    pool = self.describe_user_pool(pool_id)
    if hashing is not None:
        raise _error("InvalidParameterException", "PasswordHashingAlgorithm is not supported by this stand-in.")
    jobs = jobs_of(pool)
    if len(jobs) >= MAX_JOBS_PER_POOL:
        raise _error("LimitExceededException", f"A user pool can have at most {MAX_JOBS_PER_POOL} import jobs.")
    job_id = "import-" + "".join(secrets.choice(_JOB_ID_CHARS) for _ in range(10))
    now = time.time()
    path = f"/{self.account_id}/{pool.id}/{job_id}"
    url = f"{upload_server().url}{path}?{presign(path, now, _settings.url_ttl_s)}"
    jobs[job_id] = ImportJob(job_name, job_id, pool.id, role_arn, url, now)
    return jobs[job_id].to_json()


def describe_user_import_job(self: Any, pool_id: str, job_id: str) -> dict[str, Any]:
    """DescribeUserImportJob: the job, counters as they stand."""
    return _job(self, pool_id, job_id).to_json()


def start_user_import_job(self: Any, pool_id: str, job_id: str) -> dict[str, Any]:
    """StartUserImportJob: ``Pending`` with a ``StartDate``; a daemon thread imports (:class:`_Processor`).

    ``PreconditionNotMetException`` when: the job is not ``Created`` (expired, started, ended: code unverified);
    no file was uploaded ("No csv file was uploaded for <job id>", a user's report in aws-amplify/amplify-js#6416);
    the pool has no auto-verified attributes (DG: "the import job will not start"; code unverified); another job is
    active in any pool of this account and region (DG: "Only one import job can be active at a time per account";
    code unverified).
    """
    job = _job(self, pool_id, job_id)
    pool = self.describe_user_pool(pool_id)
    if job.status != "Created":
        raise _error("PreconditionNotMetException", f"Import job {job_id} is {job.status}; it cannot be started.")
    if job.upload is None:
        raise _error("PreconditionNotMetException", f"No csv file was uploaded for {job_id}")
    if not _Rules(pool).auto_verified:
        raise _error("PreconditionNotMetException", f"User pool {pool_id} has no auto-verified attributes.")
    active = next((j for p in self.user_pools.values() for j in jobs_of(p).values() if j.status in ACTIVE), None)
    if active is not None:
        raise _error("PreconditionNotMetException", f"Import job {active.job_id} is already active in this account.")
    job.status, job.started = "Pending", time.time()
    processor = _Processor(self, pool, job, _settings)
    threading.Thread(target=processor.run, name=f"cognito-{job_id}", daemon=True).start()
    return job.to_json()


def stop_user_import_job(self: Any, pool_id: str, job_id: str) -> dict[str, Any]:
    """StopUserImportJob: a ``Pending`` or ``InProgress`` job becomes ``Stopping``, then ``Stopped`` (with
    ``CompletionMessage`` "The Import Job was stopped by the developer." and ``CompletionDate``; API) once its thread
    sees it, keeping the rows already imported. AWS's example answers ``Stopped`` at once. Any other status:
    ``PreconditionNotMetException`` (code unverified). A stopped job cannot be started again (DG)."""
    job = _job(self, pool_id, job_id)
    if job.status not in ("Pending", "InProgress"):
        raise _error("PreconditionNotMetException", f"Import job {job_id} is {job.status}; it cannot be stopped.")
    job.status = "Stopping"
    job.wake.set()
    return job.to_json()


def list_user_import_jobs(
    self: Any, pool_id: str, max_results: Any, token: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """ListUserImportJobs: newest first (DG: "from last created to first created"), at most ``min(MaxResults, 50)``
    a page (model: MaxResults 1-60, the list 1-50 items) and a ``PaginationToken`` while more remain, shaped as the
    API example's ``<pool id>#<job id>#<creation ms>``. ``InvalidParameterException`` for a MaxResults off 1-60 or a
    token this pool did not hand out."""
    if isinstance(max_results, bool) or not isinstance(max_results, int) or not 1 <= max_results <= 60:
        raise _error("InvalidParameterException", "MaxResults must be an integer from 1 to 60.")
    jobs = list(reversed(jobs_of(self.describe_user_pool(pool_id)).values()))
    for job in jobs:
        job.expire_if_due(_settings.expire_s)
    start = 0
    if token is not None:
        start = next((i for i, job in enumerate(jobs) if _token(job) == token), -1)
        if start < 0:
            raise _error("InvalidParameterException", "The pagination token is not valid.")
    end = start + min(max_results, 50)
    return [job.to_json() for job in jobs[start:end]], (_token(jobs[end]) if end < len(jobs) else None)


def _token(job: ImportJob) -> str:
    return f"{job.pool_id}#{job.job_id}#{int(job.created * 1000)}"


# -- the pre-signed URL and its upload server ----------------------------------------------------------------------

_SIGNING_KEY = secrets.token_bytes(32)
_SIGNED_HEADERS = "host;x-amz-server-side-encryption"


def presign(path: str, now: float, ttl_s: int) -> str:
    """The URL's query, shaped as the API examples' (``X-Amz-Expires=ttl_s - 1``), signed with HMAC-SHA256 under a
    per-process random key over the method, the path and every other query parameter."""
    params = [
        ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
        ("X-Amz-Date", time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))),
        ("X-Amz-SignedHeaders", _SIGNED_HEADERS),
        ("X-Amz-Expires", str(ttl_s - 1)),
    ]
    return urllib.parse.urlencode([*params, ("X-Amz-Signature", _signature("PUT", path, params))])


def _signature(method: str, path: str, params: list[tuple[str, str]]) -> str:
    canonical = "\n".join([method, path, urllib.parse.urlencode(sorted(params))])
    return hmac.new(_SIGNING_KEY, canonical.encode(), hashlib.sha256).hexdigest()


def _signed(path: str, query: list[tuple[str, str]]) -> bool:
    signatures = [value for key, value in query if key == "X-Amz-Signature"]
    rest = [(key, value) for key, value in query if key != "X-Amz-Signature"]
    names = {key for key, _ in rest}
    if len(signatures) != 1 or names != {"X-Amz-Algorithm", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Expires"}:
        return False
    return hmac.compare_digest(signatures[0], _signature("PUT", path, rest))


def _expired(query: list[tuple[str, str]]) -> bool:
    params = dict(query)
    try:
        signed_at = datetime.datetime.strptime(params["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.UTC)
        return time.time() > signed_at.timestamp() + int(params["X-Amz-Expires"])
    except (KeyError, ValueError):
        return True


_SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your key and signing method."
)


def _s3_error(status: int, code: str, message: str) -> Response:
    """An S3-shaped XML error body (as S3 answers a pre-signed PUT)."""
    from xml.sax.saxutils import escape

    from werkzeug.wrappers import Response

    error = f"<Error><Code>{code}</Code><Message>{escape(message)}</Message></Error>"
    body = f'<?xml version="1.0" encoding="UTF-8"?>\n{error}'
    return Response(body, status, content_type="application/xml")


def _upload_job(path: str) -> ImportJob | None:
    """The ``Created`` job a signed path names (lock held), expiry applied; ``None`` if gone or past ``Created``."""
    from moto.cognitoidp.models import cognitoidp_backends

    parts = path.strip("/").split("/")
    if len(parts) != 3 or "_" not in parts[1]:
        return None
    account, pool_id, job_id = parts
    pool = cognitoidp_backends[account][pool_id.split("_", 1)[0]].user_pools.get(pool_id)
    job = None if pool is None else jobs_of(pool).get(job_id)
    if job is not None:
        job.expire_if_due(_settings.expire_s)
    return job if job is not None and job.status == "Created" else None


def _spool(stream: IO[bytes], length: int) -> tuple[IO[bytes], str]:
    """The body in an anonymous temporary file, and its ETag (the MD5 hex, as S3's for a single PUT);
    ``ClientDisconnected`` when the body ends short of ``length``."""
    spooled: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 (kept open on the job until it ends)
    digest = hashlib.md5(usedforsecurity=False)
    remaining = length
    while remaining > 0:
        chunk = stream.read(min(remaining, 1 << 20))
        if not chunk:
            break
        spooled.write(chunk)
        digest.update(chunk)
        remaining -= len(chunk)
    if remaining:
        from werkzeug.exceptions import ClientDisconnected

        spooled.close()
        raise ClientDisconnected()
    return spooled, digest.hexdigest()


def _answer_upload(request: Request) -> Response:
    """One request to the upload server: S3's answers to a pre-signed PUT, in S3's order of checks (unverified).

    405 MethodNotAllowed for anything but PUT; 403 SignatureDoesNotMatch for a missing, wrong or tampered signature or
    an ``x-amz-server-side-encryption`` header missing or not ``aws:kms`` (a signed header: aws/aws-sdk-js-v3#6679);
    403 AccessDenied "Request has expired" past ``X-Amz-Date + X-Amz-Expires``; 411 MissingContentLength without a
    Content-Length; 400 EntityTooLarge over 100,000,000 bytes; 403 AccessDenied when the job is gone or not
    ``Created``. 200 with an ``ETag``: the body is the job's file, replacing any earlier one.
    """
    from werkzeug.exceptions import ClientDisconnected
    from werkzeug.wrappers import Response

    if request.method != "PUT":
        return _s3_error(405, "MethodNotAllowed", "The specified method is not allowed against this resource.")
    query = urllib.parse.parse_qsl(request.query_string.decode("latin-1"), keep_blank_values=True)
    if not _signed(request.path, query) or request.headers.get("x-amz-server-side-encryption") != "aws:kms":
        return _s3_error(403, "SignatureDoesNotMatch", _SIGNATURE_MISMATCH)
    if _expired(query):
        return _s3_error(403, "AccessDenied", "Request has expired")
    length = request.content_length
    if length is None:
        return _s3_error(411, "MissingContentLength", "You must provide the Content-Length HTTP header.")
    if length > MAX_UPLOAD_BYTES:
        return _s3_error(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
    with BACKEND_LOCK:
        if _upload_job(request.path) is None:
            return _s3_error(403, "AccessDenied", "Access Denied")
    try:
        spooled, etag = _spool(request.stream, length)  # outside the lock: a slow client holds up no one else
    except ClientDisconnected:
        return _s3_error(
            400, "IncompleteBody", "You did not provide the number of bytes specified by the Content-Length"
        )
    with BACKEND_LOCK:
        job = _upload_job(request.path)
        if job is None:
            spooled.close()
            return _s3_error(403, "AccessDenied", "Access Denied")
        job.replace_upload(spooled)
    done = Response(b"", 200, headers={"ETag": f'"{etag}"'})
    del done.headers["Content-Type"]  # S3 answers a PUT with no body and no Content-Type
    return done


def _upload_app(environ: WSGIEnvironment, start_response: StartResponse) -> Any:
    from werkzeug.wrappers import Request

    return _answer_upload(Request(environ))(environ, start_response)


class UploadServer(BackgroundServer):
    """The pre-signed URLs' target: :func:`_answer_upload` on werkzeug's threaded server, on ``127.0.0.1``, quiet."""

    def __init__(self, port: int = 0) -> None:
        from werkzeug.serving import WSGIRequestHandler, make_server

        class Quiet(WSGIRequestHandler):
            def log(self, type: str, message: str, *args: Any) -> None:
                pass

        with socket.create_server(("127.0.0.1", port)) as sock:
            bound = sock.getsockname()[1]
            self._server = make_server(
                "127.0.0.1", bound, _upload_app, threaded=True, request_handler=Quiet, fd=sock.fileno()
            )
        self._serve_in_thread("cognito-import-upload")


_upload: UploadServer | None = None
_upload_lock = threading.Lock()


def upload_server() -> UploadServer:
    """The process's upload server, started at the first call (the first ``CreateUserImportJob``); it runs as long
    as the process does."""
    global _upload
    with _upload_lock:
        if _upload is None:
            _upload = UploadServer().start()
        return _upload


# -- installation into moto ----------------------------------------------------------------------------------------


def _result(body: dict[str, Any]) -> Any:
    from moto.core.responses import ActionResult

    return ActionResult(body)


def _act_get_csv_header(self: Any) -> Any:
    pool_id = self._get_param("UserPoolId")
    return _result({"UserPoolId": pool_id, "CSVHeader": self.backend.get_csv_header(pool_id)})


def _act_create(self: Any) -> Any:
    job = self.backend.create_user_import_job(
        self._get_param("UserPoolId"),
        self._get_param("JobName"),
        self._get_param("CloudWatchLogsRoleArn"),
        self._get_param("PasswordHashingAlgorithm"),
    )
    return _result({"UserImportJob": job})


def _job_action(method: str) -> Callable[[Any], Any]:
    def act(self: Any) -> Any:
        job = getattr(self.backend, method)(self._get_param("UserPoolId"), self._get_param("JobId"))
        return _result({"UserImportJob": job})

    return act


def _act_list(self: Any) -> Any:
    jobs, token = self.backend.list_user_import_jobs(
        self._get_param("UserPoolId"), self._get_param("MaxResults"), self._get_param("PaginationToken")
    )
    return _result({"UserImportJobs": jobs, **({"PaginationToken": token} if token else {})})


def _refuse_while_importing(original: Callable[..., Any]) -> Callable[..., Any]:
    def guarded(self: Any, user_pool_id: str, *args: Any, **kwargs: Any) -> Any:
        pool = self.user_pools.get(user_pool_id)
        if pool is not None and _importing(pool):
            raise _error("UserImportInProgressException", f"A user import job is in progress for {user_pool_id}.")
        return original(self, user_pool_id, *args, **kwargs)

    return guarded


def _serialise_actions(response_cls: type) -> None:
    """Make every action of ``response_cls`` (a moto ``BaseResponse``) take :data:`BACKEND_LOCK`, so in-process calls
    never meet a job thread mid-change (moto's server takes the lock itself; it is re-entrant)."""
    if getattr(response_cls.__dict__.get("call_action"), moto_fixes._MARK, False):
        return
    inherited = response_cls.call_action  # type: ignore[attr-defined]

    def call_action(self: Any) -> Any:
        with BACKEND_LOCK:
            return inherited(self)

    setattr(call_action, moto_fixes._MARK, True)
    response_cls.call_action = call_action  # type: ignore[attr-defined]


# The CloudWatch Logs role the sandbox makes for its import jobs (DG "Creating the CloudWatch Logs IAM role": the
# role trusts cognito-idp.amazonaws.com). moto's default account.
LOGS_ROLE_NAME = "CognitoImportLogs"
LOGS_ROLE_ARN = f"arn:aws:iam::123456789012:role/{LOGS_ROLE_NAME}"
LOGS_ROLE_TRUST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "cognito-idp.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}


def create_logs_role(iam: Any, name: str = LOGS_ROLE_NAME) -> str:
    """Make the role import jobs write their CloudWatch Logs with, through ``iam`` (a boto3 IAM client over moto);
    returns its ARN. An existing role of that name is kept (``EntityAlreadyExists``)."""
    import json

    try:
        made = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(LOGS_ROLE_TRUST_POLICY))
        return str(made["Role"]["Arn"])
    except iam.exceptions.EntityAlreadyExistsException:
        return str(iam.get_role(RoleName=name)["Role"]["Arn"])


def install(models: Any) -> None:
    """Add the six operations to moto's Cognito (backend methods and response actions, never replacing one moto
    has), refuse ``UpdateUserPool``, ``DeleteUserPool`` and ``AddCustomAttributes`` with
    ``UserImportInProgressException`` while a job of the pool is ``Pending``, ``InProgress`` or ``Stopping`` (model:
    the only operations listing that error; Stopping is included as still importing, unverified), and serialise
    moto's in-process Cognito and CloudWatch Logs actions with :data:`BACKEND_LOCK`. Idempotent."""
    from moto.cognitoidp import responses
    from moto.logs.responses import LogsResponse

    backend_methods = {
        "get_csv_header": get_csv_header,
        "create_user_import_job": create_user_import_job,
        "describe_user_import_job": describe_user_import_job,
        "start_user_import_job": start_user_import_job,
        "stop_user_import_job": stop_user_import_job,
        "list_user_import_jobs": list_user_import_jobs,
    }
    moto_fixes._add_missing(models.CognitoIdpBackend, backend_methods)
    actions = {
        "get_csv_header": _act_get_csv_header,
        "create_user_import_job": _act_create,
        "describe_user_import_job": _job_action("describe_user_import_job"),
        "start_user_import_job": _job_action("start_user_import_job"),
        "stop_user_import_job": _job_action("stop_user_import_job"),
        "list_user_import_jobs": _act_list,
    }
    moto_fixes._add_missing(responses.CognitoIdpResponse, actions)
    for name in ("update_user_pool", "delete_user_pool", "add_custom_attributes"):
        moto_fixes._wrap(models.CognitoIdpBackend, name, _refuse_while_importing)
    _serialise_actions(responses.CognitoIdpResponse)
    _serialise_actions(LogsResponse)
