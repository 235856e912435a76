"""One user at a time: ``add-user``, ``set-group``, ``resend-invite``, ``disable-user``, ``enable-user``,
``remove-user`` and ``list-users``; the arguments and options they share (``import-users`` too)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from cognito_privx.cli.passwords import FLAG_WARNING, PasswordSources
from cognito_privx.cli.root import State, app, interactive, open_users, run, users_spec

if TYPE_CHECKING:
    from cognito_privx import users as users_module
    from cognito_privx.desired import UsersSpec
    from cognito_privx.users import UserResult

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
KeepSessionsOpt = Annotated[
    bool,
    typer.Option(
        "--keep-sessions",
        help="Do not end the user's sessions: without it, when they are disabled, removed or lose a group, Cognito's "
        "AdminUserGlobalSignOut revokes their refresh tokens (access tokens live until they expire), then their "
        "PrivX login sessions and open connections in this pool's directory are ended (needs PRIVX_API_* "
        "credentials).",
    ),
]


def _user_row(
    email: str, groups: list[str], spec: UsersSpec, *, force: bool, name: str | None = None
) -> users_module.UserRow:
    """The checked address and group(s) of a user command, before any call: several groups only in
    ``cognito:groups`` mode."""
    from cognito_privx.errors import UsageError
    from cognito_privx.users import UserRow, require_distinct_groups, validate_email, validate_group, validate_name

    address = validate_email(email)
    name = validate_name(name)
    require_distinct_groups(list(dict.fromkeys(groups)))  # first: the error names both spellings
    checked = tuple(dict.fromkeys(validate_group(g, spec.role_groups, force=force) for g in groups))
    if len(checked) > 1 and not spec.native_groups:
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
            help="Initial password (else Cognito makes one); must meet the pool's policy. Visible to every local "
            "user in `ps` and kept in the shell history (a warning says so): prefer --temporary-password-prompt, "
            "--temporary-password-stdin or COGNITO_PRIVX_TEMPORARY_PASSWORD. Never printed. For a user whose "
            "invitation is pending, replaces their temporary password.",
            show_default=False,
        ),
    ] = None,
    password_prompt: Annotated[
        bool,
        typer.Option(
            "--temporary-password-prompt",
            help="Ask for the initial password on the terminal, hidden, twice.",
        ),
    ] = False,
    password_stdin: Annotated[
        bool,
        typer.Option(
            "--temporary-password-stdin",
            help="Read the initial password from stdin (its first line), e.g. from a password manager. "
            "COGNITO_PRIVX_TEMPORARY_PASSWORD in the environment is a third way.",
        ),
    ] = False,
    no_invite: Annotated[bool, typer.Option("--no-invite", help="Do not send Cognito's invitation email.")] = False,
    force: ForceOpt = False,
    attribute: Annotated[
        list[str] | None,
        typer.Option(
            "--attribute",
            help="NAME=VALUE: a further user attribute set when the user is created, e.g. one the pool's schema "
            "requires (--attribute family_name=Smith). Repeat for several.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Create the user with group G, or bring an existing user to group G (idempotent). With a temporary password,
    also gives one to a user who has none of their own (not signed in yet, or RESET_REQUIRED: imported or reset)."""
    state: State = ctx.obj
    run(
        state,
        lambda: _add_user(
            state,
            email,
            group,
            name=name,
            password=PasswordSources(temporary_password, prompt=password_prompt, stdin=password_stdin),
            no_invite=no_invite,
            force=force,
            attribute=attribute or [],
        ),
    )


def _add_user(
    state: State,
    email: str,
    group: list[str],
    *,
    name: str | None,
    password: PasswordSources,
    no_invite: bool,
    force: bool,
    attribute: list[str],
) -> None:
    from dataclasses import replace

    from cognito_privx import render
    from cognito_privx.errors import UsageError
    from cognito_privx.users import password_problems
    from cognito_privx.users.pool_rules import parse_attributes

    password.check()
    if password.given and no_invite:
        raise UsageError(
            f"a temporary password ({password.where}) and --no-invite do not go together",
            "the invitation carries the temporary password; give one of the two",
        )
    spec = users_spec(state)
    row = _user_row(email, group, spec, force=force, name=name)
    row = replace(row, attributes=parse_attributes(attribute, spec.attribute_name))
    temporary_password = password.read(interactive)
    users = open_users(state)
    if temporary_password is not None:
        problems = password_problems(temporary_password, users.password_policy())
        if problems:
            raise UsageError(
                "the temporary password does not meet the pool's password policy",
                "it needs " + ", ".join(problems),
            )
    if password.flag is not None:  # once the command goes ahead (a bad argument's error stays the first line)
        render.warning(FLAG_WARNING)
    _show(state, users.add(row, invite=not no_invite, temporary_password=temporary_password))


@app.command("set-group")
def set_group(
    ctx: typer.Context,
    email: EmailArg,
    group: GroupsOpt,
    force: ForceOpt = False,
    keep_sessions: KeepSessionsOpt = False,
) -> None:
    """Change an existing user's group; a user who loses a group is signed out of Cognito (refresh tokens revoked)
    and their PrivX sessions and connections are ended."""
    state: State = ctx.obj
    run(state, lambda: _set_group(state, email, group, force=force, keep_sessions=keep_sessions))


def _set_group(state: State, email: str, group: list[str], *, force: bool, keep_sessions: bool) -> None:
    row = _user_row(email, group, users_spec(state), force=force)
    _show(state, open_users(state, keep_sessions=keep_sessions).add(row, create=False))


@app.command("resend-invite")
def resend_invite(ctx: typer.Context, email: EmailArg) -> None:
    """Send the invitation email again to a user who has not signed in yet (a new temporary password)."""
    state: State = ctx.obj
    run(state, lambda: _resend_invite(state, email))


def _resend_invite(state: State, email: str) -> None:
    from cognito_privx.users import validate_email

    users_spec(state)  # the config first: a bad config is reported before a bad argument
    address = validate_email(email)
    _show(state, open_users(state).resend_invite(address))


@app.command("reset-password")
def reset_password(ctx: typer.Context, email: EmailArg) -> None:
    """Send Cognito's password-reset code to a user (AdminResetUserPassword): they enter it with a new password at
    their next sign-in. Needs self-service account recovery in the pool and a verified email or phone; in a pool
    whose recovery is admin-only, it says to set a temporary password with add-user instead."""
    state: State = ctx.obj
    run(state, lambda: _reset_password(state, email))


def _reset_password(state: State, email: str) -> None:
    from cognito_privx.users import validate_email

    users_spec(state)  # the config first: a bad config is reported before a bad argument
    address = validate_email(email)
    _show(state, open_users(state).reset_password(address))


def _set_enabled(state: State, email: str, enabled: bool, *, keep_sessions: bool = False) -> None:
    from cognito_privx.users import validate_email

    users_spec(state)  # the config first: a bad config is reported before a bad argument
    address = validate_email(email)
    _show(state, open_users(state, keep_sessions=keep_sessions).set_enabled(address, enabled))


@app.command("disable-user")
def disable_user(ctx: typer.Context, email: EmailArg, keep_sessions: KeepSessionsOpt = False) -> None:
    """Disable a user and sign them out of Cognito and PrivX: no new sign-in; their Cognito refresh tokens are
    revoked (access tokens already issued work until they expire, at most the app client's access-token validity);
    their PrivX login sessions and open connections through this pool's directory are ended. Nothing is deleted."""
    state: State = ctx.obj
    run(state, lambda: _set_enabled(state, email, False, keep_sessions=keep_sessions))


@app.command("enable-user")
def enable_user(ctx: typer.Context, email: EmailArg) -> None:
    """Enable a disabled user. Tokens ended by disable-user stay ended: the user signs in anew."""
    state: State = ctx.obj
    run(state, lambda: _set_enabled(state, email, True))


@app.command("remove-user")
def remove_user(
    ctx: typer.Context,
    email: EmailArg,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    keep_sessions: KeepSessionsOpt = False,
) -> None:
    """Sign a user out (Cognito refresh tokens revoked, PrivX sessions and connections ended) and delete them from
    the pool (asks first)."""
    state: State = ctx.obj
    run(state, lambda: _remove_user(state, email, yes=yes, keep_sessions=keep_sessions))


def _remove_user(state: State, email: str, *, yes: bool, keep_sessions: bool) -> None:
    from cognito_privx.errors import UsageError
    from cognito_privx.users import validate_email

    users_spec(state)  # the config first: a bad config is reported before a bad argument
    address = validate_email(email)
    users = open_users(state, keep_sessions=keep_sessions)
    # The look-up that will also confirm the removal: in a legacy case-sensitive pool it finds the user in
    # any capitalisation (and refuses when two users differ only in case).
    user = users.find(address)
    if user is None:
        _show(state, users.remove(address, user=None))  # "no such user", without a second look-up
        return
    if not yes and not interactive():
        raise UsageError(
            f"remove-user needs a confirmation; {address} was not removed",
            "run it in a terminal to confirm, or pass --yes",
        )
    if not yes:
        shown = next((a["Value"] for a in user.get("UserAttributes", []) if a["Name"] == "email"), address)
        try:
            from cognito_privx.render import printable

            question = f"Delete {printable(shown)} from user pool {printable(users.pool_id)}?"
            confirmed = typer.confirm(question, err=True)
        except typer.Abort:
            confirmed = False
        if not confirmed:
            raise UsageError(f"{address} was not removed", "answer y, or pass --yes")
    _show(state, users.remove(address, user=user))


@app.command("end-sessions")
def end_sessions(
    ctx: typer.Context,
    emails: Annotated[list[str], typer.Argument(help="The users' email addresses (one or more).", show_default=False)],
) -> None:
    """End these people's sessions now, changing nothing else: each is signed out of Cognito (refresh tokens
    revoked) when the pool has them, and their PrivX login sessions and open connections in this pool's directory
    are ended (also when their Cognito user is gone: found by email). Needs PRIVX_API_* credentials."""
    state: State = ctx.obj
    run(state, lambda: _end_sessions(state, emails))


def _end_sessions(state: State, emails: list[str]) -> None:
    from cognito_privx import render
    from cognito_privx.users import validate_email

    users_spec(state)  # the config first: a bad config is reported before a bad argument
    addresses = list(dict.fromkeys(validate_email(e) for e in emails))  # all checked before any call
    users = open_users(state)
    results = []
    try:
        for address in addresses:
            result = users.end_sessions(address)
            results.append(result)
            if not state.json:
                render.user_result(result)
    finally:
        if state.json and results:
            render.json_document({"results": [r.to_json() for r in results]})


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
    run(state, lambda: _list_users(state, group, status, force=force))


def _list_users(state: State, group: str | None, status: str | None, *, force: bool) -> None:
    """The pool's users streamed as ``ListUsers`` pages come (issue 24): the first row after the first page, in
    Cognito's order (not sorted), memory flat in the number of users; the text table row by row
    (:class:`~cognito_privx.render.UsersTable`), ``-o json`` as ``{"users": [...]}`` written as rows come. The
    group shown is the one the configured ``group_claim`` reads (the native ``[roles]`` groups' members are read
    first); users whose groups live elsewhere are a warning at the end, from the same listing."""
    import contextlib
    from dataclasses import replace

    from cognito_privx import render
    from cognito_privx.config import fold_group
    from cognito_privx.errors import UsageError
    from cognito_privx.reconcile import migration
    from cognito_privx.users import STATUS_MEANING, UserInfo, group_filter
    from cognito_privx.users.lookup import listing_keeps

    spec = users_spec(state)
    # With --force any group is looked for, also one outside today's safe names (a read: it finds the users of a
    # group to rename); a spelling of a [roles] key is that key (folded, as PrivX compares).
    configured = None if group is None else group_filter(group, spec.role_groups, force=force)
    wanted = None if status is None else status.strip().upper()
    if wanted is not None and wanted not in STATUS_MEANING:
        raise UsageError(
            f"unknown user status {status!r}",
            "give one of " + ", ".join(STATUS_MEANING) + " (see `cognito-privx list-users --help`)",
        )
    users = open_users(state)
    surveyor = migration.Surveyor(
        users.gw,
        users.call,
        users.pool_id,
        attribute=spec.attribute_name,
        role_groups=spec.role_groups,
        native=spec.native_groups,
        keep_read=False,
    )
    folded = None if group is None else fold_group(group)
    spelled = _OtherSpellings(configured or group) if group is not None else None
    stream = render.JsonRows(state.json, key="users")
    try:
        with render.UsersTable() if not state.json else contextlib.nullcontext() as table:
            for page in users.lookup.user_pages():
                for raw in page:
                    info = UserInfo.from_cognito(raw, spec.attribute_name)
                    claimed = surveyor.observe(raw) if surveyor.anyone_can_be_behind else ()
                    if spec.native_groups:  # the groups cognito:groups carries: the native [roles] ones
                        info = replace(info, group=",".join(claimed) or None)
                    if not listing_keeps(info, folded, wanted):
                        continue
                    if spelled is not None:
                        spelled.see(info.email, (info.group or "").split(","))
                    if table is not None:
                        table.row(info)
                    else:
                        stream.row(info.to_json())
    except BaseException as e:
        stream.abort(e)
        raise
    stream.close()
    warning = migration.behind_warning(surveyor.result())
    if warning:
        render.warning(warning)
    if group is not None:
        folding_note(group, configured)
        if spelled is not None:
            spelled.note()


class _OtherSpellings:
    """``list-users --group``: the users listed whose group is stored in another spelling than ``shown`` (PrivX
    matches it folded all the same), for a note at the end."""

    def __init__(self, shown: str) -> None:
        from cognito_privx.config import fold_group

        self.shown, self._wanted, self._fold = shown, fold_group(shown), fold_group
        self.emails: set[str] = set()
        self.spellings: set[str] = set()

    def see(self, email: str, groups: list[str]) -> None:
        for g in groups:
            if g != self.shown and self._fold(g) == self._wanted:
                self.emails.add(email)
                self.spellings.add(g)

    def note(self) -> None:
        from cognito_privx import render

        if self.emails:
            render.info(
                f"note: {len(self.emails)} user(s) listed have the group spelled otherwise "
                f"({', '.join(sorted(self.spellings))}); PrivX gives them the roles of {self.shown} all the same: "
                f"move them to {self.shown} with set-group"
            )


def folding_note(group: str, configured: str | None) -> None:
    """Say on stderr when a listing's ``--group`` is a [roles] key spelled otherwise (list-users, access)."""
    from cognito_privx import render

    if configured is not None and configured != group:
        render.info(
            f"note: --group {group} matched [roles] group {configured} (PrivX compares groups ignoring case and "
            "Unicode width)"
        )
