"""One direction of imports: the layer order of DESIGN.md, held by reading every module's imports.

Each module of `docgen_plugin` is parsed with `ast` (nothing is imported), and every import in it
is collected: module-level ones, those under `if TYPE_CHECKING:`, and those inside functions. The
test fails on an import that goes up the layer order, on an import cycle between modules, and on
an import of another module's `_private` name.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

import docgen_plugin

PACKAGE = "docgen_plugin"
ROOT = Path(docgen_plugin.__file__).parent

# Lowest first. A module may import from its own layer or any layer below, never above. The names
# are the part after `docgen_plugin.`: a subpackage or a top-level module. "" is the package itself:
# it only defines `__version__` and names its exports as strings, so every layer may read it.
LAYERS: list[tuple[str, ...]] = [
    ("", "errors", "files", "lazy", "store"),
    ("settings",),
    ("facts",),
    ("sections",),
    ("markers",),
    ("checks",),
    ("generate",),
    ("finetune", "integrations"),
    ("cli",),
]
LAYER_OF = {name: rank for rank, names in enumerate(LAYERS) for name in names}


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the imported module (a submodule where `from pkg import mod` names one)
    name: str | None  # the name taken from target, None for `import target` or a submodule
    line: int
    local: bool  # inside a function: runs at call time, not at import time

    def where(self) -> str:
        return f"{self.source}:{self.line}"


def module_files() -> dict[str, Path]:
    modules = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = [PACKAGE, *path.relative_to(ROOT).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


MODULES = module_files()


def resolve(module: str, node: ast.ImportFrom) -> str:
    """The absolute module name of a `from ... import`, relative levels resolved."""
    if not node.level:
        return node.module or ""
    base = module.split(".")
    if MODULES[module].name != "__init__.py":
        base.pop()  # a plain module's level 1 is its package
    base = base[: len(base) - node.level + 1]
    return ".".join([*base, *([node.module] if node.module else [])])


def function_local_nodes(tree: ast.Module) -> set[int]:
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            inside.update(id(child) for child in ast.walk(node) if child is not node)
    return inside


def imports_of(module: str) -> list[Import]:
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    local = function_local_nodes(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == PACKAGE:
                    found.append(Import(module, alias.name, None, node.lineno, id(node) in local))
        elif isinstance(node, ast.ImportFrom):
            target = resolve(module, node)
            if target.split(".")[0] != PACKAGE:
                continue
            for alias in node.names:
                submodule = f"{target}.{alias.name}"
                if submodule in MODULES:
                    found.append(Import(module, submodule, None, node.lineno, id(node) in local))
                else:
                    found.append(Import(module, target, alias.name, node.lineno, id(node) in local))
    return found


IMPORTS = [imp for module in MODULES for imp in imports_of(module)]


def layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_every_module_has_a_layer():
    assert {layer(m) for m in MODULES} - LAYER_OF.keys() == set()


def test_the_walk_sees_imports_of_every_kind():
    # Guards the test itself: it must find relative, TYPE_CHECKING and function-local imports.
    assert any(imp.local for imp in IMPORTS)
    assert all(imp.target in MODULES for imp in IMPORTS), [
        (imp.where(), imp.target) for imp in IMPORTS if imp.target not in MODULES
    ]


def test_no_import_goes_up_the_layers():
    upward = [
        f"{imp.where()} imports {imp.target} ({layer(imp.source) or PACKAGE} may not import "
        f"{layer(imp.target)}: it is a higher layer)"
        for imp in IMPORTS
        if LAYER_OF[layer(imp.target)] > LAYER_OF[layer(imp.source)]
    ]
    assert upward == [], "\n".join(upward)


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as a path that returns to its start, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_no_import_cycles():
    # Function-local imports count too: none needs the exemption, so none gets it. A package
    # importing its own submodules is no cycle: Python loads the parent before the child anyway,
    # so the child's implicit import of its parent is not an edge.
    edges: dict[str, set[str]] = {}
    for imp in IMPORTS:
        if imp.target != imp.source:
            edges.setdefault(imp.source, set()).add(imp.target)
    cycle = find_cycle(edges)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def test_no_module_takes_another_modules_private_names():
    taken = [
        f"{imp.where()} imports {imp.name} from {imp.target}"
        for imp in IMPORTS
        if imp.name and is_private(imp.name) and imp.target != imp.source
    ]
    taken += [
        f"{imp.where()} imports the private module {imp.target}"
        for imp in IMPORTS
        if any(is_private(part) for part in imp.target.split("."))
        and imp.target.rsplit(".", 1)[0] != imp.source.rsplit(".", 1)[0]
    ]
    assert taken == [], "\n".join(taken)


@pytest.mark.parametrize(
    ("edges", "cycle"),
    [
        ({"a": {"b"}, "b": {"c"}}, None),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, ["a", "b", "c", "a"]),
        ({"x": {"a"}, "a": {"b"}, "b": {"a"}}, ["a", "b", "a"]),
    ],
)
def test_find_cycle(edges, cycle):
    assert find_cycle(edges) == cycle
