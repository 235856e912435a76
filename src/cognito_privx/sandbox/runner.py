"""The sandbox: moto's server standing in for Cognito and the PrivX emulator served over HTTP, on loopback.

Both run in background threads of this process; :meth:`Sandbox.env` is what a shell (or a subprocess) needs to
point cognito-privx at them. State lives as long as the process.
"""

from __future__ import annotations

import functools
import io
import json
import logging
import re
import secrets
import socket
import uuid
from collections.abc import Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Any

from cognito_privx.errors import UsageError
from cognito_privx.sandbox import moto_fixes
from cognito_privx.sandbox.background import BackgroundServer
from cognito_privx.sandbox.emulator import EmulatorVariant, Fault, PrivXEmulator
from cognito_privx.sandbox.import_jobs import BACKEND_LOCK, ImportJobSettings
from cognito_privx.sandbox.import_jobs import configure as configure_import_jobs
from cognito_privx.sandbox.moto_fixes.variant import CognitoVariant
from cognito_privx.sandbox.moto_fixes.variant import configure as configure_cognito

if TYPE_CHECKING:
    from cognito_privx.sandbox.hosted_ui import HostedUI
    from cognito_privx.sandbox.server import EmulatorServer

SANDBOX_AWS_KEY = "testing"
_WELL_KNOWN = re.compile(r"^/[a-z]{2}(?:-[a-z]+)+-\d+_[0-9A-Za-z]+/\.well-known/(?:openid-configuration|jwks\.json)$")
OAUTH_CLIENT_ID = "privx-external"


class MotoServer(BackgroundServer):
    """moto's WSGI app on a threaded werkzeug server, with every request serialised by one lock.

    moto's backends are not thread-safe (concurrent AdminCreateUser and AdminGetUser raise "OrderedDict mutated
    during iteration"), and moto is CPU-bound under the GIL anyway, so serialising costs no throughput while
    concurrent clients (``import-users --workers``) still see a well-behaved server. moto's backends are also
    process-global, so the lock is too: :data:`cognito_privx.sandbox.import_jobs.BACKEND_LOCK`, which the import-job
    threads and every server of the process take as well (``self.lock`` is it). moto's Cognito is patched first
    (:func:`cognito_privx.sandbox.moto_fixes.apply`) where it is laxer than AWS in ways our code depends on.
    """

    def __init__(self, port: int = 0) -> None:
        host = "127.0.0.1"
        try:
            from moto.moto_server.werkzeug_app import (
                DomainDispatcherApplication,
                MotoRequestHandler,
                create_backend_app,
            )
            from werkzeug.exceptions import ClientDisconnected
            from werkzeug.serving import make_server
            from werkzeug.wsgi import get_input_stream
        except ImportError:
            raise UsageError(
                "the sandbox needs moto's server, which is not installed",
                "install the extra: pip install 'cognito-privx[sandbox]' (or run `make demo`)",
            ) from None
        # Before moto builds its backends: the sandbox must be as strict as Cognito where we depend on it.
        moto_fixes.apply()
        # werkzeug installs its own stderr handler for access logs unless one exists already.
        logging.getLogger("werkzeug").addHandler(logging.NullHandler())
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        app = DomainDispatcherApplication(create_backend_app)
        # moto finds a request's backend by listing its own package directory (~175 stat calls, twice a request):
        # half of an AdminCreateUser's time. The answer depends on the host string alone: remember it.
        app.get_backend_for_host = functools.lru_cache(maxsize=1024)(app.get_backend_for_host)  # type: ignore[method-assign]
        lock = self.lock = BACKEND_LOCK  # moto's state: the hosted UI and import jobs take it too
        self.well_known: Any = None  # a WSGI app for /<pool id>/.well-known/*, set by the Sandbox

        def serialised(environ: dict[str, Any], start_response: Any) -> Any:
            # The issuer's discovery document and JWKS come from the hosted-UI stand-in when one is attached:
            # moto's own lack the OAuth endpoints. It takes the lock itself.
            if self.well_known is not None and _WELL_KNOWN.match(environ.get("PATH_INFO", "")):
                return self.well_known(environ, start_response)
            # Read the body before taking the lock: a client that stops mid-body (killed between the headers and
            # the body it sends separately) must hold up its own request only, not every request after it.
            try:
                environ["wsgi.input"] = io.BytesIO(get_input_stream(environ).read())
            except ClientDisconnected as e:
                return e(environ, start_response)
            with lock:
                # Materialise the body inside the lock: moto may build it lazily.
                return list(app(environ, start_response))

        # Bound here and handed over (fd=): werkzeug itself would print and sys.exit(1) on a port in use, where the
        # caller wants the OSError (a busy --moto-port is a usage error, exit 2).
        with socket.create_server((host, port)) as sock:
            bound = sock.getsockname()[1]
            self._server = make_server(
                host, bound, serialised, threaded=True, request_handler=MotoRequestHandler, fd=sock.fileno()
            )
        self._serve_in_thread("moto-server")


class Sandbox:
    """Start with :meth:`start` (or ``with Sandbox() as sb``); :meth:`stop` shuts both servers down."""

    def __init__(
        self,
        *,
        region: str = "eu-west-1",
        moto_port: int = 0,
        privx_port: int = 0,
        hosted_ui_port: int = 0,
        token_ttl: float = 300.0,
        faults: Iterable[Fault] = (),
        variant: EmulatorVariant | None = None,
        import_jobs: ImportJobSettings | None = None,
        cognito: CognitoVariant | None = None,
    ) -> None:
        self.region = region
        # The user-import-job stand-in's settings, process-wide while the sandbox runs (None: as they are).
        self.import_job_settings = import_jobs
        self._previous_import_job_settings: ImportJobSettings | None = None
        # The Cognito stand-in's readings where AWS is silent, process-wide while the sandbox runs (None: as they are).
        self.cognito_variant = cognito
        self._previous_cognito_variant: CognitoVariant | None = None
        self._moto_port = moto_port
        self._privx_port = privx_port
        self._hosted_ui_port = hosted_ui_port
        self.api_client_id = str(uuid.uuid4())
        self.api_client_secret = secrets.token_urlsafe(24)
        self.oauth_client_secret = secrets.token_urlsafe(24)
        self.emulator = PrivXEmulator(
            token_ttl=token_ttl,
            oauth_client_id=OAUTH_CLIENT_ID,
            oauth_client_secret=self.oauth_client_secret,
            faults=faults,
            variant=variant,
        )
        self.emulator.add_api_client(self.api_client_id, self.api_client_secret)
        self._moto: MotoServer | None = None
        self._privx: EmulatorServer | None = None
        self._hosted: EmulatorServer | None = None
        self.hosted_ui: HostedUI | None = None
        self.moto_url = ""
        self.privx_url = ""
        self.hosted_ui_url = ""
        self.logs_role_arn = ""  # the IAM role import jobs may use (import-users --engine job --logs-role-arn)

    def start(self) -> Sandbox:
        if self.import_job_settings is not None:
            self._previous_import_job_settings = configure_import_jobs(self.import_job_settings)
        if self.cognito_variant is not None:
            self._previous_cognito_variant = configure_cognito(self.cognito_variant)
        try:
            self._moto = MotoServer(port=self._moto_port).start()
        except OSError as e:
            raise UsageError(
                f"cannot start the Cognito stand-in on port {self._moto_port}: {e.strerror}",
                "choose another --moto-port, or leave it out to take a free one",
            ) from None
        self.moto_url = self._moto.url
        self.logs_role_arn = _make_logs_role(self.moto_url, self.region)
        from cognito_privx.sandbox.server import EmulatorServer  # werkzeug: there now, MotoServer checked it

        try:
            self._privx = EmulatorServer(self.emulator, port=self._privx_port).start()
        except OSError as e:
            self.stop()
            raise UsageError(
                f"cannot start the PrivX emulator on port {self._privx_port}: {e.strerror}",
                "choose another --privx-port, or leave it out to take a free one",
            ) from None
        self.privx_url = self._privx.url
        self.emulator.base_url = self.privx_url
        from cognito_privx.sandbox.hosted_ui import HostedUI

        # Cognito's hosted UI and OAuth endpoints, over moto's state (moto serves none of them).
        self.hosted_ui = HostedUI(self.region, lock=self._moto.lock)
        try:
            self._hosted = EmulatorServer(None, port=self._hosted_ui_port, app=self.hosted_ui.wsgi).start()
        except OSError as e:
            self.stop()
            raise UsageError(
                f"cannot start the hosted-UI stand-in on port {self._hosted_ui_port}: {e.strerror}",
                "choose another --hosted-ui-port, or leave it out to take a free one",
            ) from None
        self.hosted_ui_url = self._hosted.url
        self.hosted_ui.base_url = self.hosted_ui_url
        # One JWKS per pool, as Cognito has: the stand-in's key (hosted-UI tokens) and moto's (the tokens of
        # AdminInitiateAuth, which doctor --probe uses), served at the endpoint override too.
        self.hosted_ui.extra_keys = _moto_public_keys()
        self._moto.well_known = self.hosted_ui.wsgi
        # PrivX finds the pool's endpoints in its issuer's discovery document; the AWS issuer host maps to the
        # stand-in, as doctor does for AWS_ENDPOINT_URL. Tokens still carry the AWS issuer.
        aws_issuer = f"https://cognito-idp.{self.region}.amazonaws.com/"
        hosted = self.hosted_ui_url

        def locate(issuer: str) -> str:
            return f"{hosted}/{issuer.removeprefix(aws_issuer)}" if issuer.startswith(aws_issuer) else issuer

        self.emulator.issuer_locator = locate
        return self

    def stop(self) -> None:
        if self._hosted is not None:
            self._hosted.stop()
            self._hosted = None
        if self._privx is not None:
            self._privx.stop()
            self._privx = None
            self.emulator.close()
        if self._moto is not None:
            self._moto.stop()
            self._moto = None
        if self._previous_import_job_settings is not None:
            configure_import_jobs(self._previous_import_job_settings)
            self._previous_import_job_settings = None
        if self._previous_cognito_variant is not None:
            configure_cognito(self._previous_cognito_variant)
            self._previous_cognito_variant = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def env(self) -> dict[str, str]:
        """The environment that points boto3 and cognito-privx at the sandbox."""
        return {
            "AWS_ENDPOINT_URL": self.moto_url,
            "AWS_ACCESS_KEY_ID": SANDBOX_AWS_KEY,
            "AWS_SECRET_ACCESS_KEY": SANDBOX_AWS_KEY,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "PRIVX_API_BASE_URL": self.privx_url,
            "PRIVX_API_CLIENT_ID": self.api_client_id,
            "PRIVX_API_CLIENT_SECRET": self.api_client_secret,
            "PRIVX_API_OAUTH_CLIENT_ID": OAUTH_CLIENT_ID,
            "PRIVX_API_OAUTH_CLIENT_SECRET": self.oauth_client_secret,
        }

    def export_lines(self) -> list[str]:
        import shlex

        return [f"export {name}={shlex.quote(value)}" for name, value in self.env().items()]


def _make_logs_role(moto_url: str, region: str) -> str:
    """The CloudWatch Logs role for import jobs, made in moto's IAM: a sandbox user has no console to make it in."""
    import boto3

    from cognito_privx.sandbox.import_jobs import create_logs_role

    iam = boto3.client(
        "iam",
        region_name=region,
        endpoint_url=moto_url,
        aws_access_key_id=SANDBOX_AWS_KEY,
        aws_secret_access_key=SANDBOX_AWS_KEY,
    )
    return create_logs_role(iam)


def _moto_public_keys() -> list[dict[str, Any]]:
    """moto's fixed signing key (``kid`` "dummy"), as it serves it."""
    from moto.utilities.utils import load_resource

    keys: list[dict[str, Any]] = json.loads(json.dumps(load_resource("cognitoidp/resources/jwks-public.json")))["keys"]
    return keys
