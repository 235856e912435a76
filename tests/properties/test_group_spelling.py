"""One group, one spelling (issue 20, part 3): groups that differ only in case or Unicode folding, group names
outside the safe character set, role names with control characters, and rule templates that widen every grant.

PrivX's rule matcher is LDAP-style, and an LDAP matcher compares directory strings ignoring case (our emulator
casefolds; RFC 4518 string preparation also applies NFKC), so ``ops``, ``OPS``, ``opſ`` and ``ｏｐｓ`` would be one
group to PrivX but several to the tool. Every case here is bad input, held to the rules of
``test_bad_input.py`` (exit 2, one ``error:`` line naming what is wrong and a ``hint:``, no call to AWS or PrivX,
nothing changed), through that module's harness.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cognito_privx.sandbox.emulator import PrivXEmulator
from tests.properties.test_bad_input import ADD, BAD_ROWS, BASE_CONFIG, IMPORT, PLAN, SETUP, C, Case, csv, edit
from tests.properties.test_bad_input import test_bad_input_exits_2_with_error_and_hint_and_calls_nothing as harness

pytestmark = pytest.mark.usefixtures("aws", "emulator")

# The spellings of ``ops`` that an LDAP-style matcher takes for ``ops``: case, the long s (U+017F, which NFKC and
# casefold both turn into "s"), and full-width letters (U+FF4F U+FF50 U+FF53, which NFKC turns into ASCII).
SPELLINGS = ("OPS", "Ops", "op\u017f", "\uff4f\uff50\uff53")
NO_OPS = BASE_CONFIG.replace('ops = "ops-admins"\n', "")
NATIVE = edit("cognito", "group_claim", '"cognito:groups"')
WIDENING = (
    "(tags={group}*)",
    "(tags=*{group})",
    "(|(tags={group})(tags=*))",
    "(!(tags={group}))",
    "(&(tags={group})(!(email=x)))",
    "(tags>={group})",
    "(tags~={group})",
    "(tags:caseExactMatch:={group})",
    "{group}*",
)


def _toml(value: str) -> str:
    """A TOML basic string of ``value`` (non-ASCII written as \\u escapes, so the file is plain ASCII)."""
    return (
        '"'
        + "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else f"\\u{ord(c):04x}" for c in value)
        + '"'
    )


def _roles(extra: str, text: str = BASE_CONFIG) -> str:
    """``text`` with ``extra`` as the last line of its ``[roles]`` (after ``ops`` and ``dev``)."""
    return f"{text}{extra}\n"


def case(id: str, args: tuple[str, ...], message: str, **kwargs: Any) -> Any:
    return pytest.param(Case(args, message, **kwargs), id=id)


# fmt: off
CASES = [
    # -- [roles]: two keys that are one group to PrivX ---------------------------------------------------------------
    *(case(f"roles-collide-{i}", cmd, f"'ops' and {s!r} are one group",
           config=_roles(f'{_toml(s)} = "other-admins"'))
      for i, s in enumerate(SPELLINGS) for cmd in (SETUP, PLAN)),
    *(case(f"roles-collide-native-{i}", SETUP, f"'ops' and {s!r} are one group",
           config=_roles(f'{_toml(s)} = "ops-admins"', NATIVE)) for i, s in enumerate(SPELLINGS)),
    # -- [roles]: a group name outside the safe set, alone ----------------------------------------------------------
    case("roles-long-s", SETUP, "'op\u017f' is not a valid group name", config=_roles('"op\\u017f" = "x"', NO_OPS)),
    case("roles-full-width", SETUP, "is not a valid group name",
         config=_roles('"\\uff4f\\uff50\\uff53" = "x"', NO_OPS)),
    case("roles-accented", SETUP, "'caf\u00e9' is not a valid group name", config=_roles('"caf\\u00e9" = "x"')),
    case("roles-ldap-star", SETUP, "is not a valid group name", config=_roles('"ops*" = "x"')),
    case("roles-ldap-paren", SETUP, "is not a valid group name", config=_roles('"ops)(x" = "x"')),
    case("roles-backslash", SETUP, "is not a valid group name", config=_roles('"ops\\\\5c" = "x"')),
    # -- role names and comments without control characters ---------------------------------------------------------
    case("role-name-escape", SETUP, "control character", config=_roles('qa = "qa\\u001b[31m-admins"')),
    case("role-name-bidi", SETUP, "control character", config=_roles('qa = "qa\\u202eadmins"')),
    case("role-name-newline", SETUP, "control character", config=_roles('qa = "qa\\nadmins"')),
    case("role-comment-escape", SETUP, "control character",
         config=BASE_CONFIG + '\n[roles.qa]\nrole = "qa-admins"\ncomment = "x\\u001b]0;t\\u0007"\n'),
    # -- user commands: a spelling of a [roles] key, with or without --force ----------------------------------------
    *(case(f"add-user-spelling-{i}{'-force' if force else ''}", (*ADD, s, *(("--force",) if force else ())),
           f"group {s!r} is the [roles] group 'ops' spelled differently", pool=True)
      for i, s in enumerate(SPELLINGS) for force in (False, True)),
    *(case(f"set-group-spelling-{i}", (*C, "set-group", "a@example.com", "--group", s, "--force"),
           f"group {s!r} is the [roles] group 'ops' spelled differently", pool=True)
      for i, s in enumerate(SPELLINGS)),
    # -- user commands: --force groups that collide with each other (several groups: cognito:groups only) ----------
    case("add-user-force-groups-collide", (*C, "add-user", "a@example.com", "-g", "sales", "-g", "SALES", "--force"),
         "'sales' and 'SALES' are one group", pool=True, config=NATIVE),
    case("add-user-force-groups-collide-width", (*C, "add-user", "a@example.com", "-g", "qa", "-g", "\uff51\uff41",
                                                  "--force"),
         "'qa' and '\uff51\uff41' are one group", pool=True, config=NATIVE),
    # -- import-users: CSV groups --------------------------------------------------------------------------------------
    *(case(f"csv-spelling-{i}", IMPORT, BAD_ROWS, pool=True, rows=True,
           files=csv(f"a@example.com,ops,A\nb@example.com,{s},B\n".encode())) for i, s in enumerate(SPELLINGS)),
    *(case(f"csv-force-spelling-{i}", (*IMPORT, "--force"), BAD_ROWS, pool=True, rows=True,
           files=csv(f"a@example.com,ops,A\nb@example.com,{s},B\n".encode())) for i, s in enumerate(SPELLINGS)),
    case("csv-force-groups-collide", (*IMPORT, "--force"), BAD_ROWS, pool=True, rows=True,
         files=csv(b"a@example.com,sales,A\nb@example.com,dev,B\nc@example.com,Sales,C\n")),
    # -- rule templates that widen every grant ------------------------------------------------------------------------
    *(case(f"rule-template-wide-{i}", cmd, "widens every grant",
           config=edit("privx", "rule_template", _toml(t)))
      for i, t in enumerate(WIDENING) for cmd in (SETUP, PLAN)),
    *(case(f"rule-template-wide-flag-false-{i}", SETUP, "widens every grant",
           config=edit("privx", "allow_wide_rule_template", "false", edit("privx", "rule_template", _toml(t))))
      for i, t in enumerate(WIDENING)),
]
# fmt: on


@pytest.mark.parametrize("c", CASES)
def test_group_spelling_and_wide_templates_are_bad_input(
    c: Case,
    cli: Any,
    aws: Any,
    emulator: PrivXEmulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    boto3_calls: list[str],
) -> None:
    harness(c, cli, aws, emulator, tmp_path, monkeypatch, boto3_calls)
