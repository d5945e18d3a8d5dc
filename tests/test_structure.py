"""The package's shape: dependencies point down, no private internals of others.

Read from the source with ast, so a deferred import inside a function
counts like one at the top: a cycle hidden that way is still a cycle.
"""

from __future__ import annotations

import ast
import os

import pytest

import sizescan

PACKAGE = os.path.dirname(sizescan.__file__)

# Lowest first: a module may import only modules of its own layer or below
# (docs/architecture.md explains each layer).
LAYERS = [
    {"_version", "records", "measure", "kinds", "errors", "signals"},
    {"tally", "options", "exclude", "fs", "output"},
    {"result"},
    {"collect", "worker", "engine", "cluster"},
    {"ncdu", "compare", "format", "html", "api"},
    {"cli", "__init__", "__main__", "_launch"},
]


def _modules():
    return sorted(name[:-3] for name in os.listdir(PACKAGE) if name.endswith(".py"))


def _tree(module):
    with open(os.path.join(PACKAGE, module + ".py"), encoding="utf-8") as f:
        return ast.parse(f.read(), module)


def _imports(module) -> set[str]:
    """The sizescan modules that ``module`` imports, anywhere in it."""
    found = set()
    for node in ast.walk(_tree(module)):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:  # from . import engine
                found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("sizescan."))
    return found


def test_every_module_has_a_layer():
    placed = set().union(*LAYERS)
    assert set(_modules()) <= placed, set(_modules()) - placed


def test_no_import_cycle():
    graph = {m: _imports(m) for m in _modules()}
    state = {}

    def visit(m, path):
        if state.get(m) == "done":
            return
        if state.get(m) == "open":
            pytest.fail("import cycle: " + " -> ".join(path[path.index(m):] + [m]))
        state[m] = "open"
        for dep in sorted(graph.get(m, ())):
            visit(dep, path + [m])
        state[m] = "done"

    for m in graph:
        visit(m, [])


def test_dependencies_point_down():
    layer_of = {m: i for i, layer in enumerate(LAYERS) for m in layer}
    upward = [(m, dep) for m in _modules() for dep in _imports(m)
              if layer_of[dep] > layer_of[m]]
    assert upward == []


def test_the_wire_contract_imports_nothing_of_ours():
    assert _imports("records") == set()


# Private attributes the package may touch on objects it does not own.
_ALLOWED_PRIVATE = {("os", "_exit")}


def test_no_private_attribute_of_other_objects():
    # Pool's internals (pool._pool, ...) are not an API: workers are found
    # through the pids they report themselves.
    found = []
    for module in _modules():
        for node in ast.walk(_tree(module)):
            if not isinstance(node, ast.Attribute) or not node.attr.startswith("_"):
                continue
            if node.attr.startswith("__") and node.attr.endswith("__"):
                continue
            owner = node.value.id if isinstance(node.value, ast.Name) else None
            if owner in ("self", "cls") or (owner, node.attr) in _ALLOWED_PRIVATE:
                continue
            if node.attr == "_replace":  # NamedTuple's public API, underscored against clashes
                continue
            found.append(f"{module}.py:{node.lineno}: .{node.attr}")
    assert found == []
