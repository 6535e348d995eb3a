"""Descriptions of parameters an object hands on unchanged to a documented callee.

`super().__init__(endog, exog, missing=missing)`, `MLEResults.__init__(self, model, params)`,
`self.inner = Foo(block_size=block_size)`: the value is the callee's parameter, so the callee's
docstring entry for it is this parameter's description too. Facts record that kwargs are
forwarded (`forwards_kwargs_to_base`) and which names reach a base, not which argument lands
on which parameter, so the calls are read here from the object's own source.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

from docgen_plugin.checks.values import same_value
from docgen_plugin.facts.call_sites import dotted_name
from docgen_plugin.facts.docstrings import documented_default
from docgen_plugin.facts.model import Facts, ObjectFacts, Param, Signature

_POSITIONAL = ("positional-only", "positional-or-keyword")


class ForwardIndex:
    """Reads each caller's source once; `find` answers one parameter."""

    def __init__(self, facts: Facts, files: Mapping[str, tuple[Path, str]]) -> None:
        self._facts = facts
        self._files = files  # display -> (path, dotted module)
        self._trees: dict[str, ast.Module | None] = {}

    def find(self, obj: ObjectFacts, param: Param) -> tuple[str, str] | None:
        """(description, callee path) of the first documented callee `param` reaches unchanged."""
        function, imports = self._function(obj)
        if function is None or _reassigned(function, param.name):
            return None  # a value the body changes first is no longer the one passed on
        # the class whose bases `super()` means: the object itself, or a method's class
        owner = obj if obj.kind == "class" else self._facts.get(obj.module)
        module = self._files.get(obj.file, (Path(), obj.module))[1]
        for call in _calls(function):
            found = self._callee(call, owner, module, imports)
            if found is None:
                continue
            callee, bound_self = found
            target = _receiving(call, param.name, callee[1], bound_self)
            text = _entry(callee[0], target, param) if target else None
            if text is not None:
                return text, callee[0].path
        return None

    def _tree(self, display: str) -> ast.Module | None:
        if display not in self._trees:
            path = self._files.get(display, (Path(display), ""))[0]
            try:
                self._trees[display] = ast.parse(path.read_bytes())
            except (OSError, SyntaxError, ValueError):
                self._trees[display] = None
        return self._trees[display]

    def _function(self, obj: ObjectFacts) -> tuple[ast.AST | None, dict[str, str]]:
        tree = self._tree(obj.file)
        if tree is None:
            return None, {}
        imports = _imports(tree, self._files.get(obj.file, (Path(), ""))[1], obj.file)
        for node in ast.walk(tree):
            if (isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                    and node.name == obj.name
                    and obj.line in (node.lineno, *(d.lineno for d in node.decorator_list))):
                if not isinstance(node, ast.ClassDef):
                    return node, imports
                return next((s for s in node.body if isinstance(s, ast.FunctionDef)
                             and s.name == "__init__"), None), imports
        return None, imports

    def _callee(self, call: ast.Call, owner: ObjectFacts | None, module: str,
                imports: dict[str, str]) -> tuple[tuple[ObjectFacts, Signature], bool] | None:
        """The callee's facts and documented signature, and whether `self` is bound already
        (`super().__init__(...)`, `Foo(...)`) or passed first (`Base.__init__(self, ...)`)."""
        func = call.func
        if (isinstance(func, ast.Attribute) and func.attr == "__init__"
                and isinstance(func.value, ast.Call) and isinstance(func.value.func, ast.Name)
                and func.value.func.id == "super"):
            base = self._documented_base(owner)
            return (base, True) if base else None
        name = dotted_name(func)
        if name is None:
            return None
        if name.endswith(".__init__") and owner is not None:
            head = name[:-len(".__init__")]
            base = next((self._facts.get(b) for b in owner.bases
                         if b == imports.get(head) or b.rsplit(".", 1)[-1] == head), None)
            documented = _documented(base) if base else None
            return ((base, documented), False) if base and documented else None  # type: ignore[return-value]
        head, _, rest = name.partition(".")
        path = imports.get(head, f"{module}.{head}")
        target = self._facts.get(f"{path}.{rest}" if rest else path) or self._facts.find(
            f"{path}.{rest}" if rest else path)
        if target is None or target.kind not in ("class", "function"):
            return None  # a method of an instance: which class is not known statically
        documented = _documented(target)
        return ((target, documented), True) if documented else None

    def _documented_base(self, owner: ObjectFacts | None) -> tuple[ObjectFacts, Signature] | None:
        """The `__init__` that `super().__init__` runs: the first loaded base that has one."""
        seen: set[str] = set()
        queue = list(owner.bases) if owner else []
        while queue:
            base = self._facts.get(queue.pop(0))
            if base is None or base.path in seen:
                continue
            seen.add(base.path)
            documented = _documented(base)
            if documented is not None:
                return base, documented
            queue = list(base.bases) + queue
        return None


def _documented(obj: ObjectFacts) -> Signature | None:
    """A callee's own signature, only where it has a docstring to read (`__init__`'s, for a class)."""
    signature = obj.signature("__init__") if obj.kind == "class" else (
        obj.signatures[0] if obj.signatures else None)
    return signature if obj.docstring is not None and signature is not None else None


def _calls(function: ast.AST) -> Iterator[ast.Call]:
    """Calls in source order; the ones of nested functions and classes run elsewhere."""
    stack = list(reversed(getattr(function, "body", [])))
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if isinstance(node, ast.Call):
            yield node
        stack.extend(reversed(list(ast.iter_child_nodes(node))))


def _reassigned(function: ast.AST, name: str) -> bool:
    """`name = ...`, `name += ...`, `for name in ...`, `del name` anywhere in the body."""
    return any(isinstance(n, ast.Name) and n.id == name and not isinstance(n.ctx, ast.Load)
               for n in ast.walk(function))


def _receiving(call: ast.Call, name: str, signature: Signature, bound_self: bool) -> str | None:
    """The callee parameter that takes `name` as it is: `x=name`, or `name` at its position."""
    for keyword in call.keywords:
        if keyword.arg and isinstance(keyword.value, ast.Name) and keyword.value.id == name:
            return keyword.arg if signature.param(keyword.arg) is not None else None
    params = list(signature.params)
    if bound_self and params and params[0].name in ("self", "cls"):
        params = params[1:]  # `self` is bound: the first argument is the first after it
    for i, arg in enumerate(call.args):
        if isinstance(arg, ast.Starred):
            return None  # after `*args` the positions are not known
        if isinstance(arg, ast.Name) and arg.id == name:
            if i >= len(params) or params[i].kind not in _POSITIONAL:
                return None
            return params[i].name
    return None


def _entry(callee: ObjectFacts, name: str, param: Param) -> str | None:
    """The callee's words for `name`, unless they state a default this parameter does not have."""
    entry = callee.docstring.param(name) if callee.docstring else None
    if entry is None or not entry.description.strip():
        return None
    text = " ".join(entry.description.split())
    stated = documented_default(text, None)
    if stated is not None and (param.default is None or same_value(stated, param.default) is False):
        return None
    return text


def _imports(tree: ast.Module, module: str, display: str) -> dict[str, str]:
    """Local name -> full path, of the module's imports (relative ones resolved)."""
    package = module if display.endswith("__init__.py") else module.rpartition(".")[0]
    names: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parent = ".".join(parts[:len(parts) - node.level + 1])
                base = f"{parent}.{base}" if node.module else parent
            for alias in node.names:
                names[alias.asname or alias.name] = f"{base}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                names[alias.asname or alias.name.split(".")[0]] = (
                    alias.name if alias.asname else alias.name.split(".")[0])
    return names
