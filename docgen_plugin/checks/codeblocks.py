"""Python code blocks in docs, checked against facts with `ast`: never imported, never run.

The shared core of the page checks (DG2xx) and of draft verification: a call to a known
class or function must use keywords it accepts and pass its required arguments. A block that
does not parse is a problem, not a crash. Doctest blocks (`>>>`) are read as the code they
hold, without their output lines.
"""

from __future__ import annotations

import ast
import difflib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from docgen_plugin.facts.examples import PYTHON_INFOS, doctest_source, is_doctest
from docgen_plugin.facts.model import ConfigField, Facts, ObjectFacts, Param, Signature

ProblemKind = Literal[
    "syntax", "unknown-keyword", "missing-argument", "too-many-arguments", "duplicate-argument"
]
# Classmethods that build an instance: `x = Model.from_pretrained(...)` makes `x` a Model.
CONSTRUCTORS = frozenset({"from_pretrained", "from_config", "from_dict", "from_json_file"})


@dataclass(frozen=True)
class CodeBlock:
    """A fenced code block of a Markdown page; `line` is the page line of its first code line."""

    info: str
    code: str
    line: int

    @property
    def language(self) -> str:
        return self.info.split()[0].lower() if self.info.strip() else ""


@dataclass(frozen=True)
class CodeProblem:
    """One problem in a code block; `line` is 1-based within the block's code."""

    kind: ProblemKind
    message: str
    line: int
    target: str = ""  # path of the called object
    subject: str = ""  # the keyword or parameter concerned


def code_blocks(markdown: str) -> list[CodeBlock]:
    """The fenced code blocks of a Markdown text, in order."""
    from markdown_it import MarkdownIt  # light, but only pages with code need it

    blocks = []
    for token in MarkdownIt("commonmark").parse(markdown):
        if token.type == "fence" and token.map is not None:
            blocks.append(CodeBlock(token.info.strip(), token.content, token.map[0] + 2))
    return blocks


def check_block(block: CodeBlock, facts: Facts) -> list[CodeProblem]:
    """Problems in one fenced block, lines relative to the block; non-Python blocks: none.

    An untagged block is checked only when it parses: it may be shell or output.
    """
    language = block.language
    if language and language not in PYTHON_INFOS:
        return []
    if not language and not is_doctest(block.code):
        try:
            ast.parse(block.code)
        except SyntaxError:
            return []
    return check_code(block.code, facts)


def check_code(code: str, facts: Facts) -> list[CodeProblem]:
    """Problems in Python source (or a doctest session) against the facts."""
    origin: list[int] | None = None
    if is_doctest(code):
        code, origin = doctest_source(code)
    try:
        tree = ast.parse(code)
    except SyntaxError as error:
        line = _map_line(error.lineno or 1, origin)
        return [CodeProblem("syntax", f"code does not parse: {error.msg} (line {line})", line)]
    problems = _CallChecker(facts).run(tree)
    if origin is None:
        return problems
    return [
        CodeProblem(p.kind, p.message, _map_line(p.line, origin), p.target, p.subject)
        for p in problems
    ]


def _map_line(line: int, origin: list[int] | None) -> int:
    if origin is None or not origin:
        return line
    return origin[min(max(line, 1), len(origin)) - 1]


# --- resolving names to facts --------------------------------------------------------------


def lookup_object(facts: Facts, path: str) -> ObjectFacts | None:
    """An object by full path, unique name, or re-exported path (`pkg.Model` for
    `pkg.models.Model`: the one object of that name in the package)."""
    found = facts.get(path) or facts.find(path)
    if found is not None or "." not in path:
        return found
    root, _, _ = path.partition(".")
    name = path.rsplit(".", 1)[-1]
    matches = [o for o in facts.named(name) if o.path.split(".")[0] == root]
    return matches[0] if len(matches) == 1 else None


def _fields_signature(config: ObjectFacts) -> Signature:
    params = tuple(
        Param(f.name, "keyword-only", f.annotation, f.default) for f in _init_fields(config)
    )
    return Signature("__init__", params)


def _init_fields(config: ObjectFacts) -> tuple[ConfigField, ...]:
    return config.fields


def call_signature(obj: ObjectFacts) -> Signature | None:
    """What calling `obj` binds to: `__init__` (or the fields of a dataclass-like config)."""
    signature = obj.call_signature
    if signature is None and obj.kind == "class" and obj.config_kind in (
        "dataclass", "pydantic", "attrs"
    ):
        return _fields_signature(obj)
    return signature


def _method(obj: ObjectFacts, facts: Facts, name: str) -> Signature | None:
    signature = obj.signature(name)
    if signature is not None:
        return signature
    method = facts.get(f"{obj.path}.{name}")
    return method.signatures[0] if method is not None and method.signatures else None


class _CallChecker(ast.NodeVisitor):
    """Walks a module in order, tracking imports and instances, checking each call."""

    def __init__(self, facts: Facts) -> None:
        self.facts = facts
        self.names: dict[str, str] = {}  # local name -> dotted path
        self.instances: dict[str, str] = {}  # variable -> class path
        self.problems: list[CodeProblem] = []

    def run(self, tree: ast.AST) -> list[CodeProblem]:
        self.visit(tree)
        return self.problems

    # imports and assignments

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.asname:
                self.names[alias.asname] = alias.name
            else:
                root = alias.name.split(".")[0]
                self.names[root] = root

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level or not node.module:
            return
        for alias in node.names:
            self.names[alias.asname or alias.name] = f"{node.module}.{alias.name}"

    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        cls = self._instance_of(node.value)
        for target in node.targets:
            if isinstance(target, ast.Name):
                if cls is not None:
                    self.instances[target.id] = cls
                else:
                    self.instances.pop(target.id, None)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)
            cls = self._instance_of(node.value)
            if isinstance(node.target, ast.Name) and cls is not None:
                self.instances[node.target.id] = cls

    def _instance_of(self, value: ast.expr) -> str | None:
        if not isinstance(value, ast.Call):
            return None
        obj = self._resolve(value.func)
        if obj is not None and obj.kind == "class":
            return obj.path
        func = value.func
        if isinstance(func, ast.Attribute) and func.attr in CONSTRUCTORS:
            owner = self._resolve(func.value)
            if owner is not None and owner.kind == "class":
                return owner.path
        return None

    def _path(self, node: ast.expr) -> str | None:
        if isinstance(node, ast.Name):
            if node.id in self.names:
                return self.names[node.id]
            found = self.facts.find(node.id)  # docs often skip the import
            return found.path if found is not None else None
        if isinstance(node, ast.Attribute):
            base = self._path(node.value)
            return f"{base}.{node.attr}" if base else None
        return None

    def _resolve(self, node: ast.expr) -> ObjectFacts | None:
        path = self._path(node)
        return lookup_object(self.facts, path) if path else None

    # calls

    def visit_Call(self, node: ast.Call) -> None:
        self.generic_visit(node)
        found = self._target(node.func)
        if found is not None:
            label, signature = found
            self._check(node, label, signature)

    def _target(self, func: ast.expr) -> tuple[str, Signature] | None:
        if isinstance(func, ast.Name) and func.id in self.instances:
            cls = lookup_object(self.facts, self.instances[func.id])
            if cls is None:
                return None
            signature = _method(cls, self.facts, "forward") or _method(cls, self.facts, "__call__")
            return (f"{cls.path}.{signature.name}", signature) if signature else None
        if (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id in self.instances
        ):
            cls = lookup_object(self.facts, self.instances[func.value.id])
            signature = _method(cls, self.facts, func.attr) if cls is not None else None
            return (f"{cls.path}.{func.attr}", signature) if cls and signature else None
        obj = self._resolve(func)
        if obj is not None:
            signature = call_signature(obj) if obj.kind == "class" else (
                obj.signatures[0] if obj.signatures else None
            )
            return (obj.path, signature) if signature is not None else None
        if isinstance(func, ast.Attribute):  # Class.method(...)
            owner = self._resolve(func.value)
            if owner is not None and owner.kind == "class":
                signature = _method(owner, self.facts, func.attr)
                if signature is not None:
                    return f"{owner.path}.{func.attr}", signature
        return None

    def _check(self, node: ast.Call, label: str, signature: Signature) -> None:
        if len(node.args) == 1 and not node.keywords and _is_ellipsis(node.args[0]):
            return  # `Model(...)`: arguments elided on purpose
        params = list(signature.params)
        if params and params[0].name in ("self", "cls"):
            params = params[1:]
        positional = [
            p for p in params
            if p.kind in ("positional-only", "positional-or-keyword") and p.forwarded_from is None
        ]
        by_keyword = {
            p.name: p for p in params if p.kind in ("positional-or-keyword", "keyword-only")
        }
        var_positional = any(p.kind == "var-positional" for p in params)
        any_keyword = signature.accepts_any_keyword
        splat = any(isinstance(a, ast.Starred) for a in node.args)
        double_splat = any(k.arg is None for k in node.keywords)
        parts = label.split(".")
        # `Model` for a class or function, `Model.forward` for a method
        short = ".".join(parts[-2:]) if parts[-2:-1] and parts[-2][:1].isupper() else parts[-1]
        line = node.lineno

        bound: set[str] = set()
        if not splat:
            if len(node.args) > len(positional) and not var_positional:
                self.problems.append(CodeProblem(
                    "too-many-arguments",
                    f"`{short}` takes {len(positional)} positional argument(s), "
                    f"{len(node.args)} given",
                    line, label,
                ))
            bound = {p.name for p in positional[: len(node.args)]}
        for keyword in node.keywords:
            if keyword.arg is None:
                continue
            name = keyword.arg
            if name in bound:
                self.problems.append(CodeProblem(
                    "duplicate-argument", f"`{short}` gets `{name}` twice", line, label, name
                ))
            elif name not in by_keyword and not any_keyword:
                close = difflib.get_close_matches(name, list(by_keyword), n=1)
                hint = f" (did you mean `{close[0]}`?)" if close else ""
                self.problems.append(CodeProblem(
                    "unknown-keyword",
                    f"`{short}` has no parameter `{name}`{hint}",
                    line, label, name,
                ))
            bound.add(name)
        if splat or double_splat:
            return
        for param in params:
            if param.required and param.name not in bound and param.forwarded_from is None:
                self.problems.append(CodeProblem(
                    "missing-argument",
                    f"`{short}` is called without its required argument `{param.name}`",
                    line, label, param.name,
                ))


def _is_ellipsis(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is Ellipsis


def iter_problems(markdown: str, facts: Facts) -> Iterator[tuple[CodeBlock, CodeProblem]]:
    """Every problem in every Python block of a page, with its block (page line = block.line
    + problem.line - 1)."""
    for block in code_blocks(markdown):
        for problem in check_block(block, facts):
            yield block, problem
