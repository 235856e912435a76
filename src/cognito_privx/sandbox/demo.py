"""The demo: the whole story against an in-process sandbox, no AWS account, no PrivX, no network.

It drives the same core functions as the commands do and hands every result to a :class:`Narrator`
(implemented in ``render``), so nothing here prints.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from cognito_privx.doctor import Report
from cognito_privx.plan import Plan
from cognito_privx.reconcile import Outputs
from cognito_privx.users import UserInfo, UserResult

DEMO_CONFIG = """\
[cognito]
pool_name = "privx-demo"
group_attribute = "group"
app_client_name = "privx"
domain_prefix = "demo-privx"

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


def run_demo(narrator: Narrator) -> Outputs:
    """Run the story; returns the final outputs (the direct-login URL among them)."""
    from cognito_privx import reconcile
    from cognito_privx.config import load_config, load_credentials
    from cognito_privx.sandbox.runner import Sandbox

    with Sandbox() as sandbox, tempfile.TemporaryDirectory(prefix="cognito-privx-demo-") as tmp:
        narrator.step(
            "Sandbox",
            f"Cognito stand-in (moto server) at {sandbox.moto_url}\nPrivX emulator at {sandbox.privx_url}",
        )
        config_path = Path(tmp) / "cognito-privx.toml"
        config_path.write_text(DEMO_CONFIG, encoding="utf-8")
        with _environment(sandbox.env()):
            cfg = load_config(config_path)
            creds = load_credentials()

            def run_setup(dry_run: bool) -> reconcile.Result:
                services = reconcile.open_services(cfg, creds)
                try:
                    return reconcile.setup(cfg, services, dry_run=dry_run)
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

            users = PoolUsers.open(CognitoGateway.connect(cfg.region, max_attempts=1), cfg)
            narrator.step(
                "cognito-privx add-user alice@example.com --group ops",
                "Users log in with their email; their group becomes custom:group, which PrivX roles match on:",
            )
            narrator.user(users.add(UserRow("alice@example.com", "ops", "Alice"), invite=False))
            narrator.user(users.add(UserRow("bob@example.com", "dev", "Bob"), invite=False))
            narrator.user(users.add(UserRow("alice@example.com", "ops", "Alice"), invite=False))
            narrator.step("cognito-privx list-users", "Who is in the pool:")
            narrator.users(users.list())

            # PrivX knows an OIDC user only after a first login; the sandbox's PrivX records Alice's, with the
            # claims her ID token carries, so doctor can check the role rules against a real user.
            alice = users.find("alice@example.com")
            narrator.note("Alice signs in once through Cognito; PrivX now knows her, with the tag 'ops'.")
            sandbox.emulator.login_user(
                second.outputs.directory_id,
                {"sub": _sub_of(alice), "email": "alice@example.com", "custom:group": "ops"},
            )

            from cognito_privx.doctor import run_checks

            narrator.step(
                "cognito-privx doctor --probe",
                "Prove the chain end to end, down to a real ID token for a temporary test user:",
            )
            services = reconcile.open_services(cfg, creds)
            try:
                narrator.doctor(run_checks(cfg, services.cognito, services.privx, probe=True))
            finally:
                services.close()
            narrator.outputs(second.outputs)
    return second.outputs


def _sub_of(user: Mapping[str, Any] | None) -> str:
    """The Cognito ``sub`` of an ``AdminGetUser`` answer."""
    for attribute in (user or {}).get("UserAttributes", []):
        if attribute.get("Name") == "sub":
            return str(attribute.get("Value"))
    return str((user or {}).get("Username", ""))
