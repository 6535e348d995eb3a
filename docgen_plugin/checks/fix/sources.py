"""The package's classes and functions as syntax trees, for fixes that read code facts do not keep.

Facts say which bases a class has and which methods exist, not what a method's body does with
a value; `forwarded` (where a parameter goes) and `describe` (whether anything still reads it)
read the bodies here. Each file is parsed once.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from pathlib import Path

from docgen_plugin.facts.model import Facts, ObjectFacts

Function = ast.FunctionDef | ast.AsyncFunctionDef
Definition = ast.ClassDef | Function
Method = tuple[Function, ObjectFacts]  # a definition and the class that holds it


class Sources:
    """Syntax trees of the loaded files, and the definitions of the loaded objects in them."""

    def __init__(self, facts: Facts, files: Mapping[str, tuple[Path, str]]) -> None:
        self.facts = facts
        self._files = files  # display -> (path, dotted module)
        self._trees: dict[str, ast.Module | None] = {}
        self._definitions: dict[str, dict[tuple[str, int], Definition]] = {}  # display -> by (name, line)

    def tree(self, display: str) -> ast.Module | None:
        if display not in self._trees:
            path = self._files.get(display, (Path(display), ""))[0]
            try:
                self._trees[display] = ast.parse(path.read_bytes())
            except (OSError, SyntaxError, ValueError):
                self._trees[display] = None
        return self._trees[display]

    def module(self, obj: ObjectFacts) -> str:
        """The dotted module of the file `obj` is defined in."""
        return self._files.get(obj.file, (Path(), obj.module))[1]

    def definition(self, obj: ObjectFacts) -> Definition | None:
        """The `class`/`def` statement of `obj`, found by name and line (its own line or a
        decorator's: facts may give either). Each file is indexed once."""
        if obj.file not in self._definitions:
            tree = self.tree(obj.file)
            index: dict[tuple[str, int], Definition] = {}
            for node in ast.walk(tree) if tree is not None else ():
                if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                    for line in (node.lineno, *(d.lineno for d in node.decorator_list)):
                        index.setdefault((node.name, line), node)
            self._definitions[obj.file] = index
        return self._definitions[obj.file].get((obj.name, obj.line))

    def mro(self, cls: ObjectFacts) -> list[ObjectFacts]:
        """`cls` and its bases in Python's lookup order (C3), up to the first class that is not
        loaded (`torch.nn.Module`): what that one and the classes after it define is not known,
        so a name found before it is what `cls` answers to, and one not found is unknown."""
        order: list[ObjectFacts] = []
        for path in self._linearised(cls.path, ()) or [cls.path]:
            found = self.facts.get(path)
            if found is None or found.kind != "class":
                break
            order.append(found)
        return order

    def _linearised(self, path: str, below: tuple[str, ...]) -> list[str] | None:
        """C3 of `path`; a class not loaded stands for itself alone. None if inconsistent."""
        obj = self.facts.get(path)
        if obj is None or obj.kind != "class" or path in below:
            return [path]
        bases = [b for b in obj.bases if b not in ("object", "builtins.object")]
        sequences = [self._linearised(b, (*below, path)) for b in bases] + [bases]
        if any(s is None for s in sequences):
            return None
        pending = [list(s) for s in sequences if s]  # type: ignore[arg-type]
        result = [path]
        while pending:
            head = next((s[0] for s in pending if not any(s[0] in t[1:] for t in pending)), None)
            if head is None:
                return None
            result.append(head)
            pending = [t for t in ([x for x in s if x != head] if s[0] == head else s for s in pending) if t]
        return result

    def methods(self, cls: ObjectFacts) -> dict[str, Method]:
        """Each method name `cls` is known to answer to: the definition that wins, and the class
        that holds it (see `mro` for the names that are not known)."""
        found: dict[str, Method] = {}
        for holder in self.mro(cls):
            node = self.definition(holder)
            for statement in node.body if isinstance(node, ast.ClassDef) else []:
                if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    found.setdefault(statement.name, (statement, holder))
        return found

    def initialiser(self, cls: ObjectFacts) -> Method | None:
        """The `__init__` a class runs (its own or the nearest loaded base's) and its class."""
        node = self.definition(cls)
        if isinstance(node, ast.ClassDef):
            own = next((s for s in node.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))
                        and s.name == "__init__"), None)
            if own is not None:
                return own, cls
        return self.methods(cls).get("__init__")
