"""The sandbox is sealed from the product's decisions and free of import cycles, read from its source.

- A stand-in imports from the product only :mod:`cognito_privx.errors`: a stand-in that judged input with the
  product's own logic would pass the product's mistakes (ARCHITECTURE.md, "The sandbox"). The demo, a client of the
  product like the CLI, is not a stand-in.
- No cycle among the sandbox's modules at run time: imports under ``if TYPE_CHECKING:`` do not run and are left
  out; imports inside functions run when called and are counted.
"""

from __future__ import annotations

import ast
from pathlib import Path

import cognito_privx.sandbox

SANDBOX = Path(cognito_privx.sandbox.__file__).parent
NOT_A_STAND_IN = {"demo.py"}
ALLOWED_PRODUCT_MODULES = {"cognito_privx.errors"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(SANDBOX.parent.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {
    _module_name(path): path
    for path in sorted(SANDBOX.rglob("*.py"))
    if not (path.parent == SANDBOX and path.name in NOT_A_STAND_IN)
}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _run_time_imports(name: str, path: Path) -> set[str]:
    """The modules ``name`` imports at run time (a ``from m import x`` names ``m.x`` when that is a module)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.add(candidate if candidate in MODULES else base)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return found


IMPORTS = {name: _run_time_imports(name, path) for name, path in MODULES.items()}


def test_stand_ins_import_no_product_logic() -> None:
    leaks = {
        f"{name} imports {imported}"
        for name, imports in IMPORTS.items()
        for imported in imports
        if imported.startswith("cognito_privx.")
        and not imported.startswith("cognito_privx.sandbox")
        and imported not in ALLOWED_PRODUCT_MODULES
    }
    assert sorted(leaks) == []


def test_no_import_cycle_in_the_sandbox() -> None:
    graph = {name: {m for m in imports if m in MODULES and m != name} for name, imports in IMPORTS.items()}
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the path, 2: done

    def walk(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                walk(nxt, [*path, nxt])
        state[node] = 2

    for start in sorted(graph):
        if start not in state:
            walk(start, [start])
    assert cycles == []


def test_the_walk_sees_the_sandboxs_modules() -> None:
    """Guards the two tests above against reading nothing."""
    assert "cognito_privx.sandbox.import_jobs.api" in MODULES
    assert "cognito_privx.sandbox.moto_patch" in IMPORTS["cognito_privx.sandbox.import_jobs.api"]
    assert "cognito_privx.sandbox.emulator.core" not in IMPORTS["cognito_privx.sandbox.emulator.users"]  # type-only
