"""A plan and its changes as text: ``+ create``, ``~ update``, ``- delete`` before, the past tense after, and the
summaries of setup, teardown and plan."""

from __future__ import annotations

from rich.console import Console

from cognito_privx.plan import Action, Change, Plan
from cognito_privx.render.terminal import markup_text, markup_value, shown_value, stderr

_SYMBOL = {
    Action.CREATE: ("+", "green"),
    Action.UPDATE: ("~", "yellow"),
    Action.DELETE: ("-", "red"),
    Action.NOOP: ("=", "dim"),
}
_VERB_PLAN = {
    Action.CREATE: "create",
    Action.UPDATE: "update",
    Action.DELETE: "delete",
    Action.NOOP: "unchanged",
}
_DONE_OF = {"revoke": "revoked", "grant": "granted", "end": "ended"}
_VERB_DONE = {
    Action.CREATE: "created",
    Action.UPDATE: "updated",
    Action.DELETE: "deleted",
    Action.NOOP: "unchanged",
}


def change_lines(change: Change, *, done: bool) -> list[str]:
    if change.refused:  # ✗ create privx role developers: refused (403: needs roles-manage)
        verb = change.verb or (_VERB_PLAN[change.action] if change.action is not Action.NOOP else "change")
        what = f"{markup_value(change.resource)} [bold]{markup_value(change.name)}[/]"
        return [f"[red]✗ {markup_value(verb)}[/] {what}: {markup_text(change.refused)}"]
    symbol, colour = _SYMBOL[change.action]
    verb = (_VERB_DONE if done else _VERB_PLAN)[change.action]
    if change.verb:
        verb = _DONE_OF.get(change.verb, change.verb) if done else change.verb
    lines = [f"[{colour}]{symbol} {verb}[/] {markup_value(change.resource)} [bold]{markup_value(change.name)}[/]"]
    for f in change.fields:
        if change.action is Action.CREATE:
            lines.append(f"    {markup_value(f.field)}: {markup_value(shown_value(f.after))}")
        else:
            before, after = markup_value(shown_value(f.before)), markup_value(shown_value(f.after))
            lines.append(f"    {markup_value(f.field)}: {before} → {after}")
    lines.extend(f"    [yellow]![/] {markup_text(n)}" for n in change.notes)
    return lines


def change(change: Change, *, done: bool, out: Console | None = None) -> None:
    """One change's lines, on stderr unless ``out`` says otherwise."""
    target = out or stderr()
    for line in change_lines(change, done=done):
        target.print(line)


def stopped_summary(done: list[Change], command: str = "setup") -> str:
    """The closing line of a ``command`` (setup, teardown) that stopped half-way: what it had done before (a
    refused change is not counted)."""
    changed = [c for c in done if c.changed]
    if not changed:
        return "Stopped before changing anything."
    counts = {action: sum(1 for c in changed if c.action is action) for action in _VERB_DONE}
    parts = [f"{n} {_VERB_DONE[a]}" for a, n in counts.items() if n]
    return f"Stopped; done before that: {', '.join(parts)} (see the lines above). Run {command} again to finish."


def plan_text(plan: Plan, *, done: bool, out: Console | None = None) -> None:
    """The plan's lines, on stderr unless ``out`` says otherwise (``plan`` writes its plan to stdout)."""
    target = out or stderr()
    for change in plan.changes:
        for line in change_lines(change, done=done):
            target.print(line)


def setup_summary(plan: Plan, *, dry_run: bool) -> str:
    if not plan.has_changes:
        return "No changes: Cognito and PrivX already match the config."
    if dry_run:
        return f"Dry run, nothing changed. Would: {plan.summary()}."
    c = plan.count
    return (
        f"Setup complete: {c(Action.CREATE)} created, {c(Action.UPDATE)} updated, {c(Action.DELETE)} deleted or "
        f"revoked, {c(Action.NOOP)} unchanged."
    )


def teardown_summary(plan: Plan, *, dry_run: bool) -> str:
    deleted = plan.count(Action.DELETE)
    # What stays although it is ours (a rule in an ALL group, a role someone added to): never "all gone".
    kept = sum(1 for c in plan.changes if c.action is Action.NOOP and c.notes and c.notes[0] != "already gone")
    left = f"; {kept} left in place (see the notes above)" if kept else ""
    if not deleted:
        return f"Nothing to remove{left}." if kept else "Nothing to remove: everything is already gone."
    if dry_run:
        return f"Dry run, nothing changed. Would remove {deleted}{left}."
    return f"Teardown complete: {deleted} removed{left}."


def plan_summary(plan: Plan) -> str:
    if not plan.has_changes:
        return "No changes. Cognito and PrivX match the config."
    return f"Plan: {plan.summary()}."
