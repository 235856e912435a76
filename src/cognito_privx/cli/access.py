"""``access``: who has what, and why (:mod:`cognito_privx.access`): a table, one JSON document, or a CSV report."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cognito_privx.cli.root import State, app, check_output, config, desired, open_services, run, users_spec

if TYPE_CHECKING:
    from cognito_privx.access import AccessRow


@app.command("access")
def access(
    ctx: typer.Context,
    group: Annotated[
        str | None, typer.Option("--group", "-g", help="Only users of this \\[roles] group.", show_default=False)
    ] = None,
    include_rehearsal: Annotated[
        bool,
        typer.Option(
            "--include-rehearsal",
            help="Also show doctor --login's rehearsal identities, flagged rehearsal (never counted).",
        ),
    ] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Allow a --group that is not a \\[roles] key (finding the users of a group to rename)."
        ),
    ] = False,
    report: Annotated[
        Path | None,
        typer.Option(
            "--report",
            help="Also write the review as CSV here (one row per user; 0600; replaces an existing regular file, "
            "never a link, device or FIFO such as /dev/stdout).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Who has what, and why: every user's group, Cognito status, MFA, PrivX roles, live sessions and
    connections, with a flag for each mismatch (read-only)."""
    state: State = ctx.obj
    run(state, lambda: _access(state, group, include_rehearsal=include_rehearsal, report=report, force=force))


def _access(state: State, group: str | None, *, include_rehearsal: bool, report: Path | None, force: bool) -> None:
    from cognito_privx import render
    from cognito_privx.access import CsvReport, start_review
    from cognito_privx.cli.users import folding_note
    from cognito_privx.cognito import CognitoGateway
    from cognito_privx.users import PoolUsers, group_filter

    spec = users_spec(state)
    wanted = desired(state)
    if group is not None:  # as list-users: folded as PrivX compares, outside [roles] only with --force
        folding_note(group, group_filter(group, spec.role_groups, force=force))
    cfg = config(state)
    check_output(state, report, "the report")  # a link, a device, the config: exit 2 before any call
    services = open_services(state, cfg)  # the credentials and the CA checked: nothing called yet
    writer = CsvReport.open(report) if report is not None else None  # an unwritable path: exit 2, nothing read
    rows: list[AccessRow] = []
    stream = render.JsonRows(state.json)
    try:
        # The user side's calls retry throttling themselves (users.calls): botocore's own retries are off.
        gw = CognitoGateway.connect(spec.pool.region, state.profile, max_attempts=1)
        users = PoolUsers.open(gw.with_observer(services.counter.cognito), spec)
        with render.AccessProgress(users.description, show=not state.json) as progress:
            review = start_review(
                wanted,
                spec,
                users,
                services.privx,
                group=group,
                include_rehearsal=include_rehearsal,
                on_page=progress.advance,
            )
            for row in review:
                if writer is not None:
                    writer.write(row)
                if state.json:
                    stream.row(row.to_json())
                else:
                    rows.append(row)
        summary = review.summary(dict(services.counter.calls))
    except BaseException as e:
        stream.abort(e)
        raise
    finally:
        services.close()
        if writer is not None:
            writer.close()
    if state.json:
        stream.close(summary)
    else:
        render.access_table(rows, summary)
    if writer is not None:
        render.info(f"report written to {writer.path}")
