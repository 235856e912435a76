"""The command line: parse → call one core function → render → exit code.

Start-up stays cheap: boto3, httpx and the core modules are imported inside the commands, so ``--help``
and ``--version`` import none of them.
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

    from cognito_privx import users as users_module
    from cognito_privx.config import AppConfig
    from cognito_privx.plan import Change
    from cognito_privx.reconcile import Services, Target
    from cognito_privx.users import PoolUsers, UserResult

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
            message = e.format_message().replace("\n", " ").replace("Value error, ", "")
            sys.stderr.write(f"error: {message}\nhint: see `{where} --help`\n")
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


def _run(state: State, body: Callable[[], T]) -> T:
    """Run a command body; map our errors to a message, a hint and the exit code."""
    from cognito_privx import render
    from cognito_privx.errors import CognitoPrivxError

    try:
        return body()
    except CognitoPrivxError as e:
        if state.debug:
            logging.getLogger("cognito_privx").debug("error detail", exc_info=True)
        render.error(e)
        raise typer.Exit(e.exit_code) from None


def _services(state: State, cfg: AppConfig) -> Services:
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


def _services_for_a_run(state: State, cfg: AppConfig) -> tuple[Services, Target]:
    """Services for plan/setup/teardown/rotate-secret, and their target line, shown first (not in JSON)."""
    from cognito_privx import reconcile, render

    services = _services(state, cfg)
    try:
        target = reconcile.target(cfg, services)
    except BaseException:
        services.close()
        raise
    if not state.json:
        render.info(target.line())
    return services, target


def _config(state: State) -> AppConfig:
    from cognito_privx.config import load_config

    return load_config(state.config_path, region=state.region, pool_id=state.pool_id)


def _setup(state: State, *, dry_run: bool, adopt: bool, plan_mode: bool, resend_secret: bool = False) -> bool:
    from cognito_privx import reconcile, render

    cfg = _config(state)
    services, target = _services_for_a_run(state, cfg)
    try:
        done = not (dry_run or plan_mode)
        # Each change is shown as it happens: a run that fails half-way has already said what it did. The plan is
        # plan's data: stdout (as terraform plan); setup's lines are a record of what it does: stderr.
        out = render.stdout() if plan_mode else None
        seen: list[Change] = []

        def on_change(change: Change) -> None:
            seen.append(change)
            if not state.json:
                render.change(change, done=done, out=out)

        try:
            result = reconcile.setup(
                cfg,
                services,
                dry_run=dry_run or plan_mode,
                adopt=adopt,
                on_change=on_change,
                resend_secret=resend_secret,
            )
        except (Exception, KeyboardInterrupt):
            if done:
                render.info(render.stopped_summary(seen))
            raise
    finally:
        services.close()
    if state.debug:
        logging.getLogger("cognito_privx").debug("api calls: %s", result.calls)
    if state.json:
        render.json_document(
            {
                "target": target.to_json(),
                "changes": [c.to_json() for c in result.plan.changes],
                "outputs": result.outputs.to_json(),
                "dry_run": dry_run or plan_mode,
            }
        )
        return result.plan.has_changes
    if plan_mode:
        render.text(render.plan_summary(result.plan))
        return result.plan.has_changes
    render.info(render.setup_summary(result.plan, dry_run=dry_run))
    render.data(result.outputs.login_url)
    return result.plan.has_changes


@app.command()
def setup(
    ctx: typer.Context,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would change; change nothing.")] = False,
    adopt: Annotated[
        bool, typer.Option("--adopt", help="Tag and manage an existing same-named pool that is not ours.")
    ] = False,
    resend_secret: Annotated[
        bool,
        typer.Option(
            "--resend-secret",
            help="Send the app-client secret to PrivX even when nothing else differs (PrivX never shows it back).",
        ),
    ] = False,
) -> None:
    """Converge Cognito and PrivX to the config; the last line on stdout is the direct-login URL."""
    state: State = ctx.obj
    _run(state, lambda: _setup(state, dry_run=dry_run, adopt=adopt, plan_mode=False, resend_secret=resend_secret))


@app.command()
def plan(
    ctx: typer.Context,
    detailed_exitcode: Annotated[
        bool, typer.Option("--detailed-exitcode", help="Exit 3 when changes are pending, 0 when none.")
    ] = False,
    adopt: Annotated[bool, typer.Option("--adopt", help="Plan as if setup --adopt were run.")] = False,
) -> None:
    """Show what setup would change, changing nothing."""
    state: State = ctx.obj
    pending = _run(state, lambda: _setup(state, dry_run=True, adopt=adopt, plan_mode=True))
    if detailed_exitcode and pending:
        raise typer.Exit(3)


@app.command("login-url")
def login_url(
    ctx: typer.Context,
    verify: Annotated[
        bool,
        typer.Option(
            "--verify",
            help="Request each candidate URL without following redirects; exit 1 unless the configured one leads "
            "to Cognito with our client id and callback.",
        ),
    ] = False,
) -> None:
    """Print only the direct-login URL of the PrivX directory."""
    state: State = ctx.obj

    def body() -> bool:
        from cognito_privx import directlogin, reconcile, render

        cfg = _config(state)
        services = _services(state, cfg)
        try:
            found = reconcile.direct_login_url(cfg, services, verify=verify)
        finally:
            services.close()
        good = not verify or (found.working is not None and found.working.url == found.url)
        if state.json:
            document: dict[str, Any] = {"login_url": found.url}
            if verify:
                document["verified"] = good
                document["candidates"] = [
                    {
                        "template": p.template,
                        "url": p.url,
                        "status": p.status_code,
                        "location": p.target or None,
                        "problems": p.problems(found.client_id, found.callback_url),
                    }
                    for p in found.probes
                ]
            render.json_document(document)
        else:
            for probe in found.probes:
                render.login_probe(probe, probe.problems(found.client_id, found.callback_url))
            if verify and not good:
                render.problem(
                    f"{found.url} does not lead to Cognito with the directory's client id and the PrivX callback",
                    f"set {directlogin.setting_for(found.working.template)}"
                    if found.working is not None
                    else "compare [privx] login_url_template with the Direct Login URL in PrivX's directory settings",
                )
            render.data(found.url)
        return good

    if not _run(state, body):
        raise typer.Exit(1)


def _interactive() -> bool:
    """Whether a person can answer a confirmation (stdin and stderr are terminals). Tests replace this."""
    return sys.stdin.isatty() and sys.stderr.isatty()


@app.command()
def teardown(
    ctx: typer.Context,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would be removed; remove nothing.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask; delete everything listed.")] = False,
    keep_pool: Annotated[
        bool, typer.Option("--keep-pool", help="Keep the user pool and its users; remove everything else.")
    ] = False,
    delete_adopted_pool: Annotated[
        bool,
        typer.Option("--delete-adopted-pool", help="Also delete a pool taken over with setup --adopt, and its users."),
    ] = False,
) -> None:
    """Remove what setup made, PrivX side first, after listing everything and asking."""
    state: State = ctx.obj

    def body() -> None:
        from cognito_privx import reconcile, render
        from cognito_privx.errors import UsageError
        from cognito_privx.plan import Action

        def confirm(pending: list[Change]) -> bool:
            deletions = [c for c in pending if c.action is Action.DELETE]
            if yes:
                return True
            if not _interactive():
                raise UsageError(
                    f"teardown would delete {len(deletions)} object(s) and needs a confirmation; nothing was removed",
                    "run it in a terminal to confirm, see the list with --dry-run, or pass --yes",
                )
            render.info("teardown will delete:")
            for change in deletions:
                render.change(change, done=False)
            kept = [c for c in pending if c.action is Action.NOOP and c.notes and c.notes[0] != "already gone"]
            if kept:
                render.info("and leave in place:")
                for change in kept:
                    render.change(change, done=False)
            try:
                return typer.confirm(f"Delete these {len(deletions)} object(s)? This cannot be undone", err=True)
            except typer.Abort:
                return False

        cfg = _config(state)
        services, target = _services_for_a_run(state, cfg)
        try:
            result = reconcile.teardown(
                cfg,
                services,
                dry_run=dry_run,
                keep_pool=keep_pool,
                delete_adopted_pool=delete_adopted_pool,
                confirm=confirm,
            )
        finally:
            services.close()
        if state.json:
            render.json_document(
                {
                    "target": target.to_json(),
                    "changes": [c.to_json() for c in result.plan.changes],
                    "dry_run": dry_run,
                }
            )
            return
        render.plan_text(result.plan, done=not dry_run)
        render.info(render.teardown_summary(result.plan, dry_run=dry_run))

    _run(state, body)


@app.command("rotate-secret")
def rotate_secret(
    ctx: typer.Context,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask; rotate now.")] = False,
) -> None:
    """Replace the app client's secret without downtime: add one, prove it, hand it to PrivX, delete the old."""
    state: State = ctx.obj

    def body() -> None:
        from cognito_privx import render, rotation
        from cognito_privx.errors import UsageError

        def confirm(summary: str) -> bool:
            if yes:
                return True
            if not _interactive():
                raise UsageError(
                    "rotate-secret needs a confirmation; nothing was changed",
                    "run it in a terminal to confirm, or pass --yes",
                )
            render.info(summary)
            try:
                return typer.confirm("Rotate now?", err=True)
            except typer.Abort:
                return False

        cfg = _config(state)
        services, target = _services_for_a_run(state, cfg)
        try:
            done = rotation.rotate_secret(
                cfg,
                services,
                http_transport=state.seams.http_transport,
                confirm=confirm,
                on_change=None if state.json else lambda change: render.change(change, done=True),
            )
        finally:
            services.close()
        if state.json:
            render.json_document({"target": target.to_json(), **done.to_json()})
            return
        render.info(f"PrivX holds client secret {done.secret_id}; rotated in {done.seconds:.2f} s")

    _run(state, body)


@app.command()
def init(
    ctx: typer.Context,
    privx_url: Annotated[
        str | None, typer.Option("--privx-url", help="PrivX's base URL, like https://privx.example.com.")
    ] = None,
    pool_name: Annotated[str | None, typer.Option("--pool-name", help="The user pool's name (default privx).")] = None,
    domain_prefix: Annotated[
        str | None,
        typer.Option("--domain-prefix", help="The hosted-UI domain prefix (default: none managed)."),
    ] = None,
) -> None:
    """Write a commented starter config file (--config, else ./cognito-privx.toml); never overwrites one.

    Values come from the flags (and --region); on a terminal, what is missing is asked for. Left out, region and
    URL stay commented out, for AWS_REGION and PRIVX_API_BASE_URL to fill in."""
    state: State = ctx.obj

    def body() -> None:
        from cognito_privx import render
        from cognito_privx.config import DEFAULT_CONFIG_FILE, starter_toml, write_starter
        from cognito_privx.errors import UsageError

        path = state.config_path or Path(DEFAULT_CONFIG_FILE)
        if path.exists():  # before any question; write_starter checks again, atomically
            raise UsageError(
                f"{path} exists already; nothing was written",
                "edit it, or write another file with `cognito-privx --config NEW.toml init`",
            )
        region, url, name, prefix = state.region, privx_url, pool_name, domain_prefix
        if _interactive():

            def ask(question: str, default: str) -> str:
                return str(typer.prompt(question, default=default, show_default=bool(default), err=True)).strip()

            region = region or ask("AWS region", os.environ.get("AWS_REGION", ""))
            url = url or ask("PrivX URL", os.environ.get("PRIVX_API_BASE_URL", "https://privx.example.com"))
            name = name or ask("User pool name", "privx")
            prefix = prefix if prefix is not None else ask("Hosted-UI domain prefix (empty: none)", "")
        text = starter_toml(
            region=region or None, privx_url=url or None, pool_name=name or "privx", domain_prefix=prefix or ""
        )
        write_starter(path, text)
        if state.json:
            render.json_document({"written": str(path)})
        else:
            render.info(f"wrote {path}: add your groups under [roles], then run `cognito-privx plan`")

    _run(state, body)


# -- users ---------------------------------------------------------------------------------------------------

EmailArg = Annotated[str, typer.Argument(help="The user's email address (their login name).", show_default=False)]
GroupsOpt = Annotated[
    list[str],
    typer.Option(
        "--group",
        "-g",
        help='The group (a \\[roles] key). Repeat for several groups (group_claim = "cognito:groups" only).',
        show_default=False,
    ),
]
ForceOpt = Annotated[bool, typer.Option("--force", help="Allow a group that is not a \\[roles] key.")]


def _open_users(state: State, cfg: AppConfig, *, rate: float | None = None) -> PoolUsers:
    from cognito_privx.cognito import CognitoGateway
    from cognito_privx.imports import TokenBucket
    from cognito_privx.users import PoolUsers

    # botocore's own retries are off: users.py retries throttling itself and never the daily email cap.
    gw = CognitoGateway.connect(cfg.region, state.profile, max_attempts=1)
    if state.seams.race_settle_s is not None:
        gw.race_settle_s = state.seams.race_settle_s
    return PoolUsers.open(gw, cfg, create_limiter=TokenBucket(rate, burst=2) if rate else None)


def _user_row(
    email: str, groups: list[str], cfg: AppConfig, *, force: bool, name: str | None = None
) -> users_module.UserRow:
    """The checked address and group(s) of a user command, before any call: several groups only in
    ``cognito:groups`` mode."""
    from cognito_privx.errors import UsageError
    from cognito_privx.users import UserRow, validate_email, validate_group, validate_name

    address = validate_email(email)
    name = validate_name(name)
    checked = tuple(dict.fromkeys(validate_group(g, cfg, force=force) for g in groups))
    if len(checked) > 1 and not cfg.cognito.native_groups:
        raise UsageError(
            f"several groups ({', '.join(checked)}) for one user, but a user has one group when "
            '[cognito] group_claim = "custom"',
            'give one --group, or set group_claim = "cognito:groups" in the config and run setup',
        )
    return UserRow(address, checked[0], name, also=checked[1:])


def _show(state: State, result: UserResult) -> None:
    from cognito_privx import render

    if state.json:
        render.json_document(result.to_json())
    else:
        render.user_result(result)


@app.command("add-user")
def add_user(
    ctx: typer.Context,
    email: EmailArg,
    group: GroupsOpt,
    name: Annotated[str | None, typer.Option("--name", help="The user's display name.")] = None,
    temporary_password: Annotated[
        str | None,
        typer.Option(
            "--temporary-password",
            envvar="COGNITO_PRIVX_TEMPORARY_PASSWORD",
            help="Initial password (else Cognito makes one); must meet the pool's policy. Never printed. For a user "
            "whose invitation is pending, replaces their temporary password.",
            show_default=False,
        ),
    ] = None,
    no_invite: Annotated[bool, typer.Option("--no-invite", help="Do not send Cognito's invitation email.")] = False,
    force: ForceOpt = False,
) -> None:
    """Create the user with group G, or bring an existing user to group G (idempotent)."""
    state: State = ctx.obj

    def body() -> None:
        from cognito_privx.errors import UsageError
        from cognito_privx.users import password_problems

        if temporary_password is not None and no_invite:
            raise UsageError(
                "--temporary-password (or COGNITO_PRIVX_TEMPORARY_PASSWORD) and --no-invite do not go together",
                "the invitation carries the temporary password; give one of the two",
            )
        cfg = _config(state)
        row = _user_row(email, group, cfg, force=force, name=name)
        users = _open_users(state, cfg)
        if temporary_password is not None:
            problems = password_problems(temporary_password, users.password_policy())
            if problems:
                raise UsageError(
                    "the temporary password does not meet the pool's password policy",
                    "it needs " + ", ".join(problems),
                )
        _show(state, users.add(row, invite=not no_invite, temporary_password=temporary_password))

    _run(state, body)


@app.command("set-group")
def set_group(ctx: typer.Context, email: EmailArg, group: GroupsOpt, force: ForceOpt = False) -> None:
    """Change an existing user's group."""
    state: State = ctx.obj

    def body() -> None:
        cfg = _config(state)
        row = _user_row(email, group, cfg, force=force)
        _show(state, _open_users(state, cfg).add(row, create=False))

    _run(state, body)


@app.command("resend-invite")
def resend_invite(ctx: typer.Context, email: EmailArg) -> None:
    """Send the invitation email again to a user who has not signed in yet (a new temporary password)."""
    state: State = ctx.obj

    def body() -> None:
        from cognito_privx.users import validate_email

        cfg = _config(state)
        address = validate_email(email)
        _show(state, _open_users(state, cfg).resend_invite(address))

    _run(state, body)


def _set_enabled(state: State, email: str, enabled: bool) -> None:
    from cognito_privx.users import validate_email

    cfg = _config(state)
    address = validate_email(email)
    _show(state, _open_users(state, cfg).set_enabled(address, enabled))


@app.command("disable-user")
def disable_user(ctx: typer.Context, email: EmailArg) -> None:
    """Disable a user (they can no longer log in; nothing is deleted)."""
    state: State = ctx.obj
    _run(state, lambda: _set_enabled(state, email, False))


@app.command("enable-user")
def enable_user(ctx: typer.Context, email: EmailArg) -> None:
    """Enable a disabled user."""
    state: State = ctx.obj
    _run(state, lambda: _set_enabled(state, email, True))


@app.command("remove-user")
def remove_user(
    ctx: typer.Context,
    email: EmailArg,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete a user from the pool (asks first)."""
    state: State = ctx.obj

    def body() -> None:
        from cognito_privx.errors import UsageError
        from cognito_privx.users import validate_email

        cfg = _config(state)
        address = validate_email(email)
        users = _open_users(state, cfg)
        # The look-up that will also confirm the removal: in a legacy case-sensitive pool it finds the user in
        # any capitalisation (and refuses when two users differ only in case).
        user = users.find(address)
        if user is None:
            _show(state, users.remove(address, user=None))  # "no such user", without a second look-up
            return
        if not yes and not _interactive():
            raise UsageError(
                f"remove-user needs a confirmation; {address} was not removed",
                "run it in a terminal to confirm, or pass --yes",
            )
        if not yes:
            shown = next((a["Value"] for a in user.get("UserAttributes", []) if a["Name"] == "email"), address)
            try:
                confirmed = typer.confirm(f"Delete {shown} from user pool {users.pool_id}?", err=True)
            except typer.Abort:
                confirmed = False
            if not confirmed:
                raise UsageError(f"{address} was not removed", "answer y, or pass --yes")
        _show(state, users.remove(address, user=user))

    _run(state, body)


@app.command("list-users")
def list_users(
    ctx: typer.Context,
    group: Annotated[str | None, typer.Option("--group", "-g", help="Only users of this group.")] = None,
    status: Annotated[
        str | None,
        typer.Option(
            "--status",
            help="Only users with this Cognito status, like FORCE_CHANGE_PASSWORD (invitation pending) or CONFIRMED.",
            show_default=False,
        ),
    ] = None,
    force: ForceOpt = False,
) -> None:
    """List the pool's users (email, group, status, enabled, created)."""
    state: State = ctx.obj

    def body() -> None:
        from cognito_privx import render
        from cognito_privx.errors import UsageError
        from cognito_privx.users import STATUS_MEANING, validate_group

        cfg = _config(state)
        if group is not None:
            validate_group(group, cfg, force=force)
        wanted = None if status is None else status.strip().upper()
        if wanted is not None and wanted not in STATUS_MEANING:
            raise UsageError(
                f"unknown user status {status!r}",
                "give one of " + ", ".join(STATUS_MEANING) + " (see `cognito-privx list-users --help`)",
            )
        users = _open_users(state, cfg)
        with render.ScanProgress() as progress:
            found = users.list(group, on_page=progress.update, status=wanted)
        if state.json:
            render.json_document({"users": [u.to_json() for u in found]})
        else:
            render.users_table(found)

    _run(state, body)


@app.command("import-users")
def import_users(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="CSV with a header: email,group[,name].", show_default=False)],
    # Defaults mirror imports.DEFAULT_WORKERS (not imported here: start-up stays light).
    workers: Annotated[int, typer.Option("--workers", min=1, max=128, help="Most requests in flight.")] = 32,
    rate: Annotated[
        float | None,
        typer.Option(
            "--rate",
            min=0.1,
            help="A ceiling on user creations per second. Without it the rate adapts to the account's quota "
            "(from 50/s, raised while Cognito does not throttle).",
            show_default=False,
        ),
    ] = None,
    no_invite: Annotated[bool, typer.Option("--no-invite", help="Do not send invitation emails.")] = False,
    report: Annotated[
        Path | None, typer.Option("--report", help="Write per-row results here (.json, else CSV).")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate and show what would change.")] = False,
    force: ForceOpt = False,
    engine: Annotated[
        str,
        typer.Option(
            "--engine",
            help="api: one call per user (invitations, results as they come). job: Cognito's import jobs (users "
            "RESET_REQUIRED, no invitation). auto: a job from 10,000 rows when a logs role is set.",
            case_sensitive=False,
        ),
    ] = "auto",
    logs_role_arn: Annotated[
        str | None,
        typer.Option(
            "--logs-role-arn",
            help="The IAM role an import job writes its CloudWatch Logs with (else [cognito] import_logs_role_arn).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Bulk add-user from a CSV: validated first, concurrent, within Cognito's quota, resumable.

    Big files can go to Cognito's own import jobs (--engine job or auto): see docs/cognito.md#user-import-jobs.
    """
    state: State = ctx.obj

    def body() -> int:
        import time

        from cognito_privx.errors import UsageError
        from cognito_privx.import_jobs import Engine, choose_engine, validate_role_arn
        from cognito_privx.imports import open_report
        from cognito_privx.users import scan_csv

        started = time.monotonic()

        try:
            asked = Engine(engine.lower())
        except ValueError:
            raise UsageError(f"--engine {engine!r} is not an engine", "choose api, job or auto") from None
        cfg = _config(state)
        role = (
            validate_role_arn(logs_role_arn, "--logs-role-arn")
            if logs_role_arn is not None
            else cfg.cognito.import_logs_role_arn
        )
        if asked is Engine.JOB:
            choose_engine(asked, 0, invite=not no_invite, role_arn=role, pool=None)  # no role: exit 2 now
        rows = scan_csv(file, cfg, force=force)  # the whole file validated, not held: read again to import
        writer = open_report(report) if report is not None else None  # an unwritable path: exit 2, nothing done
        try:
            return _import(state, cfg, rows, writer, asked, role)
        except BaseException as e:
            if writer is not None:  # the report stays a whole document, and says why it ends there
                writer.abort(
                    f"stopped by {getattr(e, 'message', None) or type(e).__name__}", started, getattr(e, "hint", None)
                )
            raise

    def _import(state: State, cfg: Any, rows: Any, writer: Any, asked: Any, role: str | None) -> int:
        from cognito_privx import render
        from cognito_privx.import_jobs import Engine, choose_engine
        from cognito_privx.imports import AdaptiveRate, import_rows, learn_pool

        users = _open_users(state, cfg)
        choice = choose_engine(
            asked, len(rows), invite=not no_invite, role_arn=role, pool=dict(users.description or {})
        )
        if choice.engine is Engine.JOB or asked is not Engine.AUTO or "would go" in choice.reason:
            render.info(f"engine: {choice.engine.value} ({choice.reason})")
        if choice.engine is Engine.JOB and role is not None:
            return _import_by_jobs(
                state, cfg, users, rows, role, writer, invite=not no_invite, dry_run=dry_run, workers=workers, rate=rate
            )
        index = learn_pool(users, len(rows), dry_run=dry_run)
        with render.ImportProgress(len(rows)) as progress:
            result = import_rows(
                users,
                rows,
                workers=workers,
                invite=not no_invite,
                dry_run=dry_run,
                on_result=progress.advance,
                limiter=AdaptiveRate(ceiling=rate),
                index=index,
                keep_results=state.json,
                report=writer,
            )
        summary = result.summary()
        if state.json:
            render.json_document({"summary": summary, "rows": [r.to_json() for r in result.results]})
        else:
            render.import_summary(summary)
        if result.interrupted:
            return 130
        return 1 if result.failed else 0

    code = _run(state, body)
    if code:
        raise typer.Exit(code)


def _import_by_jobs(
    state: State,
    cfg: Any,
    users: Any,
    rows: Any,
    role: str,
    writer: Any,
    *,
    invite: bool,
    dry_run: bool,
    workers: int,
    rate: float | None,
) -> int:
    """``import-users`` through Cognito's import jobs (:mod:`cognito_privx.import_jobs`); the exit code."""
    import time

    from cognito_privx import render
    from cognito_privx.import_jobs import JobOptions, LineBase, import_with_jobs

    options = JobOptions(
        role_arn=role,
        line_numbers=LineBase(cfg.cognito.import_log_line_numbers),
        invite=invite,
        dry_run=dry_run,
        workers=workers,
        rate=rate,
    )
    following: list[str] = []

    def on_job(run: Any) -> None:
        following[:] = [run.job_id]
        progress.update(run)

    started = time.monotonic()
    try:
        with render.JobProgress(len(rows)) as progress:
            outcome = import_with_jobs(
                users,
                rows,
                options,
                groups=rows.groups,
                on_note=render.info,
                on_job=on_job,
                on_result=progress.advance,
                report=writer,
                keep_results=state.json,
            )
    except KeyboardInterrupt:
        # While a job runs: Cognito goes on with it. The report and the summary say so, with no row settled yet.
        from cognito_privx.imports import ImportReport

        going_on = f"import job {following[0]} goes on in Cognito" if following else "no import job was started"
        outcome = ImportReport(
            [],
            time.monotonic() - started,
            0,
            f"interrupted: {going_on}",
            "run the same command again to follow it and get the per-row results" if following else None,
            interrupted=True,
        )
        if writer is not None:
            writer.close(outcome)
    summary = outcome.summary()
    if state.json:
        render.json_document({"summary": summary, "rows": [r.to_json() for r in outcome.results]})
    else:
        render.import_summary(summary)
    if outcome.interrupted:
        return 130
    # A job that stopped or expired before some rows leaves them "not attempted": not done, so not a success.
    return 1 if outcome.failed or outcome.not_attempted else 0


@app.command()
def sandbox(
    ctx: typer.Context,
    env_file: Annotated[
        Path | None, typer.Option("--env-file", help="Also write the export lines to this file.")
    ] = None,
    moto_port: Annotated[int, typer.Option("--moto-port", min=0, max=65535, help="0 = a free port.")] = 0,
    privx_port: Annotated[int, typer.Option("--privx-port", min=0, max=65535, help="0 = a free port.")] = 0,
    hosted_ui_port: Annotated[
        int, typer.Option("--hosted-ui-port", min=0, max=65535, help="Cognito's hosted-UI stand-in; 0 = a free port.")
    ] = 0,
    token_ttl: Annotated[
        float, typer.Option("--token-ttl", min=1, help="Seconds a PrivX emulator token lives.")
    ] = 300.0,
    rule_grammar: Annotated[
        str, typer.Option("--rule-grammar", help="Role rules' search_string: filter (LDAP-style) or bare (a tag).")
    ] = "filter",
    login_route: Annotated[
        str, typer.Option("--login-route", help="Direct login: authorize (oauth/authorize, 307) or legacy.")
    ] = "authorize",
    attribute_mapping: Annotated[
        str, typer.Option("--attribute-mapping", help="attribute_mapping keyed by target or by claim.")
    ] = "target",
    resolve_unknown: Annotated[
        str, typer.Option("--resolve-unknown", help="roles/resolve on an unknown name: empty, partial or 404.")
    ] = "empty",
    import_rate: Annotated[
        float,
        typer.Option(
            "--import-rate", min=0, help="Rows/s the user-import-job stand-in imports; 0 = as fast as it can."
        ),
    ] = 2000.0,
    import_line_numbers: Annotated[
        str,
        typer.Option(
            "--import-line-numbers", help="Import-job log lines: data (1 = first data row) or file (1 = header)."
        ),
    ] = "data",
) -> None:
    """Run local stand-ins for Cognito (moto server) and PrivX on loopback; print their environment.

    The --rule-grammar, --login-route, --attribute-mapping and --resolve-unknown options pick how the PrivX
    emulator behaves where no public source settles it; the defaults are the most likely real behaviour.
    --import-rate and --import-line-numbers do the same for Cognito's user import jobs (AWS publishes neither).
    """
    state: State = ctx.obj

    def body() -> None:
        import signal
        import threading

        from cognito_privx import render
        from cognito_privx.errors import UsageError
        from cognito_privx.sandbox.emulator import EmulatorVariant
        from cognito_privx.sandbox.runner import Sandbox

        try:
            variant = EmulatorVariant.parse(
                rule_grammar=rule_grammar,
                login_route=login_route,
                attribute_mapping=attribute_mapping,
                resolve_unknown=resolve_unknown,
            )
        except ValueError as e:
            raise UsageError(f"sandbox: {e}", "see cognito-privx sandbox --help") from None
        if import_line_numbers not in ("data", "file"):
            raise UsageError(
                f"sandbox: --import-line-numbers must be data or file, not {import_line_numbers!r}",
                "see cognito-privx sandbox --help",
            )
        from cognito_privx.sandbox.import_jobs import ImportJobSettings

        import_jobs = ImportJobSettings(
            rate=import_rate or None, line_numbers="file" if import_line_numbers == "file" else "data"
        )
        region = state.region or "eu-west-1"
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        box = Sandbox(
            region=region,
            moto_port=moto_port,
            privx_port=privx_port,
            hosted_ui_port=hosted_ui_port,
            token_ttl=token_ttl,
            variant=variant,
            import_jobs=import_jobs,
        ).start()
        try:
            lines = box.export_lines()
            if env_file is not None:
                tmp = env_file.with_name(env_file.name + ".tmp")
                tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
                tmp.replace(env_file)  # atomic: a reader never sees half a file
            render.export_lines(lines)
            render.info(
                f"Sandbox running: Cognito stand-in {box.moto_url} (hosted UI {box.hosted_ui_url}), PrivX emulator "
                f"{box.privx_url} ({variant.describe()}). Import jobs: --logs-role-arn {box.logs_role_arn}. "
                "Press Ctrl-C to stop."
            )
            try:
                while not stop.wait(0.5):
                    pass
            except KeyboardInterrupt:
                pass
        finally:
            box.stop()
            render.info("Sandbox stopped.")

    _run(state, body)


@app.command()
def demo(
    ctx: typer.Context,
    no_wait: Annotated[bool, typer.Option("--no-wait", help="Stop the sandbox at the end even in a terminal.")] = False,
) -> None:
    """The whole story against the embedded sandbox: no AWS account, no PrivX, no network. In a terminal the
    sandbox keeps running at the end, so the direct-login URL can be opened in a browser (Ctrl-C stops it)."""
    state: State = ctx.obj

    def body() -> None:
        import threading

        from cognito_privx import render
        from cognito_privx.sandbox.demo import run_demo

        def until_interrupted() -> None:
            try:
                while not threading.Event().wait(0.5):
                    pass
            except KeyboardInterrupt:
                render.info("Sandbox stopped.")

        if state.json:
            from cognito_privx.errors import UsageError

            raise UsageError(
                "demo tells a story in text and has no JSON output",
                "run `cognito-privx demo` without --output json",
            )
        run_demo(render.DemoNarrator(), wait=until_interrupted if _interactive() and not no_wait else None)

    _run(state, body)


@app.command()
def doctor(
    ctx: typer.Context,
    probe: Annotated[
        bool,
        typer.Option("--probe", help="Also log a temporary test user in and verify its ID token (then delete both)."),
    ] = False,
    login: Annotated[
        bool,
        typer.Option(
            "--login",
            help="Rehearse the real sign-in: a temporary user of a \\[roles] group walks the direct-login URL through "
            "Cognito into PrivX, which must give exactly the group's roles (the Cognito user is deleted after).",
        ),
    ] = False,
    all_groups: Annotated[
        bool, typer.Option("--all-groups", help="With --login: rehearse once for every \\[roles] group.")
    ] = False,
) -> None:
    """Prove the wiring: every check with ✓/✗ and the fix; exit 1 if any check fails."""
    state: State = ctx.obj

    def body() -> bool:
        from cognito_privx import doctor as checks
        from cognito_privx import render

        if all_groups and not login:
            from cognito_privx.errors import UsageError

            raise UsageError("--all-groups goes with --login", "run `cognito-privx doctor --login --all-groups`")
        cfg = _config(state)
        services = _services(state, cfg)
        try:
            report = checks.run_checks(
                cfg,
                services.cognito,
                services.privx,
                probe=probe,
                login=login,
                all_groups=all_groups,
                http_transport=state.seams.http_transport,
            )
        finally:
            services.close()
        if state.json:
            render.json_document(report.to_json())
        else:
            render.doctor_report(report)
        return report.ok

    if not _run(state, body):
        raise typer.Exit(1)


def main() -> NoReturn:
    app()
    sys.exit(0)  # pragma: no cover - typer exits itself
