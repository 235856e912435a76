"""``doctor``: prove the wiring, every check with its fix (:mod:`cognito_privx.doctor`)."""

from __future__ import annotations

from typing import Annotated

import typer

from cognito_privx.cli.root import State, app, config, desired, open_services, run


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
            help="Rehearse the real sign-in: the \\[roles] group's rehearsal identity walks the direct-login URL "
            "through Cognito into PrivX, which must give exactly the group's roles; shows the claims PrivX received "
            "(no secret), the matched rule and the roles. The identity is kept, disabled, its session ended.",
        ),
    ] = False,
    all_groups: Annotated[
        bool, typer.Option("--all-groups", help="With --login: rehearse once for every \\[roles] group.")
    ] = False,
) -> None:
    """Prove the wiring: every check with ✓/✗ and the fix; exit 1 if any check fails."""
    state: State = ctx.obj
    if not run(state, lambda: _doctor(state, probe=probe, login=login, all_groups=all_groups)):
        raise typer.Exit(1)


def _doctor(state: State, *, probe: bool, login: bool, all_groups: bool) -> bool:
    from cognito_privx import doctor as checks
    from cognito_privx import render

    if all_groups and not login:
        from cognito_privx.errors import UsageError

        raise UsageError("--all-groups goes with --login", "run `cognito-privx doctor --login --all-groups`")
    cfg = config(state)
    services = open_services(state, cfg)
    try:
        report = checks.run_checks(
            desired(state),
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
