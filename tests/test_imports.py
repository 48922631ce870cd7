"""No import cycles, at run time or in the source, and the torch-free parts stay free of torch and Lightning."""

from __future__ import annotations

import ast
import importlib.util
import pkgutil
import subprocess
import sys
from pathlib import Path

import pnas
import surrogate

#: Every module of the two packages, by dotted name.
MODULES = sorted(
    module.name
    for package in (pnas, surrogate)
    for module in pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}.")
) + ["pnas", "surrogate"]

# One interpreter, each module imported with none of the project's modules loaded before it: an import cycle
# among them shows up exactly as in a fresh interpreter (third-party packages stay loaded, which keeps this fast).
_EACH_FIRST = """
import importlib, sys
failures = []
for name in sys.argv[1:]:
    for loaded in [m for m in sys.modules if m.split(".")[0] in ("pnas", "surrogate")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception as error:
        failures.append(f"{name}: {type(error).__name__}: {error}")
print("\\n".join(failures))
sys.exit(1 if failures else 0)
"""

#: Modules that must not load torch or Lightning: the space, the table benchmark path, the interfaces,
#: the readers of user files.
TORCH_FREE = [
    "pnas",
    "pnas.files",
    "pnas.config_files",
    "pnas.space",
    "pnas.search",
    "pnas.search.evaluation.base",
    "pnas.search.strategies.base",
    "pnas.search.spaces.cell_space",
    "pnas.search.spaces.nasbench201",
    "pnas.benchmark.table",
    "pnas.search.strategies.baselines",
    "pnas.search.strategies.steps",
    "surrogate",
]


def test_every_module_imports_first():
    assert len(MODULES) > 50 and "pnas.search.run.loop" in MODULES and "surrogate.lstm" in MODULES
    finished = subprocess.run(
        [sys.executable, "-c", _EACH_FIRST, *MODULES], capture_output=True, text=True, timeout=300
    )
    assert finished.returncode == 0, finished.stdout[-3000:] + finished.stderr[-3000:]


def test_the_torch_free_modules_load_neither_torch_nor_lightning():
    heavy = "{'torch', 'pytorch_lightning'}"
    statement = f"import sys; import {', '.join(TORCH_FREE)}; print(sorted({heavy} & set(sys.modules)))"
    finished = subprocess.run([sys.executable, "-c", statement], capture_output=True, text=True, timeout=120)
    assert finished.returncode == 0, finished.stderr[-2000:]
    assert finished.stdout.strip() == "[]"


def _executed_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node of ``tree`` but those under ``if TYPE_CHECKING:``, which never runs."""
    nodes, pending = [], [tree]
    while pending:
        node = pending.pop()
        nodes.append(node)
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            pending.extend(node.orelse)
        else:
            pending.extend(ast.iter_child_nodes(node))
    return nodes


def project_imports(module: str) -> set[str]:
    """The project modules ``module``'s source imports anywhere, function-local imports and their packages included."""
    path = Path(importlib.util.find_spec(module).origin)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in _executed_nodes(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            found.update([base, *(f"{base}.{alias.name}" for alias in node.names)])
    # Importing a.b.c runs a/__init__ and a/b/__init__ first: the packages above an import count too.
    found |= {name.rsplit(".", depth)[0] for name in set(found) for depth in range(1, name.count(".") + 1)}
    own_packages = {module.rsplit(".", depth)[0] for depth in range(1, module.count(".") + 1)}
    return {name for name in found if name in MODULES and name != module and name not in own_packages}


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module in ``graph`` (Tarjan's algorithm)."""
    order, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(node: str) -> None:
        order[node] = low[node] = len(order)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in order:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], order[target])
        if low[node] == order[node]:
            group = []
            while not group or group[-1] != node:
                group.append(stack.pop())
                on_stack.discard(group[-1])
            if len(group) > 1:
                cycles.append(sorted(group))

    for node in graph:
        if node not in order:
            visit(node)
    return cycles


def test_cycles_are_found_through_function_local_imports():
    assert import_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert import_cycles({"a": {"b"}, "b": set()}) == []


def test_no_module_imports_another_that_imports_it_back_even_inside_a_function():
    graph = {module: project_imports(module) for module in MODULES}
    assert "pnas.search.execution.base" in graph["pnas.search.execution.executors"]
    assert import_cycles(graph) == []


def test_the_search_counts_networks_through_its_model_never_by_importing_the_module_class():
    search = [module for module in MODULES if module.startswith("pnas.search")]
    assert "pnas.search.constraints.limits" in search
    assert [module for module in search if "pnas.module" in project_imports(module)] == []


def test_the_search_never_imports_the_benchmark_or_the_command():
    search = [module for module in MODULES if module.startswith("pnas.search")]
    above = {module for module in MODULES if module.startswith(("pnas.benchmark", "pnas.cli"))}
    assert "pnas.benchmark.nb201_table" in above
    assert {
        module: sorted(project_imports(module) & above) for module in search if project_imports(module) & above
    } == {}


def test_every_public_name_resolves_and_every_project_error_is_exported_from_pnas():
    import pnas.benchmark
    import pnas.errors
    import pnas.search

    for package in (pnas, pnas.search, pnas.benchmark, surrogate):
        for name in package.__all__:
            assert getattr(package, name) is not None, f"{package.__name__}.{name}"
    errors = {
        name
        for name, value in vars(pnas.errors).items()
        if isinstance(value, type) and issubclass(value, BaseException)
    }
    assert {"StoreError", "SearchInterrupted"} <= errors <= set(pnas.__all__)
    assert {"SearchTrainer", "run_search"} <= set(pnas.__all__)
