"""The pre-signed URL's target: the URL's signature (:func:`presign`) and an S3-shaped PUT endpoint on loopback
(:class:`UploadServer`, started once per process by :func:`upload_server` at the first ``CreateUserImportJob``)
that stores the body as the job's file."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets
import socket
import tempfile
import threading
import time
import urllib.parse
from typing import IO, TYPE_CHECKING, Any

from cognito_privx.sandbox.background import BackgroundServer
from cognito_privx.sandbox.import_jobs.jobs import ImportJob, jobs_of
from cognito_privx.sandbox.import_jobs.settings import BACKEND_LOCK, current_settings

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment
    from werkzeug.wrappers import Request, Response

__all__ = ["MAX_UPLOAD_BYTES", "UploadServer", "presign", "upload_server"]

MAX_UPLOAD_BYTES = 100_000_000  # DG "100 MB"; RefArch: maxUploadByteSize = 100000000

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
        job.expire_if_due(current_settings().expire_s)
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
