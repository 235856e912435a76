"""A ``rule_template`` that widens every grant (issue 20, part 3) is taken only with
``[privx] allow_wide_rule_template = true``, and then ``plan`` says how many users each grant matches beyond its
group (PrivX's ``roles/evaluate``, answered by the emulator's LDAP-style matcher). Refused without the setting:
``tests/properties/test_group_spelling.py``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cognito_privx.sandbox.emulator import PrivXEmulator
from tests.support.constants import BASE_CONFIG

pytestmark = pytest.mark.usefixtures("aws")

# (template, users beyond group ops it matches with the users below: ann ops, bob ops-x, cy dev, dee no group)
WIDE = [
    ("(tags={group}*)", 1),  # bob
    ("(|(tags={group})(tags=*))", 2),  # bob, cy
    ("(!(tags={group}))", 3),  # bob, cy, dee
]


def _config(tmp_path: Path, template: str) -> Path:
    path = tmp_path / "wide.toml"
    extra = f"rule_template = {json.dumps(template)}\nallow_wide_rule_template = true\n"
    path.write_text(BASE_CONFIG.replace('button_title = "Cognito"\n', f'button_title = "Cognito"\n{extra}'))
    return path


@pytest.mark.parametrize(("template", "beyond"), WIDE)
def test_a_wide_template_with_the_setting_is_taken_and_plan_counts_the_users_beyond_the_group(
    cli: Any, tmp_path: Path, emulator: PrivXEmulator, template: str, beyond: int
) -> None:
    config = _config(tmp_path, template)
    first = cli("--config", str(config), "setup")
    assert first.exit_code == 0, first.stderr
    directory = next(s["id"] for s in emulator.sources.values() if s["name"] == "Cognito")
    for sub, group in (("ann", "ops"), ("bob", "ops-x"), ("cy", "dev"), ("dee", None)):
        claims = {"sub": sub, "email": f"{sub}@example.com", **({"custom:group": group} if group else {})}
        emulator.login_user(directory, claims)

    plan = cli("--config", str(config), "-o", "json", "plan")
    assert plan.exit_code == 0, plan.stderr
    ops = next(c for c in json.loads(plan.stdout)["changes"] if c["name"] == "ops-admins ← group ops")
    search = template.format(group="ops")
    assert f"{search} matches {beyond} user(s) beyond group ops today" in " ".join(ops["notes"]), ops
    text = cli("--config", str(config), "plan")
    assert f"matches {beyond} user(s) beyond group ops today" in text.stdout
