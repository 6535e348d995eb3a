"""Whether a class still reads a parameter it keeps, or only methods it overrides did.

`TestRegCoefD(TestRegCoefC)` inherits `__init__`, which keeps `nested_res` as
`self.nres`, and overrides `_compute_test_stat`, the only method that reached its reader
(`_compute_se_lambda`): in `TestRegCoefD` the parameter does nothing, so the base's words for
it would be false there.
"""

from __future__ import annotations

import ast

from docgen_plugin.checks.fix.sources import Method, Sources
from docgen_plugin.facts.model import ObjectFacts


def _stored_as(function: ast.AST, name: str) -> set[str] | None:
    """The attributes `self.x = name` keeps `name` in; None where the body reads it otherwise."""
    stored: set[str] = set()
    kept: set[int] = set()
    for node in ast.walk(function):
        if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Name) and node.value.id == name
                and all(isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name)
                        and t.value.id == "self" for t in node.targets)):
            stored.update(t.attr for t in node.targets)  # type: ignore[attr-defined]
            kept.add(id(node.value))
    for node in ast.walk(function):
        if (isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Load)
                and id(node) not in kept):
            return None
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("locals", "vars"):
            return None  # every local read at once
    return stored


def _reads(function: ast.AST, attributes: set[str]) -> bool:
    """`self.x` read, or `"x"` named (as `getattr(self, "x")` would), for any `x` given."""
    return any((isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id == "self" and node.attr in attributes and isinstance(node.ctx, ast.Load))
               or (isinstance(node, ast.Constant) and node.value in attributes)
               for node in ast.walk(function))


def _live(methods: dict[str, Method]) -> set[int]:
    """The methods a class can run: public and dunder ones, and the private ones those reach
    through `self.name` (called or handed on as a callback). A private helper only an
    overridden method called is dead code in the subclass."""
    live = {name for name in methods if not name.startswith("_") or name.endswith("__")}
    pending = list(live)
    while pending:
        function = methods[pending.pop()][0]
        for node in ast.walk(function):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id == "self" and node.attr in methods and node.attr not in live):
                live.add(node.attr)
                pending.append(node.attr)
    return {id(methods[name][0]) for name in live}


def _read_from_outside(sources: Sources, cls: ObjectFacts, attributes: set[str]) -> bool:
    """`result.nres` in the class's module, on something not `self`: code elsewhere may read
    what the class itself no longer does."""
    tree = sources.tree(cls.file)
    return tree is None or any(
        isinstance(node, ast.Attribute) and node.attr in attributes and isinstance(node.ctx, ast.Load)
        and not (isinstance(node.value, ast.Name) and node.value.id == "self")
        for node in ast.walk(tree))


def dead_readers(sources: Sources, obj: ObjectFacts, name: str) -> list[str]:
    """The methods that read the parameter, where `obj` keeps it on `self` (in the `__init__`
    it runs) but can run none of them; empty when anything it runs reads it, or when unsure."""
    cls = sources.facts.get(obj.module) if obj.kind == "method" and obj.name == "__init__" else obj
    if cls is None or cls.kind != "class":
        return []
    found = sources.initialiser(cls)
    if found is None:
        return []
    attributes = _stored_as(found[0], name)
    if not attributes:
        return []
    every = [(statement, holder) for holder in sources.mro(cls)
             for statement in getattr(sources.definition(holder), "body", [])
             if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef))]
    reading = [(function, holder) for function, holder in every if _reads(function, attributes)]
    live = _live(sources.methods(cls))
    if any(id(function) in live for function, _ in reading) or _read_from_outside(sources, cls, attributes):
        return []
    return [f"{holder.name}.{function.name}" for function, holder in reading]
