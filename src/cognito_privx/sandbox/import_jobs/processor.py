"""A started job's import (:class:`Processor`): in its own daemon thread, rows in batches under the lock, each row
a user in moto's pool and an event in the job's CloudWatch Logs stream."""

from __future__ import annotations

import logging
import time
from typing import Any

from cognito_privx.sandbox.import_jobs.csv_file import csv_header, header_problem, parse_row, read_rows
from cognito_privx.sandbox.import_jobs.jobs import ACTIVE, ImportJob
from cognito_privx.sandbox.import_jobs.logs_role import role_problem
from cognito_privx.sandbox.import_jobs.row_rules import Existing, Rules
from cognito_privx.sandbox.import_jobs.settings import BACKEND_LOCK, ImportJobSettings

__all__ = ["BATCH_ROWS", "TOO_MANY_MESSAGE", "Processor", "Row"]

_log = logging.getLogger(__name__)

TOO_MANY_MESSAGE = "Too many users have failed or been skipped during the import."

BATCH_ROWS = 100
Row = tuple[int, list[str] | str]


class Processor:
    """A started job's import, run in its own daemon thread by :meth:`run`.

    After ``pending_s`` the job is ``InProgress``: the CloudWatch Logs role is checked in moto's IAM
    (:func:`.logs_role.role_problem`: same account, the very ARN, a trust policy that lets
    ``cognito-idp.amazonaws.com`` assume the role as IAM reads it; DG: a role that "cannot be assumed" fails the
    job), the file is decoded and its header checked (a file Cognito "is unable to
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
        self.rules = Rules(pool)
        self.existing = Existing(self.rules.fold, self.rules.by_email)
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
            batch: list[Row] = [
                (self._line(i), parse_row(raw, len(self.columns))) for i, raw in rows[first : first + size]
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
        problem = role_problem(self.backend, self.job.role_arn)
        read = read_rows(self._upload_bytes()) if problem is None else problem
        if isinstance(read, str):
            self.job.finish("Failed", read)
            return None
        header, rows = read
        problem = header_problem(header, csv_header(self.pool))
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

    def _apply(self, batch: list[Row]) -> None:
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
