"""The local stand-ins: ``sandbox`` (run them and print their environment) and ``demo`` (the whole story
against them, :mod:`cognito_privx.cli.demo`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cognito_privx.cli.root import State, app, check_output, interactive, run


@app.command()
def sandbox(
    ctx: typer.Context,
    env_file: Annotated[
        Path | None,
        typer.Option(
            "--env-file",
            help="Also write the export lines (they hold the emulator's API secrets) to this file, mode 0600; an "
            "existing file is replaced.",
        ),
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
    rotated_refresh_token: Annotated[
        str,
        typer.Option(
            "--rotated-refresh-token",
            help="A rotated IdP refresh token: kept (PrivX uses the new one) or ignored (it keeps the old one).",
        ),
    ] = "kept",
    secret_after_rotation: Annotated[
        str,
        typer.Option(
            "--secret-after-rotation",
            help="DescribeUserPoolClient's ClientSecret once the original secret is deleted: empty or kept.",
        ),
    ] = "empty",
    read_attributes_unset: Annotated[
        str,
        typer.Option(
            "--read-attributes-unset",
            help="What an app client with ReadAttributes unset may read: standard (no custom:*) or all.",
        ),
    ] = "standard",
    write_attributes_unset: Annotated[
        str,
        typer.Option(
            "--write-attributes-unset",
            help="What an app client with WriteAttributes unset lets a user write: all or standard (no custom:*).",
        ),
    ] = "all",
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

    The --rule-grammar, --login-route, --attribute-mapping, --resolve-unknown and --rotated-refresh-token options
    pick how the PrivX emulator behaves where no public source settles it; the defaults are the most likely real
    behaviour.
    --import-rate and --import-line-numbers do the same for Cognito's user import jobs (AWS publishes neither), and
    --secret-after-rotation for an app client's secret once its original one is deleted (empty: the strict one),
    and --read-attributes-unset / --write-attributes-unset for an app client whose ReadAttributes / WriteAttributes
    is unset (AWS's sources disagree).
    """
    state: State = ctx.obj
    run(
        state,
        lambda: _sandbox(
            state,
            env_file=env_file,
            moto_port=moto_port,
            privx_port=privx_port,
            hosted_ui_port=hosted_ui_port,
            token_ttl=token_ttl,
            rule_grammar=rule_grammar,
            login_route=login_route,
            attribute_mapping=attribute_mapping,
            resolve_unknown=resolve_unknown,
            rotated_refresh_token=rotated_refresh_token,
            secret_after_rotation=secret_after_rotation,
            read_attributes_unset=read_attributes_unset,
            write_attributes_unset=write_attributes_unset,
            import_rate=import_rate,
            import_line_numbers=import_line_numbers,
        ),
    )


def _sandbox(
    state: State,
    *,
    env_file: Path | None,
    moto_port: int,
    privx_port: int,
    hosted_ui_port: int,
    token_ttl: float,
    rule_grammar: str,
    login_route: str,
    attribute_mapping: str,
    resolve_unknown: str,
    rotated_refresh_token: str,
    secret_after_rotation: str,
    read_attributes_unset: str,
    write_attributes_unset: str,
    import_rate: float,
    import_line_numbers: str,
) -> None:
    import signal
    import time

    from cognito_privx import render
    from cognito_privx.errors import UsageError
    from cognito_privx.sandbox.emulator import EmulatorVariant
    from cognito_privx.sandbox.runner import Sandbox

    check_output(state, env_file, "the environment")  # a link, a device, the config: exit 2 before anything starts
    try:
        variant = EmulatorVariant.parse(
            rule_grammar=rule_grammar,
            login_route=login_route,
            attribute_mapping=attribute_mapping,
            resolve_unknown=resolve_unknown,
            rotated_refresh_token=rotated_refresh_token,
        )
        from cognito_privx.sandbox.moto_fixes.variant import CognitoVariant

        cognito_variant = CognitoVariant.parse(
            secret_after_rotation=secret_after_rotation,
            read_attributes_unset=read_attributes_unset,
            write_attributes_unset=write_attributes_unset,
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
    # SIGTERM only raises a flag: its handler runs on the main thread between two bytecodes, and an Event's set()
    # there could wait forever for the lock the interrupted Event.wait() holds (seen as a sandbox that never stopped).
    stop: list[int] = []
    signal.signal(signal.SIGTERM, lambda signum, _frame: stop.append(signum))
    box = Sandbox(
        region=region,
        moto_port=moto_port,
        privx_port=privx_port,
        hosted_ui_port=hosted_ui_port,
        token_ttl=token_ttl,
        variant=variant,
        import_jobs=import_jobs,
        cognito=cognito_variant,
    ).start()
    try:
        lines = box.export_lines()
        if env_file is not None:
            from cognito_privx.files import write_private

            try:  # 0600, renamed into place: a reader never sees half a file, another user never sees it
                write_private(env_file, "\n".join(lines) + "\n")
            except OSError as e:
                raise UsageError(
                    f"cannot write the environment to {env_file}: {e.strerror}",
                    "give --env-file a path in a writable directory",
                ) from None
        render.export_lines(lines)
        render.info(
            f"Sandbox running: Cognito stand-in {box.moto_url} (hosted UI {box.hosted_ui_url}; secret after rotation: "
            f"{cognito_variant.secret_after_rotation}; ReadAttributes unset: {cognito_variant.read_attributes_unset}; "
            f"WriteAttributes unset: {cognito_variant.write_attributes_unset}), PrivX emulator "
            f"{box.privx_url} ({variant.describe()}). Import jobs: --logs-role-arn {box.logs_role_arn}. "
            "Press Ctrl-C to stop."
        )
        try:
            while not stop:
                time.sleep(0.1)  # the flag is read at most 0.1 s after the signal
        except KeyboardInterrupt:
            pass
    finally:
        box.stop()
        render.info("Sandbox stopped.")


@app.command()
def demo(
    ctx: typer.Context,
    no_wait: Annotated[bool, typer.Option("--no-wait", help="Stop the sandbox at the end even in a terminal.")] = False,
) -> None:
    """The whole story against the embedded sandbox: no AWS account, no PrivX, no network. In a terminal the
    sandbox keeps running at the end, so the direct-login URL can be opened in a browser (Ctrl-C stops it)."""
    state: State = ctx.obj
    run(state, lambda: _demo(state, no_wait=no_wait))


def _demo(state: State, *, no_wait: bool) -> None:
    import threading

    from cognito_privx import render
    from cognito_privx.cli.demo import run_demo

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
    run_demo(render.DemoNarrator(), wait=until_interrupted if interactive() and not no_wait else None)
