"""The Typer app and what every command shares: the global options and their :class:`State`, the test
:class:`Seams`, usage errors as ``error:`` + ``hint:`` (:class:`_Group`, :func:`globals_first`), :func:`run`
(our errors to a message, a hint and the exit code), the services a command opens, and :func:`main`.

The commands live in the sibling modules, which register themselves on :data:`app`; ``cognito_privx.cli``
imports them in the order ``--help`` lists them.
"""

from __future__ import annotations

import enum
import logging
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer
import typer.core

from cognito_privx import __version__

if TYPE_CHECKING:
    import httpx

    from cognito_privx.config import AppConfig
    from cognito_privx.desired import DesiredState, UsersSpec
    from cognito_privx.reconcile import Services, Target
    from cognito_privx.users import PoolUsers

T = TypeVar("T")


class OutputFormat(enum.StrEnum):
    text = "text"
    json = "json"


@dataclass
class Seams:
    """What tests replace: the transports that reach PrivX and the issuer's HTTPS endpoints (``None``: the
    network). Hand one in as ``CliRunner().invoke(app, args, obj=Seams(...))``."""

    privx_transport: httpx.BaseTransport | None = None
    http_transport: httpx.BaseTransport | None = None
    privx_retry_base: float | None = None  # seconds: the first backoff window of PrivX retries
    race_settle_s: float | None = None  # seconds to wait for a concurrent run to delete its losing pool/client


@dataclass
class State:
    config_path: Path | None = None
    profile: str | None = None
    region: str | None = None
    output: OutputFormat = OutputFormat.text
    debug: bool = False
    pool_id: str | None = None
    seams: Seams = field(default_factory=Seams)
    # The config and its desired state, read once per run by config() and desired().
    loaded: AppConfig | None = field(default=None, init=False, repr=False)
    derived: DesiredState | None = field(default=None, init=False, repr=False)
    users_derived: UsersSpec | None = field(default=None, init=False, repr=False)

    @property
    def json(self) -> bool:
        return self.output is OutputFormat.json


GLOBAL_EPILOG = (
    "Global options, before or after the command: --config, --profile, --region, --pool-id, --output/-o, --debug "
    "(see cognito-privx --help)."
)


def _no_flag_placeholder() -> None:
    """Boolean flags take no value, so ``--help`` shows none (typer 0.29 prints ``<bool>`` beside them)."""
    original = typer.core.TyperOption.display_type_rich
    if getattr(original, "_flag_aware", False):
        return

    def display_type_rich(self: typer.core.TyperOption, ctx: Any) -> str | None:
        return None if self.is_flag else original(self, ctx)

    display_type_rich._flag_aware = True  # type: ignore[attr-defined]
    setattr(typer.core.TyperOption, "display_type_rich", display_type_rich)  # noqa: B010


_no_flag_placeholder()


def globals_first(args: list[str], global_params: list[Any], commands: Mapping[str, Any]) -> list[str]:
    """``args`` with the global options found after the command moved in front of it, so that
    ``cognito-privx setup --region eu-west-1`` means ``cognito-privx --region eu-west-1 setup`` (as the AWS CLI
    takes them). An option the command itself declares stays with the command; ``--`` ends the scan."""
    takes_value = {
        name: not param.is_flag for param in global_params if param.param_type_name == "option" for name in param.opts
    }
    i = 0
    while i < len(args) and args[i].startswith("-") and args[i] != "--":  # global options before the command
        i += 2 if takes_value.get(args[i], False) else 1
    if i >= len(args) or args[i] not in commands:
        return args
    command = commands[args[i]]
    own = {name for param in command.params for name in (*param.opts, *param.secondary_opts)}
    before, after = list(args[: i + 1]), []
    rest = args[i + 1 :]
    j = 0
    while j < len(rest):
        token = rest[j]
        if token == "--":
            after += rest[j:]
            break
        name = token.split("=", 1)[0]
        if name in takes_value and name not in own:
            width = 2 if takes_value[name] and "=" not in token and j + 1 < len(rest) else 1
            before[i:i] = rest[j : j + width]
            i += width
            j += width
            continue
        after.append(token)
        j += 1
    return before + after


class _Group(typer.core.TyperGroup):
    """Usage errors (unknown command, bad option value) as one ``error:`` line and a ``hint:``, exit 2; global
    options also after the command (:func:`globals_first`), and listed in every command's ``--help``."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        for command in self.commands.values():
            if command.epilog is None:
                command.epilog = GLOBAL_EPILOG
        result: list[str] = super().parse_args(ctx, globals_first(list(args), self.params, self.commands))
        return result

    def main(self, *args: Any, **kwargs: Any) -> Any:
        try:  # typer >= 0.2x vendors click; older versions use click itself
            from typer._click import exceptions as cx
        except ImportError:  # pragma: no cover
            from click import exceptions as cx  # type: ignore[no-redef]

        if os.environ.get("NO_COLOR"):  # https://no-color.org: --help without any escape code either
            from typer import rich_utils

            rich_utils.COLOR_SYSTEM = None
        standalone = kwargs.pop("standalone_mode", True)
        try:
            code = super().main(*args, **{**kwargs, "standalone_mode": False})
        except cx.NoArgsIsHelpError as e:
            sys.stdout.write(e.ctx.get_help() + "\n" if e.ctx is not None else "")
            sys.exit(0)
        except cx.UsageError as e:
            where = e.ctx.command_path if e.ctx is not None else "cognito-privx"
            from cognito_privx.render import printable

            message = printable(e.format_message().replace("\n", " ").replace("Value error, ", ""))
            sys.stderr.write(f"error: {message}\nhint: see `{printable(where)} --help`\n")
            sys.exit(2)
        except typer.Abort:
            sys.stderr.write("error: aborted\n")
            sys.exit(130)
        if not standalone:
            return code
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(
    cls=_Group,
    name="cognito-privx",
    help="Wire an Amazon Cognito user pool into PrivX as an OIDC directory, idempotently.",
    no_args_is_help=True,
    add_completion=True,  # --install-completion / --show-completion (bash, zsh, fish, PowerShell)
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"cognito-privx {__version__}")
        raise typer.Exit()


@app.callback()
def _global(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="Config file (default: $COGNITO_PRIVX_CONFIG, else ./cognito-privx.toml)."),
    ] = None,
    profile: Annotated[str | None, typer.Option("--profile", help="AWS profile (boto3's chain otherwise).")] = None,
    region: Annotated[
        str | None, typer.Option("--region", help="AWS region; overrides \\[cognito] region (file, then AWS_REGION).")
    ] = None,
    pool_id: Annotated[
        str | None,
        typer.Option(
            "--pool-id", help="Cognito user pool id (like eu-west-1_AbC123xyz); overrides \\[cognito] pool_id."
        ),
    ] = None,
    output: Annotated[OutputFormat, typer.Option("--output", "-o", help="text, or one JSON document.")] = (
        OutputFormat.text
    ),
    debug: Annotated[bool, typer.Option("--debug", help="Log API calls and show tracebacks.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    seams = ctx.obj if isinstance(ctx.obj, Seams) else Seams()
    ctx.obj = State(config, profile, region, output, debug, pool_id, seams)
    if debug:
        logging.basicConfig(level=logging.DEBUG, stream=sys.stderr, format="debug: %(name)s: %(message)s")
        # botocore's DEBUG logs dump request headers and bodies (signatures, user attributes): keep them out.
        for noisy in ("botocore", "boto3", "urllib3", "httpcore"):
            logging.getLogger(noisy).setLevel(logging.INFO)


UNEXPECTED_HINT = "run again with --debug to see the traceback; please report it"
UNEXPECTED_DEBUG_HINT = "please report it, with the traceback above"  # --debug: it is already shown


def run(state: State, body: Callable[[], T]) -> T:
    """Run a command body; map our errors to a message, a hint and the exit code.

    Any other exception (a bug, an answer of a shape nobody expected) is one line too, ``error: unexpected
    <type>: <message>`` and :data:`UNEXPECTED_HINT`, exit 1; with ``--debug`` its traceback is shown as well. What
    typer and click use to end a command (``Exit``, ``Abort``, their usage errors) and ``KeyboardInterrupt`` pass
    on untouched (``_Group.main`` handles them)."""
    from cognito_privx.errors import CognitoPrivxError

    try:
        return body()
    except CognitoPrivxError as e:
        from cognito_privx import render  # rich: imported when there is something to show (issue 24)

        if state.debug:
            logging.getLogger("cognito_privx").debug("error detail", exc_info=True)
        render.error(e)
        raise typer.Exit(e.exit_code) from None
    except (typer.Exit, typer.Abort, KeyboardInterrupt, _click_exception()):
        raise
    except BrokenPipeError:
        _stdout_gone()
        raise typer.Exit(BROKEN_PIPE_EXIT) from None
    except Exception as e:  # noqa: BLE001 - the CLI boundary: nothing ends in a traceback without --debug
        if state.debug:
            import traceback

            sys.stderr.write(traceback.format_exc())
        from cognito_privx import render

        render.error(CognitoPrivxError(unexpected(e), UNEXPECTED_DEBUG_HINT if state.debug else UNEXPECTED_HINT))
        raise typer.Exit(1) from None


BROKEN_PIPE_EXIT = 141  # 128 + SIGPIPE: what a shell reports for a program its closed pipe ended


def _stdout_gone() -> None:
    """The reader of stdout went away (``list-users | head``): end quietly, as a program its pipe ends does, not as
    a bug. What is still buffered for stdout goes to /dev/null, so that the interpreter's final flush does not raise
    again (the Python documentation's recipe: "Note on SIGPIPE", library/signal.html)."""
    try:
        fileno = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a real file (tests capture stdout in memory)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fileno)
    os.close(devnull)


def unexpected(error: BaseException) -> str:
    """``unexpected KeyError: 'id'``: the one line an unexpected exception is shown as (the message's first line;
    escaping is :func:`render.error`'s)."""
    from cognito_privx.render import printable

    text = str(error).strip().splitlines()
    return f"unexpected {type(error).__name__}" + (f": {printable(text[0])}" if text else "")


def _click_exception() -> type[Exception]:
    """The exception class typer's click ends a command with (usage errors), so :func:`run` passes it on."""
    try:  # typer >= 0.2x vendors click; older versions use click itself
        from typer._click.exceptions import ClickException
    except ImportError:  # pragma: no cover
        from click.exceptions import ClickException  # type: ignore[assignment]
    return ClickException


def open_services(state: State, cfg: AppConfig) -> Services:
    """Both sides' clients for a command, with the test seams the state carries."""
    from cognito_privx import reconcile
    from cognito_privx.config import load_credentials

    return reconcile.open_services(
        cfg,
        load_credentials(),
        profile=state.profile,
        privx_transport=state.seams.privx_transport,
        privx_retry_base=state.seams.privx_retry_base,
        race_settle_s=state.seams.race_settle_s,
    )


def services_for_a_run(state: State, cfg: AppConfig) -> tuple[Services, Target]:
    """Services for plan/setup/teardown/rotate-secret, and their target line, shown first (not in JSON)."""
    from cognito_privx import reconcile, render

    services = open_services(state, cfg)
    try:
        target = reconcile.target(desired(state), services, cfg.config_file)
    except BaseException:
        services.close()
        raise
    if not state.json:
        render.info(target.line())
    return services, target


def config(state: State) -> AppConfig:
    """The config a command runs with: the file, the environment and the global flags (read once per run)."""
    from cognito_privx.config import load_config

    if state.loaded is None:
        state.loaded = load_config(state.config_path, region=state.region, pool_id=state.pool_id)
        _warn_new_region(state.loaded)
    return state.loaded


def _warn_new_region(cfg: AppConfig) -> None:
    """A region botocore's data does not list Cognito in is used as named, with a warning (config/partitions.py)."""
    from cognito_privx.config.partitions import region_warning

    note = region_warning(cfg.cognito.region) if cfg.cognito.region else None
    if note:
        from cognito_privx import render

        render.warning(note)


def desired(state: State) -> DesiredState:
    """The desired state of the run's config, derived once per run: every core function of a command gets this
    one. Below the CLI (and ``reconcile.open_services``) nothing reads the config itself."""
    from cognito_privx.desired import DesiredState

    if state.derived is None:
        state.derived = DesiredState.from_config(config(state))
    return state.derived


def users_spec(state: State) -> UsersSpec:
    """What the user commands need of the run's config (no PrivX part), derived once per run."""
    from cognito_privx.desired import UsersSpec

    if state.users_derived is None:
        state.users_derived = UsersSpec.from_config(config(state))
    return state.users_derived


def open_users(
    state: State,
    *,
    rate: float | None = None,
    keep_sessions: bool = False,
    batch: bool = False,
    before_lookup: Callable[[], object] | None = None,
) -> PoolUsers:
    """The pool's user side for the user commands and ``import-users``, with the test seams. Unless
    ``keep_sessions``, it ends a signed-out person's PrivX sessions and connections too
    (:class:`~cognito_privx.reconcile.offboarding.PrivXOffboarding`, PrivX opened only then; ``batch``: the
    directory's users read once per run, for import-users). ``before_lookup`` is called once the client is made,
    right before the pool is looked up (import-users starts its warm-up there)."""
    from cognito_privx.cognito import CognitoGateway
    from cognito_privx.pacing import TokenBucket
    from cognito_privx.users import PoolUsers

    # botocore's own retries are off: users.calls retries throttling itself and never the daily email cap.
    spec = users_spec(state)
    gw = CognitoGateway.connect(spec.pool.region, state.profile, max_attempts=1)
    if state.seams.race_settle_s is not None:
        gw.race_settle_s = state.seams.race_settle_s
    limiter = TokenBucket(rate, burst=2) if rate else None
    if before_lookup is not None:
        before_lookup()
    users = PoolUsers.open(gw, spec, create_limiter=limiter, keep_sessions=keep_sessions)
    if not keep_sessions:
        users.end_privx = _LazyOffboarding(state, users.description, batch=batch)
    return users


class _LazyOffboarding:
    """The :class:`~cognito_privx.users.offboard.EndPrivX` hook, its
    :class:`~cognito_privx.reconcile.offboarding.PrivXOffboarding` (and with it the PrivX client's modules, httpx
    among them) made at the first person whose access is to be ended: a command that ends none, like most imports,
    imports none of it before its first call (issue 24: time to the first create). Thread-safe (import-users'
    workers share it)."""

    def __init__(self, state: State, pool: Any, *, batch: bool) -> None:
        import threading

        self._state, self._pool, self._batch = state, pool, batch
        self._made: Any = None
        self._lock = threading.Lock()

    def __call__(self, email: str, sub: str, done: Callable[[], str], /, *, stale: Any = None) -> Any:
        with self._lock:
            if self._made is None:
                from cognito_privx.reconcile.offboarding import PrivXOffboarding

                state = self._state
                self._made = PrivXOffboarding(
                    lambda: desired(state), self._pool, lambda: _open_privx(state), batch=self._batch
                )
        return self._made(email, sub, done, stale=stale)


def _open_privx(state: State) -> Any:
    """The PrivX client alone (a user command's PrivX step), with the test seams. Raises ``CredentialsError``."""
    from cognito_privx import reconcile
    from cognito_privx.config import load_credentials

    return reconcile.open_privx(
        config(state),
        load_credentials(),
        reconcile.CallCounter(),
        transport=state.seams.privx_transport,
        retry_base=state.seams.privx_retry_base,
    )


def check_output(state: State, path: Path | None, what: str) -> None:
    """A file option's target (``--report``, ``--env-file``; ``what``: "the report") checked before any call: exit
    2 when it exists and is not a regular file, or is the config file in use
    (:func:`cognito_privx.files.check_target`)."""
    from cognito_privx.errors import UsageError
    from cognito_privx.files import RefusedTarget, check_target

    if path is None:
        return
    in_use = state.loaded.config_file if state.loaded is not None else state.config_path
    try:
        check_target(path, config_file=in_use)
    except RefusedTarget as e:
        raise UsageError(f"cannot write {what} to {path}: {e.strerror}", e.hint) from None


def interactive() -> bool:
    """Whether a person can answer a confirmation (stdin and stderr are terminals). Tests replace this."""
    return sys.stdin.isatty() and sys.stderr.isatty()


_EXIT_CODES: list[object] = []  # main()'s SystemExit code, for _exit_now


def main() -> NoReturn:
    """The console script: the app, then :func:`_exit_now` (registered before the command runs, so it runs after
    the atexit handlers the command registers)."""
    import atexit
    import gc

    from cognito_privx.cli import GC_THRESHOLDS

    gc.set_threshold(*GC_THRESHOLDS)  # the console script's run: fewer collections of the young generation
    atexit.register(_exit_now)  # registered first, so it runs last
    try:
        app()
    except SystemExit as e:
        _EXIT_CODES.append(e.code)
        raise
    sys.exit(0)  # pragma: no cover - typer exits itself


def _exit_now() -> None:
    """End the process as soon as the command is done: stdout and stderr flushed, then ``os._exit`` with the
    command's code, skipping the interpreter's teardown of ~600 modules and their objects (0.2-0.5 s of CPU after
    the last row of an import, issue 24; the technique of Instagram's "Dismissing Python Garbage Collection",
    2017). It runs after the interpreter has joined the non-daemon threads and after every atexit handler
    registered during the command (those registered before ``main``, like logging's, are skipped: logging is
    shut down here instead); every file the tool writes is closed by the code that wrote it. When the command
    ended otherwise (an exception escaped) or a stream cannot be flushed (a closed pipe), the interpreter ends as
    usual."""
    if not _EXIT_CODES:
        return
    code = _EXIT_CODES[-1]
    logging.shutdown()  # its handlers flushed and closed, as its own atexit handler would
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except (OSError, ValueError):
        return
    os._exit(code if isinstance(code, int) else 0 if code is None else 1)
