"""The package's shape: folders by layer, dependencies pointing down.

Read from the source with ast, so a deferred import inside a function
counts like one at the top: a cycle hidden that way is still a cycle.
docs/architecture.md draws the same picture.
"""

from __future__ import annotations

import ast
import os

import pytest

import sizescan

PACKAGE = os.path.dirname(sizescan.__file__)

# Lowest first: a module may import only modules of its own floor or below.
# A floor is a folder (every module in it) or a list of top-level modules.
FLOORS = [
    ("vocabulary", {"_version", "errors", "signals", "hashes"}),
    ("model", "model"),  # what a scan is
    ("engine", "engine"),  # how a scan is made
    ("files", "files"),  # files in and out
    ("history", "history"),  # what a scan was: snapshots, growth
    ("library", {"api"}),  # scan(): the engine wired to the files
    ("command", "command"),  # the command, its options and its formatter
    ("entry points", {"__init__", "__main__", "_launch"}),
]

# Modules that import nothing of sizescan: the escaping of names, read by
# every floor above, and the hashes that the wire contract's keys are made with.
LEAVES = {"model.names", "model.measure", "_version", "errors", "signals", "hashes"}

MAX_LINES = 500


def _modules() -> list[str]:
    """Every module of the package, dotted below it (``engine.walker``)."""
    found = []
    for folder, _dirs, files in os.walk(PACKAGE):
        rel = os.path.relpath(folder, PACKAGE)
        prefix = "" if rel == "." else rel.replace(os.sep, ".") + "."
        found += [prefix + f[:-3] for f in files if f.endswith(".py")]
    return sorted(found)


def _file(module: str) -> str:
    return os.path.join(PACKAGE, *module.split(".")) + ".py"


def _tree(module: str) -> ast.Module:
    with open(_file(module), encoding="utf-8") as f:
        return ast.parse(f.read(), module)


def _package_of(module: str) -> list[str]:
    """The package a relative import in ``module`` starts from."""
    return module.split(".")[:-1]


def _imports(module: str) -> set[str]:
    """The sizescan modules that ``module`` imports, anywhere in it."""
    known = set(_modules())
    found = set()
    for node in ast.walk(_tree(module)):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = _package_of(module)
            base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
            target = ".".join(base + (node.module.split(".") if node.module else []))
            if target in known:
                found.add(target)
            else:  # from . import walker; from ..engine import dask
                for alias in node.names:
                    name = ".".join(filter(None, [target, alias.name]))
                    found.add(name if name in known else target + ".__init__")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sizescan."):
            found.add(node.module[len("sizescan.") :])
        elif isinstance(node, ast.Import):
            found.update(
                a.name[len("sizescan.") :] for a in node.names if a.name.startswith("sizescan.")
            )
    return {m[: -len(".__init__")] if m.endswith(".__init__") else m for m in found} - {module}


def _floor(module: str) -> int:
    top = module.split(".")[0]
    for i, (_name, members) in enumerate(FLOORS):
        if isinstance(members, str) and top == members and "." in module:
            return i
        if isinstance(members, str) and module == members:  # the folder's __init__
            return i
        if isinstance(members, set) and module in members:
            return i
    raise AssertionError(f"{module} is on no floor")


def _canonical(module: str) -> str:
    return module[: -len(".__init__")] if module.endswith(".__init__") else module


def test_every_module_is_on_a_floor():
    for module in _modules():
        _floor(_canonical(module))


def test_every_folder_says_what_it_holds():
    for _name, members in FLOORS:
        if isinstance(members, str):
            doc = ast.get_docstring(_tree(members + ".__init__"))
            assert doc and len(doc) > 200, f"{members}/__init__.py needs its paragraph"


def test_no_import_cycle():
    graph = {_canonical(m): _imports(m) for m in _modules()}
    state: dict[str, str] = {}

    def visit(m, path):
        if state.get(m) == "done":
            return
        if state.get(m) == "open":
            pytest.fail("import cycle: " + " -> ".join(path[path.index(m) :] + [m]))
        state[m] = "open"
        for dep in sorted(graph.get(m, ())):
            visit(dep, path + [m])
        state[m] = "done"

    for m in graph:
        visit(m, [])


def test_dependencies_point_down():
    upward = [
        (m, dep) for m in _modules() for dep in _imports(m) if _floor(dep) > _floor(_canonical(m))
    ]
    assert upward == []


def test_the_model_knows_nothing_of_how_a_scan_is_made():
    # Keys and paths are the model's own leaf (model.keys): the model reads
    # no record of the engine's wire contract.
    for m in _modules():
        if m.startswith("model."):
            assert not {d for d in _imports(m) if d.startswith("engine")}, m


def test_no_file_format_imports_the_people_formatter():
    # A name in an export's message or in the report is escaped by the
    # leaf model.names, never by the terminal's formatter.
    for m in _modules():
        if m.startswith("files."):
            assert not {d for d in _imports(m) if d.startswith("command")}, m


def test_leaves_import_nothing_of_ours():
    for leaf in LEAVES:
        assert _imports(leaf) == set(), leaf


def test_the_wire_contract_imports_only_keys():
    assert _imports("engine.records") <= {"model.keys"}
    assert _imports("model.keys") == {"hashes"}


def test_no_module_over_500_lines():
    long = {}
    for m in _modules():
        with open(_file(m), encoding="utf-8") as f:
            lines = sum(1 for _ in f)
        if lines > MAX_LINES:
            long[m] = lines
    assert long == {}


def test_the_per_entry_loop_stays_short():
    # The loop that runs once per file: its rare cases live in the
    # directory's _Pass, so that what every entry pays for can be read at once.
    for node in ast.walk(_tree("engine.pipeline")):
        if isinstance(node, ast.FunctionDef) and node.name == "_size_entries":
            assert node.end_lineno - node.lineno + 1 <= 60
            return
    pytest.fail("engine.pipeline has no _size_entries")


# Private attributes the package may touch on objects it does not own.
_ALLOWED_PRIVATE = {("os", "_exit")}
# In a subclass of Pool: its own change notifier's pipe, waited on as CPython's
# ThreadPool waits on it (see engine.pool._quiet_pool).
_ALLOWED_IN_MODULE = {("engine.pool", "_reader")}


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
            if (module, node.attr) in _ALLOWED_IN_MODULE:
                continue
            if node.attr == "_replace":  # NamedTuple's public API, underscored against clashes
                continue
            found.append(f"{module}.py:{node.lineno}: .{node.attr}")
    assert found == []
