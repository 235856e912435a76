"""docs/permissions.md's IAM policies list exactly the AWS operations the product code calls.

The policies are the ```json blocks of docs/permissions.md. The calls are found statically, with ``ast``, in every
module under ``src/cognito_privx/`` (walked, so modules may move) except ``sandbox/``, the stand-ins:

- **Cognito** goes through ``CognitoGateway``, which takes the boto3 method name as a string: ``gw.call("op", …)``,
  ``gw.create_once("op", …)``, ``gw.pages("op", …)``, and helpers that pass the name on (``self._call``,
  ``self.request``, ``paged(self.request, "op")``, ``_delete(gw, "op", …)``), variables (``operation = "op"``),
  conditionals (``"admin_enable_user" if enabled else "admin_disable_user"``) and sets (``NON_IDEMPOTENT``). So
  every string literal that is the snake_case name of a cognito-idp operation counts as a call of it.
- **Other services** are boto3 clients called directly (``sts.get_caller_identity()``, ``iam.get_role(…)``,
  ``logs.get_log_events(…)``): a method call whose name is an operation of the service its receiver is named after.
  A client made for any service this test does not scan fails the test, so a new service cannot slip past.

snake_case maps to the API's PascalCase name with botocore's own service models (``botocore.xform_name``).
"""

from __future__ import annotations

import ast
import functools
import json
import re
from pathlib import Path

import botocore
import botocore.session

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ROOT / "src" / "cognito_privx"
STANDINS = PRODUCT / "sandbox"
DOC = ROOT / "docs" / "permissions.md"

# IAM's service prefix -> botocore's service name (the same four here), and the names a client of it goes by in the
# code (a receiver ``iam``, ``self.iam``, ``iam_client`` ...). Cognito's gateway is scanned by its string names.
SERVICES = {"cognito-idp": "cognito-idp", "sts": "sts", "iam": "iam", "logs": "logs"}
RECEIVERS = {"cognito-idp": ("client", "idp"), "sts": ("sts",), "iam": ("iam",), "logs": ("logs",)}

# Called by the code, but IAM checks no permission for it: "No permissions are required to perform this operation"
# (STS API reference, GetCallerIdentity). docs/permissions.md must say so instead of listing it.
NO_PERMISSION = frozenset({"sts:GetCallerIdentity"})
# IAM actions that are permissions only, not API operations: no botocore model has them. iam:PassRole is what AWS
# checks when a role's ARN is handed to a service (CreateUserImportJob's CloudWatchLogsRoleArn).
PERMISSION_ONLY = frozenset({"iam:PassRole"})
# Cognito actions without resource-level permissions: the Service Authorization Reference for Amazon Cognito User
# Pools gives them no resource type, so their statement's Resource must be "*". Every other cognito-idp action the
# code calls takes the user pool ARN.
RESOURCE_STAR = frozenset(
    {"cognito-idp:ListUserPools", "cognito-idp:CreateUserPool", "cognito-idp:DescribeUserPoolDomain"}
)
USERPOOL_ARN = re.compile(r"^arn:aws:cognito-idp:REGION:ACCOUNT_ID:userpool/(\*|POOL_ID)$")


@functools.cache
def _operations(service: str) -> dict[str, str]:
    """snake_case method name -> PascalCase operation name, from botocore's model of ``service``."""
    model = botocore.session.get_session().get_service_model(service)
    return {botocore.xform_name(name): name for name in model.operation_names}


@functools.cache
def _modules() -> tuple[tuple[Path, ast.Module], ...]:
    """Every product module, parsed once: all of ``src/cognito_privx/`` but the stand-ins."""
    paths = [p for p in sorted(PRODUCT.rglob("*.py")) if STANDINS not in p.parents]
    return tuple((p, ast.parse(p.read_text(encoding="utf-8"), filename=str(p))) for p in paths)


def _receiver_name(node: ast.expr) -> str:
    """The last identifier of a call's receiver: ``iam`` for ``iam.x()``, ``self.iam.x()`` and ``iam_client.x()``."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _named_after(receiver: str, words: tuple[str, ...]) -> bool:
    return any(re.search(rf"(^|_){word}(_|$)", receiver) for word in words)


@functools.cache
def called_operations() -> dict[str, frozenset[str]]:
    """``"service:Operation"`` -> where the code calls it (``path:line``)."""
    found: dict[str, set[str]] = {}
    cognito = _operations("cognito-idp")
    for path, tree in _modules():
        for node in ast.walk(tree):
            where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in cognito:
                found.setdefault(f"cognito-idp:{cognito[node.value]}", set()).add(where)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                receiver = _receiver_name(node.func.value)
                for prefix, service in SERVICES.items():
                    operation = _operations(service).get(node.func.attr)
                    if operation is not None and _named_after(receiver, RECEIVERS[prefix]):
                        found.setdefault(f"{prefix}:{operation}", set()).add(where)
    return {op: frozenset(where) for op, where in found.items()}


def clients_made() -> dict[str, set[str]]:
    """The AWS services the code makes a boto3 client for: a string literal naming a service passed to a call whose
    name ends in ``client`` (``session.client("sts")``, ``boto3.client(…)``, ``_client(users, "iam")``)."""
    services = set(botocore.session.get_session().get_available_services())
    found: dict[str, set[str]] = {}
    for path, tree in _modules():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if not name.endswith("client"):
                continue
            for arg in [*node.args, *(k.value for k in node.keywords)]:
                if isinstance(arg, ast.Constant) and arg.value in services:
                    found.setdefault(str(arg.value), set()).add(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def policies() -> list[dict[str, object]]:
    blocks = re.findall(r"^```json\n(.*?)^```", DOC.read_text(encoding="utf-8"), flags=re.DOTALL | re.MULTILINE)
    return [json.loads(block) for block in blocks]


def statements() -> list[dict[str, object]]:
    return [s for policy in policies() for s in policy["Statement"]]  # type: ignore[attr-defined]


def _listed(value: object) -> list[str]:
    return [value] if isinstance(value, str) else [str(v) for v in value]  # type: ignore[attr-defined]


def policy_actions() -> set[str]:
    return {a for s in statements() for a in _listed(s["Action"])}


def test_every_json_block_is_an_allow_only_policy_document_without_wildcard_actions() -> None:
    docs = policies()
    assert len(docs) >= 5, "one policy per command group: setup/plan/teardown, users, import jobs, doctor, rotate"
    for policy in docs:
        assert policy["Version"] == "2012-10-17"
        for statement in policy["Statement"]:  # type: ignore[attr-defined]
            assert statement["Effect"] == "Allow", statement
            assert "NotAction" not in statement and "NotResource" not in statement, statement
            assert statement["Resource"], statement
            for action in _listed(statement["Action"]):
                assert "*" not in action, f"{action}: least privilege names each action"


def test_the_scan_covers_every_service_the_code_makes_a_client_for() -> None:
    """A boto3 client for a service this test does not scan would make calls no policy covers."""
    made = clients_made()
    assert set(made) <= set(SERVICES), {s: sorted(w) for s, w in made.items() if s not in SERVICES}


def test_the_policies_list_every_aws_operation_the_code_calls() -> None:
    called = called_operations()
    missing = {op: sorted(where) for op, where in called.items() if op not in policy_actions() | NO_PERMISSION}
    assert missing == {}, "the code calls these, and docs/permissions.md's policies do not list them"


def test_the_policies_list_no_operation_the_code_never_calls() -> None:
    called = set(called_operations())
    unused = sorted(policy_actions() - called - PERMISSION_ONLY)
    assert unused == [], "docs/permissions.md lists these, and the code never calls them"


def test_each_listed_action_is_an_operation_of_its_service() -> None:
    """Catches typos: every action is ``prefix:Operation`` of botocore's model (bar the permission-only ones)."""
    for action in sorted(policy_actions() - PERMISSION_ONLY):
        prefix, _, name = action.partition(":")
        assert prefix in SERVICES, f"{action}: a service the code does not call"
        assert name in _operations(SERVICES[prefix]).values(), f"{action}: not an operation of {prefix}"


def test_the_exemptions_are_called_or_listed_and_said() -> None:
    text = DOC.read_text(encoding="utf-8")
    called = set(called_operations())
    for action in sorted(NO_PERMISSION):
        assert action in called, f"{action} is no longer called: drop it from NO_PERMISSION"
        assert action in text, f"docs/permissions.md must say that {action} needs no permission"
    for action in sorted(PERMISSION_ONLY):
        prefix, _, name = action.partition(":")
        assert name not in _operations(SERVICES[prefix]).values(), f"{action} is an operation: scan it instead"
        assert action in policy_actions(), f"{action} is exempt from the scan but no policy lists it"


def test_cognito_actions_take_the_user_pool_arn_where_aws_allows_it() -> None:
    """``*`` only for the actions without resource-level permissions, in statements of their own; every other
    cognito-idp action is scoped to ``arn:aws:cognito-idp:REGION:ACCOUNT_ID:userpool/…`` (the pool id, or ``*``
    before setup has made the pool)."""
    for statement in statements():
        actions = [a for a in _listed(statement["Action"]) if a.startswith("cognito-idp:")]
        star = [a for a in actions if a in RESOURCE_STAR]
        resources = _listed(statement["Resource"])
        if star:
            assert star == actions, f"keep {sorted(set(actions) - set(star))} out of a Resource '*' statement"
            assert resources == ["*"], statement
        elif actions:
            assert all(USERPOOL_ARN.match(r) for r in resources), statement
