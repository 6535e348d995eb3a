"""Descriptions of parameters an object hands on unchanged to a documented callee.

`super().__init__(endog, exog, missing=missing)`, `MLEResults.__init__(self, model, params)`,
`self.inner = Foo(block_size=block_size)`, `self.inject_adapter(..., state_dict=state_dict)`:
the value is the callee's parameter, so the callee's docstring entry for it is this
parameter's description too. A class without an `__init__` of its own is read through the
one it inherits; `self.method` is the method the object's class answers to. Facts record that
kwargs are forwarded (`forwards_kwargs_to_base`) and which names reach a base, not which
argument lands on which parameter, so the calls are read here from the source.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from docgen_plugin.checks.fix.sources import Sources
from docgen_plugin.checks.values import same_value
from docgen_plugin.facts.call_sites import dotted_name
from docgen_plugin.facts.docstrings import documented_default
from docgen_plugin.facts.model import ObjectFacts, Param, Signature

_POSITIONAL = ("positional-only", "positional-or-keyword")
MAX_DEPTH = 3  # calls followed past the first: enough for a base's `__init__` and its helper


class ForwardIndex:
    """Reads each caller's source once (through `Sources`); `find` answers one parameter."""

    def __init__(self, sources: Sources) -> None:
        self._sources = sources
        self._facts = sources.facts

    def find(self, obj: ObjectFacts, param: Param, *, name: str | None = None,
             instance: ObjectFacts | None = None, depth: int = 0) -> tuple[str, str] | None:
        """(description, callee path) of the first documented callee `param` reaches unchanged.

        A callee that takes the value without documenting it is followed into its own body
        (`AdamssModel` -> `super().__init__` -> `self.inject_adapter`), a few calls deep; `self`
        stays the object's class while the calls are on the same instance.
        """
        name = name or param.name
        found = self._function(obj)
        if found is None:
            return None
        function, holder, own_instance = found
        instance = instance or own_instance
        if _reassigned(function, name):
            return None  # a value the body changes first is no longer the one passed on
        tree = self._sources.tree(holder.file)
        module = self._sources.module(holder)
        imports = _imports(tree, module, holder.file) if tree else {}
        for call in _calls(function):
            callee = self._callee(call, holder, instance, module, imports)
            if callee is None:
                continue
            (target_obj, signature), bound_self = callee
            target = _receiving(call, name, signature, bound_self)
            if target is None:
                continue
            text = _entry(target_obj, target, param)
            if text is not None:
                text = _in_callers_names(text, _arguments(call, signature, bound_self), target,
                                         _param_names(obj))
            if text is not None:
                return text, target_obj.path
            if depth < MAX_DEPTH:
                on_self = _on_self(call)
                deeper = self.find(target_obj, param, name=target, depth=depth + 1,
                                   instance=instance if on_self else None)
                if deeper is not None:
                    return deeper
        return None

    def _function(self, obj: ObjectFacts) -> tuple[ast.AST, ObjectFacts, ObjectFacts | None] | None:
        """The body that receives `obj`'s parameters, the object whose source holds it (the
        class whose bases `super()` means, whose module's imports apply), and the class `self`
        is an instance of. A class runs its own `__init__` or the nearest loaded base's."""
        if obj.kind == "class":
            found = self._sources.initialiser(obj)
            return (found[0], found[1], obj) if found else None
        node = self._sources.definition(obj)
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return None
        owner = self._facts.get(obj.module) if obj.kind == "method" else None
        if owner is not None and owner.kind == "class":
            return node, owner, owner
        return node, obj, None

    def _callee(self, call: ast.Call, holder: ObjectFacts, instance: ObjectFacts | None, module: str,
                imports: dict[str, str]) -> tuple[tuple[ObjectFacts, Signature], bool] | None:
        """The callee's facts and documented signature, and whether `self` is bound already
        (`super().__init__(...)`, `Foo(...)`, `self.method(...)`) or passed first
        (`Base.__init__(self, ...)`)."""
        func = call.func
        owner = holder if holder.kind == "class" else None
        if (isinstance(func, ast.Attribute) and func.attr == "__init__"
                and isinstance(func.value, ast.Call) and isinstance(func.value.func, ast.Name)
                and func.value.func.id == "super"):
            base = self._documented_base(owner)
            return (base, True) if base else None
        if (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
                and func.value.id == "self" and instance is not None):
            return self._own_method(instance, func.attr)
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

    def _own_method(self, instance: ObjectFacts,
                    name: str) -> tuple[tuple[ObjectFacts, Signature], bool] | None:
        """`self.name(...)`: the method the instance's class answers to (a subclass's override
        wins), where it is loaded and documented."""
        methods = self._sources.methods(instance)
        if name not in methods:
            return None
        holder = methods[name][1]
        method = self._facts.get(f"{holder.path}.{name}")
        documented = _documented(method) if method is not None else None
        return ((method, documented), True) if method is not None and documented else None

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


def _param_names(obj: ObjectFacts) -> set[str]:
    signature = obj.call_signature
    return {p.name for p in signature.params} if signature is not None else set()


def _arguments(call: ast.Call, signature: Signature, bound_self: bool) -> dict[str, ast.expr]:
    """Callee parameter -> the expression the call passes it (by keyword or position)."""
    params = list(signature.params)
    if bound_self and params and params[0].name in ("self", "cls"):
        params = params[1:]  # `self` is bound: the first argument is the first after it
    passed: dict[str, ast.expr] = {}
    for i, arg in enumerate(call.args):
        if isinstance(arg, ast.Starred):
            break  # after `*args` the positions are not known
        if i < len(params) and params[i].kind in _POSITIONAL:
            passed[params[i].name] = arg
    passed.update({k.arg: k.value for k in call.keywords if k.arg})
    return passed


def _in_callers_names(text: str, passed: dict[str, ast.expr], target: str, own: set[str]) -> str | None:
    """The callee's words with its other parameters named as the caller passes them: `results`
    becomes `filter_results` where the caller passes `filter_results` as `results`. None where
    the words speak of a parameter the caller does not pass on from its own (`exog` in "a
    pandas object given for endog or exog" of a model that passes `exog=None`)."""
    for name, value in passed.items():
        if name == target:
            continue
        quoted = re.compile(rf"`{re.escape(name)}`")
        bare = re.compile(rf"(?<![`\w]){re.escape(name)}(?![`\w])")
        mine = value.id if isinstance(value, ast.Name) and value.id in own else None
        if mine is not None:
            text = quoted.sub(f"`{mine}`", text)
        elif quoted.search(text) or (isinstance(value, ast.Constant) and bare.search(text)):
            return None
    return text


def _on_self(call: ast.Call) -> bool:
    """`super().__init__(...)`, `Base.__init__(self, ...)`, `self.method(...)`: the same instance."""
    func = call.func
    if not isinstance(func, ast.Attribute):
        return False
    if isinstance(func.value, ast.Name) and func.value.id == "self":
        return True
    if isinstance(func.value, ast.Call) and getattr(func.value.func, "id", None) == "super":
        return True
    return func.attr == "__init__" and bool(call.args) and getattr(call.args[0], "id", None) == "self"


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
    return next((target for target, value in _arguments(call, signature, bound_self).items()
                 if isinstance(value, ast.Name) and value.id == name
                 and signature.param(target) is not None), None)


def _entry(callee: ObjectFacts, name: str, param: Param) -> str | None:
    """The callee's words for `name`, unless they state a default this parameter does not have."""
    doc = callee.docstring
    entry = doc.param(name) if doc else None
    written = entry.description if entry else (_colonless_entry(doc.text, name) if doc else None)
    if not written or not written.strip():
        return None
    text = " ".join(written.split())
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


def _colonless_entry(text: str, name: str) -> str | None:
    """The text of an entry written without its colon, `state_dict (`dict`, *optional*)` above
    its indented description: griffe drops it (DG003 on the callee), but the words are the
    maintainers' own for that parameter."""
    head = re.compile(rf"^([ \t]*){re.escape(name)}\s*\([^:\n]*\)[ \t]*$")
    lines = text.splitlines()
    for i, line in enumerate(lines):
        match = head.match(line)
        if match is None:
            continue
        body = []
        for following in lines[i + 1:]:
            if not following.strip() or len(following) - len(following.lstrip()) <= len(match.group(1)):
                break
            body.append(following.strip())
        return " ".join(body) or None
    return None
