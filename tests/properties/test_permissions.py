"""docs/permissions.md's IAM policies list exactly the AWS operations the product code calls, and each command group's
policy covers what that group's commands send.

The policies are the ```json blocks of docs/permissions.md, each under the heading of its command group. Two ways of
looking at the code:

**Statically**, with ``ast``, every module under ``src/cognito_privx/`` (walked, so modules may move) except
``sandbox/``, the stand-ins: the union of the policies lists every operation the code names, and nothing else.

- **Cognito** goes through ``CognitoGateway``, which takes the boto3 method name as a string: ``gw.call("op", …)``,
  ``gw.create_once("op", …)``, ``gw.pages("op", …)``, and helpers that pass the name on (``self._call``,
  ``self.request``, ``paged(self.request, "op")``, ``_delete(gw, "op", …)``), variables (``operation = "op"``),
  conditionals (``"admin_enable_user" if enabled else "admin_disable_user"``) and sets (``NON_IDEMPOTENT``). So
  every string literal that is the snake_case name of a cognito-idp operation counts as a call of it.
- **STS, IAM and CloudWatch Logs** are boto3 clients called directly (``sts.get_caller_identity()``,
  ``iam.get_role(…)``, ``logs.get_log_events(…)``): a method call whose name is an operation of the service its
  receiver is named after (or whose receiver makes that service's client on the spot). That is only sound while a
  client of these services never goes by another name, so the scan follows every client of them (made with
  ``….client("logs")`` or a ``…client`` helper given the service, or a value already named after one) to where it is
  bound: an assignment, a parameter, a keyword argument must be named after the service (``logs``, ``self.logs``,
  ``logs_client``); a client returned, put in a container or handed to code the scan cannot find fails the test
  (``cw = logs; cw.filter_log_events()`` would otherwise pass). A client made for any service this test does not
  scan fails it too, so a new service cannot slip past.

snake_case maps to the API's PascalCase name with botocore's own service models (``botocore.xform_name``).

**At run time**, per command group (the tests at the end): the real commands run in-process on moto and the PrivX
emulator (both ``group_claim`` modes, the paths that add calls: a first setup, a re-run, drift, teardown, adoption;
new and existing users; import jobs; the doctor's probe and rehearsal; a rotation) while every operation boto3
sends is recorded (``BaseClient._make_api_call``). Each group's operations must be allowed by that group's own
policy, not merely by some policy: an action that ``disable-user`` needs but only the doctor policy lists fails. And
each group's policy must list nothing its commands never send (bar :data:`PERMISSION_ONLY`): least privilege per
group, not only for the union.
"""

from __future__ import annotations

import ast
import csv
import functools
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import botocore
import botocore.client
import botocore.session
import httpx
import pytest
from moto.cognitoidp.models import CognitoIdpUserPoolDomain

from cognito_privx.desired import rehearsal_email
from cognito_privx.sandbox import import_jobs as standin
from cognito_privx.sandbox.emulator import PrivXEmulator
from tests.support.constants import BASE_CONFIG, REGION
from tests.support.kept_clients import keep_clients
from tests.support.oidc import cognito_discovery

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ROOT / "src" / "cognito_privx"
STANDINS = PRODUCT / "sandbox"
DOC = ROOT / "docs" / "permissions.md"

# IAM's service prefix -> botocore's service name (the same four here), and the names a client of it goes by in the
# code (a receiver ``iam``, ``self.iam``, ``iam_client`` ...). Cognito's gateway is scanned by its string names.
SERVICES = {"cognito-idp": "cognito-idp", "sts": "sts", "iam": "iam", "logs": "logs"}
RECEIVERS = {"cognito-idp": ("client", "idp"), "sts": ("sts",), "iam": ("iam",), "logs": ("logs",)}
# The services whose clients the code calls directly, whose clients must keep their service's name.
DIRECT = ("sts", "iam", "logs")

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

# A module as the scan sees it: where it is (for messages) and its syntax tree.
Module = tuple[str, ast.Module]


@functools.cache
def _operations(service: str) -> dict[str, str]:
    """snake_case method name -> PascalCase operation name, from botocore's model of ``service``."""
    model = botocore.session.get_session().get_service_model(service)
    return {botocore.xform_name(name): name for name in model.operation_names}


@functools.cache
def _modules() -> tuple[Module, ...]:
    """Every product module, parsed once: all of ``src/cognito_privx/`` but the stand-ins."""
    paths = [p for p in sorted(PRODUCT.rglob("*.py")) if STANDINS not in p.parents]
    return tuple((str(p.relative_to(ROOT)), ast.parse(p.read_text(encoding="utf-8"), filename=str(p))) for p in paths)


def _snippet(source: str) -> tuple[Module, ...]:
    """``source`` as the only module of a code base, for testing the scan itself."""
    return (("snippet.py", ast.parse(source)),)


def _receiver_name(node: ast.expr) -> str:
    """The last identifier of a call's receiver: ``iam`` for ``iam.x()``, ``self.iam.x()`` and ``iam_client.x()``."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _named_after(receiver: str, words: tuple[str, ...]) -> bool:
    return any(re.search(rf"(^|_){word}(_|$)", receiver) for word in words)


def _client_name(name: str, service: str) -> bool:
    """Whether ``name`` is what a client of ``service`` may be called: ``logs``, ``_logs``, ``logs_client``."""
    return re.fullmatch(rf"_?{re.escape(service)}(_client)?", name) is not None


def _callee(call: ast.Call) -> str:
    """The called function's own name: ``client`` for ``session.client(…)``, ``_client`` for ``_client(…)``."""
    return call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")


def _made_client_of(node: ast.AST, services: frozenset[str] | tuple[str, ...]) -> str | None:
    """The service of ``services`` a call makes a boto3 client for: a string literal naming it passed to a call whose
    name ends in ``client`` (``session.client("sts")``, ``boto3.client(…)``, ``_client(users, "iam")``)."""
    if not isinstance(node, ast.Call) or not _callee(node).endswith("client"):
        return None
    for arg in [*node.args, *(k.value for k in node.keywords)]:
        if isinstance(arg, ast.Constant) and arg.value in services:
            return str(arg.value)
    return None


def scan_calls(modules: tuple[Module, ...]) -> dict[str, frozenset[str]]:
    """``"service:Operation"`` -> where ``modules`` call it (``path:line``)."""
    found: dict[str, set[str]] = {}
    cognito = _operations("cognito-idp")
    for module, tree in modules:
        for node in ast.walk(tree):
            where = f"{module}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in cognito:
                found.setdefault(f"cognito-idp:{cognito[node.value]}", set()).add(where)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                receiver = node.func.value
                made = _made_client_of(receiver, DIRECT)  # boto3.client("sts").get_caller_identity()
                for prefix, service in SERVICES.items():
                    operation = _operations(service).get(node.func.attr)
                    if operation is None:
                        continue
                    if made == prefix or _named_after(_receiver_name(receiver), RECEIVERS[prefix]):
                        found.setdefault(f"{prefix}:{operation}", set()).add(where)
    return {op: frozenset(where) for op, where in found.items()}


@functools.cache
def called_operations() -> dict[str, frozenset[str]]:
    """``"service:Operation"`` -> where the product code calls it (``path:line``)."""
    return scan_calls(_modules())


def clients_made(modules: tuple[Module, ...] | None = None) -> dict[str, set[str]]:
    """The AWS services the code makes a boto3 client for (:func:`_made_client_of`), and where."""
    services = frozenset(botocore.session.get_session().get_available_services())
    found: dict[str, set[str]] = {}
    for module, tree in _modules() if modules is None else modules:
        for node in ast.walk(tree):
            service = _made_client_of(node, services)
            if service is not None:
                found.setdefault(service, set()).add(f"{module}:{getattr(node, 'lineno', 0)}")
    return found


def _client_of(node: ast.expr) -> str | None:
    """The service of :data:`DIRECT` whose client ``node`` is, as far as names tell: one made right there, or a value
    read from a name a client of it goes by (``logs``, ``self.iam``, ``sts_client``)."""
    made = _made_client_of(node, DIRECT)
    if made is not None:
        return made
    if isinstance(node, (ast.Name, ast.Attribute)) and isinstance(node.ctx, ast.Load):
        return next((s for s in DIRECT if _client_name(_receiver_name(node), s)), None)
    return None


def _parameter(function: ast.FunctionDef | ast.AsyncFunctionDef, call: ast.Call, position: int) -> str | None:
    """The name of the parameter ``function`` binds a call's positional argument ``position`` to (``self`` or
    ``cls`` skipped for ``obj.method(…)``); ``None`` when it goes to ``*args`` or nowhere."""
    params = [*function.args.posonlyargs, *function.args.args]
    if isinstance(call.func, ast.Attribute) and params and params[0].arg in ("self", "cls"):
        params = params[1:]
    return params[position].arg if position < len(params) else None


def _binding_problem(
    node: ast.expr,
    service: str,
    parents: dict[ast.AST, ast.AST],
    functions: dict[str, list[ast.FunctionDef | ast.AsyncFunctionDef]],
) -> str | None:
    """Why the client of ``service`` that ``node`` is escapes the scan, or ``None`` when it stays under its name."""
    child: ast.AST = node
    parent = parents.get(node)
    # ``iam if iam is not None else _client(users, "iam")``, ``logs or make()``: the whole expression is the client.
    while isinstance(parent, (ast.IfExp, ast.BoolOp)) and child is not getattr(parent, "test", None):
        child, parent = parent, parents.get(parent)
    if isinstance(parent, ast.Attribute):  # ``logs.get_log_events(…)``: the calls the scan reads
        return None
    if isinstance(parent, (ast.Compare, ast.UnaryOp)):  # ``iam is not None``, ``not logs``
        return None
    if isinstance(parent, (ast.If, ast.While, ast.IfExp, ast.Assert)) and child is parent.test:  # ``if logs:``
        return None
    if isinstance(parent, (ast.Assign, ast.AnnAssign, ast.NamedExpr)) and child is parent.value:
        targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
        bad = [
            ast.unparse(t)
            for t in targets
            if not (isinstance(t, (ast.Name, ast.Attribute)) and _client_name(_receiver_name(t), service))
        ]
        return f"a {service} client assigned to {', '.join(bad)}" if bad else None
    if isinstance(parent, ast.keyword):
        return (
            None
            if parent.arg and _client_name(parent.arg, service)
            else f"a {service} client passed as {parent.arg or '**'}="
        )
    if isinstance(parent, ast.Call) and any(child is arg for arg in parent.args):
        position = next(i for i, arg in enumerate(parent.args) if arg is child)
        callee = _callee(parent)
        candidates = functions.get(callee, [])
        if not candidates:
            return f"a {service} client passed to {ast.unparse(parent.func)}, which the scan cannot follow"
        names = {_parameter(f, parent, position) for f in candidates}
        bad = sorted(str(n) for n in names if n is None or not _client_name(n, service))
        return f"a {service} client passed to {callee}'s parameter {', '.join(bad)}" if bad else None
    return f"a {service} client used in a {type(parent).__name__}, where the scan cannot follow it by name"


def client_naming_problems(modules: tuple[Module, ...] | None = None) -> list[str]:
    """Where a client of STS, IAM or CloudWatch Logs would go by a name the scan does not read its calls under, or a
    client is made for a service the scan cannot read (``boto3.client(SERVICE)``)."""
    modules = _modules() if modules is None else modules
    functions: dict[str, list[ast.FunctionDef | ast.AsyncFunctionDef]] = {}
    for _, tree in modules:
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                functions.setdefault(node.name, []).append(node)
    problems: list[str] = []
    for module, tree in modules:
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        for node in ast.walk(tree):
            where = f"{module}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Call) and _callee(node) == "client":
                problem = _unread_service(node, parents)
                if problem:
                    problems.append(f"{where}: {problem}")
            service = _client_of(node) if isinstance(node, ast.expr) else None
            if service is not None:
                problem = _binding_problem(node, service, parents, functions)
                if problem:
                    problems.append(f"{where}: {problem}")
    return problems


def _unread_service(call: ast.Call, parents: dict[ast.AST, ast.AST]) -> str | None:
    """Why a ``….client(service)`` call hides its service from the scan: the service is neither a string literal nor
    the parameter of a helper whose own name ends in ``client`` (whose callers name the service, as
    ``_client(users, "iam")`` does)."""
    service = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "service_name"), None)
    if service is None or isinstance(service, ast.Constant):
        return None
    function = parents.get(call)
    while function is not None and not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
        function = parents.get(function)
    if (
        isinstance(service, ast.Name)
        and isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef))
        and function.name.endswith("client")
        and service.id in {a.arg for a in [*function.args.posonlyargs, *function.args.args, *function.args.kwonlyargs]}
    ):
        return None
    return f"a client made for the service {ast.unparse(service)}, which the scan cannot read"


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


def test_every_client_of_sts_iam_and_logs_keeps_its_service_name() -> None:
    """Otherwise the scan above would not see its calls (``cw = logs; cw.filter_log_events(…)``)."""
    assert client_naming_problems() == []


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("cw = logs\ncw.filter_log_events(logGroupName='g')\n", id="renamed"),
        pytest.param("cw = boto3.client('logs')\n", id="made-under-another-name"),
        pytest.param("self.cw = users.gw.session.client('logs')\n", id="made-into-another-attribute"),
        pytest.param("cw: Any = _client(users, 'logs')\n", id="made-by-a-helper-under-another-name"),
        pytest.param("def read(cw):\n    cw.filter_log_events()\n\nread(logs)\n", id="passed-to-another-name"),
        pytest.param("def read(*, cw):\n    pass\n\nread(cw=logs)\n", id="passed-as-another-keyword"),
        pytest.param("getattr(logs, 'filter_log_events')()\n", id="handed-to-unknown-code"),
        pytest.param("clients = [sts, iam]\n", id="in-a-container"),
        pytest.param("def make():\n    return boto3.client('iam')\n", id="returned"),
        pytest.param("SERVICE = 'logs'\ncw = boto3.client(SERVICE)\n", id="service-not-a-literal"),
        pytest.param("def make(service):\n    return boto3.client(service)\n", id="helper-not-named-client"),
    ],
)
def test_the_scan_refuses_a_client_under_another_name(source: str) -> None:
    assert client_naming_problems(_snippet(source)) != []


def test_the_scan_follows_clients_under_their_service_name() -> None:
    source = """
def _client(users, service):
    return users.gw.session.client(service, region_name="eu-west-1")

def read(logs, group):
    return logs.filter_log_events(logGroupName=group)

def check(iam, name):
    return iam.get_role(RoleName=name)

def run(users, logs=None, iam_client=None):
    read(logs if logs is not None else _client(users, "logs"), "g")
    check(iam_client or _client(users, "iam"), "r")
    sts = boto3.client("sts")
    self.sts = sts
    boto3.client("sts").get_caller_identity()
"""
    modules = _snippet(source)
    assert client_naming_problems(modules) == []
    assert set(scan_calls(modules)) == {"logs:FilterLogEvents", "iam:GetRole", "sts:GetCallerIdentity"}
    assert set(clients_made(modules)) == {"logs", "iam", "sts"}


# -- at run time: each command group within its own policy ---------------------------------------------------------


@dataclass(frozen=True)
class Group:
    """A command group: its policy is the one under ``heading`` in docs/permissions.md (only the statements ``sids``,
    when given); ``also`` are the groups whose policies it needs as well, as the page says."""

    heading: str
    sids: frozenset[str] | None = None
    also: tuple[str, ...] = ()


GROUPS = {
    "setup": Group("setup, plan, teardown and login-url"),
    "read-only": Group("plan and login-url only (read-only)"),
    "users": Group("The user commands"),
    "import jobs": Group("Import jobs", also=("users",)),  # "needs the user commands' policy above and this one"
    "doctor": Group("doctor", sids=frozenset({"FindThePool", "CheckThePool"})),  # plain doctor
    "doctor --probe/--login": Group("doctor"),
    "rotate-secret": Group("rotate-secret"),
    "access": Group("access"),
}

# botocore's service name -> IAM's service prefix.
PREFIXES = {"cognito-idp": "cognito-idp", "sts": "sts", "iam": "iam", "logs": "logs"}


def sections() -> dict[str, list[dict[str, Any]]]:
    """The ```json policies of docs/permissions.md by the heading they stand under."""
    found: dict[str, list[dict[str, Any]]] = {}
    heading = ""
    text = DOC.read_text(encoding="utf-8")
    for match in re.finditer(r"^#+ ([^\n]*)$|^```json\n(.*?)^```", text, flags=re.DOTALL | re.MULTILINE):
        if match[1] is not None:
            heading = match[1].strip()
        else:
            found.setdefault(heading, []).append(json.loads(match[2]))
    return found


def own_actions(group: str) -> set[str]:
    """The actions of ``group``'s own policy (its statements ``sids``, when given)."""
    spec = GROUPS[group]
    policies = sections().get(spec.heading)
    assert policies, f"docs/permissions.md has no ```json policy under the heading {spec.heading!r}"
    chosen = [s for policy in policies for s in policy["Statement"] if spec.sids is None or s.get("Sid") in spec.sids]
    assert spec.sids is None or {s.get("Sid") for s in chosen} == spec.sids, f"{group}: statements {spec.sids}"
    return {a for s in chosen for a in _listed(s["Action"])}


def allowed(group: str) -> set[str]:
    """What ``group``'s commands may send: its policy, the policies it needs as well, and what needs no permission."""
    return own_actions(group).union(*(own_actions(g) for g in GROUPS[group].also), NO_PERMISSION)


def test_every_group_names_a_policy_of_the_page() -> None:
    for group in GROUPS:
        assert own_actions(group), group


class Sent:
    """The IAM actions of what boto3 sends while a command runs, by command group: action -> the commands that sent
    it. Only while :meth:`running`: arranging state with the ``aws`` fixture's client is not recorded."""

    def __init__(self) -> None:
        self.by_group: dict[str, dict[str, set[str]]] = {}
        self._groups: tuple[str, ...] = ()
        self._command = ""

    def record(self, client: Any, operation: str) -> None:
        service = client.meta.service_model.service_name
        action = f"{PREFIXES.get(service, service)}:{operation}"
        for group in self._groups:
            self.by_group.setdefault(group, {}).setdefault(action, set()).add(self._command)

    @contextmanager
    def running(self, groups: tuple[str, ...], command: str) -> Iterator[None]:
        self._groups, self._command = groups, command
        try:
            yield
        finally:
            self._groups, self._command = (), ""

    def of(self, group: str, command: str) -> set[str]:
        """What the runs of ``command`` (its name and the options given first, like ``login-url``) sent."""
        return {action for action, by in self.by_group.get(group, {}).items() if any(c.startswith(command) for c in by)}

    def check(self, *groups: str) -> None:
        """Each group sent only what its policy allows (action -> the commands that sent it, when not), and its
        policy lists nothing its commands never sent (bar :data:`PERMISSION_ONLY`, which nothing sends)."""
        for group in groups:
            sent = self.by_group.get(group, {})
            beyond = {action: sorted(by) for action, by in sorted(sent.items()) if action not in allowed(group)}
            assert beyond == {}, (
                f"{group}: these commands send actions that its policy (docs/permissions.md, "
                f"'{GROUPS[group].heading}') does not allow"
            )
            unused = sorted(own_actions(group) - set(sent) - PERMISSION_ONLY)
            assert unused == [], f"{group}: its policy lists actions none of its commands sent"


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> Sent:
    """Every operation any boto3 client sends while a command runs (moto still answers it), by command group."""
    recorder = Sent()
    original = botocore.client.BaseClient._make_api_call

    def recording(self: Any, operation_name: str, api_params: Any) -> Any:
        recorder.record(self, operation_name)
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", recording)
    return recorder


# Both ways a group travels, with the options that add calls: the custom attribute with the classic hosted UI and
# MFA left alone; native groups with managed login (a branding style) and MFA managed ("optional", so the probe and
# the rehearsal still sign in).
VARIANTS = {
    "custom": BASE_CONFIG,
    "native": BASE_CONFIG.replace(
        'domain_prefix = "acme-privx"',
        'domain_prefix = "acme-privx"\ngroup_claim = "cognito:groups"\nhosted_ui = "managed"\nmfa = "optional"',
    ),
}
HOSTED_UI = f"https://acme-privx.auth.{REGION}.amazoncognito.com"
ROLE = "arn:aws:iam::123456789012:role/CognitoImportLogs"

Run = Callable[..., Any]


@pytest.fixture
def run(cli: Any, sent: Sent, monkeypatch: pytest.MonkeyPatch) -> Run:
    """``run(groups, config, *args, code=0)``: the CLI with ``config``, what it sends recorded for each of ``groups``
    (none: arranging, not recorded); asserts the exit code. The commands of a test keep their cognito-idp clients
    (:mod:`tests.support.kept_clients`): what is recorded is each call a command sends, whichever client sends it."""
    keep_clients(monkeypatch, {})

    def invoke(groups: tuple[str, ...], config: Path, *args: str, code: int = 0) -> Any:
        with sent.running(groups, " ".join(a for a in args if not a.startswith("/"))):
            result = cli("--config", str(config), *args)
        assert result.exit_code == code, (args, result.stdout, result.stderr)
        return result

    return invoke


def _configs(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    for variant, text in VARIANTS.items():
        path = tmp_path / f"{variant}.toml"
        path.write_text(text)
        yield variant, path


def _pool(aws: Any) -> str:
    return str(aws.list_user_pools(MaxResults=60)["UserPools"][0]["Id"])


def _client_id(aws: Any) -> str:
    return str(aws.list_user_pool_clients(UserPoolId=_pool(aws), MaxResults=60)["UserPoolClients"][0]["ClientId"])


def _edit(config: Path, old: str, new: str) -> None:
    text = config.read_text()
    assert old in text
    config.write_text(text.replace(old, new, 1))


def _csv(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        fh.write("email,group,name\n")
        csv.writer(fh).writerows(rows)
    return path


SETUP, READS = ("setup",), ("setup", "read-only")  # plan and login-url: under either policy
_domain_json = CognitoIdpUserPoolDomain.to_json


def _with_classic_version(domain: CognitoIdpUserPoolDomain, extended: bool = True) -> dict[str, Any]:
    """A domain as DescribeUserPoolDomain describes one made for the classic hosted UI: ``ManagedLoginVersion`` 1,
    which moto leaves out (and setup reads a missing version as the one it wants)."""
    described: dict[str, Any] = _domain_json(domain, extended)
    return {**described, "ManagedLoginVersion": 1} if extended else described


def test_setup_plan_teardown_and_login_url_send_only_what_their_policies_allow(
    run: Run, sent: Sent, aws: Any, emulator: PrivXEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator.oidc_http = httpx.Client(transport=cognito_discovery(HOSTED_UI))  # for login-url --verify
    for variant, config in _configs(tmp_path):
        run(READS, config, "plan")  # nothing there yet
        run(SETUP, config, "setup")  # creates everything
        run(SETUP, config, "setup")  # nothing to change
        run(READS, config, "plan", "--detailed-exitcode")
        run(READS, config, "login-url")
        run(READS, config, "login-url", "--verify")
        # Drift in the pool and the client: plan shows it, setup puts it right.
        tags = aws.describe_user_pool(UserPoolId=_pool(aws))["UserPool"]["UserPoolTags"]
        aws.update_user_pool(UserPoolId=_pool(aws), DeletionProtection="INACTIVE", UserPoolTags=tags)
        aws.update_user_pool_client(
            UserPoolId=_pool(aws), ClientId=_client_id(aws), CallbackURLs=["https://elsewhere.example.com/cb"]
        )
        run(READS, config, "plan", "--detailed-exitcode", code=3)
        run(SETUP, config, "setup")
        # A group_claim switch with a user in the pool is a migration: setup moves the user (into a native group,
        # or into the attribute), then the switch back moves nothing (the user is where either claim reads).
        if variant == "native":  # add-user writes both places: a user put into the group by other means
            aws.admin_create_user(
                UserPoolId=_pool(aws),
                Username="mover@example.com",
                MessageAction="SUPPRESS",
                UserAttributes=[{"Name": "email", "Value": "mover@example.com"}],
            )
            aws.admin_add_user_to_group(UserPoolId=_pool(aws), Username="mover@example.com", GroupName="ops")
        else:
            run((), config, "add-user", "mover@example.com", "--group", "ops", "--no-invite")
        claim = 'group_claim = "cognito:groups"\n'
        if variant == "native":
            _edit(config, claim, "")
        else:
            _edit(config, 'domain_prefix = "acme-privx"\n', 'domain_prefix = "acme-privx"\n' + claim)
        run(READS, config, "plan", "--detailed-exitcode", code=3)
        run(SETUP, config, "setup")
        if variant == "native":
            _edit(config, 'domain_prefix = "acme-privx"\n', 'domain_prefix = "acme-privx"\n' + claim)
        else:
            _edit(config, claim, "")
        run(SETUP, config, "setup")
        # The other hosted UI (the domain's managed-login version; a branding style made or removed), then another
        # domain prefix (the old domain deleted).
        if variant == "native":
            _edit(config, 'hosted_ui = "managed"', 'hosted_ui = "classic"')
            run(SETUP, config, "setup")
        else:
            _edit(config, 'app_client_name = "privx"', 'app_client_name = "privx"\nhosted_ui = "managed"')
            with monkeypatch.context() as patch:  # moto keeps no version: AWS says 1 for this classic domain
                patch.setattr(CognitoIdpUserPoolDomain, "to_json", _with_classic_version)
                run(SETUP, config, "setup")
        _edit(config, 'domain_prefix = "acme-privx"', 'domain_prefix = "acme-privx2"')
        run(SETUP, config, "setup")
        run(SETUP, config, "setup", "--resend-secret")
        run(SETUP, config, "teardown", "--keep-pool", "--yes")
        run(SETUP, config, "teardown", "--yes")
        # A same-named pool that is not ours: refused, then adopted (tagged, the attribute added), then removed.
        aws.create_user_pool(
            PoolName="privx-users",
            UsernameAttributes=["email"],
            UsernameConfiguration={"CaseSensitive": False},
            AdminCreateUserConfig={"AllowAdminCreateUserOnly": True},
        )
        run(SETUP, config, "setup", code=1)
        run(READS, config, "plan", "--adopt", "--detailed-exitcode", code=3)
        run(SETUP, config, "setup", "--adopt")
        run(SETUP, config, "teardown", "--yes", "--delete-adopted-pool")
        assert aws.list_user_pools(MaxResults=60)["UserPools"] == []
    sent.check("setup", "read-only")
    # "`login-url` alone needs only `ListUserPools` and `DescribeUserPool`."
    assert sent.of("read-only", "login-url") == {"cognito-idp:ListUserPools", "cognito-idp:DescribeUserPool"}


USERS = ("users",)


def test_the_user_commands_send_only_what_their_policy_allows(
    run: Run, sent: Sent, aws: Any, emulator: PrivXEmulator, tmp_path: Path
) -> None:
    for variant, config in _configs(tmp_path):
        run((), config, "setup")
        if variant == "native":  # a Cognito group outside [roles], for --force
            aws.create_group(UserPoolId=_pool(aws), GroupName="contractors")
        run(USERS, config, "add-user", "a@example.com", "--group", "ops", "--name", "A")  # new, invited
        run(USERS, config, "add-user", "a@example.com", "--group", "ops")  # unchanged
        run(USERS, config, "add-user", "a@example.com", "--group", "dev", "--temporary-password", "Str0ng!pass-w0rd")
        run(USERS, config, "set-group", "a@example.com", "--group", "ops")
        run(USERS, config, "resend-invite", "a@example.com")
        run(USERS, config, "disable-user", "a@example.com")
        run(USERS, config, "enable-user", "a@example.com")
        aws.admin_set_user_password(
            UserPoolId=_pool(aws), Username="a@example.com", Password="Str0ng!pass-w0rd", Permanent=True
        )
        run(USERS, config, "reset-password", "a@example.com")  # signed in: Cognito's reset code
        run(USERS, config, "add-user", "a@example.com", "--group", "ops", "--temporary-password", "Str0ng!pass-w1rd")
        run(USERS, config, "add-user", "c@example.com", "--group", "contractors", "--force", "--no-invite")
        run(USERS, config, "list-users")
        run(USERS, config, "list-users", "--group", "ops")
        run(USERS, config, "list-users", "--status", "FORCE_CHANGE_PASSWORD")
        rows = [("a@example.com", "dev", ""), ("b@example.com", "ops", "B"), ("d@example.com", "contractors", "")]
        path = _csv(tmp_path / f"{variant}.csv", rows)
        api = ("import-users", str(path), "--engine", "api", "--workers", "1", "--force", "--no-invite")
        run(USERS, config, *api, "--dry-run")
        run(USERS, config, *api)
        run(USERS, config, *api)  # all unchanged
        run(USERS, config, "end-sessions", "a@example.com", "b@example.com")
        run(USERS, config, "remove-user", "a@example.com", "--yes")
        run(USERS, config, "remove-user", "a@example.com", "--yes")  # already gone
        run(USERS, config, "end-sessions", "a@example.com")  # gone from Cognito: PrivX only
        run((), config, "teardown", "--yes")
    sent.check("users")


def test_import_jobs_send_only_what_their_policies_allow(
    run: Run, sent: Sent, aws: Any, emulator: PrivXEmulator, tmp_path: Path
) -> None:
    assert standin.create_logs_role(boto3.client("iam", region_name=REGION)) == ROLE
    jobs = ("import jobs",)
    with standin.configured(rate=None, pending_s=0.05):  # the stand-in's jobs as fast as it goes
        for variant, config in _configs(tmp_path):
            run((), config, "setup")
            if variant == "native":
                aws.create_group(UserPoolId=_pool(aws), GroupName="contractors")
            run((), config, "add-user", "old@example.com", "--group", "dev", "--no-invite")
            run((), config, "add-user", "same@example.com", "--group", "ops", "--no-invite")
            rows = [
                ("old@example.com", "ops", ""),  # compared and updated by API
                ("same@example.com", "ops", ""),  # unchanged
                *((f"new{i}@example.com", "ops" if i % 2 else "dev", f"N {i}") for i in range(5)),  # the job's
                ("c@example.com", "contractors", ""),
            ]
            path = _csv(tmp_path / f"{variant}.csv", rows)
            job = ("import-users", str(path), "--engine", "job", "--logs-role-arn", ROLE, "--force")
            run(jobs, config, *job, "--dry-run")
            run(jobs, config, *job)
            run(jobs, config, *job)  # a re-run: finds its job by name, everything unchanged
            run((), config, "teardown", "--yes")
    sent.check("import jobs")


def test_access_sends_only_what_its_policy_allows(
    run: Run, sent: Sent, aws: Any, emulator: PrivXEmulator, tmp_path: Path
) -> None:
    for variant, config in _configs(tmp_path):  # custom: MFA left alone (off); native: MFA optional (AdminGetUser)
        run((), config, "setup")
        run((), config, "add-user", "a@example.com", "--group", "ops", "--no-invite")
        run(("access",), config, "access")
        run(("access",), config, "access", "--group", "ops")
        if variant == "native":
            assert "cognito-idp:ListUsersInGroup" in sent.of("access", "access")
        run((), config, "teardown", "--yes")
    sent.check("access")


def test_doctor_sends_only_what_its_policy_allows(
    run: Run, sent: Sent, world: PrivXEmulator, aws: Any, tmp_path: Path
) -> None:
    for variant, config in _configs(tmp_path):
        run((), config, "setup")
        run(("doctor",), config, "doctor")
        run(("doctor --probe/--login",), config, "doctor", "--probe")
        run(("doctor --probe/--login",), config, "doctor", "--login", "--all-groups")
        if variant == "native":  # the rehearsal identity put in another group by hand: the next run takes it out
            aws.admin_add_user_to_group(UserPoolId=_pool(aws), Username=rehearsal_email("ops"), GroupName="dev")
        run(("doctor --probe/--login",), config, "doctor", "--login", "--all-groups")  # the identities reused
        run((), config, "teardown", "--yes")
    sent.check("doctor", "doctor --probe/--login")


def test_rotate_secret_sends_only_what_its_policy_allows(
    run: Run, sent: Sent, rig: PrivXEmulator, tmp_path: Path
) -> None:
    for _, config in _configs(tmp_path):
        run((), config, "setup")
        run(("rotate-secret",), config, "rotate-secret", "--yes")
        run(("rotate-secret",), config, "rotate-secret", "--yes")
        run((), config, "teardown", "--yes")
    sent.check("rotate-secret")
