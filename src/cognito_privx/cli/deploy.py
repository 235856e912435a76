"""The wiring's life cycle: ``setup``, ``plan``, ``login-url``, ``teardown``, ``rotate-secret`` and ``init``."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cognito_privx.cli.root import State, app, config, desired, interactive, open_services, run, services_for_a_run

if TYPE_CHECKING:
    from collections.abc import Callable

    from cognito_privx.plan import Change
    from cognito_privx.reconcile import Result, Services

END_SESSIONS_HELP = (
    "End the live PrivX sessions and connections of the users who lose a role by a revoked grant, right after "
    "the revocation (without it they keep the role until PrivX refreshes their access token)."
)


def _setup(
    state: State,
    *,
    dry_run: bool,
    adopt: bool,
    plan_mode: bool,
    resend_secret: bool = False,
    end_sessions: bool = False,
) -> bool:
    """``setup``, or ``plan`` (``plan_mode``: the plan on stdout); whether changes are (or were) pending."""
    from cognito_privx import reconcile, render

    cfg = config(state)
    services, target = services_for_a_run(state, cfg)
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
            # Nothing to change: the run only reads and takes no lock (reconcile.converged); else it runs locked.
            quiet = None
            if done and not resend_secret:
                quiet = reconcile.converged(desired(state), services, adopt=adopt, end_sessions=end_sessions)
            if quiet is not None:
                result = quiet
                for change in quiet.plan.changes:
                    on_change(change)
            else:
                result = _locked_setup(
                    state,
                    services,
                    dry_run=dry_run or plan_mode,
                    adopt=adopt,
                    on_change=on_change,
                    resend_secret=resend_secret,
                    end_sessions=end_sessions,
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
    elif plan_mode:
        render.text(render.plan_summary(result.plan))
    else:
        render.info(render.setup_summary(result.plan, dry_run=dry_run))
        render.data(result.outputs.login_url)
    if result.error is not None:
        raise result.error  # every change is made and shown; the error says what is left (exit 1)
    return result.plan.has_changes


def _locked_setup(
    state: State,
    services: Services,
    *,
    dry_run: bool,
    adopt: bool,
    on_change: Callable[[Change], None],
    resend_secret: bool,
    end_sessions: bool,
) -> Result:
    """``setup`` (or its dry run, which takes no lock) under the run lock.
    When PrivX's directory must be updated and Cognito no longer shows the secret it holds
    (:class:`~cognito_privx.reconcile.SecretNeeded`), a fresh secret is issued first and the run made again."""
    from cognito_privx import reconcile, render

    with reconcile.run_lock(services, desired(state), dry_run=dry_run, note=render.info, warn=render.warning) as lock:
        fresh: tuple[str, str] | None = None
        for attempt in range(2):
            try:
                return reconcile.setup(
                    desired(state),
                    services,
                    dry_run=dry_run,
                    adopt=adopt,
                    on_change=on_change,
                    resend_secret=resend_secret and fresh is None,
                    lock=lock,
                    end_sessions=end_sessions,
                    fresh_secret=fresh,
                )
            except reconcile.SecretNeeded as need:
                if dry_run or attempt:
                    raise
                render.info(f"{need.message}: issuing a fresh one first (rotate-secret's steps)")
                fresh = _fresh_secret(state, services, lock, on_change)
    raise AssertionError("unreachable: the second attempt returns or raises")


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
    end_sessions: Annotated[bool, typer.Option("--end-sessions", help=END_SESSIONS_HELP)] = False,
) -> None:
    """Converge Cognito and PrivX to the config; the last line on stdout is the direct-login URL."""
    state: State = ctx.obj
    run(
        state,
        lambda: _setup(
            state,
            dry_run=dry_run,
            adopt=adopt,
            plan_mode=False,
            resend_secret=resend_secret,
            end_sessions=end_sessions,
        ),
    )


@app.command()
def plan(
    ctx: typer.Context,
    detailed_exitcode: Annotated[
        bool, typer.Option("--detailed-exitcode", help="Exit 3 when changes are pending, 0 when none.")
    ] = False,
    adopt: Annotated[bool, typer.Option("--adopt", help="Plan as if setup --adopt were run.")] = False,
    end_sessions: Annotated[
        bool, typer.Option("--end-sessions", help="Plan as if setup --end-sessions were run (count the sessions).")
    ] = False,
) -> None:
    """Show what setup would change, changing nothing."""
    state: State = ctx.obj
    pending = run(state, lambda: _setup(state, dry_run=True, adopt=adopt, plan_mode=True, end_sessions=end_sessions))
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
    if not run(state, lambda: _login_url(state, verify=verify)):
        raise typer.Exit(1)


def _login_url(state: State, *, verify: bool) -> bool:
    """``login-url``; whether the URL is good (always, without ``--verify``)."""
    from cognito_privx import cognito, reconcile, render
    from cognito_privx.privx import directlogin

    cfg = config(state)
    services = open_services(state, cfg)
    try:
        found = reconcile.direct_login_url(desired(state), services, verify=verify)
    finally:
        services.close()
    good = not verify or (found.working is not None and found.working.url == found.url and not found.no_domain)
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
        if verify and found.no_domain:
            render.problem(f"pool has no domain: {cognito.NO_DOMAIN}", cognito.NO_DOMAIN_FIX)
        elif verify and not good:
            render.problem(
                f"{found.url} does not lead to Cognito with the directory's client id and the PrivX callback",
                f"set {directlogin.setting_for(found.working.template)}"
                if found.working is not None
                else "compare [privx] login_url_template with the Direct Login URL in PrivX's directory settings",
            )
        render.data(found.url)
    return good


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
    run(
        state,
        lambda: _teardown(
            state, dry_run=dry_run, yes=yes, keep_pool=keep_pool, delete_adopted_pool=delete_adopted_pool
        ),
    )


def _teardown(state: State, *, dry_run: bool, yes: bool, keep_pool: bool, delete_adopted_pool: bool) -> None:
    """``teardown``: the confirmation asked once everything to delete is known."""
    from cognito_privx import reconcile, render
    from cognito_privx.errors import UsageError
    from cognito_privx.plan import Action

    def confirm(pending: list[Change]) -> bool:
        deletions = [c for c in pending if c.action is Action.DELETE]
        if yes:
            return True
        if not interactive():
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

    cfg = config(state)
    services, target = services_for_a_run(state, cfg)
    seen: list[Change] = []

    def on_change(change: Change) -> None:  # each deletion shown once it is made
        seen.append(change)
        render.change(change, done=True)

    live = not dry_run and not state.json
    try:
        with reconcile.run_lock(
            services, desired(state), dry_run=dry_run, note=render.info, warn=render.warning
        ) as lock:
            result = reconcile.teardown(
                desired(state),
                services,
                dry_run=dry_run,
                keep_pool=keep_pool,
                delete_adopted_pool=delete_adopted_pool,
                confirm=confirm,
                lock=lock,
                on_change=on_change if live else None,
            )
    except (Exception, KeyboardInterrupt):
        if seen:
            render.info(render.stopped_summary(seen, "teardown"))
        raise
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
    if not live:
        render.plan_text(result.plan, done=not dry_run)
    render.info(render.teardown_summary(result.plan, dry_run=dry_run))


def _fresh_secret(state: State, services: Any, lock: Any, on_change: Callable[[Change], None]) -> tuple[str, str]:
    """A new client secret PrivX already holds, for a setup that must update the directory while Cognito does
    not return the current secret's value (``reconcile.SecretNeeded``): rotate-secret's steps (add, prove, hand
    over, delete the old), twice when the first only finishes an interrupted rotation (its value was lost)."""
    from cognito_privx import rotation

    for _ in range(2):
        done = rotation.rotate_secret(
            desired(state), services, http_transport=state.seams.http_transport, on_change=on_change, lock=lock
        )
        if done.value is not None:
            return done.secret_id, done.value
    raise AssertionError("a rotation that adds a secret returns its value")  # pragma: no cover


@app.command("rotate-secret")
def rotate_secret(
    ctx: typer.Context,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask; rotate now.")] = False,
) -> None:
    """Replace the app client's secret without downtime: add one, prove it, hand it to PrivX, delete the old."""
    state: State = ctx.obj
    run(state, lambda: _rotate_secret(state, yes=yes))


def _rotate_secret(state: State, *, yes: bool) -> None:
    """``rotate-secret``, confirmed unless ``--yes``."""
    from cognito_privx import reconcile, render, rotation
    from cognito_privx.errors import UsageError

    def confirm(summary: str) -> bool:
        if yes:
            return True
        if not interactive():
            raise UsageError(
                "rotate-secret needs a confirmation; nothing was changed",
                "run it in a terminal to confirm, or pass --yes",
            )
        render.info(summary)
        try:
            return typer.confirm("Rotate now?", err=True)
        except typer.Abort:
            return False

    cfg = config(state)
    services, target = services_for_a_run(state, cfg)
    try:
        with reconcile.run_lock(services, desired(state), note=render.info, warn=render.warning) as lock:
            done = rotation.rotate_secret(
                desired(state),
                services,
                http_transport=state.seams.http_transport,
                confirm=confirm,
                on_change=None if state.json else lambda change: render.change(change, done=True),
                lock=lock,
            )
    finally:
        services.close()
    if state.json:
        render.json_document({"target": target.to_json(), **done.to_json()})
        return
    render.info(f"PrivX holds client secret {done.secret_id}; rotated in {done.seconds:.2f} s")


@app.command()
def init(
    ctx: typer.Context,
    privx_url: Annotated[
        str | None, typer.Option("--privx-url", help="PrivX's base URL, like https://privx.example.com.")
    ] = None,
    pool_name: Annotated[str | None, typer.Option("--pool-name", help="The user pool's name (default privx).")] = None,
    domain_prefix: Annotated[
        str | None,
        typer.Option(
            "--domain-prefix",
            help="The hosted-UI domain prefix, where users sign in (default: derived from the pool name, like "
            'privx-3fa9c1; "" for none: then nobody can sign in until one is set).',
        ),
    ] = None,
) -> None:
    """Write a commented starter config file (--config, else ./cognito-privx.toml); never overwrites one.

    Values come from the flags (and --region); on a terminal, what is missing is asked for, each answer checked as
    it is given. Left out, region and URL stay commented out, for AWS_REGION and PRIVX_API_BASE_URL to fill in."""
    state: State = ctx.obj
    run(state, lambda: _init(state, privx_url=privx_url, pool_name=pool_name, domain_prefix=domain_prefix))


def _init(state: State, *, privx_url: str | None, pool_name: str | None, domain_prefix: str | None) -> None:
    """``init``: the starter file from the flags, and on a terminal from the answers."""
    from cognito_privx import render
    from cognito_privx.config import (
        DEFAULT_CONFIG_FILE,
        answer_problem,
        derive_domain_prefix,
        starter_toml,
        write_starter,
    )
    from cognito_privx.errors import UsageError

    path = state.config_path or Path(DEFAULT_CONFIG_FILE)
    if path.exists():  # before any question; write_starter checks again, atomically
        raise UsageError(
            f"{path} exists already; nothing was written",
            "edit it, or write another file with `cognito-privx --config NEW.toml init`",
        )
    answers: dict[str, str | None] = {
        "region": state.region,
        "privx_url": privx_url,
        "pool_name": pool_name,
        "domain_prefix": domain_prefix,
    }
    if interactive():

        def ask(key: str, question: str, default: str) -> None:
            """Ask until the answer passes the config's own check; the answers before it are kept."""
            while True:
                answer = str(typer.prompt(question, default=default, show_default=bool(default), err=True)).strip()
                if key == "domain_prefix" and answer.lower() == "none":
                    answer = ""
                problem = answer_problem(**{**answers, key: answer})
                if problem is None:
                    answers[key] = answer
                    return
                render.problem(problem, "try again (Ctrl-C to stop; nothing is written until the end)")

        if not answers["region"]:
            ask("region", "AWS region", os.environ.get("AWS_REGION", ""))
        if not answers["privx_url"]:
            # No example URL as a default: an example written into the file would point setup at nobody's PrivX.
            ask(
                "privx_url",
                "PrivX URL (empty: PRIVX_API_BASE_URL fills it in)",
                os.environ.get("PRIVX_API_BASE_URL", ""),
            )
        if not answers["pool_name"]:
            ask("pool_name", "User pool name", "privx")
        if answers["domain_prefix"] is None:
            suggested = derive_domain_prefix(answers["pool_name"] or "privx")
            ask("domain_prefix", "Hosted-UI domain prefix, where users sign in ('none': no domain)", suggested)
    if answers["domain_prefix"] is None:
        answers["domain_prefix"] = derive_domain_prefix(answers["pool_name"] or "privx")
    if not answers["domain_prefix"]:
        render.warning("no domain prefix: nobody can sign in until [cognito] domain_prefix is set and setup has run")
    text = starter_toml(
        region=answers["region"] or None,
        privx_url=answers["privx_url"] or None,
        pool_name=answers["pool_name"] or "privx",
        domain_prefix=answers["domain_prefix"] or "",
    )
    write_starter(path, text)
    if state.json:
        render.json_document({"written": str(path)})
    else:
        render.info(f"wrote {path}: add your groups under [roles], then run `cognito-privx plan`")
