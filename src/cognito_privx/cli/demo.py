"""The demo: the whole story against an in-process sandbox, no AWS account, no PrivX, no network.

It drives the same core functions as the commands do (a client of the core, like the rest of ``cli``) and hands
every result to a :class:`Narrator` (implemented in ``render``), so nothing here prints.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from cognito_privx.doctor import Report
from cognito_privx.plan import Plan
from cognito_privx.reconcile import Outputs
from cognito_privx.users import UserInfo, UserResult

if TYPE_CHECKING:
    from cognito_privx.sandbox.runner import Sandbox

DEMO_CONFIG = """\
[cognito]
pool_name = "privx-demo"
group_attribute = "group"
app_client_name = "privx"
domain_prefix = "demo-privx"
mfa = "optional"                # users may enrol TOTP; "required" for production (see docs/security.md)

[privx]
directory_name = "Cognito"
button_title = "Cognito"

[roles]
ops = "ops-admins"
dev = "developers"
"""


class Narrator(Protocol):
    def step(self, title: str, text: str) -> None: ...
    def plan(self, plan: Plan, *, done: bool) -> None: ...
    def note(self, text: str) -> None: ...
    def outputs(self, outputs: Outputs) -> None: ...
    def user(self, result: UserResult) -> None: ...
    def users(self, users: list[UserInfo]) -> None: ...
    def doctor(self, report: Report) -> None: ...


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def run_demo(narrator: Narrator, *, wait: Callable[[], None] | None = None) -> Outputs:
    """Run the story; returns the final outputs (the direct-login URL among them). With ``wait`` (a person at a
    terminal), the sandbox keeps running until ``wait`` returns (Ctrl-C), so the URL can be opened in a browser."""
    from cognito_privx import reconcile
    from cognito_privx.config import load_config, load_credentials
    from cognito_privx.desired import DesiredState, UsersSpec
    from cognito_privx.files import create_private
    from cognito_privx.sandbox.runner import Sandbox

    with Sandbox() as sandbox, tempfile.TemporaryDirectory(prefix="cognito-privx-demo-") as tmp:
        narrator.step(
            "Sandbox",
            f"Cognito stand-in (moto server) at {sandbox.moto_url}\nPrivX emulator at {sandbox.privx_url}",
        )
        config_path = Path(tmp) / "cognito-privx.toml"
        create_private(config_path, DEMO_CONFIG)
        with _environment(sandbox.env()):
            cfg = load_config(config_path)
            desired = DesiredState.from_config(cfg)  # once for the whole story
            creds = load_credentials()

            def run_setup(dry_run: bool) -> reconcile.Result:
                services = reconcile.open_services(cfg, creds)
                try:
                    return reconcile.setup(desired, services, dry_run=dry_run)
                finally:
                    services.close()

            narrator.step("cognito-privx plan", "What setup would do, before it does anything:")
            planned = run_setup(dry_run=True)
            narrator.plan(planned.plan, done=False)

            narrator.step("cognito-privx setup", "Create the user pool, app client, domain and PrivX directory:")
            first = run_setup(dry_run=False)
            narrator.plan(first.plan, done=True)

            narrator.step("cognito-privx setup (again)", "Every step is idempotent; a second run changes nothing:")
            second = run_setup(dry_run=False)
            narrator.plan(second.plan, done=True)
            writes = second.calls.get("cognito_writes", 0) + second.calls.get("privx_writes", 0)
            narrator.note(
                f"{'No changes' if not second.plan.has_changes else 'Changes!'}; "
                f"{writes} write calls, {second.calls.get('cognito_reads', 0)} Cognito reads, "
                f"{second.calls.get('privx_reads', 0)} PrivX reads."
            )

            from cognito_privx.cognito import CognitoGateway
            from cognito_privx.users import PoolUsers, UserRow

            users = PoolUsers.open(CognitoGateway.connect(cfg.region, max_attempts=1), UsersSpec.from_config(cfg))
            narrator.step(
                "cognito-privx add-user alice@example.com --group ops",
                "Users log in with their email; their group becomes custom:group, which PrivX roles match on:",
            )
            narrator.user(users.add(UserRow("alice@example.com", "ops", "Alice"), invite=False))
            narrator.user(users.add(UserRow("bob@example.com", "dev", "Bob"), invite=False))
            narrator.user(users.add(UserRow("alice@example.com", "ops", "Alice"), invite=False))
            narrator.step("cognito-privx list-users", "Who is in the pool:")
            narrator.users(users.list())

            narrator.step(
                "Alice signs in",
                "Through the direct-login URL: PrivX sends her to Cognito's sign-in page, Cognito back to PrivX "
                "with a code, PrivX checks her ID token and gives her the roles of her group:",
            )
            alice = users.find("alice@example.com")
            assert alice is not None  # added just above
            users.gw.call(
                "admin_set_user_password",
                UserPoolId=users.pool_id,
                Username=alice["Username"],
                Password=DEMO_PASSWORD,
                Permanent=True,
            )
            narrator.note(_sign_in(second.outputs.login_url, "alice@example.com", sandbox))

            from cognito_privx.doctor import run_checks

            narrator.step(
                "cognito-privx doctor --probe",
                "Prove the chain end to end, down to a real ID token for a temporary test user:",
            )
            services = reconcile.open_services(cfg, creds)
            try:
                narrator.doctor(run_checks(desired, services.cognito, services.privx, probe=True))
            finally:
                services.close()
            narrator.outputs(second.outputs)
            if wait is not None:
                narrator.note(
                    f"The sandbox keeps running: open the URL above in a browser and sign in as alice@example.com "
                    f"with the password {DEMO_PASSWORD}. Press Ctrl-C to stop it."
                )
                wait()
            else:
                narrator.note("Not a terminal: the sandbox stops now (run `cognito-privx demo` in one to keep it up).")
    return second.outputs


# The demo user's password: printed, so a person can sign in to the throwaway sandbox in a browser.
DEMO_PASSWORD = "Demo-Passw0rd!"


def _sign_in(url: str, email: str, sandbox: Sandbox) -> str:
    """Walk the direct-login URL as a browser without JavaScript would; what PrivX then gives the user."""
    import httpx

    from cognito_privx.doctor.login import walk

    with httpx.Client(timeout=30) as browser:
        seen = walk(browser, url, email, DEMO_PASSWORD)
    record = next((x for x in reversed(sandbox.emulator.logins) if x.get("email") == email), None)
    if record is None or record.get("error"):
        last = seen.hops[-1] if seen.hops else (0, url)
        return f"{email} could not sign in: {(record or {}).get('error') or f'HTTP {last[0]} at {last[1]}'}"
    return f"{email} signed in through Cognito; PrivX gives her: {', '.join(record['roles']) or 'no role'}"
